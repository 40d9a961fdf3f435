"""Streaks without guilt: counted, celebrated at milestones, never mourned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

MILESTONES = (7, 30, 100, 365)


def current_streak(days: Sequence[tuple[dt.date, bool]], today: dt.date) -> int:
    """Count the latest run of question days on which both partners answered.

    `days` lists (local date, both answered) for the pair's questions, newest first. Only days
    that had a question count, so paused days and days the bot was down never break a streak;
    today's question, still open, does not break it either.
    """
    streak = 0
    for index, (day, revealed) in enumerate(days):
        if revealed:
            streak += 1
            continue
        if index == streak and day >= today:
            continue  # today's question is still open: the day is not over
        break
    return streak


def milestone_reached(streak: int) -> int | None:
    """Return the milestone a streak has just reached, if it is exactly one."""
    return streak if streak in MILESTONES else None
