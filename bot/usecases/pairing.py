"""Pairing: registering people, invites (with their daily limit and the wrong-code slow-down),
accepting and unpairing."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, replace
from enum import Enum, auto

from bot import texts
from bot.domain import places, rules, schedule
from bot.domain.models import (
    Invite,
    Pair,
    Person,
    Schedule,
)
from bot.domain.outbox import Notice, schedule_params
from bot.storage import StoreTransaction
from bot.usecases import clocks, followups, nudges
from bot.usecases.common import DAY, Services, notice_to
from bot.usecases.pause import came_back

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    """Who wrote, and the partner to name when they come back after blocking the bot."""

    person: Person | None
    paused_partner: Person | None = None


async def register(
    services: Services,
    user_id: int,
    chat_id: int,
    first_name: str,
    *,
    create: bool = True,
    language: str | None = None,
) -> Registration:
    """Refresh someone who wrote to the bot (recording them first when `create`: they are
    starting to pair), with the language their Telegram app reports; notice when they come
    back after blocking it."""
    now = services.clock()
    async with services.db.transaction() as tx:
        before = await tx.get_person(user_id)
        if before is None and not create:
            return Registration(None)
        person = await tx.upsert_person(
            user_id, chat_id, first_name or texts.YOUR_PARTNER_START, now
        )
        if language and language != person.telegram_language:
            await tx.set_language(user_id, telegram=language)
            person = replace(person, telegram_language=language)
        if before is None or not before.blocked:
            return Registration(person)
        return Registration(person, await came_back(tx, user_id, now))


# Daily allowances: enough for any real use, few enough that nobody can spam their partner.
INVITES_PER_DAY = 10


@dataclass(frozen=True)
class InviteResult:
    """A fresh invite, the partner that makes one unnecessary, or the day's limit reached."""

    invite: Invite | None
    partner: Person | None = None
    limit_reached: bool = False


async def create_invite(services: Services, user_id: int) -> InviteResult:
    """Create a new invite for `user_id`, replacing their earlier one."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is not None:
            return InviteResult(None, await tx.get_person(pair.partner_of(user_id)))
        if await tx.action_count(user_id, "invite", now, DAY) >= INVITES_PER_DAY:
            return InviteResult(None, limit_reached=True)
        await tx.count_action(user_id, "invite", now, DAY)
        invite = Invite(
            code=rules.new_invite_code(),
            inviter_id=user_id,
            created_at=now,
            expires_at=rules.invite_expires_at(now),
        )
        await tx.replace_invite(invite)
    log.info("invite created by user %d", user_id)
    return InviteResult(invite)


class InviteCheck(Enum):
    """Whether an invite can be accepted by the person who opened it."""

    OK = auto()
    OWN = auto()
    UNKNOWN = auto()
    EXPIRED = auto()  # used already, or its inviter is gone
    RAN_OUT = auto()  # its time ran out unused: the inviter is told (issue 12)
    YOU_ARE_PAIRED = auto()
    INVITER_PAIRED = auto()


@dataclass(frozen=True)
class InviteStatus:
    """The check's verdict with the people it mentions."""

    check: InviteCheck
    inviter: Person | None = None
    partner: Person | None = None


async def _check_invite(
    tx: StoreTransaction, code: str, user_id: int, now: dt.datetime
) -> InviteStatus:
    invite = await tx.get_invite(code) if rules.looks_like_invite_code(code) else None
    if invite is None:
        return InviteStatus(InviteCheck.UNKNOWN)
    inviter = await tx.get_person(invite.inviter_id)
    if invite.inviter_id == user_id:
        return InviteStatus(InviteCheck.OWN, inviter)
    if inviter is not None and invite.used_at is None and now >= invite.expires_at:
        return InviteStatus(InviteCheck.RAN_OUT, inviter)
    if inviter is None or not rules.invite_is_usable(invite, now):
        return InviteStatus(InviteCheck.EXPIRED, inviter)
    own_pair = await tx.active_pair_of(user_id)
    if own_pair is not None:
        partner = await tx.get_person(own_pair.partner_of(user_id))
        return InviteStatus(InviteCheck.YOU_ARE_PAIRED, inviter, partner)
    if await tx.active_pair_of(inviter.user_id) is not None:
        return InviteStatus(InviteCheck.INVITER_PAIRED, inviter)
    return InviteStatus(InviteCheck.OK, inviter)


async def check_invite(services: Services, code: str, user_id: int) -> InviteStatus:
    """Say whether `user_id` may accept the invite `code`, without changing anything."""
    async with services.db.transaction() as tx:
        return await _check_invite(tx, code, user_id, services.clock())


@dataclass(frozen=True)
class AcceptResult:
    """The outcome of accepting an invite; `pair` is set when it worked."""

    status: InviteStatus
    pair: Pair | None = None
    clock: Schedule | None = None  # the accepter's own clock in the new pair


