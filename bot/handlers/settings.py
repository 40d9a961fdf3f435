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
from bot.handlers.common import sender, texts_for
from bot.i18n import Texts
from bot.usecases import common, settings

log = logging.getLogger(__name__)

TIMES, ZONES = settings.TIMES, settings.ZONES
REMINDER_HOURS, QUIET_PRESETS = settings.REMINDER_HOURS, settings.QUIET_PRESETS


def _button(label: str, pair_id: int, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"s:{pair_id}:{action}")


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _choices(
    pair_id: int, action: str, labels: dict[str, str], current: str, *, width: int, t: Texts
) -> InlineKeyboardMarkup:
    """A screen of options (value -> label) with the current one ticked, and a back button."""
    buttons = [
        _button(f"✅ {t(label)}" if value == current else t(label), pair_id, f"{action}:{value}")
        for value, label in labels.items()
    ]
    return InlineKeyboardMarkup(
        [*_rows(buttons, width), [_button(t(texts.BUTTON_BACK), pair_id, "main")]]
    )


def _flip(on: bool) -> str:
    return "off" if on else "on"


def _quiet_label(start: dt.time, end: dt.time, t: Texts) -> str:
    if start == end:
        return t(texts.QUIET_OFF)
    return f"{start.strftime('%H:%M')}–{end.strftime('%H:%M')}"


def _main(
    view: common.Pairing, context: NearerContext, t: Texts
) -> tuple[str, InlineKeyboardMarkup]:
    pair, person = view.pair, view.person
    categories = context.services.library.categories.values()
    on = sum(category_is_on(category, pair.preferences) for category in categories)
    text = t(
        texts.SETTINGS,
        when=t.when(pair.schedule),
        frequency=t(texts.FREQUENCY_NAMES[pair.schedule.frequency.value]),
        topics=t(texts.SETTINGS_TOPICS_COUNT, on=on, total=len(categories)),
        depth=t(texts.DEPTH_NAMES[pair.preferences.depth.value]),
        reminders=t(texts.ON) if person.reminders_on else t(texts.OFF),
        hours=person.reminder_hours,
        nudges=t(texts.ON) if person.nudges_on else t(texts.OFF),
        quiet=_quiet_label(person.quiet_start, person.quiet_end, t),
        language=t.language_name,
    )
    p = pair.id
    reminders = t(texts.ON) if person.reminders_on else t(texts.OFF)
    nudges = t(texts.ON) if person.nudges_on else t(texts.OFF)
    keyboard = [
        [
            _button(t(texts.SETTINGS_BUTTON_TIME), p, "time"),
            _button(t(texts.SETTINGS_BUTTON_ZONE), p, "zone"),
        ],
        [
            _button(t(texts.SETTINGS_BUTTON_FREQUENCY), p, "freq"),
            _button(t(texts.SETTINGS_BUTTON_TOPICS), p, "topics"),
        ],
        [
            _button(t(texts.SETTINGS_BUTTON_DEPTH), p, "depth"),
            _button(t(texts.SETTINGS_BUTTON_QUIET), p, "quiet"),
        ],
        [
            _button(t(texts.SETTINGS_BUTTON_HOURS), p, "hours"),
            _button(t(texts.SETTINGS_BUTTON_LANGUAGE), p, "lang"),
        ],
        [
            # Each button names the state it sets, so a press handled twice (a repeat after a
            # crash) sets it twice rather than flipping it back.
            _button(
                t(texts.SETTINGS_BUTTON_REMINDERS, state=reminders),
                p,
                f"rem:{_flip(person.reminders_on)}",
            ),
            _button(
                t(texts.SETTINGS_BUTTON_NUDGES, state=nudges),
                p,
                f"nud:{_flip(person.nudges_on)}",
            ),
        ],
        [_button(t(texts.BUTTON_CLOSE), p, "done")],
    ]
    return text, InlineKeyboardMarkup(keyboard)


def _submenu(
    view: common.Pairing, screen: str, context: NearerContext, t: Texts
) -> tuple[str, InlineKeyboardMarkup]:
    pair, person = view.pair, view.person
    p = pair.id
    back = [_button(t(texts.BUTTON_BACK), p, "main")]
    if screen == "time":
        buttons = [_button(time, p, "t:" + time.replace(":", "")) for time in TIMES]
        text = t(texts.SETTINGS_TIME, when=t.when(pair.schedule))
        return text, InlineKeyboardMarkup([*_rows(buttons, 4), back])
    if screen == "zone":
        buttons = [_button(zone, p, f"z:{index}") for index, zone in enumerate(ZONES)]
        text = t(texts.SETTINGS_ZONE, zone=texts.esc(pair.schedule.timezone))
        return text, InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "freq":
        current = pair.schedule.frequency.value
        text = t(texts.SETTINGS_FREQUENCY, frequency=t(texts.FREQUENCY_NAMES[current]))
        return text, _choices(p, "f", texts.FREQUENCY_NAMES, current, width=1, t=t)
    if screen == "topics":
        buttons = []
        wording = context.services.languages.get(t.code).wording
        for category in context.services.library.categories.values():
            mark = "✅" if category_is_on(category, pair.preferences) else "⬜"
            lock = " 🔒" if category.sensitive else ""
            name = (wording.category(category.id) or category).name
            buttons.append(_button(f"{mark} {name}{lock}", p, f"c:{category.id}"))
        return t(texts.SETTINGS_TOPICS), InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "depth":
        current = pair.preferences.depth.value
        text = t(texts.SETTINGS_DEPTH, depth=t(texts.DEPTH_NAMES[current]))
        return text, _choices(p, "d", texts.DEPTH_NAMES, current, width=2, t=t)
    if screen == "hours":
        hours = {str(h): t(texts.HOURS_LABEL, hours=h) for h in REMINDER_HOURS}
        text = t(texts.SETTINGS_REMINDER_HOURS, hours=person.reminder_hours)
        return text, _choices(p, "h", hours, str(person.reminder_hours), width=3, t=t)
    if screen == "lang":
        offered = context.services.languages.offered
        labels = {
            code: context.services.languages.get(code).texts.language_label for code in offered
        }
        buttons = [
            _button(f"✅ {label}" if code == t.code else label, p, f"l:{code}")
            for code, label in labels.items()
        ]
        text = t(texts.LANGUAGE_MENU, language=t.language_name)
        return text, InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "quiet":
        buttons = []
        for index, (start, end) in enumerate(QUIET_PRESETS):
            label = _quiet_label(dt.time.fromisoformat(start), dt.time.fromisoformat(end), t)
            buttons.append(_button(label, p, f"q:{index}"))
        current = _quiet_label(person.quiet_start, person.quiet_end, t)
        return t(texts.SETTINGS_QUIET, quiet=current), InlineKeyboardMarkup(
            [*_rows(buttons, 2), back]
        )
    return _main(view, context, t)


