"""The one renderer: an outbox row's kind and parameters, and what it refers to, become Bot API
calls at send time, with words from the catalogue (`bot.texts`).

Outbox rows hold no finished text: a notice is a key and its parameters, a question refers to
its prompt. Rendering here is pure: the delivery pump reads what a row refers to (a `View`) and
passes it in with the moment of sending. This is where the recipient's language will apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import keyboards, texts
from bot.content import Library
from bot.domain.models import Answer, AnswerKind, Frequency, Prompt, Schedule
from bot.domain.outbox import MessageKind, Notice, OutboxItem
from bot.domain.selection import CHOICE_FORMATS, Format, LibraryQuestion


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
    extra: Mapping[str, Any] = field(default_factory=dict)


def _schedule(params: Mapping[str, Any]) -> Schedule:
    return Schedule(
        timezone=str(params.get("timezone", "UTC")),
        send_time=dt.time.fromisoformat(str(params.get("send_time", "09:00"))),
        frequency=Frequency(str(params.get("frequency", Frequency.DAILY.value))),
    )


def _moment(value: Any) -> dt.datetime | None:
    return None if not value else dt.datetime.fromisoformat(str(value))


def _name(value: Any, fallback: str = texts.YOUR_PARTNER) -> str:
    return texts.esc(str(value)) if value else fallback


def pause_label(until: dt.datetime | None, timezone: str) -> str:
    """Describe how long a pause lasts: 'until you resume' or 'until Thursday 24 December'."""
    if until is None:
        return texts.PAUSE_UNTIL_RESUMED
    day = until.astimezone(ZoneInfo(timezone)).strftime("%A %d %B %Y")
    return texts.PAUSE_UNTIL.format(date=day)


def render(item: OutboxItem, view: View, library: Library, now: dt.datetime) -> list[Part]:
    """Turn an outbox row into the Bot API calls that deliver it (none: nothing to send)."""
    renderer = _RENDERERS.get(item.kind)
    return [] if renderer is None else renderer(item, view, library, now)


def _text_parts(text: str, **first: Any) -> list[Part]:
    parts = [Part(text=chunk) for chunk in texts.chunks(text)]
    return [replace(parts[0], **first), *parts[1:]] if parts and first else parts


def _ending(text: str, **last: Any) -> list[Part]:
    """`text` in pieces, the last carrying `last` (buttons, the prompt it belongs to)."""
    parts = _text_parts(text)
    return [*parts[:-1], replace(parts[-1], **last)]


# Notices --------------------------------------------------------------------------------------


def _notice_text(
    notice: Notice, params: Mapping[str, Any], view: View, library: Library, now: dt.datetime
) -> str:
    if notice is Notice.PAIRED:
        return texts.paired(str(params.get("partner", "")), _schedule(params))
    if notice is Notice.UNPAIRED:
        return texts.UNPAIR_PARTNER.format(name=_name(params.get("name")))
    if notice is Notice.HEART:
        return texts.HEART_RECEIVED.format(name=_name(params.get("name")))
    if notice is Notice.REACTION:
        template = (
            texts.REACTION_TALK if params.get("reaction") == "talk" else texts.REACTION_HEART
        )
        question = view.prompt.text if view.prompt else ""
        return template.format(name=_name(params.get("name")), question=texts.esc(question))
    if notice is Notice.UNREACHABLE:
        return texts.PARTNER_UNREACHABLE.format(name=_name(params.get("name")))
    if notice is Notice.PAUSE_ENDED:
        when = texts.next_time(_moment(params.get("next")), _schedule(params), now)
        return texts.PAUSE_ENDED.format(when=when)
    if notice is Notice.PARTNER_BACK:
        return texts.PARTNER_BACK.format(name=_name(params.get("name")))
    if notice is Notice.STREAK:
        return texts.STREAK_MILESTONE.format(count=int(params.get("count", 0)))
    if notice is Notice.GUESS_VERDICT:
        template = (
            texts.GUESS_VERDICT_RIGHT if params.get("right") else texts.GUESS_VERDICT_NOT_QUITE
        )
        question = view.prompt.text if view.prompt else ""
        return template.format(name=_name(params.get("name")), question=texts.esc(question))
    if notice is Notice.TOPIC_ON:
        return _topic_on_text(params, library)
    return texts.DELETE_PARTNER


def _render_notice(item: OutboxItem, view: View, library: Library, now: dt.datetime) -> list[Part]:
    if "text" in item.payload:  # a row queued before rows held parameters
        return _text_parts(str(item.payload["text"]))
    try:
        notice = Notice(str(item.payload.get("notice")))
    except ValueError:
        return []
    params = item.payload.get("params") or {}
    return _text_parts(_notice_text(notice, params, view, library, now))


def _change_text(change: Mapping[str, Any], library: Library, now: dt.datetime) -> str:
    what = change.get("what")
    if what == "paused":
        until = _moment(change.get("until"))
        return texts.CHANGE_PAUSED.format(
            until=pause_label(until, str(change.get("timezone", "UTC")))
        )
    if what == "resumed":
        when = texts.next_time(_moment(change.get("next")), _schedule(change), now)
        return texts.CHANGE_RESUMED.format(when=when)
    if what == "schedule":
        schedule = _schedule(change)
        return texts.CHANGE_SCHEDULE.format(
            when=texts.when(schedule),
            next=texts.next_time(_moment(change.get("next")), schedule, now),
        )
    if what == "frequency":
        frequency = texts.FREQUENCY_NAMES.get(str(change.get("frequency")), "")
        return texts.CHANGE_FREQUENCY.format(frequency=frequency)
    if what == "topic":
        category = library.categories.get(str(change.get("category")))
        name = category.name if category else str(change.get("category", ""))
        state = texts.ON if change.get("on") else texts.OFF
        return texts.CHANGE_TOPIC.format(topic=texts.esc(name), state=state)
    if what == "depth":
        return texts.CHANGE_DEPTH.format(depth=texts.DEPTH_NAMES.get(str(change.get("depth")), ""))
    if what == "pace":
        return texts.CHANGE_PACE.format(pace=texts.PACE_NAMES.get(str(change.get("pace")), ""))
    if what == "apart":
        return texts.CHANGE_APART if change.get("apart") else texts.CHANGE_TOGETHER
    if what == "stage":
        return texts.CHANGE_STAGE.format(stage=texts.STAGE_NAMES.get(str(change.get("stage")), ""))
    if what == "anniversary":
        day = dt.date.fromisoformat(str(change.get("day")))
        return texts.CHANGE_ANNIVERSARY.format(day=texts.anniversary_label(day))
    return str(change.get("text", ""))  # a change queued before changes held parameters


def _render_changes(
    item: OutboxItem, view: View, library: Library, now: dt.datetime
) -> list[Part]:
    changes = item.payload.get("changes") or {}
    lines = [
        _change_text(entry.get("change") or entry, library, now) for entry in changes.values()
    ]
    lines = [line for line in lines if line]
    name = _name(item.payload.get("from_name"))
    if not lines:
        return []
    if len(lines) == 1:
        text = texts.CHANGES_ONE.format(name=name, change=lines[0])
    else:
        items = "\n".join(texts.CHANGES_ITEM.format(change=line) for line in lines)
        text = texts.CHANGES_MANY.format(name=name, changes=items)
    return _text_parts(text)


# Questions, exercises, reminders and nudges ---------------------------------------------------


def _note_text(note: Mapping[str, Any] | None) -> str | None:
    if not note:
        return None
    if note.get("key") == "skipped":
        return texts.SKIPPED_NOTE
    if note.get("key") == "skipped_partner":
        return texts.SKIPPED_PARTNER_NOTE.format(name=_name(note.get("name")))
    if note.get("key") == "occasion":
        return texts.OCCASION_NOTE.format(name=texts.esc(str(note.get("name", ""))))
    return None


def _library_question(view: View, library: Library) -> LibraryQuestion | None:
    found = library.question(view.prompt.content_id) if view.prompt else None
    return found if isinstance(found, LibraryQuestion) else None


def _question_body(
    prompt: Prompt, question: LibraryQuestion | None, partner: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question in its format's words, with the buttons that answer it."""
    kind = question.format if question is not None else Format.OPEN
    values = {"question": texts.esc(prompt.text), "partner": texts.esc(partner)}
    if question is not None and kind in CHOICE_FORMATS:
        return texts.QUESTION_PICK.format(**values), keyboards.picks(prompt.id, question.options)
    if question is not None and kind is Format.RATE:
        low, high = texts.esc(question.low), texts.esc(question.high)
        text = texts.QUESTION_RATE.format(low=low, high=high, **values)
        return text, keyboards.rating(prompt.id)
    if kind is Format.GUESS:
        return texts.QUESTION_GUESS.format(**values), None
    if kind is Format.FINISH:
        return texts.QUESTION_FINISH.format(**values), None
    return texts.QUESTION.format(**values), None


