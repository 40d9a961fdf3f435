"""The journal's month calendar: which local days both partners answered, which were paused."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.models import PauseSpan


class DayMark(StrEnum):
    """How one local day looks in the calendar."""

    ANSWERED = "answered"  # a question both partners answered
    OPEN = "open"  # a question not (yet) answered by both
    PAUSED = "paused"  # the pair was paused for some of the day and had no answered question
    NONE = "none"  # no question that day


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month `month` falls in."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _paused_days(spans: Sequence[PauseSpan], zone: str, now: dt.datetime) -> set[dt.date]:
    tz = ZoneInfo(zone)
    days: set[dt.date] = set()
    for span in spans:
        day = span.started_at.astimezone(tz).date()
        last = (span.ended_at or now).astimezone(tz).date()
        while day <= last:
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def mark_month(
    month: dt.date,
    question_days: Sequence[tuple[dt.date, bool]],
    pauses: Sequence[PauseSpan],
    zone: str,
    now: dt.datetime,
) -> list[tuple[dt.date, DayMark]]:
    """Mark every day of `month`: answered questions win over a pause on the same day (the
    pause began after both answered, or ended before the question)."""
    first, last = month_bounds(month)
    questions = dict(question_days)
    paused = _paused_days(pauses, zone, now)
    marks = []
    day = first
    while day <= last:
        if questions.get(day):
            mark = DayMark.ANSWERED
        elif day in paused:
            mark = DayMark.PAUSED
        elif day in questions:
            mark = DayMark.OPEN
        else:
            mark = DayMark.NONE
        marks.append((day, mark))
        day += dt.timedelta(days=1)
    return marks
