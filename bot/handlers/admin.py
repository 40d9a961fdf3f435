"""/stats for the operator's admins (ADMIN_USER_IDS); everyone else is told it is unknown."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.context import NearerContext
from bot.handlers.common import sender
from bot.ops import format_stats


async def show_stats(update: Update, context: NearerContext) -> None:
    """Show counts only (never anyone's words): pairs, questions, answer rates, queue."""
    user, message = sender(update)
    services = context.services
    if user.id not in services.settings.admin_user_ids:
        await message.reply_text(texts.UNKNOWN_COMMAND)
        return
    now = services.clock()
    async with services.db.transaction() as tx:
        figures = await tx.stats(now)
    await message.reply_text(texts.esc("\n".join(format_stats(figures, now))))
