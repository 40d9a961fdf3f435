"""A throwaway PostgreSQL server for tests, benchmarks and the demo: `initdb` in a temporary
folder, `postgres` on a free local port, removed afterwards. Nothing is mocked: it is Debian's
own server (scripts/ensure-postgres.sh installs it when missing).

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user that the
Debian package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

SUPERUSER = "nearer"


def _binaries() -> Path:
    """The folder with initdb and postgres: Debian keeps them per version."""
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda found: int(Path(found).parts[-3]),
    )
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("initdb")
    if found is None:
        raise RuntimeError("PostgreSQL is not installed: run scripts/ensure-postgres.sh")
    return Path(found).resolve().parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """One PostgreSQL server in a temporary folder; `database()` hands out fresh databases."""

    def __init__(self, *, durable: bool = False) -> None:
        # Not durable (the default): commits are not flushed, so a crash of the server may
        # lose the last ones; quick, and right for tests that never crash the server.
        self.durable = durable
        self.bin = _binaries()
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="nearer-pg-"))
        self.data = self.folder / "data"
        self._as: list[str] = []
        self._created = 0
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.admin_url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run(  # noqa: S603 - our own fixed commands
            [*self._as, *command], check=True, capture_output=True, cwd=self.folder
        )

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        self._run(
            str(self.bin / "initdb"),
            f"--pgdata={self.data}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self._start_server()

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            " -c max_connections=200 -c shared_buffers=64MB"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.bin / "pg_ctl"),
            f"--pgdata={self.data}",
            f"--log={self.folder / 'server.log'}",
            f"--options={options}",
            "--wait",
            "start",
        )

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(
                str(self.bin / "pg_ctl"), f"--pgdata={self.data}", "--mode=immediate", "stop"
            )
        shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self) -> None:
        """Stop the server abruptly and start it again on the same data (fault tests)."""
        self._run(str(self.bin / "pg_ctl"), f"--pgdata={self.data}", "--mode=immediate", "stop")
        time.sleep(0.1)
        self._start_server()

    def url(self, database: str) -> str:
        """The URL of one database on this server."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    async def database(self, template: str = "template0") -> str:
        """Create a new empty database (a copy of `template`) and return its URL."""
        self._created += 1
        name = f"nearer_{os.getpid()}_{self._created}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()
        return self.url(name)

    async def drop(self, url: str) -> None:
        """Drop a database made by `database()` (its connections are ended first)."""
        name = url.rsplit("/", 1)[-1]
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
