"""Invariant 5: what a person who ran /deletemydata left behind in the database.

This is the one place the simulation looks inside storage, and it looks without knowing the
schema: every table and every column is read generically, so a new table cannot hide data from
it. A PostgreSQL backend gets its own function with the same shape (list the tables from the
catalogue, read every column); the SQLite one also checks the raw bytes of the file and its
write-ahead log after a checkpoint, since deleted rows can linger in free pages.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import asyncpg


@dataclass(frozen=True)
class Needles:
    """What must be gone: the person's id (their chat id is the same in a private chat), and
    texts: their first name and the marker word of everything they wrote."""

    user_id: int
    texts: tuple[str, ...]


def sqlite_traces(path: Path, needles: Needles, *, check_bytes: bool = True) -> list[str]:
    """Describe every trace of `needles` in the SQLite database at `path` (empty: none).

    Rows: a column equal to the id, or a text or blob holding the id, the name or a marker
    (JSON payloads of the outbox included). Then `PRAGMA wal_checkpoint(TRUNCATE)` and a byte
    search of the database file and its -wal file for the name and the markers.
    """
    found: list[str] = []
    user_text = str(needles.user_id)
    connection = sqlite3.connect(path, timeout=5)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [item[0] for item in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    trace = _trace(value, needles.user_id, user_text, needles.texts)
                    if trace is not None:
                        found.append(f"{table}.{column} holds {trace}")
        if check_bytes:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                found.append("the WAL could not be checkpointed (a reader was busy)")
    finally:
        connection.close()
    if check_bytes:
        for file in (path, path.with_name(path.name + "-wal")):
            if not file.exists():
                continue
            data = file.read_bytes()
            for text in needles.texts:
                if text.encode() in data:
                    found.append(f"the bytes of {file.name} still hold {text!r}")
    return found


async def postgres_traces(url: str, needles: Needles) -> list[str]:
    """Describe every trace of `needles` in the rows of the PostgreSQL database at `url`
    (every table the catalogue lists, every column; the same rules as `sqlite_traces`)."""
    found: list[str] = []
    user_text = str(needles.user_id)
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        for (table,) in tables:
            for row in await connection.fetch(f'SELECT * FROM "{table}"'):
                for column, value in row.items():
                    trace = _trace(value, needles.user_id, user_text, needles.texts)
                    if trace is not None:
                        found.append(f"{table}.{column} holds {trace}")
    finally:
        await connection.close()
    return found


def _trace(value: object, user_id: int, user_text: str, texts: tuple[str, ...]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value == user_id:
        return "the user id"
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        if user_text in value:
            return "the user id in a text"
        for text in texts:
            if text in value:
                return repr(text)
    return None
