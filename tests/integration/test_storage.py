"""Storage on both backends (SQLite on a temporary file, a real PostgreSQL): pairing, prompts,
the outbox, snapshots and history; SQLite migrations and restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.config import load_settings
from bot.content import Library
from bot.domain.models import Answer, AnswerKind, PromptKind, Schedule
from bot.domain.outbox import MessageKind, NewMessage
from bot.storage import Database, Store
from bot.storage.migrations import MIGRATIONS
from bot.usecases.answers import IncomingAnswer, submit_answer
from bot.usecases.common import Services

NOW = dt.datetime(2026, 1, 14, 8, 0, tzinfo=dt.UTC)
SCHEDULE = Schedule("UTC", dt.time(9, 0))
ANSWER = "A slow walk by the river on a Sunday morning"


async def _people(db: Store, *ids: int) -> None:
    async with db.transaction() as tx:
        for user_id in ids:
            await tx.upsert_person(user_id, user_id, f"P{user_id}", NOW)


async def test_a_fresh_database_is_migrated_to_the_newest_schema(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "sub" / "dir" / "nearer.sqlite3")
    assert await db.schema_version() == len(MIGRATIONS)
    assert await db.integrity_check() == "ok"
    await db.close()


async def test_every_earlier_schema_version_upgrades_to_the_newest(tmp_path: Path) -> None:
    for version in range(len(MIGRATIONS)):
        path = tmp_path / f"v{version}.sqlite3"
        async with aiosqlite.connect(path) as conn:
            for number, script in enumerate(MIGRATIONS[:version], start=1):
                await conn.executescript(script + f"\nPRAGMA user_version = {number};")
        db = await Database.open(path)
        assert await db.schema_version() == len(MIGRATIONS)
        await db.close()


async def test_data_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nearer.sqlite3"
    db = await Database.open(path)
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 42, NOW)
    await db.close()
    db = await Database.open(path)
    async with db.transaction() as tx:
        assert pair is not None
        assert await tx.active_pair_of(2) == pair
        journal = await (await tx._conn.execute("PRAGMA journal_mode")).fetchone()
        assert journal is not None and journal[0] == "wal"
    await db.close()


async def test_someone_already_paired_cannot_be_paired_again(store: Store) -> None:
    db = store
    await _people(db, 1, 2, 3)
    async with db.transaction() as tx:
        assert await tx.create_pair((1, 2), SCHEDULE, 1, NOW) is not None
        assert await tx.create_pair((3, 2), SCHEDULE, 1, NOW) is None
        assert (await tx.get_person(3)).pair_id is None  # type: ignore[union-attr]
        figures = await tx.stats(NOW)
        assert (figures["pairs_active"], figures["pairs_ended"]) == (1, 0)


async def test_a_pair_gets_at_most_one_question_per_local_day(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        day = dt.date(2026, 1, 14)
        first = await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="a", text="A?", local_date=day, now=NOW
        )
        again = await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="b", text="B?", local_date=day, now=NOW
        )
        exercise = await tx.create_prompt(
            pair.id, PromptKind.EXERCISE, content_id="e", text="E", local_date=day, now=NOW
        )
        assert first is not None and again is None and exercise is not None
        assert await tx.mark_revealed(first.id, NOW)
        assert not await tx.mark_revealed(first.id, NOW)


async def test_the_question_before_is_the_first_message_of_the_latest_earlier_prompt(
    store: Store,
) -> None:
    await _people(store, 1, 2)
    async with store.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        prompts = []
        for offset in range(2):
            day = dt.date(2026, 1, 14) + dt.timedelta(days=offset)
            prompt = await tx.create_prompt(
                pair.id, PromptKind.QUESTION, content_id=f"q{offset}", text="Q?",
                local_date=day, now=NOW,
            )  # fmt: skip
            assert prompt is not None
            prompts.append(prompt)
        assert await tx.question_message_before(1, 10) is None
        await tx.record_sent_message(1, 10, prompts[0].id)  # Wednesday's question
        await tx.record_sent_message(1, 12, prompts[0].id)  # its reminder
        await tx.record_sent_message(2, 11, prompts[0].id)  # the partner's chat
        await tx.record_sent_message(1, 15, prompts[1].id)  # Thursday's question
        await tx.record_sent_message(1, 17, prompts[0].id)  # Wednesday's late reveal
        assert await tx.question_message_before(1, 15) == 10
        assert await tx.question_message_before(2, 30) == 11
        assert await tx.question_message_before(1, 20) == 15


async def test_the_outbox_hands_out_urgent_messages_first_and_recovers_claims(
    store: Store,
) -> None:
    db = store
    async with db.transaction() as tx:
        await tx.enqueue([NewMessage(1, 1, MessageKind.QUESTION) for _ in range(5)], NOW)
        await tx.enqueue([NewMessage(2, 2, MessageKind.REVEAL)], NOW)
        claimed = await tx.claim_outbox(NOW, 3)
        assert claimed[0].kind is MessageKind.REVEAL
        # One row in flight per chat: chat 1's backlog does not fill the claim.
        assert [item.chat_id for item in claimed] == [2, 1]
        assert await tx.claim_outbox(NOW, 3) == []
        assert len(await tx.claim_outbox(NOW, 3, per_chat=3)) == 2
        assert await tx.release_claimed() == 4
        assert (await tx.outbox_counts()) == {"pending": 6}
        assert await tx.claim_outbox(NOW - dt.timedelta(seconds=5), 10) == []


async def test_due_pairs_are_found_through_the_next_due_index(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    async with db.transaction() as tx:
        cursor = await tx._conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM pairs WHERE next_due_at <= ?"
            " ORDER BY next_due_at LIMIT 500",
            (0,),
        )
        plan = " ".join(str(row[3]) for row in await cursor.fetchall())
    assert "pairs_due" in plan
    await db.close()


async def test_two_answers_at_the_same_instant_reveal_exactly_once(
    store: Store, library: Library
) -> None:
    db = store
    settings = load_settings(_env_file=None, bot_token="1:" + "x" * 30)
    services = Services(settings=settings, db=db, library=library, clock=lambda: NOW)
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="a", text="A?", local_date=NOW.date(), now=NOW
        )
    results = await asyncio.gather(
        *(
            # An answer, not a short aside (which the bot asks about before saving).
            submit_answer(
                services, IncomingAnswer(user, user, 100 + user, AnswerKind.TEXT, ANSWER)
            )
            for user in (1, 2)
        )
    )
    assert sorted(r.outcome.name for r in results) == ["REVEALED", "SAVED"]
    async with db.transaction() as tx:  # each chat also has the first answer's status edit
        reveals = await tx.claim_outbox(NOW, 100, per_chat=10)
    assert sorted(item.user_id for item in reveals if item.kind is MessageKind.REVEAL) == [1, 2]


async def test_a_row_withdrawn_while_in_flight_is_never_put_back_to_pending(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        prompt = await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="a", text="A?", local_date=NOW.date(), now=NOW
        )
        assert prompt is not None
        await tx.enqueue(
            [NewMessage(1, 1, MessageKind.QUESTION, prompt.id) for _ in range(2)], NOW
        )
        first, second = await tx.claim_outbox(NOW, 10, per_chat=2)
        await tx.end_pair(pair.id, NOW)  # marks both failed while they are in flight
        await tx.finish(first.id, sent=True, now=NOW)
        assert await tx.retry_later(second.id, NOW, "network")
        assert await tx.outbox_counts() == {"failed": 2}
        assert await tx.claim_outbox(NOW, 10) == []


async def test_reminders_not_yet_due_never_hold_up_one_that_is(
    store: Store, library: Library, tmp_path: Path
) -> None:
    from bot.scheduling import BATCH_SIZE, run_tick

    db = store
    settings = load_settings(
        _env_file=None,
        bot_token="123456789:TEST-token-for-the-local-fake-api",
        database_path=tmp_path / "db.sqlite3",
    )
    services = Services(settings=settings, db=db, library=library, clock=lambda: NOW)
    sent = NOW - dt.timedelta(hours=5)
    async with db.transaction() as tx:
        # Many people whose 12-hour reminder is not due, all asked earlier than the one who is.
        for index in range(BATCH_SIZE * 2 + 1):
            a, b = 100 + 2 * index, 101 + 2 * index
            await tx.upsert_person(a, a, "A", NOW)
            await tx.upsert_person(b, b, "B", NOW)
            # Their question time is when it was sent: a reminder counts from one's own time.
            asked_at = Schedule("UTC", sent.time())
            pair = await tx.create_pair((a, b), asked_at, index, NOW)
            assert pair is not None
            late = index == BATCH_SIZE * 2
            await tx.set_person_settings(a, reminders_on=True, reminder_hours=4 if late else 12)
            await tx.create_prompt(
                pair.id,
                PromptKind.QUESTION,
                content_id="q",
                text="Q?",
                local_date=NOW.date(),
                now=sent + dt.timedelta(minutes=1 if late else 0),
            )
    report = await run_tick(services, NOW)
    assert report.reminders == 1
    async with db.transaction() as tx:
        reminders = [i for i in await tx.claim_outbox(NOW, 500) if i.kind is MessageKind.REMINDER]
    assert [item.user_id for item in reminders] == [100 + 4 * BATCH_SIZE]


async def test_a_long_read_never_holds_up_a_write_and_cannot_write(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.reading() as reader:
        assert (await reader.get_person(1)) is not None
        # The writer commits while the read snapshot is still open.
        await asyncio.wait_for(_people(db, 3), timeout=2)
        assert await reader.get_person(3) is None  # a snapshot: the new row is not seen
        refused = (aiosqlite.OperationalError, asyncpg.ReadOnlySQLTransactionError)
        with pytest.raises(refused, match=r"read-?only"):
            await reader.set_blocked(1, NOW)
    async with db.reading() as reader:
        assert await reader.get_person(3) is not None


async def test_history_entries_carry_both_answers_and_the_partners_name(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        for day in range(3):
            prompt = await tx.create_prompt(
                pair.id,
                PromptKind.QUESTION,
                content_id=f"q{day}",
                text=f"Q{day}?",
                local_date=NOW.date() + dt.timedelta(days=day),
                now=NOW,
            )
            assert prompt is not None
            for user in (1, 2) if day < 2 else (1,):
                answer = Answer(
                    prompt.id,
                    user,
                    AnswerKind.TEXT,
                    f"{user}:{day}",
                    None,
                    user,
                    10 * day + user,
                    NOW,
                )
                await tx.save_answer(answer, NOW)
            if day < 2:
                await tx.mark_revealed(prompt.id, NOW + dt.timedelta(days=day))
        entries, total = await tx.revealed_history(1, 0, 10)
        everything = await tx.all_entries_of(2)
    assert total == 2
    assert [
        (e.prompt.text, e.mine and e.mine.text, e.theirs and e.theirs.text) for e in entries
    ] == [
        ("Q1?", "1:1", "2:1"),
        ("Q0?", "1:0", "2:0"),
    ]
    assert {e.partner_name for e in entries} == {"P2"}
    assert [(e.mine and e.mine.text, e.theirs and e.theirs.text) for e in everything] == [
        ("2:0", "1:0"),
        ("2:1", "1:1"),
        (None, "1:2"),  # unrevealed: the caller decides not to show it
    ]
    await db.close()


async def test_a_guess_is_kept_beside_the_answer_and_found_by_its_message(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        prompt = await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="q", text="Q", local_date=NOW.date(), now=NOW
        )
        assert prompt is not None
        answer = Answer(prompt.id, 1, AnswerKind.TEXT, "mine", None, 1, 10, NOW)
        await tx.save_answer(answer, NOW)
        assert not await tx.save_guess(prompt.id, 1, "theirs?", 11, NOW)
        assert await tx.save_guess(prompt.id, 1, "theirs!", 12, NOW)
        by_guess = await tx.answer_for_message(1, 12)
        assert by_guess is not None and by_guess.guess == "theirs!" and by_guess.text == "mine"
        assert await tx.set_guess_verdict(prompt.id, 1, True)
        assert not await tx.set_guess_verdict(prompt.id, 2, True)  # Bob made no guess
        assert await tx.guess_tally(pair.id) == (0, 0)  # not revealed yet
        await tx.mark_revealed(prompt.id, NOW)
        assert await tx.guess_tally(pair.id) == (1, 1)


async def test_a_pick_is_stored_with_its_choice_and_survives_a_replaced_why(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        prompt = await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="q", text="Q", local_date=NOW.date(), now=NOW
        )
        assert prompt is not None
        pick = Answer(prompt.id, 1, AnswerKind.TEXT, "", None, 1, 10, NOW, choice=1)
        await tx.save_answer(pick, NOW)
        await tx.save_answer(
            Answer(prompt.id, 1, AnswerKind.TEXT, "why", None, 1, 11, NOW, 1), NOW
        )
        (stored,) = await tx.answers_to(prompt.id)
        assert (stored.choice, stored.text) == (1, "why")


async def test_topic_consents_pair_options_and_deleting_a_person(store: Store) -> None:
    db = store
    await _people(db, 1, 2)
    async with db.transaction() as tx:
        pair = await tx.create_pair((1, 2), SCHEDULE, 1, NOW)
        assert pair is not None
        await tx.add_topic_consent(pair.id, "money", 1, NOW)
        await tx.add_topic_consent(pair.id, "money", 1, NOW)  # a repeat changes nothing
        assert await tx.topic_consents(pair.id, "money") == {1}
        assert await tx.topics_asked(pair.id, 1) == {"money"}
        await tx.set_pair_options(
            pair.id,
            apart=True,
            stage="new",
            anniversary=dt.date(2019, 6, 14),
            sensitive_pace="twice_a_week",
        )
        changed = await tx.get_pair(pair.id)
        assert changed is not None
        assert (changed.apart, changed.stage, changed.anniversary, changed.sensitive_pace) == (
            True,
            "new",
            dt.date(2019, 6, 14),
            "twice_a_week",
        )
        await tx.set_pair_options(pair.id, stage="", heat="spicy", series="memories", series_day=2)
        cleared = await tx.get_pair(pair.id)
        assert cleared is not None and cleared.stage is None and cleared.apart
        assert (cleared.heat, cleared.series, cleared.series_day) == ("spicy", "memories", 2)
        await tx.set_pair_options(pair.id, series="")
        ended = await tx.get_pair(pair.id)
        assert ended is not None and ended.series is None
        await tx.delete_person(1, "gone")
        assert await tx.topic_consents(pair.id, "money") == frozenset()


async def test_a_reader_cancelled_while_its_snapshot_ends_stays_cancelled(store: Store) -> None:
    # Regression (found by the simulation hanging at a crash): ending a read snapshot
    # swallowed a cancellation that came while its ROLLBACK ran, so an outbox worker being
    # stopped went on to wait for work forever.
    body_done = asyncio.Event()

    async def read() -> None:
        async with store.reading() as tx:
            await tx.outbox_counts()
            body_done.set()
        await asyncio.sleep(3600)  # not cancelled: it would wait here

    task = asyncio.create_task(read())
    await body_done.wait()  # the reader now waits for its snapshot to end
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    async with store.reading() as tx:  # and the reader connection is usable again
        await tx.outbox_counts()
