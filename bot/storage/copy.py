"""Moving an installation: copy a SQLite database into an empty PostgreSQL one and check that
every table arrived whole."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import asyncpg

from bot.storage.postgres.database import PostgresDatabase, redacted
from bot.storage.sqlite.database import Database, StorageUnavailable

# Parents before children, so every foreign key finds its row.
TABLES = (
    "pairs",
    "topic_consents",
    "people",
    "invites",
    "prompts",
    "answers",
    "sent_messages",
    "outbox",
    "nudges",
    "nudge_messages",
    "reminders_sent",
    "custom_questions",
    "reactions",
    "invite_failures",
    "meta",
    "action_counts",
    "inbox",
    "pause_spans",
    "pending_answers",
)
IDENTITY_TABLES = ("pairs", "prompts", "outbox", "nudges", "custom_questions", "pending_answers")


@dataclass(frozen=True)
class CopiedTable:
    """How many rows a table had in SQLite and has in PostgreSQL after the copy."""

    table: str
    source_rows: int
    target_rows: int


async def copy_sqlite_to_postgres(path: Path, url: str) -> list[CopiedTable]:
    """Copy every table of the SQLite database at `path` into the empty PostgreSQL database at
    `url` in one transaction (nothing is kept if anything fails), then compare the counts.

    Both are first brought to the newest schema. The bot must not be running on either.
    """
    if not await asyncio.to_thread(path.exists):
        raise StorageUnavailable(f"no database at {path}")
    source = await Database.open(path)  # migrates an older file to the newest schema
    await source.close()
    target = await PostgresDatabase.open(url)
    await target.close()
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        raise StorageUnavailable(f"cannot connect to {redacted(url)}: {error}") from None
    try:
        async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as lite:
            for table in TABLES:
                if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                    raise StorageUnavailable(
                        f"the database at {redacted(url)} is not empty ({table} has rows); "
                        "copy into a new, empty database"
                    )
            copied: list[CopiedTable] = []
            async with conn.transaction():
                for table in TABLES:
                    async with lite.execute(f"SELECT * FROM {table}") as cursor:
                        columns = [item[0] for item in cursor.description]
                        rows = [tuple(row) for row in await cursor.fetchall()]
                    if rows:
                        await conn.copy_records_to_table(table, records=rows, columns=columns)
                    copied.append(CopiedTable(table, len(rows), 0))
                for table in IDENTITY_TABLES:
                    # New rows continue after the copied ids.
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
                counted = []
                for entry in copied:
                    rows_now = await conn.fetchval(f"SELECT count(*) FROM {entry.table}")
                    counted.append(CopiedTable(entry.table, entry.source_rows, int(rows_now)))
                if any(entry.source_rows != entry.target_rows for entry in counted):
                    raise StorageUnavailable("the copied counts differ; nothing was kept")
    except (sqlite3.Error, asyncpg.PostgresError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StorageUnavailable(f"the copy failed and nothing was kept: {reason}") from None
    finally:
        await conn.close()
    return counted
