"""The choice rules: no repeats, rotation, gradual depth, opt-in categories, determinism."""

from __future__ import annotations

from collections import Counter

from bot.content import Library
from bot.domain.models import Cadence, Depth, DepthPreference, Preferences
from bot.domain.selection import (
    DEEP_AFTER,
    MEDIUM_AFTER,
    allowed_questions,
    choose_appreciation,
    choose_exercise,
    choose_question,
)


def _run(
    library: Library, days: int, preferences: Preferences, seed: int = 1, *, grow: bool = True
):
    history: list[str] = []
    for day in range(days):
        question = choose_question(
            library.questions,
            library.categories,
            history=history,
            shared_answers=day if grow else 10_000,
            preferences=preferences,
            seed=seed,
        )
        assert question is not None
        history.append(question.id)
    return [library.questions_by_id[qid] for qid in history]


def test_no_question_repeats_until_every_allowed_question_is_used(library: Library) -> None:
    pool = allowed_questions(library.questions, library.categories, Preferences(), 10_000)
    picked = _run(library, len(pool), Preferences(), grow=False)
    assert len({q.id for q in picked}) == len(pool)


def test_default_settings_give_more_than_a_year_of_daily_questions(library: Library) -> None:
    picked = _run(library, 366, Preferences())
    assert len({q.id for q in picked}) == 366


def test_categories_rotate_instead_of_clustering(library: Library) -> None:
    picked = _run(library, 44, Preferences(), grow=False)
    on = [c for c in library.categories.values() if not c.sensitive]
    for start in range(0, 44, len(on)):
        window = picked[start : start + len(on)]
        assert len({q.category for q in window}) == len(window)


def test_depth_starts_light_and_grows_with_shared_answers(library: Library) -> None:
    picked = _run(library, 60, Preferences())
    assert {q.depth for q in picked[:MEDIUM_AFTER]} == {Depth.LIGHT}
    assert max(q.depth for q in picked[:DEEP_AFTER]) == Depth.MEDIUM
    assert Depth.DEEP in {q.depth for q in picked[DEEP_AFTER:]}


def test_a_fixed_depth_is_respected_from_day_one(library: Library) -> None:
    for preference, depth in [
        (DepthPreference.GENTLE, Depth.LIGHT),
        (DepthPreference.DEEPER, Depth.MEDIUM),
        (DepthPreference.DEEPEST, Depth.DEEP),
    ]:
        picked = _run(library, 30, Preferences(depth=preference))
        assert {q.depth for q in picked} == {depth}


def test_sensitive_categories_never_leak_unless_chosen(library: Library) -> None:
    sensitive = {c.id for c in library.categories.values() if c.sensitive}
    assert sensitive
    picked = _run(library, 400, Preferences(), grow=False)
    assert not {q.category for q in picked} & sensitive
    chosen = _run(library, 40, Preferences(enabled_sensitive=frozenset(sensitive)), grow=False)
    assert {q.category for q in chosen} & sensitive


def test_disabled_categories_are_not_sent(library: Library) -> None:
    off = frozenset({"play", "ideas", "memories"})
    picked = _run(library, 120, Preferences(disabled_categories=off))
    assert not {q.category for q in picked} & off


def test_when_the_pool_is_used_up_a_new_round_starts_least_recently_used_first(
    library: Library,
) -> None:
    only = frozenset(library.categories) - {"play"}
    prefs = Preferences(depth=DepthPreference.DEEPEST, disabled_categories=only)
    pool = allowed_questions(library.questions, library.categories, prefs, 0)
    picked = _run(library, len(pool) * 2, prefs)
    first, second = picked[: len(pool)], picked[len(pool) :]
    assert len({q.id for q in first}) == len(pool)
    assert [q.id for q in second] == [q.id for q in first]


def test_the_same_history_and_seed_always_choose_the_same_question(library: Library) -> None:
    assert _run(library, 30, Preferences(), seed=5) == _run(library, 30, Preferences(), seed=5)
    assert _run(library, 30, Preferences(), seed=5) != _run(library, 30, Preferences(), seed=6)


def test_exercises_match_the_cadence_and_do_not_repeat_until_used(library: Library) -> None:
    history: list[str] = []
    weekly = [e for e in library.exercises if e.cadence is Cadence.WEEKLY]
    for _ in range(len(weekly)):
        exercise = choose_exercise(library.exercises, Cadence.WEEKLY, history=history, seed=3)
        assert exercise is not None and exercise.cadence is Cadence.WEEKLY
        history.append(exercise.id)
    assert len(set(history)) == len(weekly)


def test_appreciation_prompts_rotate_through_the_love_languages(library: Library) -> None:
    history: list[str] = []
    for _ in range(10):
        prompt = choose_appreciation(library.appreciation, history=history, seed=9)
        assert prompt is not None
        history.append(prompt.id)
    languages = Counter(library.appreciation_by_id[pid].language for pid in history)
    assert set(languages.values()) == {2}
