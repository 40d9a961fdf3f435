"""The outbox pump: claims pending rows, feeds workers, and records what became of each.

A feeder claims pending rows (most urgent first) into a small in-memory priority queue; a few
workers deliver them. The queue holds about a second of sending and at most one row per chat, so
a reveal that arrives during a morning broadcast, or next to one chat's backlog, waits behind at
most that. The overall rate and a 429's pause (for its chat only) are kept by the flood limiter
(bot.ratelimit); each chat's order and pace by the pacer; Telegram's errors become outcomes in
the sender.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
from dataclasses import replace

from telegram import Bot

from bot import render
from bot.delivery.pacer import PER_CHAT_INTERVAL, ChatPacer
from bot.delivery.sender import GiveUp, Sender, TryLater, Unreachable
from bot.delivery.views import load_view
from bot.domain import attention
from bot.domain.outbox import MessageKind, OutboxItem
from bot.render import Part
from bot.usecases import pause
from bot.usecases.common import Services
from bot.waiting import woken

log = logging.getLogger(__name__)

QUEUE_SECONDS = 1.0  # how much sending the in-memory queue holds
IDLE_POLL_SECONDS = 1.0  # how often the feeder looks for deferred rows when nothing wakes it
MIN_CLAIM_INTERVAL = 0.01  # the feeder claims at most this often
RETRY_LATER_BASE = dt.timedelta(seconds=15)
# Rows one chat may have in flight: a chat's backlog (paced at ~1/s) never fills the queue that
# every other chat's reveals wait in.
CLAIMS_PER_CHAT = 1


class Dispatcher:
    """Drains the outbox through the bot, most urgent first, within Telegram's limits."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        *,
        rate: float,
        chat_interval: float = PER_CHAT_INTERVAL,
    ) -> None:
        self._sender = Sender(bot, services.metrics.network_errors)
        self._pacer = ChatPacer(chat_interval)
        self._services = services
        self._queue_size = max(8, math.ceil(rate * QUEUE_SECONDS))
        self._workers = min(256, max(4, math.ceil(rate / 3)))
        self._queue: asyncio.PriorityQueue[tuple[int, int, OutboxItem]] = asyncio.PriorityQueue()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._stopping = False
        # Bumped each time this instance becomes the sender: a row held in memory from an
        # earlier term was taken back from the database by the new term, and must not go too.
        self._term = 0
        self._metrics = services.metrics
        # Only one instance sends at a time, so the overall rate, each chat's pace and "one
        # row in flight per chat" hold across instances (see docs/ARCHITECTURE.md).
        self._role = services.db.election("sender")

    @property
    def sending(self) -> bool:
        """Whether this instance is the one sending the outbox."""
        return self._role.held

    def wake(self) -> None:
        """Tell the feeder the outbox has new rows."""
        self._wake.set()

    async def start(self) -> None:
        """Start the feeder (once this instance is the sender) and the workers."""
        self._stopping = False
        self._tasks = [asyncio.create_task(self._feed(), name="outbox-feeder")]
        self._tasks += [
            asyncio.create_task(self._work(), name=f"outbox-worker-{n}")
            for n in range(self._workers)
        ]

    async def stop(self, grace: float = 10.0) -> None:
        """Stop: sends in flight may finish (up to `grace` seconds); rows claimed but not
        started go back to pending, so nothing is lost and at most in-flight rows repeat."""
        self._stopping = True
        workers = self._tasks[1:]
        for task in self._tasks[:1] + [t for t in workers if t not in self._busy]:
            task.cancel()
        while not self._queue.empty():
            self._queue.get_nowait()
        busy = [task for task in workers if task in self._busy]
        if busy:
            await asyncio.wait(busy, timeout=grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._role.held:
            async with self._services.db.transaction() as tx:
                released = await tx.release_claimed()
            if released:
                log.info("outbox: %d claimed messages left for the next start", released)
            await self._role.release()

    async def _become_sender(self) -> None:
        """Wait to be the sending instance, then take back the rows the one before had
        claimed: they are the only messages that can arrive twice."""
        await self._role.acquire()
        self._term += 1
        async with self._services.db.transaction() as tx:
            released = await tx.release_claimed()
        if released:
            log.warning("outbox: %d messages were in flight at the last stop; resending", released)

    def workers(self) -> tuple[int, int]:
        """How many sending workers run, of how many started (used by tests)."""
        workers = self._tasks[1:]
        return sum(not task.done() for task in workers), len(workers)

    async def idle(self) -> bool:
        """Say whether nothing is queued, in flight or pending and due (used by tests)."""
        if not self._queue.empty() or self._pacer.busy():
            return False
        async with self._services.db.transaction() as tx:
            counts = await tx.outbox_counts()
            upcoming = await tx.next_outbox_time()
        if counts.get("claimed"):
            return False
        return upcoming is None or upcoming > self._services.clock()

    async def _feed(self) -> None:
        while True:
            if not self._role.held:
                # Rows queued here stay claimed; the next sender (maybe this one) takes them back.
                while not self._queue.empty():
                    self._queue.get_nowait()
                    self._queue.task_done()
                await self._become_sender()
            self._wake.clear()
            room = self._queue_size - self._queue.qsize()
            claimed = 0
            if room > 0:
                try:
                    async with self._services.db.transaction() as tx:
                        items = await tx.claim_outbox(
                            self._services.clock(), room, per_chat=CLAIMS_PER_CHAT
                        )
                except Exception:
                    log.exception("outbox: claiming failed; trying again shortly")
                    items = []
                for item in items:
                    self._queue.put_nowait((int(item.priority), item.id, item))
                claimed = len(items)
            # Full queue or a full claim: look again soon. Otherwise wait to be woken (a sent
            # row wakes it too, as its chat may have the next one waiting), but claim at most
            # every MIN_CLAIM_INTERVAL.
            busy = room <= 0 or (claimed and claimed == room)
            claimed_at = time.monotonic()
            await woken(self._wake, 0.02 if busy else IDLE_POLL_SECONDS)
            # Only what is left of the interval: a feeder woken after a quiet spell (a reveal
            # just queued) claims at once.
            pause = claimed_at + MIN_CLAIM_INTERVAL - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)

    async def _work(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self._stopping:
            _, _, item = await self._queue.get()
            self._busy.add(task)
            try:
                # Another instance may be the sender now: it takes this claimed row back.
                if self._role.held:
                    await self._deliver(item)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await self._failed(item, error)
            finally:
                self._busy.discard(task)
                self._queue.task_done()
                self._wake.set()  # the chat may have more waiting, claimable now

    async def _deliver(self, item: OutboxItem) -> None:
        async with self._pacer.turn(item.chat_id):
            await self._deliver_in_order(item)

    async def _deliver_in_order(self, item: OutboxItem) -> None:
        parts, delivery = await self._render(item)
        if parts and item.part == 0 and (delivery.hold_until or delivery.drop):
            async with self._services.db.transaction() as tx:
                if delivery.hold_until is not None:
                    await tx.hold(item.id, delivery.hold_until)
                else:
                    await tx.finish(item.id, sent=False, now=self._services.clock(), error="quiet")
            log.info("outbox: row %d (%s) waits for its reader's morning", item.id, item.kind)
            self.wake()
            return
        silent = delivery.silent or not await self._take_sound(item, delivery.day)
        # One row makes one sound at most: its later parts (a long text, a guess reveal's
        # second message) come silently.
        parts = [replace(part, silent=silent or index > 0) for index, part in enumerate(parts)]
        try:
            for index in range(item.part, len(parts)):
                part = parts[index]
                # A reaction is no message in the chat: Telegram's one message a second per
                # chat does not apply, so it never holds up the reveal behind it.
                paced = part.react_to is None
                if paced:
                    await self._pacer.wait(item.chat_id)
                try:
                    message_id = await self._sender.send(item.chat_id, part, row=item.id)
                finally:
                    if paced:
                        self._pacer.sent(item.chat_id)
                pinned_before = None
                async with self._services.db.transaction() as tx:
                    if part.pin and message_id is not None:
                        pinned_before = await tx.question_message_before(item.chat_id, message_id)
                    if part.prompt_id is not None and message_id is not None:
                        await tx.record_sent_message(item.chat_id, message_id, part.prompt_id)
                    if part.nudge_id is not None and message_id is not None:
                        await tx.record_nudge_message(item.chat_id, message_id, part.nudge_id)
                    if index + 1 < len(parts):
                        await tx.advance_part(item.id, index + 1)
                    else:
                        await tx.finish(item.id, sent=True, now=self._services.clock())
                if part.pin and message_id is not None:
                    # Like a reaction, a pin is no message in the chat: not paced, and never
                    # able to fail or repeat the row it belongs to.
                    await self._sender.pin(
                        item.chat_id, message_id, unpin=pinned_before, row=item.id
                    )
            if not parts and item.kind is MessageKind.STATUS:
                # Nothing to show yet (the question not sent yet, nobody answered): done.
                async with self._services.db.transaction() as tx:
                    await tx.finish(item.id, sent=True, now=self._services.clock())
            elif not parts:
                raise GiveUp("nothing left to send")
        except TryLater as later:
            await self._retry_later(item, str(later), later.delay)
        except GiveUp as reason:
            if isinstance(reason, Unreachable):
                await self._unreachable(item)
            self._metrics.delivery_failures.inc()
            log.warning("outbox: row %d (%s) not delivered: %s", item.id, item.kind, reason)
            async with self._services.db.transaction() as tx:
                await tx.finish(item.id, sent=False, now=self._services.clock(), error=str(reason))
        else:
            self._metrics.messages_sent.labels(item.kind.value).inc()

    async def _failed(self, item: OutboxItem, error: Exception) -> None:
        """Put back a row whose delivery failed unexpectedly; never let it end the worker."""
        if not self._role.held:
            # The database went away, and the sender role with it: the row stays claimed and
            # whichever instance sends next takes it back (a repeat, if it had been sent).
            log.warning("outbox: row %d (%s) left for the next sender", item.id, item.kind)
            return
        log.error(
            "outbox: unexpected error delivering row %d (%s)", item.id, item.kind, exc_info=error
        )
        try:
            await self._retry_later(item, "unexpected_error", RETRY_LATER_BASE.total_seconds())
        except Exception as again:
            # Still claimed by this sender: try it again from memory in a while.
            log.warning(
                "outbox: row %d could not be put back (%s); trying again shortly",
                item.id,
                type(again).__name__,
            )
            asyncio.get_running_loop().call_later(
                RETRY_LATER_BASE.total_seconds(), self._requeue, item, self._term
            )

    def _requeue(self, item: OutboxItem, term: int) -> None:
        """Queue a row held in memory again, unless the sender role changed hands meanwhile:
        the new term took the row back from the database, and sending it from memory as well
        made a third copy (seen after a PostgreSQL restart)."""
        if term == self._term and self._role.held and not self._stopping:
            self._queue.put_nowait((int(item.priority), item.id, item))

    async def _retry_later(self, item: OutboxItem, reason: str, delay: float) -> None:
        self._metrics.delivery_retries.inc()
        backoff = max(delay, RETRY_LATER_BASE.total_seconds() * (2 ** min(item.attempts, 6)))
        if delay and delay < RETRY_LATER_BASE.total_seconds():
            backoff = delay  # a flood wait says exactly how long; no need to add more
        not_before = self._services.clock() + dt.timedelta(seconds=backoff)
        async with self._services.db.transaction() as tx:
            kept = await tx.retry_later(item.id, not_before, reason)
        if not kept:
            self._metrics.delivery_failures.inc()
            log.error("outbox: row %d (%s) given up after repeated failures", item.id, item.kind)

    async def _unreachable(self, item: OutboxItem) -> None:
        if await pause.mark_unreachable(self._services, item.user_id):
            log.warning("user %d cannot be reached (blocked the bot or deactivated)", item.user_id)
        self.wake()

    async def _take_sound(self, item: OutboxItem, day: dt.date | None) -> bool:
        """Spend one of the reader's sounds for their local `day`, as the view read it when
        rendering (False: the budget is spent, or no reader to spend it for)."""
        if day is None:
            return False
        async with self._services.db.transaction() as tx:
            return await tx.take_sound(item.user_id, day, attention.DAILY_SOUNDS)

    async def _render(self, item: OutboxItem) -> tuple[list[Part], attention.Delivery]:
        """Build the API calls for a row from its parameters and what is stored now, and
        decide whether its reader's hours let it make a sound (or send it at all) now."""
        async with self._services.db.reading() as tx:
            view = await load_view(tx, item)
        if view is None:
            return [], attention.Delivery()
        language = self._services.language_of(view.reader)
        now = self._services.clock()
        delivery = attention.Delivery(silent=item.kind not in attention.NOTIFYING)
        if view.reader is not None and view.clock is not None:
            delivery = attention.plan(
                item.kind,
                item.payload,
                now=now,
                timezone=view.clock.timezone,
                quiet=(view.reader.quiet_start, view.reader.quiet_end),
            )
        return render.render(item, view, language, now), delivery
