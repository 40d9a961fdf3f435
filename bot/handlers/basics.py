"""The screen every update passes first, help, /today, unknown input, membership changes and the
one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.context import NearerContext
from bot.domain.allowance import Kind, Verdict
from bot.handlers.common import sender, texts_for, texts_reported
from bot.storage import database_away
from bot.usecases import clocks, pairing, pause, questions

log = logging.getLogger(__name__)


async def screen_update(update: object, context: NearerContext) -> None:
    """Let through only what a person sent in their own private chat, within their allowance;
    remember who wrote. Everything else stops here, logged with ids only."""
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    kind = _kind_of(update)
    if kind is None or chat is None or user is None:
        # Business messages, channel posts, polls, an unreadable update: nothing a partner
        # sent in their own chat with the bot.
        log.info("update %d of a kind Nearer does not handle ignored", update.update_id)
        raise ApplicationHandlerStop
    if update.my_chat_member is not None and chat.type != ChatType.PRIVATE:
        await _leave_group(update, context)
        raise ApplicationHandlerStop
    if chat.type != ChatType.PRIVATE or chat.id != user.id or user.is_bot:
        # A group (no reply at all: a reply per command paced the bot at 20 a minute), or a
        # chat that is not the person's own: never stored as the person's chat.
        log.info(
            "update %d from %s chat %d user %d ignored",
            update.update_id,
            chat.type,
            chat.id,
            user.id,
        )
        raise ApplicationHandlerStop
    verdict = context.intake.allowances.take(user.id, kind, context.intake.arrival(update))
    if verdict is not Verdict.HANDLE:
        log.info("update %d from user %d over the allowance: %s", update.update_id, user.id,
                 verdict.value)  # fmt: skip
        if verdict is Verdict.WARN:
            await _ask_to_slow_down(update, context)
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return
    registration = await pairing.register(
        context.services,
        user.id,
        chat.id,
        user.first_name,
        create=_starts_pairing(update),
        language=user.language_code,
    )
    if registration.person is not None:
        context.sender_texts = context.services.language_of(registration.person).texts
    if registration.paused_partner is not None:
        t = await texts_for(update, context)
        partner = texts.esc(registration.paused_partner.first_name)
        await context.bot.send_message(chat.id, t(texts.WELCOME_BACK, partner=partner))


def _starts_pairing(update: Update) -> bool:
    """Whether the update begins pairing (/start, /invite, an invite button): only then is a
    person who is not on record yet recorded. Anything else from them (a stale button after
    deleting their data, say) leaves no row behind."""
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        return data == "invite" or data.startswith("accept:")
    words = ((update.message.text if update.message is not None else None) or "").split()
    return bool(words) and words[0].split("@")[0] in ("/start", "/invite")


def _kind_of(update: Update) -> Kind | None:
    """What an update spends from the allowance; None for the kinds Nearer does not handle."""
    if update.callback_query is not None or update.my_chat_member is not None:
        return Kind.ACTION
    if update.message is not None:
        text = update.message.text or ""
        return Kind.ACTION if text.startswith("/") else Kind.MESSAGE
    if update.edited_message is not None:
        return Kind.MESSAGE
    return None


async def _ask_to_slow_down(update: Update, context: NearerContext) -> None:
    """The one note a person gets when they run out of allowance."""
    t = texts_reported(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer(t(texts.SLOW_DOWN))
    elif update.effective_chat is not None and update.my_chat_member is None:
        await context.bot.send_message(update.effective_chat.id, t(texts.SLOW_DOWN))


async def _leave_group(update: Update, context: NearerContext) -> None:
    """Added to a group or channel: one short note (groups only), then leave."""
    change = update.my_chat_member
    assert change is not None
    chat = change.chat
    status = change.new_chat_member.status
    if status not in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
        log.info("update %d: membership in %s chat %d ended", update.update_id, chat.type, chat.id)
        return
    adder = change.from_user.id
    welcome = context.intake.allowances.take(adder, Kind.ACTION, context.intake.arrival(update))
    log.info("added to %s chat %d by user %d; leaving", chat.type, chat.id, adder)
    if chat.type != ChatType.CHANNEL and welcome is Verdict.HANDLE:
        try:
            note = texts_reported(update, context)(texts.GROUP_ADDED)
            await context.bot.send_message(chat.id, note)
        except TelegramError as error:  # not allowed to write there: leave all the same
            log.info("no note in chat %d: %s", chat.id, type(error).__name__)
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as error:  # removed meanwhile, or a chat Telegram will not let us leave
        log.info("could not leave chat %d: %s", chat.id, type(error).__name__)


async def show_help(update: Update, context: NearerContext) -> None:
    """Send the list of what a partner can do."""
    _, message = sender(update)
    t = await texts_for(update, context)
    await message.reply_text(t(texts.HELP))


async def show_today(update: Update, context: NearerContext) -> None:
    """Show the open questions and who has answered them (never what)."""
    user, message = sender(update)
    view = await questions.today(context.services, user.id)
    t = await texts_for(update, context)
    if view.pair is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    partner = texts.esc(view.partner.first_name) if view.partner else t(texts.YOUR_PARTNER)
    if not view.open_questions:
        now = context.services.clock()
        if view.person is not None:
            next_at = clocks.next_question_for(view.person, view.pair, now)
            when = t.next_time(next_at, view.person.clock(view.pair), now)
        else:
            when = t.next_time(view.pair.next_due_at, view.pair.schedule, now)
        await message.reply_text(t(texts.TODAY_NONE, when=when))
        return
    lines = [t(texts.TODAY_HEADER)]
    language = context.services.languages.get(t.code)
    for item in view.open_questions:
        if item.you_answered:
            status = t(texts.TODAY_YOU_ANSWERED, partner=partner)
        elif item.partner_answered:
            status = t(texts.TODAY_PARTNER_ANSWERED, partner=partner)
        else:
            status = t(texts.TODAY_BOTH_WAITING)
        question = language.prompt_text(item.prompt)
        lines.append(t(texts.TODAY_ITEM, question=texts.esc(question), status=status))
    for chunk in texts.chunks("\n\n".join(lines)):
        await message.reply_text(chunk)


async def unknown_command(update: Update, context: NearerContext) -> None:
    """Answer a command the bot does not know with a hint."""
    _, message = sender(update)
    t = await texts_for(update, context)
    await message.reply_text(t(texts.UNKNOWN_COMMAND))


async def expired_button(update: Update, context: NearerContext) -> None:
    """Answer a press on a button no handler owns: an old menu or forged data."""
    query = update.callback_query
    if query is not None:
        t = await texts_for(update, context)
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)


async def track_membership(update: Update, context: NearerContext) -> None:
    """Note when someone blocks or unblocks the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    user_id = change.from_user.id
    partner = await pause.note_blocked(context.services, user_id, blocked=blocked)
    log.info("user %d %s the bot", user_id, "blocked" if blocked else "unblocked")
    if partner is not None:
        t = await texts_for(update, context)
        welcome = t(texts.WELCOME_BACK, partner=texts.esc(partner.first_name))
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
    if database_away(error):
        # Nothing was committed: the inbox handles the update again once the database is back
        # (and a job, the tick, simply runs again).
        log.warning(
            "update %s user %s: the database is away (%s); trying again shortly",
            update_id,
            user_id,
            type(error).__name__,
        )
        if update_id is not None:
            context.bot_data.interrupted.add(update_id)
        return
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
    if (
        isinstance(error, BadRequest)
        and isinstance(update, Update)
        and update.callback_query is not None
        and "chat not found" in error.message.lower()
    ):
        # A press (forged) on a message in a chat the bot cannot write to: what the press did
        # is saved; there is no message to update and nobody to tell.
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
            assert isinstance(update, Update)
            apology = texts_reported(update, context)(texts.ERROR)
            await context.bot.send_message(chat.id, apology)
        except Exception:  # the error may be that Telegram is unreachable
            log.warning("could not tell user %s about the error", user_id)
