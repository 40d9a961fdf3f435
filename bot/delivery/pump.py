"""Sending what the outbox holds: paced, prioritised, and turning Telegram errors into outcomes.

A feeder claims pending rows (most urgent first) into a small in-memory priority queue; a few
workers send them. The queue holds about a second of sending and at most one row per chat, so a
reveal that arrives during a morning broadcast, or next to one chat's backlog, waits behind at
most that. The overall rate and a 429's pause (for its chat only) are kept by our flood limiter
(bot.ratelimit); the one-message-per-second-per-chat pace is kept here.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
import warnings
from collections import Counter
from dataclasses import replace

from telegram import Bot, Message, MessageId
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import render
from bot.domain.outbox import MessageKind, OutboxItem
from bot.render import Part
from bot.usecases import pause
from bot.usecases.common import Services

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.05  # seconds between two messages to one chat (Telegram allows ~1/s)
QUEUE_SECONDS = 1.0  # how much sending the in-memory queue holds
IDLE_POLL_SECONDS = 1.0
MIN_CLAIM_INTERVAL = 0.01  # how often the feeder looks for deferred rows when nothing wakes it
NETWORK_RETRIES = (0.5, 1.0, 2.0)  # in-process backoff before a row waits for a later round
RETRY_LATER_BASE = dt.timedelta(seconds=15)
# Rows one chat may have in flight: a chat's backlog (paced at ~1/s) never fills the queue that
# every other chat's reveals wait in.
CLAIMS_PER_CHAT = 1


class _GiveUp(Exception):
    """The row cannot be delivered; the reason is stored and logged."""


class _TryLater(Exception):
    """The row should be tried again after `delay` seconds."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


