"""Start the benchmark's fake Bot API (bench.server) in a child process and talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from types import TracebackType
from typing import Any

import httpx

START_TIMEOUT = 30.0


class ApiServer:
    """`async with ApiServer(users=..., enforce=...) as api:` runs bench.server until exit."""

    def __init__(
        self,
        *,
        users: int,
        enforce: bool,
        overall_per_second: float = 30.0,
        per_chat_interval: float = 1.0,
    ) -> None:
        self._args = [
            "--users",
            str(users),
            "--overall",
            str(overall_per_second),
            "--per-chat",
            str(per_chat_interval),
        ]
        if enforce:
            self._args.append("--enforce")
        self._process: asyncio.subprocess.Process | None = None
        self._client: httpx.AsyncClient | None = None
        self.port = 0
        self.token = ""

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> ApiServer:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.server",
            *self._args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), START_TIMEOUT)
            hello = json.loads(line)
        except (TimeoutError, json.JSONDecodeError):
            await self._stop_process()
            raise RuntimeError("the benchmark's fake Bot API did not start") from None
        self.port, self.token = int(hello["port"]), str(hello["token"])
        self._client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{hello['bench_port']}/bench", timeout=httpx.Timeout(120.0)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            with contextlib.suppress(httpx.HTTPError):
                await self._client.post("/shutdown")
            await self._client.aclose()
        await self._stop_process()

    async def _stop_process(self) -> None:
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()  # our own child, by its handle
            await process.wait()
        self._process = None

    async def stats(self, contains: str | None = None) -> dict[str, Any]:
        """Counters and send times; with `contains`, per-user counts of matching messages."""
        assert self._client is not None
        params = {} if contains is None else {"contains": contains}
        response = await self._client.get("/stats", params=params)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def answer_pair(
        self, a: int, b: int, *, gap: float = 0.0, timeout: float = 30.0
    ) -> float | None:
        """Make A then B answer; return seconds from B's answer to both reveals (None: lost)."""
        assert self._client is not None
        response = await self._client.post(
            "/answer_pair", params={"a": a, "b": b, "gap": gap, "timeout": timeout}
        )
        response.raise_for_status()
        latency = response.json()["latency"]
        return None if latency is None else float(latency)
