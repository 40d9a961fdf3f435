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
from bot.handlers import answers, basics, pairing, schedule


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
    app.add_handler(CallbackQueryHandler(pairing.invite_button, pattern=r"^invite$"))
    app.add_handler(CallbackQueryHandler(pairing.answer_invite, pattern=r"^(accept:|decline$)"))
    app.add_handler(CallbackQueryHandler(pairing.confirm_unpair, pattern=r"^unpair:"))
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
