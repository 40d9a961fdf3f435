"""An independent model of what each simulated person must receive, checked as the run goes.

The oracle never asks the bot's own code what should happen: the local-day and send-time
arithmetic, the frequency days, quiet hours, pause ends and which question an answer belongs to
are all written here, from the product's rules as the README and the issue state them. It reads
`bot.texts` and the translators' catalogues (bot/locales/*.po, read with Babel) only to
recognise what kind of message the fake Bot API delivered (a question, a reveal, a nudge, an
acknowledgement) and in which language, and `content/` (every language) to know the library's
questions by id.

It is fed one ordered timeline: what each person sent (with the driver's note of what they
meant: an answer, a correction, an appreciation...) and every message the bot delivered. A
person's state changes when the bot acknowledges it to them (the reply to /pause, the edited
menu after a settings button), so refused or slowed-down actions change nothing in the model.

Invariants (numbered as in issue 10):
1. one question per scheduled local day to each active, unpaused pair, the same to both, none
   while paused or after unpairing, DST neither skipping nor doubling a day;
2. an answer reaches only the partner, only in a reveal, only once both answered (a pick or a
   rating shows only in a reveal; a guess question is answered only with the guess too, and
   the guesses travel under the same rule); a gift only the partner; nothing of one pair
   reaches anyone else;
3. nudges only to active, unpaused pairs with nudges on; one reminder per question and person,
   never in quiet hours;
4. ticks finish within a bound; every update is handled; no unhandled exception;
5. after /deletemydata nothing of the person remains (see storage_scan);
6. after a crash nothing is lost and only what was in flight repeats;
7. fairness under a flood (checked by the driver's fairness phase);
8. everything a person reads is in their own language (their /language choice, else their
   Telegram app's), questions and partner notices included; partners reading two languages get
   the same question (the same id).
9. (issue 12) nothing the bot sends on its own makes a sound inside the reader's quiet hours, in
   the reader's own zone; each partner gets the pair's question at their own time in their own
   zone, never before it;
10. (issue 12) at most two messages a day make a sound for anyone (the budget of attention),
   replies to what they just did aside.

Issue 12's rules modelled here as well: a question closes 48 hours after it was sent (no answers,
no reveal); a partner who answered none of the last three questions while the other answered
pauses the pair, both told once; nudges come on each person's own days (Tuesday and Friday) at
19:00 their time, never while they owe an answer to the latest question, less often after three
went unanswered; the first question waits until both partners said where they are.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import tomllib
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

from bot import texts
from bot.texts import Plural
from tests.simulation.population import MARKER_LETTERS, MARKER_PREFIX, PLACES, Person

UTC = dt.UTC
JSON = dict[str, Any]
CONTENT = Path(__file__).resolve().parents[2] / "content"
LOCALES = Path(__file__).resolve().parents[2] / "bot" / "locales"
# Fields the catalogue adds to what it found in a message: the languages whose template it
# matches, and the language of the question's words.
LANGUAGES, QUESTION_LANGUAGE = "_languages", "_question_language"
MARKER = re.compile(rf"\b{MARKER_PREFIX}[a-z]{{{MARKER_LETTERS}}}\b")
DEFAULT_ZONE = "UTC"
DEFAULT_SEND_TIME = dt.time(9, 0)
NUDGE_TIME = dt.time(19, 0)
NUDGE_DAYS = frozenset({2, 5})  # ISO weekdays: Tuesday and Friday
NUDGES_BEFORE_BACKING_OFF = 3
QUESTION_OPEN = dt.timedelta(hours=48)
ABSENCE_DAYS = 3
DAILY_SOUNDS = 2
# A question reaches each partner at the first moment of their own time on or after an hour
# before the pair's moment (the hour lets a tick running a little late find the same day).
PERSONAL_GRACE = dt.timedelta(hours=1)
REMINDER_WINDOW = dt.timedelta(hours=20)
# What the bot sends on its own (through its outbox), as opposed to replies to what someone
# just did: these are held to quiet hours and the daily budget of sounds.
OUTBOX_KINDS = frozenset(
    {"question", "exercise", "exercise_teaser", "reveal", "reveal_guesses", "why", "gift",
     "nudge", "reminder", "unreachable", "pause_ended", "absence", "partner_notice",
     "invite_declined_notice", "invite_expired_notice", "invite_opened_late_notice"}
)  # fmt: skip
# The inviter's follow-ups (issue 12), by the kind of message that carries each.
INVITE_NOTICES = {"invite_declined_notice": "declined", "invite_expired_notice": "expired",
                  "invite_opened_late_notice": "opened_late"}  # fmt: skip
DEFAULT_QUIET = (dt.time(22, 0), dt.time(8, 0))
DEFAULT_REMINDER_HOURS = 4
INVITE_LIFETIME = dt.timedelta(days=7)
# How long a due message may take to arrive: deferred sends (a 429, a 5xx) come back on later
# steps, and the driver adds steps after faults so this is never waited out for nothing.
DELIVERY_GRACE = dt.timedelta(hours=3)
STORY_LENGTH = 30


# Time arithmetic, written here on purpose (not imported from the bot) ------------------------


SPOILER = re.compile(r"<tg-spoiler>(.*?)</tg-spoiler>", re.S)  # a reveal's hidden words


def local_day(moment: dt.datetime, zone: str) -> dt.date:
    """The calendar date `moment` falls on in `zone`."""
    return moment.astimezone(ZoneInfo(zone)).date()


def local_clock(moment: dt.datetime, zone: str) -> dt.time:
    """The wall-clock time `moment` shows in `zone`."""
    return moment.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)


def wall_moment(day: dt.date, clock: dt.time, zone: str) -> dt.datetime:
    """The UTC instant the wall clock in `zone` shows `clock` on `day`.

    A time that does not exist (skipped when clocks spring forward) is read with the offset in
    force before the jump, so it moves forward by the gap; a time that happens twice (clocks
    fall back) means its first occurrence. Either way a day has exactly one such instant.
    """
    tz = ZoneInfo(zone)
    wall = dt.datetime.combine(day, clock)
    probe = wall.replace(tzinfo=UTC)
    offsets = {
        offset
        for hours in (-30, -15, 0, 15, 30)
        if (offset := (probe + dt.timedelta(hours=hours)).astimezone(tz).utcoffset()) is not None
    }
    instants = sorted(
        (wall - offset).replace(tzinfo=UTC)
        for offset in offsets
        if ((wall - offset).replace(tzinfo=UTC)).astimezone(tz).replace(tzinfo=None) == wall
    )
    if instants:
        return instants[0]
    return (wall - min(offsets)).replace(tzinfo=UTC)  # in a gap: the offset before the jump


def is_question_day(day: dt.date, frequency: str) -> bool:
    """Whether `day` is a question day for `frequency` (as /settings describes them)."""
    weekday = day.weekday()
    if frequency == "weekdays":
        return weekday < 5
    if frequency == "weekends":
        return weekday >= 5
    if frequency == "three_a_week":
        return weekday in (0, 2, 4)
    return True


def next_send(
    now: dt.datetime, zone: str, clock: dt.time, frequency: str, last_day: dt.date | None
) -> dt.datetime:
    """The next send moment not before `now`, on a question day after `last_day`."""
    day = local_day(now, zone)
    if last_day is not None and last_day >= day:
        day = last_day + dt.timedelta(days=1)
    for _ in range(20):
        if is_question_day(day, frequency):
            moment = wall_moment(day, clock, zone)
            if moment >= now:
                return moment
        day += dt.timedelta(days=1)
    raise AssertionError("no question day within 20 days")


def first_wall_moment_from(after: dt.datetime, clock: dt.time, zone: str) -> dt.datetime:
    """The first moment at or after `after` when it is `clock` o'clock in `zone`."""
    day = local_day(after, zone) - dt.timedelta(days=1)
    for _ in range(4):
        moment = wall_moment(day, clock, zone)
        if moment >= after:
            return moment
        day += dt.timedelta(days=1)
    raise AssertionError("a clock time comes around within two days")


def own_moment(pair_moment: dt.datetime, zone: str, clock: dt.time) -> dt.datetime:
    """When a partner with their own zone and time gets the question due at `pair_moment`."""
    return first_wall_moment_from(pair_moment - PERSONAL_GRACE, clock, zone)


def pair_clock_of(clocks: list[tuple[str, dt.time]], now: dt.datetime) -> tuple[str, dt.time]:
    """The clock a pair's day runs on: the member's whom the other follows most closely."""
    if len(clocks) == 1:
        return clocks[0]
    nexts = [first_wall_moment_from(now, clock, zone) for zone, clock in clocks]
    day = dt.timedelta(days=1)
    lags = [max((other - mine) % day for other in nexts) for mine in nexts]
    return clocks[min(range(len(clocks)), key=lambda i: (lags[i], i))]


def next_nudge_moment(
    now: dt.datetime, zone: str, ignored: int, last_day: dt.date | None
) -> dt.datetime:
    """A person's next nudge: Tuesday or Friday at 19:00 their time, after `last_day`; a week
    more for each unanswered nudge beyond the third in a row (at most three weeks more)."""
    today = local_day(now, zone)
    day = today if last_day is None or last_day < today else last_day + dt.timedelta(days=1)
    if ignored >= NUDGES_BEFORE_BACKING_OFF:
        extra = min(ignored - NUDGES_BEFORE_BACKING_OFF + 1, 3)
        day = max(day, (last_day or today) + dt.timedelta(weeks=extra))
    for _ in range(20):
        if day.isoweekday() in NUDGE_DAYS:
            moment = wall_moment(day, NUDGE_TIME, zone)
            if moment >= now:
                return moment
        day += dt.timedelta(days=1)
    raise AssertionError("a nudge day within two weeks")


def in_quiet(moment: dt.datetime, zone: str, quiet: tuple[dt.time, dt.time]) -> bool:
    """Whether `moment` falls in the quiet hours [start, end) of `zone` (may span midnight)."""
    start, end = quiet
    if start == end:
        return False
    clock = local_clock(moment, zone)
    return start <= clock < end if start < end else (clock >= start or clock < end)


# The oracle's own reading of the rule: Telegram's language code -> the language offered.
_TELEGRAM_LANGUAGES = {"es": "es", "es-mx": "es", "de": "de", "pt-br": "pt_BR", "pt-pt": "pt_BR",
                       "ru": "ru"}  # fmt: skip
_CHOSEN_LANGUAGES = {"en": "en", "es": "es", "de": "de", "pt_br": "pt_BR", "ru": "ru",
                     "deutsch": "de"}  # fmt: skip


def telegram_language(code: str | None) -> str:
    return _TELEGRAM_LANGUAGES.get((code or "").lower(), "en")


