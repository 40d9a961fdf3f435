"""Compliment nudges and the heart sent back for an appreciation."""

from __future__ import annotations

import datetime as dt
import logging
from enum import Enum, auto

from bot.domain import schedule, selection
from bot.domain.models import (
    Pair,
    Person,
    PromptKind,
)
from bot.domain.outbox import MessageKind, NewMessage, Notice
from bot.storage import StoreTransaction
from bot.usecases.common import Services, notice_to, pairing_in

log = logging.getLogger(__name__)


async def send_due_nudges(
    tx: StoreTransaction, services: Services, person: Person, now: dt.datetime
) -> int:
    """Queue a person's due nudge (their own days and time, in their own zone) when it fits;
    schedule the next one. Return how many were queued (0 or 1).

    No nudge while the person has a question they have not answered (never on top of one),
    or while the pair is paused; after three unanswered in a row, they come less often.
    """
    assert person.next_nudge_at is not None
    pair = await tx.get_pair(person.pair_id) if person.pair_id is not None else None
    if pair is None or pair.ended_at is not None:
        await tx.set_nudge_plan(person.user_id, clear_next=True)
        return 0
    zone = person.clock(pair).timezone
    day = schedule.local_date(person.next_nudge_at, zone)
    ignored = _unanswered_in_a_row(await tx.recent_gifts(person.user_id, pair.id, 6))
    queued = 0
    if (
        schedule.still_same_day(person.next_nudge_at, now, zone)
        and person.nudges_on
        and not person.blocked
        and not pair.paused
        and not await _owes_an_answer(tx, pair, person)
    ):
        prompt = selection.choose_appreciation(
            services.library.appreciation,
            history=await tx.nudge_history(person.user_id),
            seed=pair.seed + person.user_id,
        )
        nudge = None
        if prompt is not None:
            nudge = await tx.create_nudge(pair.id, person.user_id, prompt.id, day, now)
        if nudge is not None:
            payload = {"nudge_id": nudge.id}
            await tx.enqueue(
                [NewMessage(person.user_id, person.chat_id, MessageKind.NUDGE, None, payload)],
                now,
            )
            queued, ignored = 1, ignored + 1
    await plan_nudges(tx, person, pair, now, ignored=ignored, last_day=day)
    return queued


async def plan_nudges(
    tx: StoreTransaction,
    person: Person,
    pair: Pair | None,
    now: dt.datetime,
    *,
    ignored: int | None = None,
    last_day: dt.date | None = None,
) -> dt.datetime | None:
    """Schedule a person's next nudge from their days and time; return when it is."""
    if pair is None or pair.ended_at is not None:
        await tx.set_nudge_plan(person.user_id, clear_next=True)
        return None
    if ignored is None:
        ignored = _unanswered_in_a_row(await tx.recent_gifts(person.user_id, pair.id, 6))
    zone = person.clock(pair).timezone
    if pair.created_at is not None:
        # Never on the day the first question reaches them (the morning after, when they
        # paired in their night): the first day is the question's alone.
        first = schedule.first_morning(pair.created_at, zone, person.quiet_start, person.quiet_end)
        first_day = schedule.local_date(first, zone)
        last_day = first_day if last_day is None else max(last_day, first_day)
    due = schedule.next_nudge(
        now,
        zone,
        person.nudge_time,
        person.nudge_days,
        ignored=ignored,
        last_day=last_day,
    )
    await tx.set_nudge_plan(person.user_id, next_at=due, clear_next=due is None)
    return due


def _unanswered_in_a_row(gifts: list[bool]) -> int:
    """How many of the latest nudges (newest first) went unanswered in a row."""
    count = 0
    for answered in gifts:
        if answered:
            break
        count += 1
    return count


async def _owes_an_answer(tx: StoreTransaction, pair: Pair, person: Person) -> bool:
    """Whether the person has not answered the pair's latest question yet (a nudge never
    comes on top of today's unanswered question)."""
    latest = [p for p in await tx.open_prompts(pair.id) if p.kind is PromptKind.QUESTION]
    if not latest:
        return False  # the latest question was revealed: both answered it
    newest = max(latest, key=lambda prompt: (prompt.sent_at, prompt.id))
    return not await tx.has_answered(newest.id, person.user_id)


class HeartOutcome(Enum):
    """What became of a press on 'send a heart back'."""

    SENT = auto()
    ALREADY = auto()
    EXPIRED = auto()


async def send_heart(services: Services, user_id: int, nudge_id: int) -> HeartOutcome:
    """Send a heart back to the partner who wrote an appreciation to `user_id`."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        nudge = await tx.get_nudge(nudge_id)
        if (
            pairing is None
            or nudge is None
            or nudge.pair_id != pairing.pair.id
            or nudge.user_id != pairing.partner.user_id
        ):
            return HeartOutcome.EXPIRED
        if not await tx.mark_heart(nudge.id, now):
            return HeartOutcome.ALREADY
        params = {"name": pairing.person.first_name}
        await tx.enqueue(
            [notice_to(pairing.partner, Notice.HEART, params, about=pairing.person)], now
        )
    services.wake_delivery()
    return HeartOutcome.SENT
