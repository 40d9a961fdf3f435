"""Issue 12's rules meeting each other, over real HTTP: bugs found when the parts merged."""

from __future__ import annotations

from bot import texts
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.matching import translation
from tests.support import JSON, RunningBot, includes, pair_up, says


def _current(user: FakeUser, message: JSON) -> JSON:
    """The message as the person sees it now (after any edits)."""
    return user.api.chat(user.id).messages[message["message_id"]]


async def test_saving_an_aside_after_its_question_closed_is_refused_not_saved(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # The simulation found it: "Save as my answer", pressed after the only open question had
    # closed (48 hours after it was sent), saved the words anyway and could reveal them.
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    bot.clock.advance(hours=47, minutes=30)
    aside = await alice.send("thanks!")
    asked = await alice.receive()
    assert includes(asked, texts.ASK_SAVE)
    bot.clock.advance(hours=1)  # the question has now been open for 48.5 hours
    await bot.tick()
    await alice.press(asked, translation(texts.SAVE_BUTTON, "en")[0])
    await bot.settle()
    now = _current(alice, asked)
    assert says(now, texts.QUESTION_CLOSED_TODAY) or says(now, texts.QUESTION_CLOSED_NEXT)
    assert alice.reactions_on(aside) == []
    await bob.reply(bob.inbox[-1], "Cooking together on Sunday")
    await bot.settle()
    assert not any(includes(m, texts.REVEAL_HEADER) for m in bob.unread())
