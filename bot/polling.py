"""Long polling: confirm updates once handled, never wait on one slow chat, skip the unreadable.

Asking getUpdates for the next batch is what tells Telegram the last one arrived, and
python-telegram-bot's Updater asks as soon as it has queued a batch. A process killed before
handling the queue loses those updates for good: an answer a partner sent is neither saved nor
acknowledged. So the next call waits until the updates fetched before are handled, and a crash
repeats them instead (handling one twice is harmless: an answer is saved again under its message
id, a reveal happens once).

Waiting for *every* update, though, let one chat hold up all others: thirty quick /help from one
person, whose replies sat out Telegram's flood wait for that chat, kept everyone else's updates
from even being fetched for half a minute. Telegram has one offset per bot, so the only way to
fetch the others is to confirm that chat's backlog too. The call therefore waits for every
fetched update except those of chats that are slow *because of themselves*:

- a chat with a request sitting out its own flood wait or group pace (bot.ratelimit), or
- a person who has used up their allowance (bot.domain.allowance), whose further updates are
  only dropped anyway.

Those updates keep their place in their chat's line (bot.ordering) and are handled in order; only
a crash in that window loses them. The loss is bounded by the allowance (at most a burst per
person) and falls on the chat that was flooding or flood limited; what such an update did is
already saved, as handlers commit before they reply, so at worst a reply is lost. Updates of every
other chat, and anything slow for everyone (the overall send pace, the database), are still
waited for, up to HANDLING_LIMIT.

An update python-telegram-bot cannot read (say a voice without a file_id from a faulty Bot API
server) used to fail the whole batch: the Updater asked for the same offset again and again, so
nothing else was handled, and logged the whole update, message text included, each time. Each
update is now read on its own as it arrives; one that cannot be read is replaced by its bare
update_id, so it is confirmed and skipped, and logged once with its id and the error's type.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.domain.allowance import AllowanceBook
from bot.ratelimit import FairRateLimiter

log = logging.getLogger(__name__)

HANDLING_LIMIT = 60.0  # seconds to wait for a batch before fetching anyway (never stall for good)
RECHECK = 0.05  # seconds between looks at flood waits and allowances, which change with time


class Intake:
    """Updates on their way in: when each arrived and which chats are still handling some.

    `clock` gives seconds on the bot's clock; the allowances are spent and refilled on it.
    """

    def __init__(
        self,
        *,
        limiter: FairRateLimiter | None = None,
        allowances: AllowanceBook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.allowances = allowances if allowances is not None else AllowanceBook()
        self.clock = clock
        self._pending: Counter[int | None] = Counter()
        self._arrived_at: dict[int, float] = {}
        self._changed = asyncio.Event()

    def arrive(self, update: object) -> None:
        """Note an update that reached the bot (before it waits for its chat's turn)."""
        if isinstance(update, Update):
            self._arrived_at[update.update_id] = self.clock()
        self._pending[_chat_id(update)] += 1

    def finish(self, update: object) -> None:
        """Note an update whose handling is over (handled, refused or failed)."""
        if isinstance(update, Update):
            self._arrived_at.pop(update.update_id, None)
        chat = _chat_id(update)
        self._pending[chat] -= 1
        if self._pending[chat] <= 0:
            del self._pending[chat]
        self._changed.set()

    def arrival(self, update: Update) -> float:
        """When `update` arrived (now, for one that did not pass through arrive())."""
        return self._arrived_at.get(update.update_id, self.clock())

    def slow_by_itself(self, chat: int) -> bool:
        """Whether `chat` waits on its own flood limit or its person is silenced."""
        if self.limiter is not None and self.limiter.is_held(chat):
            return True
        return self.allowances.silenced(chat, self.clock())

    def waiting_on(self) -> list[int | None]:
        """The chats (None: updates without one) whose updates must be handled before
        Telegram is told they arrived."""
        return [chat for chat in self._pending if chat is None or not self.slow_by_itself(chat)]

    async def changed(self, timeout: float) -> None:
        """Return when an update finished, or after `timeout` seconds."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)


def _chat_id(update: object) -> int | None:
    chat = update.effective_chat if isinstance(update, Update) else None
    return chat.id if chat is not None else None


class ConfirmAfterHandling(HTTPXRequest):
    """The getUpdates request: sent once the updates fetched before are handled (except those
    of chats slow by themselves), and reading each update on its own."""

    def __init__(
        self, updates: asyncio.Queue[object], intake: Intake, *, limit: float = HANDLING_LIMIT
    ) -> None:
        super().__init__(connection_pool_size=1)  # what python-telegram-bot uses for polling
        self._updates = updates
        self._intake = intake
        self._limit = limit

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Wait until the earlier updates are handled, ask Telegram, skip unreadable updates."""
        await self._wait_for_handling()
        code, body = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == 200 and url.endswith("/getUpdates"):
            body = skip_unreadable(body)
        return code, body

    async def _wait_for_handling(self) -> None:
        deadline = time.monotonic() + self._limit
        while not self._updates.empty() or self._intake.waiting_on():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("updates still being handled after %.0fs; fetching more", self._limit)
                return
            await self._intake.changed(min(RECHECK, remaining))


def skip_unreadable(body: bytes) -> bytes:
    """Replace every update in a getUpdates answer that cannot be read by its bare update_id."""
    try:
        answer = json.loads(body)
        updates = answer["result"]
    except (ValueError, KeyError, TypeError):
        return body  # not an answer with updates: python-telegram-bot reports it as it is
    if not isinstance(updates, list):
        return body
    readable: list[Any] = []
    replaced = False
    for raw in updates:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int):
            log.warning("an update without an update_id skipped")
            replaced = True
            continue
        try:
            Update.de_json(copy.deepcopy(raw), None)
        except Exception as error:  # any reason python-telegram-bot cannot build it
            log.warning("update %d cannot be read (%s); skipped", update_id, type(error).__name__)
            readable.append({"update_id": update_id})
            replaced = True
            continue
        readable.append(raw)
    if not replaced:
        return body
    answer["result"] = readable
    return json.dumps(answer).encode()
