"""Which question, exercise or appreciation prompt a pair gets next.

Choice is deterministic given the pair's history and seed: the same inputs always pick the same
item, so tests can pin it and a restart cannot change a pair's next question.

The question rules, in the order they apply:

1. The pool: categories the pair has on, the formats the caller can render, the pair's stage,
   whether it lives apart, the heat it chose for intimacy; series only when the pair joined one.
2. The very first question after pairing is light and joyful: depth 1, open (one message
   answers it), never from conflict, stress, trust or an opt-in topic.
2a. Opt-in topics keep the pace the pair chose (`sensitive_gap`: at most one of their questions
   in that many) and start gently: a topic's first `GENTLE_START` questions are light.
3. No repeat within `REPEAT_GAP` questions (or within most of the pool when it is smaller);
   unused questions come first, and later rounds are drawn afresh, so year 2 differs from year 1.
4. Depth follows the pair's setting; "grow" deepens smoothly with the number of shared answers.
   Never more than `MAX_DEEP_RUN` deep questions in a row.
5. About one question in four is playful (guess, this or that, would you rather, finish, rate),
   never two playful ones in a row, and the playful formats take turns.
6. Categories rotate: the least recently used category among the candidates goes first.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

from bot.domain.models import (
    AppreciationPrompt,
    Cadence,
    Category,
    Depth,
    DepthPreference,
    Exercise,
    Preferences,
    Question,
)

T = TypeVar("T")


class Format(StrEnum):
    """How a question is asked and answered."""

    OPEN = "open"
    GUESS = "guess"  # answer for yourself, then guess your partner's answer
    THIS_OR_THAT = "this_or_that"
    WOULD_YOU_RATHER = "would_you_rather"
    FINISH = "finish"  # finish the sentence
    RATE = "rate"  # 1-10 with labels for both ends


class Stage(StrEnum):
    """How long a couple has been together, as the pair describes itself."""

    NEW = "new"
    ESTABLISHED = "established"
    LONG_TERM = "long_term"


class Heat(StrEnum):
    """How explicit an intimacy question is; a pair's chosen heat includes the milder ones."""

    MILD = "mild"
    MEDIUM = "medium"
    SPICY = "spicy"


HEAT_ORDER = {Heat.MILD: 1, Heat.MEDIUM: 2, Heat.SPICY: 3}
PLAYFUL_FORMATS = frozenset(Format) - {Format.OPEN}
CHOICE_FORMATS = frozenset({Format.THIS_OR_THAT, Format.WOULD_YOU_RATHER})
# What the Telegram side can ask and reveal: every format (callers pass it as `formats=`).
RENDERABLE_FORMATS: frozenset[str] = frozenset(f.value for f in Format)
OPEN_ONLY: frozenset[str] = frozenset({Format.OPEN.value})  # the content check's second pool


@dataclass(frozen=True, slots=True)
class LibraryQuestion(Question):
    """A question with the content-2.0 fields; a plain `Question` counts as open and universal."""

    format: Format = Format.OPEN
    options: tuple[str, ...] = ()  # this_or_that and would_you_rather: the two buttons
    low: str = ""  # rate: the label for 1
    high: str = ""  # rate: the label for 10
    series: str | None = None  # a short themed series, sent only to pairs who joined it
    stage: Stage | None = None  # only for couples at this stage
    apart: bool | None = None  # True: for couples apart; False: assumes they are together
    apart_text: str | None = None  # the version for couples who live apart
    heat: Heat | None = None  # intimacy only


def format_of(question: Question) -> Format:
    """Return the question's format (a plain `Question` is open)."""
    return question.format if isinstance(question, LibraryQuestion) else Format.OPEN


def text_for(question: Question, *, apart: bool = False) -> str:
    """Return the text to send: the apart variant for couples who live apart, when there is one."""
    if apart and isinstance(question, LibraryQuestion) and question.apart_text:
        return question.apart_text
    return question.text


# Depth ----------------------------------------------------------------------------------------

