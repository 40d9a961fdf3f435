"""The durable inbox: an update is stored before Telegram is told it arrived, then handled
from the database, in order within each pair (or an unpaired person's chat), by whichever
instance claims it.

python-telegram-bot hands every update it receives to its update queue, by long polling and
by webhook alike, and tells Telegram only afterwards: the Updater asks for the next offset once
its `put` calls returned, and the webhook answers 200 once its `put` returned. So `put` here
commits the update to the inbox (retrying while the database is away) and returns only then. A
replay (the same update_id again, after a crash before the acknowledgement) is dropped there.

The worker claims the earliest unhandled update of each lane nobody else holds (a lease,
renewed while it works), runs it through the Application's update processor, and marks it
handled; only then can that lane's next update be claimed, here or on another instance. An
instance that died holding updates gives them back when its lease runs out; one that starts
again under the same instance name takes its own back at once. Handling an update twice after
a crash is harmless (an answer is saved under its message id, a reveal happens once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable

from telegram import Update
from telegram.ext import Application

from bot.storage import Store
from bot.waiting import cancel_and_wait, woken

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # how long a claim holds without renewal
RENEW_SECONDS = 20.0  # how often the leases of updates in hand are renewed
IDLE_POLL_SECONDS = 1.0  # how often the worker looks for updates nothing woke it for
STORE_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # waits between attempts to store an update
MAX_IN_HAND = 64  # updates being handled at once by this instance
KEEP_HANDLED_MS = 24 * 3600 * 1000  # handled ids are kept a day, to drop late replays
PRUNE_EVERY = 180  # lease renewals between two prunings of handled ids (about an hour)


def now_ms() -> int:
    """Real time in milliseconds (leases never follow a test's clock)."""
    return int(time.time() * 1000)


def _chat_of(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat is not None else None


class DurableUpdateQueue(asyncio.Queue[object]):
    """The Application's update queue: `put` stores an update in the inbox and returns once it
    is committed. Updates reach the handlers through the InboxWorker, not through this queue."""

    def __init__(self) -> None:
        super().__init__()
        self._store: Store | None = None
        self._arrived: Callable[[], None] = lambda: None
        # For whoever waits until the bot is idle (tests, the simulation): puts under way, and
        # updates this process stored that no instance has handled yet, as far as it knows.
        self.storing = 0
        self.awaiting: set[int] = set()

    def unsettled(self) -> bool:
        """Whether an update is being stored, or was stored here and is not handled yet."""
        return bool(self.storing or self.awaiting)

    def handled(self, update_id: int) -> None:
        """Note that an update was handled (by the worker of this process)."""
        self.awaiting.discard(update_id)

    def attach(self, store: Store, arrived: Callable[[], None]) -> None:
        """Start storing into `store`; `arrived` wakes the worker."""
        self._store = store
        self._arrived = arrived

    async def put(self, item: object) -> None:
        """Store an update durably (a replay is dropped); anything else goes on as before."""
        if not isinstance(item, Update) or self._store is None:
            await super().put(item)
            return
        self.storing += 1
        try:
            if await self._store_one(self._store, item):
                self.awaiting.add(item.update_id)
        finally:
            self.storing -= 1
        self._arrived()

    async def _store_one(self, store: Store, update: Update) -> bool:
        row = (update.update_id, _chat_of(update), update.to_json())
        for attempt, pause in enumerate((*STORE_RETRY_SECONDS, None), start=1):
            try:
                async with store.transaction() as tx:
                    return await tx.store_updates([row], now_ms()) > 0
            except Exception as error:
                # Whatever the driver raises while the database is away: Telegram is not told
                # the update arrived until it is stored, so try again, then give up loudly.
                if pause is None:
                    raise
                reason = type(error).__name__
                log.warning(
                    "update %d not stored yet (%s, attempt %d)", update.update_id, reason, attempt
                )
                await asyncio.sleep(pause)
        return False  # not reached: the last attempt raises


class InboxWorker:
    """Claims stored updates, runs them through the Application, marks them handled."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        store: Store,
        owner: str,
        *,
        handled: Callable[[int], None] = lambda update_id: None,
        interrupted: set[int] | None = None,
    ) -> None:
        self._app = app
        # Filled by the error handler: updates the database's absence interrupted.
        self._interrupted = interrupted if interrupted is not None else set()
        self._store = store
        self.owner = owner
        self._handled = handled
        self._wake = asyncio.Event()
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._renew_task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Look for updates now (one arrived, or one was handled)."""
        self._wake.set()

    async def start(self) -> None:
        """Take back what this instance held before a restart, then start claiming."""
        async with self._store.transaction() as tx:
            taken_back = await tx.release_updates(self.owner)
            await tx.prune_inbox(now_ms() - KEEP_HANDLED_MS)
        if taken_back:
            log.info("inbox: %d updates held before a restart are handled again", taken_back)
        self._loop_task = asyncio.create_task(self._run(), name="inbox")
        self._renew_task = asyncio.create_task(self._renew(), name="inbox-leases")

    async def stop(self) -> None:
        """Stop claiming, let updates in hand finish (briefly), give back the rest."""
        self._stopping = True
        for task in (self._loop_task, self._renew_task):
            if task is not None:
                await cancel_and_wait(task)
        if self._in_hand:
            await asyncio.wait(list(self._in_hand.values()), timeout=10)
        for task in self._in_hand.values():
            task.cancel()
        with contextlib.suppress(Exception):
            async with self._store.transaction() as tx:
                await tx.release_updates(self.owner)

    def busy(self) -> bool:
        """Whether this instance has updates in hand."""
        return bool(self._in_hand)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            room = MAX_IN_HAND - len(self._in_hand)
            claimed = []
            if room > 0:
                try:
                    async with self._store.transaction() as tx:
                        claimed = await tx.claim_updates(
                            self.owner, now_ms(), int(LEASE_SECONDS * 1000), room
                        )
                except Exception:
                    log.exception("inbox: claiming updates failed; trying again shortly")
            for item in claimed:
                self._in_hand[item.update_id] = asyncio.create_task(
                    self._handle(item.update_id, item.payload), name=f"update-{item.update_id}"
                )
            if claimed and len(claimed) == room:
                await asyncio.sleep(0)
                continue
            await woken(self._wake, IDLE_POLL_SECONDS)

    async def _handle(self, update_id: int, payload: str) -> None:
        try:
            try:
                update = Update.de_json(json.loads(payload), self._app.bot)
            except Exception as error:  # stored as received: only a changed library could fail
                log.warning(
                    "update %d cannot be read (%s); skipped", update_id, type(error).__name__
                )
            else:
                if not await self._process(update):
                    return  # stopping with the database away: stop() gives the update back
            await self._finish(update_id)
        finally:
            self._in_hand.pop(update_id, None)
            self._handled(update_id)
            self._wake.set()

    async def _process(self, update: Update) -> bool:
        """Run the update through the handlers; again while the database is away (a use case
        is one transaction, so an interrupted one left nothing behind). False: not handled,
        the worker is stopping."""
        processor = self._app.update_processor
        attempt = 0
        while True:
            self._interrupted.discard(update.update_id)
            await processor.process_update(update, self._app.process_update(update))
            if update.update_id not in self._interrupted:
                return True
            if self._stopping:
                self._interrupted.discard(update.update_id)
                return False
            await asyncio.sleep(STORE_RETRY_SECONDS[min(attempt, len(STORE_RETRY_SECONDS) - 1)])
            attempt += 1

    async def _finish(self, update_id: int) -> None:
        for pause in (*STORE_RETRY_SECONDS, None):
            try:
                async with self._store.transaction() as tx:
                    await tx.finish_update(update_id, now_ms())
                return
            except Exception as error:
                if pause is None or self._stopping:
                    # Left claimed: handled again when the lease ends (harmless, see above).
                    log.warning(
                        "update %d handled but not marked (%s)", update_id, type(error).__name__
                    )
                    return
                await asyncio.sleep(pause)

    async def _renew(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            rounds += 1
            try:
                async with self._store.transaction() as tx:
                    if self._in_hand:
                        await tx.renew_updates(self.owner, now_ms() + int(LEASE_SECONDS * 1000))
                    if rounds % PRUNE_EVERY == 0:
                        await tx.prune_inbox(now_ms() - KEEP_HANDLED_MS)
            except Exception:
                log.exception("inbox: renewing leases failed")
