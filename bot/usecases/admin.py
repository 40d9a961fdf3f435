"""Operator figures for the admins named in ADMIN_USER_IDS: counts only, never anyone's words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.usecases.common import Services


@dataclass(frozen=True)
class Figures:
    """What /stats shows, and when it was read."""

    values: dict[str, int | float]
    at: dt.datetime


async def stats(services: Services, user_id: int) -> Figures | None:
    """Return the operator figures, or None when `user_id` is not an admin."""
    if user_id not in services.settings.admin_user_ids:
        return None
    now = services.clock()
    async with services.db.reading() as tx:
        return Figures(await tx.stats(now), now)
