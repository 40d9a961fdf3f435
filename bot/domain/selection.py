"""Which question, exercise or appreciation prompt a pair gets next.

Choice is deterministic given the pair's history and seed: the same inputs always pick the same
item, so tests can pin it and a restart cannot change a pair's next question.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

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

# Shared answers (days both partners answered) after which a growing pair goes deeper.
MEDIUM_AFTER = 7
DEEP_AFTER = 21

_FIXED_DEPTHS = {
    DepthPreference.GENTLE: Depth.LIGHT,
    DepthPreference.DEEPER: Depth.MEDIUM,
    DepthPreference.DEEPEST: Depth.DEEP,
}


def allowed_depths(preference: DepthPreference, shared_answers: int) -> frozenset[Depth]:
    """Return the depths a pair may get now: a fixed choice, or a range that grows with trust."""
    fixed = _FIXED_DEPTHS.get(preference)
    if fixed is not None:
        return frozenset({fixed})
    if shared_answers < MEDIUM_AFTER:
        return frozenset({Depth.LIGHT})
    if shared_answers < DEEP_AFTER:
        return frozenset({Depth.LIGHT, Depth.MEDIUM})
    return frozenset(Depth)


def category_is_on(category: Category, preferences: Preferences) -> bool:
    """Say whether a pair receives questions from `category`; sensitive ones only when chosen."""
    if category.sensitive:
        return category.id in preferences.enabled_sensitive
    return category.id not in preferences.disabled_categories


def allowed_questions(
    questions: Sequence[Question],
    categories: Mapping[str, Category],
    preferences: Preferences,
    shared_answers: int,
) -> list[Question]:
    """Return every question the pair's settings allow at this point in its history."""
    depths = allowed_depths(preferences.depth, shared_answers)
    on = {cid for cid, category in categories.items() if category_is_on(category, preferences)}
    pool = [q for q in questions if q.category in on and q.depth in depths]
    if not pool:
        # Every category switched off: better a light, non-sensitive question than none.
        pool = [
            q
            for q in questions
            if not categories[q.category].sensitive and q.depth in depths | {Depth.LIGHT}
        ]
    return pool


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
    group_recency: dict[str, int] = {}
    for item in items:
        group = group_of(item)
        seen = last_used.get(id_of(item), -1)
        group_recency[group] = max(group_recency.get(group, -1), seen)
    open_groups = sorted({group_of(item) for item in unused})
    oldest = min(group_recency[group] for group in open_groups)
    group = rng.choice([g for g in open_groups if group_recency[g] == oldest])
    return rng.choice([item for item in unused if group_of(item) == group])


def _rng(seed: int, history: Sequence[str], salt: str) -> random.Random:
    return random.Random(f"{salt}:{seed}:{len(history)}")


def choose_question(
    questions: Sequence[Question],
    categories: Mapping[str, Category],
    *,
    history: Sequence[str],
    shared_answers: int,
    preferences: Preferences,
    seed: int,
) -> Question | None:
    """Choose a pair's next question: no repeats within a round, categories in rotation."""
    pool = allowed_questions(questions, categories, preferences, shared_answers)
    return pick_rotating(
        pool,
        group_of=lambda q: q.category,
        id_of=lambda q: q.id,
        history=history,
        rng=_rng(seed, history, "question"),
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
