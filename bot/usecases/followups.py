"""Gentle follow-ups (issue 12): invites that ran out, questions that close, a partner who has
gone quiet, and the week's exercise opened from its teaser."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.domain import rules
from bot.domain.models import Pair, PromptKind
from bot.domain.outbox import Notice
from bot.storage import StoreTransaction
from bot.usecases.common import Services, members_of, notice_to

log = logging.getLogger(__name__)

# What an inviter was last told about an unused invite (invites.told); each is said once.
TOLD_DECLINED = "declined"
TOLD_EXPIRED = "expired"
TOLD_OPENED_LATE = "opened_late"


async def tell_expired_invites(tx: StoreTransaction, now: dt.datetime, limit: int) -> int:
    """Tell inviters, once, that their link ran out unused (with a button for a new one);
    return how many invites were looked at."""
    expired = await tx.expired_invites(now, limit)
    for invite in expired:
        await tx.mark_invite_told(invite.code, TOLD_EXPIRED, unless=())
        inviter = await tx.get_person(invite.inviter_id)
        if inviter is None or inviter.blocked or await tx.active_pair_of(inviter.user_id):
            continue  # paired meanwhile, or unreachable: nothing worth saying
        await tx.enqueue([notice_to(inviter, Notice.INVITE_EXPIRED)], now)
    return len(expired)


async def close_questions(
    tx: StoreTransaction, now: dt.datetime, open_for: dt.timedelta, limit: int
) -> int:
    """Close up to `limit` questions sent more than `open_for` ago and never revealed: they
    leave the open questions, take no answers and are never revealed (a single answer stays
    its author's). Return how many."""
    return await tx.close_questions(now - open_for, now, limit)


async def pause_if_absent(tx: StoreTransaction, pair: Pair, now: dt.datetime, days: int) -> bool:
    """Pause a due pair instead of sending its question when one partner answered none of its
    last `days` questions while the other answered; tell both once. True when paused.

    Told once: not again until the quiet partner has answered something since.
    """
    quiet = rules.absent_member(pair.members, await tx.recent_answerers(pair.id, days), days)
    if quiet is None:
        return False
    told = await tx.absence_of(pair.id)
    if (
        told is not None
        and told[0] == quiet
        and not await tx.answered_since(pair.id, quiet, told[1])
    ):
        return False
    people = {person.user_id: person for person in await members_of(tx, pair)}
    absent, present = people.get(quiet), people.get(pair.partner_of(quiet))
    if absent is None or present is None:
        return False
    await tx.pause(pair.id, None, quiet)
    await tx.note_pause_started(pair.id, now)
    await tx.note_absence(pair.id, quiet, now)
    await tx.enqueue(
        [
            notice_to(present, Notice.PARTNER_ABSENT, {"name": absent.first_name}, about=absent),
            notice_to(absent, Notice.ABSENCE_PAUSED, {"name": present.first_name}, about=present),
        ],
        now,
    )
    log.info("pair %d paused: one partner has not answered for %d question days", pair.id, days)
    return True


@dataclass(frozen=True)
class ExerciseView:
    """An exercise sent to the person's pair: its library id and whether they live apart."""

    content_id: str
    apart: bool


async def exercise_of(services: Services, user_id: int, prompt_id: int) -> ExerciseView | None:
    """The exercise `prompt_id` when it was sent to the person's current pair, else None."""
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        prompt = await tx.get_prompt(prompt_id)
    if pair is None or prompt is None or prompt.pair_id != pair.id:
        return None
    if prompt.kind is not PromptKind.EXERCISE or prompt.content_id is None:
        return None
    return ExerciseView(prompt.content_id, pair.apart)
