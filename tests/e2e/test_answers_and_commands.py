"""Answer edge cases, unpairing, schedule changes and odd input, end to end."""

from __future__ import annotations

import datetime as dt

from bot import texts
from sandbox.fake_bot_api import FakeBotAPI
from tests.support import (
    RunningBot,
    button_label,
    fields,
    includes,
    including,
    is_question,
    pair_up,
    receive_new,
    says,
    unread_new,
)


def _text(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


async def test_a_second_answer_before_the_reveal_replaces_the_first(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    first = await alice.send("first draft")
    await bot.settle()
    assert alice.reactions_on(first) == ["✍"]
    second = await alice.send("what I really mean")
    asked = await receive_new(alice)
    assert says(asked, texts.ASK_REPLACE)
    await alice.press(asked, button_label(texts.REPLACE_BUTTON))
    await bot.settle()
    assert says(alice.api.chat(alice.id).messages[asked["message_id"]], texts.PENDING_REPLACED)
    assert alice.reactions_on(second) == ["✍"]
    await bob.send("bob's answer")
    reveal = await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice"))
    assert "what I really mean" in _text(reveal[-1])
    assert "first draft" not in _text(reveal[-1])


async def test_editing_an_answer_before_the_reveal_updates_it_and_after_it_does_not(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    answer = await alice.send("typo answr")
    await alice.receive()
    await alice.edit(answer, "typo fixed answer")
    assert says(await alice.receive(), texts.EDIT_SAVED)
    await bob.send("bob here")
    reveal = await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice"))
    assert "typo fixed answer" in _text(reveal[-1])
    await alice.receive_until(including(texts.REVEAL_HEADER, partner="Bob"))
    await alice.edit(answer, "rewriting history")
    assert says(await alice.receive(), texts.EDIT_AFTER_REVEAL, partner="Bob")
    await bot.settle()
    assert "rewriting history" not in " ".join(bob.texts())


async def test_a_sticker_gets_a_kind_reply_about_what_can_be_an_answer(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send_sticker()
    assert says(await alice.receive(), texts.UNSUPPORTED_ANSWER)
    # A location is not an answer: it says where one is (the zone; see test_clocks.py).
    await alice.send_content({"location": {"latitude": 1.0, "longitude": 2.0}})
    assert says(await alice.receive(), texts.ZONE_FROM_LOCATION)


async def test_a_photo_with_caption_is_relayed_as_the_photo(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send_photo("our first trip")
    await alice.receive()
    await bob.send_video_note()
    await bob.receive()
    to_bob = await bob.receive_until(lambda m: "photo" in m)
    to_alice = await alice.receive_until(lambda m: "video_note" in m)
    assert to_bob[-1]["caption"] == "our first trip"
    assert to_alice[-1]["copied_from"] == bob.id


async def test_a_very_long_answer_is_revealed_within_telegrams_limit(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    long_answer = ("I love how you " + "always <notice> & care " * 200)[:4096]
    await alice.send(long_answer)
    await bot.settle()
    unread_new(bob)
    await bob.send("short")
    await bot.settle()
    pieces = unread_new(bob)
    assert includes(pieces[0], texts.REVEAL_HEADER, partner="Alice")
    revealed = "".join(_text(m) for m in pieces)
    assert long_answer.split()[-1] in revealed
    assert len(long_answer) - 10 < len(revealed[revealed.index("I love how you") :])


async def test_an_older_open_question_can_still_be_answered_by_replying_to_it(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    first_question, bob_first = alice.inbox[-1], bob.inbox[-1]
    question = fields(first_question, texts.QUESTION)["question"]
    assert fields(bob_first, texts.QUESTION)["question"] == question
    bot.clock.set(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC))
    await bot.tick()
    await alice.receive_until(is_question)
    await bob.receive_until(is_question)
    await bot.settle()
    unread_new(alice)
    await alice.send("which one?")
    assert says(await receive_new(alice), texts.ASK_WHICH)
    answer = await alice.reply(first_question, "answer to day one")
    await bot.settle()
    assert alice.reactions_on(answer) == ["✍"]
    await bob.reply(bob_first, "bob on day one")
    reveal = await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice"))
    assert "answer to day one" in _text(reveal[-1])


async def test_today_shows_who_answered_but_never_what(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("secret words")
    await bot.settle()
    unread_new(bob)
    await bob.send("/today")
    status = await receive_new(bob)
    assert includes(status, texts.TODAY_HEADER)
    assert includes(status, texts.TODAY_PARTNER_ANSWERED, partner="Alice")
    assert "secret words" not in _text(status)


async def test_unpairing_asks_first_then_tells_the_partner_and_stops_questions(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/unpair")
    confirm = await alice.receive()
    assert says(confirm, texts.UNPAIR_CONFIRM, partner="Bob")
    await alice.press(confirm, texts.UNPAIR_NO)
    await bot.settle()
    async with bot.services.db.transaction() as tx:
        assert await tx.active_pair_of(alice.id) is not None
    await alice.send("/unpair")
    confirm = (await alice.receive_until(lambda m: "reply_markup" in m))[-1]
    await alice.press(confirm, texts.UNPAIR_YES)
    told = await bob.receive()
    assert says(told, texts.UNPAIR_PARTNER, name="Alice")
    bot.clock.set(dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC))
    await bot.tick()
    await bot.settle()
    assert not [m for m in alice.unread() + bob.unread() if is_question(m)]


async def test_an_old_unpair_button_for_another_pair_has_expired(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/unpair")
    confirm = await alice.receive()
    answer = await alice.press(confirm, texts.UNPAIR_YES, data="unpair:yes:999")
    assert says(answer, texts.MENU_EXPIRED)
    answer = await alice.press(confirm, texts.UNPAIR_YES, data="garbage\u202e<b>")
    assert says(answer, texts.MENU_EXPIRED)
    async with bot.services.db.transaction() as tx:
        assert await tx.active_pair_of(alice.id) is not None


async def test_changing_the_time_moves_ones_own_next_question_and_the_frequency_tells_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/time 25:99")
    assert says(await alice.receive(), texts.TIME_USAGE)
    await alice.send("/timezone Mars/Base")
    assert says(await alice.receive(), texts.TIMEZONE_USAGE)
    await alice.send("/time 20:15")
    changed = await alice.receive()
    assert says(changed, texts.SCHEDULE_CHANGED) and "20:15" in _text(changed)
    await bot.pass_change_window()
    await bot.settle()
    assert bob.unread() == []  # one's own time: the partner is not told
    # How often questions come is the pair's: the partner is told.
    await alice.send("/settings")
    menu = await alice.receive()
    await alice.press(menu, texts.SETTINGS_BUTTON_FREQUENCY)
    await alice.receive_until(lambda m: m.get("message_id") == menu["message_id"])
    await alice.press(menu, texts.FREQUENCY_NAMES["weekdays"])
    await bot.pass_change_window()
    told = await bob.receive()
    assert says(told, texts.CHANGES_ONE, name="Alice")
    assert includes(told, texts.CHANGE_FREQUENCY, frequency=texts.FREQUENCY_NAMES["weekdays"])
    assert not includes(told, texts.CHANGE_SCHEDULE)
    await bot.settle()
    alice.unread()
    # Thursday: Bob's question at his 09:00, Alice's at her own 20:15 and not before.
    bot.clock.set(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC))
    await bot.tick()
    await bob.receive_until(is_question)
    bot.clock.set(dt.datetime(2026, 1, 15, 20, 14, tzinfo=dt.UTC))
    await bot.tick()
    await bot.settle()
    assert not [m for m in alice.unread() if is_question(m)]
    bot.clock.set(dt.datetime(2026, 1, 15, 20, 15, tzinfo=dt.UTC))
    await bot.tick()
    await alice.receive_until(is_question)


async def test_a_day_missed_while_the_bot_was_down_is_skipped_not_sent_late(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await bot.stop()
    bot.clock.set(dt.datetime(2026, 1, 16, 7, 0, tzinfo=dt.UTC))  # slept through the 15th
    await bot.start()
    report = await bot.tick()
    assert (report.delivered, report.skipped) == (0, 1)
    bot.clock.set(dt.datetime(2026, 1, 16, 9, 0, tzinfo=dt.UTC))
    assert (await bot.tick()).delivered == 1


async def test_unknown_commands_and_unpaired_messages_get_a_hint(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    carol = api.user(3, "Carol")
    await carol.send("/dance")
    assert says(await carol.receive(), texts.UNKNOWN_COMMAND)
    await carol.send("hello?")
    assert says(await carol.receive(), texts.NOT_PAIRED)
    await carol.send("/help")
    assert says(await carol.receive(), texts.HELP)
    await carol.send("/today")
    assert says(await carol.receive(), texts.NOT_PAIRED)


async def test_the_command_menu_is_registered_at_start_up(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    names = {command["command"] for command in api.commands}
    assert {"today", "invite", "help", "time", "timezone", "unpair"} <= names


async def test_a_weekly_exercise_comes_on_the_pairs_weekday_beside_the_question(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    bot.clock.set(dt.datetime(2026, 1, 17, 9, 0, tzinfo=dt.UTC))  # Saturday
    await bot.tick()
    await bot.settle()
    received = alice.unread()
    assert any(is_question(m) for m in received)
    # A teaser of its own, never folded into the question (the how-to opens from "Show me").
    assert any(says(m, texts.EXERCISE_TEASER) for m in received)
    assert not any(is_question(m) and includes(m, texts.EXERCISE) for m in received)
