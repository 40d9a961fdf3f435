"""The small decisions the loop turns on, each in exactly one place."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Sequence
from enum import Enum, auto

from bot.domain.models import Invite

INVITE_LIFETIME = dt.timedelta(days=7)  # a partner may not open Telegram every day
# Wrong invite codes a person may try within the window before they must wait.
INVITE_FAILURE_LIMIT = 5
INVITE_FAILURE_WINDOW = dt.timedelta(minutes=10)
INVITE_CODE_BYTES = 12  # 96 bits of randomness; the brief asks for at least 64
INVITE_CODE_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)


def reveal_is_due(answered_by: Collection[int], members: tuple[int, int]) -> bool:
    """Say whether both partners have answered, so each may now see the other's answer."""
    return all(member in answered_by for member in members)


def new_invite_code() -> str:
    """Return a fresh URL-safe invite code (deep-link payloads allow [A-Za-z0-9_-], 64 chars)."""
    return secrets.token_urlsafe(INVITE_CODE_BYTES)


def looks_like_invite_code(text: str) -> bool:
    """Say whether `text` has the shape of an invite code (cheap check before any lookup)."""
    return 8 <= len(text) <= 64 and set(text) <= INVITE_CODE_ALPHABET


def invite_expires_at(now: dt.datetime) -> dt.datetime:
    """Return when an invite created at `now` stops working."""
    return now + INVITE_LIFETIME


def invite_is_usable(invite: Invite, now: dt.datetime) -> bool:
    """Say whether an invite can still be accepted at `now`."""
    return invite.used_at is None and now < invite.expires_at


class MessageRole(Enum):
    """What a partner's message to the bot is."""

    ANSWER = auto()
    GIFT = auto()


def message_role(
    *,
    replies_to_nudge: bool,
    replies_to_question: bool,
    question_open: bool,
    nudge_open: bool,
) -> MessageRole:
    """Decide whether a message answers a question or is an appreciation for the partner.

    A reply says what it answers. A plain message belongs to an open question, answered or
    not: after answering, the bot says a new message replaces the answer, so a correction
    must never reach the partner before the reveal. Only with no question open does a plain
    message soon after a nudge become an appreciation.
    """
    if replies_to_nudge:
        return MessageRole.GIFT
    if replies_to_question or question_open:
        return MessageRole.ANSWER
    return MessageRole.GIFT if nudge_open else MessageRole.ANSWER


def invite_guessing_blocked(recent_failures: int) -> bool:
    """Say whether someone who tried `recent_failures` wrong codes in the window must wait."""
    return recent_failures >= INVITE_FAILURE_LIMIT


# Gentle follow-ups (issue 12) ------------------------------------------------------------------


def question_closed(sent_at: dt.datetime, now: dt.datetime, open_for: dt.timedelta) -> bool:
    """Say whether a question sent at `sent_at` is closed at `now`: it takes no answers and is
    never revealed (the tick also marks it, so it leaves the open questions)."""
    return now >= sent_at + open_for


def absent_member(
    members: tuple[int, int], answerers: Sequence[frozenset[int]], days: int
) -> int | None:
    """The member who answered none of the pair's last `days` questions while the other
    answered at least one of them, or None (fewer questions than that: nobody)."""
    recent = list(answerers)[:days]
    if days < 1 or len(recent) < days:
        return None
    answered = frozenset().union(*recent)
    quiet = [member for member in members if member not in answered]
    return quiet[0] if len(quiet) == 1 else None
