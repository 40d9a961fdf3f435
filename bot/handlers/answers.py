"""Answers: a partner's reply to a question, and edits to it before the reveal."""

from __future__ import annotations

import contextlib

from telegram import Message, Update
from telegram.error import BadRequest

from bot import keyboards, texts
from bot.context import NearerContext
from bot.domain.models import AnswerKind
from bot.handlers.common import sender, texts_for
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
    await message.reply_text(_reply_for(received.answer, t, context))


def _reply_for(result: answers.AnswerResult, t: Texts, context: NearerContext) -> str:
    partner = texts.esc(result.partner.first_name) if result.partner else t(texts.YOUR_PARTNER)
    outcome = result.outcome
    if outcome is answers.AnswerOutcome.NO_OPEN_QUESTION and result.pair is not None:
        pair = result.pair
        when = t.next_time(pair.next_due_at, pair.schedule, context.services.clock())
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
    if result.open_count or result.pair is None:
        return t(texts.QUESTION_CLOSED_TODAY)
    pair = result.pair
    when = t.next_time(pair.next_due_at, pair.schedule, context.services.clock())
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
    partner = texts.esc(result.partner.first_name) if result.partner else t(texts.YOUR_PARTNER)
    template = (
        texts.PICK_REVEALING
        if result.outcome is answers.AnswerOutcome.REVEALED
        else texts.PICK_SAVED
    )
    prompt_id = numbers[0] if numbers else 0
    if result.rating:
        label = t(texts.RATING_LABEL, value=result.value)
        ticked = keyboards.rating(prompt_id, chosen=result.value)
    else:  # the option in the presser's language
        language = await settings.language_for(context.services, user.id, user.language_code)
        question = language.wording.question(result.content_id)
        options: tuple[str, ...] = getattr(question, "options", ())
        label = options[result.value] if result.value < len(options) else ""
        ticked = keyboards.picks(prompt_id, options, chosen=result.value)
    with contextlib.suppress(BadRequest):  # the same pick again: the buttons are as they were
        await query.edit_message_reply_markup(ticked)
    await context.bot.send_message(
        message.chat.id, t(template, pick=texts.esc(label), partner=partner)
    )


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
