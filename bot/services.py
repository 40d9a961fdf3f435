"""Use cases: each one reads and writes in one transaction and returns an outcome to render.

Handlers and the scheduler call these; they hold no SQL (storage does) and no rules of their
own (the domain does). Messages to anyone but the person acting go through the outbox, so they
are durable and paced.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum, auto
from typing import Any

from bot import texts
from bot.config import Settings
from bot.content import Library
from bot.domain import rules, schedule, selection, streaks
from bot.domain.models import (
    Answer,
    AnswerKind,
    Frequency,
    Invite,
    Pair,
    Person,
    Prompt,
    PromptKind,
    Schedule,
)
from bot.domain.outbox import MessageKind, NewMessage, merge_changes
from bot.storage import Store, StoreTransaction

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    """What every use case needs; built once by the app and shared by handlers and jobs."""

    settings: Settings
    db: Store
    library: Library
    clock: Clock = system_clock
    # Wakes the delivery loop after something was added to the outbox.
    wake_delivery: Callable[[], None] = field(default=lambda: None)
    # Events counted since start-up (reveals, gifts...), for metrics.
    events: Counter[str] = field(default_factory=Counter)

    def default_schedule(self) -> Schedule:
        """The schedule a new pair starts with."""
        return Schedule(
            timezone=self.settings.default_timezone, send_time=self.settings.default_send_time
        )


# Registration and invites ------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """Who wrote, and the partner to name when they come back after blocking the bot."""

    person: Person
    paused_partner: Person | None = None


async def register(
    services: Services, user_id: int, chat_id: int, first_name: str
) -> Registration:
    """Record (or refresh) someone who wrote to the bot; notice when they come back."""
    now = services.clock()
    async with services.db.transaction() as tx:
        before = await tx.get_person(user_id)
        person = await tx.upsert_person(user_id, chat_id, first_name or "Your partner", now)
        if before is None or not before.blocked:
            return Registration(person)
        await tx.set_blocked(user_id, None)
        pair = await tx.active_pair_of(user_id)
        if pair is None or not pair.paused or pair.paused_by != user_id:
            return Registration(person)
        log.info("user %d is back after blocking the bot", user_id)
        return Registration(person, await tx.get_person(pair.partner_of(user_id)))


DAY = dt.timedelta(days=1)
# Daily allowances: enough for any real use, few enough that nobody can spam their partner.
INVITES_PER_DAY = 10


@dataclass(frozen=True)
class InviteResult:
    """A fresh invite, the partner that makes one unnecessary, or the day's limit reached."""

    invite: Invite | None
    partner: Person | None = None
    limit_reached: bool = False


async def create_invite(services: Services, user_id: int) -> InviteResult:
    """Create a new invite for `user_id`, replacing their earlier one."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is not None:
            return InviteResult(None, await tx.get_person(pair.partner_of(user_id)))
        if await tx.action_count(user_id, "invite", now, DAY) >= INVITES_PER_DAY:
            return InviteResult(None, limit_reached=True)
        await tx.count_action(user_id, "invite", now, DAY)
        invite = Invite(
            code=rules.new_invite_code(),
            inviter_id=user_id,
            created_at=now,
            expires_at=rules.invite_expires_at(now),
        )
        await tx.replace_invite(invite)
    log.info("invite created by user %d", user_id)
    return InviteResult(invite)


class InviteCheck(Enum):
    """Whether an invite can be accepted by the person who opened it."""

    OK = auto()
    OWN = auto()
    UNKNOWN = auto()
    EXPIRED = auto()
    YOU_ARE_PAIRED = auto()
    INVITER_PAIRED = auto()


@dataclass(frozen=True)
class InviteStatus:
    """The check's verdict with the people it mentions."""

    check: InviteCheck
    inviter: Person | None = None
    partner: Person | None = None


