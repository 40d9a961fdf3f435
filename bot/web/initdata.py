"""Telegram Mini App initData: checking its signature (and signing it, for tests and the demo).

Telegram signs the launch data with the bot token: the secret is HMAC-SHA256 of the token keyed
with "WebAppData", and `hash` is the hex HMAC-SHA256, under that secret, of every other field as
`key=value` lines sorted by key. No PyPI library we would trust with this does more than these
few lines, so they live here, with tests. Pure: the caller passes `now`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_AGE = dt.timedelta(hours=24)  # a Mini App left open all day still works; older is refused
CLOCK_SKEW = dt.timedelta(minutes=5)  # auth_date may be this far ahead of our clock
MAX_LENGTH = 4096  # Telegram's initData is a few hundred bytes; longer is not from Telegram


class InitDataError(Exception):
    """The initData is missing, forged, malformed or stale; the reason is for logs only."""


@dataclass(frozen=True)
class WebAppUser:
    """Who opened the Mini App, as Telegram vouches for it."""

    user_id: int
    first_name: str
    auth_date: dt.datetime
    language_code: str | None = None  # what their Telegram app is set to


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()


def sign_init_data(fields: dict[str, str], token: str) -> str:
    """Return `fields` as an initData query string signed with `token`, as Telegram signs it."""
    digest = hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate_init_data(
    raw: str, token: str, now: dt.datetime, *, max_age: dt.timedelta = MAX_AGE
) -> WebAppUser:
    """Check the signature and age of `raw` initData and return the user it names."""
    if not raw or len(raw) > MAX_LENGTH:
        raise InitDataError("missing or oversized")
    pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=False)
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field appears twice")
    received = fields.pop("hash", "")
    expected = hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise InitDataError("bad signature")
    try:
        auth_date = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user = json.loads(fields["user"])
        user_id, first_name = int(user["id"]), str(user.get("first_name", ""))
        language = user.get("language_code")
    except (KeyError, ValueError, TypeError, OverflowError) as error:
        raise InitDataError(f"malformed: {type(error).__name__}") from None
    if auth_date > now + CLOCK_SKEW:
        raise InitDataError("auth_date in the future")
    if now - auth_date > max_age:
        raise InitDataError("stale")
    return WebAppUser(
        user_id, first_name, auth_date, language if isinstance(language, str) else None
    )


def init_data_for(
    user_id: int,
    first_name: str,
    token: str,
    when: dt.datetime,
    *,
    language_code: str | None = None,
    **extra: str,
) -> str:
    """Signed initData for a user at `when`, shaped like Telegram's (tests and the demo)."""
    person: dict[str, object] = {"id": user_id, "first_name": first_name}
    if language_code is not None:
        person["language_code"] = language_code
    user = json.dumps(person, separators=(",", ":"))
    fields = {"auth_date": str(int(when.timestamp())), "query_id": f"q{user_id}", "user": user}
    return sign_init_data({**fields, **extra}, token)
