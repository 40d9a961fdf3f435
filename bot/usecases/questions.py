"""The day's question and exercise, /today, /skip and /ask."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any

from bot.content import Library
from bot.domain import formats, schedule, selection
from bot.domain.models import (
    Pair,
    Person,
    Prompt,
    PromptKind,
    Question,
    QuestionFacts,
)
from bot.domain.outbox import MessageKind, NewMessage
from bot.storage import StoreTransaction
from bot.usecases.common import DAY, Services, members_of, pairing_in

log = logging.getLogger(__name__)


async def start_question(
    tx: StoreTransaction,
    library: Library,
    pair: Pair,
    day: dt.date,
    now: dt.datetime,
    *,
    urgent: bool = False,
    first: bool = False,
    notes: dict[int, dict[str, str]] | None = None,
    facts: QuestionFacts | None = None,
    people: Sequence[Person] | None = None,
) -> Prompt | None:
    """Choose the pair's question for local `day` and queue it for both; None if already sent.

    A question a partner wrote with /ask comes first; otherwise the library's choice rules pick.
    `notes` puts a line above the question for some members (e.g. why it was swapped). Each
    member gets it at their own time (at once when `urgent`); a pair's `first` question waits
    for anyone's morning if it is night where they are. The tick passes the pair's `facts`
    and `people`, read for its whole batch at once; without them they are read here.
    """
    content_id: str | None = None
    author_id: int | None = None
    if facts is None:
        facts = (await tx.question_facts([pair.id]))[pair.id]
    history = list(facts.history)
    occasion = _occasion_question(library, pair, day, history, facts.questions_sent)
    custom = None if occasion is not None else facts.custom
    if occasion is not None:
        special, name = occasion
        content_id, text = special.id, selection.text_for(special, apart=pair.apart)
        notes = {member: {"key": "occasion", "name": name} for member in pair.members} | (
            notes or {}
        )
    elif custom is not None:
        _, author_id, text = custom
    else:
        shared = facts.shared_answers
        question = None
        if pair.series:
            question = _choose(library, pair, history, shared, only=pair.series)
            notes = await _series_day(tx, pair, question is not None, notes)
        if question is None:
            question = _choose(library, pair, history, shared)
        if question is None:
            log.error("pair %d: the library has no question its settings allow", pair.id)
            return None
        content_id, text = question.id, selection.text_for(question, apart=pair.apart)
    prompt = await tx.create_prompt(
        pair.id,
        PromptKind.QUESTION,
        content_id=content_id,
        text=text,
        local_date=day,
        now=now,
        author_id=author_id,
    )
    if prompt is None:
        return None
    if custom is not None:
        await tx.use_custom_question(custom[0], prompt.id, now)
    await _queue_question(
        tx, pair, prompt, now, urgent=urgent, first=first, notes=notes, people=people
    )
    return prompt


def _choose(
    library: Library, pair: Pair, history: list[str], shared: int, *, only: str | None = None
) -> Question | None:
    """The library's choice for the pair (from one topic only, for a short series)."""
    return selection.choose_question(
        # The whole library is passed as it is: the pool memory knows it by identity.
        library.questions
        if only is None
        else [q for q in library.questions if q.category == only],
        library.categories,
        history=history,
        shared_answers=shared,
        preferences=pair.preferences,
        seed=pair.seed,
        formats=selection.RENDERABLE_FORMATS,
        apart=pair.apart,
        stage=pair.stage,
        heat=pair.heat,
        sensitive_gap=selection.SENSITIVE_PACE_GAPS.get(pair.sensitive_pace, 7),
    )


