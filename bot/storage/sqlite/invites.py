"""Invites and the count of wrong codes someone tried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.domain.models import (
    Invite,
)
from bot.storage.sqlite.rows import Repository, from_ts, required_ts, to_ts

INVITE_COLUMNS = "code, inviter_id, created_at, expires_at, used_at, told"


def invite_row(row: Sequence[Any]) -> Invite:
    return Invite(
        row[0], row[1], required_ts(row[2]), required_ts(row[3]), from_ts(row[4]), row[5]
    )


class InvitesRepository(Repository):
    """Invites and the count of wrong codes someone tried., in SQLite."""

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
            f"SELECT {INVITE_COLUMNS} FROM invites WHERE code = ?",
            (code,),
        )
        return None if row is None else invite_row(row)

    async def expired_invites(self, now: dt.datetime, limit: int) -> list[Invite]:
        """Return up to `limit` invites that ran out unused and whose inviter was told nothing
        yet (on the partial index `invites_expiring`)."""
        rows = await self._all(
            f"SELECT {INVITE_COLUMNS} FROM invites WHERE expires_at <= ? AND used_at IS NULL"
            " AND told IS NULL ORDER BY expires_at LIMIT ?",
            (to_ts(now), limit),
        )
        return [invite_row(row) for row in rows]

    async def mark_invite_told(self, code: str, told: str, *, unless: tuple[str, ...]) -> bool:
        """Record what the inviter was told about an unused invite; False when they were
        already told `told` or one of `unless` (so each is said once)."""
        marks = ", ".join("?" for _ in (told, *unless))
        return (
            await self._run(
                "UPDATE invites SET told = ? WHERE code = ? AND used_at IS NULL"
                f" AND (told IS NULL OR told NOT IN ({marks}))",
                (told, code, told, *unless),
            )
            == 1
        )

    async def use_invite(self, code: str, user_id: int, now: dt.datetime) -> bool:
        """Spend an unused invite; False if someone spent it first."""
        return (
            await self._run(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE code = ? AND used_at IS NULL",
                (to_ts(now), user_id, code),
            )
            == 1
        )

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
            " ON CONFLICT(user_id) DO UPDATE SET failures = CASE WHEN"
            " invite_failures.window_start >= ? THEN invite_failures.failures + 1 ELSE 1 END,"
            " window_start = CASE WHEN invite_failures.window_start >= ?"
            " THEN invite_failures.window_start ELSE ? END",
            (user_id, to_ts(now), to_ts(since), to_ts(since), to_ts(now)),
        )
