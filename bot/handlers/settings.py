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
    return "⏳" if asked else "⬜"  # ⏳: asked for, waiting for the partner's yes


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
        when=t.when(person.clock(pair)),
        frequency=t(texts.FREQUENCY_NAMES[pair.schedule.frequency.value]),
        topics=t(texts.SETTINGS_TOPICS_COUNT, on=on, total=len(categories)),
        depth=t(texts.DEPTH_NAMES[pair.preferences.depth.value]),
        reminders=t(texts.ON) if person.reminders_on else t(texts.OFF),
        hours=person.reminder_hours,
        nudges=t(texts.ON) if person.nudges_on else t(texts.OFF),
        quiet=_quiet_label(person.quiet_start, person.quiet_end, t),
        language=t.language_name,
    )
    anniversary = pair.anniversary
    extra = t(
        texts.SETTINGS_EXTRA,
        apart=t(texts.ON) if pair.apart else t(texts.OFF),
        stage=t(texts.STAGE_NAMES.get(pair.stage or "", "")),
        anniversary=(
            t.date(anniversary, weekday=False) if anniversary else t(texts.ANNIVERSARY_UNSET)
        ),
        pace=t(texts.PACE_NAMES.get(pair.sensitive_pace, "")),
        heat=t(texts.HEAT_NAMES.get(pair.heat, "")),
    )
    text = text.replace("\n\n<i>", f"\n{extra}\n\n<i>", 1)
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
            _button(t(texts.SETTINGS_BUTTON_PACE), p, "pace"),
            _button(t(texts.SETTINGS_BUTTON_STAGE), p, "stage"),
            _button(t(texts.SETTINGS_BUTTON_HEAT), p, "heat"),
        ],
        [_button(t(texts.SETTINGS_BUTTON_SERIES), p, "series")],
        [
            # Names the state it sets, like the toggles below.
            _button(
                t(texts.SETTINGS_BUTTON_APART, state=t(texts.ON if pair.apart else texts.OFF)),
                p,
                f"apart:{_flip(pair.apart)}",
            ),
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
        *webapp_row(context.services.settings.webapp_url, t, tab="settings"),
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
        text = t(texts.SETTINGS_TIME, when=t.when(person.clock(pair)))
        return text, InlineKeyboardMarkup([*_rows(buttons, 4), back])
    if screen == "zone":
        buttons = [_button(zone, p, f"z:{index}") for index, zone in enumerate(ZONES)]
        text = t(texts.SETTINGS_ZONE, zone=texts.esc(person.clock(pair).timezone))
        return text, InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "freq":
        current = pair.schedule.frequency.value
        text = t(texts.SETTINGS_FREQUENCY, frequency=t(texts.FREQUENCY_NAMES[current]))
        return text, _choices(p, "f", texts.FREQUENCY_NAMES, current, width=1, t=t)
    if screen == "topics":
        buttons = []
        wording = context.services.languages.get(t.code).wording
        for category in context.services.library.categories.values():
            on = category_is_on(category, pair.preferences)
            mark = _topic_mark(on, category.id in view.asked_topics)
            lock = " 🔒" if category.sensitive else ""
            name = (wording.category(category.id) or category).name
            buttons.append(_button(f"{mark} {name}{lock}", p, f"c:{category.id}"))
        return t(texts.SETTINGS_TOPICS), InlineKeyboardMarkup([*_rows(buttons, 2), back])
    if screen == "depth":
        current = pair.preferences.depth.value
        text = t(texts.SETTINGS_DEPTH, depth=t(texts.DEPTH_NAMES[current]))
        return text, _choices(p, "d", texts.DEPTH_NAMES, current, width=2, t=t)
    if screen == "pace":
        current = pair.sensitive_pace
        text = t(texts.SETTINGS_PACE, pace=t(texts.PACE_NAMES.get(current, "")))
        return text, _choices(p, "p", texts.PACE_NAMES, current, width=1, t=t)
    if screen == "stage":
        current = pair.stage or ""
        text = t(texts.SETTINGS_STAGE, stage=t(texts.STAGE_NAMES.get(current, "")))
        stages = {key or "none": label for key, label in texts.STAGE_NAMES.items()}
        return text, _choices(p, "g", stages, current or "none", width=2, t=t)
    if screen == "series":
        wording = context.services.languages.get(t.code).wording
        buttons = []
        for category in context.services.library.categories.values():
            if category_is_on(category, pair.preferences):
                name = (wording.category(category.id) or category).name
                label = f"✅ {name}" if category.id == pair.series else name
                buttons.append(_button(label, p, f"sr:{category.id}"))
        rows = _rows(buttons, 2)
        if pair.series:
            rows.append([_button(t(texts.SERIES_STOP), p, "sr:stop")])
        return t(texts.SETTINGS_SERIES), InlineKeyboardMarkup([*rows, back])
    if screen == "heat":
        text = t(texts.SETTINGS_HEAT, heat=t(texts.HEAT_NAMES.get(pair.heat, "")))
        buttons = []
        for level, name in texts.HEAT_NAMES.items():
            label = t(name)
            if level == pair.heat:
                label = f"✅ {label}"
            elif f"{settings.HEAT_KEY}{level}" in view.asked_topics:
                label = f"⏳ {label}"  # asked for, waiting for the partner's yes
            buttons.append(_button(label, p, f"x:{level}"))
        return text, InlineKeyboardMarkup([*_rows(buttons, 3), back])
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
    screens = (
        "main", "time", "zone", "freq", "topics", "depth", "quiet", "hours", "lang", "pace",
        "stage", "heat", "series", "done",
    )  # fmt: skip
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
        return ("topics", t(_ALERTS[outcome])) if outcome in _ALERTS else (None, "")
    if action == "x" and value in settings.HEATS:
        outcome = await settings.change_heat(services, user_id, pair_id, value)
        return ("heat", t(_ALERTS[outcome])) if outcome in _ALERTS else (None, "")
    if action == "sr" and value:
        chosen = None if value == "stop" else value
        outcome = await settings.choose_series(services, user_id, pair_id, chosen)
        alerts = {
            settings.SettingOutcome.TURNED_ON: t(texts.SERIES_STARTED),
            settings.SettingOutcome.TURNED_OFF: t(texts.SERIES_STOPPED),
            settings.SettingOutcome.CHANGED: "",
        }
        return ("main", alerts[outcome]) if outcome in alerts else (None, "")
    if action == "p" and value in settings.PACES:
        await settings.change_pair_options(services, user_id, pair_id, pace=value)
        return "main", ""
    if action == "g" and value in {stage or "none" for stage in settings.STAGES}:
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


async def answer_consent(update: Update, context: NearerContext) -> None:
    """The partner's yes or not now to an opt-in topic (or a higher heat), asked privately."""
    t = await texts_for(update, context)
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
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await query.answer()
    done = outcome is settings.SettingOutcome.TURNED_ON
    await _edit(query.edit_message_text(t(texts.CONSENT_DONE if done else texts.CONSENT_DECLINED)))


async def set_anniversary(update: Update, context: NearerContext) -> None:
    """/anniversary YYYY-MM-DD: the day an anniversary question replaces the daily one."""
    t = await texts_for(update, context)
    user, message = sender(update)
    raw = " ".join(context.args or []).strip()
    try:
        day: dt.date | None = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or day > context.services.clock().date() or day.year < 1900:
        await message.reply_text(t(texts.ANNIVERSARY_USAGE))
        return
    outcome = await settings.change_pair_options(context.services, user.id, anniversary=day)
    if outcome is settings.SettingOutcome.EXPIRED:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    await message.reply_text(t(texts.ANNIVERSARY_SET, day=t.date(day, weekday=False)))
