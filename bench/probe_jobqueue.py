"""Run in a fresh process by the `jobqueue` scenario: the common one-job-per-pair design.

`python -m bench.probe_jobqueue --jobs N --base-url URL --token TOKEN --lead SECONDS` builds a
plain python-telegram-bot Application the way most bots do (JobQueue, AIORateLimiter with its
defaults: 30 msg/s overall), schedules one `job_queue.run_daily` job per pair, all at the same
time of day `--lead` seconds ahead, each sending one message, and prints one JSON line: how
long scheduling took, memory per job, and how many jobs ran, were missed or failed.
`--no-grace` passes `misfire_grace_time=None`, the tuning that lets late runs go ahead.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import time
from collections import Counter
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobEvent,
)
from telegram.error import RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bench.report import peak_rss_mb, rss_mb

TEXT = "🌱 <b>Today's question</b>\n\nWhat made you smile today?"

Context = ContextTypes.DEFAULT_TYPE


async def probe(
    jobs: int, base_url: str, token: str, lead: float, *, no_grace: bool
) -> dict[str, Any]:
    """Schedule `jobs` daily jobs at one moment, let them fire, and count what happened."""
    rss_start = rss_mb()
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder().token(token).base_url(base_url).rate_limiter(AIORateLimiter()).build()
    )
    await app.initialize()
    await app.start()
    job_queue = app.job_queue
    assert job_queue is not None
    events: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    lateness: list[float] = []

    def listen(event: JobEvent) -> None:
        kind = {EVENT_JOB_MISSED: "missed", EVENT_JOB_EXECUTED: "executed"}
        events[kind.get(event.code, "error")] += 1

    job_queue.scheduler.add_listener(
        listen, EVENT_JOB_MISSED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
    )
    fire_at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead + 1)).replace(microsecond=0)

    async def send_question(context: Context) -> None:
        lateness.append((dt.datetime.now(dt.UTC) - fire_at).total_seconds())
        assert context.job is not None and context.job.chat_id is not None
        try:
            await context.bot.send_message(
                chat_id=context.job.chat_id, text=TEXT, parse_mode="HTML"
            )
        except RetryAfter:
            outcomes["429"] += 1
        except TelegramError as error:
            outcomes[type(error).__name__] += 1
        else:
            outcomes["sent"] += 1

    gc.collect()
    rss_before = rss_mb()
    # APScheduler skips a run that starts more than misfire_grace_time (default 1 s) late;
    # None lets every late run go ahead.
    job_kwargs = {"misfire_grace_time": None} if no_grace else None
    started = time.perf_counter()
    for pair in range(1, jobs + 1):
        job_queue.run_daily(
            send_question,
            fire_at.timetz(),
            chat_id=pair,
            name=f"pair-{pair}",
            job_kwargs=job_kwargs,
        )
    schedule_seconds = time.perf_counter() - started
    rss_scheduled = rss_mb()
    scheduled_in_time = dt.datetime.now(dt.UTC) < fire_at
    deadline = time.monotonic() + lead + 1 + jobs / 30 * 1.5 + 60
    while time.monotonic() < deadline:
        finished = sum(outcomes.values())
        if events["missed"] + finished >= jobs:
            break
        await asyncio.sleep(0.2)
    send_seconds = (dt.datetime.now(dt.UTC) - fire_at).total_seconds()
    await app.stop()
    await app.shutdown()
    return {
        "jobs": jobs,
        "schedule_seconds": schedule_seconds,
        "scheduled_in_time": scheduled_in_time,
        "rss_start_mb": rss_start,
        "rss_before_mb": rss_before,
        "rss_scheduled_mb": rss_scheduled,
        "peak_rss_mb": peak_rss_mb(),
        "bytes_per_job": (rss_scheduled - rss_before) * 1024 * 1024 / jobs,
        "callbacks_started": len(lateness),
        "max_start_lateness": max(lateness) if lateness else None,
        "missed": events["missed"],
        "executed": events["executed"],
        "job_errors": events["error"],
        "outcomes": dict(outcomes),
        "seconds_after_fire": send_seconds,
    }


def main() -> int:
    """Parse the flags, probe, and print the result as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.probe_jobqueue")
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--lead", type=float, default=5.0, help="seconds until the jobs fire")
    parser.add_argument("--no-grace", action="store_true", help="misfire_grace_time=None")
    args = parser.parse_args()
    result = asyncio.run(
        probe(args.jobs, args.base_url, args.token, args.lead, no_grace=args.no_grace)
    )
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
