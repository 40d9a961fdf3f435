"""The 'is this pair due' rule, local days and daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.models import Cadence, Frequency, Schedule
from bot.domain.schedule import (
    at_local_time,
    exercise_cadence_for,
    local_date,
    next_due,
    still_same_day,
)

UTC = dt.UTC


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_next_due_is_today_when_the_send_time_is_still_ahead() -> None:
    schedule = Schedule("Europe/Berlin", dt.time(9, 0))
    assert next_due(_utc(2026, 1, 14, 7, 0), schedule, None) == _utc(2026, 1, 14, 8, 0)


def test_next_due_is_tomorrow_once_today_had_its_question() -> None:
    schedule = Schedule("Europe/Berlin", dt.time(9, 0))
    today = dt.date(2026, 1, 14)
    assert next_due(_utc(2026, 1, 14, 7, 0), schedule, today) == _utc(2026, 1, 15, 8, 0)


def test_next_due_skips_to_tomorrow_when_the_time_has_passed() -> None:
    schedule = Schedule("UTC", dt.time(9, 0))
    assert next_due(_utc(2026, 1, 14, 10, 0), schedule, None) == _utc(2026, 1, 15, 9, 0)


@pytest.mark.parametrize(
    ("frequency", "expected_day"),
    [
        (Frequency.DAILY, 17),  # Saturday
        (Frequency.WEEKDAYS, 19),  # Monday
        (Frequency.WEEKENDS, 17),
        (Frequency.THREE_A_WEEK, 19),  # Monday, Wednesday, Friday
    ],
)
def test_next_due_respects_the_frequency(frequency: Frequency, expected_day: int) -> None:
    schedule = Schedule("UTC", dt.time(9, 0), frequency)
    friday = dt.date(2026, 1, 16)
    due = next_due(_utc(2026, 1, 16, 12, 0), schedule, friday)
    assert due == _utc(2026, 1, expected_day, 9, 0)


def test_a_send_time_in_the_spring_forward_gap_happens_once_after_the_jump() -> None:
    # Europe/Berlin skips 02:00-03:00 on 2026-03-29.
    moment = at_local_time(dt.date(2026, 3, 29), dt.time(2, 30), "Europe/Berlin")
    assert moment == _utc(2026, 3, 29, 1, 30)  # 03:30 local summer time
    assert local_date(moment, "Europe/Berlin") == dt.date(2026, 3, 29)


def test_a_repeated_hour_when_clocks_fall_back_sends_only_the_first_time() -> None:
    schedule = Schedule("Europe/Berlin", dt.time(2, 30))
    first = next_due(_utc(2026, 10, 24, 12, 0), schedule, dt.date(2026, 10, 24))
    assert first == _utc(2026, 10, 25, 0, 30)  # 02:30 summer time, the first of the two
    after = next_due(first + dt.timedelta(minutes=1), schedule, dt.date(2026, 10, 25))
    assert after == _utc(2026, 10, 26, 1, 30)  # tomorrow, not the second 02:30 today


def test_daylight_saving_keeps_the_local_send_time_across_the_change() -> None:
    schedule = Schedule("America/New_York", dt.time(8, 0))
    before = next_due(_utc(2026, 3, 7, 20, 0), schedule, dt.date(2026, 3, 7))
    after = next_due(before + dt.timedelta(hours=1), schedule, dt.date(2026, 3, 8))
    assert before == _utc(2026, 3, 8, 12, 0)  # EDT starts that night: 08:00 = 12:00 UTC
    assert after == _utc(2026, 3, 9, 12, 0)
    assert after - before == dt.timedelta(hours=24)


def test_work_due_yesterday_local_time_is_not_the_same_day() -> None:
    due = _utc(2026, 1, 14, 8, 0)
    assert still_same_day(due, _utc(2026, 1, 14, 22, 59), "Europe/Berlin")
    assert not still_same_day(due, _utc(2026, 1, 14, 23, 0), "Europe/Berlin")


def test_exercises_come_once_a_week_on_the_weekday_monthly_first_daily_habit_third() -> None:
    saturday = 5
    assert exercise_cadence_for(dt.date(2026, 1, 3), saturday) is Cadence.MONTHLY
    assert exercise_cadence_for(dt.date(2026, 1, 10), saturday) is Cadence.WEEKLY
    assert exercise_cadence_for(dt.date(2026, 1, 17), saturday) is Cadence.DAILY  # third week
    assert exercise_cadence_for(dt.date(2026, 1, 13), saturday) is None  # Tuesday
    assert exercise_cadence_for(dt.date(2026, 1, 14), saturday) is None


def test_never_more_than_one_exercise_a_day() -> None:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    for weekday in range(7):
        offered = [d for d in days if exercise_cadence_for(d, weekday) is not None]
        assert len(offered) == len(set(offered))
        assert 52 <= len(offered) <= 53  # one a week
