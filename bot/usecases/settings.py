"""Shared settings (time, time zone, frequency, topics, depth) and each person's own."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from enum import Enum, auto

from bot.domain import formats, schedule, selection
from bot.domain.models import (
    DepthPreference,
    Frequency,
    Pair,
    Person,
    Preferences,
    PromptKind,
    Schedule,
)
from bot.domain.outbox import MessageKind, NewMessage, Notice
from bot.i18n import Language
from bot.storage import StoreTransaction
from bot.usecases import clocks
from bot.usecases.common import (
    Change,
    Pairing,
    Services,
    notice_to,
    pairing_in,
    tell_partner,
)

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
    """After a change: the pair, the person's own clock (their zone and time; the pair's
    frequency) and when their next question comes (None: paused)."""

    pair: Pair
    next_due_at: dt.datetime | None
    clock: Schedule
    quiet: tuple[dt.time, dt.time] | None = None  # the person's quiet hours (own changes)


async def change_schedule(
    services: Services,
    user_id: int,
    *,
    send_time: dt.time | None = None,
    timezone: str | None = None,
    frequency: Frequency | None = None,
) -> ScheduleChange | None:
    """Change the person's own question time or zone (theirs alone: the partner is not told),
    or the pair's frequency from the next due question (the partner is told)."""
    if send_time is not None or timezone is not None:
        async with services.db.reading() as tx:
            if await tx.active_pair_of(user_id) is None:
                return None  # not paired: nothing is changed (the reply says how to pair)
        change = await clocks.set_own_clock(
            services, user_id, timezone=timezone, send_time=send_time
        )
        if change is None or change.pair is None:
            return None
        if frequency is None:
            quiet = (change.person.quiet_start, change.person.quiet_end)
            return ScheduleChange(change.pair, change.next_at, change.clock, quiet)
    if frequency is None:
        return None
    now = services.clock()
    async with services.db.transaction() as tx:
        pair = await tx.lock_pair_of(user_id)
        actor = await tx.get_person(user_id)
        if pair is None or actor is None:
            return None
        new = replace(pair.schedule, frequency=frequency)
        due = pair.next_due_at
        if new != pair.schedule:
            await tx.set_schedule(pair.id, new)
            last_day = await tx.last_prompt_day(pair.id, PromptKind.QUESTION)
            if not pair.paused:
                due = schedule.next_due(now, new, last_sent_day=last_day)
                await tx.set_next_due(pair.id, due)
            partner = await tx.get_person(pair.partner_of(user_id))
            if partner is not None:
                old = pair.schedule.frequency.value
                how_often = {"what": "frequency", "frequency": frequency.value}
                change_made = ("frequency", old, frequency.value, how_often)
                await tell_partner(tx, pair.id, actor, partner, change_made, now)
        updated = replace(pair, schedule=new, next_due_at=due)
        next_at = clocks.next_question_for(actor, updated, now)
    services.wake_delivery()
    return ScheduleChange(updated, next_at, actor.clock(updated))


class SettingOutcome(Enum):
    """What a settings button did."""

    CHANGED = auto()
    EXPIRED = auto()
    REFUSED = auto()
    ASKED = auto()  # an opt-in topic: the partner is asked privately
    WITHDRAWN = auto()  # an opt-in topic: one's own request taken back
    TURNED_ON = auto()  # an opt-in topic: both said yes
    TURNED_OFF = auto()  # an opt-in topic turned off (the partner is not told)
    DECLINED = auto()  # asked for an opt-in topic, the partner said not now


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
            if category.sensitive:
                outcome = await _toggle_opt_in(tx, pairing, category.id, now)
                services.wake_delivery()
                return outcome
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


