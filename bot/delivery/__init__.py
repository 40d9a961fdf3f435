"""Sending what the outbox holds, in parts: the pump claims rows and feeds workers
(`pump`), the pacer keeps each chat in order and about a second apart (`pacer`), the sender
turns one Bot API call's errors into outcomes (`sender`), and what a row refers to is read for
the renderer (`views`, `bot.render`)."""

from bot.delivery.pacer import PER_CHAT_INTERVAL
from bot.delivery.pump import Dispatcher

__all__ = ["PER_CHAT_INTERVAL", "Dispatcher"]
