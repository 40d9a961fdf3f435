"""Settings from the environment and `.env`; `load_settings()` builds them (no global)."""

from __future__ import annotations

import datetime as dt
import re
import socket
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.parsing import ParseError, parse_send_time, parse_timezone

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

BOTFATHER_HELP = (
    "BOT_TOKEN is not set. Create a bot: open Telegram, talk to @BotFather, send /newbot and "
    "follow the steps; it replies with a token like 123456789:AA... Put it in a file named .env "
    "in this folder as BOT_TOKEN=<your token> (see .env.example), or export BOT_TOKEN, then run "
    "make run again."
)


class Settings(BaseSettings):
    """Everything an operator can configure; see .env.example for each setting."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    bot_token: SecretStr
    database_path: Path = Path("data/nearer.sqlite3")
    # Set: PostgreSQL (several instances may share it); unset: the SQLite file above.
    database_url: SecretStr | None = None
    default_timezone: str = "UTC"
    default_send_time: dt.time = dt.time(9, 0)
    telegram_api_base_url: str | None = None
    telegram_api_base_file_url: str | None = None
    tick_seconds: float = Field(default=30.0, gt=0, le=3600)
    log_level: str = "INFO"
    send_rate: float = Field(default=30.0, gt=0, le=1000)
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook must be reachable by the proxy
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    health_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_enabled: bool = False
    # Names this instance's claims on the inbox; an instance that restarts under the same name
    # takes its own claims back at once (others' come back when their lease ends).
    instance_name: str | None = None
    webapp_url: str | None = None
    # Gentle follow-ups (issue 12): a question takes answers (and can be revealed) this long
    # after it was sent; a partner who answered none of this many question days in a row while
    # the other answered pauses the pair (both told once).
    question_open_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    absence_days: int = Field(default=3, ge=1, le=60)

    @property
    def question_open_for(self) -> dt.timedelta:
        """How long a question stays open after it was sent."""
        return dt.timedelta(hours=self.question_open_hours)

    @property
    def webhook_mode(self) -> bool:
        """Whether the bot receives updates by webhook instead of long polling."""
        return self.webhook_url is not None

    @property
    def instance(self) -> str:
        """This instance's name: INSTANCE_NAME, else the host's name."""
        return self.instance_name or socket.gethostname()

    @property
    def webapp_enabled(self) -> bool:
        """Whether the Mini App (journal, calendar, settings) is served and offered."""
        return self.webapp_url is not None

    @property
    def web_port(self) -> int | None:
        """The port of the bot's web server (webhook and Mini App), None when neither is on."""
        return self.webhook_port if self.webhook_mode or self.webapp_enabled else None

    @property
    def ops_port(self) -> int | None:
        """The port of the health (and metrics) endpoint; in webhook mode 8081 by default."""
        if self.health_port is not None:
            return self.health_port
        return 8081 if self.webhook_mode or self.metrics_enabled else None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return _public_url(value, "https://bot.example.org/telegram")

    @field_validator("webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        url = _public_url(value, "https://bot.example.org/app/")
        if url is not None and (urlsplit(url).query or urlsplit(url).fragment):
            raise ValueError("expected a URL without ?query or #fragment")
        return url

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("expected 1 to 256 characters: letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or len(secret) < 20:
            raise ValueError("expected the token from @BotFather, like 123456789:AA... ")
        return SecretStr(token)

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            return parse_timezone(value)
        except ParseError:
            raise ValueError("expected an IANA time zone name such as Europe/Berlin") from None

    @field_validator("default_send_time", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return parse_send_time(value)
            except ParseError:
                raise ValueError("expected a 24-hour time HH:MM such as 09:00") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("telegram_api_base_url", "telegram_api_base_file_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL ending in /bot")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value().strip()
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a PostgreSQL URL such as postgresql://user:pass@host/db")
        return SecretStr(url)

    @property
    def database_dsn(self) -> str | None:
        """The PostgreSQL URL when DATABASE_URL is set; None means SQLite at DATABASE_PATH."""
        return None if self.database_url is None else self.database_url.get_secret_value()

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("expected Telegram user ids separated by commas")
            return frozenset(int(part) for part in parts)
        return value


def _public_url(value: str | None, example: str) -> str | None:
    """An https URL Telegram can reach (plain http only on this machine, for tests)."""
    if value is None or not value.strip():
        return None
    url = urlsplit(value.strip())
    local = url.hostname in ("127.0.0.1", "localhost", "::1")
    if url.scheme != "https" and not (url.scheme == "http" and local):
        raise ValueError(f"expected an https:// URL Telegram can reach, like {example}")
    if not url.hostname:
        raise ValueError("expected a full URL with a host name")
    return value.strip()


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, `.env` and `overrides`, or raise SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic checks each value
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "WEBHOOK_SECRET"
        if name == "BOT_TOKEN" and first["type"] == "missing":
            raise SettingsError(BOTFATHER_HELP) from None
        reason = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"Setting {name} is not valid: {reason}") from None
