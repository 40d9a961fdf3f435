"""Operator figures and small operational facts."""

from __future__ import annotations

import datetime as dt

from bot.storage.sqlite.rows import Repository, to_ts


class StatsRepository(Repository):
    """Operator figures and small operational facts., in SQLite."""

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
