"""Thin Telegram glue, one module per feature; `register_handlers` wires them in order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import NearerApp
from bot.handlers import admin, answers, basics, everyday, pairing, privacy, schedule, settings


def register_handlers(app: NearerApp) -> None:
    """Register every handler. Order matters: earlier groups and entries win."""
    private = filters.ChatType.PRIVATE
    # Group -1 runs first for every update: it remembers the sender and turns away groups.
    app.add_handler(TypeHandler(Update, basics.screen_update), group=-1)

    app.add_handler(CommandHandler("start", pairing.start, filters=private))
    app.add_handler(CommandHandler("invite", pairing.invite, filters=private))
    app.add_handler(CommandHandler("unpair", pairing.unpair, filters=private))
    app.add_handler(CommandHandler("help", basics.show_help, filters=private))
    app.add_handler(CommandHandler("today", basics.show_today, filters=private))
    app.add_handler(CommandHandler("time", schedule.set_time, filters=private))
    app.add_handler(CommandHandler("timezone", schedule.set_timezone, filters=private))
    app.add_handler(CommandHandler("settings", settings.show_settings, filters=private))
    app.add_handler(CommandHandler("pause", everyday.pause, filters=private))
    app.add_handler(CommandHandler("resume", everyday.resume, filters=private))
    app.add_handler(CommandHandler("reminders", everyday.reminders, filters=private))
    app.add_handler(CommandHandler("skip", everyday.skip, filters=private))
    app.add_handler(CommandHandler("ask", everyday.ask, filters=private))
    app.add_handler(CommandHandler("history", everyday.history, filters=private))
    app.add_handler(CommandHandler("streak", everyday.streak, filters=private))
    app.add_handler(CommandHandler("deletemydata", privacy.ask_to_delete, filters=private))
    app.add_handler(CommandHandler("export", privacy.export, filters=private))
    app.add_handler(CommandHandler("support", privacy.support, filters=private))
    app.add_handler(CommandHandler("stats", admin.show_stats, filters=private))
    app.add_handler(CallbackQueryHandler(pairing.invite_button, pattern=r"^invite$"))
    app.add_handler(CallbackQueryHandler(pairing.answer_invite, pattern=r"^(accept:|decline$)"))
    app.add_handler(CallbackQueryHandler(pairing.confirm_unpair, pattern=r"^unpair:"))
    app.add_handler(CallbackQueryHandler(settings.press_setting, pattern=r"^s:"))
    app.add_handler(CallbackQueryHandler(everyday.turn_history_page, pattern=r"^h:"))
    app.add_handler(CallbackQueryHandler(everyday.react, pattern=r"^react:"))
    app.add_handler(CallbackQueryHandler(everyday.heart, pattern=r"^heart:"))
    app.add_handler(CallbackQueryHandler(privacy.confirm_delete, pattern=r"^delete:"))
    # Anything else pressed: an old or forged button.
    app.add_handler(CallbackQueryHandler(basics.expired_button))
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, answers.edit_answer)
    )
    # Unknown commands before answers, so "/foo" is never saved as an answer.
    app.add_handler(MessageHandler(filters.COMMAND & private, basics.unknown_command))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private, answers.take_answer))
    app.add_handler(ChatMemberHandler(basics.track_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(basics.log_error)
