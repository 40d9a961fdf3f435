"""What may make a sound: each person's waking hours and their budget of attention.

Only the day's question, a reveal and an opted-in reminder may notify, and at most two of
them a day for each person (DAILY_SOUNDS, spent in the order they are sent: usually the question
and the reveal); everything else arrives silently. Inside a person's quiet hours (in their own
zone), what can wait is held until their morning, and what cannot (a reveal, the question at
the time they chose) arrives silently. Replies to something the person just did are not
counted: they are answers, sent while the person is looking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.domain import schedule
from bot.domain.outbox import MessageKind

# The messages that may make a sound, while the day's budget lasts.
NOTIFYING = frozenset({MessageKind.QUESTION, MessageKind.REVEAL, MessageKind.REMINDER})
# Sounds per person per local day (usually the question and the reveal); the rest is silent.
DAILY_SOUNDS = 2

# What waits for the morning when it falls in someone's quiet hours.
CAN_WAIT = frozenset(
    {
        MessageKind.NUDGE,
        MessageKind.EXERCISE,
        MessageKind.NOTICE,
        MessageKind.CHANGES,
        MessageKind.GIFT,
        MessageKind.WHY,
        MessageKind.CONSENT,
    }
)


@dataclass(frozen=True)
class Delivery:
    """How one message goes out now: `hold_until` set means not now but then; `drop` means
    not at all (it would be stale by the morning); otherwise it is sent, `silent` or not."""

    silent: bool = False
    hold_until: dt.datetime | None = None
    drop: bool = False
    day: dt.date | None = None  # the reader's local day, whose budget of sounds it may spend


def plan(
    kind: MessageKind,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    timezone: str,
    quiet: tuple[dt.time, dt.time],
) -> Delivery:
    """Decide how a message to someone goes out at `now`, given their zone and quiet hours."""
    asleep = schedule.in_quiet_hours(now, timezone, *quiet)
    waits = kind in CAN_WAIT or (kind is MessageKind.QUESTION and bool(payload.get("first")))
    if payload.get("reply"):
        waits = False  # the answer to something the reader just did: they are awake
    if asleep and kind is MessageKind.REMINDER:
        return Delivery(drop=True)  # by the morning the day's question is the news
    if asleep and waits:
        return Delivery(hold_until=schedule.quiet_ends(now, timezone, *quiet))
    day = schedule.local_date(now, timezone)
    return Delivery(silent=asleep or kind not in NOTIFYING, day=day)
