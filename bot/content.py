"""Load and check the content library in content/ (TOML, read with the standard library)."""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.domain import selection
from bot.domain.models import (
    AppreciationPrompt,
    Cadence,
    Category,
    Depth,
    DepthPreference,
    Exercise,
    LoveLanguage,
    Preferences,
    Question,
)
from bot.domain.selection import Format, Heat, LibraryQuestion, Stage

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 32
MAX_HOW_TO_CHARS = 700
MAX_TITLE_CHARS = 60
MIN_QUESTIONS = 1200
MIN_PER_CATEGORY = 25
MIN_PER_SETTING = 365
MIN_EXERCISES = 20
MIN_APPRECIATION = 60
MIN_PER_OCCASION = 3
OCCASIONS = ("anniversary", "hundredth", "one_year", "new_year")
# Share of all questions per depth, with the tolerance the library may drift by.
DEPTH_TARGETS = {Depth.LIGHT: 0.40, Depth.MEDIUM: 0.38, Depth.DEEP: 0.22}
DEPTH_TOLERANCE = 0.06
PLAYFUL_TARGET = 0.25
PLAYFUL_TOLERANCE = 0.05
MAX_SAME_OPENING = 0.30  # no first word may open more than this share of questions
MAX_SAME_PROMPT_OPENING = 0.25
SIMULATED_DAYS = 3 * 365
NEAR_DUPLICATE_SIMILARITY = 0.45  # listed for review
DUPLICATE_SIMILARITY = 0.7  # fails the check unless fixed or allow-listed
MIN_CONCEPTS = 3
ALLOWED_DUPLICATES_FILE = "near_duplicates_allowed.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_DOUBLE_ASK = re.compile(
    r"(?:,|;|:)\s*and\s+(?:what|how|why|where|when|who|which|would|do|does|is|are|can)\b"
)
# The US spellings our British house style refuses (content/README.md), with the fix.
US_SPELLINGS = {
    "favorite": "favourite",
    "favorites": "favourites",
    "color": "colour",
    "colors": "colours",
    "colorful": "colourful",
    "humor": "humour",
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "neighbor": "neighbour",
    "neighbors": "neighbours",
    "neighborhood": "neighbourhood",
    "honor": "honour",
    "flavor": "flavour",
    "flavors": "flavours",
    "harbor": "harbour",
    "cozy": "cosy",
    "gray": "grey",
    "mom": "mum",
    "jewelry": "jewellery",
    "pajamas": "pyjamas",
    "realize": "realise",
    "realized": "realised",
    "recognize": "recognise",
    "recognized": "recognised",
    "apologize": "apologise",
    "apologized": "apologised",
    "organize": "organise",
    "organized": "organised",
    "prioritize": "prioritise",
    "socialize": "socialise",
    "socializing": "socialising",
    "criticize": "criticise",
    "criticized": "criticised",
    "memorize": "memorise",
    "sympathize": "sympathise",
    "center": "centre",
    "theater": "theatre",
    "traveling": "travelling",
    "traveled": "travelled",
    "canceled": "cancelled",
    "labeled": "labelled",
    "counselor": "counsellor",
    "toward": "towards",
    "afterward": "afterwards",
    "defense": "defence",
    "offense": "offence",
    "program": "programme",
}


