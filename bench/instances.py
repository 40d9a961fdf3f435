"""`python -m bench.instances [paid|free|all] [--pairs N]`: sending side by side, with every
instance a real `python -m bot run` process: SQLite one process | PostgreSQL one instance |
PostgreSQL three instances.

The same seeded database is used for each (SQLite, copied into a throwaway PostgreSQL server
with copy-db's own code); the pairs fall due a few seconds after the instances are ready, so
start-up is not measured. The fake Bot API runs in a process of its own (bench.server).

- paid: SEND_RATE=1000 against a fake API that enforces nothing: messages per second between
  the first and the last question, and the bot processes' CPU seconds per message.
- free: SEND_RATE=30 against a fake API that enforces Telegram's 30 msg/s and 1 msg/s per chat:
  the share of 30 msg/s reached and the 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.apiserver import ApiServer
from bench.context import question_marker
from bench.seed import SeedPlan, exercise_free_weekday, seed
from bot.content import load_library
from bot.storage.copy import copy_sqlite_to_postgres
from sandbox.postgres import ThrowawayCluster

REPO = Path(__file__).resolve().parents[1]
READY = "Nearer is ready"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LEAD_SECONDS = 12.0  # the pairs fall due this long after seeding: every instance is up by then


@dataclass(frozen=True)
class Run:
    """What one configuration measured."""

    label: str
    tier: str
    instances: int
    messages: int
    sent: int
    seconds: float  # from the first to the last question sent
    rate: float
    errors_429: int
    users_exactly_one: int
    bot_cpu_seconds: float  # all instances together, from the first to the last question
    cpu_ms_per_message: float
    api_cpu_seconds: float


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def _measure(
    label: str, tier: str, instances: int, url: str | None, path: Path, pairs: int, log_dir: Path
) -> Run:
    paid = tier == "paid"
    expected = 2 * pairs
    async with ApiServer(users=expected, enforce=not paid) as api:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))},
            "BOT_TOKEN": api.token,
            "DATABASE_PATH": str(path),
            "TELEGRAM_API_BASE_URL": api.base_url,
            "SEND_RATE": "1000" if paid else "30",
            "TICK_SECONDS": "1",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(REPO),
        }
        if url is not None:
            env["DATABASE_URL"] = url
        processes = []
        logs = []
        for n in range(instances):
            log = log_dir / f"{tier}-{label.replace(' ', '_')}-{n}.log"
            logs.append(log)
            with log.open("wb") as sink:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot", "run",
                        env={**env, "INSTANCE_NAME": f"bench-{n}"},
                        stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink,
                    )
                )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not all(READY in log.read_text(errors="replace") for log in logs):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{label}: the instances did not start")
                await asyncio.sleep(0.2)
            marker = question_marker()
            stats = await api.stats()
            while stats["sends"] == 0:
                await asyncio.sleep(0.02)
                stats = await api.stats()
            cpu_start = sum(_cpu_seconds(p.pid) for p in processes)
            api_start = stats["cpu_seconds"]
            limit = time.monotonic() + expected / (30 if not paid else 100) * 2 + 60
            while stats["sends"] < expected and time.monotonic() < limit:
                await asyncio.sleep(0.05)
                stats = await api.stats()
            cpu = sum(_cpu_seconds(p.pid) for p in processes) - cpu_start
            api_cpu = stats["cpu_seconds"] - api_start
            final = await api.stats(contains=marker)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    span = final["last_send"] - final["first_send"] if final["sends"] else 0.0
    errors = final["errors"]
    return Run(
        label=label,
        tier=tier,
        instances=instances,
        messages=expected,
        sent=final["sends"],
        seconds=round(span, 2),
        rate=round(final["sends"] / span, 1) if span > 0 else 0.0,
        errors_429=errors.get("429_overall", 0) + errors.get("429_chat", 0),
        users_exactly_one=final["users_exactly_one"],
        bot_cpu_seconds=round(cpu, 2),
        cpu_ms_per_message=round(1000 * cpu / max(1, final["sends"]), 3),
        api_cpu_seconds=round(api_cpu, 2),
    )


async def main(tiers: list[str], pairs: dict[str, int], out: Path | None) -> None:
    library = load_library()
    cluster = ThrowawayCluster()
    cluster.start()
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            for tier in tiers:
                for label, backend, instances in (
                    ("SQLite, one process", "sqlite", 1),
                    ("PostgreSQL, one instance", "postgres", 1),
                    ("PostgreSQL, three instances", "postgres", 3),
                ):
                    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEAD_SECONDS)
                    plan = SeedPlan(
                        pairs=pairs[tier],
                        now=moment,
                        due=pairs[tier],
                        history_days=7,
                        history_ids=[q.id for q in library.questions],
                        exercise_weekday=exercise_free_weekday(moment.date()),
                    )
                    path = work / f"{tier}-{backend}-{instances}.sqlite3"
                    await seed(path, plan)
                    url = None
                    if backend == "postgres":
                        url = await cluster.database()
                        await copy_sqlite_to_postgres(path, url)
                    run = await _measure(label, tier, instances, url, path, pairs[tier], work)
                    runs.append(run)
                    print(json.dumps(asdict(run)), flush=True)
    finally:
        cluster.stop()
    if out is not None:
        text = json.dumps([asdict(run) for run in runs], indent=2) + "\n"
        await asyncio.to_thread(out.write_text, text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.instances")
    parser.add_argument("tier", choices=["paid", "free", "all"], nargs="?", default="all")
    parser.add_argument("--paid-pairs", type=int, default=5000)
    parser.add_argument("--free-pairs", type=int, default=600)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    chosen = ["paid", "free"] if options.tier == "all" else [options.tier]
    asyncio.run(
        main(chosen, {"paid": options.paid_pairs, "free": options.free_pairs}, options.json)
    )
