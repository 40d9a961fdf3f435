"""Roles one instance holds at a time, by PostgreSQL advisory lock: polling Telegram and sending
the outbox. The lock belongs to a session of its own, so it is freed the moment the holder's
connection ends (a crash closes it; the server notices a vanished host by TCP keepalive within
about 25 s); a standby tries again every few seconds and takes over."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib

import asyncpg

from bot.waiting import cancel_and_wait, within

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # how often a standby tries to take the role
CHECK_SECONDS = 5.0  # how often the holder checks its session is still alive
# The server drops a session whose host stopped answering within idle + interval x count.
KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
             "tcp_keepalives_count": "3"}  # fmt: skip


def role_key(role: str) -> int:
    """The advisory lock number of a role (stable across instances and versions)."""
    return zlib.crc32(f"nearer:{role}".encode())


class AdvisoryElection:
    """One role among instances: held while this instance's lock session lives."""

    def __init__(self, url: str, role: str) -> None:
        self._url = url
        self.role = role
        self._key = role_key(role)
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this instance holds the role now."""
        return self._held and self._conn is not None and not self._conn.is_closed()

    async def acquire(self) -> None:
        """Return once this instance holds the role; try every RETRY_SECONDS until then."""
        while not self.held:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(
                        self._url, timeout=10, server_settings=KEEPALIVE
                    )
                if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key):
                    self._held = True
                    self._watch = asyncio.create_task(self._keep(), name=f"role-{self.role}")
                    log.info("this instance now holds the %s role", self.role)
                    return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                log.warning(
                    "%s role: cannot reach the database (%s)", self.role, type(error).__name__
                )
                await self._drop()
            await asyncio.sleep(RETRY_SECONDS)

    async def _keep(self) -> None:
        while self.held:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                assert self._conn is not None
                await within(CHECK_SECONDS, self._conn.fetchval("SELECT 1"))
            except Exception as error:  # the session is gone, and the lock with it
                log.warning("%s role lost (%s)", self.role, type(error).__name__)
                self._held = False
                await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.terminate()

    async def release(self) -> None:
        """Give the role up (closing the session frees the lock)."""
        self._held = False
        if self._watch is not None and self._watch is not asyncio.current_task():
            await cancel_and_wait(self._watch)
        self._watch = None
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await within(5, conn.close())
