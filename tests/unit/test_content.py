"""The content library and its checker."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import (
    DEFAULT_CONTENT_DIR,
    ContentError,
    Library,
    library_problems,
    load_library,
    near_duplicates,
)


def test_the_shipped_library_passes_every_check(library: Library) -> None:
    assert library_problems(library) == []
    assert len(library.questions) >= 400
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


def test_a_near_duplicate_is_caught() -> None:
    texts = [
        ("a", "What small thing did your partner do this week that made you smile?"),
        ("b", "What small thing did your partner do this week that made you laugh?"),
        ("c", "Where would you like to travel together next year?"),
    ]
    found = near_duplicates(texts)
    assert [(x, y) for x, y, _ in found] == [("a", "b")]


def test_a_library_below_the_counts_fails_the_check(content_copy: Path) -> None:
    for name in ("play", "ideas", "values"):
        (content_copy / f"questions/{name}.toml").unlink()
    problems = library_problems(load_library(content_copy))
    assert any("at least 400 needed" in p for p in problems)
