"""The SQLite store: one write connection, a read-only one for long reads, migrations, and
transactions made of the repositories."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite.inbox import InboxRepository
from bot.storage.sqlite.invites import InvitesRepository
from bot.storage.sqlite.nudges import NudgesRepository
from bot.storage.sqlite.outbox import OutboxRepository
from bot.storage.sqlite.pairs import PairsRepository
from bot.storage.sqlite.people import PeopleRepository
from bot.storage.sqlite.prompts import PromptsRepository
from bot.storage.sqlite.stats import StatsRepository

log = logging.getLogger(__name__)


class Transaction(
    PeopleRepository,
    InvitesRepository,
    PairsRepository,
    PromptsRepository,
    NudgesRepository,
    StatsRepository,
    OutboxRepository,
    InboxRepository,
):
    """Named reads and writes inside one SQLite transaction (see Database.transaction)."""


class SoleInstance:
    """The election on SQLite: one process owns the file, so it holds every role."""

    def __init__(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        """Whether the role was taken (and not given up)."""
        return self._held

    async def acquire(self) -> None:
        """Take the role; nobody else can hold it."""
        self._held = True

    async def release(self) -> None:
        """Give the role up."""
        self._held = False


class StorageUnavailable(Exception):
    """The database file cannot be opened or written; the message says why, in one line."""


@dataclass(frozen=True)
class HealthReport:
    """What a quick, read-only look at the database found."""

    integrity: str
    last_tick_at: dt.datetime | None


async def read_health(path: Path) -> HealthReport:
    """Open the database read-only, run a quick check and read the scheduler's heartbeat."""
    if not await asyncio.to_thread(path.exists):
        raise StorageUnavailable(f"no database at {path}")
    try:
        async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as conn:
            async with conn.execute("PRAGMA quick_check") as cursor:
                row = await cursor.fetchone()
            async with conn.execute("SELECT value FROM meta WHERE key = 'last_tick_at'") as cursor:
                tick = await cursor.fetchone()
    except sqlite3.Error as error:
        raise StorageUnavailable(f"cannot read {path}: {error}") from None
    last = dt.datetime.fromisoformat(tick[0]) if tick else None
    return HealthReport(str(row[0]) if row else "no answer", last)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a shielded statement's outcome as seen (its awaiter may have been cancelled)."""
    if not future.cancelled():
        future.exception()


class Database:
    """The SQLite database: opens, migrates, and hands out transactions one at a time."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection writes; the lock keeps each transaction's statements together so an
        # await in one handler cannot interleave with another's writes.
        self._lock = asyncio.Lock()
        # Reads that may be long (/export, /history, /stats) use a read-only connection of
        # their own, so they never hold up the writer (WAL lets both run at once).
        self._reader: aiosqlite.Connection | None = None
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
            conn.row_factory = sqlite3.Row  # rows read by name; by position still works
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailable(f"cannot open the database at {path}: {error}") from None
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            # Deleted rows are overwritten, not just unlinked: /deletemydata leaves no words.
            await conn.execute("PRAGMA secure_delete = ON")
            database = cls(conn, path)
            await database.migrate()
        except sqlite3.Error as error:
            await conn.close()
            raise StorageUnavailable(f"cannot use the database at {path}: {error}") from None
        except BaseException:
            await conn.close()
            raise
        return database

    @classmethod
    async def open_existing(cls, path: Path) -> Database:
        """Open a database another process (a running bot) may be using, for backups and
        figures: never created, never migrated; its schema must be the one this code knows."""
        if not await asyncio.to_thread(path.exists):
            raise StorageUnavailable(f"no database at {path}")
        try:
            conn = await aiosqlite.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
        except sqlite3.Error as error:
            raise StorageUnavailable(f"cannot open the database at {path}: {error}") from None
        database = cls(conn, path)
        try:
            await conn.execute("PRAGMA busy_timeout = 5000")
            version = await database.schema_version()
        except sqlite3.Error as error:
            await conn.close()
            raise StorageUnavailable(f"cannot read the database at {path}: {error}") from None
        if version != len(MIGRATIONS):
            await conn.close()
            raise StorageUnavailable(
                f"the database at {path} has schema {version} and this code expects "
                f"{len(MIGRATIONS)}; run `python -m bot migrate` with the matching version first"
            )
        return database

    def election(self, role: str) -> SoleInstance:
        """Every role is this process's: SQLite is one process's database."""
        return SoleInstance()

    def announce(self, channel: str) -> None:
        """Nobody else to tell: one process uses the file."""

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Nobody else announces: one process uses the file."""

    async def close(self) -> None:
        """Close the connections; waits for running transactions to finish."""
        async with self._read_lock:
            if self._reader is not None:
                await self._reader.close()
                self._reader = None
        async with self._lock:
            await self._conn.close()

    async def schema_version(self) -> int:
        """Return the schema version the database is at."""
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration the database lacks; return the version it is now at."""
        async with self._lock:
            version = await self.schema_version()
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"database schema {version} is newer than this code ({len(MIGRATIONS)})"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await self._conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
                log.info("database migrated to schema %d", number)
            return len(MIGRATIONS)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the block in one transaction: committed on success, rolled back on error."""
        async with self._lock:
            # aiosqlite queues each statement on its thread before the first await, in order.
            # So once BEGIN is called it will run, even if this task is cancelled while
            # waiting; a ROLLBACK queued after it always ends that transaction before the
            # next one begins.
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield Transaction(self._conn)
            except BaseException:
                rollback = asyncio.ensure_future(self._conn.execute("ROLLBACK"))
                with contextlib.suppress(sqlite3.OperationalError, asyncio.CancelledError):
                    await asyncio.shield(rollback)
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Transaction]:
        """Run the block as one read-only snapshot on the reader connection; writes fail."""
        async with self._read_lock:
            if self._reader is None:
                self._reader = await aiosqlite.connect(
                    f"file:{self.path}?mode=ro", uri=True, isolation_level=None
                )
                self._reader.row_factory = sqlite3.Row
                await self._reader.execute("PRAGMA busy_timeout = 5000")
            reader = self._reader
            await reader.execute("BEGIN")
            try:
                yield Transaction(reader)
            finally:
                # The snapshot ends whatever happens; a cancellation while it ends still
                # cancels the reader (swallowing it left a stopping worker running).
                end = asyncio.ensure_future(reader.execute("ROLLBACK"))
                end.add_done_callback(_retrieved)
                with contextlib.suppress(sqlite3.OperationalError):
                    await asyncio.shield(end)

    async def forget_deleted(self) -> None:
        """Write deleted data out of the write-ahead log too: checkpoint it into the (zeroed)
        database pages and truncate the log, so no old page keeps deleted words."""
        async with self._lock, self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0]:
            log.warning("checkpoint after a deletion was blocked; the log is cleared later")

    async def integrity_check(self) -> str:
        """Run SQLite's integrity check; 'ok' when the file is sound."""
        async with self._lock, self._conn.execute("PRAGMA integrity_check") as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else "no answer"

    async def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the database to a new file `target` (SQLite's online
        backup: consistent even while the bot writes)."""
        if await asyncio.to_thread(target.exists):
            raise StorageUnavailable(f"{target} exists already; choose a new file name")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            async with self._lock, aiosqlite.connect(target) as destination:
                await self._conn.backup(destination)
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailable(f"cannot write a backup to {target}: {error}") from None
