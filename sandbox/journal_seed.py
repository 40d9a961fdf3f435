"""Weeks of a couple's answered questions written straight into the database: sample data for
the Mini App's tests, its screenshots and the demo (the reveal itself is tested elsewhere)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from bot.domain.models import Answer, AnswerKind, Pair, PromptKind
from bot.domain.selection import Format, format_of
from bot.usecases.common import Services
from sandbox.fake_bot_api import FakeBotAPI

SAMPLE_ANSWERS = (
    "The walk along the canal when it started snowing and neither of us had gloves.",
    "Honestly? When you make tea without asking, exactly how I like it.",
    "Slow Sunday mornings, pancakes, and nowhere to be.",
    "I’d love us to learn to sail, even if we’re terrible at it.",
    "That you laugh at my worst jokes. Every single time.",
    "When we got lost in Lisbon and found that tiny bakery.",
    "More evenings with the phones in the drawer.",
    "Your voice when you’re half asleep.",
    "Cooking together, badly, with music too loud.",
    "I feel closest when we just sit side by side and read.",
    "A cabin, a lake, and a week without email.",
    "The way you remember small things I said months ago.",
)
SEARCHABLE = "lighthouse"  # a word in exactly one seeded answer, for search tests


@dataclass(frozen=True)
class SeededJournal:
    """What was written: the revealed days (newest first), the open day and the pause."""

    revealed: tuple[dt.date, ...]
    open_day: dt.date
    paused: tuple[dt.date, dt.date]


async def seed_journal(
    services: Services,
    api: FakeBotAPI,
    pair: Pair,
    *,
    today: dt.date,
    days: int = 30,
    offset: int = 0,
) -> SeededJournal:
    """Give `pair` a question on each of the `days` local days before `today`: all revealed
    (some with voice notes, video notes and photos) but one left open, and three days paused
    with no question."""
    first, second = pair.members
    questions = [
        q
        for q in services.library.questions
        if q.category != "intimacy" and format_of(q) is Format.OPEN and len(q.text) < 90
    ]
    texts = itertools.cycle(SAMPLE_ANSWERS[offset % len(SAMPLE_ANSWERS) :] + SAMPLE_ANSWERS)
    paused = (today - dt.timedelta(days=9), today - dt.timedelta(days=7))
    open_day = today - dt.timedelta(days=12)
    revealed: list[dt.date] = []
    message_ids = itertools.count(10_000 + offset * 1_000)
    async with services.db.transaction() as tx:
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            if paused[0] <= day <= paused[1]:
                continue
            sent = dt.datetime.combine(day, dt.time(9, 0), dt.UTC)
            question = questions[(back * 7 + offset) % len(questions)]
            prompt = await tx.create_prompt(
                pair.id,
                PromptKind.QUESTION,
                content_id=question.id,
                text=question.text,
                local_date=day,
                now=sent,
            )
            assert prompt is not None
            for index, user_id in enumerate((first, second)):
                if day == open_day and index == 1:
                    continue
                kind, file_id = AnswerKind.TEXT, None
                if index == 1 and back % 5 == 2:
                    kind, file_id = AnswerKind.VOICE, api.new_file_id("voice")
                elif index == 1 and back % 11 == 6:
                    kind, file_id = AnswerKind.VIDEO_NOTE, api.new_file_id("vnote")
                elif index == 0 and back % 7 == 1:
                    kind, file_id = AnswerKind.PHOTO, api.new_file_id("photo")
                text = "" if kind in (AnswerKind.VOICE, AnswerKind.VIDEO_NOTE) else next(texts)
                if back == 4 and index == 0:
                    text = f"The {SEARCHABLE} at the end of the pier, at dusk."
                answered = sent + dt.timedelta(hours=2 + index)
                answer = Answer(
                    prompt.id, user_id, kind, text, file_id, user_id, next(message_ids), answered
                )
                await tx.save_answer(answer, answered)
            if day != open_day:
                await tx.mark_revealed(prompt.id, sent + dt.timedelta(hours=4))
                revealed.append(day)
        start = dt.datetime.combine(paused[0], dt.time(10, 0), dt.UTC)
        end = dt.datetime.combine(paused[1], dt.time(18, 0), dt.UTC)
        await tx.note_pause_started(pair.id, start)
        await tx.note_pause_ended(pair.id, end)
    return SeededJournal(tuple(reversed(revealed)), open_day, paused)
