"""Shared fixtures: the content library, a test clock, the fake Bot API and the running bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.content import Library, load_library
from bot.domain.selection import Format, format_of
from bot.storage import Store, open_store
from sandbox.fake_bot_api import FakeBotAPI
from sandbox.postgres import ThrowawayCluster
from tests.backends import TEMPLATE, chosen_backends, start_cluster
from tests.support import FakeClock, RunningBot

# A Wednesday morning in winter, before the default 09:00 send time.
START = dt.datetime(2026, 1, 14, 8, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def library() -> Library:
    """The library's open questions: the tests of the loop's mechanics answer by text, and a
    pair's seed (random) decides the formats it gets. Every other format has its own tests
    (tests/e2e/test_formats.py) and the simulation plays them all."""
    full = load_library()
    return replace(full, questions=tuple(q for q in full.questions if format_of(q) is Format.OPEN))


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgres", "both"],
        default="both",
        help="which storage backends the parametrised tiers run on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", chosen_backends(metafunc.config))


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ThrowawayCluster]:
    yield from start_cluster()


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """None on SQLite; on PostgreSQL the URL of a fresh, migrated database (dropped after)."""
    if backend == "sqlite":
        yield None
        return
    cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
    url = await cluster.database(template=TEMPLATE)
    yield url
    await cluster.drop(url)


@pytest.fixture
async def store(database_url: str | None, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store on the test's backend."""
    db = await open_store(database_url, tmp_path / "nearer.sqlite3")
    yield db
    await db.close()