def _question_entries(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((folder / "questions").glob("*.toml")):
        yield from tomllib.loads(path.read_text(encoding="utf-8")).get("questions", [])
    occasions = folder / "occasions.toml"
    if occasions.exists():
        for occasion in tomllib.loads(occasions.read_text(encoding="utf-8")).get("occasions", []):
            yield from occasion.get("questions", [])


@cache
def question_texts() -> dict[str, tuple[str, str]]:
    """Every question text of the library in every language -> (question id, language), read
    from content/questions and content/i18n/<language>/ (English and each translation)."""
    ids: dict[str, str] = {}
    languages: dict[str, set[str]] = {}
    folders = [("en", CONTENT), *((p.name, p) for p in sorted((CONTENT / "i18n").glob("*")))]
    for language, folder in folders:
        for item in _question_entries(folder):
            for key in ("text", "apart_text"):
                if item.get(key):
                    ids.setdefault(str(item[key]), str(item["id"]))
                    languages.setdefault(str(item[key]), set()).add(language)
    return {text: (ids[text], ",".join(sorted(languages[text]))) for text in ids}


def library_questions() -> frozenset[str]:
    """The ids of every library question (what a question message is recognised as)."""
    return frozenset(key for key, _ in question_texts().values())


@cache
def translations() -> dict[str, dict[str, tuple[str, ...]]]:
    """Each language's interface texts, read from bot/locales/<language>/LC_MESSAGES/messages.po
    with Babel: English message id -> the translated forms."""
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for path in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        found[path.parent.parent.name] = {
            (m.id[0] if isinstance(m.id, tuple) else m.id): (
                tuple(m.string) if isinstance(m.string, tuple | list) else (m.string,)
            )
            for m in catalog
            if m.id
        }
    return found


def template_forms(name: str) -> list[tuple[str, str]]:
    """(language, form) for every form of the catalogue text `name`, English first."""
    template = getattr(texts, name, None)
    if isinstance(template, Plural):
        english, key = [template.one, template.other], template.one
    elif isinstance(template, str):
        english, key = [template], template
    else:
        return []
    forms = [("en", form) for form in english]
    for language, catalogue in translations().items():
        forms.extend((language, form) for form in catalogue.get(key, ()) if form)
    return forms


@cache
def library_formats() -> dict[str, str]:
    """Each library question's id (daily and occasion) -> its format, from content/."""
    return {
        str(item["id"]): str(item.get("format", "open")) for item in _question_entries(CONTENT)
    }


# Recognising messages ------------------------------------------------------------------------

# Kinds of message, each recognised by the catalogue templates named (those that exist).
_KINDS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    # (kind, template names, prefix only)
    ("question", ("QUESTION", "QUESTION_FROM_PARTNER", "QUESTION_FINISH", "QUESTION_PICK",
                  "QUESTION_RATE", "QUESTION_GUESS"), False),
    ("exercise", ("EXERCISE",), False),
    ("exercise_teaser", ("EXERCISE_TEASER",), False),
    ("zone_ask", ("ZONE_ASK",), False),
    ("zone_set", ("ZONE_SET", "ZONE_SKIPPED"), False),
    # A shared location: the zone found there, or none found.
    ("zone_located", ("ZONE_FROM_LOCATION",), False),
    ("zone_unknown", ("ZONE_UNKNOWN",), False),
    ("absence", ("PARTNER_ABSENT", "ABSENCE_PAUSED"), False),
    ("reveal", ("REVEAL_HEADER", "REVEAL_FINISH_HEADER", "REVEAL_PICKS", "REVEAL_GUESS_HEADER"),
     True),
    # The second part of a guess reveal: both guesses, and one's own answer beside them.
    ("reveal_guesses", ("REVEAL_GUESSES",), True),
    ("why", ("WHY_HEADER",), True),
    ("gift", ("GIFT_HEADER",), True),
    ("nudge", ("NUDGE",), False),
    ("reminder", ("REMINDER", "REMINDER_PARTNER_ANSWERED"), False),
    ("paired", ("PAIRED",), False),
    ("unpaired", ("UNPAIR_DONE",), False),
    ("deleted", ("DELETE_DONE",), False),
    ("paused", ("PAUSED", "PAUSED_UPDATED"), False),
    ("resumed", ("RESUMED",), False),
    ("not_paused", ("NOT_PAUSED",), False),
    ("schedule_changed", ("SCHEDULE_CHANGED",), False),
    ("reminders_on", ("REMINDERS_ON",), False),
    ("reminders_off", ("REMINDERS_OFF",), False),
    ("settings_menu", ("SETTINGS",), False),
    ("language_set", ("LANGUAGE_SET",), False),
    ("invite_link", ("INVITE_CREATED",), False),
    ("invite_offer", ("INVITE_OFFER",), False),
    # Issue 12's follow-ups about an unused invite: to the invitee who tapped "Not now" (told
    # that the inviter will know, or not), to one who opened it after it ran out, and to the
    # inviter, once per link.
    ("invite_declined_told", ("INVITE_DECLINED_TOLD",), False),
    ("invite_declined", ("INVITE_DECLINED",), False),
    ("invite_ran_out", ("INVITE_RAN_OUT",), False),
    ("invite_declined_notice", ("INVITE_DECLINED_NOTICE",), False),
    ("invite_expired_notice", ("INVITE_EXPIRED_NOTICE",), False),
    ("invite_opened_late_notice", ("INVITE_OPENED_LATE_NOTICE",), False),
    ("history", ("HISTORY_HEADER",), True),
    ("unreachable", ("PARTNER_UNREACHABLE",), False),
    ("pause_ended", ("PAUSE_ENDED",), False),
    ("ack_saved", ("SAVED", "SAVED_REPLACED", "SAVED_REVEALING", "GUESS_NEXT", "GUESS_SAVED",
                   "WHY_SAVED", "WHY_SENT", "PICK_SAVED", "PICK_REVEALING"), False),
    # Issue 12: a message that may not be an answer, or would replace one, asks first.
    ("asking", ("ASK_SAVE", "ASK_HELP", "ASK_REPLACE", "ASK_WHICH"), False),
    ("ack_edit_saved", ("EDIT_SAVED",), False),
    ("ack_edit_refused", ("EDIT_AFTER_REVEAL",), False),
    ("ack_gift", ("GIFT_SENT",), False),
    (
        "ack_refused",
        ("ALREADY_REVEALED", "SEVERAL_OPEN", "STALE_REPLY", "NO_OPEN_QUESTION",
         "NO_OPEN_QUESTION_PAUSED", "NOT_PAIRED", "UNSUPPORTED_ANSWER", "GUESS_TEXT_ONLY",
         "QUESTION_CLOSED_TODAY", "QUESTION_CLOSED_NEXT", "PICK_CLOSED"),
        False,
    ),
)  # fmt: skip
# Messages a partner gets because the other one did something (counted for coalescing).
PARTNER_NOTICES = ("CHANGES_ONE", "CHANGES_MANY", "SKIPPED_PARTNER_NOTE", "PARTNER_BACK")


def _template_pattern(template: str, *, prefix: bool, note: bool = False) -> re.Pattern[str]:
    pieces = re.split(r"\{(\w+)\}", template)
    seen: set[str] = set()
    # A question may come with a line above it (why it was swapped).
    regex = r"(?:(?P<note>[^\n].*?)\n\n)??" if note else ""
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            regex += re.escape(piece)
        elif piece in seen:
            regex += f"(?P={piece})"
        else:
            seen.add(piece)
            regex += f"(?P<{piece}>.*?)"
    return re.compile(r"\A" + regex + ("" if prefix else r"\Z"), re.DOTALL)


class Catalogue:
    """Recognises the kind of a message the bot sent, from its structure and the templates."""

    def __init__(self) -> None:
        # (kind, language, pattern): every language's templates, so a message is recognised
        # whatever language it is in, and the language it is in can be checked.
        self.patterns: list[tuple[str, str, re.Pattern[str]]] = []
        for kind, names, prefix in _KINDS:
            for name in names:
                for language, form in template_forms(name):
                    pattern = _template_pattern(form, prefix=prefix, note=kind == "question")
                    self.patterns.append((kind, language, pattern))
        self.notices = [
            (language, _template_pattern(form, prefix=False))
            for name in PARTNER_NOTICES
            for language, form in template_forms(name)
        ]
        deleted = template_forms("DELETED_QUESTION")
        self.deleted_questions = {form for _, form in deleted}
        self.support_lines = template_forms("SUPPORT_LINE")

    def classify(self, message: JSON) -> tuple[str, dict[str, str]]:
        """Return the kind of `message` and the template fields found in it (unescaped)."""
        buttons = button_data(message)
        if "pick_confirmed" in message:  # the question edited to show the pick ticked
            return "ack_saved", {}
        if "reacted_to" in message:  # the bot's reaction on the person's message: taken
            return "ack_saved", {"reacted_to": str(message.get("reacted_to"))}
        if "document" in message:
            return "export", {}
        if "copied_from" in message:
            if any(data.startswith("react:") for data in buttons):
                return "reveal_media", {}
            if any(data.startswith("heart:") for data in buttons):
                return "gift_media", {}
            return "copied", {}
        raw = str(message.get("html") or message.get("text") or "")
        # Questions from topics that can weigh heavily end with a pointer to /support.
        for _, line in self.support_lines:
            raw = raw.removesuffix("\n\n" + line)
        for kind, _, pattern in self.patterns:
            match = pattern.match(raw)
            if match:
                found = match.groupdict()
                fields = {k: html.unescape(v) for k, v in found.items() if v is not None}
                languages = {lang for k, lang, p in self.patterns if k == kind and p.match(raw)}
                fields[LANGUAGES] = ",".join(sorted(languages))
                return kind, self._question_key(fields)
        languages = {language for language, pattern in self.notices if pattern.match(raw)}
        if languages:
            return "partner_notice", {LANGUAGES: ",".join(sorted(languages))}
        if message.get("edited"):
            return "edited", {}  # a question's status line, or an asking message once answered
        return "other", {}

    def _question_key(self, fields: dict[str, str]) -> dict[str, str]:
        """A library question is followed by its id (partners may read it in two languages),
        with the language its words are in; the placeholder of a deleted /ask question by the
        English one; anything else (a question from /ask) by its text."""
        text = fields.get("question")
        if text is None:
            return fields
        if text in self.deleted_questions:
            fields["question"] = texts.DELETED_QUESTION
            return fields
        found = question_texts().get(text)
        if found is not None:
            fields["question"], fields[QUESTION_LANGUAGE] = found
        return fields


def button_data(message: JSON) -> list[str]:
    """The callback data of every inline button under `message`."""
    markup = message.get("reply_markup") or {}
    return [
        str(button.get("callback_data"))
        for row in markup.get("inline_keyboard", [])
        for button in row
        if button.get("callback_data") is not None
    ]


def marks_in(message: JSON) -> tuple[set[str], set[str]]:
    """The marker words and the file ids a message carries (text, caption, media, file)."""
    words: set[str] = set()
    for key in ("text", "caption", "html"):
        value = message.get(key)
        if isinstance(value, str):
            words.update(MARKER.findall(value))
    document = message.get("document_bytes")
    if isinstance(document, bytes | bytearray):
        words.update(MARKER.findall(document.decode("utf-8", "replace")))
    files = set()
    for key in ("voice", "video_note"):
        if isinstance(message.get(key), dict):
            files.add(str(message[key].get("file_id")))
    for size in message.get("photo") or []:
        files.add(str(size.get("file_id")))
    return words, files


# The model -----------------------------------------------------------------------------------


@dataclass
class Intent:
    """What the driver meant by something a person sent."""

    kind: str  # answer, correction, gift, edit, command, press, block, unblock, other
    prompt: Prompt | None = None
    marker: str | None = None
    file_id: str | None = None
    media: str = "text"
    command: str = ""
    argument: str = ""
    data: str = ""
    change: tuple[str, Any] | None = None
    origin_pair: int | None = None
    edited_message: int | None = None
    isolated: bool = False
    message_id: int | None = None  # the bot's message a press is about (Show me)
    place: tuple[float, float] | None = None  # a shared location


@dataclass
class Record:
    """One entry of the timeline: something a person sent, or something the bot delivered."""

    seq: int
    direction: str  # "out" (a person to the bot), "in" (the bot to a person), "note"
    user_id: int
    moment: dt.datetime
    real: float
    message: JSON = field(default_factory=dict)
    intent: Intent | None = None


@dataclass
class Mark:
    """Where a marker word or file id came from and who may see it."""

    author: int
    pair: int | None  # the oracle's pair key when it was written
    partner: int | None
    kind: str  # answer, gift, ask, aside, unsaved, other
    seq: int
    prompt: Prompt | None = None
    media: str = "text"


@dataclass
class Pending:
    """Something a person sent that the bot is about to acknowledge (or silently drop)."""

    kind: str  # answer, correction, gift, edit
    predicted: str  # saved, refused, gift, edit_saved, edit_refused
    reason: str = ""
    mark: Mark | None = None
    prompt: Prompt | None = None
    revealed_here: bool = False
    message_id: int | None = None  # the person's message it is about


@dataclass
class Prompt:
    """A question as the oracle expects it: one pair, one local day (or a replacement)."""

    key: int
    pair: Pair
    day: dt.date
    created: dt.datetime
    text: str | None = None
    delivered: dict[int, int] = field(default_factory=dict)  # user -> seq of first copy
    answers: dict[int, list[Mark]] = field(default_factory=dict)
    answer_message: dict[int, int] = field(default_factory=dict)  # user -> message id
    revealed_seq: int | None = None
    reveals_seen: set[int] = field(default_factory=set)
    reminded: set[int] = field(default_factory=set)
    skipped: bool = False
    replaces: bool = False  # a swapped question (/skip)
    format: str = "open"  # from the library, once the question's text is known
    guesses: dict[int, list[Mark]] = field(default_factory=dict)  # guess-your-partner
    guess_message: dict[int, int] = field(default_factory=dict)  # user -> their guess's id
    due_for: dict[int, dt.datetime] = field(default_factory=dict)  # user -> when it reaches them
    reminder_base: dict[int, dt.datetime] = field(default_factory=dict)  # user -> hours from

    def closed(self, now: dt.datetime) -> bool:
        """A question not revealed 48 hours after it was sent is closed."""
        return not self.revealed and now >= self.created + QUESTION_OPEN

    @property
    def revealed(self) -> bool:
        return self.revealed_seq is not None

    def answered(self, user_id: int) -> bool:
        return bool(self.answers.get(user_id))

    def complete(self, user_id: int) -> bool:
        """Whether the person did all the question asks: a guess question wants the guess too
        (every message after one's own answer is the guess, as the question says)."""
        if self.format == "guess":
            return self.answered(user_id) and bool(self.guesses.get(user_id))
        return self.answered(user_id)


