"""Small helpers shared by the handler modules."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update, User
from telegram.error import BadRequest

from bot.context import NearerContext
from bot.i18n import Texts
from bot.usecases import settings

log = logging.getLogger(__name__)


def sender(update: Update) -> tuple[User, Message]:
    """Return the user and message of a private-chat message update."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        raise ValueError("update has no sender or message")
    return user, message


async def texts_for(update: Update, context: NearerContext) -> Texts:
    """The texts in the language of the person who sent `update`."""
    if context.sender_texts is not None:
        return context.sender_texts
    user = update.effective_user
    if user is None:
        return context.services.languages.get(None).texts
    language = await settings.language_for(context.services, user.id, user.language_code)
    context.sender_texts = language.texts
    return language.texts


def texts_reported(update: Update, context: NearerContext) -> Texts:
    """The texts in the language the sender's Telegram app reports, without reading the
    database (for notes to strangers, and when the database may be what failed)."""
    user = update.effective_user
    code = user.language_code if user is not None else None
    return context.services.languages.texts_for(None, code)


async def confirm_in_place(query: CallbackQuery, context: NearerContext, text: str) -> None:
    """Show what a pressed button did in place of its message; when that message is gone
    (deleted, or too old to edit) the change stands all the same, so say it in a new one."""
    try:
        await query.edit_message_text(text)
    except BadRequest as error:
        if "not modified" in error.message.lower():
            return  # pressed twice at once: it says so already
        chat = query.message.chat.id if query.message is not None else query.from_user.id
        log.info("message under a press in chat %d not edited (%s); told anew", chat, error)
        await context.bot.send_message(chat, text)
