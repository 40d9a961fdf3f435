"""`python -m bench.http_layer [CALLS] [CONCURRENCY]`: python-telegram-bot's HTTP layer alone,
httpx (python-telegram-bot's default HTTPXRequest) against aiohttp (bot.http), sending messages to
the benchmark's fake Bot API (its own process, enforcing nothing) from `CONCURRENCY` tasks at
once, as the outbox workers do. Reports calls per second and this process's CPU per call."""

from __future__ import annotations

import asyncio
import sys
import time

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bench.apiserver import ApiServer
from bot.http import AiohttpRequest


async def _run(api: ApiServer, request: BaseRequest, calls: int, concurrency: int) -> str:
    bot = Bot(api.token, base_url=api.base_url, request=request)
    await bot.initialize()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(calls):
        queue.put_nowait(1 + n % 2000)

    async def worker() -> None:
        while not queue.empty():
            chat = queue.get_nowait()
            await bot.send_message(chat, "A question for today")

    started, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    await bot.shutdown()
    return (
        f"{type(request).__name__:<16} {calls / wall:7.0f} calls/s"
        f"  {1000 * cpu / calls:.3f} ms CPU per call"
    )


async def main(calls: int, concurrency: int) -> None:
    async with ApiServer(users=2000, enforce=False) as api:
        for _ in range(2):  # alternate, to even out what else the machine does meanwhile
            for request in (
                HTTPXRequest(connection_pool_size=concurrency),
                AiohttpRequest(connection_pool_size=concurrency),
            ):
                print(await _run(api, request, calls, concurrency), flush=True)


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(arguments + [5000, 64][len(arguments) :])))
