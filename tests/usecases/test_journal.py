"""The journal's use cases on a real database file: keyset pages, filters, pause spans."""

from __future__ import annotations

import datetime as dt

from bot.domain.calendar import DayMark
from bot.domain.models import Answer, AnswerKind, JournalFilter, PromptKind
from bot.usecases import journal, pause
from bot.usecases.common import Services
from sandbox.harness import FakeClock
from tests.usecases.conftest import Couple


async def _reveal_days(services: Services, couple: Couple, days: int, at: dt.datetime) -> None:
    """Questions both answered, all revealed in the same second (a tie the cursor must break)."""
    async with services.db.transaction() as tx:
        for back in range(days):
            day = at.date() - dt.timedelta(days=back + 1)
            prompt = await tx.create_prompt(
                couple.pair.id, PromptKind.QUESTION, content_id=None, text=f"Q{back}",
                local_date=day, now=at,
            )  # fmt: skip
            assert prompt is not None
            for user in (couple.alice, couple.bob):
                answer = Answer(prompt.id, user, AnswerKind.TEXT, f"A{back}-{user}", None, user,
                                1000 + back * 2 + user, at)  # fmt: skip
                await tx.save_answer(answer, at)
            await tx.mark_revealed(prompt.id, at)


async def test_pages_walk_every_entry_once_even_when_reveals_share_a_second(
    services: Services, couple: Couple
) -> None:
    assert isinstance(services.clock, FakeClock)
    await _reveal_days(services, couple, 45, services.clock())
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        page = await journal.journal(services, couple.alice, JournalFilter(), cursor)
        seen += [entry.prompt.id for entry in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 45 and len(set(seen)) == 45
    assert seen == sorted(seen, reverse=True)


async def test_a_cursor_that_is_not_one_starts_from_the_newest(
    services: Services, couple: Couple
) -> None:
    await _reveal_days(services, couple, 3, services.clock())
    page = await journal.journal(services, couple.alice, JournalFilter(), "1; DROP TABLE x")
    assert len(page.entries) == 3


async def test_search_treats_percent_and_underscore_as_plain_characters(
    services: Services, couple: Couple
) -> None:
    await _reveal_days(services, couple, 3, services.clock())
    narrowed = journal.journal_filter(services, "A1_", "", "")
    assert [
        e.prompt.text
        for e in (await journal.journal(services, couple.bob, narrowed, None)).entries
    ] == []
    narrowed = journal.journal_filter(services, "a1-", "", "")
    found = await journal.journal(services, couple.bob, narrowed, None)
    assert [e.prompt.text for e in found.entries] == ["Q1"]


async def test_pause_and_resume_leave_a_span_the_calendar_marks(
    services: Services, couple: Couple
) -> None:
    assert isinstance(services.clock, FakeClock)
    await pause.pause(services, couple.alice, "")
    services.clock.advance(days=2)
    await pause.resume(services, couple.bob)
    month = await journal.month(services, couple.alice, None)
    assert month is not None
    marks = dict(month.days)
    start = services.clock().date() - dt.timedelta(days=2)
    assert [marks[start + dt.timedelta(days=n)] for n in range(3)] == [DayMark.PAUSED] * 3
    async with services.db.reading() as tx:
        spans = await tx.pause_spans(couple.pair.id, services.clock() - dt.timedelta(days=30))
    assert len(spans) == 1 and spans[0].ended_at == services.clock()
