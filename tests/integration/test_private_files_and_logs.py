"""What people wrote stays private on disk and out of the logs, even at DEBUG."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import setup_logging
from bot.storage import Database


def _cli(tmp_path: Path, database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment["DATABASE_PATH"] = str(database)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=90, check=True,
    )  # fmt: skip


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_folder_and_files_are_readable_by_the_bots_user_only(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "nearer.sqlite3"
    _cli(tmp_path, database, "migrate")
    _cli(tmp_path, database, "backup", str(tmp_path / "copies" / "monday.sqlite3"))
    assert _mode(database.parent) == 0o700
    assert _mode(database) == 0o600
    assert _mode(tmp_path / "copies") == 0o700
    assert _mode(tmp_path / "copies" / "monday.sqlite3") == 0o600


def test_a_database_left_readable_by_others_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "nearer.sqlite3"
    _cli(tmp_path, database, "migrate")
    database.chmod(0o644)
    _cli(tmp_path, database, "migrate")
    assert _mode(database) == 0o600


@pytest.fixture
def debug_logging(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, sys.excepthook
    touched = {name: logging.getLogger(name).level for name in ("telegram", "aiosqlite")}
    setup_logging("DEBUG", [])
    yield
    root.handlers[:], sys.excepthook = handlers, hook
    root.setLevel(level)
    for name, previous in touched.items():
        logging.getLogger(name).setLevel(previous)


async def test_debug_logging_never_writes_what_people_wrote(
    debug_logging: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await Database.open(tmp_path / "nearer.sqlite3")
    async with db.transaction() as tx:
        await tx.upsert_person(1, 1, "Secretname", dt.datetime.now(dt.UTC))
    await db.close()
    logging.getLogger("telegram.ext.ExtBot").debug("parameters %s", {"text": "my private words"})
    logging.getLogger("bot.handlers").debug("update 5 from user 1")
    written = capsys.readouterr().err
    assert "Secretname" not in written and "my private words" not in written
    assert "update 5 from user 1" in written  # the bot's own lines (ids only) still show


def test_an_update_python_telegram_bot_cannot_read_is_logged_without_its_content(
    debug_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    error = TypeError("Voice.__init__() missing 1 required positional argument: 'file_id'")
    logging.getLogger("telegram.ext._utils.webhookhandler").critical(
        "Something went wrong. Received data was: %r",
        {"message": {"text": "my private words"}},
        exc_info=error,
    )
    written = capsys.readouterr().err
    assert "Something went wrong" in written and "TypeError" in written
    assert "my private words" not in written
