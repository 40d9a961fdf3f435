"""Morning broadcasts: many pairs due at once, queued by the real tick, sent by the Dispatcher.

`burst`: 10,000 pairs due in the same minute against a fake API that enforces Telegram's limits
(30 msg/s overall, 1 msg/s per chat) at the default send rate of 30.
`paid`: paid broadcasts (send rate 1000) against a fake API that enforces nothing, to see how
many messages one process can send.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.apiserver import ApiServer
from bench.context import Bench, now, question_marker
from bench.nearer import NearerBot
from bench.report import Figure, at_least, at_most, info
from bench.seed import SeedPlan, exercise_free_weekday, seed
from bot.scheduling import run_tick


@dataclass(frozen=True)
class BroadcastRun:
    """What one broadcast run measured."""

    pairs: int
    seed_seconds: float
    tick_seconds: float
    delivered_by_tick: int
    skipped_by_tick: int
    sends: int
    span: float  # seconds from the first to the last send, as the fake API saw them
    total_seconds: float  # from the tick's start to the last send
    users_exactly_one: int
    users_none: int
    users_more: int
    errors_429: int
    deferred: int
    failed: int
    cpu_share: float  # the bot process's CPU time / wall time while sending
    api_cpu_share: float  # the same for the fake API's process
    finished: bool

    @property
    def rate(self) -> float | None:
        """Messages per second between the first and the last send."""
        return self.sends / self.span if self.span > 0 else None


async def broadcast(
    bench: Bench, *, name: str, pairs: int, send_rate: float, enforce: bool
) -> BroadcastRun:
    """Seed `pairs` due pairs, run one tick and wait until every question has been sent."""
    path = bench.workdir / f"{name}-{pairs}.sqlite3"
    moment = now()
    plan = SeedPlan(
        pairs=pairs,
        now=moment,
        due=pairs,
        history_days=7,
        history_ids=bench.history_ids(),
        exercise_weekday=exercise_free_weekday(moment.date()),
    )
    seed_seconds = await seed(path, plan)
    expected = 2 * pairs
    bench.say(f"{name}: {pairs:,} pairs due, {expected:,} questions at send rate {send_rate:g}")
    async with (
        ApiServer(users=expected, enforce=enforce) as api,
        NearerBot(
            base_url=api.base_url,
            token=api.token,
            database_path=path,
            library=bench.library,
            send_rate=send_rate,
        ) as bot,
    ):
        api_cpu_started = (await api.stats())["cpu_seconds"]
        started, cpu_started = time.monotonic(), time.process_time()
        report = await run_tick(bot.services)
        tick_seconds = time.monotonic() - started
        bench.say(f"{name}: tick queued {report.delivered:,} pairs in {tick_seconds:.1f}s")
        # Generous: a slow run should be measured, not cut short (30/s is the floor we expect).
        deadline = time.monotonic() + expected / min(send_rate, 30) * 1.5 + 60
        stats = await api.stats()
        shown = started
        while stats["sends"] < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2 if expected < 1000 else 1.0)
            stats = await api.stats()
            if time.monotonic() - shown >= 30:
                shown = time.monotonic()
                bench.say(f"{name}: {stats['sends']:,}/{expected:,} sent")
        wall = time.monotonic() - started
        cpu_share = (time.process_time() - cpu_started) / wall
        final = await api.stats()
        api_cpu_share = (final["cpu_seconds"] - api_cpu_started) / wall
        await asyncio.sleep(0.5)  # anything sent twice would show up now
        final = await api.stats(contains=question_marker())
        registry = bot.services.metrics.registry
        deferred = registry.get_sample_value("nearer_delivery_retries_total") or 0
        failed = registry.get_sample_value("nearer_delivery_failures_total") or 0
    span = (final["last_send"] - final["first_send"]) if final["sends"] else 0.0
    total = (final["last_send"] - started) if final["sends"] else 0.0
    errors = final["errors"]
    run = BroadcastRun(
        pairs=pairs,
        seed_seconds=seed_seconds,
        tick_seconds=tick_seconds,
        delivered_by_tick=report.delivered,
        skipped_by_tick=report.skipped,
        sends=final["sends"],
        span=span,
        total_seconds=total,
        users_exactly_one=final["users_exactly_one"],
        users_none=final["users_none"],
        users_more=final["users_more"],
        errors_429=errors.get("429_overall", 0) + errors.get("429_chat", 0),
        deferred=int(deferred),
        failed=int(failed),
        cpu_share=cpu_share,
        api_cpu_share=api_cpu_share,
        finished=final["sends"] >= expected,
    )
    bench.say(f"{name}: {run.sends:,} sent in {span:.1f}s, {run.errors_429} answered 429")
    return run


async def run_burst(bench: Bench) -> list[Figure]:
    """Burst: every question of a 10,000-pair morning, within Telegram's limits."""
    pairs = bench.sizes.burst_pairs
    run = await broadcast(
        bench, name="burst", pairs=pairs, send_rate=bench.send_rate, enforce=True
    )
    users = 2 * pairs
    note = "" if run.finished else "timed out before every question was sent"
    missing = users - run.users_exactly_one
    return [
        info("burst.pairs", "Burst: pairs due in the same minute", pairs, "pairs"),
        info(
            "burst.tick_seconds", "Burst: tick time to queue every question", run.tick_seconds, "s"
        ),
        at_most(
            "burst.skipped",
            "Burst: pairs the tick skipped",
            run.skipped_by_tick + (pairs - run.delivered_by_tick - run.skipped_by_tick),
            0,
            "pairs",
        ),
        at_most(
            "burst.users_without_one_question",
            f"Burst: users without exactly 1 question (of {users:,})",
            missing,
            0,
            "users",
            note=f"none: {run.users_none}, more than one: {run.users_more}",
        ),
        at_most(
            "burst.429",
            "Burst: 429 answers from the fake API",
            run.errors_429,
            0,
            "",
        ),
        at_least(
            "burst.rate",
            "Burst: achieved send rate (95% of 30/s)",
            run.rate,
            28.5,
            "msg/s",
            note=f"{run.sends:,} messages over {run.span:.1f}s (first to last send), "
            f"bot SEND_RATE {bench.send_rate:g}" + (f"; {note}" if note else ""),
        ),
        info("burst.sent", "Burst: messages delivered", run.sends, "messages"),
        info(
            "burst.total_seconds",
            "Burst: tick start to last question sent",
            run.total_seconds,
            "s",
        ),
        info("burst.deferred", "Burst: sends deferred by the Dispatcher", run.deferred, ""),
    ]


