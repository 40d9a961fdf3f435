"""The one renderer: an outbox row's kind and parameters, and what it refers to, become Bot API
calls at send time, with words from the catalogue (`bot.texts`).

Outbox rows hold no finished text: a notice is a key and its parameters, a question refers to
its prompt. Rendering here is pure: the delivery pump reads what a row refers to (a `View`) and
passes it in with the moment of sending and the recipient's language (`bot.i18n.Language`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import keyboards, texts
from bot.domain.models import Answer, AnswerKind, Frequency, Person, Prompt, Schedule
from bot.domain.outbox import MessageKind, Notice, OutboxItem
from bot.i18n import Language, Texts
from bot.localized import Wording


@dataclass(frozen=True)
class Part:
    """One Bot API call that delivers a piece of an outbox row."""

    text: str | None = None
    copy_from: tuple[int, int] | None = None  # (chat_id, message_id) of the original answer
    fallback_text: str | None = None  # sent when the original can no longer be copied
    prompt_id: int | None = None  # remember that this message carried the prompt
    nudge_id: int | None = None  # remember that this message carried the nudge
    reply_markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class View:
    """What a row refers to, as stored when it is sent."""

    prompt: Prompt | None = None
    partner_id: int | None = None
    partner_name: str | None = None
    author_name: str | None = None
    answers: tuple[Answer, ...] = ()
    nudge_id: int | None = None
    nudge_content_id: str | None = None
    reader: Person | None = None  # the recipient: their language
    extra: Mapping[str, Any] = field(default_factory=dict)


def _schedule(params: Mapping[str, Any]) -> Schedule:
    return Schedule(
        timezone=str(params.get("timezone", "UTC")),
        send_time=dt.time.fromisoformat(str(params.get("send_time", "09:00"))),
        frequency=Frequency(str(params.get("frequency", Frequency.DAILY.value))),
    )


def _moment(value: Any) -> dt.datetime | None:
    return None if not value else dt.datetime.fromisoformat(str(value))


def _name(value: Any, t: Texts) -> str:
    return texts.esc(str(value)) if value else t(texts.YOUR_PARTNER)


def pause_label(until: dt.datetime | None, timezone: str, t: Texts) -> str:
    """Describe how long a pause lasts: 'until you resume' or 'until Thursday 24 December'."""
    if until is None:
        return t(texts.PAUSE_UNTIL_RESUMED)
    day = until.astimezone(ZoneInfo(timezone)).date()
    return t(texts.PAUSE_UNTIL, date=t.date(day, year=True))


def prompt_text(prompt: Prompt, wording: Wording, t: Texts) -> str:
    """A question's words in the reader's language: the library's translation of the question
    it was made from (its version for couples apart when that is what was sent), or what a
    partner wrote with /ask as they wrote it."""
    if prompt.text == texts.DELETED_QUESTION:
        return t(texts.DELETED_QUESTION)
    return wording.prompt_text(prompt)


def render(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    """Turn an outbox row into the Bot API calls that deliver it, in the recipient's language
    (none: nothing to send)."""
    renderer = _RENDERERS.get(item.kind)
    return [] if renderer is None else renderer(item, view, lang, now)


def _text_parts(text: str, **first: Any) -> list[Part]:
    parts = [Part(text=chunk) for chunk in texts.chunks(text)]
    return [replace(parts[0], **first), *parts[1:]] if parts and first else parts


# Notices --------------------------------------------------------------------------------------


def _notice_text(
    notice: Notice, params: Mapping[str, Any], view: View, lang: Language, now: dt.datetime
) -> str:
    t = lang.texts
    name = _name(params.get("name"), t)
    if notice is Notice.PAIRED:
        return t.paired(str(params.get("partner", "")), _schedule(params))
    if notice is Notice.UNPAIRED:
        return t(texts.UNPAIR_PARTNER, name=name)
    if notice is Notice.HEART:
        return t(texts.HEART_RECEIVED, name=name)
    if notice is Notice.REACTION:
        template = (
            texts.REACTION_TALK if params.get("reaction") == "talk" else texts.REACTION_HEART
        )
        question = prompt_text(view.prompt, lang.wording, t) if view.prompt else ""
        return t(template, name=name, question=texts.esc(question))
    if notice is Notice.UNREACHABLE:
        return t(texts.PARTNER_UNREACHABLE, name=name)
    if notice is Notice.PAUSE_ENDED:
        when = t.next_time(_moment(params.get("next")), _schedule(params), now)
        return t(texts.PAUSE_ENDED, when=when)
    if notice is Notice.PARTNER_BACK:
        return t(texts.PARTNER_BACK, name=name)
    if notice is Notice.STREAK:
        return t.count(texts.STREAK_MILESTONE, int(params.get("count", 0)))
    return t(texts.DELETE_PARTNER)


def _render_notice(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    if "text" in item.payload:  # a row queued before rows held parameters
        return _text_parts(str(item.payload["text"]))
    try:
        notice = Notice(str(item.payload.get("notice")))
    except ValueError:
        return []
    return _text_parts(_notice_text(notice, item.payload.get("params") or {}, view, lang, now))


def _change_text(change: Mapping[str, Any], lang: Language, now: dt.datetime) -> str:
    t = lang.texts
    what = change.get("what")
    if what == "paused":
        until = _moment(change.get("until"))
        return t(
            texts.CHANGE_PAUSED, until=pause_label(until, str(change.get("timezone", "UTC")), t)
        )
    if what == "resumed":
        when = t.next_time(_moment(change.get("next")), _schedule(change), now)
        return t(texts.CHANGE_RESUMED, when=when)
    if what == "schedule":
        schedule = _schedule(change)
        return t(
            texts.CHANGE_SCHEDULE,
            when=t.when(schedule),
            next=t.next_time(_moment(change.get("next")), schedule, now),
        )
    if what == "frequency":
        frequency = texts.FREQUENCY_NAMES.get(str(change.get("frequency")), "")
        return t(texts.CHANGE_FREQUENCY, frequency=t(frequency))
    if what == "topic":
        category = lang.wording.category(str(change.get("category")))
        name = category.name if category else str(change.get("category", ""))
        state = t(texts.ON if change.get("on") else texts.OFF)
        return t(texts.CHANGE_TOPIC, topic=texts.esc(name), state=state)
    if what == "depth":
        depth = texts.DEPTH_NAMES.get(str(change.get("depth")), "")
        return t(texts.CHANGE_DEPTH, depth=t(depth))
    return str(change.get("text", ""))  # a change queued before changes held parameters


def _render_changes(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    t = lang.texts
    changes = item.payload.get("changes") or {}
    lines = [_change_text(entry.get("change") or entry, lang, now) for entry in changes.values()]
    lines = [line for line in lines if line]
    name = _name(item.payload.get("from_name"), t)
    if not lines:
        return []
    if len(lines) == 1:
        text = t(texts.CHANGES_ONE, name=name, change=lines[0])
    else:
        items = "\n".join(t(texts.CHANGES_ITEM, change=line) for line in lines)
        text = t(texts.CHANGES_MANY, name=name, changes=items)
    return _text_parts(text)


# Questions, exercises, reminders and nudges ---------------------------------------------------


def _note_text(note: Mapping[str, Any] | None, t: Texts) -> str | None:
    if not note:
        return None
    if note.get("key") == "skipped":
        return t(texts.SKIPPED_NOTE)
    if note.get("key") == "skipped_partner":
        return t(texts.SKIPPED_PARTNER_NOTE, name=_name(note.get("name"), t))
    return None


def _render_question(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    if "text" in item.payload:  # a row queued before rows held parameters
        return [Part(text=str(item.payload["text"]), prompt_id=item.prompt_id)]
    if view.prompt is None:
        return []
    t = lang.texts
    payload = item.payload
    author = payload.get("author")
    partner = payload.get("partner")
    text = t.question(
        prompt_text(view.prompt, lang.wording, t),
        str(partner) if partner else t(texts.YOUR_PARTNER),
        str(author) if author else None,
    )
    note = _note_text(payload.get("note"), t)
    if note:
        text = f"{note}\n\n{text}"
    return [Part(text=text, prompt_id=view.prompt.id)]


def _render_exercise(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    exercise = lang.wording.exercise(view.prompt.content_id) if view.prompt else None
    return [] if exercise is None else _text_parts(lang.texts.exercise(exercise))


def _render_reminder(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    if view.prompt is None:
        return []
    t = lang.texts
    partner_answered = item.payload.get("partner_answered")
    template = texts.REMINDER_PARTNER_ANSWERED if partner_answered else texts.REMINDER
    question = texts.esc(prompt_text(view.prompt, lang.wording, t))
    text = t(template, partner=_name(view.partner_name, t), question=question)
    return [Part(text=text, prompt_id=view.prompt.id)]


def _render_nudge(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    prompt = lang.wording.prompt(view.nudge_content_id)
    if prompt is None or view.nudge_id is None:
        return []
    t = lang.texts
    text = t(texts.NUDGE, prompt=texts.esc(prompt.text), partner=_name(view.partner_name, t))
    return [Part(text=text, nudge_id=view.nudge_id)]


# Answers passed on ----------------------------------------------------------------------------


def _render_reveal(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    prompt = view.prompt
    theirs = next((a for a in view.answers if a.user_id == view.partner_id), None)
    if prompt is None or theirs is None:
        return []
    t = lang.texts
    partner = _name(view.partner_name, t)
    question = texts.esc(prompt_text(prompt, lang.wording, t))
    header = t(texts.REVEAL_HEADER, question=question, partner=partner)
    reactions = keyboards.reveal_reactions(prompt.id, t)
    if theirs.kind is AnswerKind.TEXT:
        parts = _text_parts(f"{header}\n\n{texts.esc(theirs.text)}")
        parts[-1] = replace(parts[-1], reply_markup=reactions)
        return parts
    fallback = texts.esc(theirs.text) or t(
        texts.REVEAL_MEDIA_FALLBACK, partner=partner, kind=t(texts.KIND_NAMES[theirs.kind])
    )
    return [
        Part(text=header),
        Part(
            copy_from=(theirs.chat_id, theirs.message_id),
            fallback_text=fallback,
            reply_markup=reactions,
        ),
    ]


def _render_gift(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    t = lang.texts
    payload = item.payload
    nudge_id = int(payload.get("nudge_id", 0))
    header = t(texts.GIFT_HEADER, name=_name(payload.get("from_name"), t))
    heart = keyboards.heart_back(nudge_id, t)
    text = str(payload.get("text", ""))
    if payload.get("kind") == AnswerKind.TEXT.value:
        parts = _text_parts(f"{header}\n\n{texts.esc(text)}")
        parts[-1] = replace(parts[-1], reply_markup=heart)
        return parts
    kind = texts.KIND_NAMES.get(
        AnswerKind(payload.get("kind", "text")), texts.KIND_NAMES[AnswerKind.TEXT]
    )
    return [
        Part(text=header),
        Part(
            copy_from=(int(payload.get("from_chat", 0)), int(payload.get("message_id", 0))),
            fallback_text=texts.esc(text) or f"({t(kind)})",
            reply_markup=heart,
        ),
    ]


_Renderer = Callable[[OutboxItem, View, Language, dt.datetime], list[Part]]
_RENDERERS: dict[MessageKind, _Renderer] = {
    MessageKind.NOTICE: _render_notice,
    MessageKind.CHANGES: _render_changes,
    MessageKind.QUESTION: _render_question,
    MessageKind.EXERCISE: _render_exercise,
    MessageKind.REMINDER: _render_reminder,
    MessageKind.NUDGE: _render_nudge,
    MessageKind.REVEAL: _render_reveal,
    MessageKind.GIFT: _render_gift,
}
