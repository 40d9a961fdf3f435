"""The fake Bot API in its own process, so serving it never slows the bot being measured.

`python -m bench.server --users N [--enforce] ...` starts `sandbox.fake_bot_api.FakeBotAPI`
(subclassed, not edited) on 127.0.0.1, registers users 1..N who have all started the bot, prints
one JSON line `{"port": ..., "bench_port": ..., "token": ...}` on stdout, and serves until stdin
closes or `POST /bench/shutdown`. A second port answers the benchmark's own routes:

- `GET  /bench/stats?contains=TEXT`   counters, send times, and how many users received exactly
  one message containing TEXT
- `POST /bench/answer_pair?a=A&b=B`   user A answers, then (after the bot's reply) user B; says
  how long from B's answer update to both reveals arriving
- `POST /bench/shutdown`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import sys
import threading
import time

import tornado.httpserver
import tornado.netutil
import tornado.web

from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser, Limits


class BenchUser(FakeUser):
    """A fake user that notes when each message arrived (monotonic clock, this process)."""

    def __init__(self, api: FakeBotAPI, user_id: int, first_name: str, username: str | None):
        super().__init__(api, user_id, first_name, username)
        self.arrivals: list[float] = []
        self.changed = asyncio.Event()

    def _deliver(self, message: JSON) -> None:
        self.arrivals.append(time.monotonic())
        super()._deliver(message)
        self.changed.set()

    async def wait_for_text(self, needle: str, start: int, deadline: float) -> float:
        """Return when a message containing `needle` arrived (at or after inbox[start])."""
        while True:
            self.changed.clear()
            for index in range(start, len(self.inbox)):
                message = self.inbox[index]
                if needle in (message.get("text") or message.get("caption") or ""):
                    return self.arrivals[index]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"user {self.id} did not receive {needle!r}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    async def wait_for_any(self, start: int, deadline: float) -> float:
        """Return when the first message at or after inbox[start] arrived."""
        while len(self.inbox) <= start:
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"user {self.id} got no reply")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
        return self.arrivals[start]

    async def wait_for_reaction(self, message: JSON, deadline: float) -> float:
        """Return when the bot's reaction on `message` was seen (polled every 2 ms)."""
        while not self.reactions_on(message):
            if time.monotonic() > deadline:
                raise TimeoutError(f"user {self.id} got no reaction")
            await asyncio.sleep(0.002)
        return time.monotonic()


class BenchAPI(FakeBotAPI):
    """The sandbox's fake API with users that time their messages."""

    def user(self, user_id: int, first_name: str, username: str | None = None) -> FakeUser:
        """Return the fake user with `user_id`, creating a BenchUser on first use."""
        if user_id not in self.users:
            self.users[user_id] = BenchUser(self, user_id, first_name, username)
        return self.users[user_id]

    def bench_user(self, user_id: int) -> BenchUser:
        """Return a registered user, typed as the benchmark's kind."""
        user = self.users[user_id]
        assert isinstance(user, BenchUser)
        return user

    def stats(self, contains: str | None) -> JSON:
        """Counters, send times and per-user counts of messages containing `contains`."""
        times = [entry[0] for entry in self.sent_log]
        result: JSON = {
            "calls": dict(self.calls),
            "errors": dict(self.errors),
            "sends": len(times),
            "first_send": min(times) if times else None,
            "last_send": max(times) if times else None,
            "now": time.monotonic(),
            "cpu_seconds": time.process_time(),  # this process's CPU, to show it kept up
        }
        if contains is not None:
            histogram: dict[int, int] = {}
            for user in self.users.values():
                count = sum(
                    1 for m in user.inbox if contains in (m.get("text") or m.get("caption") or "")
                )
                histogram[count] = histogram.get(count, 0) + 1
            result["matching"] = sum(count * users for count, users in histogram.items())
            result["users_exactly_one"] = histogram.get(1, 0)
            result["users_none"] = histogram.get(0, 0)
            result["users_more"] = sum(u for count, u in histogram.items() if count > 1)
        return result

    async def answer_pair(self, a: int, b: int, *, gap: float, timeout: float) -> JSON:
        """A answers, the bot replies, then B answers; time B's update to both reveals."""
        first, second = self.bench_user(a), self.bench_user(b)
        tag = next(_TAGS)
        text_a, text_b = f"answer {tag} from {a}", f"answer {tag} from {b}"
        deadline = time.monotonic() + timeout
        seen_a = len(first.inbox)
        sent = await first.send(text_a)
        # The bot acknowledges an answer with a reaction on it (issue 12), not a message.
        replied = await first.wait_for_reaction(sent, deadline)
        if gap > 0:  # let A's chat cool down when the per-chat limit is enforced
            await asyncio.sleep(max(0.0, replied + gap - time.monotonic()))
        seen_a, seen_b = len(first.inbox), len(second.inbox)
        pushed = time.monotonic()
        await second.send(text_b)
        to_a = await first.wait_for_text(text_b, seen_a, deadline)
        to_b = await second.wait_for_text(text_a, seen_b, deadline)
        return {"latency": max(to_a, to_b) - pushed, "to_a": to_a - pushed, "to_b": to_b - pushed}


