"""A time zone from a shared location: the zone whose reference place is nearest.

The tz database lists each zone with the coordinates of its principal city (zone1970.tab,
shipped in the tzdata package). The nearest of those is right for nearly everyone who lives
within a country or state of one zone; near a border it may pick the neighbour's, and the
person can change it with /timezone.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources

_COORDINATES = re.compile(r"([+-])(\d{2})(\d{2})(\d{2})?([+-])(\d{3})(\d{2})(\d{2})?")


def _degrees(sign: str, whole: str, minutes: str, seconds: str | None) -> float:
    value = int(whole) + int(minutes) / 60 + int(seconds or 0) / 3600
    return -value if sign == "-" else value


@cache
def zone_places() -> tuple[tuple[str, float, float], ...]:
    """Every zone with its reference latitude and longitude."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text("utf-8")
    places = []
    for line in table.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        found = _COORDINATES.fullmatch(fields[1])
        if found is None:
            continue
        lat = _degrees(*found.group(1, 2, 3, 4))
        lon = _degrees(*found.group(5, 6, 7, 8))
        places.append((fields[2], lat, lon))
    return tuple(places)


def zone_at(latitude: float, longitude: float) -> str | None:
    """The zone of the reference place nearest to a location; None for impossible values."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if math.isnan(latitude) or math.isnan(longitude):
        return None

    def distance(place: tuple[str, float, float]) -> float:
        _, lat, lon = place
        p1, p2 = math.radians(latitude), math.radians(lat)
        dl = math.radians(longitude - lon)
        # The central angle (haversine); the earth's radius does not change the order.
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * math.asin(min(1.0, math.sqrt(h)))

    return min(zone_places(), key=distance)[0]


# A few zones to offer by the language someone's Telegram app uses, most likely first; the
# partner's zone, when known, is offered before these.
_ZONES_BY_LANGUAGE = {
    "en": ("Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles"),
    "de": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "es": ("Europe/Madrid", "America/Mexico_City", "America/Bogota", "America/Buenos_Aires"),
    "pt": ("America/Sao_Paulo", "Europe/Lisbon", "America/Manaus"),
    "ru": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Europe/Kaliningrad"),
    "fr": ("Europe/Paris", "America/Toronto", "Europe/Brussels"),
    "it": ("Europe/Rome",),
    "uk": ("Europe/Kyiv",),
    "pl": ("Europe/Warsaw",),
    "tr": ("Europe/Istanbul",),
    "ja": ("Asia/Tokyo",),
}


def likely_zones(language: str | None, partner_zone: str | None, default: str) -> list[str]:
    """Up to four zones to offer someone choosing theirs, without repeats."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    wanted = [partner_zone, *_ZONES_BY_LANGUAGE.get(base, ()), default, "Europe/London"]
    zones: list[str] = []
    for zone in wanted:
        if zone and zone not in zones:
            zones.append(zone)
    return zones[:4]
