"""Figures, the machine they were measured on, and the table they are printed as."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure. `met` is None for figures reported without a goal."""

    key: str  # stable id, e.g. "burst.rate"; the smoke test looks these up
    label: str
    value: float | None  # None: could not be measured (the note says why)
    unit: str = ""
    goal: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def shown(self) -> str:
        """The value with its unit, as the table prints it."""
        if self.value is None:
            return "not measured"
        value = self.value
        if value == int(value) and abs(value) >= 10:
            text = f"{int(value):,}"
        elif abs(value) >= 100:
            text = f"{value:,.0f}"
        elif abs(value) >= 10:
            text = f"{value:.1f}"
        else:
            text = f"{value:.3g}" if value else "0"
        return f"{text} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        """met, NOT MET, or a dash for a figure without a goal."""
        if self.met is None:
            return "-"
        return "met" if self.met else "NOT MET"

    def as_json(self) -> dict[str, Any]:
        """The figure as a JSON-ready dict."""
        return {**asdict(self), "shown": self.shown, "verdict": self.verdict}


def at_most(
    key: str, label: str, value: float | None, limit: float, unit: str, note: str = ""
) -> Figure:
    """A figure whose goal is `value <= limit`."""
    goal = f"<= {limit:g} {unit}".strip()
    met = None if value is None else value <= limit
    return Figure(key, label, value, unit, goal, met, note)


def at_least(
    key: str, label: str, value: float | None, limit: float, unit: str, note: str = ""
) -> Figure:
    """A figure whose goal is `value >= limit`."""
    goal = f">= {limit:g} {unit}".strip()
    met = None if value is None else value >= limit
    return Figure(key, label, value, unit, goal, met, note)


def info(key: str, label: str, value: float | None, unit: str = "", note: str = "") -> Figure:
    """A figure reported for context, without a goal."""
    return Figure(key, label, value, unit, "", None, note)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sample."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def rss_mb() -> float:
    """This process's resident memory (VmRSS) in MiB."""
    return _status_kib("VmRSS") / 1024


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MiB."""
    return _status_kib("VmHWM") / 1024


def _status_kib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return math.nan


def machine() -> dict[str, str]:
    """Where the figures come from: CPU, cores, memory, OS, Python and key libraries."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    details = {
        "cpu": cpu,
        "nproc": str(os.cpu_count() or "unknown"),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
    }
    for package in ("python-telegram-bot", "APScheduler", "aiosqlite", "aiolimiter", "tornado"):
        details[package] = _version(package)
    details["sqlite"] = _sqlite_version()
    return details


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table: figure, goal, measured, verdict."""
    rows = [("Figure", "Goal", "Measured", "Met")]
    rows += [(f.label, f.goal or "-", f.shown, f.verdict) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
             for row in rows]  # fmt: skip
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine_lines(details: dict[str, str]) -> str:
    """The machine details as a Markdown list."""
    return "\n".join(f"- {name}: {value}" for name, value in details.items())
