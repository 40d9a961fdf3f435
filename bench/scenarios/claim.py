"""Claim cost: how long the tick's query and one whole batch take as the stored pairs grow.

For each size the database holds that many pairs, of which `(runs + 1) * 500` are due now (each
with 30 earlier questions, as a month-old pair has); the rest are due one to two days later.
Each run times `Transaction.due_pairs(now, 500)` (the claim query) in its own transaction, then
one whole `claim_due_pairs` batch of 500 (choose each pair's question, queue both partners,
advance next_due_at) including its commit. The batch moves its pairs on, so every run works on
a different due set. The first run warms the caches and is not counted. 500 is the tick's
batch size; --quick uses 100.
"""

from __future__ import annotations

import time

from bench.context import Bench, now
from bench.report import Figure, at_most, info, median
from bench.seed import SeedPlan, exercise_free_weekday, seed
from bot.scheduling import TickReport, claim_due_pairs
from bot.storage import Database

HISTORY_DAYS = 30


async def measure(bench: Bench, pairs: int) -> tuple[float, float, float, float]:
    """Return (seed seconds, median query ms, median batch ms, slowest query ms) at `pairs`."""
    runs, batch = bench.sizes.claim_runs, bench.sizes.claim_batch
    moment = now()
    path = bench.workdir / f"claim-{pairs}.sqlite3"
    plan = SeedPlan(
        pairs=pairs,
        now=moment,
        due=(runs + 1) * batch,
        history_days=HISTORY_DAYS,
        history_ids=bench.history_ids(),
        exercise_weekday=exercise_free_weekday(moment.date()),
    )
    seeded = await seed(path, plan)
    bench.say(f"claim: seeded {pairs:,} pairs in {seeded:.1f}s")
    queries: list[float] = []
    batches: list[float] = []
    db = await Database.open(path)
    try:
        for _ in range(runs + 1):
            async with db.transaction() as tx:
                started = time.perf_counter()
                due = await tx.due_pairs(moment, batch)
                queries.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            async with db.transaction() as tx:
                claimed = await claim_due_pairs(tx, bench.library, moment, batch, TickReport())
            batches.append((time.perf_counter() - started) * 1000)
            if len(due) != batch or claimed != batch:
                raise RuntimeError(f"expected {batch} due pairs, got {len(due)}/{claimed}")
    finally:
        await db.close()
    counted_queries, counted_batches = queries[1:], batches[1:]
    return seeded, median(counted_queries), median(counted_batches), max(counted_queries)


async def run_claim(bench: Bench) -> list[Figure]:
    """Claim query and batch cost at each stored size, and how the largest compares."""
    figures: list[Figure] = []
    results: dict[int, tuple[float, float, float, float]] = {}
    for pairs in bench.sizes.claim_pairs:
        results[pairs] = await measure(bench, pairs)
        seeded, query, batch_ms, slowest = results[pairs]
        bench.say(f"claim: {pairs:,} pairs: query {query:.2f} ms, batch {batch_ms:.0f} ms")
        runs, batch = bench.sizes.claim_runs, bench.sizes.claim_batch
        figures += [
            info(f"claim.seed_seconds@{pairs}", f"Seeding {pairs:,} pairs", seeded, "s"),
            at_most(
                f"claim.query_ms@{pairs}",
                f"Claim query ({batch} due) with {pairs:,} pairs stored, median",
                query,
                20,
                "ms",
                note=f"median of {runs}, slowest {slowest:.2f} ms",
            ),
            info(
                f"claim.batch_ms@{pairs}",
                f"Claim batch ({batch} pairs queued) with {pairs:,} stored, median",
                batch_ms,
                "ms",
                note=f"{batch_ms / batch:.2f} ms per pair",
            ),
        ]
    smallest, largest = min(results), max(results)
    if smallest != largest:
        scale = f"{largest:,} vs {smallest:,}"
        figures += [
            at_most(
                "claim.query_growth",
                f"Claim query, {scale} pairs stored",
                results[largest][1] / results[smallest][1],
                2,
                "x",
            ),
            at_most(
                "claim.batch_growth",
                f"Claim batch, {scale} pairs stored",
                results[largest][2] / results[smallest][2],
                2,
                "x",
            ),
        ]
    return figures
