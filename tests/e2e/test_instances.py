"""Several instances on one PostgreSQL database, end to end: exactly one polls Telegram and one
sends, both handle updates from the inbox, and when the polling and sending instance stops the
other takes both roles over within seconds, losing nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Library
from sandbox.fake_bot_api import FakeBotAPI
from sandbox.postgres import ThrowawayCluster
from tests.backends import TEMPLATE
from tests.support import FakeClock, RunningBot, pair_up

TAKEOVER_SECONDS = 30  # the promise: a standby polls within this after the leader dies


@pytest.fixture
async def two_instances(
    api: FakeBotAPI,
    tmp_path: Path,
    clock: FakeClock,
    library: Library,
    postgres_cluster: ThrowawayCluster,
) -> AsyncIterator[list[RunningBot]]:
    # Several instances share a PostgreSQL database (SQLite is one process's).
    database_url = await postgres_cluster.database(template=TEMPLATE)
    bots = [
        RunningBot(
            api,
            tmp_path / f"unused-{name}.sqlite3",
            clock,
            library,
            database_url=database_url,
            instance_name=name,
        )
        for name in ("first", "second")
    ]
    for bot in bots:
        await bot.start()
        await asyncio.sleep(0.3)  # the first takes the roles
    yield bots
    for bot in bots:
        await bot.stop()


def _roles(bot: RunningBot) -> dict[str, str]:
    assert bot.runtime is not None
    return bot.runtime.roles()


async def _until(check: object, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise TimeoutError


async def test_one_instance_polls_and_sends_and_the_other_stands_by(
    two_instances: list[RunningBot], api: FakeBotAPI
) -> None:
    first, second = two_instances
    await _until(lambda: _roles(first)["sending"] == "leader", 10)
    assert _roles(first)["polling"] == "leader"
    assert _roles(second) == {"inbox": "handling", "polling": "standby", "sending": "standby"}
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(first, alice, bob)
    await alice.send("both instances share one inbox")
    await bob.send("and one outbox")
    await first.settle()
    revealed = [m for m in alice.unread() if "and one outbox" in (m.get("text") or "")]
    assert len(revealed) == 1


async def test_when_the_leader_stops_the_standby_takes_over_and_nothing_is_lost(
    two_instances: list[RunningBot], api: FakeBotAPI
) -> None:
    first, second = two_instances
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(first, alice, bob)
    await first.stop()
    await alice.send("written while nobody polls")
    took = await _until(lambda: _roles(second)["polling"] == "leader", TAKEOVER_SECONDS)
    await _until(lambda: _roles(second)["sending"] == "leader", TAKEOVER_SECONDS)
    await bob.send("an answer after the takeover")
    await second.settle(timeout=20)
    assert any("written while nobody polls" in (m.get("text") or "") for m in bob.unread())
    assert took < TAKEOVER_SECONDS
    await first.start()  # back as the standby
    await asyncio.sleep(0.5)
    assert _roles(first)["polling"] == "standby"
