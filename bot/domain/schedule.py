"""When a pair is due: local days, send times and daylight-saving rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.domain.models import Cadence, Schedule

UTC = dt.UTC
_SEARCH_DAYS = 15  # every frequency has a question day within any week; two weeks is plenty


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    """Return the calendar date `moment` falls on in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def at_local_time(day: dt.date, clock: dt.time, timezone: str) -> dt.datetime:
    """Return the UTC instant of wall-clock `clock` on local `day`.

    A time inside a spring-forward gap moves forward by the gap; a time repeated when clocks
    fall back means its first occurrence. Either way the day keeps exactly one send moment.
    """
    # PEP 495: fold=0 reads a gap time with the offset from before the jump (so 02:30 becomes
    # 03:30) and a repeated time as its first occurrence.
    return dt.datetime.combine(day, clock, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def next_due(now: dt.datetime, schedule: Schedule, last_sent_day: dt.date | None) -> dt.datetime:
    """Return the next send moment: on a question day, after `last_sent_day`, not before `now`.

    This is the one "is this pair due" rule: a pair is due when this moment has come.
    """
    today = local_date(now, schedule.timezone)
    day = today
    if last_sent_day is not None and last_sent_day >= today:
        day = last_sent_day + dt.timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        if schedule.frequency.includes(day):
            moment = at_local_time(day, schedule.send_time, schedule.timezone)
            if moment >= now:
                return moment
        day += dt.timedelta(days=1)
    raise AssertionError("every frequency has a question day in two weeks")


def still_same_day(due_at: dt.datetime, now: dt.datetime, timezone: str) -> bool:
    """Say whether work due at `due_at` may still be done at `now` (same local day)."""
    return local_date(due_at, timezone) == local_date(now, timezone)


def exercise_cadence_for(day: dt.date, weekday: int) -> Cadence | None:
    """Return which exercise, if any, a pair is offered on local `day`.

    One a week (issue 12: a budget of attention), on the pair's chosen weekday: in the first
    week of a month the monthly one, in the third a daily habit to try, otherwise a weekly one.
    """
    if day.weekday() != weekday:
        return None
    if day.day <= 7:
        return Cadence.MONTHLY
    return Cadence.DAILY if 15 <= day.day <= 21 else Cadence.WEEKLY


def in_quiet_hours(moment: dt.datetime, timezone: str, start: dt.time, end: dt.time) -> bool:
    """Say whether `moment` is in the quiet hours [start, end), local time (may span midnight)."""
    if start == end:
        return False  # no quiet hours
    clock = moment.astimezone(ZoneInfo(timezone)).time()
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def reminder_is_due(
    *,
    sent_at: dt.datetime,
    question_day: dt.date,
    hours: int,
    now: dt.datetime,
    timezone: str,
    quiet: tuple[dt.time, dt.time],
) -> bool:
    """Say whether a person who has not answered should get their one reminder now.

    Only for the question of the current local day, `hours` after it was sent, and never in
    the person's quiet hours (a reminder that would fall there is simply not sent).
    """
    if local_date(now, timezone) != question_day:
        return False
    if now < sent_at + dt.timedelta(hours=hours):
        return False
    return not in_quiet_hours(now, timezone, *quiet)
