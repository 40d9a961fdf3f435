"""People: who talked to the bot, their own settings and allowances, and deleting a person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.models import (
    Person,
)
from bot.storage.sqlite.rows import DELETED_MEMBER, PERSON_COLUMNS, Repository, person_row, to_ts


class PeopleRepository(Repository):
    """People, in SQLite."""

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
        row = await self._one(f"SELECT {PERSON_COLUMNS} FROM people WHERE user_id = ?", (user_id,))
        return None if row is None else person_row(row)

    async def people_by_id(self, user_ids: Sequence[int]) -> dict[int, Person]:
        """Return the people among `user_ids` who are stored, by user id."""
        if not user_ids:
            return {}
        marks = ", ".join("?" * len(user_ids))
        rows = await self._all(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE user_id IN ({marks})", list(user_ids)
        )
        return {person.user_id: person for person in map(person_row, rows)}

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

    async def set_language(
        self, user_id: int, *, chosen: str | None = None, telegram: str | None = None
    ) -> None:
        """Record the language a person chose, or the one their Telegram app reports."""
        if chosen is not None:
            await self._run("UPDATE people SET language = ? WHERE user_id = ?", (chosen, user_id))
        if telegram is not None:
            await self._run(
                "UPDATE people SET telegram_language = ? WHERE user_id = ?", (telegram, user_id)
            )

    async def set_clock(
        self, user_id: int, *, timezone: str | None = None, send_time: dt.time | None = None
    ) -> None:
        """Set a person's own zone or question time; arguments left as None stay."""
        if timezone is not None:
            await self._run(
                "UPDATE people SET timezone = ? WHERE user_id = ?", (timezone, user_id)
            )
        if send_time is not None:
            await self._run(
                "UPDATE people SET send_time = ? WHERE user_id = ?",
                (send_time.strftime("%H:%M"), user_id),
            )

    async def set_nudge_plan(
        self,
        user_id: int,
        *,
        days: frozenset[int] | None = None,
        time: dt.time | None = None,
        next_at: dt.datetime | None = None,
        clear_next: bool = False,
    ) -> None:
        """Set a person's nudge days, time and next due moment (`clear_next`: none due)."""
        if days is not None:
            await self._run(
                "UPDATE people SET nudge_days = ? WHERE user_id = ?",
                (",".join(str(day) for day in sorted(days)), user_id),
            )
        if time is not None:
            await self._run(
                "UPDATE people SET nudge_time = ? WHERE user_id = ?",
                (time.strftime("%H:%M"), user_id),
            )
        if next_at is not None or clear_next:
            await self._run(
                "UPDATE people SET next_nudge_at = ? WHERE user_id = ?",
                (None if next_at is None else to_ts(next_at), user_id),
            )

    async def lock_people(self, user_ids: Sequence[int]) -> None:
        """Nothing to do: SQLite's one writer already keeps every other change out."""

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
            "DELETE FROM topic_consents WHERE user_id = ?",
            "DELETE FROM absences WHERE user_id = ?",
            "DELETE FROM pending_answers WHERE user_id = ?",
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
            # The update asking for this deletion is in hand and carries their name: it is
            # not kept (a repeat after a crash is skipped; the deletion is already done).
            await self._run(
                "UPDATE inbox SET payload = '{}' WHERE chat_id = ? AND claimed_by IS NOT NULL",
                (person.chat_id,),
            )
            await self._run(
                "UPDATE nudges SET gift_chat_id = NULL, gift_message_id = NULL"
                " WHERE gift_chat_id = ?",
                (person.chat_id,),
            )
        await self._run("DELETE FROM people WHERE user_id = ?", (user_id,))

    async def count_action(
        self, user_id: int, action: str, now: dt.datetime, window: dt.timedelta
    ) -> int:
        """Count one more `action` by the person; return how many they did in the current
        window (which starts with the first action after the last window ended)."""
        since = to_ts(now - window)
        row = await self._one(
            "INSERT INTO action_counts (user_id, action, window_start, count) VALUES (?, ?, ?, 1)"
            " ON CONFLICT(user_id, action) DO UPDATE SET"
            " count = CASE WHEN action_counts.window_start > ? THEN action_counts.count + 1"
            " ELSE 1 END, window_start = CASE WHEN action_counts.window_start > ?"
            " THEN action_counts.window_start ELSE ? END"
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
