"""Long polling and the allowances of the people updates come from.

Asking getUpdates for the next batch is what tells Telegram the last one arrived. Every update
is stored in the durable inbox (bot.inbox) before python-telegram-bot's Updater asks for the
next offset, so a process killed at any moment loses nothing and the next call never waits for
handling: a chat slow by itself (a flood wait, a silenced flooder) holds up nobody. This
replaced an earlier scheme that delayed the next call until the fetched updates were handled,
which both let a crash lose the updates of a chat slow by itself and let such a chat delay the
rest.

An update python-telegram-bot cannot read (say a voice without a file_id from a faulty Bot API
server) used to fail the whole batch: the Updater asked for the same offset again and again, so
nothing else was handled, and logged the whole update, message text included, each time. Each
update is now read on its own as it arrives; one that cannot be read is replaced by its bare
update_id, so it is confirmed and skipped, and logged once with its id and the error's type.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.domain.allowance import AllowanceBook
from bot.ratelimit import FairRateLimiter
from bot.storage import Election

log = logging.getLogger(__name__)


class Intake:
    """Updates being handled: when each reached the handlers, and everyone's allowance.

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
        self._arrived_at: dict[int, float] = {}

    def arrive(self, update: object) -> None:
        """Note an update that reached the bot (before it waits for its chat's turn)."""
        if isinstance(update, Update):
            self._arrived_at[update.update_id] = self.clock()

    def finish(self, update: object) -> None:
        """Note an update whose handling is over (handled, refused or failed)."""
        if isinstance(update, Update):
            self._arrived_at.pop(update.update_id, None)

    def arrival(self, update: Update) -> float:
        """When `update` arrived (now, for one that did not pass through arrive())."""
        return self._arrived_at.get(update.update_id, self.clock())


class ReadEachUpdate(HTTPXRequest):
    """The getUpdates request: reads each update on its own and skips the unreadable."""

    def __init__(self) -> None:
        super().__init__(connection_pool_size=1)  # what python-telegram-bot uses for polling
        # Telegram allows one poller per bot, so several instances elect one: a standby's
        # getUpdates waits until it is elected (bot.app sets this once the database is open).
        self.election: Election | None = None

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
        """Ask Telegram (once this instance is the poller); skip unreadable updates."""
        if self.election is not None and url.endswith("/getUpdates"):
            if not self.election.held and _final_confirmation(request_data):
                # A standby stopping: python-telegram-bot confirms the last offset it fetched,
                # but it fetched nothing; the leader's polling must not be disturbed.
                return 200, b'{"ok": true, "result": []}'
            await self.election.acquire()
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


def _final_confirmation(request_data: RequestData | None) -> bool:
    """Whether this getUpdates is python-telegram-bot's last call on stopping (timeout 0)."""
    parameters = request_data.parameters if request_data is not None else {}
    return str(parameters.get("timeout", "")) in ("0", "0.0")


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
