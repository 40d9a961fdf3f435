"""Parsing what partners type into commands. Each parser returns a value or raises ParseError."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class ParseError(ValueError):
    """The argument does not have the expected form."""


_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*$")
_OFFSET = re.compile(r"^\s*(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?\s*$", re.IGNORECASE)


def parse_send_time(text: str) -> dt.time:
    """Parse `HH:MM` (24-hour; `9:30`, `09.30` and `9h30` also work)."""
    match = _TIME.match(text)
    if not match:
        raise ParseError(text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ParseError(text)
    return dt.time(hour, minute)


@cache
def _zones_by_city() -> dict[str, str]:
    """Map lower-case city names ("new york", "berlin") to IANA zone names."""
    cities: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/")):
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        cities.setdefault(city, name)
    return cities


@cache
def _zones_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(text: str) -> str:
    """Parse an IANA zone name, a city with its own zone, or a whole-hour UTC offset."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > 64:
        raise ParseError(text)
    exact = _zones_lower().get(cleaned.lower().replace(" ", "_"))
    if exact is not None:
        return _checked(exact)
    if cleaned.lower() in ("utc", "gmt", "z"):
        return "UTC"
    offset = _OFFSET.match(cleaned)
    if offset:
        hours = int(offset.group(2))
        if hours > 14 or (offset.group(1) == "-" and hours > 12):
            raise ParseError(text)
        if hours == 0:
            return "UTC"
        # Etc/GMT names have inverted signs on purpose: Etc/GMT-2 is two hours ahead of UTC.
        sign = "-" if offset.group(1) == "+" else "+"
        return _checked(f"Etc/GMT{sign}{hours}")
    city = _zones_by_city().get(cleaned.lower())
    if city is not None:
        return _checked(city)
    raise ParseError(text)


def _checked(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ParseError(name) from error
    return name


_PAUSE_SPAN = re.compile(r"^\s*(\d{1,3})\s*(d|day|days|w|week|weeks)\s*$", re.IGNORECASE)
_PAUSE_UNTIL = re.compile(r"^\s*until\s+(\S+)\s*$", re.IGNORECASE)
MAX_PAUSE = dt.timedelta(days=365)


def parse_pause(text: str, now: dt.datetime, timezone: str) -> dt.datetime | None:
    """Parse /pause arguments: nothing (until resumed), `3d`, `2w` or `until 2026-12-24`.

    Returns when the pause ends (the start of that local day for a date), or None for an
    open-ended pause. Zero, past and over-a-year pauses raise ParseError.
    """
    if not text.strip():
        return None
    span = _PAUSE_SPAN.match(text)
    if span:
        count = int(span.group(1))
        days = count * (7 if span.group(2).lower().startswith("w") else 1)
        if count == 0 or dt.timedelta(days=days) > MAX_PAUSE:
            raise ParseError(text)
        return now + dt.timedelta(days=days)
    until = _PAUSE_UNTIL.match(text)
    if until:
        try:
            day = dt.date.fromisoformat(until.group(1))
        except ValueError:
            raise ParseError(text) from None
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        if day <= today or day - today > MAX_PAUSE:
            raise ParseError(text)
        return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    raise ParseError(text)
