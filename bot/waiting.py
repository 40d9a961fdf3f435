"""Waiting that a shutdown can always interrupt.

On Python 3.11, `asyncio.wait_for` drops a cancellation that arrives in the same instant as
what it waits for completes (fixed in 3.12). A worker woken just as the bot stops then loops
on, and stopping never returns. `asyncio.timeout` waits in the task itself, so a cancellation
is never lost: long-lived loops wait with these instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; say whether it was set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """Await `awaitable`, raising TimeoutError after `seconds`."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has ended. Its cancellation is expected and not
    raised; one aimed at the caller while it waits still is."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
