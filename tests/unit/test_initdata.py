"""Mini App initData: a genuine signature passes; forged, altered, stale or odd data does not."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.initdata import InitDataError, init_data_for, sign_init_data, validate_init_data

TOKEN = "123456789:TEST-token-for-the-local-fake-api"
NOW = dt.datetime(2026, 1, 14, 7, 30, tzinfo=dt.UTC)


def test_initdata_signed_with_the_token_names_its_user() -> None:
    raw = init_data_for(7, "Alice", TOKEN, NOW - dt.timedelta(minutes=3))
    user = validate_init_data(raw, TOKEN, NOW)
    assert (user.user_id, user.first_name) == (7, "Alice")


def test_initdata_signed_with_another_token_is_refused() -> None:
    raw = init_data_for(7, "Alice", "987654321:another-bot-token-of-someone", NOW)
    with pytest.raises(InitDataError):
        validate_init_data(raw, TOKEN, NOW)


def test_changing_the_user_after_signing_is_refused() -> None:
    fields = dict(parse_qsl(init_data_for(7, "Alice", TOKEN, NOW)))
    fields["user"] = fields["user"].replace('"id":7', '"id":8')
    with pytest.raises(InitDataError, match="signature"):
        validate_init_data(urlencode(fields), TOKEN, NOW)


def test_initdata_older_than_a_day_is_refused() -> None:
    raw = init_data_for(7, "Alice", TOKEN, NOW - dt.timedelta(hours=24, seconds=1))
    with pytest.raises(InitDataError, match="stale"):
        validate_init_data(raw, TOKEN, NOW)


def test_initdata_from_the_future_is_refused() -> None:
    raw = init_data_for(7, "Alice", TOKEN, NOW + dt.timedelta(hours=1))
    with pytest.raises(InitDataError, match="future"):
        validate_init_data(raw, TOKEN, NOW)


@pytest.mark.parametrize(
    "raw", ["", "hash=abc", "user=%7B%7D&hash=", "x" * 5000, "auth_date=1&auth_date=2&hash=0"]
)
def test_empty_truncated_or_odd_initdata_is_refused(raw: str) -> None:
    with pytest.raises(InitDataError):
        validate_init_data(raw, TOKEN, NOW)


def test_a_signed_initdata_without_a_user_is_refused() -> None:
    raw = sign_init_data({"auth_date": str(int(NOW.timestamp()))}, TOKEN)
    with pytest.raises(InitDataError, match="malformed"):
        validate_init_data(raw, TOKEN, NOW)


def test_every_field_is_covered_by_the_signature_including_extra_ones() -> None:
    raw = init_data_for(7, "Alice", TOKEN, NOW, signature="abc", chat_type="sender")
    assert validate_init_data(raw, TOKEN, NOW).user_id == 7
    tampered = raw.replace("chat_type=sender", "chat_type=private")
    with pytest.raises(InitDataError):
        validate_init_data(tampered, TOKEN, NOW)
