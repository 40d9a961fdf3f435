"""Durable message intents: what the bot owes someone, waiting in the outbox until sent."""

from __future__ import annotations

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

    @property
    def priority(self) -> Priority:
        """How urgently this message goes out."""
        return Priority.INTERACTIVE if self.urgent else priority_of(self.kind)
