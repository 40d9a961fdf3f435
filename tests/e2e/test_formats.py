"""Every question format end to end: asked, answered by text or button, revealed, in /history
and /export. Each test runs the real bot on a library holding one question of the format."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.content import Library
from bot.domain.models import Depth
from bot.domain.selection import Format, LibraryQuestion
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import FakeClock, RunningBot, includes, pair_up, says, unread_new

JSON = dict[str, Any]


def _text(message: JSON) -> str:
    return str(message.get("text") or message.get("caption") or "")


QUESTIONS = {
    Format.THIS_OR_THAT: LibraryQuestion(
        "t-pick",
        "play",
        Depth.LIGHT,
        "Tea or coffee?",
        format=Format.THIS_OR_THAT,
        options=("Tea", "Coffee"),
    ),
    Format.WOULD_YOU_RATHER: LibraryQuestion(
        "t-wyr",
        "play",
        Depth.LIGHT,
        "Would you rather fly or be invisible?",
        format=Format.WOULD_YOU_RATHER,
        options=("Fly", "Be invisible"),
    ),
    Format.RATE: LibraryQuestion(
        "t-rate",
        "play",
        Depth.LIGHT,
        "How much do you love rainy Sundays?",
        format=Format.RATE,
        low="Not at all",
        high="Completely",
    ),
    Format.GUESS: LibraryQuestion(
        "t-guess", "play", Depth.LIGHT, "What is your dream holiday?", format=Format.GUESS
    ),
    Format.FINISH: LibraryQuestion(
        "t-finish", "play", Depth.LIGHT, "The best part of my week was…", format=Format.FINISH
    ),
}


def _one_question(base: Library, kind: Format) -> Library:
    return Library(
        categories=base.categories,
        questions=(QUESTIONS[kind],),
        exercises=base.exercises,
        appreciation=base.appreciation,
        occasions=base.occasions,
    )


@pytest.fixture
def kind() -> Format:
    return Format.THIS_OR_THAT


@pytest.fixture
async def bot(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library, kind: Format
) -> AsyncIterator[RunningBot]:
    running = RunningBot(api, tmp_path / "nearer.sqlite3", clock, _one_question(library, kind))
    await running.start()
    yield running
    await running.stop()


async def _paired(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser, JSON, JSON]:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    return alice, bob, alice.inbox[-1], bob.inbox[-1]


def _reveal_of(user: FakeUser, template: str) -> list[JSON]:
    return [m for m in user.inbox if includes(m, template)]


@pytest.mark.parametrize("kind", [Format.THIS_OR_THAT])
async def test_this_or_that_is_answered_with_one_tap_and_the_reveal_shows_both_picks(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    assert includes(question_a, texts.QUESTION_PICK)
    await alice.press(question_a, "Tea")
    await bot.settle()
    # The pick shows in place: no message, the button ticked and the question's status edited.
    assert unread_new(alice) == []
    shown = api.chat(alice.id).messages[question_a["message_id"]]
    assert "✅ Tea" in str(shown["reply_markup"]) and "✅ Coffee" not in str(shown["reply_markup"])
    assert includes(shown, texts.STATUS_WAITING, partner="Bob")
    assert unread_new(bob) == []  # nothing of Alice's pick before Bob answers
    assert "✅" not in str(api.chat(bob.id).messages[question_b["message_id"]]["reply_markup"])
    await bob.press(question_b, "Coffee")
    await bot.settle()
    for user, mine, theirs in ((alice, "Tea", "Coffee"), (bob, "Coffee", "Tea")):
        (reveal,) = _reveal_of(user, texts.REVEAL_PICKS)
        assert f"You: {mine}" in _text(reveal)
        assert theirs in _text(reveal)
        assert includes(reveal, texts.REVEAL_WHY_INVITE)


@pytest.mark.parametrize("kind", [Format.THIS_OR_THAT])
async def test_a_reply_to_the_pick_reveal_passes_the_why_to_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    await alice.press(question_a, "Tea")
    await bob.press(question_b, "Tea")
    await bot.settle()
    (reveal,) = _reveal_of(alice, texts.REVEAL_PICKS)
    assert texts.REVEAL_SAME_PICK in _text(reveal)
    bob.unread()
    await alice.reply(reveal, "Mint tea calms me down")
    await bot.settle()
    why = [m for m in bob.unread() if includes(m, texts.WHY_HEADER)]
    assert len(why) == 1 and "Mint tea calms me down" in _text(why[0])
    assert any(includes(m, texts.WHY_SENT) for m in alice.unread())


@pytest.mark.parametrize("kind", [Format.WOULD_YOU_RATHER])
async def test_would_you_rather_pick_can_change_until_the_partner_answers(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    fly = api.button_data(question_a, "Fly")
    await alice.press(question_a, "Fly")
    await alice.press(question_a, "Be invisible")
    await bob.press(question_b, "Fly")
    await bot.settle()
    (reveal,) = _reveal_of(bob, texts.REVEAL_PICKS)
    assert "Alice: Be invisible" in _text(reveal)
    # After the reveal the pick stays, even when tapped on a screen not yet updated.
    answer = await alice.press(question_a, "", data=fly)
    assert answer.get("text") == texts.PICK_TOO_LATE


@pytest.mark.parametrize("kind", [Format.WOULD_YOU_RATHER])
async def test_a_pick_button_pressed_by_someone_outside_the_pair_is_refused(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, _ = await _paired(bot, api)
    carol = api.user(3, "Carol")
    await carol.send("/start")
    greeting = await carol.receive()
    prompt_id = question_a["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1]
    answer = await carol.press(greeting, "", data=f"pick:{prompt_id}:0")
    assert answer.get("text") == texts.MENU_EXPIRED
    forged = await alice.press(question_a, "", data=f"pick:{prompt_id}:7")
    assert forged.get("text") == texts.MENU_EXPIRED
    await bot.settle()
    assert bob.unread() == []


@pytest.mark.parametrize("kind", [Format.WOULD_YOU_RATHER])
async def test_a_written_answer_to_a_pick_question_counts_in_ones_own_words(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    await alice.reply(question_a, "Honestly both, on alternate days")
    await bob.press(question_b, "Fly")
    await bot.settle()
    (reveal,) = _reveal_of(bob, texts.REVEAL_PICKS)
    assert texts.PARTNER_OWN_WORDS in _text(reveal)
    assert "Honestly both, on alternate days" in _text(reveal)


@pytest.mark.parametrize("kind", [Format.RATE])
async def test_rate_is_answered_on_the_number_row_with_an_optional_why(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, _ = await _paired(bot, api)
    assert "Not at all" in _text(question_a) and "Completely" in _text(question_a)
    rows = question_a["reply_markup"]["inline_keyboard"]
    assert [b["text"] for row in rows for b in row] == [str(n) for n in range(1, 11)]
    await alice.press(question_a, "7")
    why = await alice.send("The sound of rain on the window")
    await bot.settle()
    assert alice.reactions_on(why) == ["✍"]  # the why is acknowledged by a reaction
    assert unread_new(alice) == []
    await bob.send("9")  # a message that is only a number rates as a tap would
    await bot.settle()
    (reveal,) = _reveal_of(bob, texts.REVEAL_PICKS)
    assert texts.RATING_LABEL.format(value=7) in _text(reveal)
    assert texts.RATING_LABEL.format(value=9) in _text(reveal)
    assert "The sound of rain on the window" in _text(reveal)


@pytest.mark.parametrize("kind", [Format.GUESS])
async def test_guess_your_partner_reveals_both_answers_and_guesses_only_after_both_guessed(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    assert includes(question_a, texts.QUESTION_GUESS)
    await alice.reply(question_a, "Hiking in Norway")
    next_step = await alice.receive()
    assert includes(next_step, texts.GUESS_NEXT)
    await alice.send("A beach in Crete")
    await bob.reply(question_b, "A beach in Crete")
    await bot.settle()
    assert not _reveal_of(alice, texts.REVEAL_GUESS_HEADER)  # Bob has not guessed yet
    assert not _reveal_of(bob, texts.REVEAL_GUESS_HEADER)
    await bob.send("Somewhere with mountains")
    await bot.settle()
    alice_texts = "\n".join(_text(m) for m in alice.inbox)
    assert any(includes(m, texts.REVEAL_GUESS_HEADER, partner="Bob") for m in alice.inbox)
    assert "A beach in Crete" in alice_texts  # Bob's answer and Alice's own guess
    assert "Somewhere with mountains" in alice_texts  # Bob's guess about Alice
    bob_texts = "\n".join(_text(m) for m in bob.inbox)
    assert "Hiking in Norway" in bob_texts and "A beach in Crete" in bob_texts


@pytest.mark.parametrize("kind", [Format.GUESS])
async def test_that_is_me_counts_a_right_guess_in_streak_and_history(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    for user, question, answer, guess in (
        (alice, question_a, "Hiking", "Beach"),
        (bob, question_b, "Beach", "Hiking"),
    ):
        await user.reply(question, answer)
        await user.reply(question, guess)
    await bot.settle()
    verdict = [m for m in bob.inbox if "reply_markup" in m and texts.VERDICT_YES in str(m)][-1]
    alice.unread()
    pressed = await bob.press(verdict, texts.VERDICT_YES)
    assert pressed.get("text") == texts.VERDICT_SAVED.format(partner="Alice")
    await bot.settle()
    (told,) = alice.unread()
    assert says(told, texts.GUESS_VERDICT_RIGHT, name="Bob")
    tally = texts.GUESS_TALLY.format(right=1, judged=1)
    await alice.send("/streak")
    assert tally in _text(await alice.receive())
    bob.unread()
    await bob.send("/history")
    page = _text(await bob.receive())
    assert tally in page and "guessed: Beach" in page


@pytest.mark.parametrize("kind", [Format.FINISH])
async def test_finish_the_sentence_reveals_the_start_with_the_partners_ending(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    assert includes(question_a, texts.QUESTION_FINISH)
    await alice.reply(question_a, "our long Saturday breakfast")
    await bob.reply(question_b, "finishing the bookshelf")
    await bot.settle()
    (reveal,) = _reveal_of(bob, texts.REVEAL_FINISH_HEADER)
    assert "The best part of my week was…" in _text(reveal)
    assert "our long Saturday breakfast" in _text(reveal)


@pytest.mark.parametrize("kind", [Format.RATE])
async def test_export_holds_ratings_and_only_revealed_partner_answers(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, question_a, question_b = await _paired(bot, api)
    await alice.press(question_a, "3")
    await bob.press(question_b, "8")
    await bot.settle()
    alice.unread()
    await alice.send("/export")
    document = await alice.receive_until(lambda m: "document" in m)
    data = json.loads(document[-1]["document_bytes"])
    (entry,) = data["questions"]
    assert entry["format"] == "rate"
    assert entry["your_answer"]["rating"] == 3 and entry["partner_answer"]["rating"] == 8