async def _check_invite(
    tx: StoreTransaction, code: str, user_id: int, now: dt.datetime
) -> InviteStatus:
    invite = await tx.get_invite(code) if rules.looks_like_invite_code(code) else None
    if invite is None:
        return InviteStatus(InviteCheck.UNKNOWN)
    inviter = await tx.get_person(invite.inviter_id)
    if invite.inviter_id == user_id:
        return InviteStatus(InviteCheck.OWN, inviter)
    if inviter is None or not rules.invite_is_usable(invite, now):
        return InviteStatus(InviteCheck.EXPIRED, inviter)
    own_pair = await tx.active_pair_of(user_id)
    if own_pair is not None:
        partner = await tx.get_person(own_pair.partner_of(user_id))
        return InviteStatus(InviteCheck.YOU_ARE_PAIRED, inviter, partner)
    if await tx.active_pair_of(inviter.user_id) is not None:
        return InviteStatus(InviteCheck.INVITER_PAIRED, inviter)
    return InviteStatus(InviteCheck.OK, inviter)


async def check_invite(services: Services, code: str, user_id: int) -> InviteStatus:
    """Say whether `user_id` may accept the invite `code`, without changing anything."""
    async with services.db.transaction() as tx:
        return await _check_invite(tx, code, user_id, services.clock())


@dataclass(frozen=True)
class AcceptResult:
    """The outcome of accepting an invite; `pair` is set when it worked."""

    status: InviteStatus
    pair: Pair | None = None


async def accept_invite(services: Services, code: str, user_id: int) -> AcceptResult:
    """Pair the invitee with the inviter and send both their first question at once."""
    now = services.clock()
    async with services.db.transaction() as tx:
        status = await _check_invite(tx, code, user_id, now)
        if status.check is not InviteCheck.OK or status.inviter is None:
            return AcceptResult(status)
        accepter = await tx.get_person(user_id)
        if accepter is None or not await tx.use_invite(code, user_id, now):
            return AcceptResult(InviteStatus(InviteCheck.EXPIRED, status.inviter))
        inviter = status.inviter
        pair = await tx.create_pair(
            (inviter.user_id, user_id), services.default_schedule(), secrets.randbits(31), now
        )
        if pair is None:
            return AcceptResult(InviteStatus(InviteCheck.INVITER_PAIRED, inviter))
        sched = pair.schedule
        # The accepter sees this text in place of the invite offer; the inviter gets a message.
        text = texts.paired(accepter.first_name, sched)
        await tx.enqueue([notice_to(inviter, text, about=accepter)], now)
        today = schedule.local_date(now, sched.timezone)
        await start_question(tx, services.library, pair, today, now, urgent=True)
        await tx.set_next_due(pair.id, schedule.next_due(now, sched, last_sent_day=today))
        await tx.set_next_nudge(pair.id, schedule.next_due(now, pair.nudge_schedule, None))
    log.info("pair %d formed", pair.id)
    services.wake_delivery()
    return AcceptResult(status, pair)


def notice_to(person: Person, text: str, *, about: Person | None = None) -> NewMessage:
    """An outbox row carrying a ready-made text to `person`; `about` is whoever the text names
    (deleting their data withdraws it)."""
    return NewMessage(
        person.user_id,
        person.chat_id,
        MessageKind.NOTICE,
        payload={"text": text},
        about_user_id=None if about is None else about.user_id,
    )


CHANGE_WINDOW = dt.timedelta(seconds=60)  # changes a partner makes within it become one notice


async def tell_partner(
    tx: StoreTransaction,
    pair_id: int,
    actor: Person,
    partner: Person,
    change: tuple[str, str, str, str],
    now: dt.datetime,
) -> None:
    """Tell the partner about a shared change (topic, state before, state after, text): changes
    within CHANGE_WINDOW become one notice, and a change undone within it tells nothing."""
    topic, before, after, text = change
    key = f"changes:{pair_id}:{actor.user_id}:{partner.user_id}"
    pending = await tx.pending_payload(key)
    if pending is not None:
        merged = merge_changes(pending.get("changes", {}), topic, before, after, text)
        await tx.replace_pending_payload(key, {**pending, "changes": merged} if merged else None)
        return
    changes = merge_changes({}, topic, before, after, text)
    if not changes:
        return
    message = NewMessage(
        partner.user_id,
        partner.chat_id,
        MessageKind.CHANGES,
        payload={"from_name": actor.first_name, "changes": changes},
        about_user_id=actor.user_id,
        coalesce_key=key,
        delay=CHANGE_WINDOW,
    )
    await tx.enqueue([message], now)


