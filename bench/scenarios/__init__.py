"""The benchmark scenarios, by the name `--only` takes, in the order a full run goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bench.context import Bench
from bench.report import Figure
from bench.scenarios.broadcast import run_burst, run_paid
from bench.scenarios.claim import run_claim
from bench.scenarios.jobqueue import run_jobqueue
from bench.scenarios.memory import run_memory
from bench.scenarios.miniapp import run_miniapp
from bench.scenarios.reveal import run_reveal

Scenario = Callable[[Bench], Awaitable[list[Figure]]]

SCENARIOS: dict[str, Scenario] = {
    "claim": run_claim,
    "memory": run_memory,
    "paid": run_paid,
    "reveal": run_reveal,
    "jobqueue": run_jobqueue,
    "burst": run_burst,
    "miniapp": run_miniapp,
}

__all__ = ["SCENARIOS", "Scenario"]
