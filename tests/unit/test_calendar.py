"""The journal's calendar marks answered, open and paused days in the pair's own time zone."""

from __future__ import annotations

import datetime as dt

from bot.domain.calendar import DayMark, mark_month, month_bounds
from bot.domain.models import PauseSpan

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def test_a_month_has_one_mark_per_day() -> None:
    marks = mark_month(dt.date(2026, 2, 10), [], [], "UTC", NOW)
    assert [day.day for day, _ in marks] == list(range(1, 29))
    assert month_bounds(dt.date(2024, 2, 10)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


def test_answered_and_open_questions_are_marked_on_their_local_days() -> None:
    days = [(dt.date(2026, 3, 2), True), (dt.date(2026, 3, 3), False)]
    marks = dict(mark_month(dt.date(2026, 3, 1), days, [], "UTC", NOW))
    assert marks[dt.date(2026, 3, 2)] is DayMark.ANSWERED
    assert marks[dt.date(2026, 3, 3)] is DayMark.OPEN
    assert marks[dt.date(2026, 3, 4)] is DayMark.NONE


def test_a_pause_marks_every_local_day_it_touches_but_never_hides_an_answer() -> None:
    # 23:30 UTC on the 4th is already the 5th in Tokyo.
    span = PauseSpan(
        dt.datetime(2026, 3, 4, 23, 30, tzinfo=UTC), dt.datetime(2026, 3, 7, 1, 0, tzinfo=UTC)
    )
    days = [(dt.date(2026, 3, 5), True)]
    marks = dict(mark_month(dt.date(2026, 3, 1), days, [span], "Asia/Tokyo", NOW))
    assert marks[dt.date(2026, 3, 4)] is DayMark.NONE
    assert marks[dt.date(2026, 3, 5)] is DayMark.ANSWERED
    assert marks[dt.date(2026, 3, 6)] is DayMark.PAUSED
    assert marks[dt.date(2026, 3, 7)] is DayMark.PAUSED
    assert marks[dt.date(2026, 3, 8)] is DayMark.NONE


def test_a_pause_still_running_lasts_until_now() -> None:
    span = PauseSpan(dt.datetime(2026, 3, 18, 9, 0, tzinfo=UTC), None)
    marks = dict(mark_month(dt.date(2026, 3, 1), [], [span], "UTC", NOW))
    assert [d.day for d, m in marks.items() if m is DayMark.PAUSED] == [18, 19, 20]