async def members_of(tx: StoreTransaction, pair: Pair) -> list[Person]:
    """Return both people of a pair (fewer if one deleted their data)."""
    people = [await tx.get_person(member) for member in pair.members]
    return [person for person in people if person is not None]


# The daily question ------------------------------------------------------------------------


async def start_question(
    tx: StoreTransaction,
    library: Library,
    pair: Pair,
    day: dt.date,
    now: dt.datetime,
    *,
    urgent: bool = False,
    notes: dict[int, str] | None = None,
) -> Prompt | None:
    """Choose the pair's question for local `day` and queue it for both; None if already sent.

    A question a partner wrote with /ask comes first; otherwise the library's choice rules pick.
    `notes` puts a line above the question for some members (e.g. why it was swapped).
    """
    custom = await tx.next_custom_question(pair.id)
    if custom is not None:
        custom_id, author_id, text = custom
        prompt = await tx.create_prompt(
            pair.id,
            PromptKind.QUESTION,
            content_id=None,
            text=text,
            local_date=day,
            now=now,
            author_id=author_id,
        )
        if prompt is not None:
            await tx.use_custom_question(custom_id, prompt.id, now)
            await _queue_question(tx, pair, prompt, now, urgent=urgent, notes=notes)
        return prompt
    question = selection.choose_question(
        library.questions,
        library.categories,
        history=await tx.content_history(pair.id, PromptKind.QUESTION),
        shared_answers=await tx.shared_answer_count(pair.id),
        preferences=pair.preferences,
        seed=pair.seed,
    )
    if question is None:
        log.error("pair %d: the library has no question its settings allow", pair.id)
        return None
    prompt = await tx.create_prompt(
        pair.id,
        PromptKind.QUESTION,
        content_id=question.id,
        text=question.text,
        local_date=day,
        now=now,
    )
    if prompt is None:
        return None
    await _queue_question(tx, pair, prompt, now, urgent=urgent, notes=notes)
    return prompt


async def _queue_question(
    tx: StoreTransaction,
    pair: Pair,
    prompt: Prompt,
    now: dt.datetime,
    *,
    urgent: bool,
    notes: dict[int, str] | None = None,
) -> None:
    # The text is rendered now, so sending a morning's questions needs no reads per message.
    people = await members_of(tx, pair)
    names = {person.user_id: person.first_name for person in people}
    author = names.get(prompt.author_id) if prompt.author_id is not None else None
    messages = []
    for person in people:
        partner_id = pair.partner_of(person.user_id)
        partner = names.get(partner_id, "your partner")
        text = texts.question(prompt.text, partner, author)
        note = (notes or {}).get(person.user_id)
        if note:
            text = f"{note}\n\n{text}"
        messages.append(
            NewMessage(
                person.user_id,
                person.chat_id,
                MessageKind.QUESTION,
                prompt.id,
                payload={"text": text},
                urgent=urgent,
                about_user_id=partner_id if partner_id in names else None,
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
            NewMessage(p.user_id, p.chat_id, MessageKind.EXERCISE, prompt.id)
            for p in await members_of(tx, pair)
        ],
        now,
    )
    return prompt


# Answers and the reveal --------------------------------------------------------------------


class AnswerOutcome(Enum):
    """What became of something a partner sent as an answer."""

    NOT_PAIRED = auto()
    NO_OPEN_QUESTION = auto()
    SEVERAL_OPEN = auto()
    STALE_REPLY = auto()
    ALREADY_REVEALED = auto()
    SAVED = auto()
    REPLACED = auto()
    REVEALED = auto()


@dataclass(frozen=True)
class AnswerResult:
    """The outcome with what its reply needs."""

    outcome: AnswerOutcome
    partner: Person | None = None
    pair: Pair | None = None
    open_count: int = 0


@dataclass(frozen=True)
class IncomingAnswer:
    """An answer as it arrived from Telegram, already classified."""

    user_id: int
    chat_id: int
    message_id: int
    kind: AnswerKind
    text: str
    file_id: str | None = None
    reply_to_message_id: int | None = None


