"""The use-case tier: use cases on a real database (a SQLite file and a real PostgreSQL), with a
movable clock and no Telegram."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.content import Library
from bot.domain.models import Pair
from bot.storage import open_store
from bot.usecases import clocks, pairing
from bot.usecases.common import Services
from sandbox.harness import FakeClock

START = dt.datetime(2026, 1, 14, 7, 30, tzinfo=dt.UTC)
TOKEN = "123456789:TEST-token-for-the-local-fake-api"


@pytest.fixture
async def services(
    tmp_path: Path, library: Library, database_url: str | None
) -> AsyncIterator[Services]:
    path = tmp_path / "nearer.sqlite3"
    settings = load_settings(
        _env_file=None, bot_token=TOKEN, database_path=path, database_url=database_url
    )
    db = await open_store(database_url, path)
    yield Services(settings=settings, db=db, library=library, clock=FakeClock(START))
    await db.close()


@dataclass(frozen=True)
class Couple:
    """Two people paired through an invite, as the handlers would pair them."""

    alice: int
    bob: int
    pair: Pair


@pytest.fixture
async def couple(services: Services) -> Couple:
    await pairing.register(services, 1, 1, "Alice")
    await pairing.register(services, 2, 2, "Bob")
    invite = (await pairing.create_invite(services, 1)).invite
    assert invite is not None
    accepted = await pairing.accept_invite(services, invite.code, 2)
    assert accepted.pair is not None
    for person in (1, 2):  # both skip "where are you?": the first question comes
        await clocks.set_own_clock(services, person)
    return Couple(1, 2, accepted.pair)
