"""Small helpers shared by the handler modules."""

from __future__ import annotations

from telegram import Message, Update, User

from bot.context import NearerContext
from bot.i18n import Texts
from bot.usecases import settings


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
