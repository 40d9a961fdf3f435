"""Everyday controls end to end: nudges, reminders, pause, settings, skip, ask, history,
streaks, reactions, privacy and blocking."""

from __future__ import annotations

import datetime as dt
import json

from bot import texts
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import (
    RunningBot,
    includes,
    including,
    is_guess_question,
    is_question,
    pair_up,
    receive_new,
    saying,
    says,
    unread_new,
)

UTC = dt.UTC


def _text(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def _is_question(message: dict) -> bool:
    """A question as it arrives (not a later edit of it showing who has answered)."""
    return is_question(message) and not message.get("edited")


async def _answer_today(bot: RunningBot, *users: FakeUser) -> None:
    for user in users:
        question = [m for m in user.inbox if _is_question(m)][-1]
        await user.reply(question, f"{user.first_name} answers")
        if is_guess_question(question):  # a guess-your-partner question takes a guess too
            await user.reply(question, f"{user.first_name} guesses")
    await bot.settle()


async def _pairs(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser]:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    return alice, bob


async def _friday_evening(bot: RunningBot, alice: FakeUser, bob: FakeUser) -> None:
    """Both answer every question from Wednesday to Friday, and it is 19:00 on Friday: nudge
    time (Tuesdays and Fridays at 19:00 by default, never on top of an unanswered question)."""
    await _answer_today(bot, alice, bob)
    for day in (15, 16):
        bot.clock.set(_at(day, 9))
        await bot.tick()
        await alice.receive_until(_is_question)
        await bob.receive_until(_is_question)
        await _answer_today(bot, alice, bob)
    bot.clock.set(_at(16, 19))
    alice.unread()
    bob.unread()


async def test_an_evening_nudge_turns_a_reply_into_a_gift_with_a_heart_back(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _friday_evening(bot, alice, bob)
    report = await bot.tick()
    assert report.nudges == 2
    nudge = await alice.receive()
    assert says(nudge, texts.NUDGE, partner="Bob") and nudge["silent"]
    await bob.receive()
    await alice.reply(nudge, "You made my morning with that coffee")
    assert says(await receive_new(alice), texts.GIFT_SENT, partner="Bob")
    gift = await bob.receive_until(including(texts.GIFT_HEADER, name="Alice"))
    assert "You made my morning with that coffee" in _text(gift[-1])
    heart = api.button_data(gift[-1], texts.HEART_BUTTON)
    answer = await bob.press(gift[-1], texts.HEART_BUTTON)
    assert says(answer, texts.HEART_SENT)
    assert says(await receive_new(alice), texts.HEART_RECEIVED, name="Bob")
    # The button changed in place; a second tap (say from a stale screen) sends nothing more.
    again = await bob.press(gift[-1], "", data=heart)
    assert says(again, texts.HEART_ALREADY)


async def test_a_partner_who_ignores_a_nudge_is_not_chased(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _friday_evening(bot, alice, bob)
    await bot.tick()
    await bot.settle()
    assert [m for m in alice.unread() if says(m, texts.NUDGE)]
    for hour in (20, 21, 23):
        bot.clock.set(_at(16, hour))
        await bot.tick()
    await bot.settle()
    assert alice.unread() == []


async def test_nudges_can_be_turned_off_for_one_partner(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/settings")
    menu = await alice.receive()
    await alice.press(menu, texts.SETTINGS_BUTTON_NUDGES.format(state=texts.ON))
    assert says(await alice.receive(), texts.SETTINGS, nudges=texts.OFF)
    await _friday_evening(bot, alice, bob)
    assert (await bot.tick()).nudges == 1
    await bot.settle()
    assert not [m for m in alice.unread() if includes(m, texts.NUDGE)]
    assert [m for m in bob.unread() if says(m, texts.NUDGE)]


async def test_a_reminder_comes_once_after_the_set_hours_and_names_a_partner_who_answered(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/reminders maybe")
    assert says(await alice.receive(), texts.REMINDERS_USAGE)
    await alice.send("/reminders on")
    assert says(await alice.receive(), texts.REMINDERS_ON)
    answer = await bob.send("Bob was quick")
    await bot.settle()
    assert bob.reactions_on(answer) == ["✍"]
    unread_new(alice)  # Alice's question now shows that Bob has answered
    bot.clock.set(_at(14, 12, 29))  # the question went out at 08:30; 4 hours have not passed
    assert (await bot.tick()).reminders == 0
    bot.clock.set(_at(14, 12, 30))
    assert (await bot.tick()).reminders == 1
    reminder = await receive_new(alice)
    assert says(reminder, texts.REMINDER_PARTNER_ANSWERED, partner="Bob")
    bot.clock.set(_at(14, 15))
    assert (await bot.tick()).reminders == 0
    await bot.settle()
    assert unread_new(bob) == []  # Bob never opted in


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
    assert says(await alice.receive(), texts.PAUSED, until=texts.PAUSE_UNTIL_RESUMED)
    await bot.pass_change_window()
    told = await bob.receive()
    assert says(told, texts.CHANGES_ONE, name="Alice")
    assert includes(told, texts.CHANGE_PAUSED, until=texts.PAUSE_UNTIL_RESUMED)
    bot.clock.set(_at(15, 9))
    report = await bot.tick()
    assert (report.delivered, report.nudges) == (0, 0)
    await alice.send("/pause 2w")
    assert says(await alice.receive(), texts.PAUSED_UPDATED)
    await bot.pass_change_window()
    told = await bob.receive()
    assert includes(told, texts.CHANGE_PAUSED) and "until Thursday 29 January" in _text(told)
    await bob.send("/resume")
    assert says(await bob.receive(), texts.RESUMED)
    await bot.pass_change_window()
    told = await alice.receive()
    assert says(told, texts.CHANGES_ONE, name="Bob") and includes(told, texts.CHANGE_RESUMED)
    await bob.send("/resume")
    assert says(await bob.receive(), texts.NOT_PAUSED)
    bot.clock.set(_at(16, 9))
    assert (await bot.tick()).delivered == 1


async def test_a_timed_pause_ends_by_itself_with_a_note_to_both(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/pause 3d")
    assert says(await alice.receive(), texts.PAUSED)
    await bot.pass_change_window()
    await bob.receive()
    bot.clock.set(_at(17, 8, 29))  # three days from 08:30
    assert (await bot.tick()).pauses_ended == 0
    bot.clock.set(_at(17, 8, 31))
    report = await bot.tick()
    assert report.pauses_ended == 1
    assert says(await alice.receive(), texts.PAUSE_ENDED)
    assert says(await bob.receive(), texts.PAUSE_ENDED)
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
        assert says(await alice.receive(), texts.PAUSE_USAGE), bad


async def test_settings_change_in_place_and_are_announced_to_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/settings")
    menu = await alice.receive()
    assert says(menu, texts.SETTINGS, when="09:00 (UTC)")

    async def press(label: str) -> dict:
        await alice.press(menu, label)
        edited = await alice.receive_until(lambda m: m.get("message_id") == menu["message_id"])
        return edited[-1]

    await press(texts.SETTINGS_BUTTON_TIME)
    assert says(await press("20:00"), texts.SETTINGS, when="20:00 (UTC)")
    await press(texts.SETTINGS_BUTTON_TOPICS)
    await press("Play")
    await press(texts.BUTTON_BACK)
    await press(texts.SETTINGS_BUTTON_DEPTH)
    await press(texts.DEPTH_NAMES["deepest"])
    await bot.pass_change_window()
    # Changes made within a minute reach the partner as one notice.
    # Alice's own time is hers alone: it is not among them.
    summary = await bob.receive()
    assert says(summary, texts.CHANGES_MANY, name="Alice")
    assert not includes(summary, texts.CHANGE_SCHEDULE) and "20:00" not in _text(summary)
    assert includes(summary, texts.CHANGE_TOPIC, topic="Play and fun", state=texts.OFF)
    assert includes(summary, texts.CHANGE_DEPTH, depth=texts.DEPTH_NAMES["deepest"])
    await bot.settle()
    assert bob.unread() == []
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(alice.id)
        me, partner = await tx.get_person(alice.id), await tx.get_person(bob.id)
    assert pair is not None and me is not None and partner is not None
    assert me.clock(pair).send_time == dt.time(20, 0)
    assert partner.clock(pair).send_time == dt.time(9, 0)
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
        answer = await alice.press(menu, texts.SETTINGS_BUTTON_TIME, data=data)
        assert says(answer, texts.MENU_EXPIRED)
    async with bot.services.db.transaction() as tx:
        unchanged = await tx.get_pair(other.id)
    assert unchanged is not None and unchanged.schedule.send_time == dt.time(9, 0)


async def test_skip_swaps_todays_question_until_someone_answers(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    first = _text(alice.inbox[-1])
    await alice.send("/skip")
    new_for_alice = await alice.receive_until(is_question)
    assert any(includes(m, texts.SKIPPED_NOTE) for m in new_for_alice)
    bob_seen = await bob.receive_until(is_question)
    assert any(includes(m, texts.SKIPPED_PARTNER_NOTE, name="Alice") for m in bob_seen)
    assert _text(new_for_alice[-1]) != first
    answer = await bob.send("answering the new one")
    await bot.settle()
    assert bob.reactions_on(answer) == ["✍"]
    await alice.send("/skip")
    assert says(await receive_new(alice), texts.SKIP_TOO_LATE)


async def test_a_question_from_ask_comes_on_a_later_day_marked_as_from_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/ask")
    assert says(await alice.receive(), texts.ASK_USAGE)
    await alice.send("/ask " + "x" * 301)
    assert says(await alice.receive(), texts.ASK_USAGE)
    await alice.send("/ask What <b>song</b> reminds you of us?")
    assert says(await alice.receive(), texts.ASK_SAVED, count=1)
    bot.clock.set(_at(15, 9))
    await bot.tick()
    to_bob = await bob.receive()
    assert says(to_bob, texts.QUESTION_FROM_PARTNER, author="Alice")
    assert "What <b>song</b> reminds you of us?" in _text(to_bob)
    to_alice = await alice.receive()
    assert "What <b>song</b>" in _text(to_alice)


async def test_history_from_someone_never_paired_says_how_to_pair(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    carol = api.user(3, "Carol")
    await carol.send("/history")
    assert says(await carol.receive(), texts.NOT_PAIRED)


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
    assert includes(page, texts.HISTORY_HEADER, first=1, last=5, total=7)
    assert "Alice answers" in _text(page) and "Bob answers" in _text(page)
    await alice.press(page, texts.HISTORY_OLDER)
    edited = await alice.receive()
    assert includes(edited, texts.HISTORY_HEADER, first=6, last=7, total=7)


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
    milestone = [m for m in alice.inbox if includes(m, texts.STREAK_MILESTONE, count=7)]
    assert len(milestone) == 1
    alice.unread()
    await alice.send("/streak")
    assert says(await alice.receive(), texts.STREAK, count=7)


async def test_a_reaction_under_a_reveal_notifies_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _answer_today(bot, alice, bob)
    reveal = next(m for m in alice.inbox if includes(m, texts.REVEAL_HEADER, partner="Bob"))
    bob.unread()
    answer = await alice.press(reveal, texts.REACT_TALK)
    assert says(answer, texts.REACTED, partner="Bob")
    assert says(await bob.receive(), texts.REACTION_TALK, name="Alice")
    forged = await alice.press(reveal, texts.REACT_TALK, data="react:999999:heart")
    assert says(forged, texts.MENU_EXPIRED)


async def test_delete_my_data_removes_it_unpairs_and_tells_the_partner_nothing_of_it(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _answer_today(bot, alice, bob)
    alice.unread()
    bob.unread()
    await alice.send("/deletemydata")
    confirm = await alice.receive()
    assert says(confirm, texts.DELETE_CONFIRM)
    forged = await alice.press(confirm, texts.DELETE_YES, data=f"delete:yes:{bob.id}")
    assert says(forged, texts.MENU_EXPIRED)
    await alice.press(confirm, texts.DELETE_YES)
    told = await bob.receive()
    assert says(told, texts.DELETE_PARTNER)
    assert "Alice answers" not in _text(told)
    async with bot.services.db.transaction() as tx:
        assert await tx.get_person(alice.id) is None
        assert await tx.active_pair_of(bob.id) is None
    bob.unread()
    await bob.send("/history")
    history = await bob.receive()
    assert includes(history, texts.HISTORY_HEADER)
    page = _text(history)
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
    assert says(await carol.receive(), texts.SUPPORT)
    for command in ("/pause", "/resume", "/skip", "/ask hi", "/streak", "/settings", "/time 9:00"):
        await carol.send(command)
        assert says(await carol.receive(), texts.NOT_PAIRED), command


async def test_blocking_pauses_the_pair_tells_the_partner_once_and_unblocking_offers_resume(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.block()
    told = await bob.receive()
    assert says(told, texts.PARTNER_UNREACHABLE, name="Alice")
    await alice.block()
    await bot.settle()
    assert bob.unread() == []
    bot.clock.set(_at(15, 9))
    assert (await bot.tick()).delivered == 0
    await alice.unblock()
    assert says(await alice.receive(), texts.WELCOME_BACK, partner="Bob")
    await alice.send("/resume")
    assert says(await alice.receive(), texts.RESUMED)


async def test_a_403_while_sending_pauses_the_pair_and_tells_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    alice.blocked = True  # blocked without the bot having seen the update
    bot.clock.set(_at(15, 9))
    await bot.tick()
    told = await bob.receive_until(saying(texts.PARTNER_UNREACHABLE, name="Alice"))
    assert told
    alice.blocked = False
    await alice.send("hello again")
    assert says(await alice.receive(), texts.WELCOME_BACK, partner="Bob")


async def test_reminder_timing_is_set_in_the_settings_menu(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, _ = await _pairs(bot, api)
    await alice.send("/settings")
    menu = await alice.receive()
    await alice.press(menu, texts.SETTINGS_BUTTON_REMINDERS.format(state=texts.OFF))
    assert says(await alice.receive(), texts.SETTINGS, reminders=texts.ON, hours=4)
    await alice.press(menu, texts.SETTINGS_BUTTON_HOURS)
    await alice.receive()
    await alice.press(menu, texts.HOURS_LABEL.format(hours=2))
    assert says(await alice.receive(), texts.SETTINGS, hours=2)
    bot.clock.set(_at(14, 10, 29))  # the question went out at 08:30
    assert (await bot.tick()).reminders == 0
    bot.clock.set(_at(14, 10, 30))
    assert (await bot.tick()).reminders == 1
    assert says(await alice.receive(), texts.REMINDER)


async def test_an_appreciation_repeated_after_a_crash_reaches_the_partner_once(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await _friday_evening(bot, alice, bob)
    await bot.tick()
    nudge = await alice.receive()
    await bob.receive()
    gift = await alice.reply(nudge, "Thank you for the soup")
    assert says(await alice.receive(), texts.GIFT_SENT, partner="Bob")
    await api.push_update({"message": gift})  # Telegram sends an unconfirmed update again
    assert says(await alice.receive(), texts.GIFT_SENT, partner="Bob")
    await bot.settle()
    assert sum("Thank you for the soup" in _text(m) for m in bob.inbox) == 1
