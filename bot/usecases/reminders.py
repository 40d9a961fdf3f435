"""Opt-in reminders: at most one per question per person, never in quiet hours."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.domain import schedule
from bot.domain.models import (
    Person,
)
from bot.domain.outbox import MessageKind, NewMessage
from bot.storage import StoreTransaction
from bot.usecases.common import Services

log = logging.getLogger(__name__)


@dataclass
class ReminderCursor:
    """Where a tick's walk through reminder candidates has got to."""

    after: tuple[int, int, int] | None = None
    queued: int = 0


async def send_due_reminders(
    tx: StoreTransaction, now: dt.datetime, limit: int, cursor: ReminderCursor
) -> int:
    """Queue one reminder for each due person among the next `limit` candidates after
    `cursor`; return how many candidates were looked at (the cursor counts the reminders).

    Candidates not due yet (quiet hours, hours not passed) are stepped over, never in the way
    of those after them.
    """
    # A question reaches each partner at their own time, up to a day after it was chosen.
    since = now - dt.timedelta(days=2)
    candidates = await tx.reminder_candidates(now, since, limit, cursor.after)
    for due in candidates:
        person, pair, prompt = due.person, due.pair, due.prompt
        cursor.after = (int(prompt.sent_at.timestamp()), prompt.id, person.user_id)
        clock = person.clock(pair)
        if not schedule.reminder_is_due(
            delivered_at=due.delivered_at or schedule.personal_moment(prompt.sent_at, clock),
            hours=person.reminder_hours,
            now=now,
            timezone=clock.timezone,
            quiet=(person.quiet_start, person.quiet_end),
        ):
            continue
        if await tx.mark_reminded(prompt.id, person.user_id, now):
            payload = {"partner_answered": due.partner_answered}
            await tx.enqueue(
                [
                    NewMessage(
                        person.user_id, person.chat_id, MessageKind.REMINDER, prompt.id, payload
                    )
                ],
                now,
            )
            cursor.queued += 1
    return len(candidates)


async def set_reminders(services: Services, user_id: int, *, on: bool) -> Person | None:
    """Turn a person's reminders on or off; return the updated person."""
    async with services.db.transaction() as tx:
        await tx.set_person_settings(user_id, reminders_on=on)
        return await tx.get_person(user_id)
