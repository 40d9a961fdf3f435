"""What every SQLite repository shares: converting times, reading rows into domain objects,
and running statements on the transaction's connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from bot.domain.models import (
    Answer,
    AnswerKind,
    DepthPreference,
    Frequency,
    Nudge,
    Pair,
    Person,
    Preferences,
    Prompt,
    PromptKind,
    Schedule,
)

UTC = dt.UTC
# Stands in a pair row for a member who deleted their data (user ids are positive).
DELETED_MEMBER = 0
# How many times a message may fail with a transient error before it is given up.
MAX_DELIVERY_ATTEMPTS = 8
CLAIM_PAGES = 20  # pages of pending rows one claim looks through at most


def to_ts(moment: dt.datetime) -> int:
    """Store an aware datetime as Unix seconds."""
    return int(moment.timestamp())


def from_ts(value: int | None) -> dt.datetime | None:
    """Read Unix seconds back into an aware UTC datetime."""
    return None if value is None else dt.datetime.fromtimestamp(value, UTC)


def required_ts(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, UTC)


def split_set(value: str) -> frozenset[str]:
    return frozenset(part for part in value.split(",") if part)


def join_set(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


PAIR_COLUMNS = (
    "id, member_a, member_b, timezone, send_time, frequency, depth, disabled_categories,"
    " enabled_sensitive, seed, exercise_weekday, next_due_at, paused, pause_ends_at, ended_at,"
    " nudge_time, nudge_frequency, next_nudge_at, paused_by, apart, stage, anniversary,"
    " sensitive_pace, created_at, heat, series, series_day"
)
PERSON_COLUMNS = (
    "user_id, chat_id, first_name, pair_id, reminders_on, nudges_on, blocked_at,"
    " reminder_hours, quiet_start, quiet_end, language, telegram_language, timezone, send_time,"
    " nudge_days, nudge_time, next_nudge_at"
)
NUDGE_COLUMNS = "id, pair_id, user_id, content_id, local_date, sent_at, gift_at, heart_at"


def prefixed(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


PROMPT_COLUMNS = "id, pair_id, kind, content_id, text, local_date, sent_at, revealed_at, author_id"
ANSWER_COLUMNS = (
    "prompt_id, user_id, kind, text, file_id, chat_id, message_id, answered_at, choice, guess,"
    " guess_message_id, guess_verdict"
)


def pair_row(row: Sequence[Any]) -> Pair:
    return Pair(
        id=row[0],
        members=(row[1], row[2]),
        schedule=Schedule(
            timezone=row[3],
            send_time=dt.time.fromisoformat(row[4]),
            frequency=Frequency(row[5]),
        ),
        preferences=Preferences(
            depth=DepthPreference(row[6]),
            disabled_categories=split_set(row[7]),
            enabled_sensitive=split_set(row[8]),
        ),
        seed=row[9],
        exercise_weekday=row[10],
        next_due_at=from_ts(row[11]),
        paused=bool(row[12]),
        pause_ends_at=from_ts(row[13]),
        ended_at=from_ts(row[14]),
        # 15-17: the pair's old nudge time, frequency and due moment (nudges are each
        # person's own since migration 10).
        paused_by=row[18],
        apart=bool(row[19]),
        stage=row[20],
        anniversary=None if row[21] is None else dt.date.fromisoformat(row[21]),
        sensitive_pace=row[22],
        created_at=from_ts(row[23]),
        heat=row[24],
        series=row[25],
        series_day=row[26],
    )


def person_row(row: Sequence[Any]) -> Person:
    return Person(
        user_id=row[0],
        chat_id=row[1],
        first_name=row[2],
        pair_id=row[3],
        reminders_on=bool(row[4]),
        nudges_on=bool(row[5]),
        blocked=row[6] is not None,
        reminder_hours=row[7],
        quiet_start=dt.time.fromisoformat(row[8]),
        quiet_end=dt.time.fromisoformat(row[9]),
        language=row[10],
        telegram_language=row[11],
        timezone=row[12],
        send_time=None if row[13] is None else dt.time.fromisoformat(row[13]),
        nudge_days=frozenset(int(day) for day in row[14].split(",") if day),
        nudge_time=dt.time.fromisoformat(row[15]),
        next_nudge_at=from_ts(row[16]),
    )


def nudge_row(row: Sequence[Any]) -> Nudge:
    return Nudge(
        id=row[0],
        pair_id=row[1],
        user_id=row[2],
        content_id=row[3],
        local_date=dt.date.fromisoformat(row[4]),
        sent_at=required_ts(row[5]),
        gift_at=from_ts(row[6]),
        heart_at=from_ts(row[7]),
    )


def prompt_row(row: Sequence[Any]) -> Prompt:
    return Prompt(
        id=row[0],
        pair_id=row[1],
        kind=PromptKind(row[2]),
        content_id=row[3],
        text=row[4],
        local_date=dt.date.fromisoformat(row[5]),
        sent_at=required_ts(row[6]),
        revealed_at=from_ts(row[7]),
        author_id=row[8],
    )


def answer_row(row: Sequence[Any]) -> Answer:
    return Answer(
        prompt_id=row[0],
        user_id=row[1],
        kind=AnswerKind(row[2]),
        text=row[3],
        file_id=row[4],
        chat_id=row[5],
        message_id=row[6],
        answered_at=required_ts(row[7]),
        choice=row[8],
        guess=row[9],
        guess_message_id=row[10],
        guess_verdict=None if row[11] is None else bool(row[11]),
    )


class Repository:
    """Statements on one connection, inside the transaction that connection is in."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # One trip to aiosqlite's thread per statement (execute, fetch and close would be three):
    # the thread hand-offs, not SQLite, were most of a tick's time.
    async def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount
