"""Operations: the health verdict, the tick's heartbeat and the figures behind /stats (served
over HTTP by bot.web.server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from bot import texts
from bot.domain.health import scheduler_stalled
from bot.usecases.common import Services

log = logging.getLogger(__name__)


@dataclass
class TickStats:
    """When the scheduler's tick last finished (its counts are in bot.metrics)."""

    last_at: float | None = None  # time.monotonic() of the last finished tick

    def record(self) -> None:
        """Note that a tick just finished."""
        self.last_at = time.monotonic()


@dataclass
class Health:
    """The health endpoint's verdict."""

    ok: bool
    details: dict[str, object] = field(default_factory=dict)


async def check_health(
    services: Services, ticks: TickStats, tick_seconds: float, *, jobs: bool
) -> Health:
    """Say whether the database answers and the scheduler has ticked recently."""
    details: dict[str, object] = {}
    ok = True
    try:
        async with asyncio.timeout(3):
            async with services.db.transaction() as tx:
                await tx.get_meta("last_tick_at")
        details["database"] = "ok"
    except Exception as error:  # any failure to answer is unhealthy
        details["database"] = f"error: {type(error).__name__}"
        ok = False
    if jobs:
        if ticks.last_at is None:
            details["scheduler"] = "no tick yet"
            ok = False
        else:
            age = time.monotonic() - ticks.last_at
            stalled = scheduler_stalled(age, tick_seconds)
            details["scheduler"] = "stalled" if stalled else "ok"
            details["last_tick_age_seconds"] = round(age, 1)
            ok = ok and not stalled
    return Health(ok, details)


def format_stats(figures: dict[str, int | float], now: dt.datetime) -> list[str]:
    """Render /stats and `python -m bot stats` figures as lines (no user data, only counts)."""
    return texts.STATS.format(at=now.strftime("%Y-%m-%d %H:%M"), **figures).split("\n")
