"""The benchmark harness at smoke-test sizes: every figure comes out, so `make bench` cannot rot.

Speed goals are the benchmark's business (BENCHMARKS.md); this only checks that each scenario
ran and that the small burst delivered every question exactly once without a 429.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_FIGURES = (
    "burst.skipped",
    "burst.users_without_one_question",
    "burst.429",
    "burst.rate",
    "claim.query_ms@20000",
    "claim.batch_ms@20000",
    "claim.query_growth",
    "claim.batch_growth",
    "paid.rate",
    "reveal.idle.p99",
    "reveal.backlog.p99",
    "reveal.strict.p99",
    "memory.rss_mb@20000",
    "memory.ready_s@20000",
    "jobqueue.missed",
    "jobqueue.bytes_per_job",
    "jobqueue.schedule_seconds",
    "miniapp.usable_ms",
    "miniapp.first_screen_kb",
)


def _run_quick_bench(tmp_path: Path) -> dict[str, Any]:
    output = tmp_path / "bench.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    result: dict[str, Any] = json.loads(output.read_text())
    return result


def test_quick_benchmark_measures_every_figure_and_delivers_the_burst_exactly_once(
    tmp_path: Path,
) -> None:
    result = _run_quick_bench(tmp_path)
    figures = {figure["key"]: figure for figure in result["figures"]}
    assert result["failed"] == []
    assert [key for key in EXPECTED_FIGURES if key not in figures] == []
    assert [key for key, figure in figures.items() if figure["value"] is None] == []
    assert figures["burst.skipped"]["value"] == 0
    assert figures["burst.users_without_one_question"]["value"] == 0
    assert figures["burst.429"]["value"] == 0
    assert {"cpu", "nproc", "memory", "python"} <= set(result["machine"])
