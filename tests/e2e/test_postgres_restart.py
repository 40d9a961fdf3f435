"""PostgreSQL restarted under a running bot (a real server, stopped at once and started again):
the bot reconnects, takes its roles back and handles what people write afterwards; what was
stored before the restart is still there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.content import Library
from sandbox.fake_bot_api import FakeBotAPI
from sandbox.postgres import ThrowawayCluster
from tests.support import FakeClock, RunningBot, pair_up


@pytest.fixture
def own_cluster() -> Iterator[ThrowawayCluster]:
    """A durable server of this test's own: restarting the shared one would disturb other
    tests, and a commit must survive the crash as on a production server."""
    cluster = ThrowawayCluster(durable=True)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def bot_on_own_cluster(
    api: FakeBotAPI,
    tmp_path: Path,
    clock: FakeClock,
    library: Library,
    own_cluster: ThrowawayCluster,
) -> AsyncIterator[RunningBot]:
    url = await own_cluster.database()
    running = RunningBot(api, tmp_path / "unused.sqlite3", clock, library, database_url=url)
    await running.start()
    yield running
    await running.stop()


async def test_the_bot_carries_on_after_postgresql_restarts(
    bot_on_own_cluster: RunningBot, api: FakeBotAPI, own_cluster: ThrowawayCluster
) -> None:
    bot = bot_on_own_cluster
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("my answer, saved before the restart")
    await alice.receive()
    await asyncio.to_thread(own_cluster.restart)
    started = time.monotonic()
    await bob.send("my answer, after the restart")
    reveal = await bob.receive_until(
        lambda m: "my answer, saved before the restart" in (m.get("text") or ""), timeout=30
    )
    assert reveal, "Bob never saw Alice's answer"
    assert time.monotonic() - started < 30
    assert bot.runtime is not None
    await asyncio.sleep(0.1)
    assert bot.runtime.roles()["polling"] == "leader"
