"""The per-chat pacer: one chat's messages go out in order and about a second apart, while
other chats go on in parallel (the flood limiter keeps the overall rate)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

PER_CHAT_INTERVAL = 1.05  # seconds between two messages to one chat (Telegram allows ~1/s)
_FORGET_AFTER = 50_000  # chats remembered before the ones that sent long ago are forgotten


class ChatPacer:
    """Turns for each chat (one sender at a time) and the pause between its messages."""

    def __init__(self, interval: float = PER_CHAT_INTERVAL) -> None:
        self._interval = interval
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: Counter[int] = Counter()
        self._last_sent: dict[int, float] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat's turn: its rows are delivered one after another, never interleaved."""
        self._waiting[chat_id] += 1
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] <= 0:
                del self._waiting[chat_id]
                self._locks.pop(chat_id, None)

    def busy(self) -> bool:
        """Say whether any chat's turn is being held."""
        return any(lock.locked() for lock in self._locks.values())

    async def wait(self, chat_id: int) -> None:
        """Sleep until the chat may get its next message."""
        last = self._last_sent.get(chat_id)
        if last is not None:
            pause = last + self._interval - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
        if len(self._last_sent) > _FORGET_AFTER:
            horizon = time.monotonic() - self._interval
            self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}

    def sent(self, chat_id: int) -> None:
        """Note that a call to the chat was just made (answered or not)."""
        self._last_sent[chat_id] = time.monotonic()
