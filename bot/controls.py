"""Everyday controls: nudges and gifts, reminders, pause, settings, skip, ask, history,
streaks, reactions, export and deleting one's data.

Like `bot.services`, each use case runs in one transaction and returns an outcome; messages to
the partner go through the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from enum import Enum, auto
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.domain import schedule, selection, streaks
from bot.domain.models import (
    AnswerKind,
    DepthPreference,
    HistoryEntry,
    Pair,
    Person,
    Preferences,
    Prompt,
    PromptKind,
)
from bot.domain.outbox import MessageKind, NewMessage
from bot.domain.parsing import ParseError, parse_pause
from bot.services import (
    DAY,
    Services,
    members_of,
    notice_to,
    start_question,
    tell_partner,
)
from bot.storage import StoreTransaction

log = logging.getLogger(__name__)

MAX_WAITING_QUESTIONS = 20
MAX_ASK_CHARS = 300
HISTORY_PAGE = 5
INVITE_FAILURE_WINDOW = dt.timedelta(minutes=10)
INVITE_FAILURE_LIMIT = 5


@dataclass(frozen=True)
class Pairing:
    """The acting person, their active pair and their partner."""

    person: Person
    pair: Pair
    partner: Person


async def _pairing(tx: StoreTransaction, user_id: int) -> Pairing | None:
    pair = await tx.active_pair_of(user_id)
    if pair is None:
        return None
    person = await tx.get_person(user_id)
    partner = await tx.get_person(pair.partner_of(user_id))
    if person is None or partner is None:
        return None
    return Pairing(person, pair, partner)


# Compliment nudges and gifts -----------------------------------------------------------------


async def send_due_nudges(
    tx: StoreTransaction, services: Services, pair: Pair, now: dt.datetime
) -> int:
    """Queue today's nudge for each partner who wants nudges; return how many were queued."""
    assert pair.next_nudge_at is not None
    zone = pair.schedule.timezone
    day = schedule.local_date(pair.next_nudge_at, zone)
    queued = 0
    if schedule.still_same_day(pair.next_nudge_at, now, zone):
        for person in await members_of(tx, pair):
            if not person.nudges_on or person.blocked:
                continue
            prompt = selection.choose_appreciation(
                services.library.appreciation,
                history=await tx.nudge_history(person.user_id),
                seed=pair.seed + person.user_id,
            )
            if prompt is None:
                continue
            nudge = await tx.create_nudge(pair.id, person.user_id, prompt.id, day, now)
            if nudge is not None:
                payload = {"nudge_id": nudge.id}
                await tx.enqueue(
                    [NewMessage(person.user_id, person.chat_id, MessageKind.NUDGE, None, payload)],
                    now,
                )
                queued += 1
    await tx.set_next_nudge(pair.id, schedule.next_due(now, pair.nudge_schedule, day))
    return queued


class HeartOutcome(Enum):
    """What became of a press on 'send a heart back'."""

    SENT = auto()
    ALREADY = auto()
    EXPIRED = auto()


async def send_heart(services: Services, user_id: int, nudge_id: int) -> HeartOutcome:
    """Send a heart back to the partner who wrote an appreciation to `user_id`."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await _pairing(tx, user_id)
        nudge = await tx.get_nudge(nudge_id)
        if (
            pairing is None
            or nudge is None
            or nudge.pair_id != pairing.pair.id
            or nudge.user_id != pairing.partner.user_id
        ):
            return HeartOutcome.EXPIRED
        if not await tx.mark_heart(nudge.id, now):
            return HeartOutcome.ALREADY
        text = texts.HEART_RECEIVED.format(name=texts.esc(pairing.person.first_name))
        await tx.enqueue([notice_to(pairing.partner, text, about=pairing.person)], now)
    services.wake_delivery()
    return HeartOutcome.SENT


# Reminders -------------------------------------------------------------------------------


@dataclass
class ReminderCursor:
    """Where a tick's walk through reminder candidates has got to."""

    after: tuple[int, int, int] | None = None
    queued: int = 0