async def _toggle_opt_in(
    tx: StoreTransaction, pairing: Pairing, category_id: str, now: dt.datetime
) -> SettingOutcome:
    """An opt-in topic: off at once (silently); on only with both partners' yes."""
    pair, me, partner = pairing.pair, pairing.person, pairing.partner
    prefs = pair.preferences
    if category_id in prefs.enabled_sensitive:
        off = replace(prefs, enabled_sensitive=prefs.enabled_sensitive - {category_id})
        await tx.set_preferences(pair.id, off)
        await tx.clear_topic_consents(pair.id, category_id)
        log.info("opt-in topic off: pair %d", pair.id)
        return SettingOutcome.TURNED_OFF
    said_yes = await tx.topic_consents(pair.id, category_id)
    if me.user_id in said_yes:
        await tx.clear_topic_consents(pair.id, category_id)
        return SettingOutcome.WITHDRAWN
    if partner.user_id in said_yes:
        await _turn_on(tx, pair, (me, partner), category_id, now)
        return SettingOutcome.TURNED_ON
    await tx.add_topic_consent(pair.id, category_id, me.user_id, now)
    ask = NewMessage(
        partner.user_id,
        partner.chat_id,
        MessageKind.CONSENT,
        None,
        payload={"pair_id": pair.id, "category": category_id, "from_name": me.first_name},
        about_user_id=me.user_id,
    )
    await tx.enqueue([ask], now)
    log.info("opt-in topic asked: pair %d user %d", pair.id, me.user_id)
    return SettingOutcome.ASKED


async def _turn_on(
    tx: StoreTransaction,
    pair: Pair,
    members: tuple[Person, Person],
    category_id: str,
    now: dt.datetime,
) -> None:
    prefs = pair.preferences
    on = replace(prefs, enabled_sensitive=prefs.enabled_sensitive | {category_id})
    await tx.set_preferences(pair.id, on)
    await tx.clear_topic_consents(pair.id, category_id)
    params = {"category": category_id, "pace": pair.sensitive_pace}
    await tx.enqueue([notice_to(member, Notice.TOPIC_ON, params) for member in members], now)
    log.info("opt-in topic on (both said yes): pair %d", pair.id)


async def answer_consent(
    services: Services, user_id: int, pair_id: int, category_id: str, *, yes: bool
) -> SettingOutcome:
    """The partner's answer, by button, to a request to turn on an opt-in topic (or to raise
    the heat of intimacy questions: `heat-<level>`)."""
    now = services.clock()
    category = services.library.categories.get(category_id)
    heat = category_id.removeprefix(HEAT_KEY)
    if (category is None or not category.sensitive) and heat not in HEATS:
        return SettingOutcome.EXPIRED
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None or pairing.pair.id != pair_id:
            return SettingOutcome.EXPIRED
        said_yes = await tx.topic_consents(pair_id, category_id)
        if pairing.partner.user_id not in said_yes:
            return SettingOutcome.EXPIRED  # withdrawn, answered already, or already on
        if not yes:
            await tx.clear_topic_consents(pair_id, category_id)
            return SettingOutcome.DECLINED
        members = (pairing.person, pairing.partner)
        if category is not None:
            await _turn_on(tx, pairing.pair, members, category_id, now)
        else:
            await _raise_heat(tx, pairing.pair, members, heat, now)
    services.wake_delivery()
    return SettingOutcome.TURNED_ON


HEATS = tuple(h.value for h in selection.Heat)
HEAT_KEY = "heat-"  # consents to raise the heat are kept as the topic "heat-<level>"


async def change_heat(services: Services, user_id: int, pair_id: int, heat: str) -> SettingOutcome:
    """Lower the heat of intimacy questions at once (silently); raise it only with both's yes."""
    if heat not in HEATS:
        return SettingOutcome.EXPIRED
    now = services.clock()
    order = {level: index for index, level in enumerate(HEATS)}
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None or pairing.pair.id != pair_id:
            return SettingOutcome.EXPIRED
        pair, me, partner = pairing.pair, pairing.person, pairing.partner
        if heat == pair.heat:
            return SettingOutcome.CHANGED
        key = HEAT_KEY + heat
        if order[heat] < order[pair.heat]:
            await tx.set_pair_options(pair.id, heat=heat)
            for level in HEATS:
                await tx.clear_topic_consents(pair.id, HEAT_KEY + level)
            return SettingOutcome.TURNED_OFF
        said_yes = await tx.topic_consents(pair.id, key)
        if me.user_id in said_yes:
            await tx.clear_topic_consents(pair.id, key)
            return SettingOutcome.WITHDRAWN
        if partner.user_id in said_yes:
            await _raise_heat(tx, pair, (me, partner), heat, now)
            outcome = SettingOutcome.TURNED_ON
        else:
            await tx.add_topic_consent(pair.id, key, me.user_id, now)
            payload = {"pair_id": pair.id, "category": key, "from_name": me.first_name}
            ask = NewMessage(
                partner.user_id,
                partner.chat_id,
                MessageKind.CONSENT,
                None,
                payload=payload,
                about_user_id=me.user_id,
            )
            await tx.enqueue([ask], now)
            outcome = SettingOutcome.ASKED
    services.wake_delivery()
    return outcome


