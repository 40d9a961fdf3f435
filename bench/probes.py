"""Run a probe module (bench.probe_*) in a fresh Python process and read its JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


async def run_probe(module: str, *args: str, timeout: float) -> tuple[dict[str, Any], float]:
    """Run `python -m module args`; return its JSON result and when it was spawned (monotonic)."""
    spawned = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()  # our own child, by its handle
        await process.wait()
        raise RuntimeError(f"{module} did not finish within {timeout:.0f}s") from None
    if process.returncode != 0:
        raise RuntimeError(f"{module} failed with exit code {process.returncode}")
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{module} printed no result")
    result: dict[str, Any] = json.loads(lines[-1])
    return result, spawned
