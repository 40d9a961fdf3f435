"""/time and /timezone: when the pair's daily question comes."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot import texts
from bot.context import NearerContext
from bot.domain.parsing import ParseError, parse_send_time, parse_timezone
from bot.handlers.common import sender, texts_for
from bot.usecases import settings


async def _apply(
    update: Update,
    context: NearerContext,
    *,
    send_time: dt.time | None = None,
    timezone: str | None = None,
) -> None:
    user, message = sender(update)
    t = await texts_for(update, context)
    change = await settings.change_schedule(
        context.services, user.id, send_time=send_time, timezone=timezone
    )
    if change is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    schedule = change.pair.schedule
    when = t.next_time(change.next_due_at, schedule, context.services.clock())
    await message.reply_text(t(texts.SCHEDULE_CHANGED, when=t.when(schedule), next=when))


async def set_time(update: Update, context: NearerContext) -> None:
    """Change the pair's daily send time: /time HH:MM."""
    t = await texts_for(update, context)
    _, message = sender(update)
    try:
        send_time = parse_send_time(" ".join(context.args or []))
    except ParseError:
        await message.reply_text(t(texts.TIME_USAGE))
        return
    await _apply(update, context, send_time=send_time)


async def set_timezone(update: Update, context: NearerContext) -> None:
    """Change the pair's time zone: /timezone Europe/Berlin (or a city, or UTC+2)."""
    t = await texts_for(update, context)
    _, message = sender(update)
    wanted = " ".join(context.args or [])
    try:
        timezone = parse_timezone(wanted)
    except ParseError:
        # A city in one of Nearer's languages: "Nueva York", "Мюнхен" is not a zone, "Москва" is.
        found = context.services.languages.zone_for_city(wanted) if len(wanted) <= 64 else None
        if found is None:
            await message.reply_text(t(texts.TIMEZONE_USAGE))
            return
        timezone = found
    await _apply(update, context, timezone=timezone)