async def run_paid(bench: Bench) -> list[Figure]:
    """Paid broadcasts: how many messages one process sends at send rate 1000."""
    pairs = bench.sizes.broadcast_pairs
    run = await broadcast(bench, name="paid", pairs=pairs, send_rate=1000, enforce=False)
    return [
        at_least(
            "paid.rate",
            f"Paid broadcast: msgs/s one process sends ({2 * pairs:,} messages)",
            run.rate,
            300,
            "msg/s",
            note=f"{run.sends:,} messages over {run.span:.1f}s; "
            f"CPU: bot {run.cpu_share:.0%}, fake API {run.api_cpu_share:.0%} of a core",
        ),
        info(
            "paid.tick_seconds",
            "Paid broadcast: tick time to queue every question",
            run.tick_seconds,
            "s",
        ),
        info(
            "paid.total_seconds",
            "Paid broadcast: tick start to last question sent",
            run.total_seconds,
            "s",
        ),
        info(
            "paid.cpu",
            "Paid broadcast: bot process CPU while sending",
            run.cpu_share * 100,
            "% of a core",
        ),
        at_most(
            "paid.users_without_one_question",
            f"Paid broadcast: users without exactly 1 question (of {2 * pairs:,})",
            2 * pairs - run.users_exactly_one,
            0,
            "users",
        ),
    ]
