"""Parsing /time and /timezone arguments."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.parsing import ParseError, parse_send_time, parse_timezone


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", dt.time(9)), ("9:30", dt.time(9, 30)), ("21.15", dt.time(21, 15)),
     ("7h05", dt.time(7, 5)), (" 00:00 ", dt.time(0))],
)  # fmt: skip
def test_send_times_parse(text: str, expected: dt.time) -> None:
    assert parse_send_time(text) == expected


@pytest.mark.parametrize("text", ["", "25:99", "24:00", "12:60", "noon", "9", "12:5", "1" * 500])
def test_bad_send_times_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_send_time(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Europe/Berlin", "Europe/Berlin"), ("europe/berlin", "Europe/Berlin"),
     ("Tokyo", "Asia/Tokyo"), ("new york", "America/New_York"), ("UTC", "UTC"),
     ("UTC+2", "Etc/GMT-2"), ("GMT-5", "Etc/GMT+5"), ("+0", "UTC")],
)  # fmt: skip
def test_time_zones_parse_from_names_cities_and_offsets(text: str, expected: str) -> None:
    assert parse_timezone(text) == expected


@pytest.mark.parametrize("text", ["", "Mars/Base", "UTC+15", "GMT-13", "x" * 100, "../etc/passwd"])
def test_unknown_time_zones_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_timezone(text)