_TAGS = itertools.count(1)


class _StatsHandler(tornado.web.RequestHandler):
    def initialize(self, api: BenchAPI) -> None:
        self.api = api

    def get(self) -> None:
        self.finish(self.api.stats(self.get_query_argument("contains", None)))


class _AnswerPairHandler(tornado.web.RequestHandler):
    def initialize(self, api: BenchAPI) -> None:
        self.api = api

    def check_xsrf_cookie(self) -> None:
        """Local benchmark routes have no cookies."""

    async def post(self) -> None:
        a = int(self.get_query_argument("a"))
        b = int(self.get_query_argument("b"))
        gap = float(self.get_query_argument("gap", "0"))
        timeout = float(self.get_query_argument("timeout", "30"))
        try:
            result = await self.api.answer_pair(a, b, gap=gap, timeout=timeout)
        except TimeoutError as error:
            result = {"latency": None, "error": str(error)}
        self.finish(result)


class _ShutdownHandler(tornado.web.RequestHandler):
    def initialize(self, stop: asyncio.Event) -> None:
        self.stop = stop

    def check_xsrf_cookie(self) -> None:
        """Local benchmark routes have no cookies."""

    def post(self) -> None:
        self.stop.set()
        self.finish({"ok": True})


async def serve(users: int, limits: Limits) -> None:
    """Serve the fake API and the benchmark routes until told to stop."""
    api = BenchAPI(limits=limits)
    for user_id in range(1, users + 1):
        api.user(user_id, f"User{user_id}").started = True
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:  # the parent went away or closed our stdin: stop serving
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    await api.start()
    routes = tornado.web.Application(
        [
            (r"/bench/stats", _StatsHandler, {"api": api}),
            (r"/bench/answer_pair", _AnswerPairHandler, {"api": api}),
            (r"/bench/shutdown", _ShutdownHandler, {"stop": stop}),
        ]
    )
    sockets = tornado.netutil.bind_sockets(0, address="127.0.0.1")
    server = tornado.httpserver.HTTPServer(routes)
    server.add_sockets(sockets)
    bench_port = sockets[0].getsockname()[1]
    print(json.dumps({"port": api.port, "bench_port": bench_port, "token": api.token}), flush=True)
    await stop.wait()
    server.stop()
    await server.close_all_connections()
    await api.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the flags and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__)
    parser.add_argument("--users", type=int, default=0, help="register users 1..N, started")
    parser.add_argument("--enforce", action="store_true", help="answer 429 over the limits")
    parser.add_argument("--overall", type=float, default=30.0, help="messages/s overall")
    parser.add_argument("--per-chat", type=float, default=1.0, help="seconds between two sends")
    args = parser.parse_args(argv)
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # a 429 is counted, not logged
    limits = Limits(
        enforce=args.enforce, overall_per_second=args.overall, per_chat_interval=args.per_chat
    )
    asyncio.run(serve(args.users, limits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
