"""Long polling that confirms updates to Telegram only once the bot has handled them.

Asking getUpdates for the next batch is what tells Telegram the last one arrived, and
python-telegram-bot's Updater asks as soon as it has queued a batch. A process killed before
handling the queue loses those updates for good: an answer a partner sent is neither saved nor
acknowledged (the crash test lost most answers that came in during a busy morning wave). Holding
the next call until the queue is handled makes a crash repeat unhandled updates instead.
Handling one twice is harmless: an answer is saved again under its message id, a reveal
happens once.
"""

from __future__ import annotations

import asyncio
import logging

from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

HANDLING_LIMIT = 60.0  # seconds to wait for a batch before fetching anyway (never stall for good)


class ConfirmAfterHandling(HTTPXRequest):
    """The getUpdates request: sent only once every update fetched before has been handled."""

    def __init__(self, handled: asyncio.Queue[object], *, limit: float = HANDLING_LIMIT) -> None:
        super().__init__(connection_pool_size=1)  # what python-telegram-bot uses for polling
        self._handled = handled
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
        """Wait until the update queue is handled, then ask Telegram (confirming the batch)."""
        try:
            await asyncio.wait_for(self._handled.join(), self._limit)
        except TimeoutError:
            log.warning("updates still being handled after %.0fs; fetching more", self._limit)
        return await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
