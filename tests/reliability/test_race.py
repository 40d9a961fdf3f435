"""Both partners answer in the same instant: exactly one reveal reaches each of them.

Through the services layer on a real SQLite file, many trials of two answers submitted with
asyncio.gather: over the bot's one connection, and over two connections to the same file (as
two processes would). Then end to end through the fake Bot API: both answers of every couple
arrive in one batch of updates, which the bot handles concurrently across chats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.content import Library
from bot.domain.models import AnswerKind, PromptKind, Schedule
from bot.domain.outbox import MessageKind
from bot.storage import Database
from bot.usecases.answers import AnswerOutcome, IncomingAnswer, submit_answer
from bot.usecases.common import Services
from sandbox.fake_bot_api import FakeBotAPI
from tests.reliability.support import record_figures, settle, sizes, text_of
from tests.support import RunningBot, is_guess_question, is_question, pair_up

NOW = dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC)
SCHEDULE = Schedule("UTC", dt.time(9, 0))


@dataclass(frozen=True)
class RaceSize:
    """How many trials."""

    label: str
    trials: int
    couples: int  # end to end
    days: int  # end to end


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
    async with first.db.transaction() as tx:
        cursor = await tx._conn.execute(
            "SELECT user_id FROM outbox WHERE prompt_id = ? AND kind = ?",
            (prompt.id, MessageKind.REVEAL.value),
        )
        reveals = Counter(row[0] for row in await cursor.fetchall())
        await cursor.close()
    return [r.outcome for r in results], reveals


@pytest.mark.parametrize(
    "size", sizes(RaceSize("reduced", 100, 6, 3), RaceSize("full", 1000, 40, 5))
)
async def test_answers_in_the_same_instant_reveal_exactly_once_to_each(
    tmp_path: Path, library: Library, size: RaceSize
) -> None:
    started = time.monotonic()
    settings = load_settings(_env_file=None, bot_token="1:" + "x" * 30)
    path = tmp_path / "race.sqlite3"
    db = await Database.open(path)
    other = await Database.open(path)  # a second connection, as a second process would have
    one = Services(settings=settings, db=db, library=library, clock=lambda: NOW)
    two = Services(settings=settings, db=other, library=library, clock=lambda: NOW)
    outcomes: Counter[str] = Counter()
    wrong = []
    try:
        for index in range(size.trials):
            second = one if index % 2 else two
            results, reveals = await _trial(one, second, index, reply=bool(index % 3))
            outcomes[",".join(sorted(r.name for r in results))] += 1
            if sorted(reveals.items()) != [(2 * index + 1, 1), (2 * index + 2, 1)]:
                wrong.append((index, dict(reveals)))
        integrity = await db.integrity_check()
    finally:
        await other.close()
        await db.close()
    record_figures(
        "race_services",
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
