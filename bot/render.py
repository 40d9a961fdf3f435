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

from telegram import ForceReply, InlineKeyboardMarkup

from bot import keyboards, texts
from bot.domain import schedule
from bot.domain.models import Answer, AnswerKind, Frequency, Person, Prompt, Schedule
from bot.domain.outbox import MessageKind, Notice, OutboxItem
from bot.domain.selection import CHOICE_FORMATS, Format, LibraryQuestion
from bot.i18n import Language, Texts


@dataclass(frozen=True)
class Part:
    """One Bot API call that delivers a piece of an outbox row."""

    text: str | None = None
    copy_from: tuple[int, int] | None = None  # (chat_id, message_id) of the original answer
    fallback_text: str | None = None  # sent when the original can no longer be copied
    prompt_id: int | None = None  # remember that this message carried the prompt
    nudge_id: int | None = None  # remember that this message carried the nudge
    silent: bool = False  # sent without a sound (bot.domain.attention decides, at send time)
    reply_markup: InlineKeyboardMarkup | ForceReply | None = None
    # Instead of a new message: edit this bot message in place (text and inline buttons)...
    edit_message_id: int | None = None
    # ...or set `reaction` (one emoji) on this message of the recipient's own.
    react_to: int | None = None
    reaction: str | None = None
    # Pin this message in the chat once sent (today's question), in place of the one pinned
    # before; a refusal never fails the row (the pump decides what was pinned before).
    pin: bool = False
    effect: str | None = None  # a message effect (sendMessage's message_effect_id) on it


# Telegram's free ❤️ message effect, played once as the reveal opens (private chats only).
REVEAL_EFFECT = "5159385139981059251"


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
    # The recipient's own clock (their zone and question time, else their pair's): every time
    # a message shows is in it.
    clock: Schedule | None = None


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
    """Describe how long a pause lasts, in the reader's zone: 'until you resume', 'until
    Thursday 24 December' (a day's start), or with the time when it ends during a day."""
    if until is None:
        return t(texts.PAUSE_UNTIL_RESUMED)
    local = until.astimezone(ZoneInfo(timezone))
    if local.time() == dt.time(0):
        return t(texts.PAUSE_UNTIL, date=t.date(local.date(), year=True))
    return t(
        texts.PAUSE_UNTIL_TIME, date=t.date(local.date(), year=True), time=local.strftime("%H:%M")
    )


def reader_clock(view: View, params: Mapping[str, Any]) -> Schedule:
    """The clock a message's times are shown in: the reader's own, else the pair's as queued."""
    return view.clock or _schedule(params)


def _next_for_reader(view: View, params: Mapping[str, Any], t: Texts, now: dt.datetime) -> str:
    """The pair's next question moment (`params["next"]`) as the reader gets it, in their own
    time and zone: 'tomorrow at 08:00 (America/New_York)'."""
    clock = reader_clock(view, params)
    moment = _moment(params.get("next"))
    if moment is not None:
        moment = max(now, schedule.personal_moment(moment, clock))
    return t.next_time(moment, clock, now)