def _seconds(flood: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that retry_after becomes a timedelta
        wait = flood.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


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
        self._bot = bot
        self._chat_interval = chat_interval
        self._services = services
        self._queue_size = max(8, math.ceil(rate * QUEUE_SECONDS))
        self._workers = min(256, max(4, math.ceil(rate / 3)))
        self._queue: asyncio.PriorityQueue[tuple[int, int, OutboxItem]] = asyncio.PriorityQueue()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_users: Counter[int] = Counter()
        self._last_sent: dict[int, float] = {}
        self._busy: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.counts: Counter[str] = Counter()

    def wake(self) -> None:
        """Tell the feeder the outbox has new rows."""
        self._wake.set()

    async def start(self) -> None:
        """Return rows a stopped process had claimed, then start the feeder and workers."""
        async with self._services.db.transaction() as tx:
            released = await tx.release_claimed()
        if released:
            log.warning("outbox: %d messages were in flight at the last stop; resending", released)
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
        async with self._services.db.transaction() as tx:
            released = await tx.release_claimed()
        if released:
            log.info("outbox: %d claimed messages left for the next start", released)

    async def idle(self) -> bool:
        """Say whether nothing is queued, in flight or pending and due (used by tests)."""
        if not self._queue.empty() or any(lock.locked() for lock in self._chat_locks.values()):
            return False
        async with self._services.db.transaction() as tx:
            counts = await tx.outbox_counts()
            upcoming = await tx.next_outbox_time()
        if counts.get("claimed"):
            return False
        return upcoming is None or upcoming > self._services.clock()

    async def _feed(self) -> None:
        while True:
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.02 if busy else IDLE_POLL_SECONDS)
            await asyncio.sleep(MIN_CLAIM_INTERVAL)

    async def _work(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self._stopping:
            _, _, item = await self._queue.get()
            self._busy.add(task)
            try:
                await self._deliver(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "outbox: unexpected error delivering row %d (%s)", item.id, item.kind
                )
                await self._retry_later(item, "unexpected error", RETRY_LATER_BASE.total_seconds())
            finally:
                self._busy.discard(task)
                self._queue.task_done()
                self._wake.set()  # the chat may have more waiting, claimable now

    async def _deliver(self, item: OutboxItem) -> None:
        self._chat_users[item.chat_id] += 1
        lock = self._chat_locks.setdefault(item.chat_id, asyncio.Lock())
        try:
            async with lock:
                await self._deliver_in_order(item)
        finally:
            self._chat_users[item.chat_id] -= 1
            if self._chat_users[item.chat_id] <= 0:
                del self._chat_users[item.chat_id]
                self._chat_locks.pop(item.chat_id, None)

    async def _deliver_in_order(self, item: OutboxItem) -> None:
        parts = await self._render(item)
        try:
            for index in range(item.part, len(parts)):
                await self._pace(item.chat_id)
                message_id = await self._send(item, parts[index])
                part = parts[index]
                async with self._services.db.transaction() as tx:
                    if part.prompt_id is not None and message_id is not None:
                        await tx.record_sent_message(item.chat_id, message_id, part.prompt_id)
                    if part.nudge_id is not None and message_id is not None:
                        await tx.record_nudge_message(item.chat_id, message_id, part.nudge_id)
                    if index + 1 < len(parts):
                        await tx.advance_part(item.id, index + 1)
                    else:
                        await tx.finish(item.id, sent=True, now=self._services.clock())
            if not parts:
                raise _GiveUp("nothing left to send")
        except _TryLater as later:
            await self._retry_later(item, str(later), later.delay)
        except _GiveUp as reason:
            self.counts["failed"] += 1
            log.warning("outbox: row %d (%s) not delivered: %s", item.id, item.kind, reason)
            async with self._services.db.transaction() as tx:
                await tx.finish(item.id, sent=False, now=self._services.clock(), error=str(reason))
        else:
            self.counts["sent"] += 1
            self.counts[f"sent_{item.kind}"] += 1

    async def _retry_later(self, item: OutboxItem, reason: str, delay: float) -> None:
        self.counts["deferred"] += 1
        backoff = max(delay, RETRY_LATER_BASE.total_seconds() * (2 ** min(item.attempts, 6)))
        if delay and delay < RETRY_LATER_BASE.total_seconds():
            backoff = delay  # a flood wait says exactly how long; no need to add more
        not_before = self._services.clock() + dt.timedelta(seconds=backoff)
        async with self._services.db.transaction() as tx:
            kept = await tx.retry_later(item.id, not_before, reason)
        if not kept:
            self.counts["failed"] += 1
            log.error("outbox: row %d (%s) given up after repeated failures", item.id, item.kind)

    async def _pace(self, chat_id: int) -> None:
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = last + self._chat_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        if len(self._last_sent) > 50_000:
            horizon = time.monotonic() - self._chat_interval
            self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}

    async def _send(self, item: OutboxItem, part: Part) -> int | None:
        for attempt, wait in enumerate((*NETWORK_RETRIES, None)):
            try:
                return await self._call(item, part)
            except RetryAfter as flood:
                # The rate limiter already waited and retried; leave the row for a later round.
                raise _TryLater("flood wait", _seconds(flood)) from None
            except Forbidden as error:
                await self._mark_unreachable(item)
                raise _GiveUp(f"forbidden: {error.message}") from None
            except BadRequest as error:
                if part.copy_from is not None and "not found" in error.message.lower():
                    part = replace(part, text=part.fallback_text, copy_from=None)
                    continue
                raise _GiveUp(f"bad request: {error.message}") from None
            except NetworkError as error:  # includes timeouts and dropped connections
                self.counts["network_errors"] += 1
                if wait is None:
                    raise _TryLater(f"network: {type(error).__name__}", 0) from None
                log.info(
                    "outbox: row %d network error (attempt %d), retrying", item.id, attempt + 1
                )
                await asyncio.sleep(wait)
            except TelegramError as error:
                raise _GiveUp(f"telegram: {error.message}") from None
            finally:
                self._last_sent[item.chat_id] = time.monotonic()
        raise _TryLater("network", 0)

    async def _call(self, item: OutboxItem, part: Part) -> int | None:
        sent: Message | MessageId
        if part.copy_from is not None:
            sent = await self._bot.copy_message(
                chat_id=item.chat_id,
                from_chat_id=part.copy_from[0],
                message_id=part.copy_from[1],
                reply_markup=part.reply_markup,
            )
        else:
            sent = await self._bot.send_message(
                chat_id=item.chat_id,
                text=part.text or "…",
                parse_mode=ParseMode.HTML,
                reply_markup=part.reply_markup,
            )
        return sent.message_id

    async def _mark_unreachable(self, item: OutboxItem) -> None:
        now = self._services.clock()
        async with self._services.db.transaction() as tx:
            changed = await tx.set_blocked(item.user_id, now)
            paused = await pause.pause_for_unreachable(tx, item.user_id, now)
        if changed:
            log.warning("user %d cannot be reached (blocked the bot or deactivated)", item.user_id)
        if paused:
            self.wake()

    async def _render(self, item: OutboxItem) -> list[Part]:
        """Build the API calls for a row from its parameters and what is stored now."""
        view = await self._view(item)
        if view is None:
            return []
        return render.render(item, view, self._services.library, self._services.clock())

    async def _view(self, item: OutboxItem) -> render.View | None:
        """Read what a row refers to; None when that is gone (the row has nothing to send)."""
        if item.kind in (MessageKind.GIFT, MessageKind.CHANGES):
            return render.View()
        async with self._services.db.transaction() as tx:
            if item.kind is MessageKind.NUDGE:
                nudge = await tx.get_nudge(int(item.payload.get("nudge_id", 0)))
                pair = await tx.get_pair(nudge.pair_id) if nudge else None
                if nudge is None or pair is None or pair.ended_at is not None:
                    return None
                partner = await tx.get_person(pair.partner_of(item.user_id))
                return render.View(
                    partner_name=partner.first_name if partner else None,
                    nudge_id=nudge.id,
                    nudge_content_id=nudge.content_id,
                )
            prompt = None if item.prompt_id is None else await tx.get_prompt(item.prompt_id)
            if item.kind is MessageKind.NOTICE:
                return render.View(prompt=prompt)
            if prompt is None:
                return None
            if item.kind in (MessageKind.QUESTION, MessageKind.EXERCISE):
                return render.View(prompt=prompt)
            pair = await tx.get_pair(prompt.pair_id)
            if pair is None or item.user_id not in pair.members:
                return None
            partner_id = pair.partner_of(item.user_id)
            partner = await tx.get_person(partner_id)
            answers = await tx.answers_to(prompt.id) if item.kind is MessageKind.REVEAL else []
        return render.View(
            prompt=prompt,
            partner_id=partner_id,
            partner_name=partner.first_name if partner else None,
            answers=tuple(answers),
        )
