"""Answers: a partner's reply to a question, and edits to it before the reveal."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot import keyboards, texts
from bot.context import NearerContext
from bot.domain.models import AnswerKind
from bot.handlers.common import confirm_in_place, sender, texts_for
from bot.i18n import Texts
from bot.usecases import answers, common, settings


def classify(message: Message, user_id: int) -> answers.IncomingAnswer | None:
    """Turn a message into an answer, or None when its kind cannot be an answer."""
    kind: AnswerKind
    file_id: str | None = None
    text = message.caption or ""
    if message.text is not None:
        kind, text = AnswerKind.TEXT, message.text
    elif message.voice is not None:
        kind, file_id = AnswerKind.VOICE, message.voice.file_id
    elif message.video_note is not None:
        kind, file_id = AnswerKind.VIDEO_NOTE, message.video_note.file_id
    elif message.photo:
        kind, file_id = AnswerKind.PHOTO, message.photo[-1].file_id
    else:
        return None
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    return answers.IncomingAnswer(
        user_id=user_id,
        chat_id=message.chat_id,
        message_id=message.message_id,
        kind=kind,
        text=text,
        file_id=file_id,
        reply_to_message_id=reply_to,
    )


async def take_answer(update: Update, context: NearerContext) -> None:
    """Save a message as the answer to the open question it belongs to, then confirm."""
    user, message = sender(update)
    t = await texts_for(update, context)
    incoming = classify(message, user.id)
    if incoming is None:
        paired = await common.pairing_of(context.services, user.id)
        await message.reply_text(t(texts.UNSUPPORTED_ANSWER if paired else texts.NOT_PAIRED))
        return
    received = await answers.receive_message(context.services, incoming)
    if received.gift_to is not None:
        partner = texts.esc(received.gift_to.first_name)
        await message.reply_text(t(texts.GIFT_SENT, partner=partner))
        return
    assert received.answer is not None
    result = received.answer
    if result.outcome in _SHOWN_IN_PLACE:
        return  # a reaction on the answer and the edited question message say it
    if result.outcome in answers.ASKING:
        text, markup = await _asking(result, t, context, user.id, user.language_code)
        await message.reply_text(text, reply_markup=markup)
        return
    await message.reply_text(_reply_for(result, t, context))


# Outcomes shown by the bot's reaction on the answer and the edited question message.
_SHOWN_IN_PLACE = frozenset(
    {
        answers.AnswerOutcome.SAVED,
        answers.AnswerOutcome.REPLACED,
        answers.AnswerOutcome.REVEALED,
        answers.AnswerOutcome.GUESS_SAVED,
        answers.AnswerOutcome.WHY_SAVED,
    }
)
WHICH_WORDS = 32  # characters of a question's words on its button


async def _asking(
    result: answers.AnswerResult,
    t: Texts,
    context: NearerContext,
    user_id: int,
    telegram_language: str | None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The question the bot asks about a message it kept, with its buttons."""
    language = await settings.language_for(context.services, user_id, telegram_language)
    words = texts.esc(language.prompt_text(result.prompt)) if result.prompt else ""
    if result.outcome is answers.AnswerOutcome.ASK_REPLACE:
        return t(texts.ASK_REPLACE, question=words), keyboards.replace_or_keep(
            result.pending_id, t
        )
    if result.outcome is answers.AnswerOutcome.ASK_WHICH:
        choices = []
        for prompt in result.choices:
            first = language.prompt_text(prompt)
            if len(first) > WHICH_WORDS:
                first = first[: WHICH_WORDS - 1].rstrip() + "…"
            day = t.date(prompt.local_date, weekday=False)
            choices.append((prompt.id, t(texts.WHICH_BUTTON, day=day, words=first)))
        return t(texts.ASK_WHICH), keyboards.which_question(result.pending_id, choices, t)
    helping = result.outcome is answers.AnswerOutcome.ASK_HELP
    template = texts.ASK_HELP if helping else texts.ASK_SAVE
    return t(template, question=words), keyboards.save_or_not(result.pending_id, t)


