"""The tick: find the pairs that are due, claim them, and queue their questions.

One repeating job drives everything (never one job per pair): it reads an indexed "next due"
column, so its cost grows with the number of pairs due, not the number stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from bot import services as use
from bot.content import Library
from bot.domain import schedule
from bot.domain.models import Pair
from bot.storage import Transaction

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class TickReport:
    """What one tick did."""

    delivered: int = 0
    skipped: int = 0


async def claim_due_pairs(
    tx: Transaction, library: Library, now: dt.datetime, limit: int, report: TickReport
) -> int:
    """Queue the question (and any exercise) of up to `limit` due pairs; return how many."""
    due = await tx.due_pairs(now, limit)
    for pair in due:
        await _handle_due_pair(tx, library, pair, now, report)
    return len(due)


async def _handle_due_pair(
    tx: Transaction, library: Library, pair: Pair, now: dt.datetime, report: TickReport
) -> None:
    assert pair.next_due_at is not None
    zone = pair.schedule.timezone
    day = schedule.local_date(pair.next_due_at, zone)
    if not schedule.still_same_day(pair.next_due_at, now, zone):
        # The bot was down through the whole local day: a late question would arrive at night
        # or pile up with today's, so the day is skipped and today's send time is next.
        log.warning("pair %d: question for %s skipped, the bot was down that day", pair.id, day)
        report.skipped += 1
        midnight = schedule.at_local_time(schedule.local_date(now, zone), dt.time(0), zone)
        today_due = schedule.next_due(midnight, pair.schedule, day)
        if today_due <= now:  # today's send time has passed too: today is still on
            await _handle_due_pair(tx, library, replace(pair, next_due_at=today_due), now, report)
        else:
            await tx.set_next_due(pair.id, today_due)
        return
    await use.start_question(tx, library, pair, day, now)
    await use.start_exercise(tx, library, pair, day, pair.exercise_weekday, now)
    await tx.set_next_due(pair.id, schedule.next_due(now, pair.schedule, last_sent_day=day))
    report.delivered += 1


async def run_tick(services: use.Services, now: dt.datetime | None = None) -> TickReport:
    """Handle every pair due at `now` in batches, each batch one transaction."""
    moment = now or services.clock()
    report = TickReport()
    while True:
        async with services.db.transaction() as tx:
            handled = await claim_due_pairs(tx, services.library, moment, BATCH_SIZE, report)
        if handled:
            services.wake_delivery()
        if handled < BATCH_SIZE:
            break
    if report.delivered or report.skipped:
        log.info("tick: %d pairs due, %d skipped", report.delivered, report.skipped)
    return report