async def _target_prompt(
    tx: StoreTransaction, pair: Pair, incoming: IncomingAnswer
) -> Prompt | AnswerOutcome:
    if incoming.reply_to_message_id is not None:
        replied = await tx.prompt_for_message(incoming.chat_id, incoming.reply_to_message_id)
        if replied is not None and replied.kind is PromptKind.QUESTION:
            return replied if replied.pair_id == pair.id else AnswerOutcome.STALE_REPLY
    open_prompts = await tx.open_prompts(pair.id)
    if not open_prompts:
        return AnswerOutcome.NO_OPEN_QUESTION
    unanswered = [p for p in open_prompts if not await tx.has_answered(p.id, incoming.user_id)]
    if len(unanswered) == 1:
        return unanswered[0]
    if not unanswered:
        return open_prompts[-1]  # answering again replaces the latest answer
    return AnswerOutcome.SEVERAL_OPEN


GIFT_WINDOW = dt.timedelta(hours=12)  # how long a plain message after a nudge counts as a gift


@dataclass(frozen=True)
class Received:
    """What became of a partner's message: an answer's outcome, or an appreciation passed on
    to `gift_to`."""

    answer: AnswerResult | None = None
    gift_to: Person | None = None


async def receive_message(services: Services, incoming: IncomingAnswer) -> Received:
    """Take a message a partner wrote: decide once, in one transaction, whether it answers a
    question or is an appreciation for the partner, and act on it."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(incoming.user_id)
        if pair is None:
            return Received(AnswerResult(AnswerOutcome.NOT_PAIRED))
        gift_to = await _pass_on_gift(tx, pair, incoming, now)
        if gift_to is not None:
            services.events["gifts"] += 1
            outcome: Received = Received(gift_to=gift_to)
        else:
            outcome = Received(await _take_answer(tx, pair, incoming, now))
    if outcome.gift_to is not None:
        log.info("gift: pair %d user %d", pair.id, incoming.user_id)
    if outcome.answer is not None and outcome.answer.outcome is AnswerOutcome.REVEALED:
        services.events["reveals"] += 1
    services.wake_delivery()
    return outcome


async def submit_answer(services: Services, incoming: IncomingAnswer) -> AnswerResult:
    """Save an answer (committed before any reply) and reveal both when it is the second."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(incoming.user_id)
        if pair is None:
            return AnswerResult(AnswerOutcome.NOT_PAIRED)
        result = await _take_answer(tx, pair, incoming, now)
    if result.outcome is AnswerOutcome.REVEALED:
        services.events["reveals"] += 1
        services.wake_delivery()
    return result


async def _pass_on_gift(
    tx: StoreTransaction, pair: Pair, incoming: IncomingAnswer, now: dt.datetime
) -> Person | None:
    """Pass the message to the partner if it is an appreciation; return the partner."""
    partner = await tx.get_person(pair.partner_of(incoming.user_id))
    sender = await tx.get_person(incoming.user_id)
    if partner is None or sender is None:
        return None
    passed_on = await tx.gift_for_message(incoming.chat_id, incoming.message_id)
    if passed_on is not None and passed_on.user_id == incoming.user_id:
        return partner  # the same message again (a repeat after a crash): sent once
    replied_nudge = None
    replied_prompt = None
    if incoming.reply_to_message_id is not None:
        replied_nudge = await tx.nudge_for_message(incoming.chat_id, incoming.reply_to_message_id)
        replied_prompt = await tx.prompt_for_message(
            incoming.chat_id, incoming.reply_to_message_id
        )
    open_nudge = None
    if replied_nudge is None:
        open_nudge = await tx.open_nudge(incoming.user_id, now - GIFT_WINDOW)
    role = rules.message_role(
        replies_to_nudge=replied_nudge is not None,
        replies_to_question=replied_prompt is not None,
        question_open=bool(await tx.open_prompts(pair.id)),
        nudge_open=open_nudge is not None,
    )
    nudge = replied_nudge or open_nudge
    if role is not rules.MessageRole.GIFT or nudge is None:
        return None
    if nudge.user_id != incoming.user_id or nudge.pair_id != pair.id:
        return None  # a nudge of an earlier pairing: its partner is not this one
    await tx.mark_gift(nudge.id, now, incoming.chat_id, incoming.message_id)
    payload: dict[str, Any] = {
        "nudge_id": nudge.id,
        "from_name": sender.first_name,
        "kind": incoming.kind.value,
        "text": incoming.text,
        "from_chat": incoming.chat_id,
        "message_id": incoming.message_id,
    }
    gift = NewMessage(
        partner.user_id,
        partner.chat_id,
        MessageKind.GIFT,
        None,
        payload,
        about_user_id=sender.user_id,
    )
    await tx.enqueue([gift], now)
    return partner


