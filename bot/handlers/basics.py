"""Help, /today, unknown input, group chats, membership changes and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationHandlerStop

from bot import controls, texts
from bot import services as use
from bot.context import NearerContext
from bot.handlers.common import sender

log = logging.getLogger(__name__)


async def screen_update(update: object, context: NearerContext) -> None:
    """Remember who wrote; turn away groups and channels (Nearer is for private chats)."""
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        # Channel posts, polls and the like: nothing a partner sent in a private chat.
        log.info("update %d without a private sender ignored", update.update_id)
        raise ApplicationHandlerStop
    if chat.type != ChatType.PRIVATE or user.is_bot:
        message = update.message
        if message is not None and message.text and message.text.startswith("/"):
            await message.reply_text(texts.GROUP_ONLY_PRIVATE)
        log.info("update %d from a %s chat ignored", update.update_id, chat.type)
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return
    registration = await use.register(context.services, user.id, chat.id, user.first_name)
    if registration.paused_partner is not None:
        partner = texts.esc(registration.paused_partner.first_name)
        await context.bot.send_message(chat.id, texts.WELCOME_BACK.format(partner=partner))


async def show_help(update: Update, context: NearerContext) -> None:
    """Send the list of what a partner can do."""
    _, message = sender(update)
    await message.reply_text(texts.HELP)


async def show_today(update: Update, context: NearerContext) -> None:
    """Show the open questions and who has answered them (never what)."""
    user, message = sender(update)
    view = await use.today(context.services, user.id)
    if view.pair is None:
        await message.reply_text(texts.NOT_PAIRED)
        return
    partner = texts.esc(view.partner.first_name if view.partner else "your partner")
    if not view.open_questions:
        when = texts.next_time(view.pair.next_due_at, view.pair.schedule, context.services.clock())
        await message.reply_text(texts.TODAY_NONE.format(when=when))
        return
    lines = [texts.TODAY_HEADER]
    for item in view.open_questions:
        if item.you_answered:
            status = texts.TODAY_YOU_ANSWERED.format(partner=partner)
        elif item.partner_answered:
            status = texts.TODAY_PARTNER_ANSWERED.format(partner=partner)
        else:
            status = texts.TODAY_BOTH_WAITING
        lines.append(texts.TODAY_ITEM.format(question=texts.esc(item.prompt.text), status=status))
    for chunk in texts.chunks("\n\n".join(lines)):
        await message.reply_text(chunk)


async def unknown_command(update: Update, context: NearerContext) -> None:
    """Answer a command the bot does not know with a hint."""
    _, message = sender(update)
    await message.reply_text(texts.UNKNOWN_COMMAND)


async def expired_button(update: Update, context: NearerContext) -> None:
    """Answer a press on a button no handler owns: an old menu or forged data."""
    query = update.callback_query
    if query is not None:
        await query.answer(texts.MENU_EXPIRED, show_alert=True)


async def track_membership(update: Update, context: NearerContext) -> None:
    """Note when someone blocks or unblocks the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    user_id = change.from_user.id
    partner = await controls.note_blocked(context.services, user_id, blocked=blocked)
    log.info("user %d %s the bot", user_id, "blocked" if blocked else "unblocked")
    if partner is not None:
        welcome = texts.WELCOME_BACK.format(partner=texts.esc(partner.first_name))
        await context.bot.send_message(change.chat.id, welcome)


# What Telegram answers when the message under a pressed button cannot be edited.
_STALE_BUTTON_ERRORS = (
    "message to edit not found",
    "message can't be edited",
    "there is no text in the message to edit",
)


async def log_error(update: object, context: NearerContext) -> None:
    """Log an unexpected error with ids only (never message content); tell the user kindly."""
    update_id = update.update_id if isinstance(update, Update) else None
    user_id = (
        update.effective_user.id
        if isinstance(update, Update) and update.effective_user is not None
        else None
    )
    error = context.error
    # BadRequest is a NetworkError in python-telegram-bot, but it says our request was wrong.
    telegram_failed = isinstance(error, NetworkError | RetryAfter | Forbidden)
    if telegram_failed and not isinstance(error, BadRequest):
        # Telegram or the network failed a reply (a timeout, a dropped connection, a flood
        # wait the limiter gave up on, a chat blocked meanwhile). Handlers commit before they
        # reply, so only the reply is lost; an apology would take the same failing road.
        log.warning(
            "reply not sent for update %s user %s: %s", update_id, user_id, type(error).__name__
        )
        return
    if isinstance(error, BadRequest) and "not modified" in error.message.lower():
        # A button pressed twice (or forged): the message already shows what it would show.
        log.info("update %s user %s: the message was already up to date", update_id, user_id)
        return
    if isinstance(error, BadRequest) and any(
        reason in error.message.lower() for reason in _STALE_BUTTON_ERRORS
    ):
        # A button on a message that is gone or cannot show text (an old or forged press):
        # what the press did is saved; only the message cannot be updated.
        log.warning("update %s user %s: %s", update_id, user_id, error.message)
        return
    log.error(
        "unhandled %s for update %s user %s",
        type(error).__name__,
        update_id,
        user_id,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None and chat.type == ChatType.PRIVATE:
        try:
            await context.bot.send_message(chat.id, texts.ERROR)
        except Exception:  # the error may be that Telegram is unreachable
            log.warning("could not tell user %s about the error", user_id)
