"""A population of couples lives with the real bot for weeks (reduced) or a year (soak).

The reduced run is part of `make test`; the full one runs with `make soak` and takes its size
from NEARER_SIM_PAIRS and NEARER_SIM_DAYS. NEARER_SIM_SEED replays a run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content import Library
from tests.reliability.support import record_figures
from tests.simulation.driver import FairnessFigures, SimConfig, Simulation, fairness_phase

DEFAULT_SEED = 20260305
REDUCED_PAIRS = int(os.environ.get("NEARER_SIM_REDUCED_PAIRS", 12))
REDUCED_DAYS = int(os.environ.get("NEARER_SIM_REDUCED_DAYS", 33))


def _seed() -> int:
    return int(os.environ.get("NEARER_SIM_SEED", DEFAULT_SEED))


async def _live(
    config: SimConfig,
    size: str,
    tmp_path: Path,
    library: Library,
    database_url: str | None = None,
) -> None:
    simulation = Simulation(config, tmp_path, library, database_url)
    oracle = await simulation.run()
    # The fairness phase measures real-time latency on a SQLite bot of its own, whatever the
    # backend: it runs once, with the SQLite population, not again beside PostgreSQL's.
    fairness, unfair = FairnessFigures(), []
    if database_url is None:
        fairness, unfair = await fairness_phase(config.seed, tmp_path, library)
    run = simulation.figures
    figures = {
        "size": size,
        "backend": "postgres" if database_url else "sqlite",
        "seed": config.seed,
        "pairs": config.pairs,
        "days": config.days,
        "steps": run.steps,
        "wall_seconds": round(run.wall, 1),
        "events": dict(sorted(oracle.events.items())),
        "messages_by_kind": dict(sorted(oracle.kinds_seen.items())),
        "updates": run.updates,
        "messages_sent": run.messages,
        "crashes": run.crashes,
        "faults_injected": dict(run.faults),
        "duplicates_after_crashes": dict(oracle.duplicates),
        "violations": len(oracle.violations) + len(unfair),
        "violations_by_kind": {**oracle.summary(), **{f"7:{p[:40]}": 1 for p in unfair}},
        "slowest_tick_seconds": round(run.slowest_tick, 3),
        "slowest_settle_seconds": round(run.slowest_settle, 3),
        "slowest_reply_wait_seconds": round(run.slowest_wait, 3),
        "stopped_early": run.stopped_early,
        "fairness_p99_seconds": round(fairness.p99, 3),
        "fairness_partner_notices": fairness.partner_notices,
        "fairness_flood_actions": fairness.flood_actions,
        # Issue 12: messages that made a sound per person per day (median and most), on every
        # paired day and on days the person did nothing themselves.
        "sounds_per_person_day": oracle.sound_figures(),
    }
    record_figures("simulation" if database_url is None else "simulation-postgres", figures)
    lines = [f"{inv}:{kind} e.g. {text}" for inv, kind, text in oracle.violation_kinds()]
    lines += [f"7: {problem}" for problem in unfair]
    assert not lines, f"seed {config.seed}: {len(lines)} kinds of violation:\n" + "\n".join(lines)


async def test_a_reduced_population_lives_a_month_without_breaking_an_invariant(
    tmp_path: Path, library: Library, database_url: str | None
) -> None:
    # Sized to finish well under a minute: every message is a real HTTP round trip through
    # python-telegram-bot (about 4 ms each on a 2-core machine), so 100 pairs x 60 days would
    # take about five minutes. The soak runs the big sizes.
    config = SimConfig(
        seed=_seed(), pairs=REDUCED_PAIRS, days=REDUCED_DAYS, crashes=4, fault_steps=3
    )
    await _live(config, "reduced", tmp_path, library, database_url)


@pytest.mark.slow
async def test_a_full_population_lives_a_year_without_breaking_an_invariant(
    tmp_path: Path, library: Library
) -> None:
    pairs = int(os.environ.get("NEARER_SIM_PAIRS", 10_000))
    days = int(os.environ.get("NEARER_SIM_DAYS", 365))
    config = SimConfig(
        seed=_seed(), pairs=pairs, days=days, crashes=max(10, days // 4), fault_steps=days // 2,
        tick_bound=30.0,
    )  # fmt: skip
    await _live(config, "full", tmp_path, library)