async def send_due_reminders(
    tx: StoreTransaction, now: dt.datetime, limit: int, cursor: ReminderCursor
) -> int:
    """Queue one reminder for each due person among the next `limit` candidates after
    `cursor`; return how many candidates were looked at (the cursor counts the reminders).

    Candidates not due yet (quiet hours, hours not passed) are stepped over, never in the way
    of those after them.
    """
    candidates = await tx.reminder_candidates(now, now - dt.timedelta(days=1), limit, cursor.after)
    for due in candidates:
        person, pair, prompt = due.person, due.pair, due.prompt
        cursor.after = (int(prompt.sent_at.timestamp()), prompt.id, person.user_id)
        if not schedule.reminder_is_due(
            sent_at=prompt.sent_at,
            question_day=prompt.local_date,
            hours=person.reminder_hours,
            now=now,
            timezone=pair.schedule.timezone,
            quiet=(person.quiet_start, person.quiet_end),
        ):
            continue
        if await tx.mark_reminded(prompt.id, person.user_id, now):
            payload = {"partner_answered": due.partner_answered}
            await tx.enqueue(
                [
                    NewMessage(
                        person.user_id, person.chat_id, MessageKind.REMINDER, prompt.id, payload
                    )
                ],
                now,
            )
            cursor.queued += 1
    return len(candidates)


async def set_reminders(services: Services, user_id: int, *, on: bool) -> Person | None:
    """Turn a person's reminders on or off; return the updated person."""
    async with services.db.transaction() as tx:
        await tx.set_person_settings(user_id, reminders_on=on)
        return await tx.get_person(user_id)


# Pause and resume ------------------------------------------------------------------------


class PauseOutcome(Enum):
    """What /pause and /resume did."""

    NOT_PAIRED = auto()
    BAD_ARGUMENT = auto()
    PAUSED = auto()
    PAUSE_UPDATED = auto()
    RESUMED = auto()
    NOT_PAUSED = auto()


@dataclass(frozen=True)
class PauseResult:
    """The outcome with the moments its reply mentions."""

    outcome: PauseOutcome
    until: dt.datetime | None = None
    next_due_at: dt.datetime | None = None
    pair: Pair | None = None


def pause_label(until: dt.datetime | None, timezone: str) -> str:
    """Describe how long a pause lasts: 'until you resume' or 'until Thursday 24 December'."""
    if until is None:
        return texts.PAUSE_UNTIL_RESUMED
    day = until.astimezone(ZoneInfo(timezone)).strftime("%A %d %B %Y")
    return texts.PAUSE_UNTIL.format(date=day)


