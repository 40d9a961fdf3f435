"""Pause and resume, timed pauses ending, and pausing for someone Telegram cannot reach."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from enum import Enum, auto

from bot.domain import schedule
from bot.domain.models import (
    Pair,
    Person,
    PromptKind,
)
from bot.domain.outbox import Notice, moment_param, schedule_params
from bot.domain.parsing import ParseError, parse_pause
from bot.storage import StoreTransaction
from bot.usecases.common import Services, members_of, notice_to, pairing_in, tell_partner

log = logging.getLogger(__name__)


class PauseOutcome(Enum):
    """What /pause and /resume did."""

    NOT_PAIRED = auto()
    BAD_ARGUMENT = auto()
    PAUSED = auto()
    PAUSE_UPDATED = auto()
    RESUMED = auto()
    NOT_PAUSED = auto()
    PARTNER_AWAY = auto()


@dataclass(frozen=True)
class PauseResult:
    """The outcome with the moments its reply mentions."""

    outcome: PauseOutcome
    until: dt.datetime | None = None
    next_due_at: dt.datetime | None = None
    pair: Pair | None = None
    person: Person | None = None  # who asked: their own clock shows the times


async def pause(services: Services, user_id: int, argument: str) -> PauseResult:
    """Pause the pair (or change the end of a pause); tell the partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None:
            return PauseResult(PauseOutcome.NOT_PAIRED)
        zone = pairing.person.clock(pairing.pair).timezone  # "until <date>" is their date
        try:
            until = parse_pause(argument, now, zone)
        except ParseError:
            return PauseResult(PauseOutcome.BAD_ARGUMENT)
        pair = pairing.pair
        outcome = PauseOutcome.PAUSE_UPDATED if pair.paused else PauseOutcome.PAUSED
        if pair.paused and pair.pause_ends_at == until:
            # The same pause again: nothing to tell.
            return PauseResult(outcome, until, pair=pair, person=pairing.person)
        await tx.pause(pair.id, until, user_id)
        await tx.note_pause_started(pair.id, now)
        params = {"what": "paused", "until": moment_param(until), "timezone": zone}
        change = (
            "pause",
            _pause_state(pair),
            _pause_state(replace(pair, paused=True, pause_ends_at=until)),
            params,
        )
        await tell_partner(tx, pair.id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return PauseResult(outcome, until, pair=pair, person=pairing.person)


def _pause_state(pair: Pair) -> str:
    if not pair.paused:
        return "running"
    return f"paused:{pair.pause_ends_at.isoformat() if pair.pause_ends_at else 'open'}"


async def _resume(tx: StoreTransaction, pair: Pair, now: dt.datetime) -> dt.datetime | None:
    last_day = await tx.last_prompt_day(pair.id, PromptKind.QUESTION)
    due = schedule.next_due(now, pair.schedule, last_sent_day=last_day)
    if not await tx.resume(pair.id, due):
        return None
    await tx.note_pause_ended(pair.id, now)
    return due


async def resume(services: Services, user_id: int) -> PauseResult:
    """Resume the pair's questions from the next send time; tell the partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None:
            return PauseResult(PauseOutcome.NOT_PAIRED)
        if not pairing.pair.paused:
            return PauseResult(
                PauseOutcome.NOT_PAUSED,
                next_due_at=pairing.pair.next_due_at,
                pair=pairing.pair,
                person=pairing.person,
            )
        if pairing.partner.blocked:
            # Questions would only bounce off the partner's block and pause the pair again.
            return PauseResult(PauseOutcome.PARTNER_AWAY, pair=pairing.pair)
        due = await _resume(tx, pairing.pair, now)
        params = {
            "what": "resumed",
            "next": moment_param(due),
            **schedule_params(pairing.pair.schedule),
        }
        change = ("pause", _pause_state(pairing.pair), "running", params)
        await tell_partner(tx, pairing.pair.id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return PauseResult(
        PauseOutcome.RESUMED, next_due_at=due, pair=pairing.pair, person=pairing.person
    )


async def end_due_pauses(tx: StoreTransaction, now: dt.datetime, limit: int) -> int:
    """Resume the pairs whose timed pause is over, with a note to both; return how many."""
    ended = await tx.pauses_ending(now, limit)
    for pair in ended:
        due = await _resume(tx, pair, now)
        if due is None:
            continue  # resumed by hand meanwhile: that resume told them
        params = {"next": moment_param(due), **schedule_params(pair.schedule)}
        notices = [notice_to(p, Notice.PAUSE_ENDED, params) for p in await members_of(tx, pair)]
        await tx.enqueue(notices, now)
    return len(ended)


async def pause_for_unreachable(
    tx: StoreTransaction, user_id: int, now: dt.datetime
) -> tuple[Pair, Person] | None:
    """Pause the pair of someone Telegram says blocked the bot; tell the partner once."""
    pairing = await pairing_in(tx, user_id)
    if pairing is None or pairing.pair.paused:
        return None
    await tx.pause(pairing.pair.id, None, user_id)
    await tx.note_pause_started(pairing.pair.id, now)
    params = {"name": pairing.person.first_name}
    notice = notice_to(pairing.partner, Notice.UNREACHABLE, params, about=pairing.person)
    await tx.enqueue([notice], now)
    return pairing.pair, pairing.partner


async def note_blocked(services: Services, user_id: int, *, blocked: bool) -> Person | None:
    """Record that a person blocked (pausing the pair, partner told once) or unblocked the bot.

    On unblocking, returns the partner to name in a welcome-back offer to resume.
    """
    now = services.clock()
    partner = None
    async with services.db.transaction() as tx:
        if blocked:
            await tx.set_blocked(user_id, now)
            await pause_for_unreachable(tx, user_id, now)
        else:
            partner = await came_back(tx, user_id, now)
    services.wake_delivery()
    return partner


async def came_back(tx: StoreTransaction, user_id: int, now: dt.datetime) -> Person | None:
    """Note that someone who blocked the bot is reachable again. When their pair was paused
    because of it, tell the partner (as promised) and return the partner, to name in the
    offer to resume; questions resume when one of them sends /resume."""
    if not await tx.set_blocked(user_id, None):
        return None
    pairing = await pairing_in(tx, user_id)
    if pairing is None or not pairing.pair.paused or pairing.pair.paused_by != user_id:
        return None
    log.info("user %d is back after blocking the bot", user_id)
    params = {"name": pairing.person.first_name}
    await tx.enqueue(
        [notice_to(pairing.partner, Notice.PARTNER_BACK, params, about=pairing.person)], now
    )
    return pairing.partner


async def mark_unreachable(services: Services, user_id: int) -> bool:
    """Record that Telegram cannot reach a person (they blocked the bot or are gone): pause
    their pair and tell the partner once. True if this was news."""
    now = services.clock()
    async with services.db.transaction() as tx:
        changed = await tx.set_blocked(user_id, now)
        await pause_for_unreachable(tx, user_id, now)
    return changed
