"""`python -m bench.shared_budget [SECONDS]`: what a send budget shared in PostgreSQL would cost,
to weigh it against the one elected sender the bot has (docs/ARCHITECTURE.md).

Several senders sharing Telegram's overall rate must take a token from one shared bucket before
each message: one `UPDATE ... RETURNING` on one row per message (or per handful of messages).
This measures how many tokens per second 1 and 3 senders (each a process with its own
connection, as instances would be) get from a throwaway PostgreSQL server with the rate set
out of reach, so the row lock and the round trip are the limit, and the client CPU per token.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import time

import asyncpg

from sandbox.postgres import ThrowawayCluster

TAKE = """
UPDATE budget SET
    tokens = least(1e9, tokens + (extract(epoch FROM clock_timestamp()) - refilled_at) * 1e9)
             - $1,
    refilled_at = extract(epoch FROM clock_timestamp())
WHERE id = 1
  AND least(1e9, tokens + (extract(epoch FROM clock_timestamp()) - refilled_at) * 1e9) >= $1
RETURNING tokens
"""


async def _take(url: str, seconds: float, batch: int) -> tuple[int, float]:
    conn = await asyncpg.connect(url)
    taken, cpu = 0, time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await conn.fetchval(TAKE, batch) is not None:
            taken += batch
    await conn.close()
    return taken, time.process_time() - cpu


def _sender(url: str, seconds: float, batch: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put(asyncio.run(_take(url, seconds, batch)))


async def _prepare(url: str) -> None:
    conn = await asyncpg.connect(url)
    await conn.execute(
        "CREATE TABLE budget (id INTEGER PRIMARY KEY, tokens DOUBLE PRECISION,"
        " refilled_at DOUBLE PRECISION)"
    )
    await conn.execute("INSERT INTO budget VALUES (1, 0, extract(epoch FROM now()))")
    await conn.close()


def main(seconds: float) -> None:
    cluster = ThrowawayCluster()
    cluster.start()
    try:
        url = asyncio.run(cluster.database())
        asyncio.run(_prepare(url))
        for senders in (1, 3):
            for batch in (1, 10):
                results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
                processes = [
                    multiprocessing.Process(target=_sender, args=(url, seconds, batch, results))
                    for _ in range(senders)
                ]
                for process in processes:
                    process.start()
                outcomes = [results.get() for _ in processes]
                for process in processes:
                    process.join()
                tokens = sum(taken for taken, _ in outcomes)
                cpu = sum(spent for _, spent in outcomes)
                print(
                    f"{senders} sender(s), {batch:>2} token(s) a take: {tokens / seconds:8.0f}"
                    f" tokens/s, {1000 * cpu / max(1, tokens):.3f} ms client CPU per token",
                    flush=True,
                )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
