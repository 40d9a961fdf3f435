"""The content library in the partners' languages: `content/i18n/<code>/`, the same ids as English.

A translation file holds only the words (texts, button labels, names); everything else (depth,
format, tags, flags) comes from the English library, so both partners get the same question (the
same id) on the same day, each in their own language. `translation_problems` is the content
check's side of a language: a missing or extra id, a different number of options, a placeholder
that does not match, an empty text.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import DEFAULT_CONTENT_DIR, Library
from bot.domain.models import AppreciationPrompt, Category, Exercise, Prompt, PromptKind, Question
from bot.domain.selection import text_for

I18N_DIR = "i18n"
_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
# The words of each kind of entry that a translation gives.
_QUESTION_WORDS = ("text", "options", "low", "high", "apart_text")
_CATEGORY_WORDS = ("name", "description")
_EXERCISE_WORDS = ("title", "how_to", "apart_how_to")


@dataclass
class Translation:
    """One language's words for the library, by id (empty for English: it is the library)."""

    code: str
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)
    exercises: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    occasions: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what the files themselves got wrong


def _read(path: Path, translation: Translation) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        translation.problems.append(f"{path.name}: cannot be read ({error})")
        return {}


def _collect(
    entries: Any, into: dict[str, dict[str, Any]], where: str, translation: Translation
) -> None:
    for entry in entries if isinstance(entries, list) else []:
        item_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(item_id, str):
            translation.problems.append(f"{where}: an entry without an id")
            continue
        if item_id in into:
            translation.problems.append(f"{where}: {item_id} appears twice")
        into[item_id] = entry


def load_translation(code: str, content_dir: Path = DEFAULT_CONTENT_DIR) -> Translation:
    """Read `content/i18n/<code>/`: questions per category, exercises, prompts, occasions."""
    root = content_dir / I18N_DIR / code
    translation = Translation(code)
    for path in sorted((root / "questions").glob("*.toml")):
        data = _read(path, translation)
        category = data.get("category")
        if isinstance(category, dict) and isinstance(category.get("id"), str):
            translation.categories[category["id"]] = category
        _collect(data.get("questions"), translation.questions, path.name, translation)
    exercises = _read(root / "exercises.toml", translation)
    _collect(exercises.get("exercises"), translation.exercises, "exercises.toml", translation)
    prompts = _read(root / "appreciation.toml", translation)
    _collect(prompts.get("prompts"), translation.prompts, "appreciation.toml", translation)
    occasions = _read(root / "occasions.toml", translation)
    for occasion in occasions.get("occasions") or []:
        if isinstance(occasion, dict) and isinstance(occasion.get("id"), str):
            translation.categories[f"occasion:{occasion['id']}"] = occasion
            _collect(
                occasion.get("questions"), translation.questions, "occasions.toml", translation
            )
    return translation


def available_codes(content_dir: Path = DEFAULT_CONTENT_DIR) -> list[str]:
    """The language folders below content/i18n/."""
    root = content_dir / I18N_DIR
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


# Checking a translation against the library ---------------------------------------------------


def _words_problems(
    where: str, english: Mapping[str, Any], local: Mapping[str, Any], keys: tuple[str, ...]
) -> Iterator[str]:
    for key in keys:
        source, words = english.get(key), local.get(key)
        if not source:
            if words:
                yield f"{where}: has {key}, which English has not"
            continue
        if isinstance(source, (list, tuple)):
            if not isinstance(words, list) or len(words) != len(source) or not all(words):
                yield f"{where}: {key} must be {len(source)} non-empty labels"
            continue
        if not isinstance(words, str) or not words.strip():
            yield f"{where}: {key} is missing or empty"
            continue
        if sorted(_PLACEHOLDER.findall(str(source))) != sorted(_PLACEHOLDER.findall(words)):
            yield f"{where}: {key} placeholders differ from English"


def _english_questions(library: Library) -> dict[str, Question]:
    return {**library.questions_by_id, **library.occasion_questions_by_id}


def _english_words(item: object, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: getattr(item, key, None) for key in keys}


