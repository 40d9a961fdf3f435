"""Shared helpers for the reliability tests: sizes, figures, log capture and seeding."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.domain import schedule
from bot.domain.models import Schedule
from bot.storage import Database
from bot.usecases import nudges
from sandbox.fake_bot_api import JSON
from sandbox.harness import RunningBot

FULL = os.environ.get("NEARER_FULL") == "1"
UTC = dt.UTC
# Loggers whose ERROR records count as unhandled exceptions: the bot, python-telegram-bot
# (its error handler, updater and job queue) and the scheduler underneath the job queue.
BOT_LOGGERS = ("bot", "telegram", "apscheduler")


def sizes(reduced: Any, full: Any) -> list[Any]:
    """The two sizes of a reliability test: `reduced` for make test, `full` (slow) for soak."""
    return [
        pytest.param(reduced, id="reduced"),
        pytest.param(full, id="full", marks=pytest.mark.slow),
    ]


def figures_dir() -> Path:
    """Where measured figures are written (NEARER_FIGURES_DIR, else a temporary folder)."""
    folder = os.environ.get("NEARER_FIGURES_DIR") or os.path.join(
        tempfile.gettempdir(), "nearer-reliability"
    )
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_figures(name: str, figures: dict[str, Any]) -> Path:
    """Print the figures a test measured (visible with -s) and write them as JSON."""
    size = "full" if figures.get("size") == "full" else "reduced"
    path = figures_dir() / f"{name}-{size}.json"
    figures = {"test": name, "recorded_at": dt.datetime.now(UTC).isoformat(), **figures}
    path.write_text(json.dumps(figures, indent=2, sort_keys=True, default=str) + "\n")
    print(f"\nFIGURES {name}: {json.dumps(figures, sort_keys=True, default=str)}")
    return path


class RecordCapture(logging.Handler):
    """Keeps every record at or above `level` from loggers under `prefixes` (all if empty)."""

    def __init__(self, level: int, prefixes: Sequence[str] = ()) -> None:
        super().__init__(level)
        self.prefixes = tuple(prefixes)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []  # message and traceback as they were when logged

    def emit(self, record: logging.LogRecord) -> None:
        if not self.prefixes or any(
            record.name == prefix or record.name.startswith(prefix + ".")
            for prefix in self.prefixes
        ):
            self.records.append(record)
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self.texts.append(text + (record.exc_text or ""))

    def at_least(self, level: int) -> list[logging.LogRecord]:
        """The records kept at `level` or above."""
        return [record for record in self.records if record.levelno >= level]

    def describe(self, level: int = logging.ERROR) -> list[str]:
        """One line per record at `level` or above, with the exception type if any."""
        lines = []
        for record in self.at_least(level):
            error = record.exc_info[1] if record.exc_info else None
            detail = f" ({type(error).__name__}: {error})" if error is not None else ""
            lines.append(f"{record.name}: {record.getMessage()}{detail}")
        return lines


@contextmanager
def captured(level: int, prefixes: Sequence[str] = BOT_LOGGERS) -> Iterator[RecordCapture]:
    """Attach a RecordCapture to the root logger for the duration of the block."""
    handler = RecordCapture(level, prefixes)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    if previous == logging.NOTSET or previous > level:
        root.setLevel(level)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def text_of(message: JSON) -> str:
    """The text or caption of a message the bot sent."""
    return str(message.get("text") or message.get("caption") or "")


async def wait_processed(bot: RunningBot, update_id: int, timeout: float = 15.0) -> None:
    """Wait until the update `update_id` (and every one before it) is fully handled.

    The fake drops an update once a later getUpdates confirms it, which python-telegram-bot
    only sends after queueing the batch; then the queue must be empty and nothing running.
    """
    assert bot.app is not None
    deadline = time.monotonic() + timeout
    while True:
        confirmed = not any(u["update_id"] <= update_id for u in bot.api.updates)
        if (
            confirmed
            and bot.app.update_queue.empty()
            and bot.app.update_processor.current_concurrent_updates == 0
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"update {update_id} was not handled within {timeout}s")
        await asyncio.sleep(0.001)


async def settle(bot: RunningBot, timeout: float = 60.0) -> None:
    """RunningBot.settle with a shorter poll: these tests settle thousands of times."""
    await bot.settle(timeout, poll=0.005)


@dataclass(frozen=True)
class SeededPair:
    """A pair written straight into the database for a test."""

    pair_id: int
    members: tuple[int, int]
    names: tuple[str, str]
    schedule: Schedule


# Names with characters that must be escaped in HTML, and some that are not Latin.
NAMES = ("Alice", "Bob", "Zoë", "Sam & Co", "<b>Kai</b>", "Ада", "سارا", "明", "Lee 👩‍❤️‍👨")


async def seed_pairs(
    path: Path,
    count: int,
    now: dt.datetime,
    *,
    rng: random.Random,
    first_user: int = 10_000,
    zones: Sequence[str] = ("UTC",),
    send_times: Sequence[dt.time] | None = None,
    due_now: bool = False,
    reminders_share: float = 0.0,
) -> list[SeededPair]:
    """Create `count` pairs through the storage layer (as accepting invites would).

    Each pair gets a zone from `zones` (both partners chose it as where they are; the quiet
    night and the nudges follow it) and a send time (from `send_times`, else on a
    15-minute grid between 06:00 and 21:45); `due_now` makes every pair due at `now`.
    """
    db = await Database.open(path)
    seeded = []
    try:
        async with db.transaction() as tx:
            for index in range(count):
                a, b = first_user + 2 * index, first_user + 2 * index + 1
                names = (rng.choice(NAMES), rng.choice(NAMES))
                await tx.upsert_person(a, a, names[0], now)
                await tx.upsert_person(b, b, names[1], now)
                if send_times:
                    send_time = send_times[index % len(send_times)]
                else:
                    minutes = rng.randrange(6 * 60, 22 * 60, 15)
                    send_time = dt.time(minutes // 60, minutes % 60)
                sched = Schedule(timezone=zones[index % len(zones)], send_time=send_time)
                pair = await tx.create_pair((a, b), sched, rng.getrandbits(31), now)
                assert pair is not None
                due = now if due_now else schedule.next_due(now, sched, None)
                await tx.set_next_due(pair.id, due)
                for member in (a, b):  # each said where they are ("where are you?")
                    await tx.set_clock(member, timezone=sched.timezone)
                for member in (a, b):  # each person's own nudges (Tuesdays and Fridays)
                    person = await tx.get_person(member)
                    assert person is not None
                    await nudges.plan_nudges(tx, person, pair, now)
                for member in (a, b):
                    if rng.random() < reminders_share:
                        await tx.set_person_settings(member, reminders_on=True)
                seeded.append(SeededPair(pair.id, (a, b), names, sched))
    finally:
        await db.close()
    return seeded
