"""Regressions found by living with the bot for weeks ("A year in the life"), end to end.

Each test drives the real Application over HTTP against the fake Bot API and fails on the
code before its fix.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from bot import texts
from bot.domain.models import PromptKind, Schedule
from bot.domain.outbox import MessageKind, NewMessage
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser
from tests.support import (
    RunningBot,
    button_label,
    includes,
    including,
    is_question,
    pair_up,
    question_words,
    saying,
    says,
)

UTC = dt.UTC


def _text(message: JSON) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _questions(user: FakeUser) -> list[JSON]:
    return [m for m in user.unread() if is_question(m)]


async def _invite_code(user: FakeUser) -> str:
    await user.send("/invite")
    link = await user.receive_until(saying(texts.INVITE_CREATED))
    return _text(link[-1]).split("?start=")[1].split()[0]


# 1. The scheduler ---------------------------------------------------------------------------


async def test_fifty_one_ended_pairs_with_due_nudges_do_not_stop_the_scheduler(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    now = bot.clock.now
    async with bot.services.db.transaction() as tx:
        for index in range(51):
            a, b = 1000 + 2 * index, 1001 + 2 * index
            await tx.upsert_person(a, a, "Former", now)
            await tx.upsert_person(b, b, "Couple", now)
            pair = await tx.create_pair((a, b), Schedule("UTC", dt.time(9)), index, now)
            assert pair is not None
            for member in (a, b):  # nudges are each person's own
                await tx.set_nudge_plan(member, next_at=now)
            await tx.end_pair(pair.id, now)
        # Both answer today's question (no nudge comes on top of an unanswered one), and
        # their nudge is due this evening (Tuesdays and Fridays by default; this is Wednesday).
        for person in (alice, bob):
            await tx.set_nudge_plan(person.id, next_at=now.replace(hour=19, minute=0))
    for person in (alice, bob):
        await person.reply(person.inbox[-1], f"{person.first_name} answers")
    await bot.settle()
    alice.unread()
    bob.unread()
    bot.clock.set(now.replace(hour=19, minute=0))
    report = await asyncio.wait_for(bot.tick(), timeout=20)
    assert report.nudges == 2  # Alice's and Bob's evening nudges, nothing for the ended pairs
    assert says(await alice.receive(), texts.NUDGE, partner="Bob")
    bot.clock.set((now + dt.timedelta(days=1)).replace(hour=9, minute=0))
    assert (await asyncio.wait_for(bot.tick(), timeout=20)).delivered == 1
    arrived = await bob.receive_until(is_question)
    assert question_words(arrived[-1])


# 2. A correction after the evening nudge ----------------------------------------------------


async def test_a_plain_message_after_answering_replaces_the_answer_and_never_reaches_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    question = alice.inbox[-1]
    first = await alice.reply(question, "First thought: the lake trip")
    await bot.settle()
    assert alice.reactions_on(first) == ["✍"]
    bot.clock.set(bot.clock.now.replace(hour=19))
    await bot.tick()
    await bot.settle()
    alice.unread()
    bob.unread()
    correction = await alice.send("Correction: the lake trip in June, not May")
    asked = await alice.receive()
    assert says(asked, texts.ASK_REPLACE)
    await alice.press(asked, button_label(texts.REPLACE_BUTTON))
    await bot.settle()
    assert alice.reactions_on(correction) == ["✍"]
    assert bob.unread() == []  # nothing of Alice's reached Bob before he answered
    await bob.send("The concert")
    reveal = await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice"))
    assert "June, not May" in _text(reveal[-1])


# 3. One chat's backlog ----------------------------------------------------------------------


async def test_a_chat_with_a_long_backlog_does_not_hold_up_another_pairs_reveal(
    api: FakeBotAPI, tmp_path: Path, clock: Any, library: Any
) -> None:
    bot = RunningBot(api, tmp_path / "nearer.sqlite3", clock, library)
    bot.paced = True  # Telegram's pace of about one message a second per chat
    await bot.start()
    try:
        alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
        await pair_up(bot, alice, bob)
        carol = api.user(3, "Carol")
        await carol.send("/start")
        await carol.receive()
        async with bot.services.db.transaction() as tx:
            notices = [
                NewMessage(3, 3, MessageKind.NOTICE, payload={"text": f"notice {n}"})
                for n in range(40)
            ]
            await tx.enqueue(notices, bot.clock.now)
        bot.runtime.dispatcher.wake()  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
        await alice.send("Alice's answer")
        await bob.send("Bob's answer")
        started = time.monotonic()
        await alice.receive_until(including(texts.REVEAL_HEADER, partner="Bob"), timeout=30)
        waited = time.monotonic() - started
        # Before the fix every worker waited on Carol's chat: the reveal took ~30 s.
        assert waited < 5, f"the reveal waited {waited:.1f}s behind another chat's backlog"
    finally:
        await bot.stop()


# 4. Partner notices -------------------------------------------------------------------------


async def test_swapping_the_question_is_limited_per_day_and_sends_the_partner_one_message_each(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    for _ in range(5):
        await alice.send("/skip")
        await alice.receive()
        await bot.settle()
    await bot.pass_change_window()
    received = bob.unread()
    assert len(received) == 3  # three swaps a day, each one message: the note and the question
    assert all(
        includes(m, texts.SKIPPED_PARTNER_NOTE, name="Alice") and is_question(m) for m in received
    )
    assert any(says(m, texts.SKIP_LIMIT, count=3) for m in alice.inbox)


async def test_pause_and_setting_changes_within_a_minute_reach_the_partner_as_one_notice(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    for command in ("/pause", "/pause 3d", "/resume", "/pause 2w", "/time 20:00", "/time 20:00"):
        await alice.send(command)
        await alice.receive()
    await alice.send("/settings")  # how often is the pair's (her own time is hers alone)
    menu = await alice.receive()
    for label in (texts.SETTINGS_BUTTON_FREQUENCY, texts.FREQUENCY_NAMES["weekdays"]):
        await alice.press(menu, label)  # the menu is edited in place
        await bot.settle()
    await bot.settle()
    assert bob.unread() == []
    await bot.pass_change_window()
    notices = bob.unread()
    assert len(notices) == 1
    assert says(notices[0], texts.CHANGES_MANY, name="Alice")
    assert includes(notices[0], texts.CHANGE_PAUSED)
    assert includes(
        notices[0], texts.CHANGE_FREQUENCY, frequency=texts.FREQUENCY_NAMES["weekdays"]
    )
    assert not includes(notices[0], texts.CHANGE_SCHEDULE) and "20:00" not in _text(notices[0])


async def test_pausing_and_resuming_within_a_minute_tells_the_partner_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/pause")
    await alice.receive()
    await alice.send("/resume")
    await alice.receive()
    await bot.pass_change_window()
    assert bob.unread() == []


async def test_choosing_the_setting_already_chosen_tells_the_partner_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/settings")
    menu = await alice.receive()
    await alice.press(menu, texts.SETTINGS_BUTTON_DEPTH)
    await alice.receive_until(lambda m: m.get("message_id") == menu["message_id"])
    await alice.press(menu, texts.DEPTH_NAMES["grow"])  # the depth every pair starts with
    await alice.send("/time 09:00")  # the time every pair starts with
    await alice.receive_until(saying(texts.SCHEDULE_CHANGED))
    await bot.pass_change_window()
    assert bob.unread() == []


# 5. Deleting one's data ---------------------------------------------------------------------


def _rows_mentioning(path: Path, needles: list[str]) -> list[str]:
    found = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    cell = str(value)
                    for needle in needles:
                        if needle == cell or (len(needle) > 3 and needle in cell):
                            found.append(f"{table}: {cell[:60]}")
    return found


async def test_deleting_ones_data_leaves_nothing_in_any_table_or_file(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2_000_002, "Bartholomew")
    await pair_up(bot, alice, bob)
    await bob.send("/invite")  # refused (paired), but exercises the invite path
    await bob.receive()
    await bob.send("/ask What is the zanzibarquestion we never asked?")
    await bob.receive()
    await bob.send("My answer mentions the xylophonesecret")
    await bob.receive()
    await alice.send("Alice answers too")
    await alice.receive_until(including(texts.REVEAL_HEADER, partner="Bartholomew"))
    evening = bot.clock.now.replace(hour=19, minute=0)
    async with bot.services.db.transaction() as tx:  # his nudge tonight (a Wednesday)
        await tx.set_nudge_plan(bob.id, next_at=evening)
    bot.clock.set(evening)
    await bot.tick()
    nudge = await bob.receive_until(saying(texts.NUDGE, partner="Alice"))
    await bob.reply(nudge[-1], "You are my quokkaappreciation")
    await bob.receive()
    await bob.send("/pause")
    await bob.receive()
    await bot.settle()
    await bob.send("/deletemydata")
    confirm = await bob.receive()
    await bob.press(confirm, texts.DELETE_YES)
    await bot.settle()
    await bot.pass_change_window()
    database = bot.database_path
    needles = [str(bob.id), "Bartholomew", "zanzibarquestion", "xylophonesecret", "quokka"]
    assert _rows_mentioning(database, needles) == []
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            data = path.read_bytes()
            for word in ("Bartholomew", "zanzibarquestion", "xylophonesecret", "quokka"):
                assert word.encode() not in data, f"{word} still in {path.name}"
    bob.unread()
    await bob.send("/export")
    export = await bob.receive()
    exported = export["document_bytes"].decode()
    assert json.loads(exported)["questions"] == []
    assert "xylophonesecret" not in exported and "Alice answers too" not in exported
    await bob.send("/history")
    assert "Alice answers too" not in _text(await bob.receive())
    # Alice keeps her own answer in her history.
    await alice.send("/history")
    history = await alice.receive_until(including(texts.HISTORY_HEADER))
    assert "Alice answers too" in _text(history[-1])


# 6. An old invite ---------------------------------------------------------------------------


async def test_an_invite_made_before_pairing_with_someone_else_never_pairs_again(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, carol, dave = api.user(1, "Alice"), api.user(3, "Carol"), api.user(4, "Dave")
    await alice.send("/start")
    old_code = await _invite_code(alice)
    await carol.send("/start")
    carols_code = await _invite_code(carol)
    await alice.send(f"/start {carols_code}")
    offer = (await alice.receive_until(lambda m: "reply_markup" in m))[-1]
    await alice.press(offer, texts.ACCEPT_BUTTON)
    for person in (alice, carol):  # "where are you?": both skip, and the first question comes
        ask = (await person.receive_until(saying(texts.ZONE_ASK)))[-1]
        await person.press(ask, texts.ZONE_SKIP)
    await alice.receive_until(saying(texts.QUESTION))
    await alice.send("/unpair")
    confirm = await alice.receive_until(lambda m: "reply_markup" in m)
    await alice.press(confirm[-1], texts.UNPAIR_YES)
    await bot.settle()
    await dave.send(f"/start {old_code}")
    reply = await dave.receive()
    assert says(reply, texts.INVITE_UNKNOWN) or says(reply, texts.INVITE_EXPIRED)
    assert "reply_markup" not in reply  # no offer to pair
    async with bot.services.db.transaction() as tx:
        assert await tx.active_pair_of(alice.id) is None


# Blocking the bot and coming back --------------------------------------------------------------


async def test_resuming_while_the_partner_blocks_the_bot_waits_and_their_return_is_announced(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await bob.block()
    assert says(await alice.receive(), texts.PARTNER_UNREACHABLE, name="Bob")
    await alice.send("/resume")
    assert says(await alice.receive(), texts.RESUME_PARTNER_AWAY)
    bot.clock.set((bot.clock.now + dt.timedelta(days=1)).replace(hour=9))
    assert (await bot.tick()).delivered == 0  # still paused: questions would only bounce
    await bob.unblock()
    assert says(await alice.receive(), texts.PARTNER_BACK, name="Bob")
    await alice.send("/resume")
    assert says(await alice.receive(), texts.RESUMED)


# Found by the simulation --------------------------------------------------------------------


async def test_a_reminders_button_handled_twice_sets_the_same_state_twice(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/settings")
    menu = await alice.receive()
    label = texts.SETTINGS_BUTTON_REMINDERS.format(state=texts.OFF)
    data = api.button_data(menu, label)
    for _ in range(2):  # the same press again, as after a crash before Telegram was told
        await alice.press(menu, label, data=data)
        await bot.settle()
    async with bot.services.db.transaction() as tx:
        person = await tx.get_person(alice.id)
    assert person is not None and person.reminders_on


async def test_editing_an_answer_of_an_ended_pairing_says_it_stays_as_it_was(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    answer = await alice.send("An answer before we parted")
    await alice.receive()
    await alice.send("/unpair")
    confirm = await alice.receive_until(lambda m: "reply_markup" in m)
    await alice.press(confirm[-1], texts.UNPAIR_YES)
    await bot.settle()
    alice.unread()
    await alice.edit(answer, "An edit after")
    assert says(await alice.receive(), texts.EDIT_PAIR_ENDED)


async def test_an_old_button_pressed_after_deleting_ones_data_records_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2_000_003, "Bartholomew")
    await pair_up(bot, alice, bob)
    await alice.send("Alice's answer")
    await bob.send("Bob's answer")
    reveal = (await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice")))[-1]
    await bob.send("/deletemydata")
    confirm = await bob.receive_until(lambda m: "reply_markup" in m)
    await bob.press(confirm[-1], texts.DELETE_YES)
    await bot.settle()
    await bob.press(reveal, texts.REACT_HEART)  # a stale button under an old reveal
    await bob.send("/history")
    await bob.receive_until(saying(texts.NOT_PAIRED))
    await bot.settle()
    assert _rows_mentioning(bot.database_path, [str(bob.id), "Bartholomew"]) == []


async def test_a_due_reminder_arrives_though_many_earlier_ones_are_not_due_yet(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/reminders on")  # after 4 hours
    await alice.receive()
    earlier = bot.clock.now - dt.timedelta(hours=1)
    async with bot.services.db.transaction() as tx:
        # 101 people asked earlier, whose 12-hour reminders are not due: before the fix the
        # tick looked only at the first 50 candidates and never reached Alice.
        for index in range(101):
            a, b = 5000 + 2 * index, 5001 + 2 * index
            await tx.upsert_person(a, a, "Early", earlier)
            await tx.upsert_person(b, b, "Bird", earlier)
            pair = await tx.create_pair((a, b), Schedule("UTC", dt.time(6)), index, earlier)
            assert pair is not None
            await tx.set_person_settings(a, reminders_on=True, reminder_hours=12)
            await tx.create_prompt(
                pair.id,
                PromptKind.QUESTION,
                content_id="q",
                text="Q?",
                local_date=earlier.date(),
                now=earlier,
            )
    bot.clock.advance(hours=4, minutes=5)
    assert (await bot.tick()).reminders == 1
    assert says(await alice.receive(), texts.REMINDER)