def _render_question(
    item: OutboxItem, view: View, library: Library, now: dt.datetime
) -> list[Part]:
    if "text" in item.payload:  # a row queued before rows held parameters
        return [Part(text=str(item.payload["text"]), prompt_id=item.prompt_id)]
    if view.prompt is None:
        return []
    payload = item.payload
    author = payload.get("author")
    partner = str(payload.get("partner") or texts.YOUR_PARTNER)
    markup = None
    if author:
        text = texts.question(view.prompt.text, partner, str(author))
    else:
        text, markup = _question_body(view.prompt, _library_question(view, library), partner)
    if library.supports(view.prompt.content_id):
        text = f"{text}\n\n{texts.SUPPORT_LINE}"
    note = _note_text(payload.get("note"))
    if note:
        text = f"{note}\n\n{text}"
    return [Part(text=text, prompt_id=view.prompt.id, reply_markup=markup)]


def _render_exercise(
    item: OutboxItem, view: View, library: Library, now: dt.datetime
) -> list[Part]:
    exercise = library.exercises_by_id.get(view.prompt.content_id or "") if view.prompt else None
    apart = bool(item.payload.get("apart"))
    return [] if exercise is None else _text_parts(texts.exercise(exercise, apart=apart))


def _render_reminder(
    item: OutboxItem, view: View, library: Library, now: dt.datetime
) -> list[Part]:
    if view.prompt is None:
        return []
    partner_answered = item.payload.get("partner_answered")
    template = texts.REMINDER_PARTNER_ANSWERED if partner_answered else texts.REMINDER
    text = template.format(partner=_name(view.partner_name), question=texts.esc(view.prompt.text))
    return [Part(text=text, prompt_id=view.prompt.id)]


