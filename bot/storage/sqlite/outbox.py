"""The durable outbox: what the bot owes someone, claimed, sent or given up."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from bot.domain.outbox import MessageKind, NewMessage, OutboxItem, Priority
from bot.storage.sqlite.rows import CLAIM_PAGES, MAX_DELIVERY_ATTEMPTS, Repository, from_ts, to_ts


class OutboxRepository(Repository):
    """The durable outbox, in SQLite."""

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

    async def hold(self, item_id: int, not_before: dt.datetime) -> None:
        """Put a claimed message back, unsent and without counting an attempt, until
        `not_before` (its reader's morning)."""
        await self._run(
            "UPDATE outbox SET status = 'pending', not_before = ? WHERE id = ?"
            " AND status = 'claimed'",
            (to_ts(not_before), item_id),
        )

    async def take_sound(self, user_id: int, day: dt.date, budget: int) -> bool:
        """Spend one of the person's sounds for their local `day`; False when `budget` is
        already spent (the message then comes silently)."""
        row = await self._one(
            "UPDATE people SET sounds = CASE WHEN sounds_day = ? THEN sounds + 1 ELSE 1 END,"
            " sounds_day = ? WHERE user_id = ? AND (sounds_day IS NULL OR sounds_day <> ?"
            " OR sounds < ?) RETURNING sounds",
            (day.isoformat(), day.isoformat(), user_id, day.isoformat(), budget),
        )
        return row is not None

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
