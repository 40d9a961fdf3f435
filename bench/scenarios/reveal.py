"""Answer -> reveal latency: from the second partner's answer update to both reveals arriving.

The fake API runs in its own process and times everything on its side: partner A answers,
the bot replies to A, then the fake pushes B's answer update and notes when each partner's
reveal (the message carrying the other's answer) arrives. Pairs already have today's question
open. The bot sends at SEND_RATE (30 msg/s unless --send-rate says otherwise) and the fake
enforces 30 msg/s overall.

Telegram's 1 msg/s per chat is not enforced in the main phases: the bot answers B's message
("Saved, ... here it comes") from the handler and then sends B the reveal through the outbox, two
messages a few milliseconds apart, which Telegram allows as a short burst but the strict fake
answers with a 429. The `strict` phase measures that case separately.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from bench.apiserver import ApiServer
from bench.context import Bench, now
from bench.nearer import NearerBot
from bench.report import Figure, at_most, info, percentile
from bench.seed import SeedPlan, exercise_free_weekday, seed
from bot.scheduling import run_tick

TICK_SAMPLES = 60  # most answers timed while the tick itself runs
IDLE_PAUSE = 0.3  # seconds between two idle samples


def _pairs(first: int, count: int) -> Iterator[tuple[int, int]]:
    for pair in range(first, first + count):
        yield 2 * pair - 1, 2 * pair


async def _sample(
    api: ApiServer,
    pairs: Iterator[tuple[int, int]],
    count: int,
    *,
    gap: float = 0.0,
    pause: float = 0.0,
) -> tuple[list[float], int]:
    """Time `count` answer pairs one after another, `pause` seconds apart."""
    latencies: list[float] = []
    lost = 0
    for index in range(count):
        if index and pause:
            await asyncio.sleep(pause)
        a, b = next(pairs)
        latency = await api.answer_pair(a, b, gap=gap)
        if latency is None:
            lost += 1
        else:
            latencies.append(latency * 1000)
    return latencies, lost


def _plan(bench: Bench, *, due: int, open_questions: int) -> SeedPlan:
    moment = now()
    return SeedPlan(
        pairs=due + open_questions,
        now=moment,
        due=due,
        open_questions=open_questions,
        history_days=7 if due else 0,
        history_ids=bench.history_ids(),
        exercise_weekday=exercise_free_weekday(moment.date()),
    )


async def _idle(bench: Bench, *, strict: bool) -> tuple[list[float], int, int]:
    samples = bench.sizes.strict_samples if strict else bench.sizes.reveal_samples
    name = "reveal-strict" if strict else "reveal-idle"
    path = bench.workdir / f"{name}.sqlite3"
    await seed(path, _plan(bench, due=0, open_questions=samples))
    per_chat = 1.0 if strict else 0.0
    gap = 1.1 if strict else 0.0  # A's reveal must not follow A's own reply within 1 s
    # Each sample sends 4 messages (2 replies, 2 reveals); spaced out they stay far below 30/s,
    # so idle means idle rather than a stream of answers at the rate limit.
    pause = IDLE_PAUSE
    async with (
        ApiServer(users=2 * samples, enforce=True, per_chat_interval=per_chat) as api,
        NearerBot(
            base_url=api.base_url,
            token=api.token,
            database_path=path,
            library=bench.library,
            send_rate=bench.send_rate,
        ),
    ):
        latencies, lost = await _sample(api, _pairs(1, samples), samples, gap=gap, pause=pause)
        stats = await api.stats()
    errors = stats["errors"]
    return latencies, lost, errors.get("429_overall", 0) + errors.get("429_chat", 0)


async def _backlog(bench: Bench) -> tuple[list[float], list[float], int, int, int]:
    """Return (latencies during the tick, after it, lost, 429s, backlog left at the end)."""
    backlog = bench.sizes.backlog_pairs
    samples = bench.sizes.reveal_samples
    tick_samples = min(TICK_SAMPLES, samples)
    path = bench.workdir / "reveal-backlog.sqlite3"
    await seed(path, _plan(bench, due=backlog, open_questions=samples + tick_samples))
    users = 2 * (backlog + samples + tick_samples)
    async with (
        ApiServer(users=users, enforce=True, per_chat_interval=0.0) as api,
        NearerBot(
            base_url=api.base_url,
            token=api.token,
            database_path=path,
            library=bench.library,
            send_rate=bench.send_rate,
        ) as bot,
    ):
        pairs = _pairs(backlog + 1, samples + tick_samples)
        tick = asyncio.create_task(run_tick(bot.services))
        during: list[float] = []
        lost = 0
        for _ in range(tick_samples):
            if tick.done():
                break
            sample, missed = await _sample(api, pairs, 1)
            during += sample
            lost += missed
        report = await tick
        bench.say(f"reveal: tick queued {report.delivered:,} pairs; timing reveals")
        after, missed = await _sample(api, pairs, samples)
        lost += missed
        stats = await api.stats()
    errors = stats["errors"]
    left = 2 * backlog - stats["sends"] + 4 * (len(during) + len(after))
    return during, after, lost, errors.get("429_overall", 0), max(0, left)


def _spread(
    key: str, label: str, values: list[float], goal: float | None, lost: int
) -> list[Figure]:
    if not values:
        return [info(f"{key}.p50", f"{label} p50", None, "ms", note="no sample")]
    note = f"{len(values)} samples, max {max(values):.0f} ms" + (f", {lost} lost" if lost else "")
    p99 = percentile(values, 0.99)
    return [
        info(f"{key}.p50", f"{label} p50", percentile(values, 0.5), "ms"),
        at_most(f"{key}.p99", f"{label} p99", p99, goal, "ms", note=note)
        if goal is not None
        else info(f"{key}.p99", f"{label} p99", p99, "ms", note=note),
    ]


async def run_reveal(bench: Bench) -> list[Figure]:
    """Reveal latency idle, during the tick and while a broadcast backlog drains."""
    bench.say(f"reveal: {bench.sizes.reveal_samples} answers, idle")
    idle, idle_lost, idle_429 = await _idle(bench, strict=False)
    bench.say(f"reveal: {2 * bench.sizes.backlog_pairs:,}-message backlog, queued by the tick")
    during, after, backlog_lost, backlog_429, left = await _backlog(bench)
    bench.say("reveal: idle with the strict 1 msg/s per-chat limit")
    strict, strict_lost, strict_429 = await _idle(bench, strict=True)
    backlog = 2 * bench.sizes.backlog_pairs
    figures = _spread("reveal.idle", "Reveal latency, idle,", idle, 250, idle_lost)
    figures += _spread(
        "reveal.backlog",
        f"Reveal latency, {backlog:,}-message backlog draining,",
        after,
        1000,
        backlog_lost,
    )
    figures.append(
        info(
            "reveal.backlog_left",
            "Reveal: backlog still queued when the timing ended",
            left,
            "messages",
        )
    )
    figures += _spread(
        "reveal.tick", "Reveal latency while the tick queues the backlog,", during, None, 0
    )
    figures += _spread(
        "reveal.strict",
        "Reveal latency, idle, strict 1 msg/s per chat,",
        strict,
        None,
        strict_lost,
    )
    figures.append(
        info(
            "reveal.429",
            "Reveal: 429 answers (idle / backlog / strict per-chat)",
            idle_429 + backlog_429 + strict_429,
            "",
            note=f"{idle_429} / {backlog_429} / {strict_429}",
        )
    )
    return figures
