"""The choice rules: first question, gradual depth, deep runs, formats, rotation, repeats."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from bot.content import Library
from bot.domain.models import Cadence, Category, Depth, DepthPreference, Preferences, Question
from bot.domain.selection import (
    GENTLE_START,
    MAX_DEEP_RUN,
    MEDIUM_FROM,
    NOT_FIRST_CATEGORIES,
    OPEN_ONLY,
    PLAYFUL_FORMATS,
    RENDERABLE_FORMATS,
    REPEAT_GAP,
    SENSITIVE_PACE_GAPS,
    Format,
    LibraryQuestion,
    allowed_questions,
    choose_appreciation,
    choose_exercise,
    choose_question,
    depth_mix,
    format_of,
    repeat_gap,
    text_for,
)


def _run(
    library: Library,
    days: int,
    preferences: Preferences,
    seed: int = 1,
    *,
    grow: bool = True,
    **options: object,
) -> list[Question]:
    history: list[str] = []
    picked: list[Question] = []
    for day in range(days):
        question = choose_question(
            library.questions,
            library.categories,
            history=history,
            shared_answers=day if grow else 10_000,
            preferences=preferences,
            seed=seed,
            **options,  # type: ignore[arg-type]
        )
        assert question is not None
        history.append(question.id)
        picked.append(question)
    return picked


def test_the_first_question_after_pairing_is_light_and_joyful(library: Library) -> None:
    for preference in DepthPreference:
        for seed in range(40):
            first = _run(library, 1, Preferences(depth=preference), seed)[0]
            assert first.depth is Depth.LIGHT
            assert first.category not in NOT_FIRST_CATEGORIES
            assert not library.categories[first.category].sensitive


def test_the_first_question_never_comes_from_an_opt_in_topic_even_when_on(
    library: Library,
) -> None:
    opted = frozenset(c.id for c in library.categories.values() if c.sensitive)
    for seed in range(40):
        first = _run(library, 1, Preferences(enabled_sensitive=opted), seed)[0]
        assert first.category not in opted | NOT_FIRST_CATEGORIES


def test_growing_depth_starts_light_and_deepens_smoothly() -> None:
    assert depth_mix(DepthPreference.GROW, 0) == {
        Depth.LIGHT: 1.0,
        Depth.MEDIUM: 0.0,
        Depth.DEEP: 0.0,
    }
    previous = depth_mix(DepthPreference.GROW, 0)
    for shared in range(1, 120):
        mix = depth_mix(DepthPreference.GROW, shared)
        assert abs(sum(mix.values()) - 1.0) < 1e-9
        assert mix[Depth.DEEP] >= previous[Depth.DEEP]
        assert mix[Depth.MEDIUM] >= previous[Depth.MEDIUM]
        # No jumps: each shared answer moves the mix by at most a few points.
        assert abs(mix[Depth.LIGHT] - previous[Depth.LIGHT]) <= 0.02
        previous = mix


def test_a_growing_pair_gets_only_light_questions_at_first(library: Library) -> None:
    picked = _run(library, MEDIUM_FROM, Preferences())
    assert {q.depth for q in picked} == {Depth.LIGHT}


def test_deep_questions_grow_from_month_one_to_month_four(library: Library) -> None:
    picked = _run(library, 120, Preferences())
    deep = [sum(q.depth is Depth.DEEP for q in picked[m * 30 : m * 30 + 30]) for m in range(4)]
    assert deep[0] <= 2 < deep[3]


def test_never_more_than_two_deep_questions_in_a_row(library: Library) -> None:
    for preference in (DepthPreference.DEEPEST, DepthPreference.DEEPER, DepthPreference.GROW):
        run = longest = 0
        for question in _run(library, 400, Preferences(depth=preference)):
            run = run + 1 if question.depth is Depth.DEEP else 0
            longest = max(longest, run)
        assert longest == MAX_DEEP_RUN


def test_the_deeper_setting_mixes_light_and_deep_too(library: Library) -> None:
    picked = _run(library, 200, Preferences(depth=DepthPreference.DEEPER))
    counts = Counter(q.depth for q in picked[1:])
    assert counts[Depth.MEDIUM] > counts[Depth.DEEP] > 0 and counts[Depth.LIGHT] > 0


def test_the_gentle_setting_never_goes_deep(library: Library) -> None:
    picked = _run(library, 200, Preferences(depth=DepthPreference.GENTLE))
    assert Depth.DEEP not in {q.depth for q in picked}


def test_about_one_in_four_is_playful_and_never_two_in_a_row(library: Library) -> None:
    picked = _run(library, 365, Preferences())
    playful = [format_of(q) in PLAYFUL_FORMATS for q in picked]
    assert 0.18 <= sum(playful) / len(picked) <= 0.32
    assert not any(a and b for a, b in pairwise(playful))
    assert {format_of(q) for q in picked} == set(Format)


def test_the_formats_argument_restricts_what_is_chosen(library: Library) -> None:
    picked = _run(library, 120, Preferences(), formats=OPEN_ONLY)
    assert {format_of(q) for q in picked} == {Format.OPEN}


def test_categories_rotate_instead_of_clustering(library: Library) -> None:
    picked = _run(library, 120, Preferences(), grow=False)
    for start in range(0, 120, 6):
        window = picked[start : start + 6]
        assert len({q.category for q in window}) >= 5


def test_no_question_repeats_within_a_year_on_any_setting(library: Library) -> None:
    for preference in DepthPreference:
        for formats in (None, OPEN_ONLY):
            picked = _run(library, 800, Preferences(depth=preference), formats=formats)
            last: dict[str, int] = {}
            for day, question in enumerate(picked):
                assert day - last.get(question.id, -REPEAT_GAP - 1) > REPEAT_GAP
                last[question.id] = day


def test_year_two_is_not_year_one_in_the_same_order(library: Library) -> None:
    prefs = Preferences(depth=DepthPreference.GENTLE)
    picked = _run(library, 1095, prefs, formats=OPEN_ONLY)
    pool = len(allowed_questions(library.questions, library.categories, prefs, 10_000))
    first = [q.id for q in picked[:365]]
    later = [q.id for q in picked[pool : pool + 365]]
    assert later != first
    assert [q.id for q in picked[365:730]] != first


def test_a_small_pool_still_waits_before_repeating() -> None:
    assert repeat_gap(1000) == REPEAT_GAP
    assert repeat_gap(100) == 75
    assert repeat_gap(1) == 0


def test_opt_in_topics_never_leak_unless_chosen(library: Library) -> None:
    opt_in = {c.id for c in library.categories.values() if c.sensitive}
    assert {"trust", "intimacy", "money", "family", "children", "grief"} <= opt_in
    picked = _run(library, 400, Preferences(), grow=False)
    assert not {q.category for q in picked} & opt_in
    chosen = _run(library, 60, Preferences(enabled_sensitive=frozenset(opt_in)), grow=False)
    assert {q.category for q in chosen} & opt_in


def test_intimacy_stays_within_the_chosen_heat(library: Library) -> None:
    prefs = Preferences(enabled_sensitive=frozenset({"intimacy"}))
    mild = _run(library, 300, prefs, grow=False)
    heats = {q.heat for q in mild if isinstance(q, LibraryQuestion) and q.category == "intimacy"}
    assert heats == {"mild"}
    spicy = _run(library, 400, prefs, grow=False, heat="spicy")
    heats = {q.heat for q in spicy if isinstance(q, LibraryQuestion) and q.category == "intimacy"}
    assert heats == {"mild", "medium", "spicy"}


def test_apart_and_stage_questions_go_only_to_the_couples_they_fit(library: Library) -> None:
    together = _run(library, 300, Preferences(), grow=False)
    assert not any(isinstance(q, LibraryQuestion) and (q.apart or q.stage) for q in together)
    apart = _run(library, 300, Preferences(), grow=False, apart=True, stage="long_term")
    shaped = [q for q in apart if isinstance(q, LibraryQuestion)]
    assert any(q.apart for q in shaped) and not any(q.apart is False for q in shaped)
    assert {q.stage for q in shaped} <= {None, "long_term"}


def test_couples_apart_get_the_apart_text_when_there_is_one(library: Library) -> None:
    variant = next(q for q in library.questions if isinstance(q, LibraryQuestion) and q.apart_text)
    assert text_for(variant, apart=True) == variant.apart_text
    assert text_for(variant) == variant.text


def test_a_joined_series_runs_in_order_before_anything_else() -> None:
    categories = {"play": Category("play", "Play", "Fun", sensitive=False)}
    plain = [Question(f"p-{n}", "play", Depth.LIGHT, f"Question {n}?") for n in range(5)]
    series = [
        LibraryQuestion(f"s-{n}", "play", Depth.LIGHT, f"Series {n}?", series="week")
        for n in range(3)
    ]
    history: list[str] = ["p-0"]
    for _ in range(3):
        question = choose_question(
            [*plain, *series],
            categories,
            history=history,
            shared_answers=5,
            preferences=Preferences(),
            seed=1,
            series=frozenset({"week"}),
        )
        assert question is not None
        history.append(question.id)
    assert history[1:] == ["s-0", "s-1", "s-2"]
    without = choose_question(
        [*plain, *series],
        categories,
        history=["p-0"],
        shared_answers=5,
        preferences=Preferences(),
        seed=1,
    )
    assert without is not None and without.id.startswith("p-")


def test_disabled_categories_are_not_sent(library: Library) -> None:
    off = frozenset({"play", "ideas", "memories"})
    picked = _run(library, 120, Preferences(disabled_categories=off))
    assert not {q.category for q in picked} & off


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


def test_the_first_question_after_pairing_is_answered_with_one_message(library: Library) -> None:
    for seed in range(40):
        first = _run(library, 1, Preferences(), seed)[0]
        assert format_of(first) is Format.OPEN


def _opt_in_run(library: Library, pace: int, days: int = 120) -> list[Question]:
    opted = frozenset({"money", "family"})
    return _run(
        library,
        days,
        Preferences(enabled_sensitive=opted),
        grow=False,
        sensitive_gap=pace,
    )


def test_opt_in_topics_keep_the_pace_the_pair_chose(library: Library) -> None:
    for pace in SENSITIVE_PACE_GAPS.values():
        picked = _opt_in_run(library, pace)
        days = [day for day, q in enumerate(picked) if library.categories[q.category].sensitive]
        assert days, "an opted-in topic never came"
        assert all(later - earlier >= pace for earlier, later in pairwise(days))


def test_an_opt_in_topic_starts_with_light_questions(library: Library) -> None:
    picked = _opt_in_run(library, 2, days=200)
    for category in ("money", "family"):
        from_topic = [q for q in picked if q.category == category]
        assert len(from_topic) > GENTLE_START
        assert all(q.depth is Depth.LIGHT for q in from_topic[:GENTLE_START])
        assert any(q.depth is not Depth.LIGHT for q in from_topic[GENTLE_START:])


def test_every_format_is_renderable_and_about_one_in_four_sent_is_playful(
    library: Library,
) -> None:
    assert {Format(f) for f in RENDERABLE_FORMATS} == set(Format)
    picked = _run(library, 365, Preferences(), formats=RENDERABLE_FORMATS)
    share = sum(format_of(q) in PLAYFUL_FORMATS for q in picked) / len(picked)
    assert 0.18 <= share <= 0.32
