"""Answers: a partner's reply to a question, and edits to it before the reveal."""

from __future__ import annotations

from telegram import Message, Update

from bot import texts
from bot.context import NearerContext
from bot.domain.models import AnswerKind
from bot.handlers.common import sender, texts_for
from bot.i18n import Texts
from bot.usecases import answers, common


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
    }[outcome]


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
