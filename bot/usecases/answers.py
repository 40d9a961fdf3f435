"""Incoming messages: classified once (answer or appreciation), saved, and revealed once
both partners answered."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, replace
from enum import Enum, auto
from typing import Any

from bot.content import Library
from bot.domain import formats, intent, rules, schedule, streaks
from bot.domain.intent import PendingAnswer, PendingReason
from bot.domain.models import (
    Answer,
    AnswerKind,
    Pair,
    Person,
    Prompt,
    PromptKind,
    Schedule,
)
from bot.domain.outbox import MessageKind, NewMessage, Notice
from bot.domain.selection import Format
from bot.storage import StoreTransaction
from bot.usecases.clocks import next_question_for
from bot.usecases.common import Services, members_of, notice_to

log = logging.getLogger(__name__)


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
    GUESS_NEXT = auto()  # the own answer to a guess question is saved; the guess comes next
    GUESS_SAVED = auto()
    GUESS_TEXT_ONLY = auto()  # a guess came as media without words
    WHY_SAVED = auto()  # the why beside a pick, before the reveal
    WHY_SENT = auto()  # the why, after the reveal, passed on to the partner
    CLOSED = auto()  # the question closed unrevealed (issue 12): the message was not saved
    # Kept, not saved: the person is asked with buttons what the message is.
    ASK_SAVE = auto()  # a short aside or a question: save it as the answer?
    ASK_HELP = auto()  # reads like a question to the bot: /help, or save it?
    ASK_REPLACE = auto()  # it would replace the answer already saved
    ASK_WHICH = auto()  # several questions are open: which one?


@dataclass(frozen=True)
class AnswerResult:
    """The outcome with what its reply needs."""

    outcome: AnswerOutcome
    partner: Person | None = None
    pair: Pair | None = None
    open_count: int = 0
    pending_id: int = 0  # the kept message the buttons of an ASK_ outcome name
    prompt: Prompt | None = None  # the question an ASK_SAVE, ASK_HELP or ASK_REPLACE is about
    choices: tuple[Prompt, ...] = ()  # for ASK_WHICH: the open questions, newest day first
    # With no question to take it (none open, or a closed one): when the sender's own next
    # question comes, and their own clock to say it in.
    next_at: dt.datetime | None = None
    clock: Schedule | None = None


ASKING = frozenset(
    {
        AnswerOutcome.ASK_SAVE,
        AnswerOutcome.ASK_HELP,
        AnswerOutcome.ASK_REPLACE,
        AnswerOutcome.ASK_WHICH,
    }
)


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
    prompt_id: int | None = None  # the question it answers, when written in the Mini App


async def _own_answer(tx: StoreTransaction, prompt_id: int, user_id: int) -> Answer | None:
    return next((a for a in await tx.answers_to(prompt_id) if a.user_id == user_id), None)


async def _owes(tx: StoreTransaction, library: Library, prompt: Prompt, user_id: int) -> bool:
    """Say whether the person still owes the prompt something (an answer, or a guess)."""
    kind = library.format_of(prompt.content_id)
    return not formats.answer_complete(kind, await _own_answer(tx, prompt.id, user_id))


async def _target_prompt(
    tx: StoreTransaction, library: Library, pair: Pair, incoming: IncomingAnswer
) -> Prompt | AnswerOutcome:
    if incoming.prompt_id is not None:
        chosen = await tx.get_prompt(incoming.prompt_id)
        if chosen is None or chosen.pair_id != pair.id or chosen.kind is not PromptKind.QUESTION:
            return AnswerOutcome.STALE_REPLY
        return chosen
    if incoming.reply_to_message_id is not None:
        replied = await tx.prompt_for_message(incoming.chat_id, incoming.reply_to_message_id)
        if replied is not None and replied.kind is PromptKind.QUESTION:
            return replied if replied.pair_id == pair.id else AnswerOutcome.STALE_REPLY
    open_prompts = await tx.open_prompts(pair.id)
    if not open_prompts:
        return AnswerOutcome.NO_OPEN_QUESTION
    unanswered = [p for p in open_prompts if await _owes(tx, library, p, incoming.user_id)]
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
        # The pair is held until commit: both answers at once reveal exactly once.
        pair = await tx.lock_pair_of(incoming.user_id)
        if pair is None:
            return Received(AnswerResult(AnswerOutcome.NOT_PAIRED))
        gift_to = await pass_on_gift(tx, pair, incoming, now)
        if gift_to is not None:
            services.metrics.gifts.inc()
            outcome: Received = Received(gift_to=gift_to)
        else:
            outcome = Received(
                await _take_answer(
                    tx,
                    services.library,
                    pair,
                    incoming,
                    now,
                    open_for=services.settings.question_open_for,
                )
            )
    if outcome.gift_to is not None:
        log.info("gift: pair %d user %d", pair.id, incoming.user_id)
    if outcome.answer is not None and outcome.answer.outcome is AnswerOutcome.REVEALED:
        services.metrics.reveals.inc()
    services.wake_delivery()
    return outcome


async def submit_answer(services: Services, incoming: IncomingAnswer) -> AnswerResult:
    """Save an answer (committed before any reply) and reveal both when it is the second."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.lock_pair_of(incoming.user_id)
        if pair is None:
            return AnswerResult(AnswerOutcome.NOT_PAIRED)
        result = await _take_answer(
            tx, services.library, pair, incoming, now, open_for=services.settings.question_open_for
        )
    if result.outcome is AnswerOutcome.REVEALED:
        services.metrics.reveals.inc()
    services.wake_delivery()
    return result


