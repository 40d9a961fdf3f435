"""The durable inbox on both backends: an update is stored before Telegram is told it arrived
(the webhook's 200, the next getUpdates offset), a replay is dropped, and what was stored but
not handled when the bot stopped is handled after it starts again. Claims hand out one update
per chat at a time, in order, and another instance takes over a claim whose lease ran out."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.content import Library
from bot.domain.models import Schedule
from bot.storage import Store
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import FakeClock, RunningBot

SECRET = "s3cret-token_for-tests"
LEASE = 60_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    api: FakeBotAPI,
    tmp_path: Path,
    clock: FakeClock,
    library: Library,
    database_url: str | None,
) -> AsyncIterator[RunningBot]:
    port = _free_port()
    running = RunningBot(
        api,
        tmp_path / "nearer.sqlite3",
        clock,
        library,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=SECRET,
        webhook_port=port,
        database_url=database_url,
    )
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def polling_bot(
    api: FakeBotAPI,
    tmp_path: Path,
    clock: FakeClock,
    library: Library,
    database_url: str | None,
) -> AsyncIterator[RunningBot]:
    running = RunningBot(
        api, tmp_path / "nearer.sqlite3", clock, library, database_url=database_url
    )
    await running.start()
    yield running
    await running.stop()


async def _inbox(bot: RunningBot) -> list[Any]:
    async with bot.services.db.reading() as tx:
        reader: Any = tx
        return list(
            await reader._all("SELECT update_id, handled_at FROM inbox ORDER BY update_id")
        )


def _help_from(user: FakeUser, update_id: int) -> dict[str, Any]:
    """An update carrying /help from `user`, with a chosen update_id."""
    entities = [{"type": "bot_command", "offset": 0, "length": 5}]
    return {"update_id": update_id, "message": user._message(text="/help", entities=entities)}


async def _post(bot: RunningBot, update: dict[str, Any]) -> int:
    assert bot.webhook_url is not None
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            bot.webhook_url,
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    return answer.status_code


async def test_the_webhook_answers_only_once_the_update_is_stored(
    webhook_bot: RunningBot, api: FakeBotAPI
) -> None:
    assert webhook_bot.runtime is not None and webhook_bot.runtime.inbox is not None
    ann = api.user(42, "Ann")
    await webhook_bot.runtime.inbox.stop()  # nothing is handled: only storing is seen
    assert await _post(webhook_bot, _help_from(ann, 9001)) == 200
    assert [tuple(row) for row in await _inbox(webhook_bot)] == [(9001, None)]
    await webhook_bot.restart()  # stored, never handled: handled after the start
    await webhook_bot.settle()
    assert len(ann.inbox) == 1  # the reply to /help
    assert [row[0] for row in await _inbox(webhook_bot)] == [9001]


async def test_a_replayed_update_is_handled_once(webhook_bot: RunningBot, api: FakeBotAPI) -> None:
    ann = api.user(43, "Ann")
    for _ in range(3):  # Telegram repeats an update whose 200 it did not see
        assert await _post(webhook_bot, _help_from(ann, 9100)) == 200
    await webhook_bot.settle()
    assert len(ann.inbox) == 1
    assert len(await _inbox(webhook_bot)) == 1


async def test_an_update_confirmed_by_polling_is_handled_after_a_stop(
    polling_bot: RunningBot, api: FakeBotAPI
) -> None:
    assert polling_bot.runtime is not None and polling_bot.runtime.inbox is not None
    await polling_bot.runtime.inbox.stop()
    ann = api.user(44, "Ann")
    await ann.send("/help")
    for _ in range(200):  # until the bot fetched it and asked for the next offset
        if not api.updates:
            break
        await asyncio.sleep(0.02)
    assert not api.updates, "the update was never confirmed to Telegram"
    assert len(await _inbox(polling_bot)) == 1 and ann.inbox == []
    await polling_bot.restart()
    await polling_bot.settle()
    assert len(ann.inbox) == 1


def _rows(*ids: tuple[int, int | None]) -> list[tuple[int, int | None, str]]:
    return [(update_id, chat, f'{{"update_id": {update_id}}}') for update_id, chat in ids]


async def test_a_chat_gets_its_next_update_only_after_the_one_before_is_handled(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        assert await tx.store_updates(_rows((1, 7), (2, 7), (3, 8), (4, None)), 0) == 4
        assert await tx.store_updates(_rows((2, 7)), 0) == 0  # a replay
        first = await tx.claim_updates("one", 1000, LEASE, 10)
        assert [item.update_id for item in first] == [1, 3, 4]
        assert await tx.claim_updates("two", 1000, LEASE, 10) == []  # all held
        await tx.finish_update(1, 2000)
        assert [item.update_id for item in await tx.claim_updates("two", 2000, LEASE, 10)] == [2]
        assert await tx.unhandled_updates() == 3


async def test_a_handled_update_keeps_neither_its_content_nor_its_chat(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.store_updates([(5, 77, '{"secret": "words"}')], 0)
        await tx.claim_updates("one", 0, LEASE, 10)
        await tx.finish_update(5, 10)
    async with store.reading() as tx:
        reader: Any = tx
        rows = await reader._all("SELECT chat_id, payload FROM inbox")
    assert [tuple(row) for row in rows] == [(None, "{}")]


async def test_a_claim_whose_lease_ran_out_goes_to_another_instance(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.store_updates(_rows((10, 1), (11, 2)), 0)
        assert len(await tx.claim_updates("dead", 0, LEASE, 10)) == 2
        assert await tx.claim_updates("alive", LEASE - 1, LEASE, 10) == []
        assert await tx.renew_updates("dead", 2 * LEASE) == 2
        assert await tx.claim_updates("alive", LEASE + 1, LEASE, 10) == []  # renewed
        taken = await tx.claim_updates("alive", 2 * LEASE + 1, LEASE, 10)
        assert [item.update_id for item in taken] == [10, 11]
        assert await tx.release_updates("alive") == 2
        assert len(await tx.claim_updates("next", 2 * LEASE + 2, LEASE, 1)) == 1
        assert await tx.prune_inbox(10**15) == 0  # nothing handled yet


async def test_both_partners_updates_are_handled_one_at_a_time_in_arrival_order(
    store: Store,
) -> None:
    now = dt.datetime(2026, 1, 14, 8, 0, tzinfo=dt.UTC)
    async with store.transaction() as tx:
        for user in (1, 2, 3):
            await tx.upsert_person(user, user, f"P{user}", now)
        assert await tx.create_pair((1, 2), Schedule("UTC", dt.time(9, 0)), 1, now)
        await tx.store_updates(_rows((20, 1), (21, 2), (22, 3)), 0)
        # Bob's update waits for Alice's (same pair); the unpaired third person does not.
        first = await tx.claim_updates("one", 0, LEASE, 10)
        assert [item.update_id for item in first] == [20, 22]
        await tx.finish_update(20, 1)
        assert [item.update_id for item in await tx.claim_updates("one", 1, LEASE, 10)] == [21]
