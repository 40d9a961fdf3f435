"""The repositories on PostgreSQL.

Most statements are plain SQL that both engines read the same way, so each PostgreSQL
repository is its SQLite sibling with `?` (or `:name`) placeholders numbered for asyncpg, and
"insert or ignore", a case-blind LIKE and an unlimited LIMIT spelled PostgreSQL's way (see
`_statement`); only the
statements where the dialects differ (new ids, "insert or ignore", sums of conditions, an
unlimited LIMIT) and the ones that must lock rows against other instances are written again
here. The rows read back in the same types, so `bot.storage.sqlite.rows` turns both into
domain objects.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.domain.models import Invite, Pair, Person, Prompt, PromptKind
from bot.domain.outbox import InboxItem, NewMessage
from bot.storage.sqlite.inbox import InboxRepository
from bot.storage.sqlite.invites import INVITE_COLUMNS, InvitesRepository, invite_row
from bot.storage.sqlite.nudges import NudgesRepository
from bot.storage.sqlite.outbox import OutboxRepository
from bot.storage.sqlite.pairs import NEXT_DUE_SQL, PairsRepository
from bot.storage.sqlite.people import PeopleRepository
from bot.storage.sqlite.prompts import PromptsRepository
from bot.storage.sqlite.rows import (
    PAIR_COLUMNS,
    PERSON_COLUMNS,
    PROMPT_COLUMNS,
    Repository,
    pair_row,
    person_row,
    prefixed,
    prompt_row,
    to_ts,
)
from bot.storage.sqlite.stats import StatsRepository

# A connection of its own or one lent by the pool: both run statements alike.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """Turn `?` placeholders into PostgreSQL's `$1, $2, ...` (our SQL has no `?` in literals),
    and SQLite's `INSERT OR IGNORE INTO t (...) VALUES (...)` into PostgreSQL's
    `INSERT INTO t (...) VALUES (...) ON CONFLICT DO NOTHING`."""
    if sql.startswith("INSERT OR IGNORE INTO "):
        head, returning, tail = sql.partition(" RETURNING ")
        sql = "INSERT INTO " + head.removeprefix("INSERT OR IGNORE INTO ")
        sql += " ON CONFLICT DO NOTHING" + (returning + tail if returning else "")
    pieces = sql.split("?")
    return pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], start=1))


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=256)
def _named(sql: str) -> tuple[str, tuple[str, ...]]:
    """SQLite's `:name` parameters as `$n`, with the names in their numbered order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


def _statement(sql: str, params: Sequence[Any] | dict[str, Any]) -> tuple[str, list[Any]]:
    # SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE does the same.
    sql = sql.replace(" LIKE ", " ILIKE ")
    if not isinstance(params, dict):
        return numbered(sql), _arguments(params)
    text, names = _named(sql)
    # SQLite's LIMIT -1 (no limit) is PostgreSQL's LIMIT NULL.
    values = [None if name == "limit" and params[name] < 0 else params[name] for name in names]
    return text, _arguments(values)


def _arguments(params: Sequence[Any]) -> list[Any]:
    # Flags are INTEGER 0/1 columns, as in SQLite; asyncpg wants ints for them, not bools.
    return [int(value) if isinstance(value, bool) else value for value in params]


def affected(status: str) -> int:
    """Read the row count from a command tag such as 'UPDATE 3' or 'INSERT 0 1'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresRepository(Repository):
    """Statements on one asyncpg connection, inside the transaction it is in."""

    def __init__(self, conn: Connection) -> None:
        # The SQLite connection attribute (`_conn`) is deliberately left unset: a method that
        # reached for it would fail at once instead of running SQLite-only code.
        self._pg = conn

    async def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        text, values = _statement(sql, params)
        return await self._pg.fetchrow(text, *values)

    async def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        text, values = _statement(sql, params)
        return list(await self._pg.fetch(text, *values))

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        text, values = _statement(sql, params)
        return affected(await self._pg.execute(text, *values))


class PostgresPeople(PostgresRepository, PeopleRepository):
    """People, in PostgreSQL."""

    async def lock_people(self, user_ids: Sequence[int]) -> None:
        """Lock the people's rows in ascending order (one order everywhere: no deadlock)."""
        await self._pg.fetch(
            "SELECT user_id FROM people WHERE user_id = ANY($1::bigint[])"
            " ORDER BY user_id FOR UPDATE",
            sorted(set(user_ids)),
        )


