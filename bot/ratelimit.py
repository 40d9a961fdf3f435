"""The flood limiter: Telegram's overall pace for everyone, and a flood wait for one chat only.

python-telegram-bot's AIORateLimiter keeps the overall pace well, but a 429 for any chat
pauses every request of the bot until it has passed: one person's flood of replies, or one
busy group, made every other couple wait. Telegram's limits are per chat as well as overall
(about one message a second in a private chat, twenty a minute in a group, thirty a second in
all), so this limiter keeps three things:

- one overall bucket (aiolimiter) at the configured send rate, for every request to a chat;
- twenty a minute for each group or channel, as Telegram asks;
- when Telegram answers 429 for one chat, only that chat's requests wait out its retry_after,
  and the request is retried up to `max_retries` times (then RetryAfter is raised, as before).

`is_held(chat_id)` says whether a request for that chat is sitting out the chat's own limit:
long polling uses it to fetch other chats' updates meanwhile (see bot.polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

ChatKey = int | str
Result = bool | dict[str, Any] | list[dict[str, Any]]

FLOOD_MARGIN = 0.1  # seconds added to Telegram's retry_after, so the retry is not early
MAX_GROUP_LIMITERS = 512  # beyond this, idle group limiters are forgotten


def flood_seconds(flood: RetryAfter) -> float:
    """The wait a RetryAfter asks for, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that retry_after becomes a timedelta
        wait = flood.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


def chat_of(data: dict[str, Any]) -> ChatKey | None:
    """The chat a request goes to (an int id, or a @username), or None."""
    chat = data.get("chat_id")
    if chat is None:
        return None
    if isinstance(chat, int):
        return chat
    text = str(chat)
    with contextlib.suppress(ValueError):
        return int(text)
    return text


def is_group(chat: ChatKey) -> bool:
    """Groups, supergroups and channels have negative ids (or a @username)."""
    return isinstance(chat, str) or chat < 0


class FairRateLimiter(BaseRateLimiter[int]):
    """An overall pace for the bot, a group pace per group, a flood wait per chat."""

    def __init__(
        self,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        *,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60.0,
        max_retries: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall = AsyncLimiter(overall_max_rate, 1.0) if overall_max_rate > 0 else None
        self._group_rate = group_max_rate
        self._group_period = group_time_period
        self._groups: dict[ChatKey, AsyncLimiter] = {}
        self._max_retries = max_retries
        self._clock = clock
        self._flood_until: dict[ChatKey, float] = {}
        self._held: Counter[ChatKey] = Counter()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def is_held(self, chat: ChatKey) -> bool:
        """Whether a request for `chat` is waiting on that chat's own limit right now."""
        return self._held[chat] > 0

    def held_chats(self) -> set[ChatKey]:
        """The chats with a request waiting on their own limit."""
        return {chat for chat, count in self._held.items() if count > 0}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Send one request within the limits; sit out a 429 for its chat, then retry."""
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat = chat_of(data)
        attempt = 0
        while True:
            try:
                if chat is None:
                    return await callback(*args, **kwargs)
                await self._sit_out_flood_wait(chat)
                async with self._group_pace(chat):
                    if self._overall is not None:
                        await self._overall.acquire()
                    return await callback(*args, **kwargs)
            except RetryAfter as flood:
                wait = flood_seconds(flood) + FLOOD_MARGIN
                if attempt >= retries:
                    log.warning(
                        "%s to chat %s still flood limited after %d retries",
                        endpoint,
                        chat,
                        attempt,
                    )
                    raise
                attempt += 1
                if chat is None:
                    await asyncio.sleep(wait)
                    continue
                until = self._clock() + wait
                self._flood_until[chat] = max(self._flood_until.get(chat, 0.0), until)
                log.info("chat %s flood limited: its requests wait %.1f s", chat, wait)

    async def _sit_out_flood_wait(self, chat: ChatKey) -> None:
        while (until := self._flood_until.get(chat)) is not None:
            remaining = until - self._clock()
            if remaining <= 0:
                if self._flood_until.get(chat) == until:
                    del self._flood_until[chat]
                return
            self._held[chat] += 1
            try:
                await asyncio.sleep(remaining)
            finally:
                self._release(chat)

    @contextlib.asynccontextmanager
    async def _group_pace(self, chat: ChatKey) -> AsyncIterator[None]:
        if not is_group(chat) or self._group_rate <= 0:
            yield
            return
        limiter = self._group_limiter(chat)
        if not limiter.has_capacity():
            self._held[chat] += 1
            try:
                await limiter.acquire()
            finally:
                self._release(chat)
        else:
            await limiter.acquire()
        yield

    def _group_limiter(self, chat: ChatKey) -> AsyncLimiter:
        if chat not in self._groups and len(self._groups) >= MAX_GROUP_LIMITERS:
            for key, limiter in list(self._groups.items()):
                if limiter.has_capacity(limiter.max_rate):
                    del self._groups[key]
        return self._groups.setdefault(chat, AsyncLimiter(self._group_rate, self._group_period))

    def _release(self, chat: ChatKey) -> None:
        self._held[chat] -= 1
        if self._held[chat] <= 0:
            del self._held[chat]
