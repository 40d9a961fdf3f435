"""/settings: an inline menu that shows the current values and changes them in place.

Callback data is `s:<pair id>:<action>[:<value>]`. A button from another pairing, an old menu
or forged data matches nothing of the presser's own pair and gets "this menu has expired".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import texts
from bot.context import NearerContext
from bot.domain.models import DepthPreference, Frequency
from bot.domain.selection import category_is_on
from bot.handlers.common import sender
from bot.usecases import common, settings

log = logging.getLogger(__name__)

TIMES, ZONES = settings.TIMES, settings.ZONES
REMINDER_HOURS, QUIET_PRESETS = settings.REMINDER_HOURS, settings.QUIET_PRESETS


def _button(label: str, pair_id: int, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"s:{pair_id}:{action}")


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _choices(
    pair_id: int, action: str, labels: dict[str, str], current: str, *, width: int
) -> InlineKeyboardMarkup:
    """A screen of options (value -> label) with the current one ticked, and a back button."""
    buttons = [
        _button(f"✅ {label}" if value == current else label, pair_id, f"{action}:{value}")
        for value, label in labels.items()
    ]
    return InlineKeyboardMarkup(
        [*_rows(buttons, width), [_button(texts.BUTTON_BACK, pair_id, "main")]]
    )


def _flip(on: bool) -> str:
    return "off" if on else "on"


def _quiet_label(start: dt.time, end: dt.time) -> str:
    if start == end:
        return texts.QUIET_OFF
    return f"{start.strftime('%H:%M')}–{end.strftime('%H:%M')}"


def _main(view: common.Pairing, context: NearerContext) -> tuple[str, InlineKeyboardMarkup]:
    pair, person = view.pair, view.person
    categories = context.services.library.categories.values()
    on = sum(category_is_on(category, pair.preferences) for category in categories)
    anniversary = pair.anniversary
    extra = texts.SETTINGS_EXTRA.format(
        apart=texts.ON if pair.apart else texts.OFF,
        stage=texts.STAGE_NAMES.get(pair.stage or "", ""),
        anniversary=texts.anniversary_label(anniversary)
        if anniversary
        else texts.ANNIVERSARY_UNSET,
        pace=texts.PACE_NAMES.get(pair.sensitive_pace, ""),
        heat=texts.HEAT_NAMES.get(pair.heat, ""),
    )
    text = texts.SETTINGS.format(
        when=texts.when(pair.schedule),
        frequency=texts.FREQUENCY_NAMES[pair.schedule.frequency.value],
        topics=texts.SETTINGS_TOPICS_COUNT.format(on=on, total=len(categories)),
        depth=texts.DEPTH_NAMES[pair.preferences.depth.value],
        reminders=texts.ON if person.reminders_on else texts.OFF,
        hours=person.reminder_hours,
        nudges=texts.ON if person.nudges_on else texts.OFF,
        quiet=_quiet_label(person.quiet_start, person.quiet_end),
    )
    p = pair.id
    reminders = texts.ON if person.reminders_on else texts.OFF
    nudges = texts.ON if person.nudges_on else texts.OFF
    keyboard = [
        [
            _button(texts.SETTINGS_BUTTON_TIME, p, "time"),
            _button(texts.SETTINGS_BUTTON_ZONE, p, "zone"),
        ],
        [
            _button(texts.SETTINGS_BUTTON_FREQUENCY, p, "freq"),
            _button(texts.SETTINGS_BUTTON_TOPICS, p, "topics"),
        ],
        [
            _button(texts.SETTINGS_BUTTON_DEPTH, p, "depth"),
            _button(texts.SETTINGS_BUTTON_QUIET, p, "quiet"),
        ],
        [
            _button(texts.SETTINGS_BUTTON_HOURS, p, "hours"),
            _button(texts.SETTINGS_BUTTON_PACE, p, "pace"),
        ],
        [
            _button(texts.SETTINGS_BUTTON_STAGE, p, "stage"),
            _button(texts.SETTINGS_BUTTON_HEAT, p, "heat"),
        ],
        [
            # Names the state it sets, like the toggles below.
            _button(
                texts.SETTINGS_BUTTON_APART.format(state=texts.ON if pair.apart else texts.OFF),
                p,
                f"apart:{_flip(pair.apart)}",
            ),
        ],
        [
            # Each button names the state it sets, so a press handled twice (a repeat after a
            # crash) sets it twice rather than flipping it back.
            _button(
                texts.SETTINGS_BUTTON_REMINDERS.format(state=reminders),
                p,
                f"rem:{_flip(person.reminders_on)}",
            ),
            _button(
                texts.SETTINGS_BUTTON_NUDGES.format(state=nudges),
                p,
                f"nud:{_flip(person.nudges_on)}",
            ),
        ],
        [_button(texts.BUTTON_CLOSE, p, "done")],
    ]
    return text.replace("\n\n<i>", f"\n{extra}\n\n<i>", 1), InlineKeyboardMarkup(keyboard)


# What pressing an opt-in topic (or the heat) says, in a short alert.
_ALERTS = {
    settings.SettingOutcome.REFUSED: texts.SETTINGS_LAST_TOPIC,
    settings.SettingOutcome.CHANGED: "",
    settings.SettingOutcome.ASKED: texts.CONSENT_ASKED,
    settings.SettingOutcome.WITHDRAWN: texts.CONSENT_WITHDRAWN,
    settings.SettingOutcome.TURNED_ON: texts.CONSENT_DONE,
    settings.SettingOutcome.TURNED_OFF: texts.CONSENT_TURNED_OFF,
}


def _topic_mark(on: bool, asked: bool) -> str:
    if on:
        return "✅"
    return "⏳" if asked else "⬜"


def _submenu(
    view: common.Pairing, screen: str, context: NearerContext
) -> tuple[str, InlineKeyboardMarkup]:
    pair, person = view.pair, view.person
    p = pair.id
    back = [_button(texts.BUTTON_BACK, p, "main")]
    if screen == "time":
        buttons = [_button(t, p, "t:" + t.replace(":", "")) for t in TIMES]
        text = texts.SETTINGS_TIME.format(when=texts.when(pair.schedule))
        return text, InlineKeyboardMarkup([*_rows(buttons, 4), back])
    if screen == "zone":
        buttons = [_button(zone, p, f"z:{index}") for index, zone in enumerate(ZONES)]
        text = texts.SETTINGS_ZONE.format(zone=texts.esc(pair.schedule.timezone))
        return text, InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "freq":
        current = pair.schedule.frequency.value
        text = texts.SETTINGS_FREQUENCY.format(frequency=texts.FREQUENCY_NAMES[current])
        return text, _choices(p, "f", texts.FREQUENCY_NAMES, current, width=1)
    if screen == "topics":
        buttons = []
        for category in context.services.library.categories.values():
            on = category_is_on(category, pair.preferences)
            mark = _topic_mark(on, category.id in view.asked_topics)
            lock = " 🔒" if category.sensitive else ""
            buttons.append(_button(f"{mark} {category.name}{lock}", p, f"c:{category.id}"))
        return texts.SETTINGS_TOPICS, InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "depth":
        current = pair.preferences.depth.value
        text = texts.SETTINGS_DEPTH.format(depth=texts.DEPTH_NAMES[current])
        return text, _choices(p, "d", texts.DEPTH_NAMES, current, width=2)
    if screen == "pace":
        current = pair.sensitive_pace
        text = texts.SETTINGS_PACE.format(pace=texts.PACE_NAMES.get(current, ""))
        return text, _choices(p, "p", texts.PACE_NAMES, current, width=1)
    if screen == "heat":
        text = texts.SETTINGS_HEAT.format(heat=texts.HEAT_NAMES.get(pair.heat, ""))
        labels = {
            # ⏳: asked for, waiting for the partner's yes
            level: f"⏳ {name}" if f"{settings.HEAT_KEY}{level}" in view.asked_topics else name
            for level, name in texts.HEAT_NAMES.items()
        }
        return text, _choices(p, "x", labels, pair.heat, width=3)
    if screen == "stage":
        current = pair.stage or ""
        text = texts.SETTINGS_STAGE.format(stage=texts.STAGE_NAMES.get(current, ""))
        stages = {key or "none": label for key, label in texts.STAGE_NAMES.items()}
        return text, _choices(p, "g", stages, current or "none", width=2)
    if screen == "hours":
        hours = {str(h): texts.HOURS_LABEL.format(hours=h) for h in REMINDER_HOURS}
        text = texts.SETTINGS_REMINDER_HOURS.format(hours=person.reminder_hours)
        return text, _choices(p, "h", hours, str(person.reminder_hours), width=3)
    if screen == "quiet":
        buttons = []
        for index, (start, end) in enumerate(QUIET_PRESETS):
            label = _quiet_label(dt.time.fromisoformat(start), dt.time.fromisoformat(end))
            buttons.append(_button(label, p, f"q:{index}"))
        current = _quiet_label(person.quiet_start, person.quiet_end)
        return texts.SETTINGS_QUIET.format(quiet=current), InlineKeyboardMarkup(
            [*_rows(buttons, 2), back]
        )
    return _main(view, context)


async def show_settings(update: Update, context: NearerContext) -> None:
    """Open the settings menu."""
    user, message = sender(update)
    view = await common.pairing_of(context.services, user.id)
    if view is None:
        await message.reply_text(texts.NOT_PAIRED)
        return
    text, keyboard = _main(view, context)
    await message.reply_text(text, reply_markup=keyboard)


async def press_setting(update: Update, context: NearerContext) -> None:
    """Apply a settings button and show the menu again, edited in place."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    parts = query.data.split(":")
    view = await common.pairing_of(context.services, user.id)
    if len(parts) < 3 or view is None or parts[1] != str(view.pair.id):
        await query.answer(texts.MENU_EXPIRED, show_alert=True)
        return
    action, value = parts[2], ":".join(parts[3:])
    screen, alert = await _apply(context, user.id, view, action, value)
    if screen is None:
        await query.answer(texts.MENU_EXPIRED, show_alert=True)
        return
    await query.answer(alert or None)
    if screen == "done":
        await _edit(query.edit_message_text(texts.SETTINGS_CLOSED))
        return
    fresh = await common.pairing_of(context.services, user.id)
    if fresh is None:
        return
    text, keyboard = _submenu(fresh, screen, context)
    await _edit(query.edit_message_text(text, reply_markup=keyboard))