# "grow": light only for the first shared answers, then medium and deep fade in linearly.
MEDIUM_FROM = 3
MEDIUM_FULL_AT = 42
DEEP_FROM = 14
DEEP_FULL_AT = 74
GROWN_MIX = {Depth.LIGHT: 0.40, Depth.MEDIUM: 0.40, Depth.DEEP: 0.20}
# The fixed settings are mixes too: a steady diet of one depth tires (and runs out).
FIXED_MIXES = {
    DepthPreference.GENTLE: {Depth.LIGHT: 0.75, Depth.MEDIUM: 0.25, Depth.DEEP: 0.0},
    DepthPreference.DEEPER: {Depth.LIGHT: 0.20, Depth.MEDIUM: 0.55, Depth.DEEP: 0.25},
    DepthPreference.DEEPEST: {Depth.LIGHT: 0.10, Depth.MEDIUM: 0.40, Depth.DEEP: 0.50},
}
MAX_DEEP_RUN = 2
REPEAT_GAP = 365
PLAYFUL_SHARE = 0.25
# The first question after pairing never comes from these (nor from any opt-in topic).
NOT_FIRST_CATEGORIES = frozenset({"repair", "stress", "trust", "emotional"})
GENTLE_START = 3  # an opt-in topic's first questions are light
# The pace of opt-in topics: at most one of their questions in this many.
SENSITIVE_PACE_GAPS = {"weekly": 7, "twice_a_week": 3, "every_other_day": 2}


def depth_mix(preference: DepthPreference, shared_answers: int) -> dict[Depth, float]:
    """Return the share of each depth a pair should get now (the shares sum to 1)."""
    fixed = FIXED_MIXES.get(preference)
    if fixed is not None:
        return dict(fixed)
    medium_ramp = (shared_answers - MEDIUM_FROM + 1) / (MEDIUM_FULL_AT - MEDIUM_FROM + 1)
    deep_ramp = (shared_answers - DEEP_FROM + 1) / (DEEP_FULL_AT - DEEP_FROM + 1)
    medium = GROWN_MIX[Depth.MEDIUM] * min(1.0, max(0.0, medium_ramp))
    deep = GROWN_MIX[Depth.DEEP] * min(1.0, max(0.0, deep_ramp))
    return {Depth.LIGHT: 1.0 - medium - deep, Depth.MEDIUM: medium, Depth.DEEP: deep}


def allowed_depths(preference: DepthPreference, shared_answers: int) -> frozenset[Depth]:
    """Return the depths a pair may get now."""
    return frozenset(d for d, share in depth_mix(preference, shared_answers).items() if share > 0)


# The pool -------------------------------------------------------------------------------------


def category_is_on(category: Category, preferences: Preferences) -> bool:
    """Say whether a pair receives questions from `category`; sensitive ones only when chosen."""
    if category.sensitive:
        return category.id in preferences.enabled_sensitive
    return category.id not in preferences.disabled_categories


def fits_pair(
    question: Question,
    *,
    formats: frozenset[str] | None = None,
    apart: bool = False,
    stage: str | None = None,
    heat: str = Heat.MILD,
    series: frozenset[str] = frozenset(),
) -> bool:
    """Say whether a question suits the pair's formats, distance, stage, heat and series."""
    if formats is not None and format_of(question) not in formats:
        return False
    if not isinstance(question, LibraryQuestion):
        return True
    if question.apart is not None and question.apart is not apart:
        return False
    if question.stage is not None and question.stage != stage:
        return False
    if question.heat is not None and HEAT_ORDER[question.heat] > HEAT_ORDER[Heat(heat)]:
        return False
    return question.series is None or question.series in series


