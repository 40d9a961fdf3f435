"""Logging set-up: one line per event, ids not content, and the bot token never printed."""

from __future__ import annotations

import logging
import sys
from types import TracebackType

# Libraries whose DEBUG lines carry what people wrote: python-telegram-bot logs every request's
# parameters (answer texts included) and aiosqlite every statement with its values.
CONTENT_LOGGERS = ("telegram", "aiosqlite")


class ContentFilter(logging.Filter):
    """Drop the data python-telegram-bot attaches when it cannot read an update (it quotes the
    whole update, message text included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("telegram") or "Received data" not in str(record.msg):
            return True
        kind = type(record.exc_info[1]).__name__ if record.exc_info and record.exc_info[1] else ""
        head = str(record.msg).split("Received data", 1)[0].strip()
        record.msg, record.args = f"{head} (update content not logged) {kind}".strip(), None
        record.exc_info, record.exc_text = None, None
        return True


class RedactFilter(logging.Filter):
    """Replace secrets (the bot token) wherever they would appear in a log line."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "<redacted>")
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self._secrets:
                text = text.replace(secret, "<redacted>")
            record.exc_text, record.exc_info = text, None
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    """Log to stderr at `level`; HTTP client chatter (which would show URLs) stays quiet, and
    libraries that would log what people wrote stay at INFO or above even at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.addFilter(ContentFilter())
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.Application"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for talkative in CONTENT_LOGGERS:
        logging.getLogger(talkative).setLevel(max(logging.INFO, root.level))
    # An exception nothing caught would be printed by Python itself, bypassing the filter;
    # python-telegram-bot's InvalidToken, for one, quotes the whole token it was given.
    sys.excepthook = _log_uncaught


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """Report an exception that ends the program through logging, so secrets are redacted."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("bot").critical(
        "stopped by an unexpected %s", kind.__name__, exc_info=(kind, error, traceback)
    )
