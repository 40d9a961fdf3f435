"""/time and /timezone, the zone buttons and shared locations: each person's own clock."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import available_timezones

from telegram import Update

from bot import texts
from bot.context import NearerContext
from bot.domain import places, schedule
from bot.domain.parsing import ParseError, parse_send_time, parse_timezone
from bot.handlers.common import confirm_in_place, sender, texts_for
from bot.i18n import Texts
from bot.usecases import clocks, settings

log = logging.getLogger(__name__)


def _set_text(t: Texts, template: str, change: clocks.ClockChange, now: dt.datetime) -> str:
    return t(
        template,
        zone=t.city(change.clock.timezone),
        when=t.when(change.clock),
        next=t.next_time(change.next_at, change.clock, now),
    )


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
    when = t.next_time(change.next_due_at, change.clock, context.services.clock())
    reply = t(texts.SCHEDULE_CHANGED, when=t.when(change.clock), next=when)
    if change.quiet is not None and schedule.clock_in_quiet(change.clock.send_time, *change.quiet):
        # Quiet hours win: say so now rather than let a silent question puzzle them.
        quiet = f"{change.quiet[0]:%H:%M}–{change.quiet[1]:%H:%M}"
        reply = f"{reply}\n\n{t(texts.TIME_IN_QUIET_HOURS, quiet=quiet)}"
    await message.reply_text(reply)


async def set_time(update: Update, context: NearerContext) -> None:
    """Change when one's own daily question comes: /time HH:MM (in one's own zone)."""
    t = await texts_for(update, context)
    _, message = sender(update)
    try:
        send_time = parse_send_time(" ".join(context.args or []))
    except ParseError:
        await message.reply_text(t(texts.TIME_USAGE))
        return
    await _apply(update, context, send_time=send_time)


async def set_timezone(update: Update, context: NearerContext) -> None:
    """Change one's own time zone: /timezone Europe/Berlin (or a city, or UTC+2)."""
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


async def press_zone(update: Update, context: NearerContext) -> None:
    """A zone button under 'where are you?' (or 'skip', which keeps the pair's zone)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    t = await texts_for(update, context)
    wanted = query.data.removeprefix("zone:")
    services = context.services
    if wanted == "-":
        change = await clocks.set_own_clock(services, user.id)
        template = texts.ZONE_SKIPPED
    elif wanted in available_timezones():
        change = await clocks.set_own_clock(services, user.id, timezone=wanted)
        template = texts.ZONE_SET
    else:
        log.info("zone button with unknown data from user %d", user.id)
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await query.answer()
    if change is None:
        return
    await confirm_in_place(query, context, _set_text(t, template, change, services.clock()))


async def take_location(update: Update, context: NearerContext) -> None:
    """A shared location sets one's zone (the location itself is not stored)."""
    user, message = sender(update)
    t = await texts_for(update, context)
    location = message.location
    zone = None if location is None else places.zone_at(location.latitude, location.longitude)
    if zone is None:
        await message.reply_text(t(texts.ZONE_UNKNOWN))
        return
    change = await clocks.set_own_clock(context.services, user.id, timezone=zone)
    if change is None:
        await message.reply_text(t(texts.ZONE_UNKNOWN))
        return
    reply = _set_text(t, texts.ZONE_FROM_LOCATION, change, context.services.clock())
    await message.reply_text(reply)