def render(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    """Turn an outbox row into the Bot API calls that deliver it, in the recipient's language
    (none: nothing to send)."""
    renderer = _RENDERERS.get(item.kind)
    return [] if renderer is None else renderer(item, view, lang, now)


def _text_parts(text: str, **first: Any) -> list[Part]:
    parts = [Part(text=chunk) for chunk in texts.chunks(text)]
    return [replace(parts[0], **first), *parts[1:]] if parts and first else parts


def _ending(text: str, **last: Any) -> list[Part]:
    """`text` in pieces, the last carrying `last` (buttons, the prompt it belongs to)."""
    parts = _text_parts(text)
    return [*parts[:-1], replace(parts[-1], **last)]


# Notices --------------------------------------------------------------------------------------


def _notice_text(
    notice: Notice, params: Mapping[str, Any], view: View, lang: Language, now: dt.datetime
) -> str:
    t = lang.texts
    name = _name(params.get("name"), t)
    if notice is Notice.PAIRED:
        return t.paired(str(params.get("partner", "")), reader_clock(view, params))
    if notice is Notice.UNPAIRED:
        return t(texts.UNPAIR_PARTNER, name=name)
    if notice is Notice.HEART:
        return t(texts.HEART_RECEIVED, name=name)
    if notice is Notice.REACTION:
        template = (
            texts.REACTION_TALK if params.get("reaction") == "talk" else texts.REACTION_HEART
        )
        question = lang.prompt_text(view.prompt) if view.prompt else ""
        return t(template, name=name, question=texts.esc(question))
    if notice is Notice.UNREACHABLE:
        return t(texts.PARTNER_UNREACHABLE, name=name)
    if notice is Notice.PAUSE_ENDED:
        return t(texts.PAUSE_ENDED, when=_next_for_reader(view, params, t, now))
    if notice is Notice.PARTNER_BACK:
        return t(texts.PARTNER_BACK, name=name)
    if notice is Notice.STREAK:
        return t.count(texts.STREAK_MILESTONE, int(params.get("count", 0)))
    if notice is Notice.GUESS_VERDICT:
        template = (
            texts.GUESS_VERDICT_RIGHT if params.get("right") else texts.GUESS_VERDICT_NOT_QUITE
        )
        question = lang.prompt_text(view.prompt) if view.prompt else ""
        return t(template, name=name, question=texts.esc(question))
    if notice is Notice.TOPIC_ON:
        return _topic_on_text(params, lang)
    if notice is Notice.INVITE_DECLINED:
        return t(texts.INVITE_DECLINED_NOTICE, name=_name(params.get("name"), t))
    if notice is Notice.INVITE_EXPIRED:
        return t(texts.INVITE_EXPIRED_NOTICE)
    if notice is Notice.INVITE_OPENED_LATE:
        return t(texts.INVITE_OPENED_LATE_NOTICE, name=_name(params.get("name"), t))
    if notice is Notice.PARTNER_ABSENT:
        return t(texts.PARTNER_ABSENT, name=name)
    if notice is Notice.ABSENCE_PAUSED:
        return t(texts.ABSENCE_PAUSED, name=name)
    return t(texts.DELETE_PARTNER)


def zone_label(zone: str, lang: Language, now: dt.datetime) -> str:
    """A zone as a button shows it: its city in the reader's language and its time now."""
    local = now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return f"{lang.texts.city(zone)} · {local}"


def _render_notice(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    if "text" in item.payload:  # a row queued before rows held parameters
        return _text_parts(str(item.payload["text"]))
    try:
        notice = Notice(str(item.payload.get("notice")))
    except ValueError:
        return []
    if notice is Notice.ZONE_ASK:
        params = item.payload.get("params") or {}
        zones = [str(zone) for zone in params.get("zones") or []]
        choices = [(zone, zone_label(zone, lang, now)) for zone in zones]
        markup = keyboards.zone_choices(choices, lang.texts)
        return _ending(lang.texts(texts.ZONE_ASK), reply_markup=markup)
    text = _notice_text(notice, item.payload.get("params") or {}, view, lang, now)
    if notice in _NEW_LINK_NOTICES:  # the inviter makes a fresh link with one tap
        return _ending(text, reply_markup=keyboards.new_invite(lang.texts))
    return _text_parts(text)


_NEW_LINK_NOTICES = frozenset({Notice.INVITE_EXPIRED, Notice.INVITE_OPENED_LATE})


def _change_text(change: Mapping[str, Any], view: View, lang: Language, now: dt.datetime) -> str:
    t = lang.texts
    what = change.get("what")
    if what == "paused":
        until = _moment(change.get("until"))
        zone = reader_clock(view, change).timezone
        return t(texts.CHANGE_PAUSED, until=pause_label(until, zone, t))
    if what == "resumed":
        return t(texts.CHANGE_RESUMED, when=_next_for_reader(view, change, t, now))
    if what == "schedule":  # queued before each person had their own clock
        clock = _schedule(change)
        return t(
            texts.CHANGE_SCHEDULE,
            when=t.when(clock),
            next=t.next_time(_moment(change.get("next")), clock, now),
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
    if what == "pace":
        return t(texts.CHANGE_PACE, pace=t(texts.PACE_NAMES.get(str(change.get("pace")), "")))
    if what == "apart":
        return t(texts.CHANGE_APART if change.get("apart") else texts.CHANGE_TOGETHER)
    if what == "stage":
        stage = t(texts.STAGE_NAMES.get(str(change.get("stage")), ""))
        return t(texts.CHANGE_STAGE, stage=stage)
    if what == "series":
        category = lang.wording.category(str(change.get("category")))
        if category is None:
            return t(texts.CHANGE_SERIES_STOPPED)
        days = int(change.get("days", 0))
        return t(texts.CHANGE_SERIES, topic=texts.esc(category.name), days=days)
    if what == "anniversary":
        day = dt.date.fromisoformat(str(change.get("day")))
        return t(texts.CHANGE_ANNIVERSARY, day=t.date(day, weekday=False))
    return str(change.get("text", ""))  # a change queued before changes held parameters


def _render_changes(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    t = lang.texts
    changes = item.payload.get("changes") or {}
    lines = [
        _change_text(entry.get("change") or entry, view, lang, now) for entry in changes.values()
    ]
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


def _note_text(note: Mapping[str, Any] | None, lang: Language) -> str | None:
    t = lang.texts
    if not note:
        return None
    if note.get("key") == "skipped":
        return t(texts.SKIPPED_NOTE)
    if note.get("key") == "skipped_partner":
        return t(texts.SKIPPED_PARTNER_NOTE, name=_name(note.get("name"), t))
    if note.get("key") == "series":
        category = lang.wording.category(str(note.get("category", "")))
        return t(
            texts.SERIES_NOTE,
            topic=texts.esc(category.name if category else ""),
            day=int(note.get("day", 1)),
            days=int(note.get("days", 1)),
        )
    if note.get("key") == "occasion":
        return t(texts.OCCASION_NOTE, name=texts.esc(str(note.get("name", ""))))
    return None


def _library_question(view: View, lang: Language) -> LibraryQuestion | None:
    """The question a prompt was made from, in the reader's words (None: a partner's own)."""
    found = lang.wording.question(view.prompt.content_id) if view.prompt else None
    return found if isinstance(found, LibraryQuestion) else None


def _question_body(
    prompt: Prompt, words: str, question: LibraryQuestion | None, partner: str, t: Texts
) -> tuple[str, InlineKeyboardMarkup | ForceReply | None]:
    """The question in its format's words, with the buttons that answer it."""
    kind = question.format if question is not None else Format.OPEN
    values = {"question": texts.esc(words), "partner": texts.esc(partner)}
    if question is not None and kind in CHOICE_FORMATS:
        return t(texts.QUESTION_PICK, **values), keyboards.picks(prompt.id, question.options)
    if question is not None and kind is Format.RATE:
        low, high = texts.esc(question.low), texts.esc(question.high)
        return t(texts.QUESTION_RATE, low=low, high=high, **values), keyboards.rating(prompt.id)
    if kind is Format.GUESS:
        return t(texts.QUESTION_GUESS, **values), answer_field(partner, t)
    if kind is Format.FINISH:
        return t(texts.QUESTION_FINISH, **values), answer_field(partner, t)
    return t(texts.QUESTION, **values), answer_field(partner, t)


PLACEHOLDER_LIMIT = 64  # characters Telegram allows in an input field's placeholder


def answer_field(partner: str, t: Texts) -> ForceReply:
    """Open the reply field under a typed question, with 'Your answer for Jon…' in it."""
    placeholder = t(texts.ANSWER_PLACEHOLDER, partner=partner)
    if len(placeholder) > PLACEHOLDER_LIMIT:  # a long name: drop the name, keep the sense
        placeholder = t(texts.ANSWER_PLACEHOLDER_SHORT)[:PLACEHOLDER_LIMIT]
    return ForceReply(input_field_placeholder=placeholder)


def _question_message(
    prompt: Prompt, payload: Mapping[str, Any], view: View, lang: Language
) -> tuple[str, InlineKeyboardMarkup | ForceReply | None]:
    """The question message's text and its buttons (or the reply field) for its reader."""
    t = lang.texts
    author = payload.get("author")
    partner = str(payload.get("partner") or "") or t(texts.YOUR_PARTNER)
    words = lang.prompt_text(prompt)
    markup: InlineKeyboardMarkup | ForceReply | None
    if author:
        text, markup = t.question(words, partner, str(author)), answer_field(partner, t)
    else:
        question = _library_question(view, lang)
        text, markup = _question_body(prompt, words, question, partner, t)
    if lang.wording.library.supports(prompt.content_id):
        text = f"{text}\n\n{t(texts.SUPPORT_LINE)}"
    note = _note_text(payload.get("note"), lang)
    if note:
        text = f"{note}\n\n{text}"
    return text, markup


def _render_question(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    if "text" in item.payload:  # a row queued before rows held parameters
        return [Part(text=str(item.payload["text"]), prompt_id=item.prompt_id, pin=True)]
    if view.prompt is None:
        return []
    text, markup = _question_message(view.prompt, item.payload, view, lang)
    # Pinned, so today's question stays at the top of the chat until the next one.
    return [Part(text=text, prompt_id=view.prompt.id, reply_markup=markup, pin=True)]


ACK_EMOJI = "✍"  # on an answer saved while the partner has not answered yet
REVEALED_EMOJI = "❤"  # on the answer that completed the pair


def _status_line(item: OutboxItem, view: View, t: Texts) -> str | None:
    """Who has answered, for the reader, as stored now (None: nobody yet)."""
    prompt = view.prompt
    partner = _name(view.partner_name, t)
    answered = {answer.user_id for answer in view.answers}
    if prompt is not None and prompt.revealed_at is not None:
        return t(texts.STATUS_BOTH)
    if item.user_id in answered:
        return t(texts.STATUS_WAITING, partner=partner)
    if view.partner_id in answered:
        return t(texts.STATUS_YOUR_TURN, partner=partner)
    return None


def _render_status(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    """A reaction on the answer just saved, then the question message edited to show who has
    answered (its buttons kept, the reader's pick ticked)."""
    parts: list[Part] = []
    react = item.payload.get("react")
    if react:
        revealed = view.prompt is not None and view.prompt.revealed_at is not None
        emoji = REVEALED_EMOJI if revealed else ACK_EMOJI
        parts.append(Part(react_to=int(react), reaction=emoji))
    question_message = view.extra.get("question_message_id")
    if view.prompt is None or not question_message:
        return parts
    t = lang.texts
    text, markup = _question_message(view.prompt, item.payload, view, lang)
    line = _status_line(item, view, t)
    if line is None:
        return parts
    mine = next((a for a in view.answers if a.user_id == item.user_id), None)
    inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
    question = _library_question(view, lang)
    chosen = mine.choice if mine is not None else None
    if inline is not None and question is not None and chosen is not None:
        if question.format is Format.RATE:
            inline = keyboards.rating(view.prompt.id, chosen=chosen)
        else:
            inline = keyboards.picks(view.prompt.id, question.options, chosen=chosen)
    if view.prompt.revealed_at is not None:
        inline = None  # answered by both: the buttons would only say "too late"
    edited = f"{text}\n\n{line}"
    parts.append(Part(text=edited, edit_message_id=int(question_message), reply_markup=inline))
    return parts


def _render_exercise(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    # A short teaser of its own (never folded into the question); "Show me" opens the how-to
    # in place (handlers.followups.show_exercise).
    exercise = lang.wording.exercise(view.prompt.content_id) if view.prompt else None
    if exercise is None or view.prompt is None:
        return []
    t = lang.texts
    text = t(texts.EXERCISE_TEASER, title=texts.esc(exercise.title), minutes=exercise.minutes)
    return [Part(text=text, reply_markup=keyboards.show_exercise(view.prompt.id, t))]


def _render_reminder(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    if view.prompt is None:
        return []
    t = lang.texts
    partner_answered = item.payload.get("partner_answered")
    template = texts.REMINDER_PARTNER_ANSWERED if partner_answered else texts.REMINDER
    question = texts.esc(lang.prompt_text(view.prompt))
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
    mine = next((a for a in view.answers if a.user_id == item.user_id), None)
    if prompt is None or theirs is None:
        return []
    t = lang.texts
    partner = _name(view.partner_name, t)
    question = _library_question(view, lang)
    kind = question.format if question is not None else Format.OPEN
    words = texts.esc(lang.prompt_text(prompt))
    reactions = keyboards.reveal_reactions(prompt.id, t)
    if kind in CHOICE_FORMATS or kind is Format.RATE:
        return _with_effect(_reveal_picks(prompt.id, words, question, mine, theirs, partner, t))
    if kind is Format.GUESS:
        header = t(texts.REVEAL_GUESS_HEADER, question=words, partner=partner)
        guesses = t(
            texts.REVEAL_GUESSES,
            partner=partner,
            my_guess=texts.esc(mine.guess or "") if mine is not None else t(texts.HISTORY_DELETED),
            their_guess=_spoiler(texts.esc(theirs.guess or "")),
            mine=_own_answer_words(mine, t),
        )
        verdict = keyboards.guess_verdict(prompt.id, t)
        return _with_effect(
            [
                *_with_answer(header, theirs, partner, reactions, t, spoiler=True),
                *_ending(guesses, reply_markup=verdict),
            ]
        )
    template = texts.REVEAL_FINISH_HEADER if kind is Format.FINISH else texts.REVEAL_HEADER
    header = t(template, question=words, partner=partner)
    return _with_effect(_with_answer(header, theirs, partner, reactions, t, spoiler=True))


def _spoiler(words: str) -> str:
    """A partner's words hidden until the reader taps them: the reveal is uncovered by hand,
    and the answer stays out of notification and lock-screen previews."""
    return f"<tg-spoiler>{words}</tg-spoiler>" if words.strip() else words


def _with_effect(parts: list[Part]) -> list[Part]:
    """The reveal with the heart effect on its first message. copyMessage takes no effect, so
    a media answer's header (a text) carries it; a reveal that starts with a copy gets none."""
    if not parts or parts[0].text is None or parts[0].copy_from is not None:
        return parts
    return [replace(parts[0], effect=REVEAL_EFFECT), *parts[1:]]


def _with_answer(
    header: str,
    answer: Answer,
    partner: str,
    markup: InlineKeyboardMarkup | None,
    t: Texts,
    *,
    spoiler: bool = False,
) -> list[Part]:
    """`header` followed by a partner's answer: in one text (under a spoiler when `spoiler`),
    or with their media copied."""
    hide = _spoiler if spoiler else str
    if answer.kind is AnswerKind.TEXT:
        return _ending(f"{header}\n\n{hide(texts.esc(answer.text))}", reply_markup=markup)
    fallback = hide(texts.esc(answer.text)) or t(
        texts.REVEAL_MEDIA_FALLBACK, partner=partner, kind=t(texts.KIND_NAMES[answer.kind])
    )
    return [
        Part(text=header),
        Part(
            copy_from=(answer.chat_id, answer.message_id),
            fallback_text=fallback,
            reply_markup=markup,
        ),
    ]


def pick_label(
    question: LibraryQuestion | None, answer: Answer | None, t: Texts, *, own: bool
) -> str:
    """A pick as words: the option (in the reader's words), 'n out of 10', or 'in your/their
    own words'."""
    own_words = t(texts.OWN_WORDS if own else texts.PARTNER_OWN_WORDS)
    if answer is None or answer.choice is None or question is None:
        return own_words
    if question.format is Format.RATE:
        return t(texts.RATING_LABEL, value=answer.choice)
    if 0 <= answer.choice < len(question.options):
        return texts.esc(question.options[answer.choice])
    return own_words


def _reveal_picks(
    prompt_id: int,
    words: str,
    question: LibraryQuestion | None,
    mine: Answer | None,
    theirs: Answer,
    partner: str,
    t: Texts,
) -> list[Part]:
    text = t(
        texts.REVEAL_PICKS,
        question=words,
        partner=partner,
        mine=pick_label(question, mine, t, own=True),
        theirs=pick_label(question, theirs, t, own=False),
    )
    if mine is not None and mine.choice is not None and mine.choice == theirs.choice:
        text = f"{text}\n{t(texts.REVEAL_SAME_PICK)}"
    invite = t(texts.REVEAL_WHY_INVITE, partner=partner)
    reactions = keyboards.reveal_reactions(prompt_id, t)
    # The reveal's last message carries the prompt, so a reply to it (the why) finds it.
    if theirs.kind is AnswerKind.TEXT:
        if theirs.text:
            words = _spoiler(texts.esc(theirs.text))
            added = t(texts.REVEAL_THEIR_WORDS, partner=partner, words=words)
            text = f"{text}\n\n{added}"
        return _ending(f"{text}\n\n{invite}", prompt_id=prompt_id, reply_markup=reactions)
    added = t(texts.REVEAL_THEIR_WORDS, partner=partner, words="").rstrip()
    parts = _with_answer(f"{text}\n\n{added}", theirs, partner, reactions, t, spoiler=True)
    return [*parts, Part(text=invite, prompt_id=prompt_id)]


def _own_answer_words(answer: Answer | None, t: Texts) -> str:
    if answer is None:
        return t(texts.HISTORY_DELETED)
    if answer.kind is AnswerKind.TEXT:
        return texts.esc(answer.text)
    return f"[{t(texts.KIND_NAMES[answer.kind])}] {texts.esc(answer.text)}".strip()


def _render_why(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    prompt = view.prompt
    theirs = next((a for a in view.answers if a.user_id == view.partner_id), None)
    if prompt is None or theirs is None or prompt.revealed_at is None:
        return []
    t = lang.texts
    partner = _name(view.partner_name, t)
    words = texts.esc(lang.prompt_text(prompt))
    header = t(texts.WHY_HEADER, partner=partner, question=words)
    return _with_answer(header, theirs, partner, None, t)


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


# Opt-in topics: asking the partner, and telling both it is on --------------------------------

HEAT_KEY = "heat-"  # a consent to raise the heat of intimacy questions: "heat-<level>"


def _topic_supports(lang: Language, category_id: Any) -> bool:
    category = lang.wording.library.categories.get(str(category_id))
    return bool(getattr(category, "support", False) or getattr(category, "delicate", False))


def _topic_on_text(params: Mapping[str, Any], lang: Language) -> str:
    t = lang.texts
    key = str(params.get("category", ""))
    heat = key.removeprefix(HEAT_KEY)
    if key.startswith(HEAT_KEY) and heat in texts.HEAT_NAMES:
        return t(texts.HEAT_ON, heat=t(texts.HEAT_NAMES[heat]))
    category = lang.wording.category(key)
    pace = t(texts.PACE_NAMES.get(str(params.get("pace")), ""))
    text = t(texts.TOPIC_ON, topic=texts.esc(category.name if category else key), pace=pace)
    if _topic_supports(lang, key):
        text = f"{text}\n\n{t(texts.SUPPORT_LINE)}"
    return text


def _render_consent(item: OutboxItem, view: View, lang: Language, now: dt.datetime) -> list[Part]:
    t = lang.texts
    payload = item.payload
    key = str(payload.get("category", ""))
    pair_id = int(payload.get("pair_id", 0))
    name = _name(payload.get("from_name"), t)
    heat = key.removeprefix(HEAT_KEY)
    buttons = keyboards.consent(pair_id, key, t)
    if key.startswith(HEAT_KEY) and heat in texts.HEAT_NAMES and pair_id:
        text = t(texts.CONSENT_HEAT_ASK, name=name, heat=t(texts.HEAT_NAMES[heat]))
        return _ending(text, reply_markup=buttons)
    category = lang.wording.category(key)
    if category is None or not pair_id:
        return []
    text = t(
        texts.CONSENT_ASK,
        name=name,
        topic=texts.esc(category.name),
        description=texts.esc(category.description),
    )
    if _topic_supports(lang, key):
        text = f"{text}\n\n{t(texts.SUPPORT_LINE)}"
    return _ending(text, reply_markup=buttons)


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
    MessageKind.WHY: _render_why,
    MessageKind.CONSENT: _render_consent,
    MessageKind.STATUS: _render_status,
}