async def show_settings(update: Update, context: NearerContext) -> None:
    """Open the settings menu."""
    t = await texts_for(update, context)
    user, message = sender(update)
    view = await common.pairing_of(context.services, user.id)
    if view is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    text, keyboard = _main(view, context, t)
    await message.reply_text(text, reply_markup=keyboard)


async def press_setting(update: Update, context: NearerContext) -> None:
    """Apply a settings button and show the menu again, edited in place."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    parts = query.data.split(":")
    view = await common.pairing_of(context.services, user.id)
    if len(parts) < 3 or view is None or parts[1] != str(view.pair.id):
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    action, value = parts[2], ":".join(parts[3:])
    screen, alert = await _apply(context, user.id, view, action, value, t)
    if screen is None:
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await query.answer(alert or None)
    if screen == "done":
        await _edit(query.edit_message_text(t(texts.SETTINGS_CLOSED)))
        return
    fresh = await common.pairing_of(context.services, user.id)
    if fresh is None:
        return
    t = await texts_for(update, context)
    text, keyboard = _submenu(fresh, screen, context, t)
    await _edit(query.edit_message_text(text, reply_markup=keyboard))


async def _edit(edit: Awaitable[object]) -> None:
    try:
        await edit
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def _apply(
    context: NearerContext, user_id: int, view: common.Pairing, action: str, value: str, t: Texts
) -> tuple[str | None, str]:
    """Apply one button; return the screen to show next (None: expired) and an alert text."""
    services = context.services
    pair_id = view.pair.id
    screens = ("main", "time", "zone", "freq", "topics", "depth", "quiet", "hours", "lang", "done")
    if action in screens and not value:
        return action, ""
    if action == "t" and value in {time.replace(":", "") for time in TIMES}:
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
            return "topics", t(texts.SETTINGS_LAST_TOPIC)
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
    if action == "l" and await settings.choose_language(services, user_id, value) is not None:
        context.sender_texts = None  # the menu is shown again in the new language
        return "main", ""
    if action == "q" and value.isdigit() and int(value) < len(QUIET_PRESETS):
        start, end = QUIET_PRESETS[int(value)]
        quiet = (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        await settings.change_personal(services, user_id, quiet=quiet)
        return "main", ""
    return None, ""


def _language_keyboard(context: NearerContext, current: str) -> InlineKeyboardMarkup:
    languages = context.services.languages
    buttons = []
    for code in languages.offered:
        label = languages.get(code).texts.language_label
        text = f"✅ {label}" if code == current else label
        buttons.append(InlineKeyboardButton(text, callback_data=f"lang:{code}"))
    return InlineKeyboardMarkup(_rows(buttons, 2))


async def show_languages(update: Update, context: NearerContext) -> None:
    """Offer the languages Nearer speaks: /language, or /language de to choose at once."""
    t = await texts_for(update, context)
    user, message = sender(update)
    wanted = " ".join(context.args or []).strip()
    if wanted:
        chosen = await settings.choose_language_named(context.services, user.id, wanted)
        if chosen is not None:
            await message.reply_text(
                chosen.texts(texts.LANGUAGE_SET, language=chosen.texts.language_name)
            )
            return
        names = ", ".join(
            context.services.languages.get(code).texts.language_label
            for code in context.services.languages.offered
        )
        await message.reply_text(
            t(texts.LANGUAGE_UNKNOWN, languages=names),
            reply_markup=_language_keyboard(context, t.code),
        )
        return
    await message.reply_text(
        t(texts.LANGUAGE_MENU, language=t.language_name),
        reply_markup=_language_keyboard(context, t.code),
    )


async def press_language(update: Update, context: NearerContext) -> None:
    """Choose a language from the /language buttons; the message changes in place."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    chosen = await settings.choose_language(
        context.services, user.id, query.data.removeprefix("lang:")
    )
    if chosen is None:
        t = await texts_for(update, context)
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await query.answer()
    text = chosen.texts(texts.LANGUAGE_SET, language=chosen.texts.language_name)
    await _edit(query.edit_message_text(text))