async def _series_day(
    tx: StoreTransaction,
    pair: Pair,
    found: bool,
    notes: dict[int, dict[str, str]] | None,
) -> dict[int, dict[str, str]] | None:
    """Move a short series on by a day (a swapped question is the same day); it ends after
    its last day, or when its topic has nothing left to ask."""
    swap = notes is not None
    day = pair.series_day if swap else pair.series_day + 1
    if not found:
        await tx.set_pair_options(pair.id, series="", series_day=0)
        return notes
    if not swap:
        last = day >= formats.SERIES_DAYS
        await tx.set_pair_options(pair.id, series="" if last else None, series_day=day)
    note = {
        "key": "series",
        "category": pair.series or "",
        "day": str(max(1, day)),
        "days": str(formats.SERIES_DAYS),
    }
    return dict.fromkeys(pair.members, note) | (notes or {})


def _occasion_question(
    library: Library, pair: Pair, day: dt.date, history: list[str], questions_sent: int
) -> tuple[Question, str] | None:
    """The occasion question for `day` and the occasion's name, when the day is one."""
    started = (
        schedule.local_date(pair.created_at, pair.schedule.timezone) if pair.created_at else None
    )
    occasion_id = formats.occasion_for(
        day,
        anniversary=pair.anniversary,
        started=started,
        question_number=questions_sent + 1,
    )
    occasion = library.occasions.get(occasion_id) if occasion_id else None
    if occasion is None:
        return None
    fitting = [
        q
        for q in occasion.questions
        if selection.fits_pair(
            q, formats=selection.RENDERABLE_FORMATS, apart=pair.apart, stage=pair.stage
        )
    ]
    question = selection.choose_occasion_question(fitting, history=history, seed=pair.seed)
    return None if question is None else (question, occasion.name)


async def _queue_question(
    tx: StoreTransaction,
    pair: Pair,
    prompt: Prompt,
    now: dt.datetime,
    *,
    urgent: bool,
    first: bool = False,
    notes: dict[int, dict[str, str]] | None = None,
    people: Sequence[Person] | None = None,
) -> None:
    # Names travel as parameters, so sending a morning's questions needs one read per message.
    people = await members_of(tx, pair) if people is None else people
    names = {person.user_id: person.first_name for person in people}
    author = names.get(prompt.author_id) if prompt.author_id is not None else None
    # The pair's moment: when its day's question was due (the tick may run a little late).
    due = pair.next_due_at if pair.next_due_at is not None and pair.next_due_at <= now else now
    messages = []
    for person in people:
        partner_id = pair.partner_of(person.user_id)
        payload: dict[str, Any] = {"partner": names.get(partner_id), "author": author}
        note = (notes or {}).get(person.user_id)
        if note:
            payload["note"] = note
        if first:
            payload["first"] = True
        own_moment = schedule.personal_moment(due, person.clock(pair))
        messages.append(
            NewMessage(
                person.user_id,
                person.chat_id,
                MessageKind.QUESTION,
                prompt.id,
                payload=payload,
                urgent=urgent,
                about_user_id=partner_id if partner_id in names else None,
                delay=dt.timedelta(0) if urgent else max(dt.timedelta(0), own_moment - now),
            )
        )
    await tx.enqueue(messages, now)


async def start_exercise(
    tx: StoreTransaction,
    library: Library,
    pair: Pair,
    day: dt.date,
    weekday: int,
    now: dt.datetime,
) -> Prompt | None:
    """Queue the exercise for local `day` when its cadence says there is one."""
    cadence = schedule.exercise_cadence_for(day, weekday)
    if cadence is None:
        return None
    exercise = selection.choose_exercise(
        library.exercises,
        cadence,
        history=await tx.content_history(pair.id, PromptKind.EXERCISE),
        seed=pair.seed,
    )
    if exercise is None:
        return None
    prompt = await tx.create_prompt(
        pair.id,
        PromptKind.EXERCISE,
        content_id=exercise.id,
        text=exercise.title,
        local_date=day,
        now=now,
    )
    if prompt is None:
        return None
    await tx.enqueue(
        [
            NewMessage(
                p.user_id, p.chat_id, MessageKind.EXERCISE, prompt.id, {"apart": pair.apart}
            )
            for p in await members_of(tx, pair)
        ],
        now,
    )
    return prompt


