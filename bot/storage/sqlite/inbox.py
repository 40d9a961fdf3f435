"""The durable inbox: updates stored on arrival, claimed per chat, handled, then forgotten."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.outbox import InboxItem
from bot.storage.sqlite.rows import Repository

# The earliest unhandled update of each lane, where nobody holds it: a lane's next update can
# be claimed only once the one before is handled, so its updates run in order wherever they
# are handled. A lane is a pair (both partners' chats: an answer, the partner's answer and an
# edit are decided in the order they arrived) or, for someone unpaired, their chat.
CLAIM_UPDATES = (
    "WITH firsts AS (SELECT min(update_id) AS id FROM inbox WHERE handled_at IS NULL"
    " GROUP BY lane)"
    " UPDATE inbox SET claimed_by = ?, lease_until = ? WHERE update_id IN"
    " (SELECT i.update_id FROM inbox AS i JOIN firsts AS f ON i.update_id = f.id"
    "  WHERE i.claimed_by IS NULL OR i.lease_until < ? ORDER BY i.update_id LIMIT ?)"
    " RETURNING update_id, payload"
)


class InboxRepository(Repository):
    """The durable inbox, in SQLite."""

    async def store_updates(
        self, updates: Sequence[tuple[int, int | None, str]], now_ms: int
    ) -> int:
        """Store (update id, chat id, JSON) updates; replays are dropped. Return how many new."""
        stored = 0
        for update_id, chat_id, payload in updates:
            stored += await self._run(
                "INSERT INTO inbox (update_id, chat_id, payload, received_at, lane)"
                " VALUES (?, ?, ?, ?, coalesce((SELECT 'pair:' || pair_id FROM people"
                "  WHERE user_id = ? AND pair_id IS NOT NULL),"
                "  'chat:' || CAST(CAST(? AS BIGINT) AS TEXT), 'none'))"
                " ON CONFLICT (update_id) DO NOTHING",
                (update_id, chat_id, payload, now_ms, chat_id, chat_id),
            )
        return stored

    async def claim_updates(
        self, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[InboxItem]:
        """Claim the earliest unhandled update of up to `limit` chats nobody else holds."""
        rows = await self._all(CLAIM_UPDATES, (owner, now_ms + lease_ms, now_ms, limit))
        items = [InboxItem(row[0], row[1]) for row in rows]
        items.sort(key=lambda item: item.update_id)
        return items

    async def finish_update(self, update_id: int, now_ms: int) -> None:
        """Mark an update handled and drop what it carried."""
        await self._run(
            "UPDATE inbox SET handled_at = ?, payload = '{}', chat_id = NULL, lane = '',"
            " claimed_by = NULL, lease_until = NULL WHERE update_id = ? AND handled_at IS NULL",
            (now_ms, update_id),
        )

    async def renew_updates(self, owner: str, lease_until_ms: int) -> int:
        """Extend the lease on every update `owner` holds."""
        return await self._run(
            "UPDATE inbox SET lease_until = ? WHERE claimed_by = ? AND handled_at IS NULL",
            (lease_until_ms, owner),
        )

    async def release_updates(self, owner: str) -> int:
        """Give back the updates `owner` holds."""
        return await self._run(
            "UPDATE inbox SET claimed_by = NULL, lease_until = NULL"
            " WHERE claimed_by = ? AND handled_at IS NULL",
            (owner,),
        )

    async def unhandled_updates(self) -> int:
        """Return how many stored updates are not handled yet."""
        row = await self._one("SELECT count(*) FROM inbox WHERE handled_at IS NULL")
        return int(row[0])

    async def prune_inbox(self, before_ms: int) -> int:
        """Forget handled updates older than `before_ms`."""
        return await self._run(
            "DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ?", (before_ms,)
        )