APP_ANSWER_LIMIT = 4000  # characters: a reveal carries the question and both answers


async def answer_in_app(
    services: Services, user_id: int, prompt_id: int, text: str
) -> AnswerResult:
    """Save a text answer written in the Mini App to one of the pair's open questions, and
    reveal both when it is the second (the same rules as an answer in the chat)."""
    text = text.strip()
    if not text or len(text) > APP_ANSWER_LIMIT:
        return AnswerResult(AnswerOutcome.NO_OPEN_QUESTION)
    async with services.db.reading() as tx:
        person = await tx.get_person(user_id)
    if person is None:
        return AnswerResult(AnswerOutcome.NOT_PAIRED)
    # No Telegram message carries it: a negative id (Telegram's are positive) that differs for
    # every answer keeps it apart from messages and from other answers written in the app.
    message_id = -secrets.randbits(62) - 1
    incoming = IncomingAnswer(
        user_id, person.chat_id, message_id, AnswerKind.TEXT, text, prompt_id=prompt_id
    )
    return await submit_answer(services, incoming)


async def open_questions(services: Services, user_id: int) -> list[tuple[Prompt, Answer | None]]:
    """The pair's questions not yet revealed, newest day first, with the person's own
    answer."""
    async with services.db.reading() as tx:
        pair = await tx.active_pair_of(user_id)
        if pair is None:
            return []
        found = []
        open_prompts = await tx.open_prompts(pair.id)
        for prompt in sorted(open_prompts, key=lambda p: (p.local_date, p.id), reverse=True):
            mine = [a for a in await tx.answers_to(prompt.id) if a.user_id == user_id]
            found.append((prompt, mine[0] if mine else None))
    return found


