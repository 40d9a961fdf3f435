"""Side by side: the same burst with one python-telegram-bot `run_daily` job per pair.

A fresh process (bench.probe_jobqueue) builds a plain Application with the JobQueue and
AIORateLimiter defaults, schedules one daily job per pair, all at the same second a few seconds
ahead, each sending one message to the fake API (limits enforced: 30 msg/s overall, 1 msg/s per
chat), and counts the jobs APScheduler reports missed (EVENT_JOB_MISSED: it skips a run that
starts more than its misfire grace time, 1 s by default, after the scheduled time).
"""

from __future__ import annotations

from bench.apiserver import ApiServer
from bench.context import Bench
from bench.probes import run_probe
from bench.report import Figure, at_most, info


async def run_jobqueue(bench: Bench) -> list[Figure]:
    """Missed jobs, memory per job and scheduling time for one job per pair."""
    jobs = bench.sizes.jobs
    lead = 2.0 + jobs / 1000  # scheduling must finish before the jobs fire
    bench.say(f"jobqueue: {jobs:,} run_daily jobs firing {lead:.0f}s ahead")
    async with ApiServer(users=jobs, enforce=True) as api:
        result, _ = await run_probe(
            "bench.probe_jobqueue",
            "--jobs",
            str(jobs),
            "--base-url",
            api.base_url,
            "--token",
            api.token,
            "--lead",
            str(lead),
            timeout=lead + jobs / 30 * 1.5 + 180,
        )
        stats = await api.stats()
    outcomes = result["outcomes"]
    errors = stats["errors"]
    sent = outcomes.get("sent", 0)
    late = result["max_start_lateness"]
    bench.say(f"jobqueue: {result['missed']:,} missed, {sent:,} sent")
    note = "" if result["scheduled_in_time"] else "scheduling ran past the fire time"
    return [
        at_most(
            "jobqueue.missed",
            f"JobQueue: jobs missed (of {jobs:,}, all at one time)",
            result["missed"],
            0,
            "jobs",
            note=f"callbacks that ran: {result['callbacks_started']:,}"
            + (f"; {note}" if note else ""),
        ),
        info(
            "jobqueue.sent",
            "JobQueue: messages delivered",
            sent,
            "messages",
            note=", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())),
        ),
        info(
            "jobqueue.429",
            "JobQueue: 429 answers from the fake API",
            errors.get("429_overall", 0) + errors.get("429_chat", 0),
            "",
        ),
        info(
            "jobqueue.max_start_lateness",
            "JobQueue: latest callback start after its time",
            late,
            "s",
        ),
        info(
            "jobqueue.bytes_per_job",
            "JobQueue: memory per scheduled job",
            result["bytes_per_job"],
            "bytes",
            note=f"RSS {result['rss_before_mb']:.0f} -> {result['rss_scheduled_mb']:.0f} MiB, "
            f"peak {result['peak_rss_mb']:.0f} MiB",
        ),
        info(
            "jobqueue.schedule_seconds",
            f"JobQueue: start-up time to schedule {jobs:,} jobs",
            result["schedule_seconds"],
            "s",
        ),
    ]
