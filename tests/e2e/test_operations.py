"""Operator features end to end: webhook mode, health and metrics endpoints, /stats."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot import texts
from bot.content import Library
from sandbox.fake_bot_api import FakeBotAPI
from tests.support import FakeClock, RunningBot, includes, including, pair_up, says


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library
) -> AsyncIterator[RunningBot]:
    port = _free_port()
    running = RunningBot(
        api,
        tmp_path / "nearer.sqlite3",
        clock,
        library,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret="s3cret-token_for-tests",
        webhook_port=port,
    )
    await running.start()
    yield running
    await running.stop()


async def test_webhook_mode_runs_the_whole_loop(webhook_bot: RunningBot, api: FakeBotAPI) -> None:
    assert api.webhook is not None
    assert api.webhook["secret_token"] == "s3cret-token_for-tests"
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(webhook_bot, alice, bob)
    await alice.send("over the webhook")
    await alice.receive()
    await bob.send("me too")
    reveal = await alice.receive_until(lambda m: "me too" in (m.get("text") or ""))
    assert includes(reveal[-1], texts.REVEAL_HEADER, partner="Bob")
    assert api.calls["getUpdates"] == 0


async def test_a_webhook_request_without_the_right_secret_is_refused(
    webhook_bot: RunningBot, api: FakeBotAPI
) -> None:
    assert webhook_bot.webhook_url is not None
    update = {
        "update_id": 999,
        "message": {"message_id": 1, "date": 0, "text": "/start",
                    "chat": {"id": 5, "type": "private", "first_name": "Mallory"},
                    "from": {"id": 5, "is_bot": False, "first_name": "Mallory"}},
    }  # fmt: skip
    async with httpx.AsyncClient() as client:
        missing = await client.post(webhook_bot.webhook_url, json=update)
        wrong = await client.post(
            webhook_bot.webhook_url,
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        )
    assert missing.status_code == 403
    assert wrong.status_code == 403
    await webhook_bot.settle()
    async with webhook_bot.services.db.transaction() as tx:
        assert await tx.get_person(5) is None


@pytest.fixture
async def ops_bot(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library
) -> AsyncIterator[RunningBot]:
    running = RunningBot(
        api,
        tmp_path / "nearer.sqlite3",
        clock,
        library,
        health_port=_free_port(),
        metrics_enabled=True,
        admin_user_ids="42",
    )
    await running.start()
    yield running
    await running.stop()


async def test_the_health_endpoint_reports_the_database(ops_bot: RunningBot) -> None:
    assert ops_bot.runtime is not None and ops_bot.runtime.ops is not None
    url = f"http://127.0.0.1:{ops_bot.runtime.ops.port}/healthz"
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    assert answer.status_code == 200
    assert answer.json()["database"] == "ok"


async def test_the_health_endpoint_names_the_instances_roles(ops_bot: RunningBot) -> None:
    assert ops_bot.runtime is not None and ops_bot.runtime.ops is not None
    url = f"http://127.0.0.1:{ops_bot.runtime.ops.port}/healthz"
    for _ in range(50):  # the outbox feeder takes the sending role as it starts
        async with httpx.AsyncClient() as client:
            roles = (await client.get(url)).json()["roles"]
        if roles["sending"] == "leader":
            break
        await asyncio.sleep(0.05)
    # One process on SQLite holds every role; on PostgreSQL each is elected (test_instances).
    assert roles == {"inbox": "handling", "polling": "leader", "sending": "leader"}


async def test_metrics_count_sends_and_reveals(ops_bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(ops_bot, alice, bob)
    await alice.send("a")
    await bob.send("b")
    await alice.receive_until(including(texts.REVEAL_HEADER, partner="Bob"))
    await ops_bot.settle()
    assert ops_bot.runtime is not None and ops_bot.runtime.ops is not None
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"http://127.0.0.1:{ops_bot.runtime.ops.port}/metrics")).text
    assert 'nearer_messages_sent_total{kind="question"} 2.0' in body
    assert 'nearer_messages_sent_total{kind="reveal"} 2.0' in body
    assert "nearer_reveals_total 1.0" in body
    assert "nearer_tick_duration_seconds_count" in body


async def test_stats_are_for_admins_only(ops_bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(ops_bot, alice, bob)
    await alice.send("/stats")
    assert says(await alice.receive(), texts.UNKNOWN_COMMAND)
    admin = api.user(42, "Operator")
    await admin.send("/stats")
    figures = await admin.receive()
    assert says(figures, texts.STATS, pairs_active=1, pairs_paused=0, questions_7d=1)


async def test_stopping_just_as_work_arrives_still_stops(bot: RunningBot, api: FakeBotAPI) -> None:
    # Regression (found by the simulation hanging): on Python 3.11 `asyncio.wait_for` drops a
    # cancellation that arrives just as what it waits for completes. The outbox feeder and the
    # inbox worker, woken by a new row or update in the same instant a shutdown cancelled
    # them, went on looping, and stopping the bot never returned.
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/help")
    await bot.settle()
    assert bot.runtime is not None
    dispatcher, inbox = bot.runtime.dispatcher, bot.runtime.inbox
    assert dispatcher is not None and inbox is not None
    dispatcher.wake()  # a row queued as SIGTERM comes in
    await asyncio.wait_for(dispatcher.stop(), 15)
    inbox.wake()  # an update stored as SIGTERM comes in
    await asyncio.wait_for(inbox.stop(), 15)
    await asyncio.wait_for(bot.stop(), 15)
    # Nothing was lost: the bot starts again on the same database and answers.
    await bot.start()
    await bob.send("/help")
    assert says(await bob.receive(), texts.HELP)
