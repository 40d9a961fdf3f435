"""Shared settings (time, time zone, frequency, topics, depth) and each person's own."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from enum import Enum, auto

from bot.domain import schedule, selection
from bot.domain.models import (
    DepthPreference,
    Frequency,
    Pair,
    Person,
    Preferences,
    PromptKind,
)
from bot.domain.outbox import moment_param, schedule_params
from bot.i18n import Language
from bot.usecases.common import Services, pairing_in, tell_partner

log = logging.getLogger(__name__)

# The choices the settings menu offers (besides /time and /timezone, which take any value).
TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "19:00", "20:00", "21:00")
ZONES = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Kyiv", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata",
    "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
)  # fmt: skip
REMINDER_HOURS = (1, 2, 4, 6, 8, 12)
QUIET_PRESETS = (("22:00", "08:00"), ("23:00", "07:00"), ("21:00", "09:00"), ("00:00", "00:00"))


@dataclass(frozen=True)
class ScheduleChange:
    """A pair's new schedule and when its next question now comes."""

    pair: Pair
    next_due_at: dt.datetime | None


async def change_schedule(
    services: Services,
    user_id: int,
    *,
    send_time: dt.time | None = None,
    timezone: str | None = None,
    frequency: Frequency | None = None,
) -> ScheduleChange | None:
    """Change the pair's send time, zone or frequency from the next due question; tell the
    partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.lock_pair_of(user_id)
        if pair is None:
            return None
        new = replace(
            pair.schedule,
            send_time=send_time or pair.schedule.send_time,
            timezone=timezone or pair.schedule.timezone,
            frequency=frequency or pair.schedule.frequency,
        )
        if new == pair.schedule:  # nothing changes, so nobody is told anything
            return ScheduleChange(pair, pair.next_due_at)
        await tx.set_schedule(pair.id, new)
        last_day = await tx.last_prompt_day(pair.id, PromptKind.QUESTION)
        due = None
        if not pair.paused:
            due = schedule.next_due(now, new, last_sent_day=last_day)
            await tx.set_next_due(pair.id, due)
            changed = replace(pair, schedule=new)
            await tx.set_next_nudge(pair.id, schedule.next_due(now, changed.nudge_schedule, None))
        actor = await tx.get_person(user_id)
        partner = await tx.get_person(pair.partner_of(user_id))
        if partner is not None and actor is not None:
            old = pair.schedule
            if new.frequency != old.frequency:
                how_often = {"what": "frequency", "frequency": new.frequency.value}
                await tell_partner(
                    tx,
                    pair.id,
                    actor,
                    partner,
                    ("frequency", old.frequency.value, new.frequency.value, how_often),
                    now,
                )
            if (new.send_time, new.timezone) != (old.send_time, old.timezone):
                params = {"what": "schedule", "next": moment_param(due), **schedule_params(new)}
                before = f"{old.send_time} {old.timezone}"
                change = ("schedule", before, f"{new.send_time} {new.timezone}", params)
                await tell_partner(tx, pair.id, actor, partner, change, now)
        updated = replace(pair, schedule=new, next_due_at=due)
    services.wake_delivery()
    return ScheduleChange(updated, due)


class SettingOutcome(Enum):
    """What a settings button did."""

    CHANGED = auto()
    EXPIRED = auto()
    REFUSED = auto()


async def change_preferences(
    services: Services,
    user_id: int,
    pair_id: int,
    *,
    toggle_category: str | None = None,
    depth: DepthPreference | None = None,
) -> SettingOutcome:
    """Turn a topic on or off, or pick a depth, for the pair; tell the partner."""
    now = services.clock()
    categories = services.library.categories
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None or pairing.pair.id != pair_id:
            return SettingOutcome.EXPIRED
        prefs = pairing.pair.preferences
        if toggle_category is not None:
            category = categories.get(toggle_category)
            if category is None:
                return SettingOutcome.EXPIRED
            was_on = selection.category_is_on(category, prefs)
            prefs = _toggled(prefs, category.id, sensitive=category.sensitive)
            on = [c for c in categories.values() if selection.category_is_on(c, prefs)]
            if not on:
                return SettingOutcome.REFUSED
            params = {"what": "topic", "category": category.id, "on": not was_on}
            change = (f"topic:{category.id}", str(was_on), str(not was_on), params)
        elif depth is not None:
            if depth is prefs.depth:
                return SettingOutcome.CHANGED  # already chosen: nothing changes, nobody is told
            params = {"what": "depth", "depth": depth.value}
            change = ("depth", prefs.depth.value, depth.value, params)
            prefs = replace(prefs, depth=depth)
        else:
            return SettingOutcome.EXPIRED
        await tx.set_preferences(pair_id, prefs)
        await tell_partner(tx, pair_id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return SettingOutcome.CHANGED


def _toggled(prefs: Preferences, category_id: str, *, sensitive: bool) -> Preferences:
    if sensitive:
        return replace(prefs, enabled_sensitive=prefs.enabled_sensitive ^ {category_id})
    return replace(prefs, disabled_categories=prefs.disabled_categories ^ {category_id})


async def change_personal(
    services: Services,
    user_id: int,
    *,
    reminders_on: bool | None = None,
    nudges_on: bool | None = None,
    quiet: tuple[dt.time, dt.time] | None = None,
    reminder_hours: int | None = None,
) -> Person | None:
    """Change the person's own settings."""
    async with services.db.transaction() as tx:
        await tx.set_person_settings(
            user_id,
            reminders_on=reminders_on,
            nudges_on=nudges_on,
            quiet=quiet,
            reminder_hours=reminder_hours,
        )
        return await tx.get_person(user_id)


# Languages ------------------------------------------------------------------------------------


async def language_for(services: Services, user_id: int, reported: str | None) -> Language:
    """The language a person reads; remembers what their Telegram app reports, for messages
    rendered later from the outbox (written only when it changed)."""
    async with services.db.reading() as tx:
        person = await tx.get_person(user_id)
    if person is not None and reported and reported != person.telegram_language:
        async with services.db.transaction() as tx:
            await tx.set_language(user_id, telegram=reported)
        person = replace(person, telegram_language=reported)
    if person is None:
        return services.languages.for_person(None, reported)
    return services.language_of(person)


async def choose_language(services: Services, user_id: int, code: str) -> Language | None:
    """Set the language a person reads; None when it is not offered. The partner is not told:
    it is the person's own."""
    if code not in services.languages.offered:
        return None
    async with services.db.transaction() as tx:
        if await tx.get_person(user_id) is None:
            return None
        await tx.set_language(user_id, chosen=code)
    log.info("user %s chose language %s", user_id, code)
    return services.languages.get(code)


async def choose_language_named(services: Services, user_id: int, wanted: str) -> Language | None:
    """Set a language named by its code ('de', 'pt-br') or its own name ('Deutsch')."""
    needle = wanted.strip().casefold().replace("-", "_")
    for code in services.languages.offered:
        language = services.languages.get(code)
        names = {
            code.casefold(),
            code.split("_")[0].casefold(),
            language.texts.language_name.casefold(),
            (language.texts.locale.get_language_name(language.texts.locale) or "").casefold(),
            (language.texts.locale.get_language_name("en") or "").casefold(),  # 'German'
        }
        if needle in names:
            return await choose_language(services, user_id, code)
    return None
