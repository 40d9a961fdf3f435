"""Value objects the rest of the bot passes around."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Depth(IntEnum):
    """How much a question asks of the people answering it."""

    LIGHT = 1
    MEDIUM = 2
    DEEP = 3


class Frequency(StrEnum):
    """On which local days a pair receives a question."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKENDS = "weekends"
    THREE_A_WEEK = "three_a_week"

    def includes(self, day: dt.date) -> bool:
        """Say whether `day` (a local date) is a question day."""
        weekday = day.weekday()
        if self is Frequency.WEEKDAYS:
            return weekday < 5
        if self is Frequency.WEEKENDS:
            return weekday >= 5
        if self is Frequency.THREE_A_WEEK:
            return weekday in (0, 2, 4)  # Monday, Wednesday, Friday
        return True


class DepthPreference(StrEnum):
    """The depth a pair asked for; GROW starts light and deepens with the pair's history."""

    GROW = "grow"
    GENTLE = "gentle"
    DEEPER = "deeper"
    DEEPEST = "deepest"


class Cadence(StrEnum):
    """How often an exercise is meant to be done."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class LoveLanguage(StrEnum):
    """The five love languages appreciation prompts are spread over."""

    WORDS = "words"
    ACTS = "acts"
    GIFTS = "gifts"
    TIME = "time"
    TOUCH = "touch"


class AnswerKind(StrEnum):
    """The kinds of message that can be an answer."""

    TEXT = "text"
    VOICE = "voice"
    VIDEO_NOTE = "video_note"
    PHOTO = "photo"


class PromptKind(StrEnum):
    """What a pair was sent on a day: the daily question or an extra exercise."""

    QUESTION = "question"
    EXERCISE = "exercise"


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    """What choosing a pair's next question reads about the pair (one read per tick batch)."""

    history: tuple[str, ...] = ()  # library ids of the questions it received, oldest first
    questions_sent: int = 0  # questions sent, swapped ones not counted
    shared_answers: int = 0  # questions both partners answered
    custom: tuple[int, int, str] | None = None  # (id, author, text) of the next /ask question


@dataclass(frozen=True, slots=True)
class Category:
    """A themed group of questions."""

    id: str
    name: str
    description: str
    sensitive: bool


@dataclass(frozen=True, slots=True)
class Question:
    """One question from the library."""

    id: str
    category: str
    depth: Depth
    text: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exercise:
    """A small shared activity offered on its cadence."""

    id: str
    cadence: Cadence
    title: str
    minutes: int
    how_to: str