@dataclass(frozen=True)
class OpenQuestion:
    """An open question and who has answered it (never what)."""

    prompt: Prompt
    you_answered: bool
    partner_answered: bool


@dataclass(frozen=True)
class TodayView:
    """What /today shows."""

    pair: Pair | None
    partner: Person | None = None
    open_questions: tuple[OpenQuestion, ...] = ()
    person: Person | None = None  # who asked: their own clock shows the times


async def today(services: Services, user_id: int) -> TodayView:
    """Return the person's open questions with who has answered each."""
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return TodayView(None)
        partner_id = pair.partner_of(user_id)
        items = []
        for prompt in await tx.open_prompts(pair.id):
            kind = services.library.format_of(prompt.content_id)
            answered = {
                a.user_id
                for a in await tx.answers_to(prompt.id)
                if formats.answer_complete(kind, a)  # a guess question wants the guess too
            }
            items.append(OpenQuestion(prompt, user_id in answered, partner_id in answered))
        partner = await tx.get_person(partner_id)
        return TodayView(pair, partner, tuple(items), await tx.get_person(user_id))


class SkipOutcome(Enum):
    """What /skip did."""

    NOT_PAIRED = auto()
    NOTHING_OPEN = auto()
    TOO_LATE = auto()
    LIMIT = auto()
    SKIPPED = auto()


SKIPS_PER_DAY = 3


ASKS_PER_DAY = 10


async def skip(services: Services, user_id: int) -> SkipOutcome:
    """Swap today's question for another while neither partner has answered; tell both."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None:
            return SkipOutcome.NOT_PAIRED
        pair = pairing.pair
        today = schedule.local_date(now, pair.schedule.timezone)
        todays = [p for p in await tx.open_prompts(pair.id) if p.local_date == today]
        if not todays:
            return SkipOutcome.NOTHING_OPEN
        if await tx.action_count(user_id, "skip", now, DAY) >= SKIPS_PER_DAY:
            return SkipOutcome.LIMIT
        if not await tx.skip_prompt(todays[-1].id, now):
            return SkipOutcome.TOO_LATE
        await tx.count_action(user_id, "skip", now, DAY)
        for member in (pairing.person, pairing.partner):  # the old question, if still unsent
            await tx.cancel_pending(member.user_id, todays[-1].id, now)
        notes = {
            pairing.person.user_id: {"key": "skipped"},
            pairing.partner.user_id: {"key": "skipped_partner", "name": pairing.person.first_name},
        }
        await start_question(tx, services.library, pair, today, now, urgent=True, notes=notes)
    services.wake_delivery()
    return SkipOutcome.SKIPPED


class AskOutcome(Enum):
    """What /ask did."""

    NOT_PAIRED = auto()
    BAD_LENGTH = auto()
    TOO_MANY = auto()
    LIMIT = auto()
    SAVED = auto()


async def ask(services: Services, user_id: int, text: str) -> tuple[AskOutcome, int]:
    """Queue a question a partner wrote for a coming day; return the outcome and queue size."""
    question = " ".join(text.split())
    if not question or len(question) > MAX_ASK_CHARS:
        return AskOutcome.BAD_LENGTH, 0
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None:
            return AskOutcome.NOT_PAIRED, 0
        waiting = await tx.waiting_custom_questions(pairing.pair.id)
        if waiting >= MAX_WAITING_QUESTIONS:
            return AskOutcome.TOO_MANY, waiting
        now = services.clock()
        if await tx.action_count(user_id, "ask", now, DAY) >= ASKS_PER_DAY:
            return AskOutcome.LIMIT, ASKS_PER_DAY
        await tx.count_action(user_id, "ask", now, DAY)
        await tx.add_custom_question(pairing.pair.id, user_id, question, now)
    return AskOutcome.SAVED, waiting + 1


MAX_WAITING_QUESTIONS = 20


MAX_ASK_CHARS = 300
