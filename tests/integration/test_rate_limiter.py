"""The flood limiter against the fake Bot API: a 429 for one chat delays that chat only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.ratelimit import FairRateLimiter
from sandbox.fake_bot_api import FakeBotAPI, Limits


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI(limits=Limits(enforce=True, per_chat_interval=1.0, retry_after=1))
    await fake.start()
    yield fake
    await fake.stop()


async def _bot(api: FakeBotAPI, limiter: FairRateLimiter) -> ExtBot[int]:
    bot: ExtBot[int] = ExtBot(api.token, base_url=api.base_url, rate_limiter=limiter)
    await bot.initialize()
    return bot


def _people(api: FakeBotAPI, count: int) -> list[int]:
    for user_id in range(1, count + 1):
        api.user(user_id, f"P{user_id}").started = True
    return list(range(1, count + 1))


async def _timed(coroutine: object) -> float:
    started = time.monotonic()
    await coroutine  # type: ignore[misc]
    return time.monotonic() - started


async def test_a_flood_wait_for_one_chat_does_not_delay_another_chat(api: FakeBotAPI) -> None:
    alice, bob = _people(api, 2)
    limiter = FairRateLimiter(30, max_retries=2)
    bot = await _bot(api, limiter)
    await bot.send_message(alice, "one")
    second = asyncio.create_task(bot.send_message(alice, "two"))  # 429: alice's chat waits
    await asyncio.sleep(0.2)
    assert limiter.is_held(alice)
    assert await _timed(bot.send_message(bob, "meanwhile")) < 0.3
    await second
    assert [m["text"] for m in api.users[alice].inbox] == ["one", "two"]
    assert not limiter.is_held(alice)
    await bot.shutdown()


async def test_a_request_still_flood_limited_after_its_retries_raises_retry_after(
    api: FakeBotAPI,
) -> None:
    (alice,) = _people(api, 1)
    api.faults.rate, api.faults.weights = 1.0, {"429": 1}
    bot = await _bot(api, FairRateLimiter(30, max_retries=1))
    with pytest.raises(RetryAfter):
        await bot.send_message(alice, "never")
    assert api.errors["injected_429"] == 2  # the first try and one retry
    await bot.shutdown()


async def test_the_overall_pace_holds_across_many_chats(api: FakeBotAPI) -> None:
    people = _people(api, 40)
    api.limits.overall_per_second = 20
    bot = await _bot(api, FairRateLimiter(19))
    elapsed = await _timed(asyncio.gather(*(bot.send_message(p, "hi") for p in people)))
    assert api.errors["429_overall"] == 0
    assert elapsed > 0.9  # forty at nineteen a second, after a first burst of nineteen
    await bot.shutdown()


async def test_each_group_keeps_its_own_pace_without_holding_up_others(api: FakeBotAPI) -> None:
    first, second = api.group(-1, "One"), api.group(-2, "Two")
    first.bot_is_member = second.bot_is_member = True
    limiter = FairRateLimiter(30, group_max_rate=2, group_time_period=1.0)
    bot = await _bot(api, limiter)
    api.limits.enforce = False  # the fake knows no group pace; the limiter keeps it
    paced = asyncio.gather(*(bot.send_message(first.id, f"{n}") for n in range(4)))
    await asyncio.sleep(0.1)
    assert limiter.is_held(first.id)
    assert await _timed(bot.send_message(second.id, "meanwhile")) < 0.3
    assert await _timed(paced) > 0.5
    await bot.shutdown()