async def pass_on_gift(
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


async def _with_next(
    tx: StoreTransaction, result: AnswerResult, user_id: int, now: dt.datetime
) -> AnswerResult:
    """`result` with the sender's own next question time, for a reply that points to it."""
    me, pair = await tx.get_person(user_id), result.pair
    if me is None or pair is None:
        return result
    return replace(result, next_at=next_question_for(me, pair, now), clock=me.clock(pair))


async def _take_answer(
    tx: StoreTransaction,
    library: Library,
    pair: Pair,
    incoming: IncomingAnswer,
    now: dt.datetime,
    *,
    open_for: dt.timedelta,
) -> AnswerResult:
    partner = await tx.get_person(pair.partner_of(incoming.user_id))
    again = await tx.answer_for_message(incoming.chat_id, incoming.message_id)
    if again is not None and again.user_id == incoming.user_id:
        # The same message handled twice: after a crash, updates not yet confirmed to
        # Telegram come again (see bot.polling). It is saved already; say so again.
        answered = await tx.get_prompt(again.prompt_id)
        shared = answered is not None and answered.revealed_at is not None
        if again.guess_message_id == incoming.message_id and not shared:
            return AnswerResult(AnswerOutcome.GUESS_SAVED, partner, pair)
        outcome = AnswerOutcome.REVEALED if shared else AnswerOutcome.SAVED
        return AnswerResult(outcome, partner, pair)
    target = await _target_prompt(tx, library, pair, incoming)
    if target is AnswerOutcome.SEVERAL_OPEN:
        return await _ask_which(tx, library, pair, incoming, now, partner)
    if isinstance(target, AnswerOutcome):
        count = len(await tx.open_prompts(pair.id))
        result = AnswerResult(target, partner, pair, open_count=count)
        return await _with_next(tx, result, incoming.user_id, now)
    if target.revealed_at is None and rules.question_closed(target.sent_at, now, open_for):
        count = len(await tx.open_prompts(pair.id))
        result = AnswerResult(AnswerOutcome.CLOSED, partner, pair, open_count=count)
        return await _with_next(tx, result, incoming.user_id, now)
    kind = library.format_of(target.content_id)
    mine = await _own_answer(tx, target.id, incoming.user_id)
    step = formats.step_for_message(kind, mine)
    if target.revealed_at is None and incoming.prompt_id is None:
        # Only a message that says what it is becomes (or replaces) an answer unasked: a
        # button pressed on the question below, or an answer written in the Mini App.
        reason = _doubt(step, mine, incoming, kind)
        if reason is not None:
            return await _keep_pending(tx, pair, target, incoming, reason, now, partner)
    if target.revealed_at is not None:
        why_after = kind in formats.WHY_FORMATS and incoming.kind is AnswerKind.TEXT
        if (
            why_after
            and mine is not None
            and (mine.choice is not None or mine.kind is AnswerKind.TEXT)
            and incoming.reply_to_message_id is not None
        ):
            return await _pass_on_why(tx, pair, target, mine, incoming, now, partner)
        return AnswerResult(AnswerOutcome.ALREADY_REVEALED, partner, pair)
    if step is formats.Step.GUESS:
        if not incoming.text.strip():
            return AnswerResult(AnswerOutcome.GUESS_TEXT_ONLY, partner, pair)
        await tx.save_guess(target.id, incoming.user_id, incoming.text, incoming.message_id, now)
        log.info("guess saved: pair %d prompt %d user %d", pair.id, target.id, incoming.user_id)
        # The reveal first: in each chat it goes out before the status edits and the reaction.
        revealed = await _reveal_if_due(tx, library, pair, target, now)
        await queue_status(tx, pair, target, now, react_to=incoming)
        if revealed:
            return AnswerResult(AnswerOutcome.REVEALED, partner, pair)
        return AnswerResult(AnswerOutcome.GUESS_SAVED, partner, pair)
    choice = None
    if step is formats.Step.WHY and mine is not None:
        choice = mine.choice  # the why goes beside the pick
    elif kind is Format.RATE and incoming.kind is AnswerKind.TEXT:
        choice = formats.parse_rating(incoming.text)  # "7" answers a rating as a tap would
    replaced = await tx.save_answer(
        Answer(
            prompt_id=target.id,
            user_id=incoming.user_id,
            kind=incoming.kind,
            text="" if step is formats.Step.ANSWER and choice is not None else incoming.text,
            file_id=incoming.file_id,
            chat_id=incoming.chat_id,
            message_id=incoming.message_id,
            answered_at=now,
            choice=choice,
        ),
        now,
    )
    log.info("answer saved: pair %d prompt %d user %d", pair.id, target.id, incoming.user_id)
    revealed = await _reveal_if_due(tx, library, pair, target, now)  # before the status rows
    await queue_status(tx, pair, target, now, react_to=incoming)
    if revealed:
        return AnswerResult(AnswerOutcome.REVEALED, partner, pair)
    if step is formats.Step.WHY:
        return AnswerResult(AnswerOutcome.WHY_SAVED, partner, pair)
    if kind is Format.GUESS:
        return AnswerResult(AnswerOutcome.GUESS_NEXT, partner, pair)
    return AnswerResult(AnswerOutcome.REPLACED if replaced else AnswerOutcome.SAVED, partner, pair)


def _doubt(
    step: formats.Step, mine: Answer | None, incoming: IncomingAnswer, kind: Format
) -> PendingReason | None:
    """Why a message must be confirmed before it is saved (None: save it as before)."""
    if step is formats.Step.ANSWER and mine is not None:
        return PendingReason.REPLACE
    if step is not formats.Step.ANSWER or incoming.reply_to_message_id is not None:
        return None
    if incoming.kind is not AnswerKind.TEXT:
        return None
    if kind is Format.RATE and formats.parse_rating(incoming.text) is not None:
        return None  # "7" answers a rating as a tap would
    found = intent.classify(incoming.text)
    if found is intent.Intent.HELP:
        return PendingReason.HELP
    return PendingReason.ASIDE if found is intent.Intent.ASIDE else None


_ASK_FOR = {
    PendingReason.ASIDE: AnswerOutcome.ASK_SAVE,
    PendingReason.HELP: AnswerOutcome.ASK_HELP,
    PendingReason.REPLACE: AnswerOutcome.ASK_REPLACE,
    PendingReason.CHOOSE: AnswerOutcome.ASK_WHICH,
}


async def _keep_pending(
    tx: StoreTransaction,
    pair: Pair,
    prompt: Prompt | None,
    incoming: IncomingAnswer,
    reason: PendingReason,
    now: dt.datetime,
    partner: Person | None,
    choices: tuple[Prompt, ...] = (),
) -> AnswerResult:
    """Keep the message until the person says what it is; the reply asks them."""
    pending_id = await tx.keep_pending(
        PendingAnswer(
            id=0,
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            message_id=incoming.message_id,
            prompt_id=prompt.id if prompt is not None else None,
            reason=reason,
            kind=incoming.kind,
            text=incoming.text,
            file_id=incoming.file_id,
            created_at=now,
            expires_at=intent.pending_expires_at(now),
        )
    )
    log.info("kept for a word (%s): pair %d user %d", reason.value, pair.id, incoming.user_id)
    return AnswerResult(
        _ASK_FOR[reason], partner, pair, pending_id=pending_id, prompt=prompt, choices=choices
    )


async def _ask_which(
    tx: StoreTransaction,
    library: Library,
    pair: Pair,
    incoming: IncomingAnswer,
    now: dt.datetime,
    partner: Person | None,
) -> AnswerResult:
    """Several questions are open and the message names none: offer one button each."""
    open_prompts = await tx.open_prompts(pair.id)
    unanswered = [p for p in open_prompts if await _owes(tx, library, p, incoming.user_id)]
    newest_first = tuple(sorted(unanswered, key=lambda p: (p.local_date, p.id), reverse=True))
    return await _keep_pending(
        tx, pair, None, incoming, PendingReason.CHOOSE, now, partner, newest_first
    )


async def queue_status(
    tx: StoreTransaction,
    pair: Pair,
    prompt: Prompt,
    now: dt.datetime,
    *,
    react_to: IncomingAnswer | None = None,
) -> None:
    """Queue the edit of both partners' question messages (who has answered) and, for the
    one who answered with a message, a reaction on it instead of a receipt."""
    people = await members_of(tx, pair)
    names = {person.user_id: person.first_name for person in people}
    author = names.get(prompt.author_id) if prompt.author_id is not None else None
    rows = []
    for person in people:
        partner_id = pair.partner_of(person.user_id)
        payload: dict[str, Any] = {"partner": names.get(partner_id), "author": author}
        if (
            react_to is not None
            and react_to.user_id == person.user_id
            and react_to.message_id > 0  # an answer written in the Mini App has no message
        ):
            payload["react"] = react_to.message_id
        rows.append(
            NewMessage(
                person.user_id,
                person.chat_id,
                MessageKind.STATUS,
                prompt.id,
                payload,
                about_user_id=partner_id if partner_id in names else None,
            )
        )
    await tx.enqueue(rows, now)


class PendingOutcome(Enum):
    """What a button under "save this as your answer?" did."""

    EXPIRED = auto()  # gone, expired, deleted, someone else's, or forged
    DISMISSED = auto()  # "no, just chatting"
    KEPT = auto()  # "keep the first"
    ANSWERED = auto()  # taken as the answer: see `answer`


class PendingChoice(Enum):
    """The buttons under a kept message."""

    SAVE = "save"
    NOT_AN_ANSWER = "no"
    REPLACE = "replace"
    KEEP = "keep"
    QUESTION = "q"  # this one of several open questions


_CHOICES_FOR = {
    PendingReason.ASIDE: {PendingChoice.SAVE, PendingChoice.NOT_AN_ANSWER},
    PendingReason.HELP: {PendingChoice.SAVE, PendingChoice.NOT_AN_ANSWER},
    PendingReason.REPLACE: {PendingChoice.REPLACE, PendingChoice.KEEP},
    # With several open, a "thanks!" may answer none of them: "No, just chatting" too.
    PendingReason.CHOOSE: {PendingChoice.QUESTION, PendingChoice.NOT_AN_ANSWER},
}


@dataclass(frozen=True)
class PendingResult:
    """What a pressed button under a kept message did."""

    outcome: PendingOutcome
    answer: AnswerResult | None = None


async def resolve_pending(
    services: Services,
    user_id: int,
    pending_id: int,
    choice: PendingChoice,
    prompt_id: int | None = None,
) -> PendingResult:
    """Act on the person's word about a kept message: save it (to the question it was kept
    for, or the one chosen), replace the earlier answer with it, or forget it."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.lock_pair_of(user_id)
        pending = await tx.get_pending(pending_id)
        if (
            pair is None
            or pending is None
            or pending.user_id != user_id
            or not pending.usable(now)
            or choice not in _CHOICES_FOR[pending.reason]
        ):
            return PendingResult(PendingOutcome.EXPIRED)
        if choice in (PendingChoice.NOT_AN_ANSWER, PendingChoice.KEEP):
            await tx.drop_pending(pending.id)
            dismissed = choice is PendingChoice.NOT_AN_ANSWER
            return PendingResult(PendingOutcome.DISMISSED if dismissed else PendingOutcome.KEPT)
        target = prompt_id if choice is PendingChoice.QUESTION else pending.prompt_id
        if target is None:
            return PendingResult(PendingOutcome.EXPIRED)
        await tx.drop_pending(pending.id)
        incoming = IncomingAnswer(
            user_id=user_id,
            chat_id=pending.chat_id,
            message_id=pending.message_id,
            kind=pending.kind,
            text=pending.text,
            file_id=pending.file_id,
            prompt_id=target,  # named by the button: saved without asking again
        )
        # Saved from its button: a question that closed meanwhile takes it no more.
        open_for = services.settings.question_open_for
        result = await _take_answer(tx, services.library, pair, incoming, now, open_for=open_for)
    if result.outcome is AnswerOutcome.REVEALED:
        services.metrics.reveals.inc()
    services.wake_delivery()
    return PendingResult(PendingOutcome.ANSWERED, result)


async def _pass_on_why(
    tx: StoreTransaction,
    pair: Pair,
    prompt: Prompt,
    mine: Answer,
    incoming: IncomingAnswer,
    now: dt.datetime,
    partner: Person | None,
) -> AnswerResult:
    """Keep a why written after the reveal beside the pick and pass it to the partner."""
    await tx.save_answer(
        replace(
            mine,
            kind=AnswerKind.TEXT,
            text=incoming.text,
            file_id=None,
            chat_id=incoming.chat_id,
            message_id=incoming.message_id,
        ),
        now,
    )
    if partner is not None:
        # The row names the prompt and the writer; the words are read from the answer when sent.
        why = NewMessage(
            partner.user_id,
            partner.chat_id,
            MessageKind.WHY,
            prompt.id,
            payload={"from_id": incoming.user_id},
            about_user_id=incoming.user_id,
        )
        await tx.enqueue([why], now)
    log.info("why passed on: pair %d prompt %d user %d", pair.id, prompt.id, incoming.user_id)
    return AnswerResult(AnswerOutcome.WHY_SENT, partner, pair)


async def _reveal_if_due(
    tx: StoreTransaction, library: Library, pair: Pair, prompt: Prompt, now: dt.datetime
) -> bool:
    kind = library.format_of(prompt.content_id)
    answered = {
        answer.user_id
        for answer in await tx.answers_to(prompt.id)
        if formats.answer_complete(kind, answer)
    }
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
        notices = [
            notice_to(p, Notice.STREAK, {"count": milestone}) for p in await members_of(tx, pair)
        ]
        await tx.enqueue(notices, now)
    return True


@dataclass(frozen=True)
class PickResult:
    """What a tapped option or rating did, with what its reply needs."""

    outcome: AnswerOutcome | None  # None: the button is not the presser's to press (expired)
    partner: Person | None = None
    content_id: str | None = None  # the question, for the option's words in the reader's language
    value: int = 0  # the option's index, or the rating
    rating: bool = False


async def submit_pick(
    services: Services,
    user_id: int,
    prompt_id: int,
    value: int,
    *,
    chat_id: int,
    message_id: int,
) -> PickResult:
    """Take a tapped option (this or that, would you rather) or rating as the answer."""
    now = services.clock()
    library = services.library
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        prompt = await tx.get_prompt(prompt_id)
        if pair is None or prompt is None or prompt.pair_id != pair.id:
            return PickResult(None)
        question = library.question(prompt.content_id)
        kind = library.format_of(prompt.content_id)
        options = getattr(question, "options", ())
        if not formats.valid_pick(kind, value, len(options)):
            return PickResult(None)
        partner = await tx.get_person(pair.partner_of(user_id))
        rating = kind is Format.RATE
        if prompt.revealed_at is not None:
            outcome: AnswerOutcome = AnswerOutcome.ALREADY_REVEALED
            return PickResult(outcome, partner, prompt.content_id, value, rating)
        if rules.question_closed(prompt.sent_at, now, services.settings.question_open_for):
            return PickResult(AnswerOutcome.CLOSED, partner, prompt.content_id, value, rating)
        if prompt.id not in {p.id for p in await tx.open_prompts(pair.id)}:
            return PickResult(None)  # swapped with /skip
        mine = await _own_answer(tx, prompt.id, user_id)
        # Words written before (a why, or an answer in one's own words) stay beside the pick.
        answer = Answer(
            prompt_id=prompt.id,
            user_id=user_id,
            kind=AnswerKind.TEXT,
            text="",
            file_id=None,
            chat_id=chat_id,
            message_id=message_id,
            answered_at=now,
            choice=value,
        )
        replaced = await tx.save_answer(
            answer if mine is None else replace(mine, choice=value, answered_at=now), now
        )
        log.info("pick saved: pair %d prompt %d user %d", pair.id, prompt.id, user_id)
        revealed = await _reveal_if_due(tx, library, pair, prompt, now)  # before the status
        await queue_status(tx, pair, prompt, now)
        if revealed:
            outcome = AnswerOutcome.REVEALED
        else:
            outcome = AnswerOutcome.REPLACED if replaced else AnswerOutcome.SAVED
    if outcome is AnswerOutcome.REVEALED:
        services.metrics.reveals.inc()
    services.wake_delivery()
    return PickResult(outcome, partner, prompt.content_id, value, rating)


class VerdictOutcome(Enum):
    """What a 'that's me' / 'not quite' button did."""

    SAVED = auto()
    EXPIRED = auto()


async def judge_guess(
    services: Services, user_id: int, prompt_id: int, *, right: bool
) -> VerdictOutcome:
    """Record whether the partner's guess about the presser was right, and tell the partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.active_pair_of(user_id)
        prompt = await tx.get_prompt(prompt_id)
        if (
            pair is None
            or prompt is None
            or prompt.pair_id != pair.id
            or prompt.revealed_at is None
            or services.library.format_of(prompt.content_id) is not Format.GUESS
        ):
            return VerdictOutcome.EXPIRED
        guesser_id = pair.partner_of(user_id)
        before = await _own_answer(tx, prompt.id, guesser_id)
        if not await tx.set_guess_verdict(prompt.id, guesser_id, right):
            return VerdictOutcome.EXPIRED
        guesser = await tx.get_person(guesser_id)
        judge = await tx.get_person(user_id)
        previous = before.guess_verdict if before is not None else None
        if guesser is not None and judge is not None and previous != right:
            params = {"name": judge.first_name, "right": right}
            notice = notice_to(
                guesser, Notice.GUESS_VERDICT, params, about=judge, prompt_id=prompt.id
            )
            await tx.enqueue([notice], now)
    services.wake_delivery()
    return VerdictOutcome.SAVED


class EditOutcome(Enum):
    """What became of an edited message."""

    NOT_AN_ANSWER = auto()
    AFTER_REVEAL = auto()
    PAIR_ENDED = auto()
    UPDATED = auto()


async def edit_answer(
    services: Services, incoming: IncomingAnswer
) -> tuple[EditOutcome, Person | None]:
    """Apply an edit to an answer that has not been revealed yet."""
    now = services.clock()
    async with services.db.transaction() as tx:
        await tx.lock_pair_of(incoming.user_id)  # an edit and the reveal never cross
        answer = await tx.answer_for_message(incoming.chat_id, incoming.message_id)
        if answer is None or answer.user_id != incoming.user_id:
            return EditOutcome.NOT_AN_ANSWER, None
        prompt = await tx.get_prompt(answer.prompt_id)
        pair = await tx.get_pair(prompt.pair_id) if prompt else None
        partner = await tx.get_person(pair.partner_of(incoming.user_id)) if pair else None
        if prompt is None or prompt.revealed_at is not None:
            return EditOutcome.AFTER_REVEAL, partner
        if pair is None or pair.ended_at is not None:
            return EditOutcome.PAIR_ENDED, partner
        if answer.guess_message_id == incoming.message_id:
            await tx.save_guess(
                answer.prompt_id, answer.user_id, incoming.text, incoming.message_id, now
            )
            return EditOutcome.UPDATED, partner
        await tx.save_answer(
            replace(answer, kind=incoming.kind, text=incoming.text, file_id=incoming.file_id), now
        )
    return EditOutcome.UPDATED, partner
