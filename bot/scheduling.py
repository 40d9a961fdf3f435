"""The tick: find the pairs that are due, claim them, and queue their questions.

One repeating job drives everything (never one job per pair): it reads an indexed "next due"
column, so its cost grows with the number of pairs due, not the number stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.content import Library
from bot.domain import schedule
from bot.domain.models import Pair, Person, QuestionFacts
from bot.storage import StoreTransaction
from bot.usecases import common, followups, nudges, pause, questions, reminders

log = logging.getLogger(__name__)

# Pairs handled per transaction. Small enough (~0.1 s) that answers and the sender, which share
# the one database connection, never wait long behind a morning broadcast being queued.
BATCH_SIZE = 50
# Batches one step may run in a tick (20,000 rows): a tick always ends.
MAX_BATCHES = 400


@dataclass
class TickReport:
    """What one tick did."""

    delivered: int = 0
    skipped: int = 0
    nudges: int = 0
    reminders: int = 0
    pauses_ended: int = 0
    questions_closed: int = 0
    invites_expired: int = 0
    absences: int = 0


async def claim_due_pairs(
    tx: StoreTransaction,
    library: Library,
    now: dt.datetime,
    limit: int,
    report: TickReport,
    *,
    absence_days: int | None = None,
) -> int:
    """Queue the question (and any exercise) of up to `limit` due pairs; return how many.
    With `absence_days`, a pair with a partner gone quiet that long is paused instead."""
    due = await tx.due_pairs(now, limit)
    # What choosing and queueing read, for the whole batch at once (a query each, not per pair).
    facts = await tx.question_facts([pair.id for pair in due])
    people = await tx.people_by_id([member for pair in due for member in pair.members])
    dues: list[tuple[int, dt.datetime | None]] = []
    for pair in due:
        if absence_days is not None and await followups.pause_if_absent(
            tx, pair, now, absence_days
        ):
            report.absences += 1
            continue
        members = [people[member] for member in pair.members if member in people]
        await _handle_due_pair(tx, library, pair, now, report, facts[pair.id], members, dues)
    await tx.set_next_dues(dues)
    return len(due)


async def _handle_due_pair(
    tx: StoreTransaction,
    library: Library,
    pair: Pair,
    now: dt.datetime,
    report: TickReport,
    facts: QuestionFacts,
    people: list[Person],
    dues: list[tuple[int, dt.datetime | None]],
) -> None:
    """Queue one due pair's question (and exercise); its next due time goes into `dues`."""
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
            await _handle_due_pair(
                tx, library, replace(pair, next_due_at=today_due), now, report, facts, people, dues
            )
        else:
            await tx.set_next_due(pair.id, today_due)
        return
    await questions.start_question(tx, library, pair, day, now, facts=facts, people=people)
    await questions.start_exercise(tx, library, pair, day, pair.exercise_weekday, now)
    dues.append((pair.id, schedule.next_due(now, pair.schedule, last_sent_day=day)))
    report.delivered += 1


async def run_tick(services: common.Services, now: dt.datetime | None = None) -> TickReport:
    """Do everything due at `now`: questions, ended pauses, nudges and reminders.

    Work is done in batches, each batch one transaction, so a crash loses at most a batch that
    was never committed (and is found due again on the next tick).
    """
    moment = now or services.clock()
    report = TickReport()
    cursor = reminders.ReminderCursor()
    settings = services.settings
    steps: list[Callable[[StoreTransaction], Awaitable[int]]] = [
        lambda tx: _count(pause.end_due_pauses(tx, moment, BATCH_SIZE), report, "pauses_ended"),
        # Closing first, so a pair's new question never joins a pile of old open ones.
        lambda tx: _count(
            followups.close_questions(tx, moment, settings.question_open_for, BATCH_SIZE),
            report,
            "questions_closed",
        ),
        lambda tx: claim_due_pairs(
            tx,
            services.library,
            moment,
            BATCH_SIZE,
            report,
            absence_days=settings.absence_days,
        ),
        lambda tx: _count(
            followups.tell_expired_invites(tx, moment, BATCH_SIZE), report, "invites_expired"
        ),
        lambda tx: _nudge_batch(tx, services, moment, report),
        lambda tx: reminders.send_due_reminders(tx, moment, BATCH_SIZE, cursor),
    ]
    for step in steps:
        for _ in range(MAX_BATCHES):
            async with services.db.transaction() as tx:
                handled = await step(tx)
            if handled:
                services.wake_delivery()
            if handled < BATCH_SIZE:
                break
        else:
            # Every batch moves its rows on (they are no longer due), so this means a large
            # backlog: the next tick carries on, and no tick runs unbounded.
            log.warning(
                "tick: %d batches of one step; the rest waits for the next tick", MAX_BATCHES
            )
    report.reminders = cursor.queued
    if report.delivered or report.skipped or report.nudges or report.reminders:
        log.info(
            "tick: %d questions, %d skipped, %d nudges, %d reminders, %d pauses ended",
            report.delivered,
            report.skipped,
            report.nudges,
            report.reminders,
            report.pauses_ended,
        )
    return report


async def _count(work: Awaitable[int], report: TickReport, field: str) -> int:
    done = await work
    setattr(report, field, getattr(report, field) + done)
    return done


async def _nudge_batch(
    tx: StoreTransaction, services: common.Services, now: dt.datetime, report: TickReport
) -> int:
    due = await tx.due_nudges(now, BATCH_SIZE)
    for person in due:
        report.nudges += await nudges.send_due_nudges(tx, services, person, now)
    return len(due)