async def _take_answer(
    tx: StoreTransaction, pair: Pair, incoming: IncomingAnswer, now: dt.datetime
) -> AnswerResult:
    partner = await tx.get_person(pair.partner_of(incoming.user_id))
    again = await tx.answer_for_message(incoming.chat_id, incoming.message_id)
    if again is not None and again.user_id == incoming.user_id:
        # The same message handled twice: after a crash, updates not yet confirmed to
        # Telegram come again (see bot.polling). It is saved already; say so again.
        answered = await tx.get_prompt(again.prompt_id)
        shared = answered is not None and answered.revealed_at is not None
        outcome = AnswerOutcome.REVEALED if shared else AnswerOutcome.SAVED
        return AnswerResult(outcome, partner, pair)
    target = await _target_prompt(tx, pair, incoming)
    if isinstance(target, AnswerOutcome):
        count = len(await tx.open_prompts(pair.id))
        return AnswerResult(target, partner, pair, open_count=count)
    if target.revealed_at is not None:
        return AnswerResult(AnswerOutcome.ALREADY_REVEALED, partner, pair)
    replaced = await tx.save_answer(
        Answer(
            prompt_id=target.id,
            user_id=incoming.user_id,
            kind=incoming.kind,
            text=incoming.text,
            file_id=incoming.file_id,
            chat_id=incoming.chat_id,
            message_id=incoming.message_id,
            answered_at=now,
        ),
        now,
    )
    log.info("answer saved: pair %d prompt %d user %d", pair.id, target.id, incoming.user_id)
    if await _reveal_if_due(tx, pair, target, now):
        return AnswerResult(AnswerOutcome.REVEALED, partner, pair)
    return AnswerResult(AnswerOutcome.REPLACED if replaced else AnswerOutcome.SAVED, partner, pair)


async def _reveal_if_due(
    tx: StoreTransaction, pair: Pair, prompt: Prompt, now: dt.datetime
) -> bool:
    answered = {answer.user_id for answer in await tx.answers_to(prompt.id)}
    if not rules.reveal_is_due(answered, pair.members):
        return False
    if not await tx.mark_revealed(prompt.id, now):
        return False  # someone else's transaction revealed it first
    await tx.enqueue(
        [
            NewMessage(
                person.user_id,
                person.chat_id,
                MessageKind.REVEAL,
                prompt.id,
                payload={"partner_id": pair.partner_of(person.user_id)},
                about_user_id=pair.partner_of(person.user_id),
            )
            for person in await members_of(tx, pair)
        ],
        now,
    )
    log.info("reveal: pair %d prompt %d", pair.id, prompt.id)
    today = schedule.local_date(now, pair.schedule.timezone)
    milestone = streaks.milestone_reached(
        streaks.current_streak(await tx.streak_days(pair.id), today)
    )
    if milestone is not None:
        text = texts.STREAK_MILESTONE.format(count=milestone)
        await tx.enqueue([notice_to(p, text) for p in await members_of(tx, pair)], now)
    return True


class EditOutcome(Enum):
    """What became of an edited message."""

    NOT_AN_ANSWER = auto()
    AFTER_REVEAL = auto()
    UPDATED = auto()


async def edit_answer(
    services: Services, incoming: IncomingAnswer
) -> tuple[EditOutcome, Person | None]:
    """Apply an edit to an answer that has not been revealed yet."""
    now = services.clock()
    async with services.db.transaction() as tx:
        answer = await tx.answer_for_message(incoming.chat_id, incoming.message_id)
        if answer is None or answer.user_id != incoming.user_id:
            return EditOutcome.NOT_AN_ANSWER, None
        prompt = await tx.get_prompt(answer.prompt_id)
        pair = await tx.get_pair(prompt.pair_id) if prompt else None
        partner = await tx.get_person(pair.partner_of(incoming.user_id)) if pair else None
        if prompt is None or prompt.revealed_at is not None:
            return EditOutcome.AFTER_REVEAL, partner
        await tx.save_answer(
            replace(answer, kind=incoming.kind, text=incoming.text, file_id=incoming.file_id), now
        )
    return EditOutcome.UPDATED, partner


