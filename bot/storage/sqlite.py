"""SQLite storage: one connection, one writer at a time, every statement parameterised."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.models import (
    Answer,
    AnswerKind,
    DepthPreference,
    Frequency,
    HistoryEntry,
    Invite,
    Nudge,
    Pair,
    Person,
    Preferences,
    Prompt,
    PromptKind,
    ReminderDue,
    Schedule,
)
from bot.domain.outbox import MessageKind, NewMessage, OutboxItem, Priority
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

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


def _req_ts(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, UTC)


def _split(value: str) -> frozenset[str]:
    return frozenset(part for part in value.split(",") if part)


def _join(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


_PAIR_COLUMNS = (
    "id, member_a, member_b, timezone, send_time, frequency, depth, disabled_categories,"
    " enabled_sensitive, seed, exercise_weekday, next_due_at, paused, pause_ends_at, ended_at,"
    " nudge_time, nudge_frequency, next_nudge_at, paused_by"
)
_PERSON_COLUMNS = (
    "user_id, chat_id, first_name, pair_id, reminders_on, nudges_on, blocked_at,"
    " reminder_hours, quiet_start, quiet_end"
)
_NUDGE_COLUMNS = "id, pair_id, user_id, content_id, local_date, sent_at, gift_at, heart_at"


def _prefixed(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


_PROMPT_COLUMNS = (
    "id, pair_id, kind, content_id, text, local_date, sent_at, revealed_at, author_id"
)
_ANSWER_COLUMNS = "prompt_id, user_id, kind, text, file_id, chat_id, message_id, answered_at"


def _pair(row: Sequence[Any]) -> Pair:
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
            disabled_categories=_split(row[7]),
            enabled_sensitive=_split(row[8]),
        ),
        seed=row[9],
        exercise_weekday=row[10],
        next_due_at=from_ts(row[11]),
        paused=bool(row[12]),
        pause_ends_at=from_ts(row[13]),
        ended_at=from_ts(row[14]),
        nudge_time=dt.time.fromisoformat(row[15]),
        nudge_frequency=Frequency(row[16]),
        next_nudge_at=from_ts(row[17]),
        paused_by=row[18],
    )


def _person(row: Sequence[Any]) -> Person:
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
    )


def _nudge(row: Sequence[Any]) -> Nudge:
    return Nudge(
        id=row[0],
        pair_id=row[1],
        user_id=row[2],
        content_id=row[3],
        local_date=dt.date.fromisoformat(row[4]),
        sent_at=_req_ts(row[5]),
        gift_at=from_ts(row[6]),
        heart_at=from_ts(row[7]),
    )


def _prompt(row: Sequence[Any]) -> Prompt:
    return Prompt(
        id=row[0],
        pair_id=row[1],
        kind=PromptKind(row[2]),
        content_id=row[3],
        text=row[4],
        local_date=dt.date.fromisoformat(row[5]),
        sent_at=_req_ts(row[6]),
        revealed_at=from_ts(row[7]),
        author_id=row[8],
    )


def _answer(row: Sequence[Any]) -> Answer:
    return Answer(
        prompt_id=row[0],
        user_id=row[1],
        kind=AnswerKind(row[2]),
        text=row[3],
        file_id=row[4],
        chat_id=row[5],
        message_id=row[6],
        answered_at=_req_ts(row[7]),
    )


class Transaction:
    """Named reads and writes inside one SQLite transaction (see Database.transaction)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    # People ------------------------------------------------------------------------------

    async def upsert_person(
        self, user_id: int, chat_id: int, first_name: str, now: dt.datetime
    ) -> Person:
        """Record that someone talked to the bot; keep their name and chat up to date."""
        await self._run(
            "INSERT INTO people (user_id, chat_id, first_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET chat_id = excluded.chat_id,"
            " first_name = excluded.first_name, updated_at = excluded.updated_at",
            (user_id, chat_id, first_name, to_ts(now), to_ts(now)),
        )
        person = await self.get_person(user_id)
        assert person is not None
        return person

    async def get_person(self, user_id: int) -> Person | None:
        """Return the person with `user_id`, if they ever talked to the bot."""
        row = await self._one(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE user_id = ?", (user_id,)
        )
        return None if row is None else _person(row)

    async def set_blocked(self, user_id: int, blocked_at: dt.datetime | None) -> bool:
        """Mark (or clear) that a person blocked the bot; True if this changed anything."""
        if blocked_at is None:
            sql = (
                "UPDATE people SET blocked_at = NULL WHERE user_id = ? AND blocked_at IS NOT NULL"
            )
            return await self._run(sql, (user_id,)) > 0
        return (
            await self._run(
                "UPDATE people SET blocked_at = ? WHERE user_id = ? AND blocked_at IS NULL",
                (to_ts(blocked_at), user_id),
            )
            > 0
        )

    # Invites -----------------------------------------------------------------------------

    async def replace_invite(self, invite: Invite) -> None:
        """Store a new invite; the inviter's earlier unused invites stop working."""
        await self._run(
            "DELETE FROM invites WHERE inviter_id = ? AND used_at IS NULL", (invite.inviter_id,)
        )
        await self._run(
            "INSERT INTO invites (code, inviter_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (invite.code, invite.inviter_id, to_ts(invite.created_at), to_ts(invite.expires_at)),
        )

    async def get_invite(self, code: str) -> Invite | None:
        """Return the invite with `code`, used or not."""
        row = await self._one(
            "SELECT code, inviter_id, created_at, expires_at, used_at FROM invites WHERE code = ?",
            (code,),
        )
        if row is None:
            return None
        return Invite(row[0], row[1], _req_ts(row[2]), _req_ts(row[3]), from_ts(row[4]))

    async def use_invite(self, code: str, user_id: int, now: dt.datetime) -> bool:
        """Spend an unused invite; False if someone spent it first."""
        return (
            await self._run(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE code = ? AND used_at IS NULL",
                (to_ts(now), user_id, code),
            )
            == 1
        )

    # Pairs -------------------------------------------------------------------------------

    async def create_pair(
        self, members: tuple[int, int], schedule: Schedule, seed: int, now: dt.datetime
    ) -> Pair | None:
        """Pair two unpaired people; None (and nothing written) if either is already paired."""
        cursor = await self._conn.execute(
            "INSERT INTO pairs (member_a, member_b, timezone, send_time, frequency, seed,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                members[0],
                members[1],
                schedule.timezone,
                schedule.send_time.strftime("%H:%M"),
                schedule.frequency.value,
                seed,
                to_ts(now),
            ),
        )
        pair_id = cursor.lastrowid
        await cursor.close()
        claimed = await self._run(
            "UPDATE people SET pair_id = ? WHERE user_id IN (?, ?) AND pair_id IS NULL",
            (pair_id, members[0], members[1]),
        )
        if claimed != 2:
            await self._run("UPDATE people SET pair_id = NULL WHERE pair_id = ?", (pair_id,))
            await self._run("DELETE FROM pairs WHERE id = ?", (pair_id,))
            return None
        assert pair_id is not None
        # Links either of them made earlier must not pair them again after this pair ends.
        await self._run(
            "DELETE FROM invites WHERE used_at IS NULL AND inviter_id IN (?, ?)", members
        )
        return await self.get_pair(pair_id)

    async def get_pair(self, pair_id: int) -> Pair | None:
        """Return a pair, active or ended."""
        row = await self._one(f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE id = ?", (pair_id,))
        return None if row is None else _pair(row)

    async def active_pair_of(self, user_id: int) -> Pair | None:
        """Return the pair `user_id` is in now, if any."""
        row = await self._one(
            f"SELECT {_prefixed(_PAIR_COLUMNS, 'p')}"
            " FROM people AS x JOIN pairs AS p ON p.id = x.pair_id"
            " WHERE x.user_id = ? AND p.ended_at IS NULL",
            (user_id,),
        )
        return None if row is None else _pair(row)

    async def end_pair(self, pair_id: int, now: dt.datetime) -> bool:
        """End a pair: no more prompts; both people are free to pair again."""
        # An ended pair schedules nothing: a due nudge left on it came back in every batch.
        ended = await self._run(
            "UPDATE pairs SET ended_at = ?, next_due_at = NULL, next_nudge_at = NULL,"
            " pause_ends_at = NULL WHERE id = ? AND ended_at IS NULL",
            (to_ts(now), pair_id),
        )
        await self._run("UPDATE people SET pair_id = NULL WHERE pair_id = ?", (pair_id,))
        await self._run(
            "UPDATE outbox SET status = 'failed', error = 'pair ended', finished_at = ?,"
            " payload = '{}' WHERE status IN ('pending', 'claimed') AND (prompt_id IN"
            " (SELECT id FROM prompts WHERE pair_id = ?) OR coalesce_key LIKE ?)",
            (to_ts(now), pair_id, f"changes:{pair_id}:%"),
        )
        return ended == 1

    async def set_schedule(self, pair_id: int, schedule: Schedule) -> None:
        """Store a pair's send time, time zone and frequency."""
        await self._run(
            "UPDATE pairs SET timezone = ?, send_time = ?, frequency = ? WHERE id = ?",
            (
                schedule.timezone,
                schedule.send_time.strftime("%H:%M"),
                schedule.frequency.value,
                pair_id,
            ),
        )

    async def set_next_due(self, pair_id: int, due_at: dt.datetime | None) -> None:
        """Store when the pair's next question is due (None: nothing scheduled)."""
        await self._run(
            "UPDATE pairs SET next_due_at = ? WHERE id = ? AND ended_at IS NULL",
            (None if due_at is None else to_ts(due_at), pair_id),
        )

    async def due_pairs(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return up to `limit` active pairs whose next question is due at `now`, oldest first."""
        rows = await self._all(
            f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE next_due_at <= ? AND ended_at IS NULL"
            " ORDER BY next_due_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [_pair(row) for row in rows]

    # Prompts and answers -----------------------------------------------------------------

    async def create_prompt(
        self,
        pair_id: int,
        kind: PromptKind,
        *,
        content_id: str | None,
        text: str,
        local_date: dt.date,
        now: dt.datetime,
        author_id: int | None = None,
    ) -> Prompt | None:
        """Create the pair's prompt for a local day; None if that day already has one."""
        cursor = await self._conn.execute(
            "INSERT INTO prompts (pair_id, kind, content_id, text, author_id, local_date, sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (pair_id, kind.value, content_id, text, author_id, local_date.isoformat(), to_ts(now)),
        )
        prompt_id = cursor.lastrowid if cursor.rowcount == 1 else None
        await cursor.close()
        return None if prompt_id is None else await self.get_prompt(prompt_id)

    async def get_prompt(self, prompt_id: int) -> Prompt | None:
        """Return one prompt by id."""
        row = await self._one(f"SELECT {_PROMPT_COLUMNS} FROM prompts WHERE id = ?", (prompt_id,))
        return None if row is None else _prompt(row)

    async def content_history(self, pair_id: int, kind: PromptKind) -> list[str]:
        """Return the library ids the pair received, oldest first."""
        rows = await self._all(
            "SELECT content_id FROM prompts WHERE pair_id = ? AND kind = ?"
            " AND content_id IS NOT NULL ORDER BY id",
            (pair_id, kind.value),
        )
        return [row[0] for row in rows]

    async def shared_answer_count(self, pair_id: int) -> int:
        """Return how many questions both partners of the pair answered."""
        row = await self._one(
            "SELECT count(*) FROM prompts WHERE pair_id = ? AND revealed_at IS NOT NULL",
            (pair_id,),
        )
        return int(row[0])

    async def last_prompt_day(self, pair_id: int, kind: PromptKind) -> dt.date | None:
        """Return the latest local day the pair received a prompt of `kind`."""
        row = await self._one(
            "SELECT max(local_date) FROM prompts WHERE pair_id = ? AND kind = ?"
            " AND skipped_at IS NULL",
            (pair_id, kind.value),
        )
        return None if row[0] is None else dt.date.fromisoformat(row[0])

    async def open_prompts(self, pair_id: int) -> list[Prompt]:
        """Return the pair's questions not yet revealed, oldest first."""
        rows = await self._all(
            f"SELECT {_PROMPT_COLUMNS} FROM prompts WHERE pair_id = ? AND revealed_at IS NULL"
            " AND skipped_at IS NULL AND kind = 'question' ORDER BY id",
            (pair_id,),
        )
        return [_prompt(row) for row in rows]

    async def record_sent_message(self, chat_id: int, message_id: int, prompt_id: int) -> None:
        """Remember that a bot message carried a prompt, so replies to it find the prompt."""
        await self._run(
            "INSERT OR IGNORE INTO sent_messages (chat_id, message_id, prompt_id)"
            " VALUES (?, ?, ?)",
            (chat_id, message_id, prompt_id),
        )

    async def prompt_for_message(self, chat_id: int, message_id: int) -> Prompt | None:
        """Return the prompt a bot message in `chat_id` carried, if any."""
        row = await self._one(
            f"SELECT {_prefixed(_PROMPT_COLUMNS, 'p')}"
            " FROM sent_messages AS s JOIN prompts AS p ON p.id = s.prompt_id"
            " WHERE s.chat_id = ? AND s.message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else _prompt(row)

    async def answers_to(self, prompt_id: int) -> list[Answer]:
        """Return every answer to a prompt."""
        rows = await self._all(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE prompt_id = ? ORDER BY answered_at",
            (prompt_id,),
        )
        return [_answer(row) for row in rows]

    async def answer_for_message(self, chat_id: int, message_id: int) -> Answer | None:
        """Return the answer a partner's message became, if it became one."""
        row = await self._one(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else _answer(row)

    async def save_answer(self, answer: Answer, now: dt.datetime) -> bool:
        """Store an answer, replacing the person's earlier one; True if it replaced one."""
        replaced = await self.has_answered(answer.prompt_id, answer.user_id)
        await self._run(
            "INSERT INTO answers (prompt_id, user_id, kind, text, file_id, chat_id, message_id,"
            " answered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(prompt_id, user_id) DO UPDATE SET kind = excluded.kind,"
            " text = excluded.text, file_id = excluded.file_id, chat_id = excluded.chat_id,"
            " message_id = excluded.message_id, updated_at = excluded.updated_at",
            (
                answer.prompt_id,
                answer.user_id,
                answer.kind.value,
                answer.text,
                answer.file_id,
                answer.chat_id,
                answer.message_id,
                to_ts(answer.answered_at),
                to_ts(now),
            ),
        )
        return replaced

    async def has_answered(self, prompt_id: int, user_id: int) -> bool:
        """Say whether `user_id` has answered the prompt."""
        row = await self._one(
            "SELECT 1 FROM answers WHERE prompt_id = ? AND user_id = ?", (prompt_id, user_id)
        )
        return row is not None

    async def mark_revealed(self, prompt_id: int, now: dt.datetime) -> bool:
        """Record the reveal; True only for the one call that made it (never twice)."""
        return (
            await self._run(
                "UPDATE prompts SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL",
                (to_ts(now), prompt_id),
            )
            == 1
        )

    async def skip_prompt(self, prompt_id: int, now: dt.datetime) -> bool:
        """Set a question aside (nobody answered it); False if it is answered or gone."""
        return (
            await self._run(
                "UPDATE prompts SET skipped_at = ? WHERE id = ? AND skipped_at IS NULL"
                " AND revealed_at IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM answers WHERE prompt_id = prompts.id)",
                (to_ts(now), prompt_id),
            )
            == 1
        )

    async def streak_days(self, pair_id: int, limit: int = 400) -> list[tuple[dt.date, bool]]:
        """Return (local date, revealed) for the pair's latest questions, newest first."""
        rows = await self._all(
            "SELECT local_date, revealed_at IS NOT NULL FROM prompts WHERE pair_id = ?"
            " AND kind = 'question' AND skipped_at IS NULL ORDER BY local_date DESC, id DESC"
            " LIMIT ?",
            (pair_id, limit),
        )
        return [(dt.date.fromisoformat(row[0]), bool(row[1])) for row in rows]

    async def _entries(
        self, user_id: int, *, revealed_only: bool, limit: int = -1, offset: int = 0
    ) -> list[HistoryEntry]:
        """The person's questions with their answer, their partner's and the partner's name,
        in one query (newest revealed first when `revealed_only`, else in order)."""
        order = "p.revealed_at DESC, p.id DESC" if revealed_only else "p.id"
        revealed = " AND p.revealed_at IS NOT NULL" if revealed_only else ""
        rows = await self._all(
            f"SELECT {_prefixed(_PROMPT_COLUMNS, 'p')},"
            f" {_prefixed(_ANSWER_COLUMNS, 'm')}, {_prefixed(_ANSWER_COLUMNS, 't')},"
            " o.first_name AS partner_name"
            " FROM prompts AS p JOIN pairs AS q ON q.id = p.pair_id"
            " LEFT JOIN answers AS m ON m.prompt_id = p.id AND m.user_id = :me"
            " LEFT JOIN answers AS t ON t.prompt_id = p.id AND t.user_id ="
            "   CASE WHEN q.member_a = :me THEN q.member_b ELSE q.member_a END"
            " LEFT JOIN people AS o ON o.user_id ="
            "   CASE WHEN q.member_a = :me THEN q.member_b ELSE q.member_a END"
            f" WHERE (q.member_a = :me OR q.member_b = :me){revealed}"
            f" ORDER BY {order} LIMIT :limit OFFSET :offset",
            {"me": user_id, "limit": limit, "offset": offset},
        )
        prompt_width = len(_PROMPT_COLUMNS.split(","))
        answer_width = len(_ANSWER_COLUMNS.split(","))
        entries = []
        for row in rows:
            values = tuple(row)
            mine = values[prompt_width : prompt_width + answer_width]
            theirs = values[prompt_width + answer_width : prompt_width + 2 * answer_width]
            entries.append(
                HistoryEntry(
                    _prompt(values),
                    None if mine[0] is None else _answer(mine),
                    None if theirs[0] is None else _answer(theirs),
                    row["partner_name"] or "",
                )
            )
        return entries

    async def revealed_history(
        self, user_id: int, offset: int, limit: int
    ) -> tuple[list[HistoryEntry], int]:
        """Return a page of the person's revealed questions, newest first, and the total."""
        total_row = await self._one(
            "SELECT count(*) FROM prompts AS p JOIN pairs AS q ON q.id = p.pair_id"
            " WHERE (q.member_a = ? OR q.member_b = ?) AND p.revealed_at IS NOT NULL",
            (user_id, user_id),
        )
        entries = await self._entries(user_id, revealed_only=True, limit=limit, offset=offset)
        return entries, int(total_row[0])

    async def all_entries_of(self, user_id: int) -> list[HistoryEntry]:
        """Return every question of every pair the person was in, with both answers (the
        partner's whether revealed or not: the caller decides what may be shown)."""
        return await self._entries(user_id, revealed_only=False)

    async def pairs_of(self, user_id: int) -> list[Pair]:
        """Return every pair the person was ever in."""
        rows = await self._all(
            f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE member_a = ? OR member_b = ? ORDER BY id",
            (user_id, user_id),
        )
        return [_pair(row) for row in rows]

    # Settings ----------------------------------------------------------------------------

    async def set_person_settings(
        self,
        user_id: int,
        *,
        reminders_on: bool | None = None,
        nudges_on: bool | None = None,
        quiet: tuple[dt.time, dt.time] | None = None,
        reminder_hours: int | None = None,
    ) -> None:
        """Change a person's own settings; arguments left as None stay as they are."""
        if reminder_hours is not None:
            await self._run(
                "UPDATE people SET reminder_hours = ? WHERE user_id = ?", (reminder_hours, user_id)
            )
        if reminders_on is not None:
            await self._run(
                "UPDATE people SET reminders_on = ? WHERE user_id = ?", (reminders_on, user_id)
            )
        if nudges_on is not None:
            await self._run(
                "UPDATE people SET nudges_on = ? WHERE user_id = ?", (nudges_on, user_id)
            )
        if quiet is not None:
            await self._run(
                "UPDATE people SET quiet_start = ?, quiet_end = ? WHERE user_id = ?",
                (quiet[0].strftime("%H:%M"), quiet[1].strftime("%H:%M"), user_id),
            )

    async def set_preferences(self, pair_id: int, preferences: Preferences) -> None:
        """Store which categories and depth a pair receives."""
        await self._run(
            "UPDATE pairs SET depth = ?, disabled_categories = ?, enabled_sensitive = ?"
            " WHERE id = ?",
            (
                preferences.depth.value,
                _join(preferences.disabled_categories),
                _join(preferences.enabled_sensitive),
                pair_id,
            ),
        )

    async def set_next_nudge(self, pair_id: int, due_at: dt.datetime | None) -> None:
        """Store when the pair's next compliment nudge is due (None: none scheduled)."""
        await self._run(
            "UPDATE pairs SET next_nudge_at = ? WHERE id = ? AND ended_at IS NULL",
            (None if due_at is None else to_ts(due_at), pair_id),
        )

    # Pause -------------------------------------------------------------------------------

    async def pause(self, pair_id: int, until: dt.datetime | None, by: int) -> None:
        """Stop everything scheduled for the pair until `until` (None: until resumed)."""
        await self._run(
            "UPDATE pairs SET paused = 1, pause_ends_at = ?, paused_by = ?, next_due_at = NULL,"
            " next_nudge_at = NULL WHERE id = ? AND ended_at IS NULL",
            (None if until is None else to_ts(until), by, pair_id),
        )

    async def resume(
        self, pair_id: int, next_due_at: dt.datetime, next_nudge_at: dt.datetime
    ) -> bool:
        """End a pause and schedule the next question and nudge; False if it was not paused."""
        return (
            await self._run(
                "UPDATE pairs SET paused = 0, pause_ends_at = NULL, paused_by = NULL,"
                " next_due_at = ?, next_nudge_at = ? WHERE id = ? AND paused = 1"
                " AND ended_at IS NULL",
                (to_ts(next_due_at), to_ts(next_nudge_at), pair_id),
            )
            == 1
        )

    async def pauses_ending(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return paused pairs whose timed pause has run out."""
        rows = await self._all(
            f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE pause_ends_at <= ? AND paused = 1"
            " AND ended_at IS NULL ORDER BY pause_ends_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [_pair(row) for row in rows]

    # Questions written by partners -------------------------------------------------------

    async def add_custom_question(
        self, pair_id: int, author_id: int, text: str, now: dt.datetime
    ) -> None:
        """Queue a question a partner wrote for a coming day."""
        await self._run(
            "INSERT INTO custom_questions (pair_id, author_id, text, created_at)"
            " VALUES (?, ?, ?, ?)",
            (pair_id, author_id, text, to_ts(now)),
        )

    async def waiting_custom_questions(self, pair_id: int) -> int:
        """Return how many questions partners wrote that have not been asked yet."""
        row = await self._one(
            "SELECT count(*) FROM custom_questions WHERE pair_id = ? AND used_at IS NULL",
            (pair_id,),
        )
        return int(row[0])

    async def next_custom_question(self, pair_id: int) -> tuple[int, int, str] | None:
        """Return (id, author, text) of the oldest waiting question a partner wrote."""
        row = await self._one(
            "SELECT id, author_id, text FROM custom_questions WHERE pair_id = ?"
            " AND used_at IS NULL ORDER BY id LIMIT 1",
            (pair_id,),
        )
        return None if row is None else (row[0], row[1], row[2])

    async def use_custom_question(
        self, question_id: int, prompt_id: int, now: dt.datetime
    ) -> None:
        """Record that a partner's question became a day's question."""
        await self._run(
            "UPDATE custom_questions SET used_at = ?, prompt_id = ? WHERE id = ?",
            (to_ts(now), prompt_id, question_id),
        )

    # Nudges ------------------------------------------------------------------------------

    async def due_nudges(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return active pairs whose compliment nudge is due."""
        rows = await self._all(
            f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE next_nudge_at <= ? AND ended_at IS NULL"
            " ORDER BY next_nudge_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [_pair(row) for row in rows]

    async def create_nudge(
        self, pair_id: int, user_id: int, content_id: str, local_date: dt.date, now: dt.datetime
    ) -> Nudge | None:
        """Record a nudge for a person's local day; None if that day already had one."""
        row = await self._one(
            "INSERT INTO nudges (pair_id, user_id, content_id, local_date, sent_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (pair_id, user_id, content_id, local_date.isoformat(), to_ts(now)),
        )
        return None if row is None else await self.get_nudge(row[0])

    async def get_nudge(self, nudge_id: int) -> Nudge | None:
        """Return one nudge by id."""
        row = await self._one(f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE id = ?", (nudge_id,))
        return None if row is None else _nudge(row)

    async def nudge_history(self, user_id: int) -> list[str]:
        """Return the appreciation prompt ids a person was sent, oldest first."""
        rows = await self._all(
            "SELECT content_id FROM nudges WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [row[0] for row in rows]

    async def record_nudge_message(self, chat_id: int, message_id: int, nudge_id: int) -> None:
        """Remember which bot message carried a nudge, so a reply to it becomes the gift."""
        await self._run(
            "INSERT OR IGNORE INTO nudge_messages (chat_id, message_id, nudge_id)"
            " VALUES (?, ?, ?)",
            (chat_id, message_id, nudge_id),
        )

    async def nudge_for_message(self, chat_id: int, message_id: int) -> Nudge | None:
        """Return the nudge a bot message in `chat_id` carried, if any."""
        row = await self._one(
            f"SELECT {_prefixed(_NUDGE_COLUMNS, 'n')} FROM nudge_messages AS m"
            " JOIN nudges AS n ON n.id = m.nudge_id WHERE m.chat_id = ? AND m.message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else _nudge(row)

    async def open_nudge(self, user_id: int, since: dt.datetime) -> Nudge | None:
        """Return the person's latest nudge since `since` that they have not answered."""
        row = await self._one(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE user_id = ? AND sent_at >= ?"
            " AND gift_at IS NULL ORDER BY id DESC LIMIT 1",
            (user_id, to_ts(since)),
        )
        return None if row is None else _nudge(row)

    async def mark_gift(
        self, nudge_id: int, now: dt.datetime, chat_id: int, message_id: int
    ) -> None:
        """Record that the nudge was answered with an appreciation, and by which message."""
        await self._run(
            "UPDATE nudges SET gift_at = ?, gift_chat_id = ?, gift_message_id = ? WHERE id = ?",
            (to_ts(now), chat_id, message_id, nudge_id),
        )

    async def gift_for_message(self, chat_id: int, message_id: int) -> Nudge | None:
        """Return the nudge a partner's message was passed on as a gift for, if any."""
        row = await self._one(
            f"SELECT {_NUDGE_COLUMNS} FROM nudges WHERE gift_chat_id = ? AND gift_message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else _nudge(row)

    async def mark_heart(self, nudge_id: int, now: dt.datetime) -> bool:
        """Record a heart sent back for a gift; False if one was already sent."""
        return (
            await self._run(
                "UPDATE nudges SET heart_at = ? WHERE id = ? AND heart_at IS NULL"
                " AND gift_at IS NOT NULL",
                (to_ts(now), nudge_id),
            )
            == 1
        )

    # Reminders and reactions -------------------------------------------------------------

    async def reminder_candidates(
        self,
        now: dt.datetime,
        since: dt.datetime,
        limit: int,
        after: tuple[int, int, int] | None = None,
    ) -> list[ReminderDue]:
        """Return people with reminders on, not yet reminded, who have not answered a question
        sent between `since` and `now` (the domain decides whether each is due), in
        (sent_at, prompt id, user id) order, starting after the key `after`."""
        start = after or (0, 0, 0)
        rows = await self._all(
            f"SELECT {_prefixed(_PROMPT_COLUMNS, 'p')}, {_prefixed(_PERSON_COLUMNS, 'x')},"
            f" {_prefixed(_PAIR_COLUMNS, 'q')},"
            " EXISTS (SELECT 1 FROM answers AS o"
            "   WHERE o.prompt_id = p.id AND o.user_id <> x.user_id)"
            " FROM prompts AS p"
            " JOIN pairs AS q ON q.id = p.pair_id"
            " JOIN people AS x ON x.pair_id = q.id"
            " WHERE p.revealed_at IS NULL AND p.skipped_at IS NULL AND p.kind = 'question'"
            " AND p.sent_at BETWEEN ? AND ? AND x.reminders_on = 1 AND x.blocked_at IS NULL"
            " AND q.paused = 0 AND q.ended_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM answers AS a"
            "   WHERE a.prompt_id = p.id AND a.user_id = x.user_id)"
            " AND NOT EXISTS (SELECT 1 FROM reminders_sent AS r"
            "   WHERE r.prompt_id = p.id AND r.user_id = x.user_id)"
            " AND (p.sent_at, p.id, x.user_id) > (?, ?, ?)"
            " ORDER BY p.sent_at, p.id, x.user_id LIMIT ?",
            (to_ts(since), to_ts(now), *start, limit),
        )
        prompt_width = len(_PROMPT_COLUMNS.split(","))
        person_width = len(_PERSON_COLUMNS.split(","))
        pair_width = len(_PAIR_COLUMNS.split(","))
        found = []
        for row in rows:
            person_end = prompt_width + person_width
            found.append(
                ReminderDue(
                    prompt=_prompt(row[:prompt_width]),
                    person=_person(row[prompt_width:person_end]),
                    pair=_pair(row[person_end : person_end + pair_width]),
                    partner_answered=bool(row[-1]),
                )
            )
        return found

    async def mark_reminded(self, prompt_id: int, user_id: int, now: dt.datetime) -> bool:
        """Record a reminder; False if this person was already reminded of this question."""
        return (
            await self._run(
                "INSERT OR IGNORE INTO reminders_sent (prompt_id, user_id, sent_at)"
                " VALUES (?, ?, ?)",
                (prompt_id, user_id, to_ts(now)),
            )
            == 1
        )

    async def add_reaction(
        self, prompt_id: int, user_id: int, kind: str, now: dt.datetime
    ) -> bool:
        """Record a reaction to a revealed answer; False if the same one was sent before."""
        return (
            await self._run(
                "INSERT OR IGNORE INTO reactions (prompt_id, user_id, kind, created_at)"
                " VALUES (?, ?, ?, ?)",
                (prompt_id, user_id, kind, to_ts(now)),
            )
            == 1
        )

    # Invite attempts ---------------------------------------------------------------------

    async def invite_failures(self, user_id: int, since: dt.datetime) -> int:
        """Return how many wrong invite codes the person tried since `since`."""
        row = await self._one(
            "SELECT failures FROM invite_failures WHERE user_id = ? AND window_start >= ?",
            (user_id, to_ts(since)),
        )
        return 0 if row is None else int(row[0])

    async def note_invite_failure(
        self, user_id: int, now: dt.datetime, since: dt.datetime
    ) -> None:
        """Count a wrong invite code; the count restarts when its window is over."""
        await self._run(
            "INSERT INTO invite_failures (user_id, window_start, failures) VALUES (?, ?, 1)"
            " ON CONFLICT(user_id) DO UPDATE SET"
            " failures = CASE WHEN window_start >= ? THEN failures + 1 ELSE 1 END,"
            " window_start = CASE WHEN window_start >= ? THEN window_start ELSE ? END",
            (user_id, to_ts(now), to_ts(since), to_ts(since), to_ts(now)),
        )

    # Deleting a person -------------------------------------------------------------------

    async def delete_person(self, user_id: int, placeholder_question: str) -> None:
        """Delete everything stored about a person, in every table.

        Pairs they were in lose their id (the partner keeps their own answers); a pair whose
        other member is gone too is deleted whole. Questions they wrote with /ask become
        `placeholder_question` where the partner answered them. Messages owed to anyone that
        carry their name or words are withdrawn.
        """
        person = await self.get_person(user_id)
        pairs = await self._all(
            "SELECT id, member_a, member_b FROM pairs WHERE member_a = ? OR member_b = ?",
            (user_id, user_id),
        )
        for pair_id, member_a, member_b in pairs:
            other = member_b if member_a == user_id else member_a
            if other == DELETED_MEMBER:
                await self._run("DELETE FROM pairs WHERE id = ?", (pair_id,))
                continue
            await self._run(
                "UPDATE pairs SET member_a = CASE WHEN member_a = ? THEN ? ELSE member_a END,"
                " member_b = CASE WHEN member_b = ? THEN ? ELSE member_b END,"
                " paused_by = CASE WHEN paused_by = ? THEN NULL ELSE paused_by END WHERE id = ?",
                (user_id, DELETED_MEMBER, user_id, DELETED_MEMBER, user_id, pair_id),
            )
        for sql in (
            "DELETE FROM answers WHERE user_id = ?",
            "DELETE FROM nudges WHERE user_id = ?",
            "DELETE FROM reminders_sent WHERE user_id = ?",
            "DELETE FROM reactions WHERE user_id = ?",
            "DELETE FROM custom_questions WHERE author_id = ?",
            "DELETE FROM invites WHERE inviter_id = ? OR used_by = ?",
            "DELETE FROM outbox WHERE user_id = ? OR about_user_id = ?",
            "DELETE FROM invite_failures WHERE user_id = ?",
            "DELETE FROM action_counts WHERE user_id = ?",
            # Their questions from /ask: nobody answered them, or only they did.
            "DELETE FROM prompts WHERE author_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM answers WHERE answers.prompt_id = prompts.id)",
        ):
            params = (user_id,) * sql.count("?")
            await self._run(sql, params)
        await self._run(
            "UPDATE prompts SET text = ?, author_id = NULL WHERE author_id = ?",
            (placeholder_question, user_id),
        )
        if person is not None:
            for table in ("sent_messages", "nudge_messages"):
                await self._run(f"DELETE FROM {table} WHERE chat_id = ?", (person.chat_id,))
            await self._run(
                "UPDATE nudges SET gift_chat_id = NULL, gift_message_id = NULL"
                " WHERE gift_chat_id = ?",
                (person.chat_id,),
            )
        await self._run("DELETE FROM people WHERE user_id = ?", (user_id,))

    # Allowances --------------------------------------------------------------------------

    async def count_action(
        self, user_id: int, action: str, now: dt.datetime, window: dt.timedelta
    ) -> int:
        """Count one more `action` by the person; return how many they did in the current
        window (which starts with the first action after the last window ended)."""
        since = to_ts(now - window)
        row = await self._one(
            "INSERT INTO action_counts (user_id, action, window_start, count) VALUES (?, ?, ?, 1)"
            " ON CONFLICT(user_id, action) DO UPDATE SET"
            " count = CASE WHEN window_start > ? THEN count + 1 ELSE 1 END,"
            " window_start = CASE WHEN window_start > ? THEN window_start ELSE ? END"
            " RETURNING count",
            (user_id, action, to_ts(now), since, since, to_ts(now)),
        )
        return int(row[0])

    async def action_count(
        self, user_id: int, action: str, now: dt.datetime, window: dt.timedelta
    ) -> int:
        """Return how many times the person did `action` in the current window."""
        row = await self._one(
            "SELECT count FROM action_counts WHERE user_id = ? AND action = ?"
            " AND window_start > ?",
            (user_id, action, to_ts(now - window)),
        )
        return 0 if row is None else int(row[0])

    # Operations --------------------------------------------------------------------------

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small operational fact (e.g. when the scheduler last ticked)."""
        await self._run(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def get_meta(self, key: str) -> str | None:
        """Return a stored operational fact."""
        row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def stats(self, now: dt.datetime) -> dict[str, int | float]:
        """Return operator figures: pairs by state, questions and answer rates, queue size."""
        figures: dict[str, int | float] = {}
        row = await self._one(
            "SELECT"
            " sum(ended_at IS NULL AND paused = 0),"
            " sum(ended_at IS NULL AND paused = 1),"
            " sum(ended_at IS NULL AND EXISTS (SELECT 1 FROM people AS x"
            "   WHERE x.pair_id = pairs.id AND x.blocked_at IS NOT NULL)),"
            " sum(ended_at IS NOT NULL)"
            " FROM pairs"
        )
        for index, name in enumerate(("active", "paused", "blocked", "ended")):
            figures[f"pairs_{name}"] = int(row[index] or 0)
        for days in (7, 30):
            since = to_ts(now - dt.timedelta(days=days))
            counts = await self._one(
                "SELECT count(*), sum(revealed_at IS NOT NULL),"
                " (SELECT count(*) FROM answers AS a JOIN prompts AS p ON p.id = a.prompt_id"
                "  WHERE p.kind = 'question' AND p.sent_at >= ? AND p.skipped_at IS NULL)"
                " FROM prompts WHERE kind = 'question' AND sent_at >= ? AND skipped_at IS NULL",
                (since, since),
            )
            sent, revealed, answers = int(counts[0]), int(counts[1] or 0), int(counts[2] or 0)
            figures[f"questions_{days}d"] = sent
            figures[f"answer_rate_{days}d"] = answers / (2 * sent) if sent else 0.0
            figures[f"both_answered_rate_{days}d"] = revealed / sent if sent else 0.0
        queued = await self._one(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')"
        )
        figures["messages_queued"] = int(queued[0])
        return figures

    # Outbox ------------------------------------------------------------------------------

    async def enqueue(self, messages: Sequence[NewMessage], now: dt.datetime) -> None:
        """Add messages to the outbox; they are sent by the delivery loop."""
        await self._conn.executemany(
            "INSERT INTO outbox (user_id, chat_id, kind, prompt_id, payload, priority,"
            " not_before, created_at, about_user_id, coalesce_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    m.user_id,
                    m.chat_id,
                    m.kind.value,
                    m.prompt_id,
                    json.dumps(m.payload, ensure_ascii=False),
                    int(m.priority),
                    to_ts(now + m.delay),
                    to_ts(now),
                    m.about_user_id,
                    m.coalesce_key,
                )
                for m in messages
            ],
        )

    async def pending_payload(self, coalesce_key: str) -> dict[str, Any] | None:
        """Return the payload of the pending row with `coalesce_key`, if one waits."""
        row = await self._one(
            "SELECT payload FROM outbox WHERE coalesce_key = ? AND status = 'pending'",
            (coalesce_key,),
        )
        return None if row is None else dict(json.loads(row[0]))

    async def replace_pending_payload(
        self, coalesce_key: str, payload: dict[str, Any] | None
    ) -> None:
        """Rewrite the pending row with `coalesce_key`; None withdraws it (nothing to say)."""
        if payload is None:
            await self._run(
                "DELETE FROM outbox WHERE coalesce_key = ? AND status = 'pending'",
                (coalesce_key,),
            )
            return
        await self._run(
            "UPDATE outbox SET payload = ? WHERE coalesce_key = ? AND status = 'pending'",
            (json.dumps(payload, ensure_ascii=False), coalesce_key),
        )

    async def cancel_pending(self, user_id: int, prompt_id: int, now: dt.datetime) -> int:
        """Withdraw the messages about a prompt still waiting for `user_id` (e.g. a skipped
        question nobody has seen yet); return how many."""
        return await self._run(
            "UPDATE outbox SET status = 'failed', error = 'withdrawn', finished_at = ?,"
            " payload = '{}' WHERE user_id = ? AND prompt_id = ? AND status = 'pending'",
            (to_ts(now), user_id, prompt_id),
        )

    async def claim_outbox(
        self, now: dt.datetime, limit: int, per_chat: int = 1
    ) -> list[OutboxItem]:
        """Claim up to `limit` pending messages, most urgent first, and at most `per_chat` in
        flight for any one chat, so one chat's backlog never holds up the others."""
        in_flight: dict[int, int] = dict(
            await self._all(
                "SELECT chat_id, count(*) FROM outbox WHERE status = 'claimed' GROUP BY chat_id"
            )
        )
        chosen: list[int] = []
        after = (-1, -1)
        page = max(4 * limit, 200)
        # Walk the queue in order, skipping chats that have their share in flight; a page
        # bound keeps one enormous backlog from making a claim slow.
        for _ in range(CLAIM_PAGES):
            rows = await self._all(
                "SELECT priority, id, chat_id FROM outbox WHERE status = 'pending'"
                " AND (priority, id) > (?, ?) AND not_before <= ? ORDER BY priority, id LIMIT ?",
                (*after, to_ts(now), page),
            )
            for priority, item_id, chat_id in rows:
                after = (priority, item_id)
                if in_flight.get(chat_id, 0) >= per_chat:
                    continue
                in_flight[chat_id] = in_flight.get(chat_id, 0) + 1
                chosen.append(item_id)
                if len(chosen) == limit:
                    break
            if len(chosen) == limit or len(rows) < page:
                break
        if not chosen:
            return []
        marks = ", ".join("?" * len(chosen))
        rows = await self._all(
            f"UPDATE outbox SET status = 'claimed', claimed_at = ? WHERE id IN ({marks})"
            " RETURNING id, user_id, chat_id, kind, prompt_id, payload, priority, attempts, part",
            (to_ts(now), *chosen),
        )
        items = [
            OutboxItem(
                id=row[0],
                user_id=row[1],
                chat_id=row[2],
                kind=MessageKind(row[3]),
                prompt_id=row[4],
                payload=json.loads(row[5]),
                priority=Priority(row[6]),
                attempts=row[7],
                part=row[8],
            )
            for row in rows
        ]
        items.sort(key=lambda item: (item.priority, item.id))
        return items

    async def advance_part(self, item_id: int, part: int) -> None:
        """Record that the first `part` pieces of a message were delivered."""
        await self._run(
            "UPDATE outbox SET part = ? WHERE id = ? AND status = 'claimed'", (part, item_id)
        )

    async def finish(
        self, item_id: int, *, sent: bool, now: dt.datetime, error: str | None = None
    ) -> None:
        """Close a claimed message as sent or failed (a row withdrawn meanwhile, say because
        the pair ended, stays as it is); what it carried is no longer needed."""
        await self._run(
            "UPDATE outbox SET status = ?, finished_at = ?, error = ?, payload = '{}'"
            " WHERE id = ? AND status = 'claimed'",
            ("sent" if sent else "failed", to_ts(now), error, item_id),
        )

    async def retry_later(self, item_id: int, not_before: dt.datetime, error: str) -> bool:
        """Put a message back to try again later; False if it has failed too often (given up)."""
        row = await self._one(
            "UPDATE outbox SET status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending'"
            " END, attempts = attempts + 1, not_before = ?, error = ? WHERE id = ?"
            " AND status = 'claimed' RETURNING status",
            (MAX_DELIVERY_ATTEMPTS, to_ts(not_before), error, item_id),
        )
        return row is None or row[0] == "pending"  # None: withdrawn meanwhile, not given up

    async def release_claimed(self) -> int:
        """Return messages claimed by a process that stopped to pending (start-up recovery)."""
        return await self._run("UPDATE outbox SET status = 'pending' WHERE status = 'claimed'")

    async def outbox_counts(self) -> dict[str, int]:
        """Return how many outbox rows are in each status."""
        rows = await self._all("SELECT status, count(*) FROM outbox GROUP BY status")
        return {row[0]: row[1] for row in rows}

    async def next_outbox_time(self) -> dt.datetime | None:
        """Return when the earliest pending message may be sent."""
        row = await self._one("SELECT min(not_before) FROM outbox WHERE status = 'pending'")
        return from_ts(row[0])


class StorageUnavailable(Exception):
    """The database file cannot be opened or written; the message says why, in one line."""


@dataclass(frozen=True)
class HealthReport:
    """What a quick, read-only look at the database found."""

    integrity: str
    last_tick_at: dt.datetime | None


async def read_health(path: Path) -> HealthReport:
    """Open the database read-only, run a quick check and read the scheduler's heartbeat."""
    if not await asyncio.to_thread(path.exists):
        raise StorageUnavailable(f"no database at {path}")
    try:
        async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as conn:
            async with conn.execute("PRAGMA quick_check") as cursor:
                row = await cursor.fetchone()
            async with conn.execute("SELECT value FROM meta WHERE key = 'last_tick_at'") as cursor:
                tick = await cursor.fetchone()
    except sqlite3.Error as error:
        raise StorageUnavailable(f"cannot read {path}: {error}") from None
    last = dt.datetime.fromisoformat(tick[0]) if tick else None
    return HealthReport(str(row[0]) if row else "no answer", last)


class Database:
    """The SQLite database: opens, migrates, and hands out transactions one at a time."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection writes; the lock keeps each transaction's statements together so an
        # await in one handler cannot interleave with another's writes.
        self._lock = asyncio.Lock()
        # Reads that may be long (/export, /history, /stats) use a read-only connection of
        # their own, so they never hold up the writer (WAL lets both run at once).
        self._reader: aiosqlite.Connection | None = None
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
            conn.row_factory = sqlite3.Row  # rows read by name; by position still works
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailable(f"cannot open the database at {path}: {error}") from None
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            # Deleted rows are overwritten, not just unlinked: /deletemydata leaves no words.
            await conn.execute("PRAGMA secure_delete = ON")
            database = cls(conn, path)
            await database.migrate()
        except sqlite3.Error as error:
            await conn.close()
            raise StorageUnavailable(f"cannot use the database at {path}: {error}") from None
        except BaseException:
            await conn.close()
            raise
        return database

    @classmethod
    async def open_existing(cls, path: Path) -> Database:
        """Open a database another process (a running bot) may be using, for backups and
        figures: never created, never migrated; its schema must be the one this code knows."""
        if not await asyncio.to_thread(path.exists):
            raise StorageUnavailable(f"no database at {path}")
        try:
            conn = await aiosqlite.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
        except sqlite3.Error as error:
            raise StorageUnavailable(f"cannot open the database at {path}: {error}") from None
        database = cls(conn, path)
        try:
            await conn.execute("PRAGMA busy_timeout = 5000")
            version = await database.schema_version()
        except sqlite3.Error as error:
            await conn.close()
            raise StorageUnavailable(f"cannot read the database at {path}: {error}") from None
        if version != len(MIGRATIONS):
            await conn.close()
            raise StorageUnavailable(
                f"the database at {path} has schema {version} and this code expects "
                f"{len(MIGRATIONS)}; run `python -m bot migrate` with the matching version first"
            )
        return database

    async def close(self) -> None:
        """Close the connections; waits for running transactions to finish."""
        async with self._read_lock:
            if self._reader is not None:
                await self._reader.close()
                self._reader = None
        async with self._lock:
            await self._conn.close()

    async def schema_version(self) -> int:
        """Return the schema version the database is at."""
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration the database lacks; return the version it is now at."""
        async with self._lock:
            version = await self.schema_version()
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"database schema {version} is newer than this code ({len(MIGRATIONS)})"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await self._conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
                log.info("database migrated to schema %d", number)
            return len(MIGRATIONS)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the block in one transaction: committed on success, rolled back on error."""
        async with self._lock:
            # aiosqlite queues each statement on its thread before the first await, in order.
            # So once BEGIN is called it will run, even if this task is cancelled while
            # waiting; a ROLLBACK queued after it always ends that transaction before the
            # next one begins.
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield Transaction(self._conn)
            except BaseException:
                rollback = asyncio.ensure_future(self._conn.execute("ROLLBACK"))
                with contextlib.suppress(sqlite3.OperationalError, asyncio.CancelledError):
                    await asyncio.shield(rollback)
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Transaction]:
        """Run the block as one read-only snapshot on the reader connection; writes fail."""
        async with self._read_lock:
            if self._reader is None:
                self._reader = await aiosqlite.connect(
                    f"file:{self.path}?mode=ro", uri=True, isolation_level=None
                )
                self._reader.row_factory = sqlite3.Row
                await self._reader.execute("PRAGMA busy_timeout = 5000")
            reader = self._reader
            await reader.execute("BEGIN")
            try:
                yield Transaction(reader)
            finally:
                end = asyncio.ensure_future(reader.execute("ROLLBACK"))
                with contextlib.suppress(sqlite3.OperationalError, asyncio.CancelledError):
                    await asyncio.shield(end)

    async def forget_deleted(self) -> None:
        """Write deleted data out of the write-ahead log too: checkpoint it into the (zeroed)
        database pages and truncate the log, so no old page keeps deleted words."""
        async with self._lock, self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0]:
            log.warning("checkpoint after a deletion was blocked; the log is cleared later")

    async def integrity_check(self) -> str:
        """Run SQLite's integrity check; 'ok' when the file is sound."""
        async with self._lock, self._conn.execute("PRAGMA integrity_check") as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else "no answer"

    async def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the database to a new file `target` (SQLite's online
        backup: consistent even while the bot writes)."""
        if await asyncio.to_thread(target.exists):
            raise StorageUnavailable(f"{target} exists already; choose a new file name")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            async with self._lock, aiosqlite.connect(target) as destination:
                await self._conn.backup(destination)
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailable(f"cannot write a backup to {target}: {error}") from None
