"""Process updates concurrently across chats but strictly in order within one chat.

python-telegram-bot's default processor is either sequential (one slow reply holds up every
couple) or fully concurrent (an answer and its edit from one person could swap places). Ours
runs different chats side by side and keeps each chat's updates in arrival order.

A working slot is taken only once an update's turn in its chat has come: waiting behind one's
own chat costs nothing, so one person's hundred queued updates cannot take the slots everyone
else needs.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.polling import Intake

MAX_CONCURRENT_UPDATES = 64  # updates being worked on at once, across chats
MAX_WAITING_UPDATES = 4096  # updates held in memory at once, waiting for their chat included


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` at once; one at a time per chat, first come first served.

    Every update is reported to `intake` when it arrives and when it is done.
    """

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        *,
        intake: Intake | None = None,
        max_waiting_updates: int = MAX_WAITING_UPDATES,
    ) -> None:
        super().__init__(max(max_waiting_updates, max_concurrent_updates))
        self.intake = intake if intake is not None else Intake()
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        """Run `coroutine` once every earlier update of the same chat is done."""
        self.intake.arrive(update)
        try:
            chat = update.effective_chat if isinstance(update, Update) else None
            if chat is None:
                async with self._slots:
                    await coroutine
                return
            await self._in_chat_order(chat.id, coroutine)
        finally:
            self.intake.finish(update)

    async def _in_chat_order(self, chat_id: int, coroutine: Awaitable[object]) -> None:
        self._waiting[chat_id] += 1
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] <= 0:
                del self._waiting[chat_id]
                self._locks.pop(chat_id, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
