"""Waiting that a shutdown can always interrupt (bot.waiting)."""

from __future__ import annotations

import asyncio

import pytest

from bot.waiting import cancel_and_wait, woken


async def test_woken_says_whether_the_event_came_in_time() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    event.set()
    assert await woken(event, 0.01) is True


async def test_a_cancellation_that_races_the_wake_up_is_not_lost() -> None:
    # asyncio.wait_for on Python 3.11 returns the result here and drops the cancellation.
    event = asyncio.Event()
    loops = 0

    async def worker() -> None:
        nonlocal loops
        while True:
            loops += 1
            await woken(event, 60)
            event.clear()

    task = asyncio.create_task(worker())
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()  # in the same instant
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert loops == 1


async def test_cancel_and_wait_ends_the_task_but_not_its_callers_own_cancellation() -> None:
    stubborn_done = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.05)  # takes a moment to end
            stubborn_done.set()

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await cancel_and_wait(task)  # its cancellation is expected: not raised
    assert task.cancelled() and stubborn_done.is_set()

    inner = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    caller = asyncio.create_task(cancel_and_wait(inner))
    await asyncio.sleep(0.01)  # the caller waits for the inner task to end
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
