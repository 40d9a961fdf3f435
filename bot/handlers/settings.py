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
from bot.keyboards import webapp_row
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
        [_button(texts.SETTINGS_BUTTON_HOURS, p, "hours")],
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
        *webapp_row(context.services.settings.webapp_url, tab="settings"),
        [_button(texts.BUTTON_CLOSE, p, "done")],
    ]
    return text, InlineKeyboardMarkup(keyboard)


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
            mark = "✅" if category_is_on(category, pair.preferences) else "⬜"
            lock = " 🔒" if category.sensitive else ""
            buttons.append(_button(f"{mark} {category.name}{lock}", p, f"c:{category.id}"))
        return texts.SETTINGS_TOPICS, InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "depth":
        current = pair.preferences.depth.value
        text = texts.SETTINGS_DEPTH.format(depth=texts.DEPTH_NAMES[current])
        return text, _choices(p, "d", texts.DEPTH_NAMES, current, width=2)
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
    screens = ("main", "time", "zone", "freq", "topics", "depth", "quiet", "hours", "done")
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
        if outcome is settings.SettingOutcome.REFUSED:
            return "topics", texts.SETTINGS_LAST_TOPIC
        return ("topics", "") if outcome is settings.SettingOutcome.CHANGED else (None, "")
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
