"""Simulated people: who they are and what they tend to do, drawn from one seed.

Everything here comes from `random.Random` instances derived from the run's seed, so a seed
replays the same population with the same habits. Each person has their own generator: what
one person does never shifts another person's draws.

Every text a person writes carries a marker word (`qx` and eight letters) that appears nowhere
else, so the oracle can follow it into every chat and, after /deletemydata, search the
database and its files for it byte by byte. Names are made up the same way (`Zy...`).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Adelaide",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
# Send times a pair may pick with /time. 02:30 falls in the spring-forward gap of Berlin and New
# York and is repeated when Adelaide falls back; 03:15 is repeated when Chatham falls back.
SEND_TIMES = (
    dt.time(7, 0),
    dt.time(7, 30),
    dt.time(8, 0),
    dt.time(8, 45),
    dt.time(9, 0),
    dt.time(12, 15),
    dt.time(18, 30),
    dt.time(20, 0),
    dt.time(21, 30),
    dt.time(2, 30),
    dt.time(3, 15),
)
# What people's Telegram apps report: most English or none, the rest one of the languages
# Nearer speaks, some in a regional variant, some in one it does not speak.
TELEGRAM_LANGUAGES = (None, "en", "es", "es-MX", "de", "pt-br", "pt-PT", "ru", "ja")
LANGUAGE_WEIGHTS = (3, 6, 2, 1, 2, 1, 1, 2, 1)
# What /language may be sent with (codes and one language's own name).
LANGUAGE_CHOICES = ("en", "es", "de", "pt_BR", "ru", "Deutsch")
MARKER_PREFIX = "qx"
MARKER_LETTERS = 8
FIRST_USER_ID = 7_100_000_000  # far from any other number the database stores
PHRASES = (
    "I think about the morning we",
    "Honestly <3 the best part was",
    'Ha, "obviously" it is',
    "Tea & toast & you, and",
    "Hard one. Maybe",
    "Still laughing about",
    "If I'm honest: 1 < 2 and",
)
GIFT_PHRASES = (
    "Thank you for the coffee, it made my day",
    "You handled that call so calmly & kindly",
    "I love how you <3 our little rituals",
)

# Optional things a person may do on a day, with the base chance per day. A person's
# `activity` scales them.
DAILY_CHANCES: dict[str, float] = {
    "pause": 0.010,
    "settings": 0.020,
    "time": 0.012,
    "timezone": 0.006,
    "reminders": 0.012,
    "skip": 0.015,
    "ask": 0.015,
    "today": 0.030,
    "history": 0.015,
    "export": 0.004,
    "streak": 0.008,
    "help": 0.008,
    "unsupported": 0.005,
    "unpair": 0.006,
    "delete": 0.0015,
    "block": 0.003,
    "stale": 0.010,
    "forged": 0.006,
    "flood": 0.002,
    "language": 0.004,
    "business": 0.003,
}
# Things a person may do in the Mini App, with the base chance per day. They are drawn from a
# generator of their own (`Person.app_rng`), so adding them left every other draw, and so the
# story of every earlier seed, as it was.
APP_DAILY_CHANCES: dict[str, float] = {
    "app_settings": 0.015,
}
# Later behaviours (issue 12's shared location), drawn from a generator of their own
# (`Person.more_rng`) for the same reason.
MORE_DAILY_CHANCES: dict[str, float] = {
    "location": 0.008,
}
SHOW_EXERCISE_SHARE = 0.5  # how often someone opens the week's exercise from its teaser
# Where people share their location from: (latitude, longitude) -> the zone a person there
# lives in (the simulation's own table: the oracle reads the zone from here, not from the bot).
# The last point is impossible (no zone), as a broken client might send.
PLACES: dict[tuple[float, float], str | None] = {
    (52.52, 13.40): "Europe/Berlin",
    (40.71, -74.01): "America/New_York",
    (35.68, 139.69): "Asia/Tokyo",
    (-23.55, -46.63): "America/Sao_Paulo",
    (-34.93, 138.60): "Australia/Adelaide",
    (123.0, 500.0): None,
}
PLACE_WEIGHTS = (3, 3, 2, 2, 2, 1)


@dataclass(frozen=True)
class Traits:
    """A person's habits, fixed for the whole run."""

    answer_share: float  # chance to answer a question at all
    answer_delay: tuple[float, float]  # hours after the question arrives
    media: tuple[float, float, float, float]  # weights: text, voice, video note, photo
    reply_share: float  # reply to the question message (else a plain message)
    edit_share: float  # edit a text answer afterwards (before or after the reveal)
    correction_share: float  # send a second plain message that replaces the answer
    older_share: float  # also answer an older question still open
    gift_share: float  # reply to an evening nudge with an appreciation
    react_share: float  # press a reaction under a reveal
    invite_answer: str  # "accept", "decline" or "never" when offered an invite
    activity: float  # scales DAILY_CHANCES


