"""Small helpers shared by the handler modules."""

from __future__ import annotations

from telegram import Message, Update, User


def sender(update: Update) -> tuple[User, Message]:
    """Return the user and message of a private-chat message update."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        raise ValueError("update has no sender or message")
    return user, message