async def accept_invite(services: Services, code: str, user_id: int) -> AcceptResult:
    """Pair the invitee with the inviter and send both their first question at once."""
    now = services.clock()
    async with services.db.transaction() as tx:
        status = await _check_invite(tx, code, user_id, now)
        if status.check is not InviteCheck.OK or status.inviter is None:
            return AcceptResult(status)
        # Both people first, in one order: pairing touches both and their invites, and two
        # invites accepted crosswise at once must wait for each other, not deadlock.
        await tx.lock_people([status.inviter.user_id, user_id])
        accepter = await tx.get_person(user_id)
        if accepter is None or not await tx.use_invite(code, user_id, now):
            return AcceptResult(InviteStatus(InviteCheck.EXPIRED, status.inviter))
        inviter = status.inviter
        pair = await tx.create_pair(
            (inviter.user_id, user_id), services.default_schedule(), secrets.randbits(31), now
        )
        if pair is None:
            return AcceptResult(InviteStatus(InviteCheck.INVITER_PAIRED, inviter))
        pair = await clocks.realign(tx, pair, now)  # someone who said where they are before
        # The accepter sees this text in place of the invite offer; the inviter gets a message.
        params = {"partner": accepter.first_name, **schedule_params(pair.schedule)}
        await tx.enqueue([notice_to(inviter, Notice.PAIRED, params, about=accepter)], now)
        await _ask_zones(tx, services, (inviter, accepter), pair, now)
        if not await clocks.start_first_question(tx, services.library, pair, now):
            # Until both say where they are (or skip), the pair's own time is next.
            await tx.set_next_due(pair.id, schedule.next_due(now, pair.schedule, None))
        for person in (inviter, accepter):
            await nudges.plan_nudges(tx, person, pair, now)
    log.info("pair %d formed", pair.id)
    services.wake_delivery()
    return AcceptResult(status, pair, accepter.clock(pair))


async def _ask_zones(
    tx: StoreTransaction,
    services: Services,
    people: tuple[Person, Person],
    pair: Pair,
    now: dt.datetime,
) -> None:
    """Ask each partner who has not said where they are, with a few likely zones as buttons."""
    asks = []
    for person, partner in (people, people[::-1]):
        if person.timezone is not None:
            continue
        zones = places.likely_zones(
            person.language or person.telegram_language,
            partner.timezone,
            services.settings.default_timezone,
        )
        ask = notice_to(person, Notice.ZONE_ASK, {"zones": zones})
        if person is people[1]:  # the accepter just tapped "pair us": they are awake
            ask = replace(ask, payload={**ask.payload, "reply": True})
        asks.append(ask)
    await tx.enqueue(asks, now)


async def _tell_inviter(
    services: Services, code: str, user_id: int, told: str, notice: Notice
) -> Person | None:
    """Tell the inviter of the unused invite `code`, once, what `user_id` did with it; return
    the inviter (None: no such invite, their own, or the inviter was told already)."""
    now = services.clock()
    if not rules.looks_like_invite_code(code):
        return None
    async with services.db.transaction() as tx:
        invite = await tx.get_invite(code)
        if invite is None or invite.inviter_id == user_id or invite.used_at is not None:
            return None
        if told == followups.TOLD_DECLINED and not rules.invite_is_usable(invite, now):
            return None  # ran out meanwhile: the tick tells the inviter that
        inviter, opener = await tx.get_person(invite.inviter_id), await tx.get_person(user_id)
        if inviter is None or opener is None:
            return None
        # Each follow-up once per link; after "Not now" a late opening is not news enough.
        unless = (followups.TOLD_DECLINED,) if told == followups.TOLD_OPENED_LATE else ()
        if not await tx.mark_invite_told(code, told, unless=unless):
            return inviter
        if not inviter.blocked and await tx.active_pair_of(inviter.user_id) is None:
            params = {"name": opener.first_name}
            await tx.enqueue([notice_to(inviter, notice, params, about=opener)], now)
    services.wake_delivery()
    return inviter


async def decline_invite(services: Services, code: str, user_id: int) -> Person | None:
    """'Not now' on an invite: tell the inviter once, kindly (the link keeps working)."""
    return await _tell_inviter(
        services, code, user_id, followups.TOLD_DECLINED, Notice.INVITE_DECLINED
    )


async def opened_late(services: Services, code: str, user_id: int) -> Person | None:
    """Someone opened a link that ran out unused: tell its inviter once, with a new-link
    button."""
    return await _tell_inviter(
        services, code, user_id, followups.TOLD_OPENED_LATE, Notice.INVITE_OPENED_LATE
    )


async def unpair(services: Services, user_id: int, pair_id: int) -> Person | None:
    """End the person's pairing `pair_id` and tell their partner; None if not in that pair."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.lock_pair_of(user_id)
        if pair is None or pair.id != pair_id:
            return None
        actor = await tx.get_person(user_id)
        partner = await tx.get_person(pair.partner_of(user_id))
        await tx.end_pair(pair.id, now)
        if partner is not None and actor is not None:
            params = {"name": actor.first_name}
            await tx.enqueue([notice_to(partner, Notice.UNPAIRED, params, about=actor)], now)
    log.info("pair %d ended by a member", pair.id)
    services.wake_delivery()
    return partner


INVITE_FAILURE_WINDOW = rules.INVITE_FAILURE_WINDOW
INVITE_FAILURE_LIMIT = rules.INVITE_FAILURE_LIMIT


async def note_invite_failure(services: Services, user_id: int) -> bool:
    """Count a wrong invite code; True when the person has tried too many and must wait."""
    now = services.clock()
    since = now - INVITE_FAILURE_WINDOW
    async with services.db.transaction() as tx:
        await tx.note_invite_failure(user_id, now, since)
        return rules.invite_guessing_blocked(await tx.invite_failures(user_id, since))


async def invite_attempts_blocked(services: Services, user_id: int) -> bool:
    """Say whether the person tried too many wrong codes lately and must wait."""
    since = services.clock() - INVITE_FAILURE_WINDOW
    async with services.db.transaction() as tx:
        return rules.invite_guessing_blocked(await tx.invite_failures(user_id, since))