async def answer_consent(update: Update, context: NearerContext) -> None:
    """The partner's yes or not now to an opt-in topic, asked privately with buttons."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    fields = query.data.split(":")
    outcome = settings.SettingOutcome.EXPIRED
    if (
        len(fields) == 4
        and fields[1].isdigit()
        and len(fields[1]) < 19
        and fields[3] in ("yes", "no")
    ):
        outcome = await settings.answer_consent(
            context.services, user.id, int(fields[1]), fields[2], yes=fields[3] == "yes"
        )
    if outcome is settings.SettingOutcome.EXPIRED:
        await query.answer(texts.MENU_EXPIRED, show_alert=True)
        return
    await query.answer()
    reply = (
        texts.CONSENT_DONE
        if outcome is settings.SettingOutcome.TURNED_ON
        else texts.CONSENT_DECLINED
    )
    await _edit(query.edit_message_text(reply))


async def set_anniversary(update: Update, context: NearerContext) -> None:
    """/anniversary YYYY-MM-DD: the day an anniversary question replaces the daily one."""
    user, message = sender(update)
    raw = " ".join(context.args or [])
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        day = None
    today = context.services.clock().date()
    if day is None or day > today or day.year < 1900:
        await message.reply_text(texts.ANNIVERSARY_USAGE)
        return
    outcome = await settings.change_pair_options(context.services, user.id, anniversary=day)
    if outcome is settings.SettingOutcome.EXPIRED:
        await message.reply_text(texts.NOT_PAIRED)
        return
    await message.reply_text(texts.ANNIVERSARY_SET.format(day=texts.anniversary_label(day)))


async def _edit(edit: Awaitable[object]) -> None:
    try:
        await edit
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def _apply(
    context: NearerContext, user_id: int, view: common.Pairing, action: str, value: str
) -> tuple[str | None, str]:
    """Apply one button; return the screen to show next (None: expired) and an alert text."""
    services = context.services
    pair_id = view.pair.id
    screens = (
        "main", "time", "zone", "freq", "topics", "depth", "quiet", "hours", "pace", "stage",
        "heat", "done",
    )  # fmt: skip
    if action in screens and not value:
        return action, ""
    if action == "t" and value in {t.replace(":", "") for t in TIMES}:
        send_time = dt.time(int(value[:2]), int(value[2:]))
        await settings.change_schedule(services, user_id, send_time=send_time)
        return "main", ""
    if action == "z" and value.isdigit() and int(value) < len(ZONES):
        await settings.change_schedule(services, user_id, timezone=ZONES[int(value)])
        return "main", ""
    if action == "f" and value in {f.value for f in Frequency}:
        await settings.change_schedule(services, user_id, frequency=Frequency(value))
        return "main", ""
    if action == "c":
        outcome = await settings.change_preferences(
            services, user_id, pair_id, toggle_category=value
        )
        return ("topics", _ALERTS[outcome]) if outcome in _ALERTS else (None, "")
    if action == "x" and value in settings.HEATS:
        outcome = await settings.change_heat(services, user_id, pair_id, value)
        return ("heat", _ALERTS[outcome]) if outcome in _ALERTS else (None, "")
    if action == "p" and value in settings.PACES:
        await settings.change_pair_options(services, user_id, pair_id, pace=value)
        return "main", ""
    if action == "g" and value in {s or "none" for s in settings.STAGES}:
        stage = "" if value == "none" else value
        await settings.change_pair_options(services, user_id, pair_id, stage=stage)
        return "main", ""
    if action == "apart" and value in ("on", "off"):
        await settings.change_pair_options(services, user_id, pair_id, apart=value == "on")
        return "main", ""
    if action == "d" and value in {d.value for d in DepthPreference}:
        await settings.change_preferences(services, user_id, pair_id, depth=DepthPreference(value))
        return "main", ""
    if action == "rem" and value in ("on", "off"):
        await settings.change_personal(services, user_id, reminders_on=value == "on")
        return "main", ""
    if action == "nud" and value in ("on", "off"):
        await settings.change_personal(services, user_id, nudges_on=value == "on")
        return "main", ""
    if action == "h" and value.isdigit() and int(value) in REMINDER_HOURS:
        await settings.change_personal(services, user_id, reminder_hours=int(value))
        return "main", ""
    if action == "q" and value.isdigit() and int(value) < len(QUIET_PRESETS):
        start, end = QUIET_PRESETS[int(value)]
        quiet = (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        await settings.change_personal(services, user_id, quiet=quiet)
        return "main", ""
    return None, ""