def allowed_questions(
    questions: Sequence[Question],
    categories: Mapping[str, Category],
    preferences: Preferences,
    shared_answers: int,
    *,
    formats: frozenset[str] | None = None,
    apart: bool = False,
    stage: str | None = None,
    heat: str = Heat.MILD,
    series: frozenset[str] = frozenset(),
) -> list[Question]:
    """Return every question the pair's settings allow at this point in its history."""
    depths = allowed_depths(preferences.depth, shared_answers)
    # Most pairs share their settings, and a tick chooses for thousands of pairs: the same
    # filter over the whole library is remembered for the same library and settings.
    key = (preferences, depths, formats, apart, stage, heat, series)
    remembered = _POOLS.get(key)
    if remembered is not None and remembered[0] is questions and remembered[1] is categories:
        return list(remembered[2])
    pool = _filter_pool(questions, categories, preferences, depths, formats, apart, stage, heat,
                        series)  # fmt: skip
    if len(_POOLS) >= _POOL_MEMORY:
        _POOLS.clear()
    _POOLS[key] = (questions, categories, tuple(pool))
    return pool


_POOL_MEMORY = 256  # settings remembered at once (a plain bound: the memory is cleared when full)
_POOLS: dict[object, tuple[Sequence[Question], Mapping[str, Category], tuple[Question, ...]]] = {}


def _filter_pool(
    questions: Sequence[Question],
    categories: Mapping[str, Category],
    preferences: Preferences,
    depths: frozenset[Depth],
    formats: frozenset[str] | None,
    apart: bool,
    stage: str | None,
    heat: str,
    series: frozenset[str],
) -> list[Question]:
    on = {cid for cid, category in categories.items() if category_is_on(category, preferences)}

    def fits(question: Question) -> bool:
        return fits_pair(
            question, formats=formats, apart=apart, stage=stage, heat=heat, series=series
        )

    pool = [q for q in questions if q.category in on and q.depth in depths and fits(q)]
    if not pool:
        # Every category switched off: better a light, non-sensitive question than none.
        pool = [
            q
            for q in questions
            if not categories[q.category].sensitive
            and q.depth in depths | {Depth.LIGHT}
            and fits(q)
        ]
    return pool


