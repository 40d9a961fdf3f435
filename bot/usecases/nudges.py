"""Compliment nudges and the heart sent back for an appreciation."""

from __future__ import annotations

import datetime as dt
import logging
from enum import Enum, auto

from bot.domain import schedule, selection
from bot.domain.models import (
    Pair,
)
from bot.domain.outbox import MessageKind, NewMessage, Notice
from bot.storage import StoreTransaction
from bot.usecases.common import Services, members_of, notice_to, pairing_in

log = logging.getLogger(__name__)


async def send_due_nudges(
    tx: StoreTransaction, services: Services, pair: Pair, now: dt.datetime
) -> int:
    """Queue today's nudge for each partner who wants nudges; return how many were queued."""
    assert pair.next_nudge_at is not None
    zone = pair.schedule.timezone
    day = schedule.local_date(pair.next_nudge_at, zone)
    queued = 0
    if schedule.still_same_day(pair.next_nudge_at, now, zone):
        for person in await members_of(tx, pair):
            if not person.nudges_on or person.blocked:
                continue
            prompt = selection.choose_appreciation(
                services.library.appreciation,
                history=await tx.nudge_history(person.user_id),
                seed=pair.seed + person.user_id,
            )
            if prompt is None:
                continue
            nudge = await tx.create_nudge(pair.id, person.user_id, prompt.id, day, now)
            if nudge is not None:
                payload = {"nudge_id": nudge.id}
                await tx.enqueue(
                    [NewMessage(person.user_id, person.chat_id, MessageKind.NUDGE, None, payload)],
                    now,
                )
                queued += 1
    await tx.set_next_nudge(pair.id, schedule.next_due(now, pair.nudge_schedule, day))
    return queued


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
