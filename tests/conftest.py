"""Shared fixtures: the content library, a test clock, the fake Bot API and the running bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Library, Occasion, load_library
from bot.domain.selection import Format, format_of
from sandbox.fake_bot_api import FakeBotAPI
from tests.support import FakeClock, RunningBot

# A Wednesday morning in winter, before the default 09:00 send time.
START = dt.datetime(2026, 1, 14, 7, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()


def open_questions_only(full: Library) -> Library:
    """The library with its open questions only (daily and occasion ones).

    The end-to-end and reliability tests read and answer later days' questions as open ones;
    with the whole library a pair's random seed would make about one day in four a playful
    format there. Every format has its own end-to-end tests (tests/e2e/test_formats.py) and
    the population simulation lives with the whole library.
    """
    occasions = {
        key: Occasion(
            occasion.id,
            occasion.name,
            tuple(q for q in occasion.questions if format_of(q) is Format.OPEN),
        )
        for key, occasion in full.occasions.items()
    }
    trimmed = Library(
        categories=full.categories,
        questions=tuple(q for q in full.questions if format_of(q) is Format.OPEN),
        exercises=full.exercises,
        appreciation=full.appreciation,
        occasions=occasions,
        allowed_duplicates=full.allowed_duplicates,
    )
    # Every id stays known (a translation of the library names them all, and a language is
    # offered only when its translation matches the library); only the choice is narrowed.
    object.__setattr__(trimmed, "questions_by_id", full.questions_by_id)
    object.__setattr__(trimmed, "occasion_questions_by_id", full.occasion_questions_by_id)
    return trimmed


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library
) -> AsyncIterator[RunningBot]:
    running = RunningBot(api, tmp_path / "nearer.sqlite3", clock, library)
    await running.start()
    yield running
    await running.stop()
