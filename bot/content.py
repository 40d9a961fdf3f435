"""Load and check the content library in content/ (TOML, read with the standard library)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.domain.models import (
    AppreciationPrompt,
    Cadence,
    Category,
    Depth,
    Exercise,
    LoveLanguage,
    Question,
)

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

MAX_QUESTION_CHARS = 300
MAX_HOW_TO_CHARS = 700
MAX_TITLE_CHARS = 60
MIN_QUESTIONS = 400
MIN_PER_CATEGORY = 25
MIN_EXERCISES = 20
MIN_APPRECIATION = 60
# Share of all questions per depth, with the tolerance the library may drift by.
DEPTH_TARGETS = {Depth.LIGHT: 0.40, Depth.MEDIUM: 0.40, Depth.DEEP: 0.20}
DEPTH_TOLERANCE = 0.05
NEAR_DUPLICATE_SIMILARITY = 0.5
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_WORD = re.compile(r"[a-z']+")
# Words too common to say anything about whether two questions ask the same thing.
_STOPWORDS = frozenset(
    """
    a an and are as at be but by can do does for from has have how i if in is it its me
    my of on or so that the their them there they this to was what when where which who
    why will with would you your yours you're partner partner's one
    """.split()
)


class ContentError(ValueError):
    """A content file breaks a rule; the message names the file and the entry."""


@dataclass(frozen=True)
class Library:
    """Everything in content/, validated and indexed."""

    categories: dict[str, Category]
    questions: tuple[Question, ...]
    exercises: tuple[Exercise, ...]
    appreciation: tuple[AppreciationPrompt, ...]
    questions_by_id: dict[str, Question] = field(init=False, repr=False)
    exercises_by_id: dict[str, Exercise] = field(init=False, repr=False)
    appreciation_by_id: dict[str, AppreciationPrompt] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions_by_id", {q.id: q for q in self.questions})
        object.__setattr__(self, "exercises_by_id", {e.id: e for e in self.exercises})
        object.__setattr__(self, "appreciation_by_id", {p.id: p for p in self.appreciation})


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path.name}: not valid TOML: {error}") from error


def _text(where: str, entry: dict[str, Any], key: str, limit: int) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: '{key}' must be non-empty text")
    if len(value) > limit:
        raise ContentError(f"{where}: '{key}' has {len(value)} characters (at most {limit})")
    if "<" in value or ">" in value:
        raise ContentError(f"{where}: '{key}' must be plain text (no '<' or '>')")
    return value.strip()


def _entry_id(where: str, entry: dict[str, Any], seen: set[str]) -> str:
    value = entry.get("id")
    if not isinstance(value, str) or not _ID.match(value):
        raise ContentError(f"{where}: 'id' must be lowercase letters, digits and dashes")
    if value in seen:
        raise ContentError(f"{where}: id '{value}' is used twice")
    seen.add(value)
    return value


def _entries(path: Path, data: dict[str, Any], key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"{path.name}: needs a non-empty [[{key}]] list")
    for index, entry in enumerate(entries, start=1):
        label = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
        where = f"{path.name}: entry {label}"
        if not isinstance(entry, dict):
            raise ContentError(f"{where}: must be a table")
        yield where, entry


def _load_category(path: Path, seen: set[str]) -> tuple[Category, list[Question]]:
    data = _read(path)
    header = data.get("category")
    if not isinstance(header, dict):
        raise ContentError(f"{path.name}: needs a [category] table")
    where = f"{path.name}: [category]"
    category_id = header.get("id")
    if category_id != path.stem:
        raise ContentError(f"{where}: 'id' must match the file name '{path.stem}'")
    sensitive = header.get("sensitive", False)
    if not isinstance(sensitive, bool):
        raise ContentError(f"{where}: 'sensitive' must be true or false")
    category = Category(
        id=path.stem,
        name=_text(where, header, "name", 40),
        description=_text(where, header, "description", 200),
        sensitive=sensitive,
    )
    questions = []
    for where, entry in _entries(path, data, "questions"):
        depth = entry.get("depth")
        if depth not in (1, 2, 3):
            raise ContentError(f"{where}: 'depth' must be 1, 2 or 3")
        tags = entry.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ContentError(f"{where}: 'tags' must be a list of words")
        questions.append(
            Question(
                id=_entry_id(where, entry, seen),
                category=category.id,
                depth=Depth(depth),
                text=_text(where, entry, "text", MAX_QUESTION_CHARS),
                tags=tuple(tags),
            )
        )
    return category, questions


def _load_exercises(path: Path, seen: set[str]) -> list[Exercise]:
    data = _read(path)
    exercises = []
    for where, entry in _entries(path, data, "exercises"):
        cadence = entry.get("cadence")
        if cadence not in {c.value for c in Cadence}:
            raise ContentError(f"{where}: 'cadence' must be daily, weekly or monthly")
        minutes = entry.get("minutes")
        if not isinstance(minutes, int) or not 1 <= minutes <= 600:
            raise ContentError(f"{where}: 'minutes' must be a whole number from 1 to 600")
        exercises.append(
            Exercise(
                id=_entry_id(where, entry, seen),
                cadence=Cadence(cadence),
                title=_text(where, entry, "title", MAX_TITLE_CHARS),
                minutes=minutes,
                how_to=_text(where, entry, "how_to", MAX_HOW_TO_CHARS),
            )
        )
    return exercises


def _load_appreciation(path: Path, seen: set[str]) -> list[AppreciationPrompt]:
    data = _read(path)
    prompts = []
    for where, entry in _entries(path, data, "prompts"):
        language = entry.get("language")
        if language not in {lang.value for lang in LoveLanguage}:
            raise ContentError(
                f"{where}: 'language' must be one of words, acts, gifts, time, touch"
            )
        prompts.append(
            AppreciationPrompt(
                id=_entry_id(where, entry, seen),
                language=LoveLanguage(language),
                text=_text(where, entry, "text", MAX_QUESTION_CHARS),
            )
        )
    return prompts


def load_library(content_dir: Path = DEFAULT_CONTENT_DIR) -> Library:
    """Read and validate every content file; raise ContentError naming the file and entry."""
    question_dir = content_dir / "questions"
    files = sorted(question_dir.glob("*.toml"))
    if not files:
        raise ContentError(f"{question_dir}: no question files (*.toml)")
    seen: set[str] = set()
    categories: dict[str, Category] = {}
    questions: list[Question] = []
    for path in files:
        category, found = _load_category(path, seen)
        categories[category.id] = category
        questions.extend(found)
    exercises = _load_exercises(content_dir / "exercises.toml", seen)
    appreciation = _load_appreciation(content_dir / "appreciation.toml", seen)
    return Library(categories, tuple(questions), tuple(exercises), tuple(appreciation))


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)


def similarity(first: str, second: str) -> float:
    """Jaccard similarity of the meaningful words of two texts (0 = unrelated, 1 = same)."""
    a, b = _words(first), _words(second)
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def near_duplicates(
    texts: Iterable[tuple[str, str]], threshold: float = NEAR_DUPLICATE_SIMILARITY
) -> list[tuple[str, str, float]]:
    """Return (id, id, similarity) for every pair of texts at or above `threshold`."""
    return [
        (a_id, b_id, score)
        for (a_id, a_text), (b_id, b_text) in combinations(list(texts), 2)
        if (score := similarity(a_text, b_text)) >= threshold
    ]


def library_problems(library: Library) -> list[str]:
    """Return every rule the library as a whole breaks (counts, balance, near-duplicates)."""
    problems = []
    total = len(library.questions)
    if total < MIN_QUESTIONS:
        problems.append(f"questions: {total} in all, at least {MIN_QUESTIONS} needed")
    per_category = Counter(q.category for q in library.questions)
    for category_id in library.categories:
        if per_category[category_id] < MIN_PER_CATEGORY:
            problems.append(
                f"{category_id}.toml: {per_category[category_id]} questions,"
                f" at least {MIN_PER_CATEGORY} needed"
            )
    per_depth = Counter(q.depth for q in library.questions)
    for depth, share in DEPTH_TARGETS.items():
        actual = per_depth[depth] / total if total else 0.0
        if abs(actual - share) > DEPTH_TOLERANCE:
            problems.append(
                f"questions: depth {int(depth)} is {actual:.0%} of all, expected about {share:.0%}"
            )
    if len(library.exercises) < MIN_EXERCISES:
        problems.append(f"exercises.toml: {len(library.exercises)}, at least {MIN_EXERCISES}")
    for cadence in Cadence:
        if not any(e.cadence is cadence for e in library.exercises):
            problems.append(f"exercises.toml: no {cadence.value} exercise")
    if len(library.appreciation) < MIN_APPRECIATION:
        problems.append(
            f"appreciation.toml: {len(library.appreciation)}, at least {MIN_APPRECIATION}"
        )
    for language in LoveLanguage:
        if not any(p.language is language for p in library.appreciation):
            problems.append(f"appreciation.toml: no prompt for {language.value}")
    if not any(not c.sensitive for c in library.categories.values()):
        problems.append("questions: every category is sensitive; at least one must not be")
    texts = [(q.id, q.text) for q in library.questions]
    texts += [(p.id, p.text) for p in library.appreciation]
    for a_id, b_id, score in near_duplicates(texts):
        problems.append(f"near-duplicates: {a_id} and {b_id} (similarity {score:.2f})")
    return problems


def count_table(library: Library) -> str:
    """Render a table of question counts per category and depth."""
    counts = Counter((q.category, q.depth) for q in library.questions)
    header = f"{'category':<16}{'light':>7}{'medium':>8}{'deep':>6}{'total':>7}"
    lines = [header, "-" * len(header)]
    for category_id, category in library.categories.items():
        row = [counts[(category_id, depth)] for depth in Depth]
        label = category_id + (" *" if category.sensitive else "")
        lines.append(f"{label:<16}{row[0]:>7}{row[1]:>8}{row[2]:>6}{sum(row):>7}")
    totals = [sum(counts[(c, depth)] for c in library.categories) for depth in Depth]
    lines.append("-" * len(header))
    lines.append(f"{'all':<16}{totals[0]:>7}{totals[1]:>8}{totals[2]:>6}{sum(totals):>7}")
    cadences = Counter(e.cadence.value for e in library.exercises)
    languages = Counter(p.language.value for p in library.appreciation)
    lines.append("")
    lines.append("* sensitive: sent only to pairs that turn it on")
    lines.append(
        "exercises: "
        + ", ".join(f"{c.value} {cadences[c.value]}" for c in Cadence)
        + f" (total {len(library.exercises)})"
    )
    lines.append(
        "appreciation prompts: "
        + ", ".join(f"{lang.value} {languages[lang.value]}" for lang in LoveLanguage)
        + f" (total {len(library.appreciation)})"
    )
    return "\n".join(lines)
