"""The Mini App's journal: revealed questions page by page, the month calendar, the streak,
and which stored voice note, video note or photo a person may play."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.domain import calendar, schedule, streaks
from bot.domain.models import (
    Answer,
    AnswerKind,
    HistoryEntry,
    JournalFilter,
    Pair,
    Person,
)
from bot.usecases.common import Services, pairing_in

log = logging.getLogger(__name__)

JOURNAL_PAGE = 20
PARTNER_WRITTEN = "yours"  # the category filter value for questions one of the pair wrote
SEARCH_LIMIT = 100  # characters of a search; longer is cut


@dataclass(frozen=True)
class JournalPage:
    """Entries newest first, and the cursor of the next (older) page, if there is one."""

    entries: tuple[HistoryEntry, ...]
    next_cursor: str | None


def _cursor(entry: HistoryEntry) -> str:
    assert entry.prompt.revealed_at is not None
    return f"{int(entry.prompt.revealed_at.timestamp())}.{entry.prompt.id}"


def _parse_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    """The (revealed_at, prompt id) key in a cursor; None (the newest page) if it is not one."""
    if not cursor:
        return None
    at, _, prompt_id = cursor.partition(".")
    if not (at.isdigit() and prompt_id.isdigit() and len(at) < 12 and len(prompt_id) < 19):
        return None
    return dt.datetime.fromtimestamp(int(at), dt.UTC), int(prompt_id)


def journal_filter(services: Services, search: str, category: str, kind: str) -> JournalFilter:
    """Turn the journal's query parameters into a filter; unknown values match nothing."""
    content_ids: frozenset[str] | None = None
    if category and category != PARTNER_WRITTEN:
        content_ids = frozenset(q.id for q in services.library.questions if q.category == category)
    kinds = {k.value: k for k in AnswerKind}
    return JournalFilter(
        search=search[:SEARCH_LIMIT],
        content_ids=content_ids,
        partner_written=category == PARTNER_WRITTEN,
        kind=kinds.get(kind) if kind else None,
    )


async def journal(
    services: Services, user_id: int, narrowed: JournalFilter, cursor: str | None
) -> JournalPage:
    """Return a page of the person's revealed questions (their own pairs only), newest first."""
    if narrowed.content_ids == frozenset():  # a category with no questions, or none known
        return JournalPage((), None)
    async with services.db.reading() as tx:
        entries = await tx.journal_page(
            user_id, before=_parse_cursor(cursor), limit=JOURNAL_PAGE + 1, narrowed=narrowed
        )
    more = len(entries) > JOURNAL_PAGE
    page = tuple(entries[:JOURNAL_PAGE])
    return JournalPage(page, _cursor(page[-1]) if more else None)


@dataclass(frozen=True)
class Overview:
    """What the Mini App's first screen shows besides the journal."""

    person: Person
    partner: Person
    pair: Pair
    streak: int
    guesses: tuple[int, int] = (0, 0)  # guesses at each other judged right, and judged


async def overview(services: Services, user_id: int) -> Overview | None:
    """The person, their partner, their pair and the streak; None when not paired."""
    async with services.db.reading() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None:
            return None
        days = await tx.streak_days(pairing.pair.id)
        guesses = await tx.guess_tally(pairing.pair.id)
    today = schedule.local_date(services.clock(), pairing.pair.schedule.timezone)
    count = streaks.current_streak(days, today)
    return Overview(pairing.person, pairing.partner, pairing.pair, count, guesses)


@dataclass(frozen=True)
class Month:
    """One month of the pair's calendar."""

    first: dt.date
    today: dt.date
    days: tuple[tuple[dt.date, calendar.DayMark], ...]


async def month(services: Services, user_id: int, wanted: dt.date | None) -> Month | None:
    """The pair's calendar for the month of `wanted` (this month when None); None if not
    paired."""
    now = services.clock()
    async with services.db.reading() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return None
        zone = pair.schedule.timezone
        today = schedule.local_date(now, zone)
        first, last = calendar.month_bounds(wanted or today)
        questions = await tx.question_days(pair.id, first, last)
        since = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), dt.UTC)
        pauses = await tx.pause_spans(pair.id, since)
    marks = calendar.mark_month(first, questions, pauses, zone, now)
    return Month(first, today, tuple(marks))


async def playable_answer(
    services: Services, user_id: int, prompt_id: int, mine: bool
) -> Answer | None:
    """The voice note, video note or photo answer the person may see: their own, or their
    partner's once both answered; None for anything else (text, other pairs, unrevealed)."""
    async with services.db.reading() as tx:
        entry = await tx.revealed_entry(user_id, prompt_id)
    if entry is None:
        return None
    answer = entry.mine if mine else entry.theirs
    if answer is None or answer.kind is AnswerKind.TEXT or not answer.file_id:
        return None
    return answer
