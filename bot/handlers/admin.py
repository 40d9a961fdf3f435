"""/stats for the operator's admins (ADMIN_USER_IDS); everyone else is told it is unknown."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.context import NearerContext
from bot.handlers.common import sender, texts_for
from bot.ops import format_stats
from bot.usecases import admin


async def show_stats(update: Update, context: NearerContext) -> None:
    """Show counts only (never anyone's words): pairs, questions, answer rates, queue."""
    t = await texts_for(update, context)
    user, message = sender(update)
    figures = await admin.stats(context.services, user.id)
    if figures is None:
        await message.reply_text(t(texts.UNKNOWN_COMMAND))
        return
    await message.reply_text(texts.esc("\n".join(format_stats(figures.values, figures.at))))