def _render_nudge(item: OutboxItem, view: View, library: Library, now: dt.datetime) -> list[Part]:
    prompt = library.appreciation_by_id.get(view.nudge_content_id or "")
    if prompt is None or view.nudge_id is None:
        return []
    text = texts.NUDGE.format(prompt=texts.esc(prompt.text), partner=_name(view.partner_name))
    return [Part(text=text, nudge_id=view.nudge_id)]


# Answers passed on ----------------------------------------------------------------------------


def _render_reveal(item: OutboxItem, view: View, library: Library, now: dt.datetime) -> list[Part]:
    prompt = view.prompt
    theirs = next((a for a in view.answers if a.user_id == view.partner_id), None)
    mine = next((a for a in view.answers if a.user_id == item.user_id), None)
    if prompt is None or theirs is None:
        return []
    partner = _name(view.partner_name)
    question = _library_question(view, library)
    kind = question.format if question is not None else Format.OPEN
    if kind in CHOICE_FORMATS or kind is Format.RATE:
        return _reveal_picks(prompt, question, mine, theirs, partner)
    if kind is Format.GUESS:
        return _reveal_guesses(prompt, mine, theirs, partner)
    template = texts.REVEAL_FINISH_HEADER if kind is Format.FINISH else texts.REVEAL_HEADER
    header = template.format(question=texts.esc(prompt.text), partner=partner)
    return _with_answer(header, theirs, partner, keyboards.reveal_reactions(prompt.id))


