"""Fill a fresh database with N pairs fast: the schema from the bot's migrations, rows in bulk.

The bot's own `Database.open` creates the schema, so the seeded file is exactly what the bot
would have made; the rows then go in with the standard library's sqlite3 and `executemany` in
one transaction, with the people and pairs indexes built once at the end (building them row by
row is most of the cost otherwise).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.storage import Database

DAY = 86_400
QUESTION_TEXT = "What is one small thing your partner did lately that you loved?"


@dataclass(frozen=True)
class SeedPlan:
    """What to store.

    Pair `i` (1-based) has members `2i - 1` and `2i`, whose chat ids equal their user ids.
    The first `due` pairs are due at `now`; the others are due between one and two days later
    (far enough that no benchmark reaches them, spread like real send times). The last
    `open_questions` pairs have today's question open (sent, not answered); each due pair gets
    `history_days` earlier questions, both answered, drawn from `history_ids`.
    """

    pairs: int
    now: dt.datetime
    due: int = 0
    open_questions: int = 0
    history_days: int = 0
    history_ids: Sequence[str] = ()
    exercise_weekday: int = 5
    first_name: str = "Sam"


def exercise_free_weekday(day: dt.date) -> int:
    """A weekday for `exercise_weekday` that gives no exercise on `day` (questions only)."""
    # Exercises come on the chosen weekday and three days after it; one day after `day` is
    # neither `day` nor `day - 3`.
    return (day.weekday() + 1) % 7


async def seed(path: Path, plan: SeedPlan) -> float:
    """Create `path` with the bot's schema and the rows of `plan`; return the seconds it took."""
    started = time.perf_counter()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    db = await Database.open(path)
    await db.close()
    await asyncio.to_thread(_fill, path, plan)
    return time.perf_counter() - started


def _fill(path: Path, plan: SeedPlan) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while building indexes
        conn.execute("BEGIN IMMEDIATE")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('pairs', 'people')"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        _insert(conn, plan)
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _insert(conn: sqlite3.Connection, plan: SeedPlan) -> None:
    now = int(plan.now.timestamp())
    send_time = plan.now.astimezone(dt.UTC).strftime("%H:%M")
    rng = random.Random(plan.pairs)
    conn.executemany(
        "INSERT INTO pairs (id, member_a, member_b, timezone, send_time, seed, exercise_weekday,"
        " next_due_at, created_at) VALUES (?, ?, ?, 'UTC', ?, ?, ?, ?, ?)",
        (
            (
                i,
                2 * i - 1,
                2 * i,
                # A due pair's send time is now: each member's question waits for their own
                # time (the pair's, as they chose none), so a due morning is sent at once.
                send_time if i <= plan.due else "09:00",
                rng.getrandbits(31),
                plan.exercise_weekday,
                now if i <= plan.due else now + DAY + rng.randrange(DAY),
                now - 30 * DAY,
            )
            for i in range(1, plan.pairs + 1)
        ),
    )
    conn.executemany(
        "INSERT INTO people (user_id, chat_id, first_name, pair_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            (user, user, plan.first_name, (user + 1) // 2, now - 30 * DAY, now - 30 * DAY)
            for user in range(1, 2 * plan.pairs + 1)
        ),
    )
    today = plan.now.astimezone(dt.UTC).date()
    conn.executemany(
        "INSERT INTO prompts (pair_id, kind, content_id, text, local_date, sent_at, revealed_at)"
        " VALUES (?, 'question', ?, ?, ?, ?, ?)",
        _prompts(plan, today, now),
    )


def _prompts(
    plan: SeedPlan, today: dt.date, now: int
) -> Iterator[tuple[int, str | None, str, str, int, int | None]]:
    if plan.history_days and plan.history_ids:
        for pair_id in range(1, plan.due + 1):
            for back in range(plan.history_days, 0, -1):
                content_id = plan.history_ids[(pair_id * 7 + back) % len(plan.history_ids)]
                day = (today - dt.timedelta(days=back)).isoformat()
                sent = now - back * DAY
                yield pair_id, content_id, QUESTION_TEXT, day, sent, sent + 3600
    for pair_id in range(plan.pairs - plan.open_questions + 1, plan.pairs + 1):
        yield pair_id, None, QUESTION_TEXT, today.isoformat(), now - 60, None
