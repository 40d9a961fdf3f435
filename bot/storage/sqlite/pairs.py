"""Pairs: forming and ending them, their schedules, preferences and pauses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.models import (
    Pair,
    PauseSpan,
    Preferences,
    Schedule,
)
from bot.storage.sqlite.rows import (
    PAIR_COLUMNS,
    Repository,
    from_ts,
    join_set,
    pair_row,
    prefixed,
    required_ts,
    to_ts,
)

NEXT_DUE_SQL = "UPDATE pairs SET next_due_at = ? WHERE id = ? AND ended_at IS NULL"


class PairsRepository(Repository):
    """Pairs, in SQLite."""

    async def create_pair(
        self, members: tuple[int, int], schedule: Schedule, seed: int, now: dt.datetime
    ) -> Pair | None:
        """Pair two unpaired people; None (and nothing written) if either is already paired."""
        pair_id = await self._insert_pair(
            members,
            (
                schedule.timezone,
                schedule.send_time.strftime("%H:%M"),
                schedule.frequency.value,
                seed,
                to_ts(now),
            ),
        )
        claimed = await self._run(
            "UPDATE people SET pair_id = ? WHERE user_id IN (?, ?) AND pair_id IS NULL",
            (pair_id, members[0], members[1]),
        )
        if claimed != 2:
            await self._run("UPDATE people SET pair_id = NULL WHERE pair_id = ?", (pair_id,))
            await self._run("DELETE FROM pairs WHERE id = ?", (pair_id,))
            return None
        # Links either of them made earlier must not pair them again after this pair ends.
        await self._run(
            "DELETE FROM invites WHERE used_at IS NULL AND inviter_id IN (?, ?)", members
        )
        return await self.get_pair(pair_id)

    async def _insert_pair(
        self, members: tuple[int, int], row: tuple[str, str, str, int, int]
    ) -> int:
        """Insert a pair row (timezone, send time, frequency, seed, created) and return its id;
        the one statement whose new id each engine hands back its own way."""
        cursor = await self._conn.execute(
            "INSERT INTO pairs (member_a, member_b, timezone, send_time, frequency, seed,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (members[0], members[1], *row),
        )
        pair_id = cursor.lastrowid
        await cursor.close()
        assert pair_id is not None
        return pair_id

    async def get_pair(self, pair_id: int) -> Pair | None:
        """Return a pair, active or ended."""
        row = await self._one(f"SELECT {PAIR_COLUMNS} FROM pairs WHERE id = ?", (pair_id,))
        return None if row is None else pair_row(row)

    async def active_pair_of(self, user_id: int) -> Pair | None:
        """Return the pair `user_id` is in now, if any."""
        row = await self._one(
            f"SELECT {prefixed(PAIR_COLUMNS, 'p')}"
            " FROM people AS x JOIN pairs AS p ON p.id = x.pair_id"
            " WHERE x.user_id = ? AND p.ended_at IS NULL",
            (user_id,),
        )
        return None if row is None else pair_row(row)

    async def lock_pair_of(self, user_id: int) -> Pair | None:
        """Return the person's active pair; SQLite's one writer (BEGIN IMMEDIATE) already
        keeps every other change out until this transaction ends."""
        return await self.active_pair_of(user_id)

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
        await self._run(NEXT_DUE_SQL, (None if due_at is None else to_ts(due_at), pair_id))

    async def set_next_dues(self, dues: Sequence[tuple[int, dt.datetime | None]]) -> None:
        """set_next_due for many pairs in one statement (a tick's batch)."""
        await self._conn.executemany(
            NEXT_DUE_SQL, [(None if due is None else to_ts(due), pair_id) for pair_id, due in dues]
        )

    async def due_pairs(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return up to `limit` active pairs whose next question is due at `now`, oldest first."""
        rows = await self._all(
            f"SELECT {PAIR_COLUMNS} FROM pairs WHERE next_due_at <= ? AND ended_at IS NULL"
            " ORDER BY next_due_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [pair_row(row) for row in rows]

    async def pairs_of(self, user_id: int) -> list[Pair]:
        """Return every pair the person was ever in."""
        rows = await self._all(
            f"SELECT {PAIR_COLUMNS} FROM pairs WHERE member_a = ? OR member_b = ? ORDER BY id",
            (user_id, user_id),
        )
        return [pair_row(row) for row in rows]

    async def set_preferences(self, pair_id: int, preferences: Preferences) -> None:
        """Store which categories and depth a pair receives."""
        await self._run(
            "UPDATE pairs SET depth = ?, disabled_categories = ?, enabled_sensitive = ?"
            " WHERE id = ?",
            (
                preferences.depth.value,
                join_set(preferences.disabled_categories),
                join_set(preferences.enabled_sensitive),
                pair_id,
            ),
        )

    async def pause(self, pair_id: int, until: dt.datetime | None, by: int) -> None:
        """Stop everything scheduled for the pair until `until` (None: until resumed)."""
        await self._run(
            "UPDATE pairs SET paused = 1, pause_ends_at = ?, paused_by = ?, next_due_at = NULL"
            " WHERE id = ? AND ended_at IS NULL",
            (None if until is None else to_ts(until), by, pair_id),
        )

    async def resume(self, pair_id: int, next_due_at: dt.datetime) -> bool:
        """End a pause and schedule the next question; False if it was not paused."""
        return (
            await self._run(
                "UPDATE pairs SET paused = 0, pause_ends_at = NULL, paused_by = NULL,"
                " next_due_at = ? WHERE id = ? AND paused = 1 AND ended_at IS NULL",
                (to_ts(next_due_at), pair_id),
            )
            == 1
        )

    async def pauses_ending(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return paused pairs whose timed pause has run out."""
        rows = await self._all(
            f"SELECT {PAIR_COLUMNS} FROM pairs WHERE pause_ends_at <= ? AND paused = 1"
            " AND ended_at IS NULL ORDER BY pause_ends_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [pair_row(row) for row in rows]

    async def set_pair_options(
        self,
        pair_id: int,
        *,
        apart: bool | None = None,
        stage: str | None = None,
        anniversary: dt.date | None = None,
        sensitive_pace: str | None = None,
        heat: str | None = None,
        series: str | None = None,
        series_day: int | None = None,
    ) -> None:
        """Change how the pair describes itself; arguments left as None stay as they are."""
        changes: dict[str, object] = {
            "apart": None if apart is None else int(apart),
            "stage": stage,
            "anniversary": None if anniversary is None else anniversary.isoformat(),
            "sensitive_pace": sensitive_pace,
            "heat": heat,
            "series": series,  # "" ends the series
            "series_day": series_day,
        }
        for column, value in changes.items():
            if value is not None:
                # The column names are the fixed keys above, never input.
                stored = None if value == "" else value  # an empty stage or series: none
                await self._run(f"UPDATE pairs SET {column} = ? WHERE id = ?", (stored, pair_id))

    async def add_topic_consent(
        self, pair_id: int, category: str, user_id: int, now: dt.datetime
    ) -> None:
        """Record one partner's yes to an opt-in topic."""
        await self._run(
            "INSERT OR IGNORE INTO topic_consents (pair_id, category, user_id, created_at)"
            " VALUES (?, ?, ?, ?)",
            (pair_id, category, user_id, to_ts(now)),
        )

    async def topic_consents(self, pair_id: int, category: str) -> frozenset[int]:
        """Return who in the pair said yes to an opt-in topic."""
        rows = await self._all(
            "SELECT user_id FROM topic_consents WHERE pair_id = ? AND category = ?",
            (pair_id, category),
        )
        return frozenset(row[0] for row in rows)

    async def clear_topic_consents(self, pair_id: int, category: str) -> None:
        """Forget every yes to an opt-in topic (it was turned off or declined)."""
        await self._run(
            "DELETE FROM topic_consents WHERE pair_id = ? AND category = ?", (pair_id, category)
        )

    async def topics_asked(self, pair_id: int, user_id: int) -> frozenset[str]:
        """Return the opt-in topics the person said yes to that are waiting for the partner."""
        rows = await self._all(
            "SELECT category FROM topic_consents WHERE pair_id = ? AND user_id = ?",
            (pair_id, user_id),
        )
        return frozenset(row[0] for row in rows)

    async def note_pause_started(self, pair_id: int, now: dt.datetime) -> None:
        """Remember that the pair's pause began at `now` (for the journal's calendar)."""
        await self._run(
            "INSERT OR IGNORE INTO pause_spans (pair_id, started_at) SELECT ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM pause_spans WHERE pair_id = ? AND ended_at IS NULL)",
            (pair_id, to_ts(now), pair_id),
        )

    async def note_pause_ended(self, pair_id: int, now: dt.datetime) -> None:
        """Remember that the pair's current pause ended at `now`."""
        await self._run(
            "UPDATE pause_spans SET ended_at = ? WHERE pair_id = ? AND ended_at IS NULL",
            (to_ts(now), pair_id),
        )

    async def pause_spans(self, pair_id: int, since: dt.datetime) -> list[PauseSpan]:
        """Return the pair's pauses that lasted into `since` or began after it, oldest first."""
        rows = await self._all(
            "SELECT started_at, ended_at FROM pause_spans WHERE pair_id = ?"
            " AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at",
            (pair_id, to_ts(since)),
        )
        return [PauseSpan(required_ts(row[0]), from_ts(row[1])) for row in rows]

    async def absence_of(self, pair_id: int) -> tuple[int, dt.datetime] | None:
        """The partner whose absence paused the pair and when, while not answered since."""
        row = await self._one(
            "SELECT user_id, noted_at FROM absences WHERE pair_id = ?", (pair_id,)
        )
        return None if row is None else (int(row[0]), required_ts(row[1]))

    async def note_absence(self, pair_id: int, user_id: int, now: dt.datetime) -> None:
        """Record that `user_id`'s absence paused the pair (replacing an older one)."""
        await self._run(
            "INSERT INTO absences (pair_id, user_id, noted_at) VALUES (?, ?, ?)"
            " ON CONFLICT(pair_id) DO UPDATE SET user_id = excluded.user_id,"
            " noted_at = excluded.noted_at",
            (pair_id, user_id, to_ts(now)),
        )
