"""The real bot in a process of its own, for the crash test.

Run as `python -m tests.reliability.bot_process`.

Settings come from the environment as in production (BOT_TOKEN, DATABASE_PATH,
TELEGRAM_API_BASE_URL, TICK_SECONDS, SEND_RATE, LOG_LEVEL), logging is set up the way
`python -m bot run` sets it up, and the repeating tick runs on the JobQueue. The clock starts at
NEARER_CLOCK_START when the wall clock reads NEARER_CLOCK_EPOCH and runs at real speed, so every
process the test starts (and kills) shares one timeline.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import replace

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import load_settings
from bot.content import load_library
from bot.domain.selection import Format, format_of
from bot.logs import setup_logging


def main() -> int:
    """Run the bot with long polling until killed or stopped with SIGTERM."""
    settings = load_settings(_env_file=None)
    setup_logging(settings.log_level, [settings.bot_token.get_secret_value()])
    start = dt.datetime.fromisoformat(os.environ["NEARER_CLOCK_START"])
    epoch = float(os.environ["NEARER_CLOCK_EPOCH"])

    def clock() -> dt.datetime:
        return start + dt.timedelta(seconds=time.time() - epoch)

    # Later days' questions are read as open ones, as in the other reliability tests.
    full = load_library()
    library = replace(
        full, questions=tuple(q for q in full.questions if format_of(q) is Format.OPEN)
    )
    app, _ = build_application(settings, clock=clock, library=library)
    app.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
