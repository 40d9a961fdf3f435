"""What only the PostgreSQL store has: its own migrations (the same tables and columns as
SQLite's), several instances migrating at once, connection problems in one line without the
password, and the operator's commands with DATABASE_URL set, copy-db included."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.config import SettingsError, load_settings
from bot.content import Library
from bot.storage import Database, PostgresDatabase, StorageUnavailable, open_store
from bot.storage.postgres.migrations import POSTGRES_MIGRATIONS
from bot.usecases import answers, clocks, pairing, questions
from bot.usecases.common import Services
from sandbox.harness import FakeClock
from sandbox.postgres import ThrowawayCluster

NOW = dt.datetime(2026, 1, 14, 8, 0, tzinfo=dt.UTC)
TOKEN = "123456789:TEST-token-for-the-local-fake-api"


@pytest.fixture
async def empty_url(postgres_cluster: ThrowawayCluster) -> str:
    """A database with no schema at all."""
    return await postgres_cluster.database()


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    environment.update({"DATABASE_PATH": str(tmp_path / "db.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=90, check=False,
    )  # fmt: skip


def _dump_listing(dump: Path) -> str:
    listing = subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    )
    return listing.stdout


async def test_both_schemas_have_the_same_tables_and_columns(
    tmp_path: Path, empty_url: str
) -> None:
    lite = await Database.open(tmp_path / "db.sqlite3")
    await lite.close()
    sqlite_columns: dict[str, set[str]] = {}
    async with aiosqlite.connect(tmp_path / "db.sqlite3") as conn:
        tables = await conn.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        for (table,) in tables:
            columns = await conn.execute_fetchall(f"PRAGMA table_info({table})")
            sqlite_columns[table] = {column[1] for column in columns}
    db = await PostgresDatabase.open(empty_url)
    await db.close()
    conn = await asyncpg.connect(empty_url)
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name <> 'schema_version'"
    )
    await conn.close()
    postgres_columns: dict[str, set[str]] = {}
    for row in rows:
        postgres_columns.setdefault(row["table_name"], set()).add(row["column_name"])
    assert postgres_columns == sqlite_columns


async def test_instances_starting_together_migrate_once(empty_url: str) -> None:
    opened = await asyncio.gather(*(PostgresDatabase.open(empty_url) for _ in range(3)))
    versions = [await db.schema_version() for db in opened]
    for db in opened:
        await db.close()
    assert versions == [len(POSTGRES_MIGRATIONS)] * 3
    conn = await asyncpg.connect(empty_url)
    steps = await conn.fetchval("SELECT count(*) FROM schema_version")
    await conn.close()
    assert steps == len(POSTGRES_MIGRATIONS)


async def test_an_unmigrated_database_is_refused_for_figures_and_backups(empty_url: str) -> None:
    with pytest.raises(StorageUnavailable, match="has schema 0"):
        await PostgresDatabase.open_existing(empty_url)


async def test_a_database_that_cannot_be_reached_is_one_line_without_the_password(
    postgres_cluster: ThrowawayCluster,
) -> None:
    url = f"postgresql://nearer:hunter2secret@127.0.0.1:{postgres_cluster.port}/no_such_db"
    with pytest.raises(StorageUnavailable) as caught:
        await open_store(url, Path("unused.sqlite3"))
    message = str(caught.value)
    assert "no_such_db" in message and "hunter2secret" not in message
    assert "\n" not in message


def test_a_database_url_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings(_env_file=None, bot_token=TOKEN, database_url="mysql://x@y/z")


async def test_migrate_stats_healthcheck_and_backup_work_with_a_database_url(
    tmp_path: Path, empty_url: str
) -> None:
    migrated = _cli(tmp_path, "migrate", DATABASE_URL=empty_url)
    assert migrated.returncode == 0, migrated.stderr
    assert f"is at schema {len(POSTGRES_MIGRATIONS)}" in migrated.stdout
    assert not (tmp_path / "db.sqlite3").exists()  # SQLite is not touched
    figures = _cli(tmp_path, "stats", DATABASE_URL=empty_url)
    assert figures.returncode == 0, figures.stderr
    assert "pairs: 0 active" in figures.stdout
    assert _cli(tmp_path, "healthcheck", DATABASE_URL=empty_url).returncode == 1  # no tick
    db = await PostgresDatabase.open_existing(empty_url)
    async with db.transaction() as tx:
        await tx.set_meta("last_tick_at", dt.datetime.now(dt.UTC).isoformat())
    await db.close()
    healthy = _cli(tmp_path, "healthcheck", DATABASE_URL=empty_url)
    assert healthy.returncode == 0, healthy.stderr
    backup = _cli(tmp_path, "backup", str(tmp_path / "nearer.dump"), DATABASE_URL=empty_url)
    assert backup.returncode == 0, backup.stderr
    assert "TABLE public answers" in _dump_listing(tmp_path / "nearer.dump")


async def _lived_in_sqlite(path: Path, library: Library) -> None:
    """A couple that paired, answered a question and wrote one of their own."""
    settings = load_settings(_env_file=None, bot_token=TOKEN, database_path=path)
    db = await Database.open(path)
    services = Services(settings=settings, db=db, library=library, clock=FakeClock(NOW))
    await pairing.register(services, 1, 1, "Alice")
    await pairing.register(services, 2, 2, "Bob")
    invite = (await pairing.create_invite(services, 1)).invite
    assert invite is not None
    await pairing.accept_invite(services, invite.code, 2)
    for user in (1, 2):  # both skip "where are you?": then the first question comes
        await clocks.set_own_clock(services, user)
    for user in (1, 2):
        incoming = answers.IncomingAnswer(
            user_id=user, chat_id=user, message_id=50 + user, kind=answers.AnswerKind.TEXT,
            text=f"answer of {user}",
        )  # fmt: skip
        await answers.receive_message(services, incoming)
    await questions.ask(services, 1, "What made you laugh today?")
    await db.close()


async def test_copy_db_moves_every_row_and_the_bot_carries_on_in_postgresql(
    tmp_path: Path, empty_url: str, library: Library
) -> None:
    await _lived_in_sqlite(tmp_path / "db.sqlite3", library)
    copied = _cli(tmp_path, "copy-db", DATABASE_URL=empty_url)
    assert copied.returncode == 0, copied.stderr
    assert "every count matches" in copied.stdout
    assert "answers                     2 ->          2" in copied.stdout
    db = await PostgresDatabase.open_existing(empty_url)
    async with db.reading() as tx:
        entries, total = await tx.revealed_history(1, 0, 10)
        pair = await tx.active_pair_of(2)
    assert total == 1 and entries[0].theirs is not None
    assert entries[0].theirs.text == "answer of 2"
    assert pair is not None and pair.members == (1, 2)
    async with db.transaction() as tx:  # new ids continue after the copied ones
        await tx.upsert_person(3, 3, "Cleo", NOW)
        await tx.upsert_person(4, 4, "Dan", NOW)
        later = await tx.create_pair((3, 4), pair.schedule, 7, NOW)
    await db.close()
    assert later is not None and later.id > pair.id
    again = _cli(tmp_path, "copy-db", DATABASE_URL=empty_url)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_copy_db_needs_a_database_url(tmp_path: Path) -> None:
    result = _cli(tmp_path, "copy-db")
    assert result.returncode == 2 and "DATABASE_URL" in result.stderr


async def test_an_instance_hears_the_others_again_after_the_server_restarted() -> None:
    # Its own server: restarting the session's would cut every other test's connections.
    cluster = ThrowawayCluster(durable=True)
    cluster.start()
    try:
        url = await cluster.database()
        listener = await PostgresDatabase.open(url)
        woken = asyncio.Event()
        await listener.listen("outbox", woken.set)
        await asyncio.to_thread(cluster.restart)
        # Listening again wakes the listener once, for what it may have missed meanwhile...
        await asyncio.wait_for(woken.wait(), 15)
        woken.clear()
        # ...and another instance's NOTIFY reaches it again.
        announcer = await PostgresDatabase.open(url)
        announcer.announce("outbox")
        await asyncio.wait_for(woken.wait(), 5)
        await announcer.close()
        await listener.close()
    finally:
        cluster.stop()
