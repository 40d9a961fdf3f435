"""Races: both partners answer in the same instant (exactly one reveal reaches each), a
resume against a timed pause ending, two people taking one invite, both partners changing
settings at once.

Through the services layer on both backends, many trials run with asyncio.gather over two
stores on the same database (as two processes or instances would have): SQLite's one writer
serialises them; PostgreSQL runs them truly at once under READ COMMITTED, where the pair's row
lock (`lock_pair_of`) and the claims with SKIP LOCKED keep the outcome the same. Then end to end
through the fake Bot API: both answers of every couple arrive in one batch of updates, which the
bot handles concurrently across chats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.content import Library
from bot.domain.models import AnswerKind, Frequency, PromptKind, Schedule
from bot.domain.outbox import MessageKind
from bot.scheduling import run_tick
from bot.storage import open_store
from bot.usecases import pairing, pause, settings
from bot.usecases.answers import AnswerOutcome, IncomingAnswer, submit_answer
from bot.usecases.common import Services
from sandbox.fake_bot_api import FakeBotAPI
from tests.reliability.support import record_figures, settle, sizes, text_of
from tests.support import FakeClock, RunningBot, is_guess_question, is_question, pair_up

NOW = dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC)
SCHEDULE = Schedule("UTC", dt.time(9, 0))


@dataclass(frozen=True)
class RaceSize:
    """How many trials."""

    label: str
    trials: int
    couples: int  # end to end
    days: int  # end to end


async def _rows(services: Services, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    async with services.db.reading() as tx:
        reader: Any = tx  # the repositories' own statement helper works on either backend
        return list(await reader._all(sql, params))


@asynccontextmanager
async def _two_stores(
    tmp_path: Path, library: Library, database_url: str | None, clock: Any
) -> AsyncIterator[tuple[Services, Services]]:
    """Two stores on one database, as two instances would have."""
    path = tmp_path / "race.sqlite3"
    settings = load_settings(_env_file=None, bot_token="1:" + "x" * 30)
    db = await open_store(database_url, path)
    other = await open_store(database_url, path)
    try:
        yield (
            Services(settings=settings, db=db, library=library, clock=clock),
            Services(settings=settings, db=other, library=library, clock=clock),
        )
    finally:
        await other.close()
        await db.close()


async def _trial(
    first: Services, second: Services, index: int, *, reply: bool
) -> tuple[list[AnswerOutcome], Counter[int]]:
    a, b = 2 * index + 1, 2 * index + 2
    async with first.db.transaction() as tx:
        await tx.upsert_person(a, a, "A", NOW)
        await tx.upsert_person(b, b, "B", NOW)
        pair = await tx.create_pair((a, b), SCHEDULE, index, NOW)
        assert pair is not None
        prompt = await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="q", text="Q?", local_date=NOW.date(), now=NOW
        )
        assert prompt is not None
        await tx.record_sent_message(a, 1, prompt.id)  # A may answer by replying to it
    results = await asyncio.gather(
        submit_answer(
            first,
            IncomingAnswer(
                a, a, 10, AnswerKind.TEXT, "mine", reply_to_message_id=1 if reply else None
            ),
        ),
        submit_answer(
            second,
            IncomingAnswer(b, b, 11, AnswerKind.TEXT, "yours", reply_to_message_id=None),
        ),
    )
    rows = await _rows(
        first,
        "SELECT user_id FROM outbox WHERE prompt_id = ? AND kind = ?",
        (prompt.id, MessageKind.REVEAL.value),
    )
    reveals = Counter(row[0] for row in rows)
    return [r.outcome for r in results], reveals


@pytest.mark.parametrize(
    "size", sizes(RaceSize("reduced", 100, 6, 3), RaceSize("full", 1000, 40, 5))
)
async def test_answers_in_the_same_instant_reveal_exactly_once_to_each(
    tmp_path: Path, library: Library, size: RaceSize, database_url: str | None
) -> None:
    started = time.monotonic()
    outcomes: Counter[str] = Counter()
    wrong = []
    async with _two_stores(tmp_path, library, database_url, lambda: NOW) as (one, two):
        for index in range(size.trials):
            second = one if index % 2 else two
            results, reveals = await _trial(one, second, index, reply=bool(index % 3))
            outcomes[",".join(sorted(r.name for r in results))] += 1
            if sorted(reveals.items()) != [(2 * index + 1, 1), (2 * index + 2, 1)]:
                wrong.append((index, dict(reveals)))
        integrity = await one.db.integrity_check()
    record_figures(
        "race_services" if database_url is None else "race_services-postgres",
        {
            "size": size.label,
            "trials": size.trials,
            "trials_over_two_connections": (size.trials + 1) // 2,
            "outcomes": dict(outcomes),
            "trials_without_exactly_one_reveal_each": len(wrong),
            "integrity_check": integrity,
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    assert wrong == []
    assert outcomes == Counter({"REVEALED,SAVED": size.trials})
    assert integrity == "ok"


@pytest.mark.parametrize(
    "size", sizes(RaceSize("reduced", 100, 6, 3), RaceSize("full", 1000, 40, 5))
)
async def test_couples_answering_together_through_telegram_get_one_reveal_each(
    bot: RunningBot, api: FakeBotAPI, size: RaceSize
) -> None:
    started = time.monotonic()
    couples = []
    for index in range(size.couples):
        alice = api.user(100 + 2 * index, f"A{index}")
        bob = api.user(101 + 2 * index, f"B{index}")
        await pair_up(bot, alice, bob)
        couples.append((alice, bob))
    wrong = []
    for day in range(size.days):
        if day:
            bot.clock.set(bot.clock.now.replace(hour=10) + dt.timedelta(days=1))  # after 09:00
            await bot.tick()
            await settle(bot)
        # Everyone's answer goes out before the bot fetches any: one batch of updates.
        for alice, bob in couples:
            for user in (alice, bob):
                question = [m for m in user.inbox if is_question(m)][-1]
                await user.reply(question, f"day {day} from {user.first_name} race-tok")
                if is_guess_question(question):  # the reveal waits for a guess too
                    await user.reply(question, f"a guess on day {day}")
        await settle(bot)
        for alice, bob in couples:
            for user, partner in ((alice, bob), (bob, alice)):
                mine = [m for m in user.unread() if f"from {partner.first_name} " in text_of(m)]
                if len(mine) != 1:
                    wrong.append((day, user.id, len(mine)))
    record_figures(
        "race_end_to_end",
        {
            "size": size.label,
            "couples": size.couples,
            "days": size.days,
            "simultaneous_pairs_of_answers": size.couples * size.days,
            "partners_without_exactly_one_reveal": len(wrong),
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    assert wrong == []


async def _couple(services: Services, index: int) -> tuple[int, int]:
    a, b = 1000 + 2 * index, 1001 + 2 * index
    await pairing.register(services, a, a, f"A{index}")
    await pairing.register(services, b, b, f"B{index}")
    invite = (await pairing.create_invite(services, a)).invite
    assert invite is not None
    assert (await pairing.accept_invite(services, invite.code, b)).pair is not None
    return a, b


async def test_a_resume_and_a_timed_pause_ending_together_resume_once(
    tmp_path: Path, library: Library, database_url: str | None
) -> None:
    clock = FakeClock(NOW)
    wrong = []
    async with _two_stores(tmp_path, library, database_url, clock) as (one, two):
        for index in range(20):
            clock.set(NOW)
            a, b = await _couple(one, index)
            assert (await pause.pause(one, a, "1d")).outcome is pause.PauseOutcome.PAUSED
            clock.set(NOW + dt.timedelta(days=1, minutes=1))  # the pause has run out
            by_hand, _ = await asyncio.gather(pause.resume(one, b), run_tick(two))
            ended = await _rows(
                one,
                "SELECT user_id FROM outbox WHERE kind = 'notice' AND payload LIKE ?"
                " AND user_id IN (?, ?)",
                ('%"pause_ended"%', a, b),
            )
            resumed = by_hand.outcome is pause.PauseOutcome.RESUMED
            # Exactly one of the two resumed the pair: by hand, or the tick telling both.
            if resumed == bool(ended) or len(ended) not in (0, 2):
                wrong.append((index, by_hand.outcome.name, len(ended)))
            async with one.db.reading() as tx:
                pair = await tx.active_pair_of(a)
            assert pair is not None and not pair.paused and pair.next_due_at is not None
    assert wrong == []


async def test_two_people_taking_one_invite_at_once_pair_only_one(
    tmp_path: Path, library: Library, database_url: str | None
) -> None:
    clock = FakeClock(NOW)
    async with _two_stores(tmp_path, library, database_url, clock) as (one, two):
        for index in range(20):
            inviter, first, second = 5000 + 3 * index, 5001 + 3 * index, 5002 + 3 * index
            for user in (inviter, first, second):
                await pairing.register(one, user, user, f"P{user}")
            invite = (await pairing.create_invite(one, inviter)).invite
            assert invite is not None
            results = await asyncio.gather(
                pairing.accept_invite(one, invite.code, first),
                pairing.accept_invite(two, invite.code, second),
            )
            paired = [result.pair for result in results if result.pair is not None]
            assert len(paired) == 1, (index, [r.status.check.name for r in results])
            pairs = await _rows(
                one, "SELECT id FROM pairs WHERE member_a = ? OR member_b = ?", (inviter, inviter)
            )
            assert len(pairs) == 1


async def test_invites_accepted_crosswise_at_once_pair_each_person_once(
    tmp_path: Path, library: Library, database_url: str | None
) -> None:
    clock = FakeClock(NOW)
    async with _two_stores(tmp_path, library, database_url, clock) as (one, two):
        for index in range(20):
            a, b, c = 7000 + 3 * index, 7001 + 3 * index, 7002 + 3 * index
            for user in (a, b, c):
                await pairing.register(one, user, user, f"P{user}")
            from_a = (await pairing.create_invite(one, a)).invite
            from_c = (await pairing.create_invite(one, c)).invite
            assert from_a is not None and from_c is not None
            # B takes A's invite while A takes C's: both touch A and A's invites.
            results = await asyncio.gather(
                pairing.accept_invite(one, from_a.code, b),
                pairing.accept_invite(two, from_c.code, a),
            )
            assert len([r for r in results if r.pair is not None]) == 1, index
            paired = await _rows(
                one,
                "SELECT user_id FROM people WHERE user_id IN (?, ?, ?) AND pair_id IS NOT NULL",
                (a, b, c),
            )
            assert a in {row[0] for row in paired} and len(paired) == 2


async def test_both_partners_changing_settings_at_once_tell_each_other_once(
    tmp_path: Path, library: Library, database_url: str | None
) -> None:
    clock = FakeClock(NOW)
    async with _two_stores(tmp_path, library, database_url, clock) as (one, two):
        for index in range(20):
            a, b = await _couple(one, index)
            # Each one's own time and zone (untold), and the pair's frequency (told), at once.
            changes = await asyncio.gather(
                settings.change_schedule(one, a, send_time=dt.time(7, 15)),
                settings.change_schedule(two, b, send_time=dt.time(21, 45)),
                settings.change_schedule(one, a, timezone="Europe/Berlin"),
                settings.change_schedule(one, a, frequency=Frequency.WEEKDAYS),
                settings.change_schedule(two, b, frequency=Frequency.WEEKENDS),
            )
            assert all(change is not None for change in changes)
            async with one.db.reading() as tx:
                pair = await tx.active_pair_of(a)
                first, second = await tx.get_person(a), await tx.get_person(b)
            assert pair is not None and first is not None and second is not None
            assert first.clock(pair).send_time == dt.time(7, 15)  # no change was lost
            assert first.clock(pair).timezone == "Europe/Berlin"
            assert second.clock(pair).send_time == dt.time(21, 45)
            assert pair.schedule.frequency in (Frequency.WEEKDAYS, Frequency.WEEKENDS)
            waiting = await _rows(
                one,
                "SELECT user_id FROM outbox WHERE kind = 'changes' AND status = 'pending'"
                " AND user_id IN (?, ?)",
                (a, b),
            )
            # One coalesced notice per partner told, however the changes interleaved.
            assert sorted(row[0] for row in waiting) == [a, b]
