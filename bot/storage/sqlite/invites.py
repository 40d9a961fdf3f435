"""Invites and the count of wrong codes someone tried."""

from __future__ import annotations

import datetime as dt

from bot.domain.models import (
    Invite,
)
from bot.storage.sqlite.rows import Repository, from_ts, required_ts, to_ts


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
            "SELECT code, inviter_id, created_at, expires_at, used_at FROM invites WHERE code = ?",
            (code,),
        )
        if row is None:
            return None
        return Invite(row[0], row[1], required_ts(row[2]), required_ts(row[3]), from_ts(row[4]))

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
