"""Intent, not guesses, and fewer messages (issue 12), end to end over HTTP: a reaction instead
of a receipt, the question message edited to show who has answered, the reply field with a
placeholder, asides and replacements asked about with buttons, a button per open question."""

from __future__ import annotations

import datetime as dt

from bot import texts
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.matching import translation
from tests.support import JSON, RunningBot, includes, is_question, pair_up, saying, says


def _current(user: FakeUser, message: JSON) -> JSON:
    """The bot's message as it stands now in the user's chat (after any edits)."""
    return user.api.chat(user.id).messages[message["message_id"]]


def _new_messages(user: FakeUser) -> list[JSON]:
    """What arrived since the last read, without the edits of earlier messages."""
    return [m for m in user.unread() if not m.get("edited")]


def _label(template: str) -> str:
    return translation(template, "en")[0]


async def test_a_saved_answer_gets_a_reaction_instead_of_a_receipt(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    question = alice.inbox[-1]
    answer = await alice.reply(question, "Our walk by the river")
    await bot.settle()
    assert alice.reactions_on(answer) == ["✍"]
    assert _new_messages(alice) == []  # no "✅ Saved" message
    assert includes(_current(alice, question), texts.STATUS_WAITING, partner="Bob")


async def test_the_partners_question_message_shows_that_the_other_has_answered(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    bobs_question = bob.inbox[-1]
    await alice.reply(alice.inbox[-1], "Our walk by the river")
    await bot.settle()
    assert includes(_current(bob, bobs_question), texts.STATUS_YOUR_TURN, partner="Alice")
    assert _new_messages(bob) == []  # edited in place: nothing new reaches Bob


async def test_the_second_answer_brings_the_reveal_without_a_here_it_comes(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    alices_question, bobs_question = alice.inbox[-1], bob.inbox[-1]
    await alice.reply(alices_question, "Our walk by the river")
    await bot.settle()
    alice.unread()
    answer = await bob.reply(bobs_question, "Cooking together on Sunday")
    await bot.settle()
    arrived = _new_messages(bob)
    assert [includes(m, texts.REVEAL_HEADER, partner="Alice") for m in arrived] == [True]
    assert not any(says(m, texts.SAVED_REVEALING, partner="Alice") for m in arrived)
    assert bob.reactions_on(answer) == ["❤"]
    assert includes(_current(bob, bobs_question), texts.STATUS_BOTH)
    assert includes(_current(alice, alices_question), texts.STATUS_BOTH)


async def test_a_typed_question_opens_the_reply_field_with_a_placeholder(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    question = alice.inbox[-1]
    assert is_question(question)
    markup = question["requested_markup"]
    assert markup["force_reply"] is True
    placeholder = _label(texts.ANSWER_PLACEHOLDER).format(partner="Bob")
    assert markup["input_field_placeholder"] == placeholder


async def test_the_placeholder_is_in_the_readers_language(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    bob.language_code = "de"
    await pair_up(bot, alice, bob)
    markup = bob.inbox[-1]["requested_markup"]
    wanted = translation(texts.ANSWER_PLACEHOLDER, "de")[0].format(partner="Alice")
    assert markup["input_field_placeholder"] == wanted


async def test_thanks_is_not_saved_silently_and_can_be_left_out(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    aside = await alice.send("thanks!")
    asked = await alice.receive()
    assert includes(asked, texts.ASK_SAVE)
    await bot.settle()
    assert alice.reactions_on(aside) == []
    assert not (await alice.press(asked, _label(texts.NOT_ANSWER_BUTTON))).get("text")
    await bot.settle()
    assert says(_current(alice, asked), texts.PENDING_DISMISSED)
    await bob.reply(bob.inbox[-1], "Cooking together on Sunday")
    await bot.settle()
    # Alice has not answered: nothing is revealed to Bob, and "thanks!" never will be.
    assert not any(includes(m, texts.REVEAL_HEADER) for m in _new_messages(bob))


async def test_a_question_to_the_bot_points_to_help_and_can_still_be_saved(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    message = await alice.send("How do I change the time?")
    asked = await alice.receive()
    assert includes(asked, texts.ASK_HELP)
    await alice.press(asked, _label(texts.SAVE_BUTTON))
    await bot.settle()
    assert says(_current(alice, asked), texts.PENDING_SAVED)
    assert alice.reactions_on(message) == ["✍"]


async def test_a_plain_long_message_is_still_the_answer(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    message = await alice.send("The evening we cooked pasta and burnt the sauce, laughing")
    await bot.settle()
    assert alice.reactions_on(message) == ["✍"]
    assert _new_messages(alice) == []


async def test_replacing_a_saved_answer_asks_first_and_keep_keeps_the_first(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    question = alice.inbox[-1]
    await alice.reply(question, "The first answer I wrote")
    await bot.settle()
    alice.unread()
    await alice.reply(question, "A second thought about it")
    asked = (await alice.receive_until(saying(texts.ASK_REPLACE)))[-1]
    await alice.press(asked, _label(texts.KEEP_BUTTON))
    await bot.settle()
    assert says(_current(alice, asked), texts.PENDING_KEPT)
    await bob.reply(bob.inbox[-1], "Cooking together on Sunday")
    reveal = (await bob.receive_until(lambda m: includes(m, texts.REVEAL_HEADER)))[-1]
    assert "The first answer I wrote" in reveal["text"]


async def test_replace_replaces_the_answer_before_the_reveal(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    question = alice.inbox[-1]
    await alice.reply(question, "The first answer I wrote")
    second = await alice.reply(question, "A second thought about it")
    asked = (await alice.receive_until(saying(texts.ASK_REPLACE)))[-1]
    await alice.press(asked, _label(texts.REPLACE_BUTTON))
    await bot.settle()
    assert says(_current(alice, asked), texts.PENDING_REPLACED)
    assert alice.reactions_on(second) == ["✍"]
    await bob.reply(bob.inbox[-1], "Cooking together on Sunday")
    reveal = (await bob.receive_until(lambda m: includes(m, texts.REVEAL_HEADER)))[-1]
    assert "A second thought about it" in reveal["text"]


async def test_forged_or_unknown_buttons_get_a_kind_answer(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("ok")
    asked = await alice.receive()
    for data in ("pend:999999:save", "pend:x:save", "pend:1:q:x", "pend:1:explode", "pend:"):
        answered = await alice.press(asked, "", data=data)
        assert says(answered, texts.PENDING_EXPIRED)
    # Bob cannot press Alice's buttons either.
    forged = api.button_data(asked, _label(texts.SAVE_BUTTON))
    stolen = await bob.press(bob.inbox[-1], "", data=forged)
    assert says(stolen, texts.PENDING_EXPIRED)


async def test_a_kept_message_expires_after_a_day(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("ok")
    asked = await alice.receive()
    bot.clock.advance(days=1, minutes=1)
    answered = await alice.press(asked, _label(texts.SAVE_BUTTON))
    assert says(answered, texts.PENDING_EXPIRED)


async def test_a_kept_message_is_gone_after_deleting_ones_data(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("ok")
    asked = await alice.receive()
    await alice.send("/deletemydata")
    confirm = (await alice.receive_until(saying(texts.DELETE_CONFIRM)))[-1]
    await alice.press(confirm, _label(texts.DELETE_YES))
    await bot.settle()
    answered = await alice.press(asked, _label(texts.SAVE_BUTTON))
    assert says(answered, texts.PENDING_EXPIRED)


async def _two_questions_open(bot: RunningBot, api: FakeBotAPI) -> FakeUser:
    """Alice and Bob paired with a second day's question out: Alice, neither answered, has
    read everything."""
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    bot.clock.set(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC))
    await bot.tick()
    await alice.receive_until(is_question)
    await bob.receive_until(is_question)
    await bot.settle()
    alice.unread()
    return alice


async def test_several_open_questions_get_one_button_each(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice = await _two_questions_open(bot, api)
    message = await alice.send("Walking home in the snow after the concert")
    asked = await alice.receive()
    assert says(asked, texts.ASK_WHICH)
    buttons = [row[0] for row in asked["reply_markup"]["inline_keyboard"]]
    assert len(buttons) == 3  # one per open question, and "No, just chatting"
    assert all(b["callback_data"].startswith("pend:") for b in buttons)
    assert buttons[-1]["text"] == _label(texts.NOT_ANSWER_BUTTON)
    await alice.press(asked, buttons[0]["text"])
    await bot.settle()
    assert says(_current(alice, asked), texts.PENDING_SAVED)
    assert alice.reactions_on(message) == ["✍"]


async def test_a_pressed_heart_changes_in_place(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.reply(alice.inbox[-1], "Our walk by the river")
    await bob.reply(bob.inbox[-1], "Cooking together on Sunday")
    reveal = (await bob.receive_until(lambda m: includes(m, texts.REVEAL_HEADER)))[-1]
    await bob.press(reveal, texts.REACT_HEART)
    await bot.settle()
    labels = [b["text"] for row in _current(bob, reveal)["reply_markup"]["inline_keyboard"]
              for b in row]  # fmt: skip
    assert _label(texts.HEART_SENT_BUTTON) in labels


async def test_an_aside_among_several_open_questions_can_be_left_out(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # Seen in the transcript: "thanks!" with two questions open was asked only which one it
    # answered, with no way to say "none".
    alice = await _two_questions_open(bot, api)
    message = await alice.send("thanks!")
    asked = await alice.receive()
    assert says(asked, texts.ASK_WHICH)
    await alice.press(asked, _label(texts.NOT_ANSWER_BUTTON))
    await bot.settle()
    assert says(_current(alice, asked), texts.PENDING_DISMISSED)
    assert alice.reactions_on(message) == []
    async with bot.services.db.reading() as tx:
        prompts = await tx.open_prompts((await tx.active_pair_of(alice.id)).id)
        assert not [p for p in prompts if await tx.has_answered(p.id, alice.id)]


async def test_a_save_pressed_under_a_deleted_question_is_still_confirmed(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # The answer was saved, but "saved" was only an edit of the bot's question, so with that
    # message gone (deleted on one device, tapped on another) the person was told nothing.
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    message = await alice.send("ok")
    asked = await alice.receive()
    alice.delete(asked)
    await alice.press(asked, _label(texts.SAVE_BUTTON))
    await bot.settle()
    told = [m for m in alice.unread() if says(m, texts.PENDING_SAVED)]
    assert len(told) == 1 and not told[0].get("edited")
    assert alice.reactions_on(message) == ["✍"]