class ContentError(ValueError):
    """A content file breaks a rule; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class LibraryCategory(Category):
    """A category with its content-2.0 flags; `sensitive` means opt-in for the rest of the bot."""

    delicate: bool = False  # the rebuilding-trust track: gentle pace, consent of both
    support: bool = False  # its texts point to /support
    heat_levels: bool = False  # every question carries a heat (intimacy)


@dataclass(frozen=True, slots=True)
class LibraryExercise(Exercise):
    """An exercise with a version for couples who live apart."""

    apart_how_to: str = ""


@dataclass(frozen=True, slots=True)
class Occasion:
    """A day that matters to a pair, with the questions that replace the daily one."""

    id: str
    name: str
    questions: tuple[LibraryQuestion, ...]


@dataclass(frozen=True)
class Library:
    """Everything in content/, validated and indexed."""

    categories: dict[str, Category]
    questions: tuple[Question, ...]
    exercises: tuple[Exercise, ...]
    appreciation: tuple[AppreciationPrompt, ...]
    occasions: dict[str, Occasion] = field(default_factory=dict)
    allowed_duplicates: frozenset[frozenset[str]] = frozenset()
    questions_by_id: dict[str, Question] = field(init=False, repr=False)
    exercises_by_id: dict[str, Exercise] = field(init=False, repr=False)
    appreciation_by_id: dict[str, AppreciationPrompt] = field(init=False, repr=False)
    occasion_questions_by_id: dict[str, LibraryQuestion] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions_by_id", {q.id: q for q in self.questions})
        object.__setattr__(self, "exercises_by_id", {e.id: e for e in self.exercises})
        object.__setattr__(self, "appreciation_by_id", {p.id: p for p in self.appreciation})
        by_id = {q.id: q for o in self.occasions.values() for q in o.questions}
        object.__setattr__(self, "occasion_questions_by_id", by_id)

    def question(self, content_id: str | None) -> Question | None:
        """Return a daily or occasion question by id (None: a partner's own, or gone)."""
        if content_id is None:
            return None
        return self.questions_by_id.get(content_id) or self.occasion_questions_by_id.get(
            content_id
        )

    def format_of(self, content_id: str | None) -> Format:
        """Return the format of the question with `content_id` (a partner's own is open)."""
        found = self.question(content_id)
        return Format.OPEN if found is None else selection.format_of(found)

    def supports(self, content_id: str | None) -> bool:
        """Say whether a question comes from a topic whose texts point to /support."""
        found = self.question(content_id)
        category = self.categories.get(found.category) if found is not None else None
        return isinstance(category, LibraryCategory) and (category.support or category.delicate)


# Loading --------------------------------------------------------------------------------------


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


def _flag(where: str, entry: dict[str, Any], key: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ContentError(f"{where}: '{key}' must be true or false")
    return value


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


_QUESTION_KEYS = frozenset(
    "id depth text tags format options low high series stage apart apart_text heat".split()
)


def _choice(where: str, entry: dict[str, Any], key: str, allowed: Iterable[str]) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    names = sorted(allowed)
    if value not in names:
        raise ContentError(f"{where}: '{key}' must be one of {', '.join(names)}")
    return str(value)


def _question(
    where: str, entry: dict[str, Any], category: str, seen: set[str], *, heat_levels: bool
) -> LibraryQuestion:
    """Validate one [[questions]] entry, including the rules of its format."""
    unknown = set(entry) - _QUESTION_KEYS
    if unknown:
        raise ContentError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    question_id = _entry_id(where, entry, seen)
    depth = entry.get("depth")
    if depth not in (1, 2, 3):
        raise ContentError(f"{where}: 'depth' must be 1, 2 or 3")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ContentError(f"{where}: 'tags' must be a list of words")
    text = _text(where, entry, "text", MAX_QUESTION_CHARS)
    kind = Format(_choice(where, entry, "format", {f.value for f in Format}) or "open")
    options: tuple[str, ...] = ()
    if kind in selection.CHOICE_FORMATS:
        raw = entry.get("options")
        if not isinstance(raw, list) or len(raw) != 2:
            raise ContentError(f"{where}: '{kind.value}' needs exactly two 'options'")
        options = tuple(_text(where, {"option": o}, "option", MAX_OPTION_CHARS) for o in raw)
        if options[0].casefold() == options[1].casefold():
            raise ContentError(f"{where}: the two 'options' must differ")
    elif "options" in entry:
        raise ContentError(f"{where}: only this_or_that and would_you_rather take 'options'")
    if kind is Format.WOULD_YOU_RATHER and not text.startswith("Would you rather"):
        raise ContentError(f"{where}: a would_you_rather text starts with 'Would you rather'")
    if kind is Format.FINISH and not text.endswith("…"):
        raise ContentError(f"{where}: a finish text ends with '…' (one character)")
    low = high = ""
    if kind is Format.RATE:
        low = _text(where, entry, "low", MAX_OPTION_CHARS)
        high = _text(where, entry, "high", MAX_OPTION_CHARS)
    elif "low" in entry or "high" in entry:
        raise ContentError(f"{where}: only rate questions take 'low' and 'high'")
    series = entry.get("series")
    if series is not None and (not isinstance(series, str) or not _ID.match(series)):
        raise ContentError(f"{where}: 'series' must be lowercase letters, digits and dashes")
    stage = _choice(where, entry, "stage", {s.value for s in Stage})
    apart = entry.get("apart")
    if apart is not None and not isinstance(apart, bool):
        raise ContentError(f"{where}: 'apart' must be true or false")
    apart_text = None
    if "apart_text" in entry:
        if apart is not None:
            raise ContentError(f"{where}: 'apart_text' is for questions that suit everyone")
        apart_text = _text(where, entry, "apart_text", MAX_QUESTION_CHARS)
    heat = _choice(where, entry, "heat", {h.value for h in Heat})
    if heat_levels and heat is None:
        raise ContentError(f"{where}: this category needs a 'heat' on every question")
    if heat is not None and not heat_levels:
        raise ContentError(f"{where}: 'heat' only in a category with heat_levels = true")
    return LibraryQuestion(
        id=question_id,
        category=category,
        depth=Depth(depth),
        text=text,
        tags=tuple(tags),
        format=kind,
        options=options,
        low=low,
        high=high,
        series=series,
        stage=Stage(stage) if stage else None,
        apart=apart,
        apart_text=apart_text,
        heat=Heat(heat) if heat else None,
    )


def _load_category(path: Path, seen: set[str]) -> tuple[LibraryCategory, list[LibraryQuestion]]:
    data = _read(path)
    header = data.get("category")
    if not isinstance(header, dict):
        raise ContentError(f"{path.name}: needs a [category] table")
    where = f"{path.name}: [category]"
    category_id = header.get("id")
    if category_id != path.stem:
        raise ContentError(f"{where}: 'id' must match the file name '{path.stem}'")
    delicate = _flag(where, header, "sensitive")
    category = LibraryCategory(
        id=path.stem,
        name=_text(where, header, "name", 40),
        description=_text(where, header, "description", 200),
        # The rest of the bot reads `sensitive` as "only when the pair turns it on".
        sensitive=delicate or _flag(where, header, "opt_in"),
        delicate=delicate,
        support=_flag(where, header, "support"),
        heat_levels=_flag(where, header, "heat_levels"),
    )
    questions = [
        _question(where, entry, category.id, seen, heat_levels=category.heat_levels)
        for where, entry in _entries(path, data, "questions")
    ]
    return category, questions


def _load_exercises(path: Path, seen: set[str]) -> list[LibraryExercise]:
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
            LibraryExercise(
                id=_entry_id(where, entry, seen),
                cadence=Cadence(cadence),
                title=_text(where, entry, "title", MAX_TITLE_CHARS),
                minutes=minutes,
                how_to=_text(where, entry, "how_to", MAX_HOW_TO_CHARS),
                apart_how_to=(
                    _text(where, entry, "apart_how_to", MAX_HOW_TO_CHARS)
                    if "apart_how_to" in entry
                    else ""
                ),
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


def _load_occasions(path: Path, seen: set[str]) -> dict[str, Occasion]:
    data = _read(path)
    occasions = {}
    for where, entry in _entries(path, data, "occasions"):
        occasion_id = entry.get("id")
        if occasion_id not in OCCASIONS:
            raise ContentError(f"{where}: 'id' must be one of {', '.join(OCCASIONS)}")
        name = _text(where, entry, "name", 40)
        raw = entry.get("questions")
        if not isinstance(raw, list) or not raw or not all(isinstance(q, dict) for q in raw):
            raise ContentError(f"{where}: needs a non-empty [[occasions.questions]] list")
        questions = tuple(
            _question(
                f"{where}, question {q.get('id', '?')}", q, "occasion", seen, heat_levels=False
            )
            for q in raw
        )
        occasions[occasion_id] = Occasion(occasion_id, name, questions)
    return occasions


def _load_allowed(path: Path) -> frozenset[frozenset[str]]:
    if not path.exists():
        return frozenset()
    pairs = set()
    for where, entry in _entries(path, _read(path), "allowed"):
        ids = entry.get("ids")
        if not isinstance(ids, list) or len(ids) != 2 or not all(isinstance(i, str) for i in ids):
            raise ContentError(f"{where}: 'ids' must list two ids")
        _text(where, entry, "why", 300)
        pairs.add(frozenset(ids))
    return frozenset(pairs)


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
    occasions_path = content_dir / "occasions.toml"
    occasions = _load_occasions(occasions_path, seen) if occasions_path.exists() else {}
    return Library(
        categories,
        tuple(questions),
        tuple(exercises),
        tuple(appreciation),
        occasions=occasions,
        allowed_duplicates=_load_allowed(content_dir / ALLOWED_DUPLICATES_FILE),
    )


# Near-duplicates by meaning -------------------------------------------------------------------

# Words that say nothing about what a question asks.
_STOPWORDS = frozenset(
    """
    a about after all almost also always am an and any anything are around as at away back be
    because been before being best both but by can could did do does doing done each either
    else even ever every few first for from get gets getting give go goes going got had has
    have having how i if in into is it its just last least less let like little lot make
    makes many may me might more most much must my never new next no not now of off often on
    once one only or other others our out over own partner partners perhaps quite rather
    really right said say says see seem should since so some someone something sometimes
    still such than that the their them themselves then there these they thing things think
    this those though through time to too two up us usually very was way ways we well were
    what when where whether which while who whom whose why will with would yet you your
    yours yourself yourselves together s t d ll m re ve don didn doesn isn wasn won wouldn
    couldn shouldn haven hasn aren weren day days today kind sort bit part
    favourite share moment feel know
    """.split()
)
# Words that mean the same thing for our purposes: each group becomes one concept ("~first").
_SYNONYM_GROUPS = (
    "upset hurt stress stressed overwhelm overwhelmed rough bad frazzle frazzled worn "
    "anxious tense difficult tough irritated",
    "space alone breather quiet solitude",
    "company held hold hug hugged comfort close closer closeness cuddle",
    "calm peace peaceful relax relaxed steady steadier settle unwind grounded",
    "picture imagine imagined head mind real place spot",
    "tell tells notice signal signals sign gesture cue recognise",
    "reconnect reconnecting reconcile mend repair forgive sorry apology",
    "start started begin began origin",
    "joke jokes laugh laughter funny humour",
    "need needs want wants",
    "worry worries thought thoughts",
    "talk talking chat conversation discuss",
    "ready willing",
    "now immediately",
    "gift present",
    "message note text",
    "older old aging elderly",
)
_CONCEPT = {word: "~" + group.split()[0] for group in _SYNONYM_GROUPS for word in group.split()}
# Two-word phrases that mean one thing.
_PHRASES = (
    (re.compile(r"\b(?:make|made|making|makes) up\b"), " reconcile "),
    (re.compile(r"\b(?:right|straight) away\b"), " immediately "),
    (re.compile(r"\binside jokes?\b"), " insidejoke "),
    (re.compile(r"\btaking up (?:more )?space\b"), " worry "),
)
_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly")
_IRREGULAR = {"given": "give", "gave": "give", "felt": "feel", "kept": "keep", "knew": "know"}


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            return stem + "y" if suffix == "ies" else stem
    return word


def concepts(text: str) -> frozenset[str]:
    """Return the meaningful concepts of a text: stemmed content words, synonyms merged."""
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    for pattern, replacement in _PHRASES:
        lowered = pattern.sub(replacement, lowered)
    found = set()
    for raw in _WORD.findall(lowered):
        word = raw.split("'")[0]
        concept = _CONCEPT.get(word)
        if concept is None:
            if word in _STOPWORDS or len(word) < 3:
                continue
            word = _IRREGULAR.get(word, word)
            stem = _stem(word)
            concept = _CONCEPT.get(stem, stem)
            if concept in _STOPWORDS:
                continue
        found.add(concept)
    return frozenset(found)


def similarity(first: str, second: str, weights: Mapping[str, float] | None = None) -> float:
    """Weighted Dice overlap of two texts' concepts (0 = unrelated, 1 = the same)."""
    a, b = concepts(first), concepts(second)
    if not a or not b:
        return 1.0 if a == b else 0.0

    def weight(items: Iterable[str]) -> float:
        return sum(weights.get(c, 1.0) if weights else 1.0 for c in items)

    return 2 * weight(a & b) / (weight(a) + weight(b))


def _rarity(texts: Sequence[frozenset[str]]) -> dict[str, float]:
    """Inverse document frequency: a shared rare concept says more than a common one."""
    counts = Counter(c for text in texts for c in text)
    total = len(texts) + 1
    return {c: math.log(total / n) for c, n in counts.items()}


def near_duplicates(
    texts: Iterable[tuple[str, str]],
    threshold: float = NEAR_DUPLICATE_SIMILARITY,
    *,
    allowed: frozenset[frozenset[str]] = frozenset(),
) -> list[tuple[str, str, float]]:
    """Return (id, id, similarity) for every pair of texts at or above `threshold`.

    Only pairs sharing at least two concepts are scored, so a library of thousands stays fast.
    """
    items = list(texts)
    bags = [concepts(text) for _, text in items]
    weights = _rarity(bags) if len(items) > 20 else None
    index: defaultdict[str, list[int]] = defaultdict(list)
    for position, bag in enumerate(bags):
        for concept in bag:
            index[concept].append(position)
    shared: Counter[tuple[int, int]] = Counter()
    for positions in index.values():
        shared.update(combinations(positions, 2))
    found = []
    for (i, j), count in sorted(shared.items()):
        if count < 2 or frozenset({items[i][0], items[j][0]}) in allowed:
            continue
        a, b = bags[i], bags[j]
        if min(len(a), len(b)) < MIN_CONCEPTS and not (a <= b or b <= a):
            continue  # too short to judge unless one says nothing the other doesn't

        def weight(items_: Iterable[str]) -> float:
            return sum(weights.get(c, 1.0) if weights else 1.0 for c in items_)

        score = 2 * weight(a & b) / (weight(a) + weight(b))
        if score >= threshold:
            found.append((items[i][0], items[j][0], round(score, 2)))
    return found


def duplicate_candidates(
    library: Library, threshold: float = NEAR_DUPLICATE_SIMILARITY
) -> list[tuple[str, str, float]]:
    """Near-duplicate pairs among the questions (with occasions) and among the prompts."""
    questions = [*library.questions, *library.occasion_questions_by_id.values()]
    found = near_duplicates(
        [(q.id, q.text) for q in questions], threshold, allowed=library.allowed_duplicates
    )
    found += near_duplicates(
        [(p.id, p.text) for p in library.appreciation],
        threshold,
        allowed=library.allowed_duplicates,
    )
    return sorted(found, key=lambda pair: -pair[2])


# Style ----------------------------------------------------------------------------------------


def style_problems(item_id: str, text: str) -> list[str]:
    """Return the house-style rules a text breaks: quotes, spelling, one ask per question."""
    problems = []
    if '"' in text or "'" in text:
        problems.append(f"{item_id}: straight quote or apostrophe (use “ ” ‘ ’)")
    for word in _WORD.findall(text.lower().replace("’", "'")):
        if word in US_SPELLINGS:
            problems.append(f"{item_id}: US spelling '{word}' (write '{US_SPELLINGS[word]}')")
    if text.count("“") != text.count("”"):
        problems.append(f"{item_id}: unbalanced quotation marks")
    if "..." in text:
        problems.append(f"{item_id}: three dots (use the one character …)")
    return problems


def ask_problems(question: Question) -> list[str]:
    """Return why a question asks more than one thing (two question marks, a chained ask)."""
    problems = []
    if question.text.count("?") > 1:
        problems.append(f"{question.id}: asks more than one question")
    if _DOUBLE_ASK.search(question.text):
        problems.append(f"{question.id}: chains a second ask with “, and …”")
    return problems


def _opening(text: str) -> str:
    return text.split(maxsplit=1)[0].strip(",:").casefold()


# Pools and simulation -------------------------------------------------------------------------

SETTINGS = tuple(DepthPreference)


def default_pool(
    library: Library, preference: DepthPreference, *, formats: frozenset[str] | None = None
) -> list[Question]:
    """Return every question a pair with default topics may get once fully grown."""
    return selection.allowed_questions(
        library.questions,
        library.categories,
        Preferences(depth=preference),
        10_000,
        formats=formats,
    )


@dataclass(frozen=True)
class Simulation:
    """What a pair with one depth setting is sent over `days` daily questions."""

    preference: DepthPreference
    formats: frozenset[str] | None
    picked: tuple[Question, ...]

    @property
    def first_repeat(self) -> int | None:
        """The 1-based day a question first comes again, or None."""
        seen: set[str] = set()
        for day, question in enumerate(self.picked, start=1):
            if question.id in seen:
                return day
            seen.add(question.id)
        return None

    @property
    def shortest_gap(self) -> int | None:
        """The fewest days between two sendings of one question, or None."""
        last: dict[str, int] = {}
        gaps = []
        for day, question in enumerate(self.picked):
            if question.id in last:
                gaps.append(day - last[question.id])
            last[question.id] = day
        return min(gaps) if gaps else None

    @property
    def longest_deep_run(self) -> int:
        """The most deep questions sent in a row."""
        run = best = 0
        for question in self.picked:
            run = run + 1 if question.depth is Depth.DEEP else 0
            best = max(best, run)
        return best

    @property
    def year_two_differs(self) -> bool:
        """Whether year 2 sends questions in another order than year 1."""
        first = [q.id for q in self.picked[:365]]
        second = [q.id for q in self.picked[365:730]]
        return bool(second) and first != second

    @property
    def playful_share(self) -> float:
        """The share of playful formats among the questions sent."""
        playful = sum(selection.format_of(q) is not Format.OPEN for q in self.picked)
        return playful / len(self.picked) if self.picked else 0.0

    def depth_by_month(self, months: int = 6) -> list[tuple[int, Counter[Depth]]]:
        """Return the depth counts of each 30-day month, for the first `months` months."""
        return [
            (month + 1, Counter(q.depth for q in self.picked[month * 30 : month * 30 + 30]))
            for month in range(months)
        ]


def simulate(
    library: Library,
    preference: DepthPreference = DepthPreference.GROW,
    *,
    days: int = SIMULATED_DAYS,
    seed: int = 1,
    formats: frozenset[str] | None = None,
) -> Simulation:
    """Send one pair with default topics a question a day; every question is answered by both."""
    history: list[str] = []
    picked: list[Question] = []
    for day in range(days):
        question = selection.choose_question(
            library.questions,
            library.categories,
            history=history,
            shared_answers=day,
            preferences=Preferences(depth=preference),
            seed=seed,
            formats=formats,
        )
        if question is None:
            break
        history.append(question.id)
        picked.append(question)
    return Simulation(preference, formats, tuple(picked))


def simulations(library: Library) -> list[Simulation]:
    """Simulate three years for every depth setting, with every format and with open only.

    The result is kept on the library, so the report and the problems share one run.
    """
    cached: list[Simulation] | None = getattr(library, "_simulations", None)
    if cached is None:
        cached = [
            simulate(library, preference, formats=formats)
            for formats in (None, selection.OPEN_ONLY)
            for preference in SETTINGS
        ]
        object.__setattr__(library, "_simulations", cached)
    return cached


# The whole library ----------------------------------------------------------------------------


def library_problems(library: Library, runs: Sequence[Simulation] | None = None) -> list[str]:
    """Return every rule the library as a whole breaks (counts, balance, style, choice rules)."""
    problems = []
    questions = library.questions
    total = len(questions)
    if total < MIN_QUESTIONS:
        problems.append(f"questions: {total} in all, at least {MIN_QUESTIONS} needed")
    per_category = Counter(q.category for q in questions)
    for category_id in library.categories:
        if per_category[category_id] < MIN_PER_CATEGORY:
            problems.append(
                f"{category_id}.toml: {per_category[category_id]} questions,"
                f" at least {MIN_PER_CATEGORY} needed"
            )
    per_depth = Counter(q.depth for q in questions)
    for depth, share in DEPTH_TARGETS.items():
        actual = per_depth[depth] / total if total else 0.0
        if abs(actual - share) > DEPTH_TOLERANCE:
            problems.append(
                f"questions: depth {int(depth)} is {actual:.0%} of all, expected about {share:.0%}"
            )
    playful = sum(selection.format_of(q) is not Format.OPEN for q in questions)
    if total and abs(playful / total - PLAYFUL_TARGET) > PLAYFUL_TOLERANCE:
        problems.append(
            f"questions: {playful / total:.0%} are playful formats, expected about"
            f" {PLAYFUL_TARGET:.0%}"
        )
    for preference in SETTINGS:
        for formats in (None, selection.OPEN_ONLY):
            size = len(default_pool(library, preference, formats=formats))
            if size < MIN_PER_SETTING:
                label = "all formats" if formats is None else "open only"
                problems.append(
                    f"questions: depth setting {preference.value} ({label}) draws from {size},"
                    f" at least {MIN_PER_SETTING} needed"
                )
    openings = Counter(_opening(q.text) for q in questions)
    word, count = openings.most_common(1)[0] if openings else ("", 0)
    if total and count / total > MAX_SAME_OPENING:
        problems.append(f"questions: {count / total:.0%} start with “{word}”, at most 30 %")
    prompt_openings = Counter(
        " ".join(p.text.split()[:2]).casefold() for p in library.appreciation
    )
    phrase, count = prompt_openings.most_common(1)[0] if prompt_openings else ("", 0)
    if library.appreciation and count / len(library.appreciation) > MAX_SAME_PROMPT_OPENING:
        problems.append(f"appreciation.toml: {count} prompts start with “{phrase}”")
    if len(library.exercises) < MIN_EXERCISES:
        problems.append(f"exercises.toml: {len(library.exercises)}, at least {MIN_EXERCISES}")
    for cadence in Cadence:
        if not any(e.cadence is cadence for e in library.exercises):
            problems.append(f"exercises.toml: no {cadence.value} exercise")
    for exercise in library.exercises:
        if not isinstance(exercise, LibraryExercise) or not exercise.apart_how_to:
            problems.append(f"exercises.toml: {exercise.id} has no version for couples apart")
    if len(library.appreciation) < MIN_APPRECIATION:
        problems.append(
            f"appreciation.toml: {len(library.appreciation)}, at least {MIN_APPRECIATION}"
        )
    for language in LoveLanguage:
        if not any(p.language is language for p in library.appreciation):
            problems.append(f"appreciation.toml: no prompt for {language.value}")
    for occasion_id in OCCASIONS:
        occasion = library.occasions.get(occasion_id)
        if occasion is None or len(occasion.questions) < MIN_PER_OCCASION:
            problems.append(
                f"occasions.toml: {occasion_id} needs at least {MIN_PER_OCCASION} questions"
            )
    if not any(not c.sensitive for c in library.categories.values()):
        problems.append("questions: every category is sensitive; at least one must not be")
    every_question = [*questions, *library.occasion_questions_by_id.values()]
    for question in every_question:
        problems.extend(ask_problems(question))
        problems.extend(style_problems(question.id, question.text))
        if isinstance(question, LibraryQuestion):
            for extra in (*question.options, question.low, question.high, question.apart_text):
                if extra:
                    problems.extend(style_problems(question.id, extra))
    for prompt in library.appreciation:
        problems.extend(style_problems(prompt.id, prompt.text))
    for exercise in library.exercises:
        for text in (exercise.title, exercise.how_to, getattr(exercise, "apart_how_to", "")):
            problems.extend(style_problems(exercise.id, text))
    for a_id, b_id, score in duplicate_candidates(library, DUPLICATE_SIMILARITY):
        problems.append(f"near-duplicates: {a_id} and {b_id} (similarity {score:.2f})")
    for run in runs if runs is not None else simulations(library):
        label = f"{run.preference.value}" + (" (open only)" if run.formats else "")
        gap = run.shortest_gap
        if len(run.picked) < SIMULATED_DAYS:
            problems.append(f"simulation {label}: ran out of questions on day {len(run.picked)}")
        if gap is not None and gap < REPEAT_DAYS:
            problems.append(f"simulation {label}: a question came again after {gap} days")
        if run.longest_deep_run > selection.MAX_DEEP_RUN:
            problems.append(f"simulation {label}: {run.longest_deep_run} deep questions in a row")
        if not run.year_two_differs:
            problems.append(f"simulation {label}: year 2 repeats year 1's order")
        if run.picked and run.picked[0].depth is not Depth.LIGHT:
            problems.append(f"simulation {label}: the first question is not light")
    return problems


REPEAT_DAYS = 365


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], first: int = 18) -> list[str]:
    widths = [first] + [max(7, len(h) + 2) for h in header[1:]]
    line = "".join(
        f"{h:<{w}}" if i == 0 else f"{h:>{w}}"
        for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    out = [line, "-" * len(line)]
    for row in rows:
        out.append(
            "".join(
                f"{c!s:<{w}}" if i == 0 else f"{c!s:>{w}}"
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return out


def count_table(library: Library, runs: Sequence[Simulation] | None = None) -> str:
    """Render the check's figures: counts per category, depth and format, and the simulation."""
    questions = library.questions
    by_depth = Counter((q.category, q.depth) for q in questions)
    by_format = Counter((q.category, selection.format_of(q)) for q in questions)
    lines = ["Questions per category and depth (* opt-in, ! delicate)", ""]
    rows: list[list[object]] = []
    for category_id, category in library.categories.items():
        mark = " !" if getattr(category, "delicate", False) else " *" if category.sensitive else ""
        depths = [by_depth[(category_id, d)] for d in Depth]
        playful = sum(by_format[(category_id, f)] for f in selection.PLAYFUL_FORMATS)
        rows.append([category_id + mark, *depths, playful, sum(depths)])
    totals = [sum(by_depth[(c, d)] for c in library.categories) for d in Depth]
    playful_total = sum(selection.format_of(q) is not Format.OPEN for q in questions)
    rows.append(["all", *totals, playful_total, sum(totals)])
    lines += _table(["category", "light", "medium", "deep", "playful", "total"], rows)
    formats = Counter(selection.format_of(q) for q in questions)
    lines += ["", "Questions per format", ""]
    lines += _table(
        ["format", "count", "share"],
        [[f.value, formats[f], f"{formats[f] / max(1, len(questions)):.0%}"] for f in Format],
    )
    extras: Counter[str] = Counter()
    for q in questions:
        if isinstance(q, LibraryQuestion):
            extras["apart only"] += q.apart is True
            extras["together only"] += q.apart is False
            extras["with an apart version"] += q.apart_text is not None
            extras["stage-specific"] += q.stage is not None
            extras["in a series"] += q.series is not None
    lines += ["", "Shaped questions: " + ", ".join(f"{k} {v}" for k, v in extras.items())]
    pools = [
        [
            p.value,
            len(default_pool(library, p)),
            len(default_pool(library, p, formats=selection.OPEN_ONLY)),
        ]
        for p in SETTINGS
    ]
    lines += ["", "Pool per depth setting, default topics (all formats / open only)", ""]
    lines += _table(["setting", "all", "open"], pools)
    runs = runs if runs is not None else simulations(library)
    lines += ["", f"Choice simulation: one pair, {SIMULATED_DAYS} daily questions, seed 1", ""]
    sim_rows = [
        [
            r.preference.value + (" open" if r.formats else ""),
            r.first_repeat or "none",
            r.shortest_gap or "none",
            r.longest_deep_run,
            "yes" if r.year_two_differs else "NO",
            f"{r.playful_share:.0%}",
        ]
        for r in runs
    ]
    lines += _table(
        ["setting", "first repeat", "min gap", "deep run", "y2 differs", "playful"], sim_rows
    )
    grow = next((r for r in runs if r.preference is DepthPreference.GROW and not r.formats), None)
    if grow is not None:
        lines += ["", "Depth curve, setting grow (questions per 30-day month)", ""]
        curve = [
            [f"month {m}", c[Depth.LIGHT], c[Depth.MEDIUM], c[Depth.DEEP]]
            for m, c in grow.depth_by_month()
        ]
        lines += _table(["month", "light", "medium", "deep"], curve)
    review = duplicate_candidates(library)
    lines += [
        "",
        f"Near-duplicates: {len(review)} pairs at similarity >= {NEAR_DUPLICATE_SIMILARITY}"
        f" listed for review, 0 allowed at >= {DUPLICATE_SIMILARITY}"
        f" ({len(library.allowed_duplicates)} reviewed pairs in {ALLOWED_DUPLICATES_FILE});"
        " the closest:",
    ]
    lines += [f"  {score:.2f}  {a} / {b}" for a, b, score in review[:5]]
    cadences = Counter(e.cadence.value for e in library.exercises)
    languages = Counter(p.language.value for p in library.appreciation)
    lines.append("")
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
    lines.append(
        "occasions: " + ", ".join(f"{o.id} {len(o.questions)}" for o in library.occasions.values())
    )
    return "\n".join(lines)