async def settle_pending(update: Update, context: NearerContext) -> None:
    """Act on a button under a kept message: save it, replace with it, or leave it out."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    t = await texts_for(update, context)
    fields = query.data.split(":")[1:]
    result = answers.PendingResult(answers.PendingOutcome.EXPIRED)
    choice = next((c for c in answers.PendingChoice if fields[1:2] == [c.value]), None)
    numbers = [f for f in fields if f.isdigit() and len(f) < 19]
    wanted = 3 if choice is answers.PendingChoice.QUESTION else 2
    if choice is not None and len(fields) == wanted and len(numbers) == wanted - 1:
        prompt_id = int(fields[2]) if wanted == 3 else None
        result = await answers.resolve_pending(
            context.services, user.id, int(fields[0]), choice, prompt_id
        )
    if result.outcome is answers.PendingOutcome.EXPIRED:
        await query.answer(t(texts.PENDING_EXPIRED), show_alert=True)
        return
    await query.answer()
    if result.outcome is answers.PendingOutcome.DISMISSED:
        text = t(texts.PENDING_DISMISSED)
    elif result.outcome is answers.PendingOutcome.KEPT:
        text = t(texts.PENDING_KEPT)
    else:
        assert result.answer is not None
        outcome = result.answer.outcome
        if outcome is answers.AnswerOutcome.REPLACED:
            text = t(texts.PENDING_REPLACED)
        elif outcome in _SHOWN_IN_PLACE:
            text = t(texts.PENDING_SAVED)
        else:
            text = _reply_for(result.answer, t, context)
    await confirm_in_place(query, context, text)


def _reply_for(result: answers.AnswerResult, t: Texts, context: NearerContext) -> str:
    partner = texts.esc(result.partner.first_name) if result.partner else t(texts.YOUR_PARTNER)
    outcome = result.outcome
    if outcome is answers.AnswerOutcome.NO_OPEN_QUESTION and result.clock is not None:
        # In the sender's own clock: their question may come hours after their partner's.
        when = t.next_time(result.next_at, result.clock, context.services.clock())
        return t(texts.NO_OPEN_QUESTION, when=when)
    if outcome is answers.AnswerOutcome.CLOSED and result.pair is not None:
        return _closed_reply(result, t, context)
    if outcome is answers.AnswerOutcome.SEVERAL_OPEN:
        return t.count(texts.SEVERAL_OPEN, result.open_count)
    return {
        answers.AnswerOutcome.NOT_PAIRED: t(texts.NOT_PAIRED),
        answers.AnswerOutcome.NO_OPEN_QUESTION: t(texts.NO_OPEN_QUESTION_PAUSED),
        answers.AnswerOutcome.STALE_REPLY: t(texts.STALE_REPLY),
        answers.AnswerOutcome.ALREADY_REVEALED: t(texts.ALREADY_REVEALED),
        answers.AnswerOutcome.SAVED: t(texts.SAVED, partner=partner),
        answers.AnswerOutcome.REPLACED: t(texts.SAVED_REPLACED, partner=partner),
        answers.AnswerOutcome.REVEALED: t(texts.SAVED_REVEALING, partner=partner),
        answers.AnswerOutcome.GUESS_NEXT: t(texts.GUESS_NEXT, partner=partner),
        answers.AnswerOutcome.GUESS_SAVED: t(texts.GUESS_SAVED, partner=partner),
        answers.AnswerOutcome.GUESS_TEXT_ONLY: t(texts.GUESS_TEXT_ONLY, partner=partner),
        answers.AnswerOutcome.WHY_SAVED: t(texts.WHY_SAVED),
        answers.AnswerOutcome.WHY_SENT: t(texts.WHY_SENT, partner=partner),
        answers.AnswerOutcome.CLOSED: t(texts.QUESTION_CLOSED_TODAY),
    }[outcome]


def _closed_reply(result: answers.AnswerResult, t: Texts, context: NearerContext) -> str:
    """A message to a closed question: not saved, and where to answer instead (issue 12)."""
    if result.open_count or result.clock is None:
        return t(texts.QUESTION_CLOSED_TODAY)
    when = t.next_time(result.next_at, result.clock, context.services.clock())
    return t(texts.QUESTION_CLOSED_NEXT, when=when)


def _numbers(data: str, count: int) -> list[int] | None:
    """The numeric fields after the prefix of callback data like 'pick:12:1'; None if forged."""
    fields = data.split(":")[1:]
    if len(fields) != count or not all(f.isdigit() and len(f) < 19 for f in fields):
        return None
    return [int(f) for f in fields]


async def pick(update: Update, context: NearerContext) -> None:
    """Take a tapped option or rating as the answer to its question."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    t = await texts_for(update, context)
    numbers = _numbers(query.data, 2)
    message = query.message
    result = answers.PickResult(None)
    if numbers is not None and message is not None:
        result = await answers.submit_pick(
            context.services,
            user.id,
            numbers[0],
            numbers[1],
            chat_id=message.chat.id,
            message_id=message.message_id,
        )
    if result.outcome is None or message is None:
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    if result.outcome is answers.AnswerOutcome.ALREADY_REVEALED:
        await query.answer(t(texts.PICK_TOO_LATE), show_alert=True)
        return
    if result.outcome is answers.AnswerOutcome.CLOSED:
        await query.answer(t(texts.PICK_CLOSED), show_alert=True)
        return
    await query.answer()
    # The choice shows in place: the button ticked now, and the question's status line (who
    # has answered) edited in by the outbox; the reveal follows when both have answered.
    prompt_id = numbers[0] if numbers else 0
    if result.rating:
        ticked = keyboards.rating(prompt_id, chosen=result.value)
    else:  # the option in the presser's language
        language = await settings.language_for(context.services, user.id, user.language_code)
        question = language.wording.question(result.content_id)
        options: tuple[str, ...] = getattr(question, "options", ())
        ticked = keyboards.picks(prompt_id, options, chosen=result.value)
    with contextlib.suppress(BadRequest):  # the same pick again: the buttons are as they were
        await query.edit_message_reply_markup(ticked)


