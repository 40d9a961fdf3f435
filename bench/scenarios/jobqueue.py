"""Side by side: the same burst with one python-telegram-bot `run_daily` job per pair.

A fresh process (bench.probe_jobqueue) builds a plain Application with the JobQueue and
AIORateLimiter defaults, schedules one daily job per pair, all at the same second a few seconds
ahead, each sending one message to the fake API (limits enforced: 30 msg/s overall, 1 msg/s per
chat), and counts the jobs APScheduler reports missed (EVENT_JOB_MISSED: it skips a run that
starts more than its misfire grace time, 1 s by default, after the scheduled time).
It runs twice: as most bots write it (defaults), and tuned with `misfire_grace_time=None`.
"""

from __future__ import annotations

from typing import Any

from bench.apiserver import ApiServer
from bench.context import Bench
from bench.probes import run_probe
from bench.report import Figure, at_most, info


async def _probe(bench: Bench, *, no_grace: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    jobs = bench.sizes.jobs
    lead = 0.5 + jobs / 1000  # scheduling must finish before the jobs fire
    variant = "misfire_grace_time=None" if no_grace else "defaults"
    bench.say(f"jobqueue: {jobs:,} run_daily jobs ({variant}) firing {lead:.0f}s ahead")
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
            *(["--no-grace"] if no_grace else []),
            timeout=lead + jobs / 30 * 1.5 + 180,
        )
        stats = await api.stats()
    sent = result["outcomes"].get("sent", 0)
    bench.say(f"jobqueue ({variant}): {result['missed']:,} missed, {sent:,} sent")
    return result, stats


async def run_jobqueue(bench: Bench) -> list[Figure]:
    """Missed jobs, memory per job and scheduling time for one job per pair."""
    jobs = bench.sizes.jobs
    figures: list[Figure] = []
    for no_grace in (False, True):
        result, stats = await _probe(bench, no_grace=no_grace)
        key = "jobqueue.nograce" if no_grace else "jobqueue"
        name = "JobQueue, misfire_grace_time=None" if no_grace else "JobQueue (defaults)"
        outcomes = result["outcomes"]
        errors = stats["errors"]
        note = "" if result["scheduled_in_time"] else "; scheduling ran past the fire time"
        figures += [
            at_most(
                f"{key}.missed",
                f"{name}: jobs missed (of {jobs:,}, all at one time)",
                result["missed"],
                0,
                "jobs",
                note=f"callbacks that ran: {result['callbacks_started']:,}{note}",
            ),
            info(
                f"{key}.sent",
                f"{name}: messages delivered",
                outcomes.get("sent", 0),
                "messages",
                note=", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
                + f"; last outcome {result['seconds_after_fire']:.0f}s after the fire time",
            ),
            info(
                f"{key}.429",
                f"{name}: 429 answers from the fake API",
                errors.get("429_overall", 0) + errors.get("429_chat", 0),
            ),
            info(
                f"{key}.max_start_lateness",
                f"{name}: latest callback start after its time",
                result["max_start_lateness"],
                "s",
            ),
        ]
        if not no_grace:
            figures += [
                info(
                    "jobqueue.bytes_per_job",
                    "JobQueue: memory per scheduled job",
                    result["bytes_per_job"],
                    "bytes",
                    note=f"RSS {result['rss_before_mb']:.0f} -> "
                    f"{result['rss_scheduled_mb']:.0f} MiB, peak {result['peak_rss_mb']:.0f} MiB",
                ),
                info(
                    "jobqueue.schedule_seconds",
                    f"JobQueue: start-up time to schedule {jobs:,} jobs",
                    result["schedule_seconds"],
                    "s",
                ),
            ]
    return figures
