"""The sender: one part of an outbox row as one Bot API call, with Telegram's errors turned
into outcomes the pump handles on purpose."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from dataclasses import replace

from prometheus_client import Counter as PromCounter
from telegram import Bot, InlineKeyboardMarkup, Message, MessageId, ReactionTypeEmoji
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.render import Part

log = logging.getLogger(__name__)

NETWORK_RETRIES = (0.5, 1.0, 2.0)  # in-process backoff before a row waits for a later round


class GiveUp(Exception):
    """The row cannot be delivered; the reason is stored and logged."""


class Unreachable(GiveUp):
    """Telegram says the person cannot be reached (blocked the bot, deactivated)."""


class TryLater(Exception):
    """The row should be tried again after `delay` seconds."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


def flood_wait_seconds(flood: RetryAfter) -> float:
    """How long a 429 asks us to wait, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that retry_after becomes a timedelta
        wait = flood.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


class Sender:
    """Makes the Bot API call for one part; raises GiveUp, Unreachable or TryLater."""

    def __init__(self, bot: Bot, network_errors: PromCounter) -> None:
        self._bot = bot
        self._network_errors = network_errors

    async def send(self, chat_id: int, part: Part, *, row: int) -> int | None:
        """Deliver `part` to `chat_id`; return the new message's id."""
        for attempt, wait in enumerate((*NETWORK_RETRIES, None)):
            try:
                return await self._call(chat_id, part)
            except RetryAfter as flood:
                # The flood limiter already waited and retried; leave the row for a later round.
                raise TryLater("flood wait", flood_wait_seconds(flood)) from None
            except Forbidden as error:
                raise Unreachable(f"forbidden: {error.message}") from None
            except BadRequest as error:
                if part.edit_message_id is not None or part.react_to is not None:
                    # An edit or a reaction only adds to what was said: "not modified" means it
                    # is there already, and any other refusal (the message is gone, reactions
                    # are off in this chat) leaves the conversation as it was.
                    if "not modified" not in error.message.lower():
                        log.info("outbox: row %d edit/reaction refused: %s", row, error.message)
                    return None
                if part.copy_from is not None and "not found" in error.message.lower():
                    part = replace(part, text=part.fallback_text, copy_from=None)
                    continue
                if part.effect is not None and "effect" in error.message.lower():
                    # An effect Telegram no longer offers: the message matters, not its flourish.
                    log.info("outbox: row %d effect refused: %s", row, error.message)
                    part = replace(part, effect=None)
                    continue
                raise GiveUp(f"bad request: {error.message}") from None
            except NetworkError as error:  # includes timeouts and dropped connections
                self._network_errors.inc()
                if wait is None:
                    raise TryLater(f"network: {type(error).__name__}", 0) from None
                log.info("outbox: row %d network error (attempt %d), retrying", row, attempt + 1)
                await asyncio.sleep(wait)
            except TelegramError as error:
                raise GiveUp(f"telegram: {error.message}") from None
        raise TryLater("network", 0)

    async def _call(self, chat_id: int, part: Part) -> int | None:
        sent: Message | MessageId
        if part.react_to is not None:
            reaction = [ReactionTypeEmoji(part.reaction)] if part.reaction else []
            await self._bot.set_message_reaction(chat_id, part.react_to, reaction)
            return None
        if part.edit_message_id is not None:
            # Only an inline keyboard can go on an edited message.
            markup = part.reply_markup
            await self._bot.edit_message_text(
                part.text or "…",
                chat_id=chat_id,
                message_id=part.edit_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
            return None
        if part.copy_from is not None:
            sent = await self._bot.copy_message(
                chat_id=chat_id,
                from_chat_id=part.copy_from[0],
                message_id=part.copy_from[1],
                reply_markup=part.reply_markup,
                disable_notification=part.silent,
            )
        else:
            sent = await self._bot.send_message(
                chat_id=chat_id,
                text=part.text or "…",
                parse_mode=ParseMode.HTML,
                reply_markup=part.reply_markup,
                disable_notification=part.silent,
                message_effect_id=part.effect,
            )
        return sent.message_id

    async def pin(self, chat_id: int, message_id: int, *, unpin: int | None, row: int) -> None:
        """Pin `message_id` silently, then unpin `unpin` (the message pinned before it).

        Best effort: a pin adds to the chat and is no message of its own, so any refusal (the
        message is gone, the chat cannot be reached, a flood wait, a network error) is logged
        with ids and the error's class only, and the row stays delivered.
        """
        try:
            await self._bot.pin_chat_message(chat_id, message_id, disable_notification=True)
        except TelegramError as error:
            log.info(
                "outbox: row %d pin of message %d refused (%s)", row, message_id, _kind(error)
            )
            return
        if unpin is None or unpin == message_id:
            return
        try:
            await self._bot.unpin_chat_message(chat_id, message_id=unpin)
        except TelegramError as error:
            log.info("outbox: row %d unpin of message %d refused (%s)", row, unpin, _kind(error))


def _kind(error: TelegramError) -> str:
    return type(error).__name__
