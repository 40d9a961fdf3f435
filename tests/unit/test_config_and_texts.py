"""Settings errors, token redaction in logs, and text splitting."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.logs import RedactFilter
from bot.texts import TELEGRAM_TEXT_LIMIT, chunks, esc
from sandbox.fake_bot_api import parse_html, utf16_length

TOKEN = "123456789:AAH-secret-token-abcdefghijklmnop"


def test_a_missing_token_explains_how_to_get_one_from_botfather() -> None:
    with pytest.raises(SettingsError, match="@BotFather"):
        load_settings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEFAULT_TIMEZONE", "Mars/Base"), ("DEFAULT_SEND_TIME", "25:99"), ("TICK_SECONDS", "-1"),
     ("LOG_LEVEL", "LOUD"), ("TELEGRAM_API_BASE_URL", "ftp://x"), ("BOT_TOKEN", "nope")],
)  # fmt: skip
def test_a_malformed_setting_names_itself_in_one_line(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert name in str(caught.value) and "\n" not in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_starting_without_a_token_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "@BotFather" in result.stderr and "Traceback" not in result.stderr


def test_the_token_never_reaches_a_log_line() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "POST https://api/bot%s/getMe failed", (TOKEN,), None
    )
    RedactFilter([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage() and "<redacted>" in record.getMessage()


def test_long_text_is_split_within_telegrams_limit_without_breaking_entities() -> None:
    text = esc("a & b < c " * 2000)
    pieces = chunks(text)
    assert len(pieces) > 1
    for piece in pieces:
        plain = parse_html(piece)
        assert utf16_length(plain) <= TELEGRAM_TEXT_LIMIT


def test_emoji_heavy_text_is_measured_as_telegram_measures_it() -> None:
    pieces = chunks("💞" * 5000)
    assert all(utf16_length(p) <= TELEGRAM_TEXT_LIMIT for p in pieces)
    assert "".join(pieces) == "💞" * 5000