@dataclass
class Pair:
    """An active or ended pairing as the oracle models it."""

    key: int
    members: tuple[int, int]
    formed: dt.datetime
    zone: str = DEFAULT_ZONE
    send_time: dt.time = DEFAULT_SEND_TIME
    frequency: str = "daily"
    ended: dt.datetime | None = None
    paused: bool = False
    pause_until: dt.datetime | None = None
    limbo: bool = False  # a member is blocked: the bot pauses when a message fails
    last_day: dt.date | None = None
    next_due: dt.datetime | None = None
    next_nudge: dt.datetime | None = None
    nudge_days: dict[int, set[dt.date]] = field(default_factory=dict)
    prompts: list[Prompt] = field(default_factory=list)
    zone_changed: dt.datetime | None = None
    awaiting_zones: bool = True  # the first question waits for both partners' zones
    absence_told: tuple[int, dt.datetime] | None = None  # (the quiet one, when)
    absence_expected: bool = False

    def partner_of(self, user_id: int) -> int:
        first, second = self.members
        return second if user_id == first else first

    @property
    def active(self) -> bool:
        return self.ended is None

    def open_prompts(self, now: dt.datetime | None = None) -> list[Prompt]:
        return [
            p
            for p in self.prompts
            if not p.revealed and not p.skipped and (now is None or not p.closed(now))
        ]

    def recent_open_prompts(self, since: dt.datetime) -> list[Prompt]:
        """Open questions created after `since` (reminders only concern the last day)."""
        recent = []
        for prompt in reversed(self.prompts):
            if prompt.created < since:
                break
            if not prompt.revealed and not prompt.skipped:
                recent.append(prompt)
        return recent


@dataclass
class Who:
    """A person as the oracle models them."""

    person: Person
    pair: Pair | None = None
    blocked: bool = False
    deleted_seq: int | None = None
    former_pairs: list[int] = field(default_factory=list)
    reminders_on: bool = False
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    quiet: tuple[dt.time, dt.time] = DEFAULT_QUIET
    nudges_on: bool = True
    last_nudge: tuple[dt.datetime, int] | None = None  # (moment, seq) of the latest nudge
    # The language they read: their /language choice, else what their Telegram app reports.
    chosen_language: str | None = None
    languages_in_flight: set[str] = field(default_factory=set)  # a /language not yet answered
    language_changed: tuple[dt.datetime, str] | None = None  # (when, the one before)
    story: deque[str] = field(default_factory=lambda: deque(maxlen=STORY_LENGTH))
    zone: str | None = None  # their own zone, once they said it
    send_time: dt.time | None = None  # their own question time
    zone_pressed: str | None = None  # a zone button pressed, not yet acknowledged
    next_nudge: dt.datetime | None = None
    nudge_day: dt.date | None = None  # the local day of their latest nudge slot
    nudges_unanswered: int = 0  # nudges in a row without an appreciation
    last_answer: dt.datetime | None = None
    sounds: Counter[dt.date] = field(default_factory=Counter)  # notifying messages a day
    active_days: set[dt.date] = field(default_factory=set)  # days they wrote to the bot

    def clock(self, pair: Pair | None) -> tuple[str, dt.time]:
        """Their own zone and question time, else their pair's."""
        zone = self.zone or (pair.zone if pair is not None else DEFAULT_ZONE)
        send = self.send_time or (pair.send_time if pair is not None else DEFAULT_SEND_TIME)
        return zone, send

    @property
    def user_id(self) -> int:
        return self.person.user_id

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def language(self) -> str:
        return self.chosen_language or telegram_language(self.person.language_code)

    def readable(self, moment: dt.datetime) -> set[str]:
        """The languages a message to them may be in at `moment`: theirs, one they just asked
        for, and the one before a change for what was already on its way at that instant."""
        allowed = {self.language, *self.languages_in_flight}
        if self.language_changed is not None and self.language_changed[0] == moment:
            allowed.add(self.language_changed[1])
        return allowed

    def reset_settings(self) -> None:
        self.reminders_on = False
        self.reminder_hours = DEFAULT_REMINDER_HOURS
        self.quiet = DEFAULT_QUIET
        self.nudges_on = True
        self.zone = self.send_time = None  # their own clock is deleted with them
        self.nudges_unanswered = 0
        self.nudge_day = None


@dataclass
class Invite:
    """An invite link as the oracle knows it."""

    code: str
    inviter: int
    created: dt.datetime
    inviter_pairings: int  # how many pairings the inviter had when it was made
    used: bool = False
    gone: bool = False  # the bot deleted it unused: its inviter paired, or deleted their data
    gone_at: dt.datetime | None = None
    told: str | None = None  # what the inviter was told of it: declined, expired, opened_late
    notices: Counter[str] = field(default_factory=Counter)

    @property
    def expires(self) -> dt.datetime:
        return self.created + INVITE_LIFETIME

    @property
    def alive(self) -> bool:
        """Still stored unused (a new link of the same inviter replaces it: `used`)."""
        return not self.used and not self.gone


@dataclass
class Expectation:
    """A message someone must receive by `deadline` (or may receive, when not required)."""

    kind: str  # question, nudge, reminder, reveal
    user_id: int
    pair: int
    deadline: dt.datetime
    prompt: Prompt | None = None
    day: dt.date | None = None
    required: bool = True
    about: int | None = None  # whom an inviter's follow-up names
    code: str = ""  # the invite an inviter's follow-up is about


@dataclass
class Violation:
    """One broken invariant."""

    invariant: str
    kind: str
    text: str
    moment: dt.datetime
    day: int
    people: tuple[int, ...]


