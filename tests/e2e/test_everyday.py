"""Everyday controls end to end: nudges, reminders, pause, settings, skip, ask, history,
streaks, reactions, privacy and blocking."""

from __future__ import annotations

import datetime as dt
import json

from bot import texts
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import RunningBot, is_guess_question, pair_up

UTC = dt.UTC


def _text(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=UTC)


async def _answer_today(bot: RunningBot, *users: FakeUser) -> None:
    for user in users:
        question = [m for m in user.inbox if "question" in _text(m)][-1]
        await user.reply(question, f"{user.first_name} answers")
        if is_guess_question(question):  # a guess-your-partner question takes a guess too
            await user.reply(question, f"{user.first_name} guesses")
    await bot.settle()


async def _pairs(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser]:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    return alice, bob


async def test_an_evening_nudge_turns_a_reply_into_a_gift_with_a_heart_back(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    bot.clock.set(_at(14, 19))
    report = await bot.tick()
    assert report.nudges == 2
    nudge = await alice.receive()
    assert "A small nudge" in _text(nudge)
    await bob.receive()
    await alice.reply(nudge, "You made my morning with that coffee")
    assert "Sent to Bob" in _text(await alice.receive())
    gift = await bob.receive_until(lambda m: "appreciation" in _text(m))
    assert "You made my morning with that coffee" in _text(gift[-1])
    answer = await bob.press(gift[-1], "heart")
    assert "Heart sent" in answer["text"]
    assert "sent a heart back" in _text(await alice.receive())
    again = await bob.press(gift[-1], "heart")
    assert "already" in again["text"]


async def test_a_partner_who_ignores_a_nudge_is_not_chased(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, _bob = await _pairs(bot, api)
    bot.clock.set(_at(14, 19))
    await bot.tick()
    await bot.settle()
    alice.unread()
    for hour in (20, 21, 23):
        bot.clock.set(_at(14, hour))
        await bot.tick()
    await bot.settle()
    assert alice.unread() == []


async def test_nudges_can_be_turned_off_for_one_partner(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/settings")
    menu = await alice.receive()
    await alice.press(menu, "Nudges")
    assert "Your nudges: off" in _text(await alice.receive())
    bot.clock.set(_at(14, 19))
    assert (await bot.tick()).nudges == 1
    await bot.settle()
    assert not [m for m in alice.unread() if "A small nudge" in _text(m)]
    assert [m for m in bob.unread() if "A small nudge" in _text(m)]


async def test_a_reminder_comes_once_after_the_set_hours_and_names_a_partner_who_answered(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/reminders maybe")
    assert "/reminders on" in _text(await alice.receive())
    await alice.send("/reminders on")
    assert "Reminders are on" in _text(await alice.receive())
    await bob.send("Bob was quick")
    await bob.receive()
    bot.clock.set(_at(14, 11, 29))  # the question went out at 07:30; 4 hours have not passed
    assert (await bot.tick()).reminders == 0
    bot.clock.set(_at(14, 11, 30))
    assert (await bot.tick()).reminders == 1
    reminder = await alice.receive()
    assert "Bob answered" in _text(reminder)
    bot.clock.set(_at(14, 15))
    assert (await bot.tick()).reminders == 0
    await bot.settle()
    assert bob.unread() == []  # Bob never opted in


async def test_reminders_are_never_sent_in_quiet_hours(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, _bob = await _pairs(bot, api)
    await alice.send("/reminders on")
    await alice.receive()
    bot.clock.set(_at(14, 22, 30))
    assert (await bot.tick()).reminders == 0
    bot.clock.set(_at(14, 23, 59))
    assert (await bot.tick()).reminders == 0


async def test_pause_stops_questions_and_resume_starts_from_the_next_send_time(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/pause")
    assert "Paused until you resume" in _text(await alice.receive())
    await bot.pass_change_window()
    assert "Alice paused" in _text(await bob.receive())
    bot.clock.set(_at(15, 9))
    report = await bot.tick()
    assert (report.delivered, report.nudges) == (0, 0)
    await alice.send("/pause 2w")
    assert "Still paused" in _text(await alice.receive())
    await bot.pass_change_window()
    assert "until Thursday 29 January" in _text(await bob.receive())
    await bob.send("/resume")
    assert "Welcome back" in _text(await bob.receive())
    await bot.pass_change_window()
    assert "Bob resumed" in _text(await alice.receive())
    await bob.send("/resume")
    assert "not paused" in _text(await bob.receive())
    bot.clock.set(_at(16, 9))
    assert (await bot.tick()).delivered == 1


async def test_a_timed_pause_ends_by_itself_with_a_note_to_both(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/pause 3d")
    assert "Paused until" in _text(await alice.receive())
    await bot.pass_change_window()
    await bob.receive()
    bot.clock.set(_at(17, 7, 29))
    assert (await bot.tick()).pauses_ended == 0
    bot.clock.set(_at(17, 7, 31))
    report = await bot.tick()
    assert report.pauses_ended == 1
    assert "pause is over" in _text(await alice.receive())
    assert "pause is over" in _text(await bob.receive())
    bot.clock.set(_at(17, 9))
    assert (await bot.tick()).delivered == 1


async def test_bad_pause_arguments_get_the_expected_form(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, _ = await _pairs(bot, api)
    for bad in (
        "/pause 0d",
        "/pause until yesterday",
        "/pause until 2026-01-01",
        "/pause forever",
    ):
        await alice.send(bad)
        assert "/pause 3d" in _text(await alice.receive())


async def test_settings_change_in_place_and_are_announced_to_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/settings")
    menu = await alice.receive()
    assert "09:00 (UTC)" in _text(menu)

    async def press(label: str) -> dict:
        await alice.press(menu, label)
        edited = await alice.receive_until(lambda m: m.get("message_id") == menu["message_id"])
        return edited[-1]

    await press("Time")
    assert "20:00 (UTC)" in _text(await press("20:00"))
    await press("Topics")
    await press("Play")
    await press("Back")
    await press("Depth")
    await press("deepest")
    await bot.pass_change_window()
    # Changes made within a minute reach the partner as one notice.
    summary = _text(await bob.receive())
    assert "Alice" in summary and "20:00" in summary
    assert "Play and fun off" in summary and "deepest" in summary
    await bot.settle()
    assert bob.unread() == []
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(alice.id)
    assert pair is not None
    assert pair.schedule.send_time == dt.time(20, 0)
    assert "play" in pair.preferences.disabled_categories
    assert pair.preferences.depth.value == "deepest"


async def test_a_forged_settings_button_for_another_pair_changes_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, _bob = await _pairs(bot, api)
    carol, dave = api.user(3, "Carol"), api.user(4, "Dave")
    await pair_up(bot, carol, dave)
    await alice.send("/settings")
    menu = await alice.receive()
    async with bot.services.db.transaction() as tx:
        other = await tx.active_pair_of(carol.id)
    assert other is not None
    for data in (f"s:{other.id}:t:2000", f"s:{other.id}:d:deepest", "s:x", "s:1:zz:9", "s:1"):
        answer = await alice.press(menu, "Time", data=data)
        assert "expired" in answer["text"]
    async with bot.services.db.transaction() as tx:
        unchanged = await tx.get_pair(other.id)
    assert unchanged is not None and unchanged.schedule.send_time == dt.time(9, 0)


async def test_skip_swaps_todays_question_until_someone_answers(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    first = _text(alice.inbox[-1])
    await alice.send("/skip")
    new_for_alice = await alice.receive_until(lambda m: "Today's question" in _text(m))
    assert any("Swapped" in _text(m) for m in new_for_alice)
    bob_seen = await bob.receive_until(lambda m: "Today's question" in _text(m))
    assert any("Alice swapped" in _text(m) for m in bob_seen)
    assert _text(new_for_alice[-1]) != first
    await bob.send("answering the new one")
    await bob.receive()
    await alice.send("/skip")
    assert "already answered" in _text(await alice.receive())


async def test_a_question_from_ask_comes_on_a_later_day_marked_as_from_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/ask")
    assert "/ask What song" in _text(await alice.receive())
    await alice.send("/ask " + "x" * 301)
    assert "300" in _text(await alice.receive())
    await alice.send("/ask What <b>song</b> reminds you of us?")
    assert "Saved" in _text(await alice.receive())
    bot.clock.set(_at(15, 9))
    await bot.tick()
    to_bob = await bob.receive()
    assert "A question from Alice" in _text(to_bob)
    assert "What <b>song</b> reminds you of us?" in _text(to_bob)
    to_alice = await alice.receive()
    assert "What <b>song</b>" in _text(to_alice)


async def test_history_from_someone_never_paired_says_how_to_pair(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    carol = api.user(3, "Carol")
    await carol.send("/history")
    assert (await carol.receive())["html"] == texts.NOT_PAIRED


async def test_history_pages_through_revealed_answers_newest_first(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    for day in range(14, 21):
        bot.clock.set(_at(day, 9, 30))
        await bot.tick()
        await bot.settle()
        await _answer_today(bot, alice, bob)
    await bot.settle()
    alice.unread()
    await alice.send("/history")
    page = await alice.receive()
    assert "1–5 of 7" in _text(page)
    assert "Alice answers" in _text(page) and "Bob answers" in _text(page)
    await alice.press(page, "Older")
    edited = await alice.receive()
    assert "6–7 of 7" in _text(edited)


async def test_a_seven_day_streak_is_celebrated_and_paused_days_do_not_break_it(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _answer_today(bot, alice, bob)
    for day in range(15, 18):
        bot.clock.set(_at(day, 9, 30))
        await bot.tick()
        await bot.settle()
        await _answer_today(bot, alice, bob)
    await alice.send("/pause 3d")
    await bot.settle()
    bot.clock.set(_at(20, 9, 31))  # the pause ends; no question on paused days
    assert (await bot.tick()).pauses_ended == 1
    for day in range(21, 24):
        bot.clock.set(_at(day, 9, 30))
        await bot.tick()
        await bot.settle()
        await _answer_today(bot, alice, bob)
    await bot.settle()
    milestone = [m for m in alice.inbox if "7 questions in a row" in _text(m)]
    assert len(milestone) == 1
    alice.unread()
    await alice.send("/streak")
    assert "7 questions in a row" in _text(await alice.receive())


async def test_a_reaction_under_a_reveal_notifies_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _answer_today(bot, alice, bob)
    reveal = next(m for m in alice.inbox if "said:" in _text(m))
    bob.unread()
    answer = await alice.press(reveal, "talk")
    assert "Sent to Bob" in answer["text"]
    assert "talk about your answer tonight" in _text(await bob.receive())
    forged = await alice.press(reveal, "talk", data="react:999999:heart")
    assert "expired" in forged["text"]


async def test_delete_my_data_removes_it_unpairs_and_tells_the_partner_nothing_of_it(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _answer_today(bot, alice, bob)
    alice.unread()
    bob.unread()
    await alice.send("/deletemydata")
    confirm = await alice.receive()
    assert "can't be undone" in _text(confirm)
    forged = await alice.press(confirm, "Yes", data=f"delete:yes:{bob.id}")
    assert "expired" in forged["text"]
    await alice.press(confirm, "Yes")
    told = await bob.receive()
    assert "deleted their Nearer data" in _text(told)
    assert "Alice answers" not in _text(told)
    async with bot.services.db.transaction() as tx:
        assert await tx.get_person(alice.id) is None
        assert await tx.active_pair_of(bob.id) is None
    bob.unread()
    await bob.send("/history")
    page = _text(await bob.receive())
    assert "Bob answers" in page and "Alice answers" not in page


async def test_export_sends_my_answers_and_only_revealed_partner_answers(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _answer_today(bot, alice, bob)
    bot.clock.set(_at(15, 9, 30))
    await bot.tick()
    await bot.settle()
    await _answer_today(bot, bob)
    alice.unread()
    await alice.send("/export")
    document = await alice.receive()
    data = json.loads(document["document_bytes"])
    assert data["you"]["first_name"] == "Alice"
    first, second = data["questions"]
    assert first["your_answer"]["text"] == "Alice answers"
    assert first["partner_answer"]["text"] == "Bob answers"
    assert second["partner_answer"] is None  # Bob answered, but it was never revealed to Alice


async def test_support_and_commands_that_need_a_pair(bot: RunningBot, api: FakeBotAPI) -> None:
    carol = api.user(3, "Carol")
    await carol.send("/support")
    assert "not therapy" in _text(await carol.receive())
    for command in ("/pause", "/resume", "/skip", "/ask hi", "/streak", "/settings", "/time 9:00"):
        await carol.send(command)
        assert "not paired" in _text(await carol.receive()), command


async def test_blocking_pauses_the_pair_tells_the_partner_once_and_unblocking_offers_resume(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.block()
    told = await bob.receive()
    assert "can't reach" in _text(told)
    await alice.block()
    await bot.settle()
    assert bob.unread() == []
    bot.clock.set(_at(15, 9))
    assert (await bot.tick()).delivered == 0
    await alice.unblock()
    assert "Welcome back" in _text(await alice.receive())
    await alice.send("/resume")
    assert "Welcome back" in _text(await alice.receive())


async def test_a_403_while_sending_pauses_the_pair_and_tells_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    alice.blocked = True  # blocked without the bot having seen the update
    bot.clock.set(_at(15, 9))
    await bot.tick()
    told = await bob.receive_until(lambda m: "can't reach" in _text(m))
    assert told
    alice.blocked = False
    await alice.send("hello again")
    assert "Welcome back" in _text(await alice.receive())


async def test_reminder_timing_is_set_in_the_settings_menu(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, _ = await _pairs(bot, api)
    await alice.send("/settings")
    menu = await alice.receive()
    await alice.press(menu, "Reminders: off")
    assert "Your reminders: on (after 4 h)" in _text(await alice.receive())
    await alice.press(menu, "Reminder timing")
    await alice.receive()
    await alice.press(menu, "2 h")
    assert "(after 2 h)" in _text(await alice.receive())
    bot.clock.set(_at(14, 9, 29))  # the question went out at 07:30
    assert (await bot.tick()).reminders == 0
    bot.clock.set(_at(14, 9, 30))
    assert (await bot.tick()).reminders == 1
    assert "gentle reminder" in _text(await alice.receive())


async def test_an_appreciation_repeated_after_a_crash_reaches_the_partner_once(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    bot.clock.set(_at(14, 19))
    await bot.tick()
    nudge = await alice.receive()
    await bob.receive()
    gift = await alice.reply(nudge, "Thank you for the soup")
    assert "Sent to Bob" in _text(await alice.receive())
    await api.push_update({"message": gift})  # Telegram sends an unconfirmed update again
    assert "Sent to Bob" in _text(await alice.receive())
    await bot.settle()
    assert sum("Thank you for the soup" in _text(m) for m in bob.inbox) == 1
