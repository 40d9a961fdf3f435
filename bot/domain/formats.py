"""How each question format is answered, when an answer is complete, and which occasion a day
is. Pure rules: no Telegram, no database.

- open, finish: one message (text, voice, video note or photo) is the answer.
- this_or_that, would_you_rather: one tap on an option; a message written instead counts as an
  answer in one's own words, and a message after the tap is the "why" beside the pick.
- rate: one tap on 1-10 (or a message that is just the number); a message after it is the why.
- guess: two steps. The first message is one's own answer, the next is the guess at the
  partner's answer. Only both steps complete the answer, so the reveal waits for both guesses.
  Who guessed right is the partner's word: under the reveal each says "that's me" or "not
  quite" about the guess made about them.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum, auto

from bot.domain.models import Answer
from bot.domain.selection import CHOICE_FORMATS, Format

RATING_MIN, RATING_MAX = 1, 10
# Formats whose reveal invites a "why?" (a reply to the reveal is passed on as one).
WHY_FORMATS = CHOICE_FORMATS | {Format.RATE}
PICK_FORMATS = WHY_FORMATS  # answered with a button


class Step(Enum):
    """What a message written to a question becomes."""

    ANSWER = auto()  # the answer (or a new version of it)
    GUESS = auto()  # the guess at the partner's answer
    WHY = auto()  # the why beside a pick


def answer_complete(kind: Format, answer: Answer | None) -> bool:
    """Say whether a partner has done all a question asks (a guess needs the guess too)."""
    if answer is None:
        return False
    if kind is Format.GUESS:
        return answer.guess is not None
    return True


def step_for_message(kind: Format, answer: Answer | None) -> Step:
    """Say what a message written to a question of `kind` is, given the answer so far."""
    if answer is None:
        return Step.ANSWER
    if kind is Format.GUESS:
        return Step.GUESS  # after the own answer every message is the guess (again)
    if kind in PICK_FORMATS and answer.choice is not None:
        return Step.WHY
    return Step.ANSWER


def parse_rating(text: str) -> int | None:
    """Read a message that is only a rating ('7', '7/10'); None otherwise."""
    cleaned = text.strip().removesuffix("/10").strip()
    if not cleaned.isdigit():
        return None
    value = int(cleaned)
    return value if RATING_MIN <= value <= RATING_MAX else None


def valid_pick(kind: Format, value: int, options: int) -> bool:
    """Say whether a tapped value fits the format (an option index, or a rating)."""
    if kind is Format.RATE:
        return RATING_MIN <= value <= RATING_MAX
    return kind in CHOICE_FORMATS and 0 <= value < options


# A short series: one topic for this many question days, opted into in /settings.
SERIES_DAYS = 5


# Occasions ------------------------------------------------------------------------------------

HUNDREDTH = 100


def _same_day_of_year(day: dt.date, origin: dt.date) -> bool:
    """Say whether `day` is `origin`'s day of the year (29 February counts on the 28th in
    common years)."""
    if (origin.month, origin.day) == (2, 29) and not _is_leap(day.year):
        return (day.month, day.day) == (2, 28)
    return (day.month, day.day) == (origin.month, origin.day)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def occasion_for(
    day: dt.date,
    *,
    anniversary: dt.date | None,
    started: dt.date | None,
    question_number: int,
) -> str | None:
    """Return the occasion `day` is for the pair, if any: its anniversary, a year of Nearer,
    its 100th question, or new year's day (in that order when two fall together).

    `question_number` is the number the day's question will have (1 for the first);
    `started` is the local day the pair began.
    """
    if anniversary is not None and day > anniversary and _same_day_of_year(day, anniversary):
        return "anniversary"
    if started is not None and day.year == started.year + 1 and _same_day_of_year(day, started):
        return "one_year"
    if question_number == HUNDREDTH:
        return "hundredth"
    if (day.month, day.day) == (1, 1) and question_number > 1:
        return "new_year"
    return None
