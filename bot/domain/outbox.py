"""Durable message intents: what the bot owes someone, waiting in the outbox until sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


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


# A change notice's payload: {"changes": {topic: {"before": state, "after": state, "text": ...}}}.
# A topic is what changed ("pause", "time", "topic:money"...); states are short comparable
# strings; `text` describes the latest change.
Changes = dict[str, dict[str, str]]


def merge_changes(pending: Changes, topic: str, before: str, after: str, text: str) -> Changes:
    """Fold one more change into the changes a partner has not been told about yet.

    The first `before` of a topic is kept; a topic changed back to where it started drops out,
    so pausing and resuming within the window tells the partner nothing.
    """
    merged = {key: dict(value) for key, value in pending.items()}
    first = merged.get(topic, {}).get("before", before)
    if first == after:
        merged.pop(topic, None)
    else:
        merged[topic] = {"before": first, "after": after, "text": text}
    return merged