async def pause(services: Services, user_id: int, argument: str) -> PauseResult:
    """Pause the pair (or change the end of a pause); tell the partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await _pairing(tx, user_id)
        if pairing is None:
            return PauseResult(PauseOutcome.NOT_PAIRED)
        zone = pairing.pair.schedule.timezone
        try:
            until = parse_pause(argument, now, zone)
        except ParseError:
            return PauseResult(PauseOutcome.BAD_ARGUMENT)
        pair = pairing.pair
        outcome = PauseOutcome.PAUSE_UPDATED if pair.paused else PauseOutcome.PAUSED
        if pair.paused and pair.pause_ends_at == until:
            return PauseResult(outcome, until, pair=pair)  # the same pause again: nothing to tell
        await tx.pause(pair.id, until, user_id)
        text = texts.CHANGE_PAUSED.format(until=pause_label(until, zone))
        change = (
            "pause",
            _pause_state(pair),
            _pause_state(replace(pair, paused=True, pause_ends_at=until)),
            text,
        )
        await tell_partner(tx, pair.id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return PauseResult(outcome, until, pair=pair)


def _pause_state(pair: Pair) -> str:
    if not pair.paused:
        return "running"
    return f"paused until {pair.pause_ends_at.isoformat() if pair.pause_ends_at else 'resumed'}"


async def _resume(tx: StoreTransaction, pair: Pair, now: dt.datetime) -> dt.datetime | None:
    last_day = await tx.last_prompt_day(pair.id, PromptKind.QUESTION)
    due = schedule.next_due(now, pair.schedule, last_sent_day=last_day)
    nudge = schedule.next_due(now, pair.nudge_schedule, None)
    return due if await tx.resume(pair.id, due, nudge) else None


async def resume(services: Services, user_id: int) -> PauseResult:
    """Resume the pair's questions from the next send time; tell the partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await _pairing(tx, user_id)
        if pairing is None:
            return PauseResult(PauseOutcome.NOT_PAIRED)
        if not pairing.pair.paused:
            return PauseResult(
                PauseOutcome.NOT_PAUSED, next_due_at=pairing.pair.next_due_at, pair=pairing.pair
            )
        due = await _resume(tx, pairing.pair, now)
        when = texts.next_time(due, pairing.pair.schedule, now)
        change = (
            "pause",
            _pause_state(pairing.pair),
            "running",
            texts.CHANGE_RESUMED.format(when=when),
        )
        await tell_partner(tx, pairing.pair.id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return PauseResult(PauseOutcome.RESUMED, next_due_at=due, pair=pairing.pair)


async def end_due_pauses(tx: StoreTransaction, now: dt.datetime, limit: int) -> int:
    """Resume the pairs whose timed pause is over, with a note to both; return how many."""
    ended = await tx.pauses_ending(now, limit)
    for pair in ended:
        due = await _resume(tx, pair, now)
        text = texts.PAUSE_ENDED.format(when=texts.next_time(due, pair.schedule, now))
        await tx.enqueue([notice_to(p, text) for p in await members_of(tx, pair)], now)
    return len(ended)


async def pause_for_unreachable(
    tx: StoreTransaction, user_id: int, now: dt.datetime
) -> tuple[Pair, Person] | None:
    """Pause the pair of someone Telegram says blocked the bot; tell the partner once."""
    pairing = await _pairing(tx, user_id)
    if pairing is None or pairing.pair.paused:
        return None
    await tx.pause(pairing.pair.id, None, user_id)
    text = texts.PARTNER_UNREACHABLE.format(name=texts.esc(pairing.person.first_name))
    await tx.enqueue([notice_to(pairing.partner, text, about=pairing.person)], now)
    return pairing.pair, pairing.partner


# Settings --------------------------------------------------------------------------------


async def settings_of(services: Services, user_id: int) -> Pairing | None:
    """Return what the settings menu shows for `user_id`."""
    async with services.db.transaction() as tx:
        return await _pairing(tx, user_id)


class SettingOutcome(Enum):
    """What a settings button did."""

    CHANGED = auto()
    EXPIRED = auto()
    REFUSED = auto()


async def change_preferences(
    services: Services,
    user_id: int,
    pair_id: int,
    *,
    toggle_category: str | None = None,
    depth: DepthPreference | None = None,
) -> SettingOutcome:
    """Turn a topic on or off, or pick a depth, for the pair; tell the partner."""
    now = services.clock()
    categories = services.library.categories
    async with services.db.transaction() as tx:
        pairing = await _pairing(tx, user_id)
        if pairing is None or pairing.pair.id != pair_id:
            return SettingOutcome.EXPIRED
        prefs = pairing.pair.preferences
        if toggle_category is not None:
            category = categories.get(toggle_category)
            if category is None:
                return SettingOutcome.EXPIRED
            was_on = selection.category_is_on(category, prefs)
            prefs = _toggled(prefs, category.id, sensitive=category.sensitive)
            on = [c for c in categories.values() if selection.category_is_on(c, prefs)]
            if not on:
                return SettingOutcome.REFUSED
            state = texts.ON if not was_on else texts.OFF
            text = texts.CHANGE_TOPIC.format(topic=texts.esc(category.name), state=state)
            change = (f"topic:{category.id}", str(was_on), str(not was_on), text)
        elif depth is not None:
            if depth is prefs.depth:
                return SettingOutcome.CHANGED  # already chosen: nothing changes, nobody is told
            text = texts.CHANGE_DEPTH.format(depth=texts.DEPTH_NAMES[depth.value])
            change = ("depth", prefs.depth.value, depth.value, text)
            prefs = replace(prefs, depth=depth)
        else:
            return SettingOutcome.EXPIRED
        await tx.set_preferences(pair_id, prefs)
        await tell_partner(tx, pair_id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return SettingOutcome.CHANGED


def _toggled(prefs: Preferences, category_id: str, *, sensitive: bool) -> Preferences:
    if sensitive:
        return replace(prefs, enabled_sensitive=prefs.enabled_sensitive ^ {category_id})
    return replace(prefs, disabled_categories=prefs.disabled_categories ^ {category_id})


async def change_personal(
    services: Services,
    user_id: int,
    *,
    reminders_on: bool | None = None,
    nudges_on: bool | None = None,
    quiet: tuple[dt.time, dt.time] | None = None,
    reminder_hours: int | None = None,
) -> Person | None:
    """Change the person's own settings."""
    async with services.db.transaction() as tx:
        await tx.set_person_settings(
            user_id,
            reminders_on=reminders_on,
            nudges_on=nudges_on,
            quiet=quiet,
            reminder_hours=reminder_hours,
        )
        return await tx.get_person(user_id)


# Skip and ask ----------------------------------------------------------------------------


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
        pairing = await _pairing(tx, user_id)
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
        name = texts.esc(pairing.person.first_name)
        notes = {
            pairing.person.user_id: texts.SKIPPED_NOTE,
            pairing.partner.user_id: texts.SKIPPED_PARTNER_NOTE.format(name=name),
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
        pairing = await _pairing(tx, user_id)
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


# History, streaks and reactions ----------------------------------------------------------


@dataclass(frozen=True)
class HistoryPage:
    """One page of a person's history."""

    entries: tuple[HistoryEntry, ...]
    page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, -(-self.total // HISTORY_PAGE))


async def history(services: Services, user_id: int, page: int) -> HistoryPage:
    """Return one page of the person's revealed questions, newest first (their pairs only)."""
    page = max(0, page)
    async with services.db.transaction() as tx:
        entries, total = await tx.revealed_history(user_id, page * HISTORY_PAGE, HISTORY_PAGE)
    return HistoryPage(tuple(entries), page, total)


async def streak(services: Services, user_id: int) -> int | None:
    """Return the pair's current streak, or None when not paired."""
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return None
        days = await tx.streak_days(pair.id)
    return streaks.current_streak(
        days, schedule.local_date(services.clock(), pair.schedule.timezone)
    )


class ReactOutcome(Enum):
    """What a reaction button did."""

    SENT = auto()
    ALREADY = auto()
    EXPIRED = auto()


REACTIONS = {"heart": texts.REACTION_HEART, "talk": texts.REACTION_TALK}


async def react(services: Services, user_id: int, prompt_id: int, kind: str) -> ReactOutcome:
    """Tell the partner how their revealed answer landed (a heart, or 'let's talk')."""
    now = services.clock()
    if kind not in REACTIONS:
        return ReactOutcome.EXPIRED
    async with services.db.transaction() as tx:
        pairing = await _pairing(tx, user_id)
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
        text = REACTIONS[kind].format(
            name=texts.esc(pairing.person.first_name), question=texts.esc(prompt.text)
        )
        await tx.enqueue([notice_to(pairing.partner, text, about=pairing.person)], now)
    services.wake_delivery()
    return ReactOutcome.SENT


# Privacy ---------------------------------------------------------------------------------


async def delete_my_data(services: Services, user_id: int) -> Person | None:
    """Delete everything about a person, end their pairing and tell the partner (nothing of
    the deleted data is shared); return the former partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await _pairing(tx, user_id)
        partner = None
        if pairing is not None:
            await tx.end_pair(pairing.pair.id, now)
            partner = pairing.partner
            await tx.enqueue([notice_to(partner, texts.DELETE_PARTNER)], now)
        await tx.delete_person(user_id, texts.DELETED_QUESTION)
    await services.db.forget_deleted()
    log.info("user %d deleted their data", user_id)
    services.wake_delivery()
    return partner


def _answer_json(kind: AnswerKind, text: str) -> dict[str, str]:
    return {"kind": kind.value, "text": text}


async def export(services: Services, user_id: int) -> dict[str, Any]:
    """Collect the person's own data: their answers, the questions, their settings, and their
    partner's answers only where they were revealed to them."""
    async with services.db.transaction() as tx:
        person = await tx.get_person(user_id)
        pairs = await tx.pairs_of(user_id)
        questions = []
        for prompt, partner_id in await tx.all_prompts_of(user_id):
            answers = {a.user_id: a for a in await tx.answers_to(prompt.id)}
            mine = answers.get(user_id)
            theirs = answers.get(partner_id) if prompt.revealed_at is not None else None
            questions.append(
                _prompt_json(
                    prompt,
                    None if mine is None else _answer_json(mine.kind, mine.text),
                    None if theirs is None else _answer_json(theirs.kind, theirs.text),
                )
            )
    return {
        "format": "nearer-export-1",
        "exported_at": services.clock().isoformat(),
        "you": None
        if person is None
        else {
            "user_id": person.user_id,
            "first_name": person.first_name,
            "reminders": person.reminders_on,
            "nudges": person.nudges_on,
            "reminder_hours": person.reminder_hours,
            "quiet_hours": [
                person.quiet_start.isoformat("minutes"),
                person.quiet_end.isoformat("minutes"),
            ],
        },
        "pairs": [
            {
                "active": pair.ended_at is None,
                "ended_at": pair.ended_at.isoformat() if pair.ended_at else None,
                "timezone": pair.schedule.timezone,
                "send_time": pair.schedule.send_time.isoformat("minutes"),
                "frequency": pair.schedule.frequency.value,
                "depth": pair.preferences.depth.value,
                "topics_off": sorted(pair.preferences.disabled_categories),
                "sensitive_topics_on": sorted(pair.preferences.enabled_sensitive),
                "paused": pair.paused,
            }
            for pair in pairs
        ],
        "questions": questions,
    }


def _prompt_json(
    prompt: Prompt, mine: dict[str, str] | None, theirs: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "date": prompt.local_date.isoformat(),
        "question": prompt.text,
        "kind": prompt.kind.value,
        "revealed": prompt.revealed_at is not None,
        "your_answer": mine,
        "partner_answer": theirs,
    }


async def note_invite_failure(services: Services, user_id: int) -> bool:
    """Count a wrong invite code; True when the person has tried too many and must wait."""
    now = services.clock()
    since = now - INVITE_FAILURE_WINDOW
    async with services.db.transaction() as tx:
        await tx.note_invite_failure(user_id, now, since)
        return await tx.invite_failures(user_id, since) > INVITE_FAILURE_LIMIT


async def invite_attempts_blocked(services: Services, user_id: int) -> bool:
    """Say whether the person tried too many wrong codes lately and must wait."""
    since = services.clock() - INVITE_FAILURE_WINDOW
    async with services.db.transaction() as tx:
        return await tx.invite_failures(user_id, since) >= INVITE_FAILURE_LIMIT


async def note_blocked(services: Services, user_id: int, *, blocked: bool) -> Person | None:
    """Record that a person blocked (pausing the pair, partner told once) or unblocked the bot.

    On unblocking, returns the partner to name in a welcome-back offer to resume.
    """
    now = services.clock()
    partner = None
    async with services.db.transaction() as tx:
        if blocked:
            await tx.set_blocked(user_id, now)
            await pause_for_unreachable(tx, user_id, now)
        elif await tx.set_blocked(user_id, None):
            pairing = await _pairing(tx, user_id)
            if pairing and pairing.pair.paused and pairing.pair.paused_by == user_id:
                partner = pairing.partner
    services.wake_delivery()
    return partner
