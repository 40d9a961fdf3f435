"""The command line an operator uses: run's start-up checks, migrate, backup, stats,
healthcheck and the demo. Each failure is one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.storage import Database
from bot.storage.migrations import MIGRATIONS

TOKEN = "123456789:AAH-cli-test-token-abcdefghijklmnop"


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN",)}
    environment.update({"DATABASE_PATH": str(tmp_path / "db.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=90, check=False,
    )  # fmt: skip


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


async def _seed(path: Path, *, heartbeat: dt.datetime | None = None) -> None:
    db = await Database.open(path)
    async with db.transaction() as tx:
        now = dt.datetime.now(dt.UTC)
        for user in (1, 2):
            await tx.upsert_person(user, user, f"P{user}", now)
        if heartbeat is not None:
            await tx.set_meta("last_tick_at", heartbeat.isoformat())
    await db.close()


def test_migrate_reports_the_schema_version(tmp_path: Path) -> None:
    result = _run(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert "is at schema" in result.stdout


def test_backup_writes_a_consistent_copy_and_refuses_an_existing_target(tmp_path: Path) -> None:
    asyncio.run(_seed(tmp_path / "db.sqlite3"))
    target = tmp_path / "backups" / "copy.sqlite3"
    result = _run(tmp_path, "backup", str(target))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM people").fetchone() == (2,)
    before = target.read_bytes()
    line = _one_line(_run(tmp_path, "backup", str(target)))
    assert "exists already" in line
    assert target.read_bytes() == before


async def test_an_online_backup_is_consistent_while_the_bot_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "live.sqlite3")
    now = dt.datetime.now(dt.UTC)

    async def keep_writing() -> None:
        for user in range(500):
            async with db.transaction() as tx:
                await tx.upsert_person(user, user, "writer", now)
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.01)
    await db.backup_to(tmp_path / "copy.sqlite3")
    await writer
    await db.close()
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        copied = copy.execute("SELECT count(*) FROM people").fetchone()[0]
    assert 0 < copied <= 500


def test_stats_prints_the_operator_figures(tmp_path: Path) -> None:
    asyncio.run(_seed(tmp_path / "db.sqlite3"))
    result = _run(tmp_path, "stats")
    assert result.returncode == 0, result.stderr
    assert "pairs: 0 active" in result.stdout
    assert "messages queued: 0" in result.stdout


def test_healthcheck_needs_a_recent_scheduler_heartbeat(tmp_path: Path) -> None:
    assert _run(tmp_path, "healthcheck").returncode == 1  # no database yet
    asyncio.run(_seed(tmp_path / "db.sqlite3"))
    assert _run(tmp_path, "healthcheck").returncode == 1  # no tick yet
    asyncio.run(_seed(tmp_path / "db.sqlite3", heartbeat=dt.datetime.now(dt.UTC)))
    result = _run(tmp_path, "healthcheck")
    assert result.returncode == 0, result.stderr
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    asyncio.run(_seed(tmp_path / "db.sqlite3", heartbeat=stale))
    assert _run(tmp_path, "healthcheck").returncode == 1


def test_an_unwritable_database_path_stops_start_up_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    line = _one_line(
        _run(tmp_path, "run", BOT_TOKEN=TOKEN, DATABASE_PATH=str(blocker / "db.sqlite3"))
    )
    assert "Database problem" in line


def test_a_port_in_use_stops_start_up_in_one_line_and_touches_no_data(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_line(
            _run(
                tmp_path, "run", BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example.org/telegram",
                WEBHOOK_SECRET="abc", WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port),
            )
        )  # fmt: skip
    assert f"Port {port}" in line and "WEBHOOK_PORT" in line
    assert not (tmp_path / "db.sqlite3").exists()


def test_a_wrong_webhook_url_or_missing_secret_stops_start_up(tmp_path: Path) -> None:
    line = _one_line(_run(tmp_path, "run", BOT_TOKEN=TOKEN, WEBHOOK_URL="ftp://nope"))
    assert "WEBHOOK_URL" in line
    line = _one_line(_run(tmp_path, "run", BOT_TOKEN=TOKEN, WEBHOOK_URL="http://example.org/x"))
    assert "WEBHOOK_URL" in line
    line = _one_line(
        _run(tmp_path, "run", BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example.org/telegram")
    )
    assert "WEBHOOK_SECRET" in line
    assert not (tmp_path / "db.sqlite3").exists()


def test_the_demo_runs_without_a_token_and_shows_both_chats(tmp_path: Path) -> None:
    result = _run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    for expected in ("Alice's chat", "Sam's chat", "You both answered", "A small nudge",
                     "sent a heart back", "Paused until", "resumed"):  # fmt: skip
        assert expected in result.stdout


async def test_a_token_telegram_refuses_stops_start_up_in_one_line_without_the_token(
    tmp_path: Path,
) -> None:
    from sandbox.fake_bot_api import FakeBotAPI

    api = FakeBotAPI()  # knows only its own token, so ours is refused with 401
    await api.start()
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment.update(
        BOT_TOKEN=TOKEN,
        DATABASE_PATH=str(tmp_path / "db.sqlite3"),
        TELEGRAM_API_BASE_URL=api.base_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    await api.stop()
    assert process.returncode == 2
    assert "Telegram refused BOT_TOKEN" in stderr.decode()
    assert TOKEN not in stderr.decode()
    assert TOKEN.split(":")[1] not in stderr.decode()


def test_an_unreachable_bot_api_stops_start_up_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = _run(
        tmp_path, "run", BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr
    assert "Cannot reach Telegram" in result.stderr.strip().splitlines()[-1]


def test_backup_and_stats_never_migrate_the_database_of_a_running_older_bot(
    tmp_path: Path,
) -> None:
    older = len(MIGRATIONS) - 1
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        for number, script in enumerate(MIGRATIONS[:older], start=1):
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    before = path.read_bytes()
    for command in (("backup", str(tmp_path / "copy.sqlite3")), ("stats",)):
        result = _run(tmp_path, *command)
        assert result.returncode != 0
        assert f"schema {older}" in _one_line(result)
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == older
    assert not (tmp_path / "copy.sqlite3").exists()
