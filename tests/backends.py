"""Both storage backends in tests: SQLite on a temporary file and a real PostgreSQL server
that the test run starts itself (sandbox.postgres). `--backend sqlite|postgres|both` chooses
which ones the parametrised tiers run on (default: both)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest

from bot.storage import PostgresDatabase, Store
from sandbox.postgres import ThrowawayCluster

BACKENDS = ("sqlite", "postgres")
TEMPLATE = "nearer_template"


def chosen_backends(config: pytest.Config) -> list[str]:
    choice = config.getoption("--backend")
    return list(BACKENDS) if choice == "both" else [choice]


def start_cluster() -> Iterator[ThrowawayCluster]:
    """A server for the whole run, with a migrated template every test database copies."""
    cluster = ThrowawayCluster()
    cluster.start()
    try:

        async def _template() -> None:
            url = await cluster.database()
            name = url.rsplit("/", 1)[-1]
            db = await PostgresDatabase.open(url)
            await db.close()

            conn = await asyncpg.connect(cluster.admin_url)
            try:
                await conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{TEMPLATE}"')
            finally:
                await conn.close()

        # The first test that needs the server may ask for it from inside its event loop.
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, _template()).result()
        yield cluster
    finally:
        cluster.stop()


async def table_cells(db: Store, postgres: bool) -> list[str]:
    """Every value in every table, as text (to look for words that must be gone), except each
    row's own number (the `id` column: a small count that may equal a person's id by chance)."""
    listing = (
        # schema_version is PostgreSQL's stand-in for SQLite's user_version pragma.
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'schema_version'"
        if postgres
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    cells: list[str] = []
    async with db.reading() as tx:
        reader: Any = tx
        for (table,) in await reader._all(listing):
            for row in await reader._all(f"SELECT * FROM {table}"):
                cells.extend(str(value) for key, value in dict(row).items() if key != "id")
    return cells