def _with_answer(
    header: str, answer: Answer, partner: str, markup: InlineKeyboardMarkup | None, **first: Any
) -> list[Part]:
    """`header` followed by a partner's answer: in one text, or with their media copied."""
    if answer.kind is AnswerKind.TEXT:
        parts = _text_parts(f"{header}\n\n{texts.esc(answer.text)}", **first)
        parts[-1] = replace(parts[-1], reply_markup=markup)
        return parts
    fallback = texts.esc(answer.text) or texts.REVEAL_MEDIA_FALLBACK.format(
        partner=partner, kind=texts.KIND_NAMES[answer.kind]
    )
    return [
        Part(text=header, **first),
        Part(
            copy_from=(answer.chat_id, answer.message_id),
            fallback_text=fallback,
            reply_markup=markup,
        ),
    ]


def pick_label(question: LibraryQuestion | None, answer: Answer | None, *, own: bool) -> str:
    """A pick as words: the option, 'n out of 10', or 'in your/their own words'."""
    if answer is None or answer.choice is None or question is None:
        return texts.OWN_WORDS if own else texts.PARTNER_OWN_WORDS
    if question.format is Format.RATE:
        return texts.RATING_LABEL.format(value=answer.choice)
    if 0 <= answer.choice < len(question.options):
        return texts.esc(question.options[answer.choice])
    return texts.OWN_WORDS if own else texts.PARTNER_OWN_WORDS


def _reveal_picks(
    prompt: Prompt,
    question: LibraryQuestion | None,
    mine: Answer | None,
    theirs: Answer,
    partner: str,
) -> list[Part]:
    text = texts.REVEAL_PICKS.format(
        question=texts.esc(prompt.text),
        partner=partner,
        mine=pick_label(question, mine, own=True),
        theirs=pick_label(question, theirs, own=False),
    )
    if mine is not None and mine.choice is not None and mine.choice == theirs.choice:
        text = f"{text}\n{texts.REVEAL_SAME_PICK}"
    invite = texts.REVEAL_WHY_INVITE.format(partner=partner)
    reactions = keyboards.reveal_reactions(prompt.id)
    # The reveal's last message carries the prompt, so a reply to it (the why) finds it.
    if theirs.kind is AnswerKind.TEXT:
        if theirs.text:
            words = texts.REVEAL_THEIR_WORDS.format(partner=partner, words=texts.esc(theirs.text))
            text = f"{text}\n\n{words}"
        return _ending(f"{text}\n\n{invite}", prompt_id=prompt.id, reply_markup=reactions)
    words = texts.REVEAL_THEIR_WORDS.format(partner=partner, words="").rstrip()
    parts = _with_answer(f"{text}\n\n{words}", theirs, partner, reactions)
    return [*parts, Part(text=invite, prompt_id=prompt.id)]


def _reveal_guesses(
    prompt: Prompt, mine: Answer | None, theirs: Answer, partner: str
) -> list[Part]:
    header = texts.REVEAL_GUESS_HEADER.format(question=texts.esc(prompt.text), partner=partner)
    parts = _with_answer(header, theirs, partner, keyboards.reveal_reactions(prompt.id))
    guesses = texts.REVEAL_GUESSES.format(
        partner=partner,
        my_guess=texts.esc(mine.guess or "") if mine is not None else texts.HISTORY_DELETED,
        their_guess=texts.esc(theirs.guess or ""),
        mine=_own_answer_words(mine),
    )
    return [*parts, *_ending(guesses, reply_markup=keyboards.guess_verdict(prompt.id))]


