"""Run in a fresh process by the `memory` scenario: start the bot, tick once, report memory.

`python -m bench.probe_memory --database PATH --base-url URL --token TOKEN` prints one JSON line.
Start-up to ready is what production does before it can serve: load the content library,
`build_application`, `initialize`, `post_init` (open and migrate the database, start the
Dispatcher, set the command menu), `start`, and start polling.
"""

from __future__ import annotations

import time

IMPORT_STARTED = time.perf_counter()

import argparse  # noqa: E402 - the clock above must start before the imports it measures
import asyncio  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from telegram import Update  # noqa: E402

from bench.report import peak_rss_mb, rss_mb  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.content import load_library  # noqa: E402
from bot.scheduling import run_tick  # noqa: E402
from sandbox.harness import close_app, open_app  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - IMPORT_STARTED


async def probe(database: Path, base_url: str, token: str) -> dict[str, float]:
    """Start the bot as production does, tick once with nothing due, and measure."""
    rss_imported = rss_mb()
    started = time.perf_counter()
    settings = load_settings(
        _env_file=None,
        bot_token=token,
        database_path=database,
        telegram_api_base_url=base_url,
    )
    app, runtime = build_application(settings, library=load_library(), run_jobs=False)
    await open_app(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5, allowed_updates=Update.ALL_TYPES)
    ready = time.perf_counter() - started
    ready_at = time.monotonic()
    rss_ready = rss_mb()
    assert runtime.services is not None
    tick_started = time.perf_counter()
    report = await run_tick(runtime.services)
    tick_ms = (time.perf_counter() - tick_started) * 1000
    rss_ticked = rss_mb()
    await close_app(app)
    return {
        "import_seconds": IMPORT_SECONDS,
        "ready_seconds": ready,
        "ready_at_monotonic": ready_at,
        "rss_imported_mb": rss_imported,
        "rss_ready_mb": rss_ready,
        "rss_after_tick_mb": rss_ticked,
        "peak_rss_mb": peak_rss_mb(),
        "tick_ms": tick_ms,
        "due_at_tick": report.delivered + report.skipped,
    }


def main() -> int:
    """Parse the flags, probe, and print the result as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.probe_memory")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args.database, args.base_url, args.token))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
