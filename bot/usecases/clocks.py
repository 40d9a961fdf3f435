"""Each person's own clock: their zone and question time, and the pair's day that follows.

A pair still has one question a day, chosen at one member's time (the pair's clock, derived
from its members' clocks by `schedule.pair_clock`); each partner gets it at their own time in
their own zone. A change to one person's clock is theirs alone: the partner is not told.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from bot.content import Library
from bot.domain import schedule
from bot.domain.models import Pair, Person, PromptKind, Schedule
from bot.storage import StoreTransaction
from bot.usecases import nudges, questions
from bot.usecases.common import Services, members_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClockChange:
    """A person's clock after a change, and when their next question comes (None: paused or
    not paired)."""

    person: Person
    clock: Schedule
    next_at: dt.datetime | None
    pair: Pair | None


async def set_own_clock(
    services: Services,
    user_id: int,
    *,
    timezone: str | None = None,
    send_time: dt.time | None = None,
) -> ClockChange | None:
    """Set the person's own zone or question time; None if they never talked to the bot."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.lock_pair_of(user_id)
        person = await tx.get_person(user_id)
        if person is None:
            return None
        if pair is not None and timezone is None and person.timezone is None:
            timezone = pair.schedule.timezone  # a time chosen alone is meant in the pair's zone
        await tx.set_clock(user_id, timezone=timezone, send_time=send_time)
        person = replace(
            person,
            timezone=timezone or person.timezone,
            send_time=send_time or person.send_time,
        )
        if pair is None:
            own = person.clock(None, services.settings.default_timezone)
            return ClockChange(person, own, None, None)
        pair = await realign(tx, pair, now)
        await nudges.plan_nudges(tx, person, pair, now)
        await start_first_question(tx, services.library, pair, now)
        pair = await tx.get_pair(pair.id) or pair
        own = person.clock(pair)
        next_at = next_question_for(person, pair, now)
    services.wake_delivery()
    return ClockChange(person, own, next_at, pair)


def next_question_for(person: Person, pair: Pair, now: dt.datetime) -> dt.datetime | None:
    """When the person's next question comes, by their own clock (None: paused)."""
    if pair.next_due_at is None:
        return None
    return max(now, schedule.personal_moment(pair.next_due_at, person.clock(pair)))


async def realign(tx: StoreTransaction, pair: Pair, now: dt.datetime) -> Pair:
    """Move the pair's clock to follow its members' own clocks; return the pair as it is now."""
    people = await members_of(tx, pair)
    clocks = [person.clock(pair) for person in people]
    if not clocks:
        return pair
    chosen = schedule.pair_clock(clocks, now)
    new = replace(chosen, frequency=pair.schedule.frequency)
    if new == pair.schedule:
        return pair
    await tx.set_schedule(pair.id, new)
    due = pair.next_due_at
    if not pair.paused:
        last_day = await tx.last_prompt_day(pair.id, PromptKind.QUESTION)
        due = schedule.next_due(now, new, last_sent_day=last_day)
        await tx.set_next_due(pair.id, due)
    log.info("pair %d: its day now follows a member's clock", pair.id)
    return replace(pair, schedule=new, next_due_at=due)


async def start_first_question(
    tx: StoreTransaction, library: Library, pair: Pair, now: dt.datetime
) -> bool:
    """Send a new pair's first question once both partners have said where they are (or
    skipped that); True if it was queued now.

    It waits for each partner's morning when they paired late at night (bot.domain.attention).
    """
    if pair.paused or pair.ended_at is not None or await tx.question_count(pair.id) > 0:
        return False
    people = await members_of(tx, pair)
    if len(people) < 2 or any(person.timezone is None for person in people):
        return False
    today = schedule.local_date(now, pair.schedule.timezone)
    prompt = await questions.start_question(tx, library, pair, today, now, urgent=True, first=True)
    if prompt is None:
        return False
    await tx.set_next_due(pair.id, schedule.next_due(now, pair.schedule, last_sent_day=today))
    return True
