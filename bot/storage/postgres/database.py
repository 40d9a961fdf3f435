"""The PostgreSQL store: a connection pool, migrations taken under an advisory lock (several
instances may start at once), and transactions made of the repositories."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.storage.postgres.election import AdvisoryElection
from bot.storage.postgres.migrations import POSTGRES_MIGRATIONS
from bot.storage.postgres.repositories import (
    Connection,
    PostgresInbox,
    PostgresInvites,
    PostgresNudges,
    PostgresOutbox,
    PostgresPairs,
    PostgresPeople,
    PostgresPrompts,
    PostgresStats,
)
from bot.storage.sqlite.database import HealthReport, StorageUnavailable
from bot.waiting import cancel_and_wait

log = logging.getLogger(__name__)

# Any constant works; it only has to differ from the other advisory locks the bot takes.
MIGRATION_LOCK = 0x4E656172  # "Near"
# Tables that hold what people wrote; vacuumed after a deletion (see forget_deleted).
WORDS_TABLES = ("answers", "prompts", "custom_questions", "nudges", "people", "outbox", "pairs")
POOL_SIZE = 10
LISTEN_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # waits between attempts to listen again


class PostgresTransaction(
    PostgresPeople,
    PostgresInvites,
    PostgresPairs,
    PostgresPrompts,
    PostgresNudges,
    PostgresStats,
    PostgresOutbox,
    PostgresInbox,
):
    """Named reads and writes inside one PostgreSQL transaction (READ COMMITTED)."""


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def _problem(url: str, doing: str, error: BaseException) -> StorageUnavailable:
    # asyncpg's messages name the host and user but never the password.
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return StorageUnavailable(f"cannot {doing} the database at {redacted(url)}: {reason}")


CONNECT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError)


class PostgresDatabase:
    """A PostgreSQL database shared by any number of instances: a pool of connections, each
    transaction on one of them."""

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], url: str) -> None:
        self._pool = pool
        self.url = url
        self._listener: asyncpg.Connection[asyncpg.Record] | None = None
        self._listening: dict[str, list[Callable[[], None]]] = {}
        self._relisten: asyncio.Task[None] | None = None
        self._closing = False
        self._announcing: set[asyncio.Task[None]] = set()

    def election(self, role: str) -> AdvisoryElection:
        """The election for `role` among the instances sharing this database."""
        return AdvisoryElection(self.url, role)

    def announce(self, channel: str) -> None:
        """NOTIFY the other instances on `channel`, without waiting for it."""
        task = asyncio.get_running_loop().create_task(self._notify(channel))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _notify(self, channel: str) -> None:
        try:
            await self._pool.execute("SELECT pg_notify($1, '')", f"nearer_{channel}")
        except Exception as error:  # listeners look by themselves too; a lost one costs a poll
            log.debug("notify %s failed (%s)", channel, type(error).__name__)

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """LISTEN on `channel` on a connection of its own; `callback` runs on each NOTIFY.

        When that connection is lost (the server restarted, say), it is opened again and every
        channel listened to again; each callback runs once then, for what it may have missed.
        """
        self._listening.setdefault(channel, []).append(callback)
        if self._listener is None or self._listener.is_closed():
            self._listener = await self._connect_listener()
        await self._listener.add_listener(f"nearer_{channel}", lambda *_: callback())

    async def _connect_listener(self) -> asyncpg.Connection[asyncpg.Record]:
        conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(self.url, timeout=10)
        conn.add_termination_listener(self._listener_lost)
        return conn

    def _listener_lost(self, conn: object) -> None:
        if self._closing or conn is not self._listener:
            return
        if self._relisten is None or self._relisten.done():
            self._relisten = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        """Open a new listening connection and LISTEN on every channel again."""
        attempt = 0
        while not self._closing:
            await asyncio.sleep(LISTEN_RETRY_SECONDS[min(attempt, len(LISTEN_RETRY_SECONDS) - 1)])
            attempt += 1
            conn = None
            try:
                conn = await self._connect_listener()
                for channel, callbacks in self._listening.items():
                    for callback in callbacks:
                        await conn.add_listener(
                            f"nearer_{channel}", lambda *_, wake=callback: wake()
                        )
            except CONNECT_ERRORS as error:
                log.debug("listen: database unreachable (%s)", type(error).__name__)
                if conn is not None:
                    conn.terminate()
                continue
            self._listener = conn
            log.info("listening for other instances again: %s", ", ".join(self._listening))
            for callbacks in self._listening.values():
                for callback in callbacks:
                    callback()
            return

    @classmethod
    async def _pool_for(cls, url: str) -> asyncpg.Pool[asyncpg.Record]:
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=10, command_timeout=60
            )
        except CONNECT_ERRORS as error:
            raise _problem(url, "connect to", error) from None
        assert pool is not None
        return pool

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        """Connect to the database at `url` and bring its schema up to date."""
        database = cls(await cls._pool_for(url), url)
        try:
            await database.migrate()
        except CONNECT_ERRORS as error:
            await database.close()
            raise _problem(url, "migrate", error) from None
        except BaseException:
            await database.close()
            raise
        return database

    @classmethod
    async def open_existing(cls, url: str) -> PostgresDatabase:
        """Connect to a database running instances use: never migrated; its schema must be
        the one this code knows."""
        database = cls(await cls._pool_for(url), url)
        try:
            version = await database.schema_version()
        except CONNECT_ERRORS as error:
            await database.close()
            raise _problem(url, "read", error) from None
        if version != len(POSTGRES_MIGRATIONS):
            await database.close()
            raise StorageUnavailable(
                f"the database at {redacted(url)} has schema {version} and this code expects "
                f"{len(POSTGRES_MIGRATIONS)}; run `python -m bot migrate` with the matching "
                "version first"
            )
        return database

    async def close(self) -> None:
        """Close the pool; waits for running transactions to finish."""
        self._closing = True
        if self._relisten is not None:
            await cancel_and_wait(self._relisten)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        await self._pool.close()

    async def schema_version(self) -> int:
        """Return the schema version the database is at (0: empty)."""
        async with self._pool.acquire() as conn:
            return await self._version(conn)

    @staticmethod
    async def _version(conn: Connection) -> int:
        exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))

    async def migrate(self) -> int:
        """Apply every migration the database lacks; return the version it is now at. Several
        instances starting at once take turns: the first migrates, the others find it done."""
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)"
                )
                version = await self._version(conn)
                if version > len(POSTGRES_MIGRATIONS):
                    raise RuntimeError(
                        f"database schema {version} is newer than this code "
                        f"({len(POSTGRES_MIGRATIONS)})"
                    )
                steps = POSTGRES_MIGRATIONS[version:]
                for number, script in enumerate(steps, start=version + 1):
                    async with conn.transaction():
                        await conn.execute(script)
                        await conn.execute("INSERT INTO schema_version VALUES ($1)", number)
                    log.info("database migrated to schema %d", number)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return len(POSTGRES_MIGRATIONS)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        """Run the block in one transaction: committed on success, rolled back on error."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield PostgresTransaction(conn)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[PostgresTransaction]:
        """Run the block as one read-only snapshot; it never holds up writers."""
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PostgresTransaction(conn)

    async def forget_deleted(self) -> None:
        """Prune deleted rows from the tables that hold words, so their space is reused
        (PostgreSQL keeps a deleted row until vacuumed)."""
        async with self._pool.acquire() as conn:
            for table in WORDS_TABLES:
                await conn.execute(f"VACUUM {table}")

    async def integrity_check(self) -> str:
        """'ok' when the database answers and holds this code's schema (PostgreSQL checks its
        own pages; there is nothing like SQLite's integrity check to run)."""
        version = await self.schema_version()
        if version != len(POSTGRES_MIGRATIONS):
            return f"schema {version}, expected {len(POSTGRES_MIGRATIONS)}"
        return "ok"

    async def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the database to a new file `target` with pg_dump (custom
        format; restore with pg_restore)."""
        if await asyncio.to_thread(target.exists):
            raise StorageUnavailable(f"{target} exists already; choose a new file name")
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise StorageUnavailable("pg_dump is missing (Debian: postgresql-client)")
        parts = urlsplit(self.url)
        environment = dict(os.environ)
        if parts.password is not None:
            environment["PGPASSWORD"] = parts.password
        target.parent.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            pg_dump,
            "--format=custom",
            f"--file={target}",
            f"--dbname={redacted(self.url).replace(':***@', '@')}",
            env=environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await process.communicate()
        if process.returncode != 0:
            reason = errors.decode(errors="replace").strip().splitlines()
            raise StorageUnavailable(
                f"pg_dump failed: {reason[0] if reason else process.returncode}"
            )


async def read_postgres_health(url: str) -> HealthReport:
    """Connect once, confirm the schema and read the scheduler's heartbeat."""
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except CONNECT_ERRORS as error:
        raise _problem(url, "connect to", error) from None
    try:
        version = await PostgresDatabase._version(conn)
        tick = await conn.fetchval("SELECT value FROM meta WHERE key = 'last_tick_at'")
    except CONNECT_ERRORS as error:
        raise _problem(url, "read", error) from None
    finally:
        await conn.close()
    integrity = "ok" if version == len(POSTGRES_MIGRATIONS) else f"schema {version}"
    return HealthReport(integrity, None if tick is None else dt.datetime.fromisoformat(tick))