class PostgresInvites(PostgresRepository, InvitesRepository):
    """Invites and wrong codes tried, in PostgreSQL."""

    async def expired_invites(self, now: dt.datetime, limit: int) -> list[Invite]:
        """Claim up to `limit` expired invites nobody told about (skipping rows held by
        another instance's tick)."""
        rows = await self._all(
            f"SELECT {INVITE_COLUMNS} FROM invites WHERE expires_at <= ? AND used_at IS NULL"
            " AND told IS NULL ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (to_ts(now), limit),
        )
        return [invite_row(row) for row in rows]


class PostgresPairs(PostgresRepository, PairsRepository):
    """Pairs, in PostgreSQL."""

    async def lock_pair_of(self, user_id: int) -> Pair | None:
        """Return the person's active pair, its row locked until the transaction ends (a pair
        ended meanwhile is not returned: the lock re-reads the row)."""
        row = await self._one(
            f"SELECT {prefixed(PAIR_COLUMNS, 'p')}"
            " FROM people AS x JOIN pairs AS p ON p.id = x.pair_id"
            " WHERE x.user_id = ? AND p.ended_at IS NULL FOR UPDATE OF p",
            (user_id,),
        )
        return None if row is None else pair_row(row)

    async def note_pause_started(self, pair_id: int, now: dt.datetime) -> None:
        """Remember that the pair's pause began at `now` (parameters typed: PostgreSQL does not
        infer them from an INSERT ... SELECT's columns)."""
        await self._run(
            "INSERT INTO pause_spans (pair_id, started_at) SELECT CAST(? AS BIGINT),"
            " CAST(? AS BIGINT) WHERE NOT EXISTS (SELECT 1 FROM pause_spans WHERE pair_id = ?"
            " AND ended_at IS NULL) ON CONFLICT DO NOTHING",
            (pair_id, to_ts(now), pair_id),
        )

    async def set_next_dues(self, dues: Sequence[tuple[int, dt.datetime | None]]) -> None:
        """set_next_due for many pairs in one statement (a tick's batch)."""
        await self._pg.executemany(
            numbered(NEXT_DUE_SQL),
            [(None if due is None else to_ts(due), pair_id) for pair_id, due in dues],
        )

    async def due_pairs(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Claim up to `limit` due pairs for this transaction: rows another instance's tick
        (or a person's change) holds are skipped, so ticks on every instance share the work."""
        rows = await self._all(
            f"SELECT {PAIR_COLUMNS} FROM pairs WHERE next_due_at <= ? AND ended_at IS NULL"
            " ORDER BY next_due_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (to_ts(now), limit),
        )
        return [pair_row(row) for row in rows]

    async def pauses_ending(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Claim paused pairs whose timed pause has run out (skipping rows held elsewhere)."""
        rows = await self._all(
            f"SELECT {PAIR_COLUMNS} FROM pairs WHERE pause_ends_at <= ? AND paused = 1"
            " AND ended_at IS NULL ORDER BY pause_ends_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (to_ts(now), limit),
        )
        return [pair_row(row) for row in rows]

    async def _insert_pair(
        self, members: tuple[int, int], row: tuple[str, str, str, int, int]
    ) -> int:
        found = await self._one(
            "INSERT INTO pairs (member_a, member_b, timezone, send_time, frequency, seed,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (members[0], members[1], *row),
        )
        return int(found[0])


class PostgresPrompts(PostgresRepository, PromptsRepository):
    """Prompts and answers, in PostgreSQL."""

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
        row = await self._one(
            f"INSERT INTO prompts (pair_id, kind, content_id, text, author_id, local_date,"
            f" sent_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            f" RETURNING {PROMPT_COLUMNS}",
            (pair_id, kind.value, content_id, text, author_id, local_date.isoformat(), to_ts(now)),
        )
        return None if row is None else prompt_row(row)

    async def record_sent_message(self, chat_id: int, message_id: int, prompt_id: int) -> None:
        """Remember that a bot message carried a prompt, so replies to it find the prompt."""
        await self._run(
            "INSERT INTO sent_messages (chat_id, message_id, prompt_id) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (chat_id, message_id, prompt_id),
        )

    async def question_days(
        self, pair_id: int, first: dt.date, last: dt.date
    ) -> list[tuple[dt.date, bool]]:
        """Return (local date, both answered) of the pair's questions between the two days."""
        rows = await self._all(
            "SELECT local_date, bool_or(revealed_at IS NOT NULL) FROM prompts WHERE pair_id = ?"
            " AND kind = 'question' AND skipped_at IS NULL AND local_date BETWEEN ? AND ?"
            " GROUP BY local_date ORDER BY local_date",
            (pair_id, first.isoformat(), last.isoformat()),
        )
        return [(dt.date.fromisoformat(row[0]), bool(row[1])) for row in rows]

    async def mark_reminded(self, prompt_id: int, user_id: int, now: dt.datetime) -> bool:
        """Record a reminder; False if this person was already reminded of this question."""
        sql = (
            "INSERT INTO reminders_sent (prompt_id, user_id, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
        return await self._run(sql, (prompt_id, user_id, to_ts(now))) == 1

    async def add_reaction(
        self, prompt_id: int, user_id: int, kind: str, now: dt.datetime
    ) -> bool:
        """Record a reaction to a revealed answer; False if the same one was sent before."""
        sql = (
            "INSERT INTO reactions (prompt_id, user_id, kind, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
        return await self._run(sql, (prompt_id, user_id, kind, to_ts(now))) == 1


class PostgresNudges(PostgresRepository, NudgesRepository):
    """Compliment nudges, in PostgreSQL."""

    async def due_nudges(self, now: dt.datetime, limit: int) -> list[Person]:
        """Claim people whose compliment nudge is due (skipping rows held elsewhere)."""
        rows = await self._all(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE next_nudge_at <= ?"
            " ORDER BY next_nudge_at LIMIT ? FOR UPDATE SKIP LOCKED",
            (to_ts(now), limit),
        )
        return [person_row(row) for row in rows]

    async def record_nudge_message(self, chat_id: int, message_id: int, nudge_id: int) -> None:
        """Remember which bot message carried a nudge, so a reply to it becomes the gift."""
        await self._run(
            "INSERT INTO nudge_messages (chat_id, message_id, nudge_id) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (chat_id, message_id, nudge_id),
        )


class PostgresStats(PostgresRepository, StatsRepository):
    """Operator figures, in PostgreSQL."""

    async def stats(self, now: dt.datetime) -> dict[str, int | float]:
        """Return operator figures: pairs by state, questions and answer rates, queue size."""
        figures: dict[str, int | float] = {}
        row = await self._one(
            "SELECT"
            " count(*) FILTER (WHERE ended_at IS NULL AND paused = 0),"
            " count(*) FILTER (WHERE ended_at IS NULL AND paused = 1),"
            " count(*) FILTER (WHERE ended_at IS NULL AND EXISTS (SELECT 1 FROM people AS x"
            "   WHERE x.pair_id = pairs.id AND x.blocked_at IS NOT NULL)),"
            " count(*) FILTER (WHERE ended_at IS NOT NULL)"
            " FROM pairs"
        )
        for index, name in enumerate(("active", "paused", "blocked", "ended")):
            figures[f"pairs_{name}"] = int(row[index] or 0)
        for days in (7, 30):
            since = to_ts(now - dt.timedelta(days=days))
            counts = await self._one(
                "SELECT count(*), count(*) FILTER (WHERE revealed_at IS NOT NULL),"
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


class PostgresInbox(PostgresRepository, InboxRepository):
    """The durable inbox, in PostgreSQL: claims skip rows another instance is claiming."""

    async def claim_updates(
        self, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[InboxItem]:
        """Claim the earliest unhandled update of up to `limit` chats nobody else holds."""
        # The rows are picked once, locked (skipping rows another instance is claiming),
        # and the claim condition is checked again on the locked row: under READ COMMITTED a
        # row claimed and committed meanwhile by another instance is left alone.
        rows = await self._all(
            "WITH firsts AS (SELECT min(update_id) AS id FROM inbox WHERE handled_at IS NULL"
            " GROUP BY lane),"
            " picked AS (SELECT i.update_id FROM inbox AS i JOIN firsts AS f"
            "  ON i.update_id = f.id WHERE i.claimed_by IS NULL OR i.lease_until < ?"
            "  ORDER BY i.update_id LIMIT ? FOR UPDATE OF i SKIP LOCKED)"
            " UPDATE inbox SET claimed_by = ?, lease_until = ? FROM picked"
            " WHERE inbox.update_id = picked.update_id"
            " AND (inbox.claimed_by IS NULL OR inbox.lease_until < ?)"
            " AND inbox.handled_at IS NULL"
            " RETURNING inbox.update_id, inbox.payload",
            (now_ms, limit, owner, now_ms + lease_ms, now_ms),
        )
        return sorted((InboxItem(row[0], row[1]) for row in rows), key=lambda i: i.update_id)


class PostgresOutbox(PostgresRepository, OutboxRepository):
    """The durable outbox, in PostgreSQL."""

    async def enqueue(self, messages: Sequence[NewMessage], now: dt.datetime) -> None:
        """Add messages to the outbox; they are sent by the delivery loop."""
        await self._pg.executemany(
            numbered(
                "INSERT INTO outbox (user_id, chat_id, kind, prompt_id, payload, priority,"
                " not_before, created_at, about_user_id, coalesce_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
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
