"""Compliment nudges, the appreciations they became and hearts sent back."""

from __future__ import annotations

import datetime as dt

from bot.domain.models import (
    Nudge,
    Person,
)
from bot.storage.sqlite.rows import (
    NUDGE_COLUMNS,
    PERSON_COLUMNS,
    Repository,
    nudge_row,
    person_row,
    prefixed,
    to_ts,
)


class NudgesRepository(Repository):
    """Compliment nudges, the appreciations they became and hearts sent back., in SQLite."""

    async def due_nudges(self, now: dt.datetime, limit: int) -> list[Person]:
        """Return people whose compliment nudge is due (oldest first)."""
        rows = await self._all(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE next_nudge_at <= ?"
            " ORDER BY next_nudge_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [person_row(row) for row in rows]

    async def recent_gifts(self, user_id: int, pair_id: int, limit: int) -> list[bool]:
        """For the person's latest `limit` nudges in a pair, newest first: was each answered?"""
        rows = await self._all(
            "SELECT gift_at IS NOT NULL FROM nudges WHERE user_id = ? AND pair_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (user_id, pair_id, limit),
        )
        return [bool(row[0]) for row in rows]

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
        row = await self._one(f"SELECT {NUDGE_COLUMNS} FROM nudges WHERE id = ?", (nudge_id,))
        return None if row is None else nudge_row(row)

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
            f"SELECT {prefixed(NUDGE_COLUMNS, 'n')} FROM nudge_messages AS m"
            " JOIN nudges AS n ON n.id = m.nudge_id WHERE m.chat_id = ? AND m.message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else nudge_row(row)

    async def open_nudge(self, user_id: int, since: dt.datetime) -> Nudge | None:
        """Return the person's latest nudge since `since` that they have not answered."""
        row = await self._one(
            f"SELECT {NUDGE_COLUMNS} FROM nudges WHERE user_id = ? AND sent_at >= ?"
            " AND gift_at IS NULL ORDER BY id DESC LIMIT 1",
            (user_id, to_ts(since)),
        )
        return None if row is None else nudge_row(row)

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
            f"SELECT {NUDGE_COLUMNS} FROM nudges WHERE gift_chat_id = ? AND gift_message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else nudge_row(row)

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