@dataclass
class Oracle:
    """The independent model and its checks. Feed it the timeline with `observe`."""

    people: dict[int, Who]
    seed: int
    start: dt.datetime
    catalogue: Catalogue = field(default_factory=Catalogue)
    questions: frozenset[str] = field(default_factory=library_questions)
    formats: dict[str, str] = field(default_factory=library_formats)
    # The line above a question on a day that matters, or of a short series (not a swap).
    catalogue_occasion: list[re.Pattern[str]] = field(
        default_factory=lambda: [
            _template_pattern(form, prefix=False)
            for name in ("OCCASION_NOTE", "SERIES_NOTE")
            for _, form in template_forms(name)
        ]
    )
    pairs: list[Pair] = field(default_factory=list)
    marks: dict[str, Mark] = field(default_factory=dict)
    invites: dict[str, Invite] = field(default_factory=dict)
    pairings: Counter[int] = field(default_factory=Counter)
    expectations: list[Expectation] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    kinds_seen: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    # (step start, kill, end of that step): what was first sent between the first two may be
    # sent again until the third.
    crash_windows: list[list[int]] = field(default_factory=list)
    crash_moments: list[dt.datetime] = field(default_factory=list)
    deletions: list[tuple[int, int, dt.datetime]] = field(default_factory=list)  # user, seq
    names: dict[str, int] = field(default_factory=dict)
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2000, 1, 1, tzinfo=UTC))
    isolated: dict[int, int] = field(default_factory=dict)  # presser -> victim pair key
    printed: Counter[str] = field(default_factory=Counter)
    print_limit: int = 2
    last_seq: int = 0
    accepting: dict[int, str] = field(default_factory=dict)  # accepter -> code
    waiting: dict[int, Pending] = field(default_factory=dict)  # per person, awaiting its ack
    # Commands sent and not yet acknowledged, per person: (command, argument).
    pending: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    declining: dict[int, str] = field(default_factory=dict)  # invitee -> code of "Not now"
    opening: dict[int, str] = field(default_factory=dict)  # opener -> code of /start <code>
    # "Show me" pressed on a teaser, per person: [teaser's message id, its pair, opened in
    # place since, the title the teaser showed, opened before].
    shows: dict[int, list[Any]] = field(default_factory=dict)
    teasers: dict[tuple[int, int], tuple[int | None, str]] = field(default_factory=dict)
    opened_teasers: set[tuple[int, int]] = field(default_factory=set)  # (person, message id)

    def __post_init__(self) -> None:
        self.names = {who.name: uid for uid, who in self.people.items()}

    # Reporting -----------------------------------------------------------------------------

    def day_index(self, moment: dt.datetime | None = None) -> int:
        return ((moment or self.now) - self.start) // dt.timedelta(days=1)

    def stamp(self) -> str:
        return f"D{self.day_index():03d} {self.now:%Y-%m-%d %H:%M}Z"

    def note(self, user_id: int, line: str) -> None:
        who = self.people.get(user_id)
        if who is not None:
            who.story.append(f"{self.stamp()} {line}")

    def violate(self, invariant: str, kind: str, text: str, *people: int) -> None:
        """Record a violation and print it with the story of everyone involved."""
        involved: list[int] = []
        for uid in people:
            who = self.people.get(uid)
            if who is None:
                continue
            involved.append(uid)
            if who.pair is not None:
                involved.append(who.pair.partner_of(uid))
        involved = list(dict.fromkeys(involved))
        violation = Violation(invariant, kind, text, self.now, self.day_index(), tuple(involved))
        self.violations.append(violation)
        # The first few of each kind are told in full; the rest are counted.
        self.printed[kind] += 1
        if self.printed[kind] <= self.print_limit:
            print(self.story(violation))

    def story(self, violation: Violation) -> str:
        lines = [
            "",
            f"VIOLATION of invariant {violation.invariant} ({violation.kind}), seed "
            f"{self.seed}, simulated day {violation.day} ({violation.moment:%Y-%m-%d %H:%M}Z):",
            f"  {violation.text}",
            f"  replay: NEARER_SIM_SEED={self.seed}",
        ]
        recent = [m for m in self.crash_moments if violation.moment - m < dt.timedelta(days=2)]
        if recent:
            lines.append("  crashes in the two days before: " + ", ".join(
                f"{m:%Y-%m-%d %H:%M}Z" for m in recent))  # fmt: skip
        for uid in violation.people:
            who = self.people[uid]
            lines.append(f"  story of {who.name} ({uid}):")
            lines.extend(f"    {line}" for line in who.story)
        return "\n".join(lines)

    def summary(self) -> dict[str, int]:
        """Violations counted by invariant and kind."""
        counts: Counter[str] = Counter(f"{v.invariant}:{v.kind}" for v in self.violations)
        return dict(sorted(counts.items()))

    # Helpers ---------------------------------------------------------------------------------

    def who(self, user_id: int) -> Who:
        return self.people[user_id]

    def mark_for(self, author: int, kind: str, seq: int, prompt: Prompt | None) -> Mark:
        who = self.who(author)
        pair = who.pair
        partner = pair.partner_of(author) if pair is not None else None
        return Mark(author, pair.key if pair else None, partner, kind, seq, prompt)

    def register(self, mark: Mark, marker: str | None, file_id: str | None) -> None:
        if marker:
            self.marks[marker] = mark
        if file_id:
            self.marks[file_id] = mark

    def expect(self, expectation: Expectation) -> None:
        self.expectations.append(expectation)

    def take_expectation(
        self, kind: str, user_id: int, pair: int, prompt: Prompt | None = None
    ) -> Expectation | None:
        for index, expectation in enumerate(self.expectations):
            if (
                expectation.kind == kind
                and expectation.user_id == user_id
                and expectation.pair == pair
                and (prompt is None or expectation.prompt is prompt)
            ):
                return self.expectations.pop(index)
        return None

    def drop_expectations(self, pair: Pair, *, keep_allowed: bool) -> None:
        """A pair paused or ended: nothing more is required of it (what was queued may come)."""
        kept = []
        for expectation in self.expectations:
            if expectation.pair == pair.key:
                if not keep_allowed:
                    continue
                # A pause stops what is scheduled; answers given are still revealed.
                expectation.required = expectation.kind == "reveal" and expectation.required
            kept.append(expectation)
        self.expectations = kept

    def in_flight_at_a_crash(self, seq: int) -> bool:
        """Whether a message first delivered at `seq` was in flight when the bot was killed."""
        return any(start <= seq <= kill for start, kill, _ in self.crash_windows)

    def after_a_crash(self, seq: int) -> bool:
        """Whether `seq` falls in a step in which the bot was killed (repeats may come)."""
        return any(start <= seq <= end for start, _, end in self.crash_windows)

    def step_over(self, seq: int) -> None:
        """The driver finished a step: repeats after its crash, if any, are over."""
        for window in self.crash_windows:
            window[2] = min(window[2], seq)

    # The tick: what falls due ---------------------------------------------------------------

    def before_tick(self, moment: dt.datetime) -> None:
        """Work out what the tick at `moment` must deliver, before it runs."""
        self.now = moment
        self.invites_due(moment)
        for pair in self.pairs:
            if not pair.active:
                continue
            if pair.paused and pair.pause_until is not None and pair.pause_until <= moment:
                self.resume(pair, moment, by_tick=True)
            if pair.paused or pair.limbo:
                self.nudges_due(pair, moment)  # a nudge slot passes unused while paused
                continue
            self.questions_due(pair, moment)
            self.nudges_due(pair, moment)
            if not pair.paused:  # not paused for an absence just now
                self.reminders_due(pair, moment)

    def invites_due(self, moment: dt.datetime) -> None:
        """Issue 12: an invite still unused when its 7 days are over (and whose inviter was
        told nothing of it yet, not even a "Not now") is told to its inviter once, with a button
        for a new link: when they are reachable and not paired meanwhile, by their morning."""
        for invite in self.invites.values():
            if not invite.alive or invite.told is not None or invite.expires > moment:
                continue
            invite.told = "expired"
            self.events["invites_expired"] += 1
            self.expect_invite_notice(invite, "expired", None)

    def expect_invite_notice(self, invite: Invite, what: str, about: int | None) -> None:
        """One follow-up to `invite`'s inviter: owed when they are reachable and unpaired,
        allowed when that changed in this very step (the order then is the bot's)."""
        who = self.who(invite.inviter)
        pair = who.pair
        unsure = who.blocked or (pair is not None and pair.formed == self.now)
        if pair is not None and pair.active and not unsure:
            return  # paired meanwhile: nothing worth saying
        reach = self.morning_of(invite.inviter, self.now) + DELIVERY_GRACE
        expectation = Expectation(f"invite_{what}", invite.inviter, 0, reach, required=not unsure)
        expectation.about, expectation.code = about, invite.code
        self.expect(expectation)
        self.note(invite.inviter, f"owed: invite {what} notice ({invite.code[:6]}…)")

    def questions_due(self, pair: Pair, moment: dt.datetime) -> None:
        while pair.next_due is not None and pair.next_due <= moment:
            due = pair.next_due
            day = local_day(due, pair.zone)
            if day != local_day(moment, pair.zone):
                # Only after the bot was down the whole local day; the driver never is.
                self.violate(
                    "1", "missed-day", f"pair {pair.key}: the question day {day} passed unsent",
                    *pair.members,
                )  # fmt: skip
                pair.next_due = next_send(moment, pair.zone, pair.send_time, pair.frequency, day)
                continue
            if self.absent_member(pair) is not None:
                return
            self.new_prompt(pair, day, moment, due=due)
            pair.last_day = day
            pair.next_due = next_send(moment, pair.zone, pair.send_time, pair.frequency, day)

    def absent_member(self, pair: Pair) -> int | None:
        """Issue 12: when the pair's question falls due and one partner answered none of the
        last three questions while the other answered, the pair is paused and both told once
        (not again until the quiet one has answered since). Returns the quiet one, if so."""
        recent = [p for p in pair.prompts if not p.skipped][-ABSENCE_DAYS:]
        if len(recent) < ABSENCE_DAYS:
            return None
        answered = {uid for p in recent for uid in pair.members if p.answered(uid)}
        quiet = [uid for uid in pair.members if uid not in answered]
        if len(quiet) != 1:
            return None
        who = self.who(quiet[0])
        told = pair.absence_told
        if (
            told is not None
            and told[0] == quiet[0]
            and (who.last_answer is None or who.last_answer <= told[1])
        ):
            return None
        pair.absence_told = (quiet[0], self.now)
        self.note(quiet[0], f"absent: pair {pair.key} pauses")
        self.pause(pair, quiet[0], None)
        self.events["absences"] += 1
        for uid in pair.members:
            if not self.who(uid).blocked:
                reach = self.morning_of(uid, self.now) + DELIVERY_GRACE
                self.expect(Expectation("absence", uid, pair.key, reach))
        return quiet[0]

    def morning_of(self, uid: int, moment: dt.datetime) -> dt.datetime:
        """When something that can wait reaches a person: now, or when their night ends."""
        who = self.who(uid)
        zone = who.clock(who.pair)[0]
        if in_quiet(moment, zone, who.quiet):
            return first_wall_moment_from(moment, who.quiet[1], zone)
        return moment

    def new_prompt(
        self,
        pair: Pair,
        day: dt.date,
        moment: dt.datetime,
        *,
        due: dt.datetime | None = None,
        first: bool = False,
    ) -> Prompt:
        """A question for the pair's `day`: each partner gets it at their own time (a first
        question at once, or at the end of their night)."""
        prompt = Prompt(len(pair.prompts) + 1, pair, day, moment)
        pair.prompts.append(prompt)
        for uid in pair.members:
            who = self.who(uid)
            zone, clock = who.clock(pair)
            if first:
                reach = moment
                if in_quiet(moment, zone, who.quiet):
                    reach = first_wall_moment_from(moment, who.quiet[1], zone)
            else:
                reach = max(moment, own_moment(due or moment, zone, clock))
            prompt.reminder_base[uid] = reach  # reminders count from when it was to reach them
            prompt.due_for[uid] = reach
            if not who.blocked:
                self.expect(
                    Expectation("question", uid, pair.key, reach + DELIVERY_GRACE, prompt, day)
                )
        return prompt

    def nudges_due(self, pair: Pair, moment: dt.datetime) -> None:
        """Each partner's own nudge: on their days at their 19:00, unless they owe an answer to
        the pair's latest open question."""
        for uid in pair.members:
            who = self.who(uid)
            if who.next_nudge is None or who.next_nudge > moment:
                continue
            zone = who.clock(pair)[0]
            day = local_day(who.next_nudge, zone)
            owes = False
            open_now = list(pair.open_prompts(moment))
            if open_now:
                latest = max(open_now, key=lambda p: (p.created, p.key))
                owes = not latest.answered(uid)
            ignored = who.nudges_unanswered
            if (
                who.nudges_on
                and not who.blocked
                and not pair.paused
                and not pair.limbo
                and not owes
                and local_day(moment, zone) == day
                and day not in pair.nudge_days.setdefault(uid, set())
            ):
                pair.nudge_days[uid].add(day)
                lenient = pair.zone_changed is not None and moment - pair.zone_changed < (
                    dt.timedelta(hours=30)
                )
                # Once three went unanswered the bot backs off (a week more each, counted
                # from when it plans): then a nudge may come, and is not owed.
                backing_off = who.nudges_unanswered >= NUDGES_BEFORE_BACKING_OFF
                self.expect(
                    Expectation(
                        "nudge", uid, pair.key, moment + DELIVERY_GRACE, day=day,
                        required=not lenient and not backing_off,
                    )
                )  # fmt: skip
                who.nudges_unanswered += 1  # counted when it is sent, as the bot counts them
                ignored = who.nudges_unanswered
            who.nudge_day = day
            who.next_nudge = next_nudge_moment(moment, zone, ignored, day)

    def reminders_due(self, pair: Pair, moment: dt.datetime) -> None:
        for prompt in pair.recent_open_prompts(moment - dt.timedelta(days=2)):
            if prompt.closed(moment):
                continue
            for uid in pair.members:
                who = self.who(uid)
                base = prompt.reminder_base.get(uid)
                zone = who.clock(pair)[0]
                if (
                    base is not None
                    and who.reminders_on
                    and not who.blocked
                    and uid not in prompt.reminded
                    and not prompt.answered(uid)
                    and uid in prompt.delivered
                    and base + dt.timedelta(hours=who.reminder_hours) <= moment
                    and moment < base + REMINDER_WINDOW
                    and not in_quiet(moment, zone, who.quiet)
                ):
                    prompt.reminded.add(uid)
                    self.expect(
                        Expectation("reminder", uid, pair.key, moment + DELIVERY_GRACE, prompt)
                    )

    def upcoming(self, after: dt.datetime) -> list[dt.datetime]:
        """Moments after `after` at which something falls due (for the driver's stepping)."""
        moments = [e.deadline - DELIVERY_GRACE for e in self.expectations]
        moments += [i.expires for i in self.invites.values() if i.alive and i.told is None]
        for pair in self.pairs:
            if not pair.active:
                continue
            if pair.paused:
                if pair.pause_until is not None:
                    moments.append(pair.pause_until)
                continue
            if pair.limbo:
                continue
            moments += [m for m in (pair.next_due,) if m is not None]
            for uid in pair.members:
                who = self.who(uid)
                zone = who.clock(pair)[0]
                if who.next_nudge is not None:
                    moments.append(who.next_nudge)
                # The end of their night: whatever waited for their morning comes then.
                moments.append(first_wall_moment_from(after, who.quiet[1], zone))
            for prompt in pair.recent_open_prompts(after - dt.timedelta(days=2)):
                for uid in pair.members:
                    who = self.who(uid)
                    base = prompt.reminder_base.get(uid)
                    if base is None or not who.reminders_on or uid in prompt.reminded:
                        continue
                    if prompt.answered(uid):
                        continue
                    moments.append(base + dt.timedelta(hours=who.reminder_hours))
                moments.append(prompt.created + QUESTION_OPEN)
        return [m for m in moments if m > after]

    def after_step(self, moment: dt.datetime) -> None:
        """Check deadlines once the step's deliveries are observed."""
        late = [e for e in self.expectations if e.deadline < moment]
        self.expectations = [e for e in self.expectations if e.deadline >= moment]
        for expectation in late:
            if not expectation.required:
                continue
            who = self.who(expectation.user_id)
            if who.blocked or (who.deleted_seq is not None and who.pair is None):
                continue
            what = expectation.kind
            if expectation.day is not None:
                what += f" for {expectation.day}"
            invariant = {"question": "1", "reveal": "2", "nudge": "3", "reminder": "3"}.get(
                expectation.kind, "pairing" if expectation.kind.startswith("invite_") else "4"
            )
            self.violate(
                invariant,
                f"missing-{expectation.kind}",
                f"{who.name} never received the {what} (pair {expectation.pair}; due by "
                f"{expectation.deadline - DELIVERY_GRACE:%Y-%m-%d %H:%M}Z)",
                expectation.user_id,
            )

    # Pairs changing -------------------------------------------------------------------------

    def form_pair(self, inviter: int, accepter: int, moment: dt.datetime, seq: int) -> Pair:
        pair = Pair(len(self.pairs) + 1, (inviter, accepter), moment)
        self.pairs.append(pair)
        self.invites_gone((inviter, accepter), moment)
        for uid in pair.members:
            who = self.who(uid)
            who.pair = pair
            who.nudges_unanswered = 0
            self.pairings[uid] += 1
            self.note(uid, f"paired as pair {pair.key} with {self.who(pair.partner_of(uid)).name}")
        self.realign(pair, moment)
        # Until both say where they are, the pair's own time is next; then the first question
        # comes at once (see zone_chosen).
        pair.next_due = next_send(moment, pair.zone, pair.send_time, pair.frequency, None)
        for uid in pair.members:
            self.plan_nudge(self.who(uid), pair, moment)
        self.start_first_question(pair, moment)
        self.events["pairings"] += 1
        return pair

    def invites_gone(self, people: tuple[int, ...], moment: dt.datetime) -> None:
        """Unused links of these people stop existing (they paired, or deleted their data)."""
        for invite in self.invites.values():
            if invite.inviter in people and invite.alive:
                invite.gone, invite.gone_at = True, moment

    def realign(self, pair: Pair, moment: dt.datetime) -> None:
        """The pair's day follows its members' own clocks."""
        clocks = [self.who(uid).clock(pair) for uid in pair.members]
        zone, clock = pair_clock_of(clocks, moment)
        if (zone, clock) == (pair.zone, pair.send_time):
            return
        if zone != pair.zone:
            pair.zone_changed = moment
        pair.zone, pair.send_time = zone, clock
        if not pair.paused and not pair.limbo and pair.next_due is not None:
            pair.next_due = next_send(moment, zone, clock, pair.frequency, pair.last_day)

    def plan_nudge(self, who: Who, pair: Pair, moment: dt.datetime) -> None:
        """Planned afresh (a changed clock or a new pair): the next slot from now on, but never
        on the day the pair's first question reaches the person (the morning after, when the
        pair formed in their quiet hours)."""
        zone = who.clock(pair)[0]
        morning = pair.formed
        if in_quiet(morning, zone, who.quiet):
            morning = first_wall_moment_from(morning, who.quiet[1], zone)
        first_day = local_day(morning, zone)
        who.next_nudge = next_nudge_moment(moment, zone, who.nudges_unanswered, first_day)

    def start_first_question(self, pair: Pair, moment: dt.datetime) -> None:
        """The first question comes once both partners have a zone (chosen or skipped)."""
        if not pair.awaiting_zones or pair.prompts or pair.paused:
            return
        if any(self.who(uid).zone is None for uid in pair.members):
            return
        pair.awaiting_zones = False
        today = local_day(moment, pair.zone)
        self.new_prompt(pair, today, moment, first=True)
        pair.last_day = today
        pair.next_due = next_send(moment, pair.zone, pair.send_time, pair.frequency, today)

    def end_pair(self, pair: Pair, moment: dt.datetime) -> None:
        if not pair.active:
            return
        pair.ended = moment
        self.drop_expectations(pair, keep_allowed=False)
        for uid in pair.members:
            who = self.who(uid)
            if who.pair is pair:
                who.pair = None
                who.former_pairs.append(pair.key)
        self.events["pairs_ended"] += 1

    def pause(self, pair: Pair, by: int, until: dt.datetime | None) -> None:
        pair.paused, pair.pause_until = True, until
        pair.next_due = None
        self.drop_expectations(pair, keep_allowed=True)

    def resume(self, pair: Pair, moment: dt.datetime, *, by_tick: bool = False) -> None:
        pair.paused, pair.pause_until = False, None
        if any(self.who(uid).blocked for uid in pair.members):
            pair.limbo = True  # the bot pauses again once a message to the blocked one fails
            return
        pair.next_due = next_send(moment, pair.zone, pair.send_time, pair.frequency, pair.last_day)
        if by_tick:
            self.events["pauses_ended"] += 1

    def change_schedule(self, pair: Pair, moment: dt.datetime, what: str, value: Any) -> None:
        """A change to the pair's frequency (the time and zone are each person's own: see
        change_clock)."""
        if what == "frequency":
            pair.frequency = value
        if pair.paused or pair.limbo:
            return
        pair.next_due = next_send(moment, pair.zone, pair.send_time, pair.frequency, pair.last_day)

    def change_clock(self, who: Who, moment: dt.datetime, what: str, value: Any) -> None:
        """A person's own question time or zone changed; the pair's day follows."""
        pair = who.pair
        if pair is not None and who.zone is None:
            who.zone = pair.zone  # a time alone is meant in the pair's zone
        if what == "time":
            who.send_time = value
        elif what == "zone":
            who.zone = value
        if pair is None:
            return
        self.realign(pair, moment)
        self.plan_nudge(who, pair, moment)
        self.start_first_question(pair, moment)

    def observe(self, record: Record) -> None:
        """Take one timeline entry, in order."""
        self.last_seq = record.seq
        self.now = record.moment
        if record.direction == "out":
            self.sent(record)
        elif record.direction == "in":
            self.delivered(record)
        elif record.direction == "note" and record.intent is not None:
            if record.intent.kind == "silent":
                self.silent(record.user_id)
            elif record.intent.kind == "shown":
                self.shown(record)
            else:
                self.applied(record.user_id, record.intent, record.seq)

    # What people sent ----------------------------------------------------------------------

    def sent(self, record: Record) -> None:
        intent = record.intent or Intent("other")
        uid = record.user_id
        who = self.who(uid)
        self.events[f"action_{intent.kind}"] += 1
        who.active_days.add(local_day(record.moment, who.clock(who.pair)[0]))
        if intent.kind in ("answer", "correction"):
            self.answer(record, intent)
        elif intent.kind == "why":
            self.why(record, intent)
        elif intent.kind == "gift":
            mark = self.mark_for(uid, "gift", record.seq, None)
            self.register(mark, intent.marker, intent.file_id)
            self.waiting[uid] = Pending("gift", "gift", "", mark)
            self.note(uid, f"→ appreciation {intent.marker or intent.file_id}")
        elif intent.kind == "edit":
            self.edit(record, intent)
        elif intent.kind == "aside":
            # "thanks!" or "how do I…?" as a plain message: never an answer, never revealed.
            mark = self.mark_for(uid, "aside", record.seq, None)
            self.register(mark, intent.marker, None)
            self.events["asides"] += 1
            self.note(uid, f"→ aside {intent.marker}")
        elif intent.kind == "ask":
            mark = self.mark_for(uid, "ask", record.seq, None)
            self.register(mark, intent.marker, None)
            self.note(uid, f"→ /ask {intent.marker}")
        elif intent.kind == "block":
            who.blocked = True
            self.note(uid, "blocks the bot")
            pair = who.pair
            if pair is not None and not pair.paused:
                self.pause(pair, uid, None)
        elif intent.kind == "unblock":
            who.blocked = False
            self.note(uid, "unblocks the bot")
        elif intent.kind == "press":
            self.note(uid, f"presses {intent.data!r}")
            if intent.isolated and intent.origin_pair is not None:
                self.isolated[uid] = intent.origin_pair
            if intent.data.startswith("accept:"):
                self.accepting[uid] = intent.data.removeprefix("accept:")
            if intent.data.startswith("zone:"):
                who.zone_pressed = intent.data.removeprefix("zone:")
            if intent.data.startswith("decline:"):
                self.declining[uid] = intent.data.removeprefix("decline:")
            if intent.data.startswith("exercise:") and intent.message_id is not None:
                title = self.teasers.get((uid, intent.message_id), (None, ""))[1]
                opened = (uid, intent.message_id) in self.opened_teasers
                self.shows[uid] = [intent.message_id, intent.origin_pair, False, title, opened]
        elif intent.kind == "location":
            place = intent.place or (0.0, 0.0)
            self.note(uid, f"→ location {place[0]:.2f},{place[1]:.2f}")
            self.pending.setdefault(uid, []).append(("location", PLACES.get(place) or ""))
        elif intent.kind == "command":
            self.note(uid, f"→ {intent.command} {intent.argument}".rstrip())
            self.command_sent(record, intent)
        else:
            mark = self.mark_for(uid, "other", record.seq, None)
            self.register(mark, intent.marker, intent.file_id)
            self.note(uid, f"→ {intent.kind} {intent.marker or ''}".rstrip())

    def command_sent(self, record: Record, intent: Intent) -> None:
        uid = record.user_id
        if intent.command == "/start" and intent.argument:
            self.accepting.pop(uid, None)
            self.opening[uid] = intent.argument.strip()
        if intent.command in ("/pause", "/resume", "/time", "/timezone"):
            self.pending.setdefault(uid, []).append((intent.command, intent.argument))
        if intent.command == "/language":
            wanted = _CHOSEN_LANGUAGES.get(intent.argument.strip().lower())
            if wanted is not None:
                self.who(uid).languages_in_flight.add(wanted)

    def take_pending(self, uid: int, accepts: Any) -> tuple[str, str] | None:
        """The oldest unacknowledged command `accepts` agrees with (earlier ones of the same
        command were refused or slowed down, and are dropped)."""
        waiting = self.pending.get(uid, [])
        for index, (command, argument) in enumerate(waiting):
            if accepts(command, argument):
                del waiting[: index + 1]
                return command, argument
        return None

    def answer(self, record: Record, intent: Intent) -> None:
        """Work out which question an answer belongs to; keep it until the bot's reply says
        whether it was taken (a reveal may reach the partner before that reply does)."""
        uid = record.user_id
        who = self.who(uid)
        pair = who.pair
        target: Prompt | None = None
        reason = "not paired"
        if pair is not None:
            if intent.prompt is not None:
                if intent.prompt.pair is not pair or intent.prompt.skipped:
                    reason = "a reply to a question that is no longer open"
                elif intent.prompt.closed(self.now):
                    reason = "a reply to a question that has closed"
                else:
                    target = intent.prompt
            else:
                open_prompts = pair.open_prompts(self.now)
                unanswered = [p for p in open_prompts if not p.complete(uid)]
                if len(unanswered) == 1:
                    target = unanswered[0]
                elif not unanswered and open_prompts:
                    target = open_prompts[-1]
                else:
                    reason = "several open questions" if unanswered else "no open question"
            if target is not None and target.revealed:
                reason, target = "its question was already revealed", None
        # After one's own answer to a guess question, a message is the guess: it needs words.
        guessing = (
            target is not None
            and target.format == "guess"
            and target.answered(uid)
            and intent.media != "pick"
        )
        if guessing and intent.marker is None:
            reason, target = "a guess without words", None
        label = intent.marker or intent.file_id or intent.data
        if target is None or pair is None:
            mark = self.mark_for(uid, "unsaved", record.seq, None)
            self.register(mark, intent.marker, intent.file_id)
            self.waiting[uid] = Pending(intent.kind, "refused", reason, mark)
            self.waiting[uid].message_id = record.message.get("message_id")
            self.note(uid, f"→ {intent.kind} ({intent.media}) {label}: {reason}")
            return
        mark = self.mark_for(uid, "answer", record.seq, target)
        mark.media = intent.media
        self.register(mark, intent.marker, intent.file_id)
        target.answers.setdefault(uid, []).append(mark)
        who.last_answer = self.now
        if guessing:
            target.guesses.setdefault(uid, []).append(mark)
            target.guess_message[uid] = int(record.message.get("message_id", 0))
            self.events["guesses"] += 1
        if intent.media != "pick" and not guessing:  # a tap is no message to edit later,
            target.answer_message[uid] = int(
                record.message.get("message_id", 0)
            )  # a guess its own
        pending = Pending(intent.kind, "saved", "", mark, target)
        pending.message_id = record.message.get("message_id")
        self.waiting[uid] = pending
        self.note(uid, f"→ {intent.kind} ({intent.media}) {label} to question {target.key}")
        self.events["answers" if intent.media != "pick" else "picks"] += 1
        partner = pair.partner_of(uid)
        if target.complete(partner) and target.complete(uid) and not target.revealed:
            target.revealed_seq = record.seq
            pending.revealed_here = True
            self.events["reveals_due"] += 1
            for member in pair.members:
                if not self.who(member).blocked:
                    self.expect(
                        Expectation("reveal", member, pair.key, self.now + DELIVERY_GRACE, target)
                    )

    def why(self, record: Record, intent: Intent) -> None:
        """A reply to the reveal of a pick or rating: the why, kept beside the pick and passed
        to the partner, if the question was revealed and one's answer is a pick or words."""
        uid = record.user_id
        pair = self.who(uid).pair
        target = intent.prompt
        mine = target.answers.get(uid, []) if target is not None else []
        takes_a_why = bool(mine) and (
            any(m.media == "pick" for m in mine) or mine[-1].media == "text"
        )
        if (
            target is None
            or pair is None
            or target.pair is not pair
            or not target.revealed
            or target.format not in ("this_or_that", "would_you_rather", "rate")
            or not takes_a_why
        ):
            mark = self.mark_for(uid, "unsaved", record.seq, None)
            self.register(mark, intent.marker, None)
            reason = "a why that is not for a revealed pick of this pair"
            self.waiting[uid] = Pending("why", "refused", reason, mark)
            self.note(uid, f"→ why {intent.marker}: {reason}")
            return
        mark = self.mark_for(uid, "answer", record.seq, target)
        self.register(mark, intent.marker, None)
        target.answers.setdefault(uid, []).append(mark)
        self.waiting[uid] = Pending("why", "saved", "", mark, target)
        self.events["whys"] += 1
        self.note(uid, f"→ why {intent.marker} to question {target.key}")

    def undo(self, uid: int, pending: Pending, kind: str = "unsaved") -> None:
        """The bot did not take what the model had taken: forget it."""
        mark, prompt = pending.mark, pending.prompt
        if mark is not None:
            mark.kind = kind
        if prompt is None or mark is None:
            return
        for marks in (prompt.answers.get(uid, []), prompt.guesses.get(uid, [])):
            if mark in marks:
                marks.remove(mark)
        if pending.revealed_here:
            prompt.revealed_seq = None
            self.expectations = [
                e for e in self.expectations if not (e.kind == "reveal" and e.prompt is prompt)
            ]

    def edit(self, record: Record, intent: Intent) -> None:
        uid = record.user_id
        who = self.who(uid)
        pair = who.pair
        target = None
        if pair is not None:
            for prompt in pair.prompts:
                mine = (prompt.answer_message.get(uid), prompt.guess_message.get(uid))
                if intent.edited_message in mine and not prompt.skipped:
                    target = prompt  # one's answer, or one's guess
        if target is None or target.revealed:
            predicted = "ignored"
            if target is not None:
                predicted = "edit_refused"
            elif self.answered_in_former_pair(who, intent.edited_message):
                predicted = "ended"  # the pair is over: nothing of it is revealed any more
            mark = self.mark_for(uid, "unsaved", record.seq, None)
            self.register(mark, intent.marker, None)
            self.waiting[uid] = Pending("edit", predicted, "no open question", mark)
            self.note(uid, f"→ edit {intent.marker}: not an answer to keep")
            return
        mark = self.mark_for(uid, "answer", record.seq, target)
        self.register(mark, intent.marker, None)
        target.answers.setdefault(uid, []).append(mark)
        if target.guess_message.get(uid) == intent.edited_message:
            target.guesses.setdefault(uid, []).append(mark)  # an edited guess is the guess
        self.waiting[uid] = Pending("edit", "edit_saved", "", mark, target)
        self.note(uid, f"→ edit {intent.marker} of the answer to question {target.key}")

    def answered_in_former_pair(self, who: Who, message_id: int | None) -> bool:
        for key in who.former_pairs:
            for prompt in self.pairs[key - 1].prompts:
                if prompt.answer_message.get(who.user_id) == message_id:
                    return True
        return False

    # The bot's replies to answers, corrections, edits and appreciations ---------------------

    def on_ack_saved(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        reacted = fields.get("reacted_to")
        waiting = self.waiting.get(uid)
        if (
            reacted is not None
            and waiting is not None
            and waiting.message_id is not None
            and reacted != str(waiting.message_id)
        ):
            return  # a reaction on an earlier message (its reply came first)
        pending = self.waiting.pop(uid, None)
        if pending is None or pending.kind == "edit":
            return
        if pending.kind == "gift":
            self.violate(
                "2", "gift-taken-as-answer", f"{who.name} replied to a nudge with an "
                "appreciation, and the bot saved it as an answer", uid,
            )  # fmt: skip
            if pending.mark is not None:
                pending.mark.kind = "misfiled"
        elif pending.predicted != "saved":
            self.violate(
                "2", "answer-taken-unexpectedly", f"{who.name}'s {pending.kind} was saved as "
                f"an answer, though the model finds {pending.reason}", uid,
            )  # fmt: skip
            if pending.mark is not None:
                pending.mark.kind = "misfiled"

    def on_ack_refused(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        pending = self.waiting.pop(uid, None)
        if pending is None or pending.kind == "edit":
            return
        said = str(record.message.get("text", ""))[:70]
        if pending.kind == "gift":
            self.violate("2", "gift-not-passed-on", f"{who.name}'s appreciation was answered "
                         f"with {said!r}", uid)  # fmt: skip
        elif pending.predicted == "saved" and pending.prompt is not None:
            self.violate(
                "2", "answer-refused", f"{who.name}'s {pending.kind} to question "
                f"{pending.prompt.key} was answered with {said!r}", uid,
            )  # fmt: skip
        self.undo(uid, pending)

    def on_ack_gift(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        pending = self.waiting.pop(uid, None)
        if pending is None or pending.kind == "gift":
            who.nudges_unanswered = 0  # an appreciation written: nudges come as usual again
            return
        where = f"question {pending.prompt.key}" if pending.prompt else pending.reason
        self.violate(
            "2", "answer-taken-as-gift", f"{who.name}'s {pending.kind} ({where}) was passed "
            "to the partner as an appreciation", uid,
        )  # fmt: skip
        self.undo(uid, pending, "misfiled")

    def on_ack_edit_saved(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        pending = self.waiting.pop(uid, None)
        if pending is not None and pending.kind == "edit" and pending.predicted == "edit_refused":
            self.violate("2", "edit-taken-after-reveal", f"{who.name}'s edit was taken though "
                         "its answer was already revealed", uid)  # fmt: skip
            if pending.mark is not None:
                pending.mark.kind = "misfiled"

    def on_ack_edit_refused(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        pending = self.waiting.pop(uid, None)
        if pending is not None and pending.kind == "edit":
            if pending.predicted == "edit_saved":
                self.violate("2", "edit-refused", f"{who.name}'s edit before the reveal was "
                             "refused as if after it", uid)  # fmt: skip
            self.undo(uid, pending)

    def silent(self, uid: int) -> None:
        """The bot handled what the person sent without a word (an allowance ran dry, or an
        edit of a message that is not an answer): nothing of it was kept."""
        pending = self.waiting.pop(uid, None)
        if pending is not None:
            self.undo(uid, pending)

    def applied(self, uid: int, intent: Intent, seq: int) -> None:
        """A settings change the bot confirmed (the menu came back showing it)."""
        who = self.who(uid)
        if intent.change is None:
            return
        what, value = intent.change
        self.note(uid, f"settings: {what} = {value}")
        self.events[f"setting_{what}"] += 1
        if what == "reminders":
            who.reminders_on = bool(value)
        elif what == "nudges":
            who.nudges_on = bool(value)
        elif what == "quiet":
            who.quiet = value
        elif what == "hours":
            who.reminder_hours = int(value)
        elif what in ("time", "zone"):
            self.change_clock(who, self.now, what, value)
        elif who.pair is not None:
            self.change_schedule(who.pair, self.now, what, value)

    # What the bot delivered ------------------------------------------------------------------

    def delivered(self, record: Record) -> None:
        uid = record.user_id
        who = self.who(uid)
        message = record.message
        if message.get("edited") == "buttons":
            # New buttons under a message already checked when it came ("❤️ sent" in place,
            # a tapped pick ticked): its words were seen then.
            self.note(uid, f"← buttons changed on message {message.get('message_id')}")
            return
        kind, fields = self.catalogue.classify(message)
        self.kinds_seen[kind] += 1
        short = str(message.get("text") or message.get("caption") or kind)[:70].replace("\n", " ")
        self.note(uid, f"← {kind}: {short}")
        self.check_isolation(record)
        self.check_marks(record, kind)
        self.check_language(record, who, kind, fields)
        self.check_sound(record, who, kind)
        handler = getattr(self, f"on_{kind}", None)
        if handler is not None:
            handler(record, who, fields)

    def check_sound(self, record: Record, who: Who, kind: str) -> None:
        """Invariants 9 and 10: what the bot sends on its own makes no sound in the reader's
        quiet hours (their own zone), and at most two a day make a sound at all."""
        message = record.message
        if kind not in OUTBOX_KINDS or message.get("edited") or "silent" not in message:
            return
        if message["silent"]:
            self.events["silent"] += 1
            return
        zone = who.clock(who.pair)[0]
        self.events["sounds"] += 1
        if in_quiet(record.moment, zone, who.quiet):
            self.violate(
                "9", "sound-in-quiet-hours", f"{who.name} heard a {kind} at "
                f"{local_clock(record.moment, zone):%H:%M} {zone}, inside their quiet hours "
                f"{who.quiet[0]:%H:%M}-{who.quiet[1]:%H:%M}", who.user_id,
            )  # fmt: skip
        day = local_day(record.moment, zone)
        who.sounds[day] += 1
        if who.sounds[day] > DAILY_SOUNDS and not self.after_a_crash(record.seq):
            self.violate(
                "10", "over-the-budget", f"{who.name} heard {who.sounds[day]} messages on "
                f"{day} (the {kind} last); at most {DAILY_SOUNDS} may make a sound",
                who.user_id,
            )  # fmt: skip

    def sound_figures(self) -> dict[str, float]:
        """Notifying messages per person per day: median and most, on every day each person
        was paired and on days they did nothing themselves."""
        every: list[int] = []
        idle: list[int] = []
        last = local_day(self.now, DEFAULT_ZONE)
        for who in self.people.values():
            first = min((p.formed for p in self.pairs if who.user_id in p.members), default=None)
            if first is None:
                continue
            day = local_day(first, DEFAULT_ZONE) + dt.timedelta(days=1)
            while day < last:
                every.append(who.sounds[day])
                if day not in who.active_days:
                    idle.append(who.sounds[day])
                day += dt.timedelta(days=1)
        if not every:
            return {}
        every.sort()
        idle.sort()
        return {
            "median": every[len(every) // 2],
            "max": every[-1],
            "idle_median": idle[len(idle) // 2] if idle else 0,
            "idle_max": idle[-1] if idle else 0,
            "person_days": len(every),
        }

    def check_language(self, record: Record, who: Who, kind: str, fields: dict[str, str]) -> None:
        """Invariant 8: everything a person reads is in their own language, the question's
        words included (their partner may read the same question in another)."""
        allowed = who.readable(record.moment)
        for key in (LANGUAGES, QUESTION_LANGUAGE):
            found = set(filter(None, fields.get(key, "").split(",")))
            if found and not found & allowed:
                self.violate(
                    "8", "wrong-language", f"{who.name} reads {sorted(allowed)} but got a {kind} "
                    f"in {sorted(found)}", who.user_id,
                )  # fmt: skip
                return

    def check_isolation(self, record: Record) -> None:
        """In a round of forged or stale presses only the pressers may hear from the bot."""
        if not self.isolated or record.user_id in self.isolated:
            return
        victims = set(self.isolated.values())
        who = self.who(record.user_id)
        if who.pair is not None and who.pair.key in victims:
            self.violate(
                "2",
                "forged-button-reached-another-pair",
                f"{who.name} (pair {who.pair.key}) received a message while only someone "
                "else's forged or stale button was being pressed",
                record.user_id,
                *self.isolated,
            )

    def check_marks(self, record: Record, kind: str) -> None:
        """Invariant 2 and 5: whose words may appear in this message."""
        uid = record.user_id
        who = self.who(uid)
        words, files = marks_in(record.message)
        for token in sorted(words | files):
            mark = self.marks.get(token)
            if mark is None:
                continue
            author = self.who(mark.author)
            if author.deleted_seq is not None and mark.seq < author.deleted_seq:
                self.violate(
                    "5",
                    "deleted-text-delivered",
                    f"{who.name} received {token!r}, written by {author.name} before they "
                    f"deleted their data ({kind})",
                    uid,
                    mark.author,
                )
                continue
            if (
                who.deleted_seq is not None
                and mark.seq < who.deleted_seq
                and mark.author != uid
                and record.seq > who.deleted_seq
            ):
                self.violate(
                    "5",
                    "old-pair-shown-after-deletion",
                    f"{who.name} deleted their data, yet later received {token!r} from "
                    f"{author.name} ({kind})",
                    uid,
                    mark.author,
                )
                continue
            if mark.author == uid:
                if kind in ("reveal", "reveal_media") and mark.kind == "aside":
                    self.violate(
                        "2", "aside-revealed", f"{who.name}'s reveal carries their aside "
                        f"{token!r} as an answer", uid,
                    )  # fmt: skip
                elif kind in ("reveal", "reveal_media") and mark.kind != "ask":
                    self.violate(
                        "2", "own-answer-revealed", f"{who.name}'s reveal shows their own "
                        f"words {token!r}", uid,
                    )  # fmt: skip
                continue
            if mark.partner != uid:
                self.violate(
                    "2",
                    "leak-to-third-person",
                    f"{who.name} received {token!r}, which {author.name} wrote to pair "
                    f"{mark.pair} ({kind})",
                    uid,
                    mark.author,
                )
                continue
            self.check_partner_mark(record, kind, token, mark)

    def check_partner_mark(self, record: Record, kind: str, token: str, mark: Mark) -> None:
        uid = record.user_id
        who, author = self.who(uid), self.who(mark.author)
        if mark.kind == "aside":
            # Invariant 2 (issue 12): an aside the person said was just chatting stays theirs.
            self.violate(
                "2", "aside-revealed", f"{who.name} got {author.name}'s aside {token!r} as "
                f"a {kind}", uid, mark.author,
            )  # fmt: skip
            return
        if mark.kind == "gift":
            if kind not in ("gift", "gift_media", "history", "export"):
                self.violate(
                    "2", "gift-outside-a-gift", f"{who.name} got the appreciation {token!r} "
                    f"from {author.name} as a {kind}", uid, mark.author,
                )  # fmt: skip
            return
        if mark.kind in ("ask", "misfiled"):
            return  # a misfiled answer or gift was reported when the bot replied
        if mark.kind == "answer" and mark.prompt is not None:
            prompt = mark.prompt
            if kind not in (
                "reveal",
                "reveal_media",
                "reveal_guesses",
                "why",
                "history",
                "export",
            ):
                self.violate(
                    "2",
                    "answer-outside-a-reveal",
                    f"{who.name} received {author.name}'s answer {token!r} as a {kind}, "
                    f"{'after' if prompt.revealed else 'before'} both had answered",
                    uid,
                    mark.author,
                )
            elif not prompt.revealed or (prompt.revealed_seq or 0) > record.seq:
                self.violate(
                    "2",
                    "answer-before-both-answered",
                    f"{who.name} received {author.name}'s answer {token!r} before answering "
                    f"question {prompt.key} themselves",
                    uid,
                    mark.author,
                )
            return
        self.violate(
            "2",
            "unsent-words-reached-partner",
            f"{who.name} received {token!r} from {author.name}, which was never an answer or "
            f"appreciation that was kept ({mark.kind}, as a {kind})",
            uid,
            mark.author,
        )

    # Kinds ---------------------------------------------------------------------------------

    def on_question(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        text = fields.get("question", "")
        pair = who.pair
        self.events["questions"] += 1
        if text not in self.questions and not MARKER.search(text):
            deleted_question = getattr(texts, "DELETED_QUESTION", None)
            if text != deleted_question:
                self.violate(
                    "1", "unknown-question", f"{who.name} got a question that is neither from "
                    f"the library nor written with /ask: {text[:60]!r}", uid,
                )  # fmt: skip
        if pair is None:
            if who.blocked or self.after_a_crash(record.seq):
                return
            self.violate(
                "1", "question-without-pair", f"{who.name} is not paired but got a question",
                uid,
            )  # fmt: skip
            return
        note = fields.get("note")
        if note and not any(p.match(note) for p in self.catalogue_occasion):
            prompt: Prompt | None = self.replacement(pair, uid, text)
        else:
            expectation = self.take_expectation("question", uid, pair.key)
            prompt = expectation.prompt if expectation is not None else None
        if prompt is None and pair.limbo:
            prompt = Prompt(len(pair.prompts) + 1, pair, local_day(self.now, pair.zone), self.now)
            pair.prompts.append(prompt)
            pair.last_day = prompt.day
        if prompt is None:
            earlier = [p for p in pair.prompts if p.text == text and uid in p.delivered]
            if earlier and self.in_flight_at_a_crash(earlier[-1].delivered[uid]):
                self.duplicates["question"] += 1
                return
            state = "paused" if pair.paused else "active"
            self.violate(
                "1",
                "unexpected-question" if not earlier else "question-twice",
                f"{who.name} got a question nobody expected (pair {pair.key}, {state}, "
                f"{pair.frequency} at {pair.send_time:%H:%M} {pair.zone}): {text[:50]!r}",
                uid,
            )
            return
        due_for = prompt.due_for.get(uid)
        if due_for is not None and record.moment < due_for - dt.timedelta(minutes=1):
            zone = who.clock(pair)[0]
            self.violate(
                "9", "question-before-own-time", f"{who.name} got question {prompt.key} at "
                f"{local_clock(record.moment, zone):%H:%M} {zone}, before their own "
                f"{local_clock(due_for, zone):%H:%M} (quiet {who.quiet[0]:%H:%M}-"
                f"{who.quiet[1]:%H:%M}, pair {pair.zone} {pair.send_time:%H:%M})", uid,
            )  # fmt: skip
        if prompt.text is None:
            prompt.text = text
            prompt.format = self.formats.get(text, "open")
        elif prompt.text != text:
            self.violate(
                "1", "different-questions", f"pair {pair.key}: {who.name} got {text[:40]!r} "
                f"but the partner got {prompt.text[:40]!r} for {prompt.day}", uid,
            )  # fmt: skip
        prompt.delivered[uid] = record.seq

    def prompt_by_text(self, pair: Pair | None, text: str) -> Prompt | None:
        if pair is None:
            return None
        for prompt in reversed(pair.prompts):
            if prompt.text == text:
                return prompt
        return None

    def on_reveal(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        text = fields.get("question", "")
        pair = who.pair
        prompt = self.prompt_by_text(pair, text)
        if prompt is None:
            for key in reversed(who.former_pairs):
                prompt = self.prompt_by_text(self.pairs[key - 1], text)
                if prompt is not None:
                    break
        if prompt is None:
            self.violate(
                "2", "reveal-of-unknown-question", f"{who.name} got a reveal for a question "
                f"they were never asked: {text[:50]!r}", uid,
            )  # fmt: skip
            return
        if not prompt.revealed:
            self.violate(
                "2",
                "reveal-before-both-answered",
                f"{who.name} got the reveal of question {prompt.key} ({prompt.day}) though "
                f"the model has answers from {sorted(self.who(u).name for u in prompt.answers)}",
                uid,
            )
            return
        if uid in prompt.reveals_seen:
            if self.after_a_crash(record.seq):
                self.duplicates["reveal"] += 1
            else:
                self.violate("2", "reveal-twice", f"{who.name} got question {prompt.key}'s "
                             "reveal twice", uid)  # fmt: skip
            return
        prompt.reveals_seen.add(uid)
        self.events["reveals"] += 1
        self.take_expectation("reveal", uid, prompt.pair.key, prompt)
        partner = prompt.pair.partner_of(uid)
        guesses = prompt.guesses.get(partner, [])
        theirs = [m for m in prompt.answers.get(partner, []) if m not in guesses]
        latest = theirs[-1] if theirs else None
        if not record.message.get("effect_id"):  # issue 12: the reveal opens with an effect
            self.violate("2", "reveal-without-effect", f"{who.name}'s reveal of question "
                         f"{prompt.key} came without a message effect", uid)  # fmt: skip
        if latest is None or latest.media != "text":
            return
        words, _ = marks_in(record.message)
        shown = {w for w in words if (m := self.marks.get(w)) is not None and m.kind == "answer"}
        token = next((t for t, m in self.marks.items() if m is latest), None)
        if token is not None and token not in shown:
            self.violate(
                "2", "reveal-shows-stale-answer", f"{who.name}'s reveal of question "
                f"{prompt.key} shows {sorted(shown)} instead of the latest {token!r}", uid,
            )  # fmt: skip
        hidden = " ".join(SPOILER.findall(str(record.message.get("html") or "")))
        if token is not None and token in shown and token not in hidden:
            self.violate(
                "2", "reveal-not-under-spoiler", f"{who.name}'s reveal of question "
                f"{prompt.key} shows the partner's words outside a spoiler", uid,
            )  # fmt: skip

    def on_reveal_media(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.events["media_reveals"] += 1

    def on_reveal_guesses(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.events["guess_reveals"] += 1

    def on_nudge(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        pair = who.pair
        self.events["nudges"] += 1
        who.last_nudge = (self.now, record.seq)
        if pair is not None and pair.limbo:
            return  # a member is blocked: whether the bot paused yet is not known
        if pair is None or pair.paused or not who.nudges_on:
            if pair is not None and self.take_expectation("nudge", uid, pair.key) is not None:
                return  # queued before the pause or the switch-off
            state = "unpaired" if pair is None else "paused" if pair.paused else "nudges off"
            self.violate("3", "nudge-not-allowed", f"{who.name} got a nudge while {state}", uid)
            return
        if self.take_expectation("nudge", uid, pair.key) is None:
            if self.after_a_crash(record.seq):
                self.duplicates["nudge"] += 1
                return
            zone = who.clock(pair)[0]
            day = local_day(self.now, zone)
            if (
                who.nudges_unanswered >= NUDGES_BEFORE_BACKING_OFF
                and day.isoweekday() in NUDGE_DAYS
                and local_clock(self.now, zone) >= NUDGE_TIME
                and day not in pair.nudge_days.setdefault(uid, set())
            ):
                pair.nudge_days[uid].add(day)  # backing off: a later slot than the model's
                who.nudges_unanswered += 1
                return
            lenient = pair.zone_changed is not None and self.now - pair.zone_changed < (
                dt.timedelta(hours=30)
            )
            if not lenient:
                self.violate("3", "unexpected-nudge", f"{who.name} got a second or unexpected "
                             f"nudge (pair {pair.key})", uid)  # fmt: skip

    def on_reminder(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        pair = who.pair
        self.events["reminders"] += 1
        text = fields.get("question", "")
        prompt = self.prompt_by_text(pair, text)
        queued = (
            prompt is not None
            and pair is not None
            and self.take_expectation("reminder", uid, pair.key, prompt) is not None
        )
        if pair is not None and pair.limbo:
            return  # a member is blocked: whether the bot paused yet is not known
        if pair is None or (pair.paused and not queued):
            self.violate("3", "reminder-not-allowed", f"{who.name} got a reminder while "
                         f"{'unpaired' if pair is None else 'paused'}", uid)  # fmt: skip
            return
        zone = who.clock(pair)[0]
        if in_quiet(self.now, zone, who.quiet):
            self.violate(
                "3", "reminder-in-quiet-hours", f"{who.name} got a reminder at "
                f"{local_clock(self.now, zone):%H:%M} {zone}, inside quiet hours "
                f"{who.quiet[0]:%H:%M}-{who.quiet[1]:%H:%M}", uid,
            )  # fmt: skip
        if prompt is None:
            return
        if not queued:
            if self.after_a_crash(record.seq):
                self.duplicates["reminder"] += 1
                return
            reason = "a second reminder" if uid in prompt.reminded else "an unexpected reminder"
            if not who.reminders_on:
                reason += " with reminders off"
            elif prompt.answered(uid):
                reason += " after answering"
            self.violate("3", "unexpected-reminder", f"{who.name} got {reason} for question "
                         f"{prompt.key}", uid)  # fmt: skip

    def on_paired(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        partner_uid = self.names.get(fields.get("partner", ""))
        if partner_uid is None:
            return
        if who.pair is not None and partner_uid in who.pair.members and who.pair.active:
            return  # the second member's copy of a pair already formed
        accepter = uid if uid in self.accepting else partner_uid
        inviter = partner_uid if accepter == uid else uid
        code = self.accepting.pop(accepter, "")
        invite = self.invites.get(code)
        problem = None
        if invite is None:
            problem = "an invite the model never saw"
        elif invite.inviter != inviter:
            problem = "someone else's invite"
        elif invite.used:
            problem = "an invite already used"
        elif self.now - invite.created > INVITE_LIFETIME:
            problem = "an expired invite"
        elif self.pairings[inviter] != invite.inviter_pairings:
            problem = "an invite made before the inviter paired with someone else"
        if problem is not None:
            self.violate(
                "pairing", "invite-not-valid", f"{self.who(accepter).name} was paired with "
                f"{self.who(inviter).name} through {problem} ({code!r})", accepter, inviter,
            )  # fmt: skip
        if invite is not None:
            invite.used = True
        for member in (inviter, accepter):
            old = self.who(member).pair
            if old is not None and old.active:
                self.violate(
                    "pairing", "paired-twice", f"{self.who(member).name} was paired again "
                    "while still in an active pair", member,
                )  # fmt: skip
                self.end_pair(old, self.now)
        self.form_pair(inviter, accepter, self.now, record.seq)

    def on_zone_set(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """A zone button (or skip) acknowledged: the person's own zone is set."""
        pressed, who.zone_pressed = who.zone_pressed, None
        if pressed is None:
            return
        pair = who.pair
        if pressed == "-":
            if who.zone is None and pair is not None:
                self.change_clock(who, self.now, "zone", pair.zone)
            return
        self.change_clock(who, self.now, "zone", pressed)
        self.events["zones_chosen"] += 1

    def on_absence(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        pair = who.pair
        if pair is None:
            return
        if self.take_expectation("absence", who.user_id, pair.key) is None:
            if self.after_a_crash(record.seq):
                self.duplicates["absence"] += 1
                return
            self.violate(
                "1", "unexpected-absence-pause", f"{who.name} was told pair {pair.key} is "
                "paused for an absence the model does not find", who.user_id,
            )  # fmt: skip

    def on_invite_link(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        link = fields.get("link", "")
        code = link.split("?start=")[-1].split()[0] if "?start=" in link else ""
        if code:
            for invite in self.invites.values():
                if invite.inviter == who.user_id:
                    invite.used = True  # a new link replaces the earlier one
            self.invites[code] = Invite(code, who.user_id, self.now, self.pairings[who.user_id])

    # Issue 12: the inviter's follow-ups -----------------------------------------------------

    def on_invite_declined_told(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """ "Not now", and the invitee is told the inviter will know: the bot found the link
        unused and running. The inviter is told once per link (not after a "Not now" told
        before), when reachable and unpaired."""
        code = self.declining.pop(who.user_id, None)
        invite = self.invites.get(code or "")
        if invite is None:
            return
        inviter = self.who(invite.inviter)
        if fields.get("inviter") != inviter.name:
            self.violate(
                "pairing", "decline-names-someone-else", f"{who.name} declined "
                f"{inviter.name}'s invite and was told {fields.get('inviter')!r} will know",
                who.user_id,
            )  # fmt: skip
        fresh = invite.alive or invite.gone_at == self.now  # a pairing in this very step
        if not fresh or self.now >= invite.expires:
            state = "used or replaced" if invite.used else "deleted" if invite.gone else "expired"
            self.violate(
                "pairing", "decline-told-for-dead-invite", f"{who.name} declined an invite of "
                f"{inviter.name} that is {state}, and was told {inviter.name} will know",
                who.user_id, invite.inviter,
            )  # fmt: skip
            return
        self.events["invites_declined"] += 1
        if invite.told == "declined":
            return  # said once already
        invite.told = "declined"
        self.expect_invite_notice(invite, "declined", who.user_id)

    def on_invite_declined(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """ "Not now" without telling the inviter: the link was not there to tell about."""
        code = self.declining.pop(who.user_id, None)
        invite = self.invites.get(code or "")
        if invite is None or not invite.alive or self.now >= invite.expires:
            return
        if invite.told is None:
            inviter = self.who(invite.inviter)
            self.violate(
                "pairing", "decline-not-passed-on", f"{who.name} declined {inviter.name}'s "
                "running, unused invite and was not told that the inviter will know",
                who.user_id, invite.inviter,
            )  # fmt: skip

    def on_invite_ran_out(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """A link opened (or accepted) after its 7 days: its inviter is told once, unless they
        were told of a "Not now" for it."""
        code = self.opening.pop(who.user_id, None) or self.accepting.pop(who.user_id, None)
        invite = self.invites.get(code or "")
        if invite is None:
            return
        if not invite.alive and invite.gone_at != self.now:
            self.violate(
                "pairing", "ran-out-for-dead-invite", f"{who.name} was told an invite of "
                f"{self.who(invite.inviter).name} ran out, though it was "
                f"{'used or replaced' if invite.used else 'deleted'}", who.user_id,
            )  # fmt: skip
            return
        if self.now < invite.expires:
            self.violate(
                "pairing", "ran-out-too-early", f"{who.name} was told an invite ran out "
                f"{invite.expires - self.now} before its 7 days were over", who.user_id,
            )  # fmt: skip
            return
        self.events["invites_opened_late"] += 1
        if invite.told in ("opened_late", "declined"):
            return
        invite.told = "opened_late"
        self.expect_invite_notice(invite, "opened_late", who.user_id)

    def invite_notice(self, record: Record, who: Who, fields: dict[str, str], what: str) -> None:
        uid = who.user_id
        if in_quiet(record.moment, who.clock(who.pair)[0], who.quiet):
            zone = who.clock(who.pair)[0]
            self.violate(
                "9", "follow-up-in-quiet-hours", f"{who.name} got the invite {what} notice at "
                f"{local_clock(record.moment, zone):%H:%M} {zone}, inside their quiet hours; it "
                "can wait for the morning", uid,
            )  # fmt: skip
        expectation = self.take_expectation(f"invite_{what}", uid, 0)
        if expectation is None:
            if self.after_a_crash(record.seq):
                self.duplicates[f"invite_{what}"] += 1
                return
            self.violate(
                "pairing", f"unexpected-invite-{what.replace('_', '-')}-notice", f"{who.name} "
                f"was told an invite of theirs was {what.replace('_', ' ')}, which the model "
                "does not owe (told before, used, replaced, or they are paired)", uid,
            )  # fmt: skip
            return
        invite = self.invites.get(expectation.code)
        if invite is not None:
            invite.notices[what] += 1
        self.events[f"invite_{what}_notices"] += 1
        named = fields.get("name")
        if expectation.about is not None and named != self.who(expectation.about).name:
            self.violate(
                "pairing", "follow-up-names-someone-else", f"{who.name}'s invite {what} notice "
                f"names {named!r}, not {self.who(expectation.about).name}", uid,
            )  # fmt: skip
        if what != "declined" and not any(d == "invite" for d in button_data(record.message)):
            self.violate(
                "pairing", "follow-up-without-new-link", f"{who.name}'s invite {what} notice "
                "has no button for a new link", uid,
            )  # fmt: skip

    def on_invite_declined_notice(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.invite_notice(record, who, fields, "declined")

    def on_invite_expired_notice(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.invite_notice(record, who, fields, "expired")

    def on_invite_opened_late_notice(
        self, record: Record, who: Who, fields: dict[str, str]
    ) -> None:
        self.invite_notice(record, who, fields, "opened_late")

    # Issue 12: a shared location, and the week's exercise opened from its teaser -----------

    def on_zone_located(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """The zone a shared location was taken for: the one the model finds there (from the
        simulation's own table of places), set as a /timezone would set it."""
        taken = self.take_pending(who.user_id, lambda command, _: command == "location")
        if taken is None:
            self.violate("4", "location-reply-unasked", f"{who.name} was told a zone from a "
                         "location they never shared", who.user_id)  # fmt: skip
            return
        zone = taken[1]
        shown = fields.get("when", "")
        if not zone or not shown.endswith(f"({zone})"):
            self.violate(
                "4", "location-wrong-zone", f"{who.name} shared a location in "
                f"{zone or 'no zone at all'} and was told their question comes at {shown!r}",
                who.user_id,
            )  # fmt: skip
            if not zone:
                return
        self.change_clock(who, self.now, "zone", zone)
        self.events["zones_from_location"] += 1

    def on_zone_unknown(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        taken = self.take_pending(who.user_id, lambda command, _: command == "location")
        if taken is not None and taken[1]:
            self.violate(
                "4", "location-not-understood", f"{who.name} shared a location in {taken[1]} "
                "and was told no zone could be found there", who.user_id,
            )  # fmt: skip
        self.events["locations_unknown"] += 1

    def on_exercise_teaser(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        if not record.message.get("edited"):
            pair = who.pair.key if who.pair is not None else None
            key = (who.user_id, int(record.message.get("message_id", 0)))
            # The title is compared in the language it was written in (/language may change
            # it before the how-to is opened).
            self.teasers[key] = (pair, f"{fields.get(LANGUAGES, '')}|{fields.get('title', '')}")

    def on_exercise(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """The exercise's how-to: only ever the teaser edited in place, after "Show me"."""
        uid = who.user_id
        show = self.shows.get(uid)
        message_id = record.message.get("message_id")
        if record.message.get("edited") and isinstance(message_id, int):
            self.opened_teasers.add((uid, message_id))
        if not record.message.get("edited"):
            if show is not None:
                self.violate(
                    "4", "exercise-sent-anew", f"{who.name} pressed Show me and got the "
                    "exercise as a new message, not in place of its teaser", uid,
                )  # fmt: skip
            return
        if show is None or show[0] != message_id:
            return  # a stale press of an older teaser's button
        current = who.pair.key if who.pair is not None else None
        if show[1] != current:
            self.violate(
                "2", "former-exercise-opened", f"{who.name} pressed Show me under a teaser "
                f"of their former pair {show[1]}, and it opened", uid,
            )  # fmt: skip
        languages, _, title = str(show[3]).partition("|")
        same_language = set(languages.split(",")) & set(fields.get(LANGUAGES, "").split(","))
        if title and same_language and fields.get("title") and fields["title"] != title:
            self.violate(
                "4", "exercise-not-the-teasers", f"{who.name}'s teaser for {title!r} opened "
                f"as {fields['title']!r}", uid,
            )  # fmt: skip
        show[2] = True

    def shown(self, record: Record) -> None:
        """The driver waited for what Show me did: the press's answer is in the note."""
        uid = record.user_id
        who = self.who(uid)
        show = self.shows.pop(uid, None)
        if show is None or show[4]:
            return  # a teaser opened before stays as it is
        answer = record.message.get("answer")
        current = who.pair.key if who.pair is not None else None
        if show[1] == current and current is not None:
            if show[2]:
                self.events["exercises_opened"] += 1
            elif answer is not None and not self.after_a_crash(record.seq):
                said = answer.get("text") or "nothing"
                self.violate(
                    "4", "exercise-not-opened", f"{who.name} pressed Show me under their "
                    f"pair's teaser; it was answered ({said!r}) but not opened in place", uid,
                )  # fmt: skip
        elif not show[2]:
            self.events["former_exercises_refused"] += 1
            if answer is not None and not answer.get("show_alert"):
                self.violate(
                    "4", "former-exercise-press-unexplained", f"{who.name} pressed Show me "
                    "under a former pair's teaser and got no word why nothing opened", uid,
                )  # fmt: skip

    def on_unpaired(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        pair = who.pair
        if who.user_id in self.isolated:
            self.violate("2", "stale-button-unpaired", f"{who.name}'s stale or forged button "
                         "ended their current pairing", who.user_id)  # fmt: skip
        if pair is not None:
            self.end_pair(pair, self.now)

    def on_language_set(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        found = set(filter(None, fields.get(LANGUAGES, "").split(",")))
        chosen = next(iter(found & who.languages_in_flight), None)
        if chosen is None:
            self.violate(
                "8", "language-not-as-asked", f"{who.name} was told the language is now "
                f"{sorted(found)}, which they did not ask for", who.user_id,
            )  # fmt: skip
            return
        who.language_changed = (record.moment, who.language)
        who.chosen_language = chosen
        who.languages_in_flight.discard(chosen)
        self.events["language_changes"] += 1

    def on_deleted(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        uid = who.user_id
        if who.chosen_language is not None:  # their choice went with their data
            who.language_changed = (record.moment, who.language)
            who.chosen_language = None
        if who.pair is not None:
            self.end_pair(who.pair, self.now)
        who.deleted_seq = record.seq
        who.blocked = False
        self.invites_gone((uid,), self.now)
        who.reset_settings()
        self.deletions.append((uid, record.seq, self.now))
        self.events["deletions"] += 1

    def on_paused(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        pair = who.pair
        if pair is None:
            return
        label = fields.get("until", "")

        def agrees(command: str, argument: str) -> bool:
            if command != "/pause":
                return False
            until = self.pause_end(argument, pair, who)
            if until is None:
                return label in {form for _, form in template_forms("PAUSE_UNTIL_RESUMED")}
            day = until.astimezone(ZoneInfo(who.clock(pair)[0]))  # in the reader's own zone
            if who.language == "en":
                return day.strftime("%d %B %Y").lstrip("0") in label
            return str(day.day) in label and str(day.year) in label

        taken = self.take_pending(who.user_id, agrees)
        if taken is None:
            self.violate(
                "4", "pause-not-as-asked", f"{who.name} was told {label!r}, which matches no "
                "/pause they sent", who.user_id,
            )  # fmt: skip
            return
        self.pause(pair, who.user_id, self.pause_end(taken[1], pair, who))
        pair.limbo = False
        self.events["pauses"] += 1

    def pause_end(self, argument: str, pair: Pair, who: Who) -> dt.datetime | None:
        """When a pause ends, from what the person typed (the model's own reading of it):
        nothing (until resumed), `3d`, `2w`, or `until YYYY-MM-DD` (that local midnight)."""
        argument = argument.strip().lower()
        span = re.fullmatch(r"(\d+)\s*(d|w)", argument)
        if span:
            days = int(span.group(1)) * (7 if span.group(2) == "w" else 1)
            return self.now + dt.timedelta(days=days)
        until = re.fullmatch(r"until\s+(\d{4}-\d{2}-\d{2})", argument)
        if until:
            day = dt.date.fromisoformat(until.group(1))
            return wall_moment(day, dt.time(0), who.clock(pair)[0])  # their own date
        return None

    def on_resumed(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.take_pending(who.user_id, lambda command, _: command == "/resume")
        pair = who.pair
        if pair is not None and (pair.paused or pair.limbo):
            pair.limbo = False
            self.resume(pair, self.now)
            self.events["resumes"] += 1

    def on_not_paused(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.take_pending(who.user_id, lambda command, _: command == "/resume")
        pair = who.pair
        if pair is not None and pair.limbo:
            pair.limbo, pair.paused = False, False
            pair.next_due = next_send(
                self.now, pair.zone, pair.send_time, pair.frequency, pair.last_day
            )
        elif pair is not None and pair.paused:
            self.violate("4", "resume-refused", f"{who.name} sent /resume while paused and was "
                         "told they are not paused", who.user_id)  # fmt: skip

    def on_schedule_changed(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        shown = fields.get("when", "")

        pair = who.pair
        zone = who.clock(pair)[0]

        def moves_zone(command: str, argument: str) -> bool:
            return command == "/timezone" and shown.endswith(f"({argument.strip()})")

        def moves_time(command: str, argument: str) -> bool:
            # A reply to /time shows the pair's zone as it is; "08:00 (Australia/Adelaide)"
            # after /timezone must not be taken for an earlier, unanswered "/time 08:00".
            return (
                command == "/time"
                and shown.startswith(argument.strip().zfill(5) + " ")
                and shown.endswith(f"({zone})")
            )

        taken = self.take_pending(who.user_id, moves_zone) or self.take_pending(
            who.user_id, moves_time
        )
        if taken is None or pair is None:
            if pair is not None:
                self.violate(
                    "4", "schedule-not-as-asked", f"{who.name} was told the question now comes "
                    f"at {shown!r}, which matches no /time or /timezone they sent", who.user_id,
                )  # fmt: skip
            return
        command, argument = taken
        if command == "/time":
            hours, minutes = argument.strip().split(":")
            self.change_clock(who, self.now, "time", dt.time(int(hours), int(minutes)))
        else:
            self.change_clock(who, self.now, "zone", argument.strip())
        self.events[f"schedule{command.replace('/', '_')}"] += 1

    def replacement(self, pair: Pair, uid: int, text: str) -> Prompt:
        """A swapped question (/skip): it replaces today's open question for both."""
        for prompt in reversed(pair.prompts):
            if prompt.replaces and uid not in prompt.delivered and prompt.text in (None, text):
                return prompt
        today = local_day(self.now, pair.zone)
        todays = [p for p in pair.open_prompts() if p.day == today]
        if todays:
            old = todays[-1]
            old.skipped = True
            self.expectations = [e for e in self.expectations if e.prompt is not old]
        prompt = Prompt(len(pair.prompts) + 1, pair, today, self.now, replaces=True)
        for member in pair.members:  # a swapped question comes at once, for both
            prompt.due_for[member] = prompt.reminder_base[member] = self.now
        pair.prompts.append(prompt)
        self.events["skips"] += 1
        return prompt

    def on_unreachable(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        """The bot could not reach the partner and paused the pair (they blocked it)."""
        pair = who.pair
        if pair is not None and pair.active:
            if not pair.paused:
                self.pause(pair, pair.partner_of(who.user_id), None)
            pair.limbo = False

    def on_reminders_on(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        who.reminders_on = True

    def on_reminders_off(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        who.reminders_on = False

    def on_export(self, record: Record, who: Who, fields: dict[str, str]) -> None:
        self.events["exports"] += 1
        data = record.message.get("document_bytes")
        if who.deleted_seq is not None and isinstance(data, bytes | bytearray):
            try:
                exported = json.loads(bytes(data))
            except ValueError:
                return
            former = set(who.former_pairs)
            if former and exported.get("pairs") and who.pair is None:
                ended = [p for p in exported["pairs"] if not p.get("active")]
                if ended and len(ended) >= len(former):
                    self.violate(
                        "5", "export-shows-deleted-pairs", f"{who.name} deleted their data, "
                        f"yet their export still lists {len(ended)} ended pairing(s)",
                        who.user_id,
                    )  # fmt: skip

    # Crashes --------------------------------------------------------------------------------

    def crashed(self, start_seq: int, kill_seq: int) -> None:
        """Messages first delivered between `start_seq` and `kill_seq` may come twice."""
        self.crash_windows.append([start_seq, kill_seq, 1 << 62])
        self.crash_moments.append(self.now)
        self.events["crashes"] += 1

    # People ---------------------------------------------------------------------------------

    def deletion_needles(self, uid: int, before_seq: int) -> tuple[int, str, list[str]]:
        """What must be gone after `uid` deleted their data: id, name, every marker written."""
        who = self.who(uid)
        words = [t for t, m in self.marks.items() if m.author == uid and m.seq < before_seq
                 and t.startswith(MARKER_PREFIX)]  # fmt: skip
        return uid, who.name, words

    def violation_kinds(self) -> list[tuple[str, str, str]]:
        """(invariant, kind, first text) for each kind of violation seen."""
        first: dict[tuple[str, str], str] = {}
        for violation in self.violations:
            first.setdefault((violation.invariant, violation.kind), violation.text)
        return [(inv, kind, text) for (inv, kind), text in sorted(first.items())]


def make_oracle(people: Iterable[Person], seed: int, start: dt.datetime) -> Oracle:
    """An oracle for `people`, nobody paired yet."""
    return Oracle({p.user_id: Who(p) for p in people}, seed, start)