async def judge_guess(update: Update, context: NearerContext) -> None:
    """Record 'yes, that's me' or 'not quite' about the partner's guess."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    t = await texts_for(update, context)
    numbers = _numbers(query.data, 2)
    outcome = answers.VerdictOutcome.EXPIRED
    if numbers is not None and numbers[1] in (0, 1):
        outcome = await answers.judge_guess(
            context.services, user.id, numbers[0], right=numbers[1] == 1
        )
    if outcome is answers.VerdictOutcome.EXPIRED:
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    view = await common.pairing_of(context.services, user.id)
    name = view.partner.first_name if view else t(texts.YOUR_PARTNER)
    await query.answer(t(texts.VERDICT_SAVED, partner=name))


async def edit_answer(update: Update, context: NearerContext) -> None:
    """Apply an edit to an answer before the reveal; after it, say the answer is fixed."""
    user, message = sender(update)
    incoming = classify(message, user.id)
    if incoming is None:
        return
    outcome, partner = await answers.edit_answer(context.services, incoming)
    t = await texts_for(update, context)
    if outcome is answers.EditOutcome.UPDATED:
        await message.reply_text(t(texts.EDIT_SAVED))
    elif outcome is answers.EditOutcome.PAIR_ENDED:
        await message.reply_text(t(texts.EDIT_PAIR_ENDED))
    elif outcome is answers.EditOutcome.AFTER_REVEAL:
        name = texts.esc(partner.first_name) if partner else t(texts.YOUR_PARTNER)
        await message.reply_text(t(texts.EDIT_AFTER_REVEAL, partner=name))
