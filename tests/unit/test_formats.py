"""How formats are answered and which days are occasions: pure rules."""

from __future__ import annotations

import datetime as dt

from bot.domain import formats
from bot.domain.formats import Step
from bot.domain.models import Answer, AnswerKind
from bot.domain.selection import Format

NOW = dt.datetime(2026, 1, 14, 9, tzinfo=dt.UTC)


def _answer(**fields: object) -> Answer:
    return Answer(1, 1, AnswerKind.TEXT, "words", None, 1, 1, NOW, **fields)  # type: ignore[arg-type]


def test_a_guess_question_is_complete_only_with_the_guess() -> None:
    assert not formats.answer_complete(Format.GUESS, None)
    assert not formats.answer_complete(Format.GUESS, _answer())
    assert formats.answer_complete(Format.GUESS, _answer(guess="the beach"))
    assert formats.answer_complete(Format.OPEN, _answer())


def test_after_the_own_answer_every_message_to_a_guess_question_is_the_guess() -> None:
    assert formats.step_for_message(Format.GUESS, None) is Step.ANSWER
    assert formats.step_for_message(Format.GUESS, _answer()) is Step.GUESS
    assert formats.step_for_message(Format.GUESS, _answer(guess="x")) is Step.GUESS


def test_words_after_a_pick_are_its_why_and_words_without_one_are_the_answer() -> None:
    assert formats.step_for_message(Format.THIS_OR_THAT, _answer(choice=1)) is Step.WHY
    assert formats.step_for_message(Format.RATE, _answer(choice=7)) is Step.WHY
    assert formats.step_for_message(Format.THIS_OR_THAT, _answer()) is Step.ANSWER
    assert formats.step_for_message(Format.OPEN, _answer()) is Step.ANSWER


def test_a_rating_is_read_only_from_a_message_that_is_just_the_number() -> None:
    assert formats.parse_rating(" 7 ") == 7
    assert formats.parse_rating("10/10") == 10
    assert formats.parse_rating("0") is None
    assert formats.parse_rating("11") is None
    assert formats.parse_rating("7, because") is None


def test_a_pick_must_fit_the_question() -> None:
    assert formats.valid_pick(Format.THIS_OR_THAT, 1, 2)
    assert not formats.valid_pick(Format.THIS_OR_THAT, 2, 2)
    assert formats.valid_pick(Format.RATE, 10, 0)
    assert not formats.valid_pick(Format.RATE, 0, 0)
    assert not formats.valid_pick(Format.OPEN, 0, 2)


def _occasion(day: dt.date, **kwargs: object) -> str | None:
    options: dict[str, object] = {"anniversary": None, "started": None, "question_number": 5}
    options.update(kwargs)
    return formats.occasion_for(day, **options)  # type: ignore[arg-type]


def test_the_anniversary_comes_every_year_but_not_on_the_day_itself() -> None:
    origin = dt.date(2019, 6, 14)
    assert _occasion(dt.date(2026, 6, 14), anniversary=origin) == "anniversary"
    assert _occasion(dt.date(2019, 6, 14), anniversary=origin) is None
    assert _occasion(dt.date(2026, 6, 15), anniversary=origin) is None


def test_an_anniversary_on_29_february_is_kept_on_the_28th_in_common_years() -> None:
    origin = dt.date(2020, 2, 29)
    assert _occasion(dt.date(2026, 2, 28), anniversary=origin) == "anniversary"
    assert _occasion(dt.date(2028, 2, 28), anniversary=origin) is None
    assert _occasion(dt.date(2028, 2, 29), anniversary=origin) == "anniversary"


def test_one_year_of_nearer_the_hundredth_question_and_new_year() -> None:
    started = dt.date(2025, 3, 1)
    assert _occasion(dt.date(2026, 3, 1), started=started) == "one_year"
    assert _occasion(dt.date(2027, 3, 1), started=started) is None
    assert _occasion(dt.date(2026, 5, 5), question_number=100) == "hundredth"
    assert _occasion(dt.date(2026, 5, 5), question_number=101) is None
    assert _occasion(dt.date(2027, 1, 1)) == "new_year"
    assert _occasion(dt.date(2027, 1, 1), question_number=1) is None  # not the very first


def test_the_anniversary_wins_when_two_occasions_fall_together() -> None:
    day = dt.date(2026, 1, 1)
    assert _occasion(day, anniversary=dt.date(2010, 1, 1), question_number=100) == "anniversary"