# Today -------------------------------------------------------------------------------------


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


async def today(services: Services, user_id: int) -> TodayView:
    """Return the person's open questions with who has answered each."""
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return TodayView(None)
        partner_id = pair.partner_of(user_id)
        items = []
        for prompt in await tx.open_prompts(pair.id):
            answered = {a.user_id for a in await tx.answers_to(prompt.id)}
            items.append(OpenQuestion(prompt, user_id in answered, partner_id in answered))
        return TodayView(pair, await tx.get_person(partner_id), tuple(items))


# Schedule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleChange:
    """A pair's new schedule and when its next question now comes."""

    pair: Pair
    next_due_at: dt.datetime | None


async def change_schedule(
    services: Services,
    user_id: int,
    *,
    send_time: dt.time | None = None,
    timezone: str | None = None,
    frequency: Frequency | None = None,
) -> ScheduleChange | None:
    """Change the pair's send time, zone or frequency from the next due question; tell the
    partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return None
        new = replace(
            pair.schedule,
            send_time=send_time or pair.schedule.send_time,
            timezone=timezone or pair.schedule.timezone,
            frequency=frequency or pair.schedule.frequency,
        )
        if new == pair.schedule:  # nothing changes, so nobody is told anything
            return ScheduleChange(pair, pair.next_due_at)
        await tx.set_schedule(pair.id, new)
        last_day = await tx.last_prompt_day(pair.id, PromptKind.QUESTION)
        due = None
        if not pair.paused:
            due = schedule.next_due(now, new, last_sent_day=last_day)
            await tx.set_next_due(pair.id, due)
            changed = replace(pair, schedule=new)
            await tx.set_next_nudge(pair.id, schedule.next_due(now, changed.nudge_schedule, None))
        actor = await tx.get_person(user_id)
        partner = await tx.get_person(pair.partner_of(user_id))
        if partner is not None and actor is not None:
            old = pair.schedule
            if new.frequency != old.frequency:
                how_often = texts.FREQUENCY_NAMES[new.frequency.value]
                text = texts.CHANGE_FREQUENCY.format(frequency=how_often)
                change = ("frequency", old.frequency.value, new.frequency.value, text)
                await tell_partner(tx, pair.id, actor, partner, change, now)
            if (new.send_time, new.timezone) != (old.send_time, old.timezone):
                text = texts.CHANGE_SCHEDULE.format(
                    when=texts.when(new), next=texts.next_time(due, new, now)
                )
                change = ("schedule", texts.when(old), texts.when(new), text)
                await tell_partner(tx, pair.id, actor, partner, change, now)
        updated = replace(pair, schedule=new, next_due_at=due)
    services.wake_delivery()
    return ScheduleChange(updated, due)


# Unpairing ---------------------------------------------------------------------------------


async def unpair(services: Services, user_id: int, pair_id: int) -> Person | None:
    """End the person's pairing `pair_id` and tell their partner; None if not in that pair."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None or pair.id != pair_id:
            return None
        actor = await tx.get_person(user_id)
        partner = await tx.get_person(pair.partner_of(user_id))
        await tx.end_pair(pair.id, now)
        if partner is not None and actor is not None:
            text = texts.UNPAIR_PARTNER.format(name=texts.esc(actor.first_name))
            await tx.enqueue([notice_to(partner, text, about=actor)], now)
    log.info("pair %d ended by a member", pair.id)
    services.wake_delivery()
    return partner


async def pairing_of(services: Services, user_id: int) -> tuple[Pair, Person] | None:
    """Return the person's active pair and partner, if paired."""
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        partner = None if pair is None else await tx.get_person(pair.partner_of(user_id))
    return None if pair is None or partner is None else (pair, partner)
