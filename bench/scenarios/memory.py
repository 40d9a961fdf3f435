"""Memory and start-up: the bot in a fresh process with many pairs stored.

For each size a database holds that many pairs, none due. A fresh process starts the bot as
production does (see bench.probe_memory), ticks once with nothing due, and reports resident
memory (VmRSS) and the time from starting to build the Application to polling for updates.
"""

from __future__ import annotations

from bench.apiserver import ApiServer
from bench.context import Bench, now
from bench.probes import run_probe
from bench.report import Figure, at_most, info
from bench.seed import SeedPlan, seed


async def run_memory(bench: Bench) -> list[Figure]:
    """RSS and start-up time at each stored size; memory per stored pair between them."""
    figures: list[Figure] = []
    rss: dict[int, float] = {}
    for pairs in bench.sizes.memory_pairs:
        path = bench.workdir / f"memory-{pairs}.sqlite3"
        seeded = await seed(path, SeedPlan(pairs=pairs, now=now()))
        bench.say(f"memory: seeded {pairs:,} pairs in {seeded:.1f}s; starting the bot")
        async with ApiServer(users=0, enforce=False) as api:
            result, spawned = await run_probe(
                "bench.probe_memory",
                "--database",
                str(path),
                "--base-url",
                api.base_url,
                "--token",
                api.token,
                timeout=120,
            )
        rss[pairs] = result["rss_after_tick_mb"]
        spawn_to_ready = result["ready_at_monotonic"] - spawned
        bench.say(
            f"memory: {pairs:,} pairs: {rss[pairs]:.0f} MiB, "
            f"ready in {result['ready_seconds']:.2f}s"
        )
        figures += [
            at_most(
                f"memory.rss_mb@{pairs}",
                f"Memory (RSS) after start-up and a tick, {pairs:,} pairs stored",
                rss[pairs],
                200,
                "MiB",
                note=f"peak {result['peak_rss_mb']:.0f} MiB; {result['rss_imported_mb']:.0f} MiB "
                "after imports",
            ),
            at_most(
                f"memory.ready_s@{pairs}",
                f"Start-up to ready, {pairs:,} pairs stored",
                result["ready_seconds"],
                3,
                "s",
                note=f"process spawn to ready {spawn_to_ready:.2f}s "
                f"(imports {result['import_seconds']:.2f}s)",
            ),
            info(
                f"memory.tick_ms@{pairs}",
                f"Tick with nothing due, {pairs:,} pairs stored",
                result["tick_ms"],
                "ms",
            ),
        ]
    smallest, largest = min(rss), max(rss)
    if smallest != largest:
        per_pair = (rss[largest] - rss[smallest]) * 1024 * 1024 / (largest - smallest)
        figures.append(
            info(
                "memory.bytes_per_pair",
                f"Memory per stored pair ({smallest:,} -> {largest:,} pairs)",
                per_pair,
                "bytes",
            )
        )
    return figures