@dataclass(frozen=True, slots=True)
class AppreciationPrompt:
    """What to notice and say in a compliment nudge."""

    id: str
    language: LoveLanguage
    text: str


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who has talked to the bot in a private chat."""

    user_id: int
    chat_id: int
    first_name: str
    pair_id: int | None = None
    reminders_on: bool = False
    nudges_on: bool = True
    blocked: bool = False
    reminder_hours: int = 4
    quiet_start: dt.time = dt.time(22, 0)
    quiet_end: dt.time = dt.time(8, 0)
    language: str | None = None  # chosen with /language
    telegram_language: str | None = None  # what their Telegram app last reported
    timezone: str | None = None  # their own zone (None: not chosen yet; the pair's is used)
    send_time: dt.time | None = None  # when their question comes (None: the pair's time)
    nudge_days: frozenset[int] = frozenset({2, 5})  # ISO weekdays (1 = Monday) for nudges
    nudge_time: dt.time = dt.time(19, 0)
    next_nudge_at: dt.datetime | None = None

    def clock(self, pair: Pair | None, default: str = "UTC") -> Schedule:
        """The person's own schedule: their zone and time, else the pair's (whose frequency
        is always the pair's)."""
        if pair is None:
            return Schedule(self.timezone or default, self.send_time or dt.time(9, 0))
        return Schedule(
            self.timezone or pair.schedule.timezone,
            self.send_time or pair.schedule.send_time,
            pair.schedule.frequency,
        )

    @property
    def zone(self) -> str:
        """The zone the person's times are shown in (UTC until they or their pair chose)."""
        return self.timezone or "UTC"


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a pair's day begins: a local send time on chosen days in one time zone."""

    timezone: str
    send_time: dt.time
    frequency: Frequency = Frequency.DAILY


@dataclass(frozen=True, slots=True)
class Preferences:
    """A pair's choices about which questions it gets."""

    depth: DepthPreference = DepthPreference.GROW
    disabled_categories: frozenset[str] = frozenset()
    enabled_sensitive: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Pair:
    """Two partners sharing one daily question."""

    id: int
    members: tuple[int, int]
    schedule: Schedule
    preferences: Preferences = field(default_factory=Preferences)
    seed: int = 0
    exercise_weekday: int = 5  # Saturday
    next_due_at: dt.datetime | None = None
    paused: bool = False
    pause_ends_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    paused_by: int | None = None
    apart: bool = False  # the partners live apart
    stage: str | None = None  # new, established or long_term (None: not said)
    anniversary: dt.date | None = None  # the day the couple counts from
    sensitive_pace: str = "weekly"  # how often an opt-in topic's question may come
    heat: str = "mild"  # how explicit intimacy questions may be (raised only with both's yes)
    series: str | None = None  # a short series running: the topic (category) it is on
    series_day: int = 0  # how many of the series' days were sent
    created_at: dt.datetime | None = None

    def partner_of(self, user_id: int) -> int:
        """Return the other member of the pair."""
        first, second = self.members
        if user_id == first:
            return second
        if user_id == second:
            return first
        raise ValueError("not a member of this pair")


@dataclass(frozen=True, slots=True)
class Prompt:
    """A question (or exercise) as it was sent to one pair on one local day."""

    id: int
    pair_id: int
    kind: PromptKind
    content_id: str | None
    text: str
    local_date: dt.date
    sent_at: dt.datetime
    revealed_at: dt.datetime | None = None
    author_id: int | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One partner's answer to a prompt, as stored."""

    prompt_id: int
    user_id: int
    kind: AnswerKind
    text: str
    file_id: str | None
    chat_id: int
    message_id: int
    answered_at: dt.datetime
    choice: int | None = None  # a tapped option (0 or 1) or a rating (1-10)
    guess: str | None = None  # guess-your-partner: the guess at the partner's answer
    guess_message_id: int | None = None  # the message the guess came in
    guess_verdict: bool | None = None  # the partner's word on the guess: that's me / not quite


@dataclass(frozen=True, slots=True)
class Invite:
    """A single-use, expiring code one person sends to their partner."""

    code: str
    inviter_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    told: str | None = None  # what the inviter was last told about it unused (issue 12)


@dataclass(frozen=True, slots=True)
class Nudge:
    """A compliment nudge sent to one partner: an invitation to write an appreciation."""

    id: int
    pair_id: int
    user_id: int
    content_id: str
    local_date: dt.date
    sent_at: dt.datetime
    gift_at: dt.datetime | None = None
    heart_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A revealed question with both answers, as one partner may see it."""

    prompt: Prompt
    mine: Answer | None
    theirs: Answer | None
    partner_name: str  # empty when the partner deleted their data


@dataclass(frozen=True, slots=True)
class JournalFilter:
    """Which revealed questions a journal page shows: all of them unless narrowed."""

    search: str = ""  # words in the question or either answer
    content_ids: frozenset[str] | None = None  # library questions of one category
    partner_written: bool = False  # only questions one of the pair wrote (/ask)
    kind: AnswerKind | None = None  # at least one answer of this kind


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """A time a pair was paused; `ended_at` is None while it lasts."""

    started_at: dt.datetime
    ended_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ReminderDue:
    """Someone who may need a reminder for an open question."""

    prompt: Prompt
    person: Person
    pair: Pair
    partner_answered: bool
    # When the question was to reach the person (their own moment, or at once for the first
    # or a swapped question); None when its message is no longer kept.
    delivered_at: dt.datetime | None = None
