"""History, streaks and reactions to revealed answers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum, auto

from bot.domain import schedule, streaks
from bot.domain.models import (
    HistoryEntry,
)
from bot.domain.outbox import Notice
from bot.usecases.common import Services, notice_to, pairing_in

log = logging.getLogger(__name__)


HISTORY_PAGE = 5


@dataclass(frozen=True)
class HistoryPage:
    """One page of a person's history."""

    entries: tuple[HistoryEntry, ...]
    page: int
    total: int
    tally: tuple[int, int] = (0, 0)  # guesses judged right, guesses judged (the active pair)

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, -(-self.total // HISTORY_PAGE))


async def history(services: Services, user_id: int, page: int) -> HistoryPage:
    """Return one page of the person's revealed questions, newest first (their pairs only)."""
    page = max(0, page)
    async with services.db.reading() as tx:
        entries, total = await tx.revealed_history(user_id, page * HISTORY_PAGE, HISTORY_PAGE)
        pair = await tx.active_pair_of(user_id)
        tally = await tx.guess_tally(pair.id) if pair is not None else (0, 0)
    return HistoryPage(tuple(entries), page, total, tally)


@dataclass(frozen=True)
class Streak:
    """The pair's streak and how well its guesses went."""

    count: int
    tally: tuple[int, int]  # guesses judged right, guesses judged


async def streak(services: Services, user_id: int) -> Streak | None:
    """Return the pair's current streak and guess tally, or None when not paired."""
    async with services.db.reading() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return None
        days = await tx.streak_days(pair.id)
        tally = await tx.guess_tally(pair.id)
    count = streaks.current_streak(
        days, schedule.local_date(services.clock(), pair.schedule.timezone)
    )
    return Streak(count, tally)


class ReactOutcome(Enum):
    """What a reaction button did."""

    SENT = auto()
    ALREADY = auto()
    EXPIRED = auto()


REACTIONS = frozenset({"heart", "talk"})


async def react(services: Services, user_id: int, prompt_id: int, kind: str) -> ReactOutcome:
    """Tell the partner how their revealed answer landed (a heart, or 'let's talk')."""
    now = services.clock()
    if kind not in REACTIONS:
        return ReactOutcome.EXPIRED
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        prompt = await tx.get_prompt(prompt_id)
        if (
            pairing is None
            or prompt is None
            or prompt.pair_id != pairing.pair.id
            or prompt.revealed_at is None
        ):
            return ReactOutcome.EXPIRED
        if not await tx.add_reaction(prompt.id, user_id, kind, now):
            return ReactOutcome.ALREADY
        params = {"name": pairing.person.first_name, "reaction": kind}
        notice = notice_to(
            pairing.partner, Notice.REACTION, params, about=pairing.person, prompt_id=prompt.id
        )
        await tx.enqueue([notice], now)
    services.wake_delivery()
    return ReactOutcome.SENT
