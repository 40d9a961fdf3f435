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
    return clock_in_quiet(moment.astimezone(ZoneInfo(timezone)).time(), start, end)


def clock_in_quiet(clock: dt.time, start: dt.time, end: dt.time) -> bool:
    """Say whether the local time `clock` is in the quiet hours [start, end)."""
    if start == end:
        return False  # no quiet hours
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def reminder_is_due(
    *,
    delivered_at: dt.datetime,
    hours: int,
    now: dt.datetime,
    timezone: str,
    quiet: tuple[dt.time, dt.time],
) -> bool:
    """Say whether a person who has not answered should get their one reminder now.

    `hours` after the question reached them (at their own time), within the day that follows
    (never on top of the next question), and never in their quiet hours, in their own zone (a
    reminder that would fall there is simply not sent).
    """
    if now < delivered_at + dt.timedelta(hours=hours):
        return False
    if now >= delivered_at + REMINDER_WINDOW:
        return False
    return not in_quiet_hours(now, timezone, *quiet)


REMINDER_WINDOW = dt.timedelta(hours=20)


def moment_on_or_after(after: dt.datetime, clock: dt.time, timezone: str) -> dt.datetime:
    """The first moment at or after `after` when it is `clock` in `timezone` (any day)."""
    day = local_date(after, timezone) - dt.timedelta(days=1)
    for _ in range(4):
        moment = at_local_time(day, clock, timezone)
        if moment >= after:
            return moment
        day += dt.timedelta(days=1)
    raise AssertionError("a wall-clock time comes around within two days")


def personal_moment(pair_moment: dt.datetime, own: Schedule) -> dt.datetime:
    """When a person gets the pair's question due at `pair_moment`: at their own time in their
    own zone, the first such moment from then on (within a day). An hour's grace before it
    lets a moment taken a little late (a tick running behind) still find the same day."""
    return moment_on_or_after(pair_moment - PERSONAL_GRACE, own.send_time, own.timezone)


PERSONAL_GRACE = dt.timedelta(hours=1)


def pair_clock(clocks: list[Schedule], now: dt.datetime) -> Schedule:
    """The clock a pair's day runs on, chosen from its members' own clocks.

    The pair's question is chosen at one member's time; each other member gets it at their own
    time after that. The member chosen is the one the others follow most closely (within
    half a day when two people are in any zones), so nobody's question is a day late.
    """
    if len(clocks) == 1:
        return clocks[0]
    moments = [moment_on_or_after(now, c.send_time, c.timezone) for c in clocks]
    day = dt.timedelta(days=1)

    def lag(index: int) -> dt.timedelta:
        start = moments[index]
        return max((m - start) % day for m in moments)

    best = min(range(len(clocks)), key=lambda index: (lag(index), index))
    return clocks[best]


def quiet_ends(moment: dt.datetime, timezone: str, start: dt.time, end: dt.time) -> dt.datetime:
    """When quiet hours that include `moment` end (the next `end` o'clock, local time)."""
    del start  # the end alone says when the morning comes
    return moment_on_or_after(moment, end, timezone)


def first_morning(moment: dt.datetime, timezone: str, start: dt.time, end: dt.time) -> dt.datetime:
    """`moment`, or the end of the quiet hours it falls in (when someone is awake again)."""
    if in_quiet_hours(moment, timezone, start, end):
        return quiet_ends(moment, timezone, start, end)
    return moment


def next_nudge(
    now: dt.datetime,
    timezone: str,
    clock: dt.time,
    days: frozenset[int],
    *,
    ignored: int = 0,
    last_day: dt.date | None = None,
) -> dt.datetime | None:
    """The next nudge moment on one of `days` (ISO weekdays) at `clock`, local time, after
    `last_day`; None when no day is chosen.

    Backing off: after three nudges in a row went unanswered, the next waits a week more for
    each further one (at most three weeks more), until one is answered again.
    """
    if not days:
        return None
    today = local_date(now, timezone)
    day = today if last_day is None or last_day < today else last_day + dt.timedelta(days=1)
    if ignored >= NUDGES_BEFORE_BACKING_OFF:
        extra = min(ignored - NUDGES_BEFORE_BACKING_OFF + 1, 3)
        day = max(day, (last_day or today) + dt.timedelta(weeks=extra))
    for _ in range(_SEARCH_DAYS):
        if day.isoweekday() in days:
            moment = at_local_time(day, clock, timezone)
            if moment >= now:
                return moment
        day += dt.timedelta(days=1)
    raise AssertionError("a chosen weekday comes within two weeks")


NUDGES_BEFORE_BACKING_OFF = 3