def _own_answer_words(answer: Answer | None) -> str:
    if answer is None:
        return texts.HISTORY_DELETED
    if answer.kind is AnswerKind.TEXT:
        return texts.esc(answer.text)
    return f"[{texts.KIND_NAMES[answer.kind]}] {texts.esc(answer.text)}".strip()


def _render_why(item: OutboxItem, view: View, library: Library, now: dt.datetime) -> list[Part]:
    prompt = view.prompt
    theirs = next((a for a in view.answers if a.user_id == view.partner_id), None)
    if prompt is None or theirs is None or prompt.revealed_at is None:
        return []
    partner = _name(view.partner_name)
    header = texts.WHY_HEADER.format(partner=partner, question=texts.esc(prompt.text))
    return _with_answer(header, theirs, partner, None)


def _render_gift(item: OutboxItem, view: View, library: Library, now: dt.datetime) -> list[Part]:
    payload = item.payload
    nudge_id = int(payload.get("nudge_id", 0))
    header = texts.GIFT_HEADER.format(name=_name(payload.get("from_name")))
    heart = keyboards.heart_back(nudge_id)
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
            fallback_text=texts.esc(text) or f"({kind})",
            reply_markup=heart,
        ),
    ]


# Opt-in topics: asking the partner, and telling both it is on --------------------------------


def _topic_name(library: Library, category_id: Any) -> str:
    category = library.categories.get(str(category_id))
    return texts.esc(category.name if category else str(category_id))


def _topic_on_text(params: Mapping[str, Any], library: Library) -> str:
    heat = str(params.get("category", "")).removeprefix("heat-")
    if heat in texts.HEAT_NAMES:
        return texts.HEAT_ON.format(heat=texts.HEAT_NAMES[heat])
    pace = texts.PACE_NAMES.get(str(params.get("pace")), "")
    text = texts.TOPIC_ON.format(topic=_topic_name(library, params.get("category")), pace=pace)
    if _topic_supports(library, params.get("category")):
        text = f"{text}\n\n{texts.SUPPORT_LINE}"
    return text


def _topic_supports(library: Library, category_id: Any) -> bool:
    category = library.categories.get(str(category_id))
    return bool(getattr(category, "support", False) or getattr(category, "delicate", False))


def _render_consent(
    item: OutboxItem, view: View, library: Library, now: dt.datetime
) -> list[Part]:
    payload = item.payload
    category_id = str(payload.get("category", ""))
    category = library.categories.get(category_id)
    pair_id = int(payload.get("pair_id", 0))
    heat = category_id.removeprefix("heat-")
    if heat in texts.HEAT_NAMES and pair_id:
        text = texts.CONSENT_HEAT_ASK.format(
            name=_name(payload.get("from_name"), texts.YOUR_PARTNER_START),
            heat=texts.HEAT_NAMES[heat],
        )
        return _ending(text, reply_markup=keyboards.consent(pair_id, category_id))
    if category is None or not pair_id:
        return []
    text = texts.CONSENT_ASK.format(
        name=_name(payload.get("from_name"), texts.YOUR_PARTNER_START),
        topic=texts.esc(category.name),
        description=texts.esc(category.description),
    )
    if _topic_supports(library, category_id):
        text = f"{text}\n\n{texts.SUPPORT_LINE}"
    return _ending(text, reply_markup=keyboards.consent(pair_id, category_id))


_Renderer = Callable[[OutboxItem, View, Library, dt.datetime], list[Part]]
_RENDERERS: dict[MessageKind, _Renderer] = {
    MessageKind.NOTICE: _render_notice,
    MessageKind.CHANGES: _render_changes,
    MessageKind.QUESTION: _render_question,
    MessageKind.EXERCISE: _render_exercise,
    MessageKind.REMINDER: _render_reminder,
    MessageKind.NUDGE: _render_nudge,
    MessageKind.REVEAL: _render_reveal,
    MessageKind.GIFT: _render_gift,
    MessageKind.WHY: _render_why,
    MessageKind.CONSENT: _render_consent,
}