async def _raise_heat(
    tx: StoreTransaction,
    pair: Pair,
    members: tuple[Person, Person],
    heat: str,
    now: dt.datetime,
) -> None:
    await tx.set_pair_options(pair.id, heat=heat)
    await tx.clear_topic_consents(pair.id, HEAT_KEY + heat)
    params = {"category": HEAT_KEY + heat, "pace": pair.sensitive_pace}
    await tx.enqueue([notice_to(member, Notice.TOPIC_ON, params) for member in members], now)
    log.info("heat raised (both said yes): pair %d", pair.id)


PACES = tuple(selection.SENSITIVE_PACE_GAPS)
STAGES = ("new", "established", "long_term", "")


async def change_pair_options(
    services: Services,
    user_id: int,
    pair_id: int | None = None,
    *,
    pace: str | None = None,
    apart: bool | None = None,
    stage: str | None = None,
    anniversary: dt.date | None = None,
) -> SettingOutcome:
    """Change the opt-in pace, distance, stage or anniversary of the pair; tell the partner."""
    now = services.clock()
    if (pace is not None and pace not in PACES) or (stage is not None and stage not in STAGES):
        return SettingOutcome.EXPIRED
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None or (pair_id is not None and pairing.pair.id != pair_id):
            return SettingOutcome.EXPIRED
        pair = pairing.pair
        changes: list[Change] = []
        if pace is not None and pace != pair.sensitive_pace:
            changes.append(("pace", pair.sensitive_pace, pace, {"what": "pace", "pace": pace}))
        if apart is not None and apart != pair.apart:
            changes.append(
                ("apart", str(pair.apart), str(apart), {"what": "apart", "apart": apart})
            )
        if stage is not None and stage != (pair.stage or ""):
            params = {"what": "stage", "stage": stage}
            changes.append(("stage", pair.stage or "", stage, params))
        if anniversary is not None and anniversary != pair.anniversary:
            before = pair.anniversary.isoformat() if pair.anniversary else ""
            params = {"what": "anniversary", "day": anniversary.isoformat()}
            changes.append(("anniversary", before, anniversary.isoformat(), params))
        if not changes:
            return SettingOutcome.CHANGED
        await tx.set_pair_options(
            pair.id, apart=apart, stage=stage, anniversary=anniversary, sensitive_pace=pace
        )
        for change in changes:
            await tell_partner(tx, pair.id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return SettingOutcome.CHANGED


async def choose_series(
    services: Services, user_id: int, pair_id: int, category_id: str | None
) -> SettingOutcome:
    """Start a short series on a topic the pair has on (None: stop the one running); the
    partner is told, and each of its questions says which day of the series it is."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None or pairing.pair.id != pair_id:
            return SettingOutcome.EXPIRED
        pair = pairing.pair
        if category_id is not None:
            category = services.library.categories.get(category_id)
            if category is None or not selection.category_is_on(category, pair.preferences):
                return SettingOutcome.EXPIRED
        if category_id == pair.series:
            return SettingOutcome.CHANGED
        await tx.set_pair_options(pair.id, series=category_id or "", series_day=0)
        params = {"what": "series", "category": category_id or "", "days": formats.SERIES_DAYS}
        change = ("series", pair.series or "", category_id or "", params)
        await tell_partner(tx, pair.id, pairing.person, pairing.partner, change, now)
    services.wake_delivery()
    return SettingOutcome.TURNED_ON if category_id else SettingOutcome.TURNED_OFF


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
