"""The bot token never reaches a log record or the error output, even while calls fail.

The token is part of every Bot API URL, so whatever logs a URL or an exception that quotes the
token would leak it. A run with 30 % injected faults (429, 500, 502, timeouts, dropped
connections), a blocked user (403) and an error traceback is logged at DEBUG twice: as the test
harness runs the bot (no logging set-up) and with `bot.logs.setup_logging` installed the way
`python -m bot run` installs it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.content import Library
from bot.delivery import sender
from bot.logs import setup_logging
from sandbox.fake_bot_api import FakeBotAPI, Faults
from sandbox.harness import FakeClock, RunningBot, is_question
from tests.reliability.support import (
    RecordCapture,
    record_figures,
    seed_pairs,
    settle,
    sizes,
)

UTC = dt.UTC
START = dt.datetime(2026, 1, 14, 6, 0, tzinfo=UTC)
SEND_TIMES = [dt.time(6, 15), dt.time(7, 30), dt.time(9, 0), dt.time(10, 45), dt.time(12, 0)]
REPO = Path(__file__).resolve().parents[2]
HTTP_CLIENT = ("httpx", "httpcore")  # they log every request URL; setup_logging quiets them
FAKE_SERVER = "tornado"  # the fake Bot API runs in the test process and logs its own requests


@dataclass(frozen=True)
class TokenSize:
    """How long a run is."""

    label: str
    pairs: int
    hours: int


def _leaks(capture: RecordCapture, token: str) -> list[logging.LogRecord]:
    """The records whose text (as logged, traceback included) contains `token`; the fake Bot
    API's own access log in this process is not the bot's and is left out."""
    return [
        record
        for record, text in zip(capture.records, capture.texts, strict=True)
        if token in text and not record.name.startswith(FAKE_SERVER)
    ]


def _by_logger(records: list[logging.LogRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        key = f"{record.name}:{record.levelname}"
        counts[key] = counts.get(key, 0) + 1
    return counts


async def _drive(bot: RunningBot, people: list[int], hours: int) -> int:
    """Hours of ticks, questions and answers, a command from a chat the fake does not know
    (an error with a traceback) and forged button data; return how many updates were sent."""
    api, sent = bot.api, 0
    for hour in range(hours):
        bot.clock.advance(hours=1)
        bot.services.wake_delivery()
        await bot.tick()
        await settle(bot, timeout=120)
        for user_id in people:
            user = api.users[user_id]
            for message in user.unread():
                if is_question(message):
                    await user.reply(message, f"answer at hour {hour}")
                    sent += 1
        if hour % 6 == 0:
            # A command from a chat the fake does not know: the reply fails with a traceback.
            stranger = {"id": 500 + hour, "is_bot": False, "first_name": "S"}
            chat = {"id": 500 + hour, "type": "private", "first_name": "S"}
            await api.push_update({"message": {
                "message_id": 1, "from": stranger, "chat": chat,
                "date": int(time.time()), "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})  # fmt: skip
            presser = api.users[people[1]]
            if presser.inbox:
                await presser.press(presser.inbox[-1], "", data="s:1:z:99")
            sent += 2
        await settle(bot, timeout=120)
    return sent


async def _run(
    tmp_path: Path, library: Library, size: TokenSize, rng: random.Random
) -> tuple[FakeBotAPI, int]:
    api = FakeBotAPI(faults=Faults(rate=0.0, timeout_seconds=0.8, seed=size.pairs))
    await api.start()
    database = tmp_path / f"nearer-{rng.random()}.sqlite3"
    pairs = await seed_pairs(database, size.pairs, START, rng=rng, send_times=SEND_TIMES)
    people = [member for pair in pairs for member in pair.members]
    for pair in pairs:
        for member, name in zip(pair.members, pair.names, strict=True):
            api.user(member, name).started = True
    api.faults.forbidden_users.add(people[-1])  # this person blocked the bot: 403s
    bot = RunningBot(api, database, FakeClock(START), library)
    bot.build_options = {"read_timeout": 0.5}
    await bot.start()
    api.faults.rate = 0.3
    try:
        updates = await _drive(bot, people, size.hours)
    finally:
        api.faults.rate = 0.0
        await bot.stop()
        await api.stop()
    return api, updates


@pytest.mark.parametrize("size", sizes(TokenSize("reduced", 4, 8), TokenSize("full", 30, 72)))
async def test_the_token_is_in_no_log_record_during_a_run_with_faults(
    tmp_path: Path,
    library: Library,
    size: TokenSize,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if size.label == "reduced":  # same retries, shorter pauses between them
        monkeypatch.setattr(sender, "NETWORK_RETRIES", (0.05, 0.1, 0.2))
    rng = random.Random(99)
    token = FakeBotAPI().token
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook)
    noisy = {name: logging.getLogger(name).level for name in (*HTTP_CLIENT, "apscheduler")}
    noisy["telegram.ext.Application"] = logging.getLogger("telegram.ext.Application").level
    figures: dict[str, Any] = {"size": size.label, "pairs": size.pairs, "hours": size.hours}

    # As the harness runs the bot: nothing set up, every record at DEBUG.
    raw = RecordCapture(logging.DEBUG)
    root.addHandler(raw)
    root.setLevel(logging.DEBUG)
    try:
        api, updates = await _run(tmp_path, library, size, rng)
    finally:
        root.removeHandler(raw)
        root.setLevel(saved[1])
    leaks = _leaks(raw, token)
    figures["harness"] = {
        "records": len(raw.records),
        "records_with_traceback": sum("Traceback" in text for text in raw.texts),
        "faults_injected": dict(api.errors),
        "updates": updates,
        "records_with_token": _by_logger(leaks),
    }

    # As `python -m bot run` does it (at DEBUG): the filter and the quiet HTTP client.
    capsys.readouterr()
    first = RecordCapture(logging.DEBUG)  # sees each record before the redacting handler
    try:
        setup_logging("DEBUG", [token])
        root.handlers.insert(0, first)
        api, updates = await _run(tmp_path, library, size, rng)
    finally:
        root.handlers[:], _, sys.excepthook = saved
        root.setLevel(saved[1])
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)
    output = capsys.readouterr()
    raw_leaks = _leaks(first, token)
    figures["setup_logging"] = {
        "records": len(first.records),
        "records_with_traceback": sum("Traceback" in text for text in first.texts),
        "faults_injected": dict(api.errors),
        "updates": updates,
        "records_with_token_before_redaction": _by_logger(raw_leaks),
        "output_lines": len(output.err.splitlines()),
        "token_in_output": token in output.err or token in output.out,
        "redactions_in_output": output.err.count("<redacted>"),
    }
    record_figures("token", figures)
    # Without set-up only URL logging carries the token: the HTTP client's request lines and
    # python-telegram-bot's DEBUG note of its base URL.
    assert all(
        r.name.split(".")[0] in HTTP_CLIENT or (r.name.startswith("telegram") and r.levelno == 10)
        for r in leaks
    ), _by_logger(leaks)
    # With it, nothing at INFO or above carries the token at all, and what is printed (DEBUG
    # included, tracebacks included) never shows it.
    assert [r for r in raw_leaks if r.levelno >= logging.INFO] == []
    assert figures["harness"]["records_with_traceback"] > 0
    assert figures["setup_logging"]["records_with_traceback"] > 0
    assert figures["setup_logging"]["token_in_output"] is False


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(["bot", "run"], id="python-m-bot-run"),
        # No token check before start-up here: the refusal ends the program as an exception.
        pytest.param(["tests.reliability.bot_process"], id="uncaught-exception"),
    ],
)
async def test_a_token_telegram_rejects_is_not_printed_when_the_bot_stops(
    tmp_path: Path, entry: list[str]
) -> None:
    api = FakeBotAPI()
    await api.start()
    rejected = "987654321:A-well-formed-token-Telegram-rejects"
    env = {
        **{k: v for k, v in os.environ.items() if k != "BOT_TOKEN"},
        "BOT_TOKEN": rejected,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_PATH": str(tmp_path / "nearer.sqlite3"),
        "PYTHONPATH": str(REPO),
        "NEARER_CLOCK_START": START.isoformat(),
        "NEARER_CLOCK_EPOCH": str(time.time()),
    }
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *entry,
            cwd=tmp_path,  # no .env here
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await api.stop()
    printed = out.decode() + err.decode()
    assert process.returncode != 0
    assert "BOT_TOKEN" in printed or "InvalidToken" in printed, printed[-2000:]
    assert rejected not in printed
    assert rejected.split(":")[1] not in printed
