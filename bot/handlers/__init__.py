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
from bot.handlers import (
    admin,
    answers,
    basics,
    everyday,
    followups,
    pairing,
    privacy,
    schedule,
    settings,
)


def register_handlers(app: NearerApp) -> None:
    """Register every handler. Order matters: earlier groups and entries win."""
    private = filters.ChatType.PRIVATE
    # Commands come from new messages only: CommandHandler's own default lets an edited
    # message through, and editing a message into "/deletemydata" must not run it.
    command = filters.UpdateType.MESSAGE & private
    # Group -1 runs first for every update: it turns away what is not a person's own private
    # chat, applies the allowance, and remembers the sender.
    app.add_handler(TypeHandler(Update, basics.screen_update), group=-1)

    app.add_handler(CommandHandler("start", pairing.start, filters=command))
    app.add_handler(CommandHandler("invite", pairing.invite, filters=command))
    app.add_handler(CommandHandler("unpair", pairing.unpair, filters=command))
    app.add_handler(CommandHandler("help", basics.show_help, filters=command))
    app.add_handler(CommandHandler("today", basics.show_today, filters=command))
    app.add_handler(CommandHandler("time", schedule.set_time, filters=command))
    app.add_handler(CommandHandler("timezone", schedule.set_timezone, filters=command))
    app.add_handler(CommandHandler("anniversary", settings.set_anniversary, filters=command))
    app.add_handler(CommandHandler("settings", settings.show_settings, filters=command))
    app.add_handler(CommandHandler("language", settings.show_languages, filters=command))
    app.add_handler(CommandHandler("pause", everyday.pause, filters=command))
    app.add_handler(CommandHandler("resume", everyday.resume, filters=command))
    app.add_handler(CommandHandler("reminders", everyday.reminders, filters=command))
    app.add_handler(CommandHandler("skip", everyday.skip, filters=command))
    app.add_handler(CommandHandler("ask", everyday.ask, filters=command))
    app.add_handler(CommandHandler("history", everyday.history, filters=command))
    app.add_handler(CommandHandler("streak", everyday.streak, filters=command))
    app.add_handler(CommandHandler("deletemydata", privacy.ask_to_delete, filters=command))
    app.add_handler(CommandHandler("export", privacy.export, filters=command))
    app.add_handler(CommandHandler("support", privacy.support, filters=command))
    app.add_handler(CommandHandler("stats", admin.show_stats, filters=command))
    app.add_handler(CallbackQueryHandler(pairing.invite_button, pattern=r"^invite$"))
    app.add_handler(
        CallbackQueryHandler(pairing.answer_invite, pattern=r"^(accept:|decline$|decline:)")
    )
    app.add_handler(CallbackQueryHandler(followups.explain_link, pattern=r"^have_link$"))
    app.add_handler(CallbackQueryHandler(followups.show_exercise, pattern=r"^exercise:"))
    app.add_handler(CallbackQueryHandler(pairing.confirm_unpair, pattern=r"^unpair:"))
    app.add_handler(CallbackQueryHandler(settings.press_setting, pattern=r"^s:"))
    app.add_handler(CallbackQueryHandler(settings.press_language, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(everyday.turn_history_page, pattern=r"^h:"))
    app.add_handler(CallbackQueryHandler(everyday.react, pattern=r"^react:"))
    app.add_handler(CallbackQueryHandler(everyday.heart, pattern=r"^heart:"))
    app.add_handler(CallbackQueryHandler(answers.pick, pattern=r"^pick:"))
    app.add_handler(CallbackQueryHandler(answers.settle_pending, pattern=r"^pend:"))
    app.add_handler(CallbackQueryHandler(answers.judge_guess, pattern=r"^verdict:"))
    app.add_handler(CallbackQueryHandler(settings.answer_consent, pattern=r"^consent:"))
    app.add_handler(CallbackQueryHandler(privacy.confirm_delete, pattern=r"^delete:"))
    app.add_handler(CallbackQueryHandler(schedule.press_zone, pattern=r"^zone:"))
    # Anything else pressed: an old or forged button.
    app.add_handler(CallbackQueryHandler(basics.expired_button))
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, answers.edit_answer)
    )
    # Unknown commands before answers, so "/foo" is never saved as an answer.
    app.add_handler(MessageHandler(filters.COMMAND & private, basics.unknown_command))
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.LOCATION & private, schedule.take_location
        )
    )
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & private, answers.take_answer))
    app.add_handler(ChatMemberHandler(basics.track_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(basics.log_error)
