"""The content library and its checker."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import (
    DEFAULT_CONTENT_DIR,
    MIN_PER_SETTING,
    ContentError,
    Library,
    LibraryExercise,
    ask_problems,
    default_pool,
    library_problems,
    load_library,
    near_duplicates,
    style_problems,
)
from bot.domain.models import Depth, DepthPreference, Question
from bot.domain.selection import OPEN_ONLY, Format, LibraryQuestion

# The old texts of the pairs the editorial read found asking the same thing (issue 13).
OLD_DUPLICATES = {
    "affection-015": "When you're upset, do you want to be held right away or given some space"
    " first? How can your partner tell which you need?",
    "emotional-015": "When you are upset, what helps more: being asked about it straight away,"
    " or having space until you are ready? How can your partner tell which one you need?",
    "everyday-019": "After a rough day, what helps you most: talking it through, a distraction or"
    " some quiet? How could your partner tell which one you need?",
    "stress-015": "When you seem stressed, how could your partner tell whether you need some space"
    " or some company?",
    "emotional-023": "What has been taking up space in your head lately that your partner might"
    " not know about?",
    "stress-025": "What has been taking up more space in your head lately than you've let on?",
    "stress-013": "What place, real or imagined, do you picture when you want to feel calm?",
    "values-009": "Where do you go, in real life or in your head, when you want to feel calm?",
    "memories-007": "What is an inside joke the two of you share, and how did it start?",
    "play-017": "What is your favourite inside joke with your partner, and how did it begin? If"
    " you don't have one yet, which moment deserves to become one?",
    "repair-005": "What gesture tells you your partner wants to make up, even before any words"
    " are said?",
    "repair-026": "How can you tell when your partner is ready to reconnect after a tense moment?",
}
NAMED_PAIRS = [
    ("affection-015", "emotional-015"),
    ("affection-015", "everyday-019"),
    ("affection-015", "stress-015"),
    ("emotional-023", "stress-025"),
    ("stress-013", "values-009"),
    ("memories-007", "play-017"),
    ("repair-005", "repair-026"),
]


def test_the_shipped_library_passes_every_check(library: Library) -> None:
    assert library_problems(library) == []
    assert len(library.questions) >= 1200
    assert len(library.exercises) >= 20
    assert len(library.appreciation) >= 60


def test_the_content_check_command_prints_counts_and_exits_zero() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "emotional" in result.stdout and "all" in result.stdout
    assert "Choice simulation" in result.stdout and "Depth curve" in result.stdout


def test_the_near_duplicate_check_flags_every_pair_named_in_the_issue(library: Library) -> None:
    texts = [(q.id + "-now", q.text) for q in library.questions]
    texts += list(OLD_DUPLICATES.items())
    found = {frozenset((a, b)) for a, b, _ in near_duplicates(texts)}
    for pair in NAMED_PAIRS:
        assert frozenset(pair) in found, pair


def test_a_near_duplicate_is_caught_and_an_unrelated_question_is_not() -> None:
    texts = [
        ("a", "What small thing did your partner do this week that made you smile?"),
        ("b", "What small thing did your partner do this week that made you laugh?"),
        ("c", "Where would you like to travel together next year?"),
    ]
    found = near_duplicates(texts)
    assert [(x, y) for x, y, _ in found] == [("a", "b")]


def test_an_allow_listed_pair_is_not_reported() -> None:
    texts = [("a", OLD_DUPLICATES["stress-013"]), ("b", OLD_DUPLICATES["values-009"])]
    assert near_duplicates(texts, allowed=frozenset({frozenset({"a", "b"})})) == []


def test_every_depth_setting_draws_from_a_year_of_open_questions(library: Library) -> None:
    for preference in DepthPreference:
        assert len(default_pool(library, preference, formats=OPEN_ONLY)) >= 365


def test_about_one_question_in_four_is_playful(library: Library) -> None:
    playful = [
        q for q in library.questions if isinstance(q, LibraryQuestion) and q.format != "open"
    ]
    assert 0.2 <= len(playful) / len(library.questions) <= 0.3
    assert MIN_PER_SETTING == 365


def test_every_exercise_has_a_version_for_couples_apart(library: Library) -> None:
    assert all(isinstance(e, LibraryExercise) and e.apart_how_to for e in library.exercises)


def test_every_occasion_has_questions(library: Library) -> None:
    assert set(library.occasions) == {"anniversary", "hundredth", "one_year", "new_year"}
    assert all(len(o.questions) >= 3 for o in library.occasions.values())


def test_straight_quotes_and_us_spellings_are_refused() -> None:
    assert style_problems("x", 'Say "hello"')
    assert style_problems("x", "What’s your favorite colour?")
    assert style_problems("x", "Say “hello” to your favourite person.") == []


def test_a_question_that_asks_two_things_is_refused() -> None:
    two = Question("x", "play", Depth.LIGHT, "What is it? Why?")
    chained = Question("y", "play", Depth.LIGHT, "What scares you, and how do you cope?")
    one = Question("z", "play", Depth.LIGHT, "How do you cope with fear?")
    assert ask_problems(two) and ask_problems(chained) and not ask_problems(one)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_bad_depth_names_the_file_and_the_entry(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", "depth = 1", "depth = 7")
    with pytest.raises(ContentError, match=r"play\.toml: entry play-001: 'depth'"):
        load_library(content_copy)


def test_a_duplicate_id_is_refused(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", 'id = "play-002"', 'id = "play-001"')
    with pytest.raises(ContentError, match="used twice"):
        load_library(content_copy)


def test_a_question_over_300_characters_is_refused(content_copy: Path) -> None:
    path = content_copy / "questions/dreams.toml"
    text = path.read_text()
    start = text.index('text = "', text.index('id = "dreams-001"')) + len('text = "')
    path.write_text(text[:start] + "x" * 301 + text[text.index('"', start) :])
    with pytest.raises(ContentError, match=r"dreams-001.*at most 300"):
        load_library(content_copy)


def test_broken_toml_is_reported_with_the_file_name(content_copy: Path) -> None:
    (content_copy / "questions/values.toml").write_text("[category\nid=")
    with pytest.raises(ContentError, match=r"values\.toml: not valid TOML"):
        load_library(content_copy)


def test_a_this_or_that_needs_exactly_two_short_options(content_copy: Path) -> None:
    _edit(
        content_copy / "questions/play.toml", 'options = ["Pizza", "Tacos"]', 'options = ["Pizza"]'
    )
    with pytest.raises(ContentError, match="exactly two 'options'"):
        load_library(content_copy)


def test_an_option_too_long_for_a_button_is_refused(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", '"Tacos"]', '"' + "T" * 33 + '"]')
    with pytest.raises(ContentError, match="at most 32"):
        load_library(content_copy)


def test_a_rate_question_needs_both_labels(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", 'low = "Just here for snacks"\n', "")
    with pytest.raises(ContentError, match="'low' must be non-empty"):
        load_library(content_copy)


def test_a_finish_question_ends_with_an_ellipsis(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", "If we had a band, it would be called…", "Band?")
    with pytest.raises(ContentError, match="ends with '…'"):
        load_library(content_copy)


def test_heat_belongs_only_to_the_intimacy_topic(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", "depth = 1\n", 'depth = 1\nheat = "mild"\n')
    with pytest.raises(ContentError, match="heat_levels"):
        load_library(content_copy)


def test_an_unknown_key_is_refused(content_copy: Path) -> None:
    _edit(content_copy / "questions/play.toml", "depth = 1\n", "depth = 1\nformt = 'open'\n")
    with pytest.raises(ContentError, match="unknown key"):
        load_library(content_copy)


def test_new_fields_load_with_their_types(library: Library) -> None:
    questions = [q for q in library.questions if isinstance(q, LibraryQuestion)]
    assert {q.format for q in questions} == set(Format)
    assert any(q.apart is True for q in questions)
    assert any(q.stage is not None for q in questions)
    assert any(q.apart_text for q in questions)
    intimacy = [q for q in questions if q.category == "intimacy"]
    assert {q.heat for q in intimacy} == {"mild", "medium", "spicy"}
    assert library.categories["intimacy"].sensitive


def test_a_library_below_the_counts_fails_the_check(content_copy: Path) -> None:
    for name in ("play", "ideas", "values"):
        (content_copy / f"questions/{name}.toml").unlink()
    problems = library_problems(load_library(content_copy), runs=[])
    assert any("at least 1200 needed" in p for p in problems)
