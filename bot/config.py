"""Settings from the environment and `.env`; `load_settings()` builds them (no global)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.parsing import ParseError, parse_send_time, parse_timezone

BOTFATHER_HELP = (
    "BOT_TOKEN is not set. Create a bot: open Telegram, talk to @BotFather, send /newbot and "
    "follow the steps; it replies with a token like 123456789:AA... Put it in a file named .env "
    "in this folder as BOT_TOKEN=<your token> (see .env.example), or export BOT_TOKEN, then run "
    "make run again."
)


class Settings(BaseSettings):
    """Everything an operator can configure; see .env.example for each setting."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    database_path: Path = Path("data/nearer.sqlite3")
    default_timezone: str = "UTC"
    default_send_time: dt.time = dt.time(9, 0)
    telegram_api_base_url: str | None = None
    telegram_api_base_file_url: str | None = None
    tick_seconds: float = Field(default=30.0, gt=0, le=3600)
    log_level: str = "INFO"
    send_rate: float = Field(default=30.0, gt=0, le=1000)
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

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

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("expected Telegram user ids separated by commas")
            return frozenset(int(part) for part in parts)
        return value


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, `.env` and `overrides`, or raise SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic checks each value
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        if name == "BOT_TOKEN" and first["type"] == "missing":
            raise SettingsError(BOTFATHER_HELP) from None
        reason = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"Setting {name} is not valid: {reason}") from None