def draw_traits(rng: random.Random) -> Traits:
    """Draw one person's habits."""
    style = rng.choices(["early", "late", "sporadic", "never"], [4, 3, 2, 1])[0]
    answer_share, delay = {
        "early": (0.92, (0.0, 2.0)),
        "late": (0.85, (3.0, 11.0)),
        "sporadic": (0.5, (0.5, 14.0)),
        "never": (0.03, (1.0, 20.0)),
    }[style]
    return Traits(
        answer_share=answer_share,
        answer_delay=delay,
        media=(0.7, 0.1, 0.06, 0.14),
        reply_share=rng.choice((0.3, 0.6, 0.9)),
        edit_share=rng.choice((0.0, 0.05, 0.12)),
        correction_share=rng.choice((0.0, 0.04, 0.1)),
        older_share=rng.choice((0.0, 0.1, 0.3)),
        gift_share=rng.choice((0.0, 0.15, 0.4)),
        react_share=rng.choice((0.0, 0.2, 0.5)),
        invite_answer=rng.choices(["accept", "decline", "never"], [7, 2, 1])[0],
        activity=rng.choice((0.5, 1.0, 1.0, 2.0)),
    )


def _word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


@dataclass
class Person:
    """One simulated person: identity, habits and their own random generator."""

    index: int
    user_id: int
    name: str
    traits: Traits
    rng: random.Random
    app_rng: random.Random
    language_code: str | None = None  # what their Telegram app reports
    more_rng: random.Random = field(default_factory=random.Random)  # later behaviours

    def marker(self) -> str:
        """A fresh marker word no other text contains."""
        return MARKER_PREFIX + _word(self.rng, MARKER_LETTERS)

    def answer_text(self) -> tuple[str, str]:
        """Text for an answer (with HTML-special characters now and then) and its marker."""
        marker = self.marker()
        return f"{self.rng.choice(PHRASES)} {marker}", marker

    def gift_text(self) -> tuple[str, str]:
        """Text for an appreciation and its marker."""
        marker = self.marker()
        return f"{self.rng.choice(GIFT_PHRASES)} {marker}", marker

    def question_text(self) -> tuple[str, str]:
        """A question for /ask and its marker."""
        marker = self.marker()
        return f"What would you pick for {marker} if we had one free day?", marker

    def media_kind(self) -> str:
        """How this answer is sent: text, voice, video_note or photo."""
        return self.rng.choices(["text", "voice", "video_note", "photo"], self.traits.media)[0]

    def chance(self, share: float) -> bool:
        """True with probability `share` (from this person's own generator)."""
        return self.rng.random() < share

    def plan_day(self) -> list[tuple[float, str]]:
        """Optional actions for one day: (hour of the local day, kind), in no order."""
        plan = []
        for kind, base in DAILY_CHANCES.items():
            if self.rng.random() < base * self.traits.activity:
                plan.append((self.rng.uniform(7.0, 23.0), kind))
        for kind, base in APP_DAILY_CHANCES.items():
            if self.app_rng.random() < base * self.traits.activity:
                plan.append((self.app_rng.uniform(7.0, 23.0), kind))
        for kind, base in MORE_DAILY_CHANCES.items():
            if self.more_rng.random() < base * self.traits.activity:
                plan.append((self.more_rng.uniform(7.0, 23.0), kind))
        return plan

    def place(self) -> tuple[float, float]:
        """Where they share their location from (from their later-behaviours generator)."""
        return self.more_rng.choices(list(PLACES), PLACE_WEIGHTS)[0]


def make_people(seed: int, count: int) -> list[Person]:
    """`count` people with unique made-up names and ids, all drawn from `seed`."""
    master = random.Random(seed)
    people = []
    names: set[str] = set()
    for index in range(count):
        rng = random.Random(master.getrandbits(64))
        name = "Zy" + _word(rng, 6)
        while name in names:
            name = "Zy" + _word(rng, 6)
        names.add(name)
        if rng.random() < 0.1:
            name += " & Co"  # a name that must be escaped in HTML
        app_rng = random.Random(f"{seed}:{index}:app")
        person = Person(index, FIRST_USER_ID + index, name, draw_traits(rng), rng, app_rng)
        person.more_rng = random.Random(f"{seed}:{index}:more")
        # Drawn apart from the person's own generator, so it shifts none of their habits.
        language = random.Random(f"{seed}:{index}:language")
        person.language_code = language.choices(TELEGRAM_LANGUAGES, LANGUAGE_WEIGHTS)[0]
        people.append(person)
    return people
