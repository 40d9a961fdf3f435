"""`python -m bench.tick_backends [PAIRS]`: the tick side by side on SQLite, PostgreSQL with one
instance, and PostgreSQL with two instances ticking at once (each claiming with SKIP LOCKED).

The same seeded database is used for all three (SQLite, then copied into a throwaway
PostgreSQL server with copy-db's own code); the figure is pairs queued per second of wall time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from bench.seed import SeedPlan, exercise_free_weekday, seed
from bot.config import load_settings
from bot.content import load_library
from bot.scheduling import run_tick
from bot.storage import open_store
from bot.storage.copy import copy_sqlite_to_postgres
from bot.usecases.common import Services
from sandbox.postgres import ThrowawayCluster

TOKEN = "123456789:TEST-token-for-the-local-fake-api"  # noqa: S105 - a fake token


async def _tick(url: str | None, path: Path, moment: dt.datetime, instances: int) -> int:
    library = load_library()
    settings = load_settings(_env_file=None, bot_token=TOKEN, database_path=path)
    stores = [await open_store(url, path) for _ in range(instances)]
    try:
        services = [
            Services(settings=settings, db=db, library=library, clock=lambda: moment)
            for db in stores
        ]
        reports = await asyncio.gather(*(run_tick(s, moment) for s in services))
    finally:
        for db in stores:
            await db.close()
    return sum(report.delivered for report in reports)


async def main(pairs: int) -> None:
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    plan = SeedPlan(
        pairs=pairs, now=moment, due=pairs, exercise_weekday=exercise_free_weekday(moment.date())
    )
    cluster = ThrowawayCluster()
    cluster.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows = []
            for label, backend, instances in (
                ("SQLite, one process", "sqlite", 1),
                ("PostgreSQL, one instance", "postgres", 1),
                ("PostgreSQL, two instances", "postgres", 2),
            ):
                path = Path(folder) / f"{backend}-{instances}.sqlite3"
                await seed(path, plan)
                url = None
                if backend == "postgres":
                    url = await cluster.database()
                    await copy_sqlite_to_postgres(path, url)
                started = time.monotonic()
                queued = await _tick(url, path, moment, instances)
                seconds = time.monotonic() - started
                rows.append((label, queued, seconds))
                print(f"{label:<28} {queued:>6} pairs in {seconds:6.2f} s = "
                      f"{queued / seconds:7.0f} pairs/s", flush=True)  # fmt: skip
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
