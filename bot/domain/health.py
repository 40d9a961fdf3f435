"""When the scheduler counts as stalled: one rule for the health endpoint and the CLI."""

from __future__ import annotations

MIN_ALLOWED_SECONDS = 60.0
TICKS_ALLOWED = 3  # ticks that may be missed (a slow morning broadcast) before it counts


def scheduler_stalled(seconds_since_tick: float, tick_seconds: float) -> bool:
    """Say whether the last tick is too long ago for a scheduler ticking every `tick_seconds`."""
    return seconds_since_tick > max(TICKS_ALLOWED * tick_seconds, MIN_ALLOWED_SECONDS)
