"""Durable message intents: what the bot owes someone, waiting in the outbox until sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from bot.domain.models import Schedule


class MessageKind(StrEnum):
    """What an outbox row delivers; the sender renders each kind from stored state."""

    QUESTION = "question"
    EXERCISE = "exercise"
    REVEAL = "reveal"
    NOTICE = "notice"
    NUDGE = "nudge"
    REMINDER = "reminder"
    GIFT = "gift"
    CHANGES = "changes"  # what a partner changed, coalesced over a short window
    WHY = "why"  # the why a partner wrote beside a pick, after the reveal
    CONSENT = "consent"  # a partner asks (privately, with buttons) to turn on an opt-in topic
    # Who has answered, shown by editing the question message in place (and, for the one who
    # just answered, a reaction on their answer instead of a receipt message).
    STATUS = "status"


class Notice(StrEnum):
    """Which notice a NOTICE row carries; its parameters sit beside it in the payload."""

    PAIRED = "paired"
    UNPAIRED = "unpaired"
    HEART = "heart"
    REACTION = "reaction"
    UNREACHABLE = "unreachable"
    PAUSE_ENDED = "pause_ended"
    STREAK = "streak"
    PARTNER_DELETED = "partner_deleted"
    PARTNER_BACK = "partner_back"
    GUESS_VERDICT = "guess_verdict"  # the partner's word on one's guess
    TOPIC_ON = "topic_on"  # both said yes: an opt-in topic is on
    ZONE_ASK = "zone_ask"  # just paired: where are you? (a few zones as buttons)
    # Gentle follow-ups (issue 12)
    INVITE_DECLINED = "invite_declined"  # the invitee tapped "Not now"
    INVITE_EXPIRED = "invite_expired"  # the link ran out unused
    INVITE_OPENED_LATE = "invite_opened_late"  # someone opened it after it ran out
    PARTNER_ABSENT = "partner_absent"  # the partner's absence paused the pair
    ABSENCE_PAUSED = "absence_paused"  # to the quiet one: paused until /resume


class Priority(IntEnum):
    """Lower goes first: a partner waiting on a reveal beats a queued morning broadcast."""

    INTERACTIVE = 0
    BROADCAST = 1


_BROADCAST_KINDS = frozenset(
    {MessageKind.QUESTION, MessageKind.EXERCISE, MessageKind.NUDGE, MessageKind.REMINDER}
)


def priority_of(kind: MessageKind) -> Priority:
    """Return how urgently a kind of message goes out."""
    return Priority.BROADCAST if kind in _BROADCAST_KINDS else Priority.INTERACTIVE


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An update stored on arrival, claimed for handling: its id and the update as Telegram
    sent it (JSON)."""

    update_id: int
    payload: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message owed to one person; `part` counts the pieces already delivered."""

    id: int
    user_id: int
    chat_id: int
    kind: MessageKind
    prompt_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    priority: Priority = Priority.INTERACTIVE
    attempts: int = 0
    part: int = 0


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An outbox row to create."""

    user_id: int
    chat_id: int
    kind: MessageKind
    prompt_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False  # e.g. the first question right after pairing skips the broadcast queue
    # The person (other than the recipient) whose name or words the row carries: deleting their
    # data deletes the row.
    about_user_id: int | None = None
    # Rows with the same key merge while pending (see merge_changes); they wait `delay` first.
    coalesce_key: str | None = None
    delay: dt.timedelta = dt.timedelta(0)

    @property
    def priority(self) -> Priority:
        """How urgently this message goes out."""
        return Priority.INTERACTIVE if self.urgent else priority_of(self.kind)


# A change notice's payload: {"changes": {topic: {"before": state, "after": state, "change":
# parameters}}}. A topic is what changed ("pause", "schedule", "topic:money"...); states are short
# comparable strings; `change` describes the latest change for the renderer.
Changes = dict[str, dict[str, Any]]


def merge_changes(
    pending: Changes, topic: str, before: str, after: str, change: dict[str, Any]
) -> Changes:
    """Fold one more change into the changes a partner has not been told about yet.

    The first `before` of a topic is kept; a topic changed back to where it started drops out,
    so pausing and resuming within the window tells the partner nothing.
    """
    merged = {key: dict(value) for key, value in pending.items()}
    first = merged.get(topic, {}).get("before", before)
    if first == after:
        merged.pop(topic, None)
    else:
        merged[topic] = {"before": first, "after": after, "change": change}
    return merged


def schedule_params(schedule: Schedule) -> dict[str, str]:
    """A pair's schedule as outbox parameters."""
    return {
        "timezone": schedule.timezone,
        "send_time": schedule.send_time.strftime("%H:%M"),
        "frequency": schedule.frequency.value,
    }


def moment_param(moment: dt.datetime | None) -> str | None:
    """A moment as an outbox parameter."""
    return None if moment is None else moment.isoformat()