def repeat_gap(pool_size: int) -> int:
    """Return how many questions must pass before one may come again."""
    if pool_size > REPEAT_GAP:
        return REPEAT_GAP
    # A small pool (most topics off) still reshuffles: the oldest quarter is drawn from.
    return max(0, pool_size - max(1, pool_size // 4))


# Choosing -------------------------------------------------------------------------------------


def pick_rotating(
    items: Sequence[T],
    *,
    group_of: Callable[[T], str],
    id_of: Callable[[T], str],
    history: Sequence[str],
    rng: random.Random,
) -> T | None:
    """Pick an unused item from the least recently used group; when all are used, the LRU item.

    `history` lists item ids in the order the pair received them, oldest first.
    """
    if not items:
        return None
    last_used = {item_id: index for index, item_id in enumerate(history)}
    unused = [item for item in items if id_of(item) not in last_used]
    if not unused:
        # A new round: least recently used first, so the oldest memories come back first.
        return min(items, key=lambda item: last_used[id_of(item)])
    return _from_oldest_group(unused, items, group_of, id_of, last_used, rng)


def _from_oldest_group(
    candidates: Sequence[T],
    everything: Iterable[T],
    group_of: Callable[[T], str],
    id_of: Callable[[T], str],
    last_used: Mapping[str, int],
    rng: random.Random,
) -> T:
    """Pick a random candidate from the group (among the candidates') used longest ago."""
    open_groups = {group_of(item) for item in candidates}
    group_recency = dict.fromkeys(open_groups, -1)
    if last_used:  # nothing used yet: every group is as old as the others
        for item in everything:
            used = last_used.get(id_of(item))
            if used is not None:
                group = group_of(item)
                if group in group_recency and used > group_recency[group]:
                    group_recency[group] = used
    oldest = min(group_recency.values())
    group = rng.choice(sorted(g for g in open_groups if group_recency[g] == oldest))
    return rng.choice([item for item in candidates if group_of(item) == group])


def _rng(seed: int, history: Sequence[str], salt: str) -> random.Random:
    return random.Random(f"{salt}:{seed}:{len(history)}")


def _weighted_order(weights: Mapping[Depth, float], rng: random.Random) -> list[Depth]:
    """Draw one depth by weight, then list the others by weight as fallbacks."""
    positive = [d for d in sorted(weights) if weights[d] > 0]
    if not positive:
        return []
    first = rng.choices(positive, weights=[weights[d] for d in positive])[0]
    rest = sorted((d for d in positive if d != first), key=lambda d: -weights[d])
    return [first, *rest]


# A tick chooses for thousands of pairs from one library: what depends on the library alone is
# worked out once per library (known by identity, the last one only).
_LIBRARY_MEMO: dict[str, tuple[object, object, Any]] = {}


def _by_id(questions: Sequence[Question]) -> Mapping[str, Question]:
    remembered = _LIBRARY_MEMO.get("by_id")
    if remembered is not None and remembered[0] is questions:
        return cast(Mapping[str, Question], remembered[2])
    by_id = {q.id: q for q in questions}
    _LIBRARY_MEMO["by_id"] = (questions, None, by_id)
    return by_id


def _first_friendly_ids(
    questions: Sequence[Question], categories: Mapping[str, Category]
) -> frozenset[str]:
    remembered = _LIBRARY_MEMO.get("first")
    if remembered is not None and remembered[0] is questions and remembered[1] is categories:
        return cast(frozenset[str], remembered[2])
    ids = frozenset(q.id for q in questions if _is_first_friendly(q, categories))
    _LIBRARY_MEMO["first"] = (questions, categories, ids)
    return ids


def _is_first_friendly(question: Question, categories: Mapping[str, Category]) -> bool:
    return (
        question.depth is Depth.LIGHT
        and format_of(question) is Format.OPEN
        and question.category not in NOT_FIRST_CATEGORIES
        and not categories[question.category].sensitive
    )


def choose_question(
    questions: Sequence[Question],
    categories: Mapping[str, Category],
    *,
    history: Sequence[str],
    shared_answers: int,
    preferences: Preferences,
    seed: int,
    formats: frozenset[str] | None = None,
    apart: bool = False,
    stage: str | None = None,
    heat: str = Heat.MILD,
    series: frozenset[str] = frozenset(),
    sensitive_gap: int = 1,
) -> Question | None:
    """Choose a pair's next question by the rules in this module's docstring.

    `formats` limits the formats to those the caller can render (None: all); `apart`, `stage`,
    `heat` and `series` describe the pair; `sensitive_gap` is its opt-in pace (1: no limit).
    `history` lists question ids, oldest first.
    """
    pool = allowed_questions(
        questions,
        categories,
        preferences,
        shared_answers,
        formats=formats,
        apart=apart,
        stage=stage,
        heat=heat,
        series=series,
    )
    pool = _paced(pool, questions, categories, history, sensitive_gap)
    if not pool:
        return None
    rng = _rng(seed, history, "question")
    last_used = {question_id: index for index, question_id in enumerate(history)}
    now = len(history)
    gap = repeat_gap(len(pool))
    if last_used:
        eligible = [
            q for q in pool if last_used.get(q.id, -1) < now - gap or q.id not in last_used
        ]
        fresh = [q for q in eligible if q.id not in last_used]
    else:  # a new pair: everything is fresh
        eligible, fresh = pool, pool

    def by_category(candidates: Sequence[Question]) -> Question:
        return _from_oldest_group(
            candidates, pool, lambda q: q.category, lambda q: q.id, last_used, rng
        )

    if series:
        # A series the pair joined runs in file order, one a day, before anything else.
        running = [q for q in fresh if isinstance(q, LibraryQuestion) and q.series in series]
        if running:
            return running[0]
    if not history:
        friendly = _first_friendly_ids(questions, categories)
        first = [q for q in eligible if q.id in friendly]
        if first:
            return by_category(first)
    by_id = _by_id(questions)
    recent = [by_id[qid] for qid in history[-MAX_DEEP_RUN:] if qid in by_id]
    weights = depth_mix(preferences.depth, shared_answers)
    if len(recent) == MAX_DEEP_RUN and all(q.depth is Depth.DEEP for q in recent):
        weights[Depth.DEEP] = 0.0
    depth_order = _weighted_order(weights, rng)
    format_order = _format_order(pool, history, by_id, rng)
    for tier in (fresh, eligible):
        for depth in depth_order:
            at_depth = [q for q in tier if q.depth is depth]
            for kinds in format_order:
                candidates = [q for q in at_depth if format_of(q) in kinds]
                if candidates:
                    return by_category(candidates)
    # Only deep questions are left after two deep ones: better a third than none.
    return by_category(fresh or eligible)


def _paced(
    pool: list[Question],
    questions: Sequence[Question],
    categories: Mapping[str, Category],
    history: Sequence[str],
    gap: int,
) -> list[Question]:
    """Keep opt-in topics to the pair's pace, and light for their first questions."""
    by_id = _by_id(questions)
    seen = Counter(by_id[qid].category for qid in history if qid in by_id)
    recent = [by_id[qid] for qid in history[len(history) - (gap - 1) :] if qid in by_id]
    too_soon = gap > 1 and any(categories[q.category].sensitive for q in recent)

    def fits(question: Question) -> bool:
        if not categories[question.category].sensitive:
            return True
        if too_soon:
            return False
        return seen[question.category] >= GENTLE_START or question.depth is Depth.LIGHT

    sensitive = {cid for cid, category in categories.items() if category.sensitive}
    paced = [q for q in pool if q.category not in sensitive or fits(q)]
    return paced or pool  # only opt-in topics left: better their question than none


def _format_order(
    pool: Sequence[Question],
    history: Sequence[str],
    by_id: Mapping[str, Question],
    rng: random.Random,
) -> list[frozenset[Format]]:
    """Return the format groups to try in order: playful or open first, by the playful share."""
    available = {format_of(q) for q in pool}
    playful = sorted(available & PLAYFUL_FORMATS)
    if not playful:
        return [frozenset({Format.OPEN})]
    last = by_id.get(history[-1]) if history else None
    last_was_playful = last is not None and format_of(last) in PLAYFUL_FORMATS
    # Never two playful in a row; 1/3 after an open one gives one playful in four overall.
    chance = 0.0 if last_was_playful else PLAYFUL_SHARE / (1 - PLAYFUL_SHARE)
    recency = dict.fromkeys(playful, -1)
    for index, question_id in enumerate(history):
        question = by_id.get(question_id)
        if question is not None and format_of(question) in recency:
            recency[format_of(question)] = index
    playful_order = [frozenset({f}) for f in sorted(playful, key=lambda f: recency[f])]
    open_first = rng.random() >= chance
    if Format.OPEN not in available:
        return playful_order
    open_group = [frozenset({Format.OPEN})]
    return open_group + playful_order if open_first else playful_order + open_group


def choose_occasion_question(
    questions: Sequence[Question], *, history: Sequence[str], seed: int
) -> Question | None:
    """Choose a question for an occasion (anniversary, 100th question …) not used lately."""
    return pick_rotating(
        questions,
        group_of=lambda q: q.category,
        id_of=lambda q: q.id,
        history=history,
        rng=_rng(seed, history, "occasion"),
    )


def choose_exercise(
    exercises: Sequence[Exercise], cadence: Cadence, *, history: Sequence[str], seed: int
) -> Exercise | None:
    """Choose an exercise of `cadence` the pair has not done lately."""
    pool = [exercise for exercise in exercises if exercise.cadence is cadence]
    return pick_rotating(
        pool,
        group_of=lambda e: e.cadence.value,
        id_of=lambda e: e.id,
        history=history,
        rng=_rng(seed, history, "exercise"),
    )


def choose_appreciation(
    prompts: Sequence[AppreciationPrompt], *, history: Sequence[str], seed: int
) -> AppreciationPrompt | None:
    """Choose an appreciation prompt, rotating through the five love languages."""
    return pick_rotating(
        prompts,
        group_of=lambda p: p.language.value,
        id_of=lambda p: p.id,
        history=history,
        rng=_rng(seed, history, "appreciation"),
    )
