"""Command line: run the scenarios, print the table (Markdown on stdout), optionally save JSON.

Progress goes to stderr; the report on stdout is ready to paste into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import nearer
from bench.context import Bench, Sizes
from bench.report import Figure, machine, machine_lines, table
from bench.scenarios import SCENARIOS
from bot.content import load_library
from sandbox.postgres import ThrowawayCluster


def _sizes_list(value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in value.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError("expected numbers separated by commas") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError("expected positive numbers")
    return sizes


def _positive(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError("expected a positive number")
    return number


def parser() -> argparse.ArgumentParser:
    """The flags of `python -m bench`."""
    full = Sizes()
    quick = Sizes.quick()
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure Nearer against its goals: morning bursts, claim cost, paid "
        "broadcasts, reveal latency, memory and start-up, and one-job-per-pair for comparison. "
        "The full run takes about 25 minutes; --quick runs every scenario tiny in seconds.",
    )
    p.add_argument("--quick", action="store_true", help="smoke-test sizes (what the test runs)")
    p.add_argument(
        "--only",
        action="append",
        choices=list(SCENARIOS),
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    p.add_argument(
        "--workdir", type=Path, metavar="DIR", help="where databases go (default: temp)"
    )
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    p.add_argument(
        "--postgres",
        action="store_true",
        help="run the bot on a throwaway PostgreSQL server (a copy of each seeded database); "
        "the scenarios that start the bot (burst, paid, reveal) measure PostgreSQL then",
    )
    p.add_argument("--log-level", default="WARNING", help="log level of the bot under test")
    p.add_argument(
        "--send-rate",
        type=float,
        default=30.0,
        metavar="RATE",
        help="the bot's SEND_RATE in burst and reveal (default 30, the production default; "
        "the fake API enforces 30 msg/s either way)",
    )
    sizes = p.add_argument_group("sizes (each defaults to the full run, or --quick's)")

    def size(flag: str, field: str, kind: Any, what: str) -> None:
        sizes.add_argument(
            flag,
            dest=field,
            type=kind,
            metavar="N" if kind is _positive else "N,N",
            help=f"{what} (full {_show(getattr(full, field))}, "
            f"quick {_show(getattr(quick, field))})",
        )

    size("--burst-pairs", "burst_pairs", _positive, "burst: pairs due at once")
    size("--claim-pairs", "claim_pairs", _sizes_list, "claim: pairs stored, per size")
    size("--claim-runs", "claim_runs", _positive, "claim: timed batches per size")
    size(
        "--claim-batch",
        "claim_batch",
        _positive,
        "claim: pairs per claim query (the goal names 500)",
    )
    size("--paid-pairs", "broadcast_pairs", _positive, "paid: pairs due at send rate 1000")
    size("--reveal-samples", "reveal_samples", _positive, "reveal: answers timed per phase")
    size("--backlog-pairs", "backlog_pairs", _positive, "reveal: pairs in the broadcast backlog")
    size("--strict-samples", "strict_samples", _positive, "reveal: answers timed, strict per-chat")
    size("--memory-pairs", "memory_pairs", _sizes_list, "memory: pairs stored, per size")
    size("--jobs", "jobs", _positive, "jobqueue: run_daily jobs")
    return p


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:_}" for v in value)
    return f"{value:_}" if isinstance(value, int) else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen scenarios; exit 1 if one of them could not run."""
    args = parser().parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Sizes)
        if getattr(args, f.name, None) is not None
    }
    sizes = dataclasses.replace(sizes, **overrides)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    names = args.only or list(SCENARIOS)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nearer-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    command = shlex.join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]])
    started = time.monotonic()
    if args.postgres:
        nearer.POSTGRES = ThrowawayCluster()
        nearer.POSTGRES.start()
    try:
        figures, failed = asyncio.run(
            _run(names, Bench(sizes, workdir, load_library(), send_rate=args.send_rate))
        )
    finally:
        if nearer.POSTGRES is not None:
            nearer.POSTGRES.stop()
            nearer.POSTGRES = None
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    details = machine()
    report = _report(figures, details, command, time.monotonic() - started)
    print(report)
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "command": command,
                    "machine": details,
                    "sizes": dataclasses.asdict(sizes),
                    "send_rate": args.send_rate,
                    "scenarios": names,
                    "failed": failed,
                    "seconds": time.monotonic() - started,
                    "figures": [figure.as_json() for figure in figures],
                },
                indent=2,
            )
        )
    return 1 if failed else 0


async def _run(names: Sequence[str], bench: Bench) -> tuple[list[Figure], list[str]]:
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        bench.say(f"== {name}")
        try:
            figures += await SCENARIOS[name](bench)
        except Exception as error:  # one broken scenario must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            figures.append(
                Figure(f"{name}.error", f"{name}: could not run", None, note=repr(error))
            )
    return figures, failed


def _report(figures: Sequence[Figure], details: dict[str, str], command: str, took: float) -> str:
    parts = [
        "## Figures",
        "",
        table(figures),
        "",
    ]
    notes = [f"- {f.label}: {f.note}" for f in figures if f.note]
    if notes:
        parts += ["Notes:", "", *notes, ""]
    side = side_by_side({f.key: f for f in figures})
    if side:
        parts += ["## One job per pair (PTB JobQueue) vs Nearer's one tick", "", side, ""]
    parts += [
        "## Machine",
        "",
        machine_lines(details),
        "",
        f"Command: `{command}` ({took / 60:.1f} minutes)",
    ]
    return "\n".join(parts)


def side_by_side(found: dict[str, Figure]) -> str:
    """The JobQueue figures next to Nearer's, where they were measured."""

    def shown(key: str | None, suffix: str = "") -> str:
        figure = found.get(key) if key else None
        return "-" if figure is None else figure.shown + suffix

    ready_keys = sorted(
        (k for k in found if k.startswith("memory.ready_s@")), key=lambda k: int(k.split("@")[1])
    )
    ready = ready_keys[-1] if ready_keys else None
    stored = f" ({int(ready.split('@')[1]):,} pairs stored)" if ready else ""
    rows = [
        ("Jobs missed / users without their question", "jobqueue.missed",
         "jobqueue.nograce.missed", "burst.users_without_one_question", ""),
        ("Messages delivered", "jobqueue.sent", "jobqueue.nograce.sent", "burst.sent", ""),
        ("429 answers", "jobqueue.429", "jobqueue.nograce.429", "burst.429", ""),
        ("Latest start after the scheduled time", "jobqueue.max_start_lateness",
         "jobqueue.nograce.max_start_lateness", "burst.tick_seconds", " (tick run time)"),
        ("Memory per pair", "jobqueue.bytes_per_job", None, "memory.bytes_per_pair", ""),
        ("Start-up", "jobqueue.schedule_seconds", None, ready, stored),
    ]  # fmt: skip
    if "jobqueue.missed" not in found:
        return ""
    header = ("", "run_daily per pair", "run_daily, no grace limit", "Nearer (one tick)")
    cells = [header] + [
        (what, shown(theirs), shown(tuned), shown(ours, suffix))
        for what, theirs, tuned, ours, suffix in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in cells]  # fmt: skip
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