def translation_problems(
    library: Library, translation: Translation, *, extras: bool = True
) -> list[str]:
    """Everything that keeps a language from being complete; empty when it can be offered.
    With `extras` false, words for entries the library does not hold are no problem (a bot
    given a smaller library, as in tests, still serves the language)."""
    problems = [f"{translation.code}: {p}" for p in translation.problems]
    code = translation.code
    groups: list[tuple[str, Mapping[str, object], dict[str, dict[str, Any]], tuple[str, ...]]] = [
        ("question", _english_questions(library), translation.questions, _QUESTION_WORDS),
        ("exercise", library.exercises_by_id, translation.exercises, _EXERCISE_WORDS),
        ("prompt", library.appreciation_by_id, translation.prompts, ("text",)),
        (
            "category",
            library.categories,
            {k: v for k, v in translation.categories.items() if ":" not in k},
            _CATEGORY_WORDS,
        ),
    ]
    for kind, english, local, keys in groups:
        for item_id in sorted(set(english) - set(local)):
            problems.append(f"{code}: {kind} {item_id} is not translated")
        for item_id in sorted(set(local) - set(english)) if extras else ():
            problems.append(f"{code}: {kind} {item_id} is not in the English library")
        for item_id in sorted(set(english) & set(local)):
            source = _english_words(english[item_id], keys)
            problems.extend(
                f"{code}: {p}"
                for p in _words_problems(f"{kind} {item_id}", source, local[item_id], keys)
            )
    for occasion_id in library.occasions:
        local_occasion = translation.categories.get(f"occasion:{occasion_id}") or {}
        if not str(local_occasion.get("name", "")).strip():
            problems.append(f"{code}: occasion {occasion_id} has no name")
    return problems


def coverage(library: Library, translation: Translation) -> dict[str, tuple[int, int]]:
    """Translated and total entries per kind, for the content check's table."""
    english = {
        "questions": set(_english_questions(library)),
        "exercises": set(library.exercises_by_id),
        "prompts": set(library.appreciation_by_id),
        "categories": set(library.categories),
    }
    local = {
        "questions": set(translation.questions),
        "exercises": set(translation.exercises),
        "prompts": set(translation.prompts),
        "categories": set(translation.categories),
    }
    return {kind: (len(ids & local[kind]), len(ids)) for kind, ids in english.items()}


# Reading the library in one language ----------------------------------------------------------


def _replace_words(item: Any, words: Mapping[str, Any] | None, keys: tuple[str, ...]) -> Any:
    if not words:
        return item
    changes: dict[str, Any] = {}
    for key in keys:
        value = words.get(key)
        if value and hasattr(item, key) and getattr(item, key):
            changes[key] = tuple(value) if isinstance(value, list) else value
    return dataclasses.replace(item, **changes) if changes else item


@dataclass(frozen=True)
class Wording:
    """The library as one language reads it; English (no translation) is the library itself."""

    library: Library
    translation: Translation | None = None

    @property
    def code(self) -> str:
        return self.translation.code if self.translation else "en"

    def question(self, question_id: str | None) -> Question | None:
        """The question with `question_id` in this language (None: not a library question)."""
        if not question_id:
            return None
        english = self.library.questions_by_id.get(
            question_id
        ) or self.library.occasion_questions_by_id.get(question_id)
        if english is None or self.translation is None:
            return english
        words = self.translation.questions.get(question_id)
        result: Question = _replace_words(english, words, _QUESTION_WORDS)
        return result

    def prompt_text(self, prompt: Prompt) -> str:
        """A sent question's words in this language: the translation of the library question
        it was made from (its version for couples apart when that is what was sent), or what a
        partner wrote with /ask, as they wrote it."""
        english = self.library.questions_by_id.get(
            prompt.content_id or ""
        ) or self.library.occasion_questions_by_id.get(prompt.content_id or "")
        local = self.question(prompt.content_id)
        if english is None or local is None or prompt.kind is not PromptKind.QUESTION:
            return prompt.text
        if prompt.text == text_for(english, apart=True) and prompt.text != english.text:
            return text_for(local, apart=True)
        return local.text

    def exercise(self, exercise_id: str | None) -> Exercise | None:
        english = self.library.exercises_by_id.get(exercise_id or "")
        if english is None or self.translation is None:
            return english
        result: Exercise = _replace_words(
            english, self.translation.exercises.get(english.id), _EXERCISE_WORDS
        )
        return result

    def prompt(self, prompt_id: str | None) -> AppreciationPrompt | None:
        english = self.library.appreciation_by_id.get(prompt_id or "")
        if english is None or self.translation is None:
            return english
        result: AppreciationPrompt = _replace_words(
            english, self.translation.prompts.get(english.id), ("text",)
        )
        return result

    def category(self, category_id: str) -> Category | None:
        english = self.library.categories.get(category_id)
        if english is None or self.translation is None:
            return english
        words = self.translation.categories.get(category_id)
        result: Category = _replace_words(english, words, _CATEGORY_WORDS)
        return result
