"""Prompts and answers: the daily questions, answers and reveals, questions partners wrote,
history, streaks, reminders and reactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.intent import PendingAnswer, PendingReason
from bot.domain.models import (
    Answer,
    AnswerKind,
    HistoryEntry,
    JournalFilter,
    Prompt,
    PromptKind,
    QuestionFacts,
    ReminderDue,
)
from bot.storage.sqlite.rows import (
    ANSWER_COLUMNS,
    PAIR_COLUMNS,
    PERSON_COLUMNS,
    PROMPT_COLUMNS,
    Repository,
    answer_row,
    from_ts,
    pair_row,
    person_row,
    prefixed,
    prompt_row,
    required_ts,
    to_ts,
)


class PromptsRepository(Repository):
    """Prompts and answers, in SQLite."""

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
        row = await self._one(f"SELECT {PROMPT_COLUMNS} FROM prompts WHERE id = ?", (prompt_id,))
        return None if row is None else prompt_row(row)

    async def content_history(self, pair_id: int, kind: PromptKind) -> list[str]:
        """Return the library ids the pair received, oldest first."""
        rows = await self._all(
            "SELECT content_id FROM prompts WHERE pair_id = ? AND kind = ?"
            " AND content_id IS NOT NULL ORDER BY id",
            (pair_id, kind.value),
        )
        return [row[0] for row in rows]

    async def question_facts(self, pair_ids: Sequence[int]) -> dict[int, QuestionFacts]:
        """Return, for each pair, what choosing its next question reads (one query each)."""
        if not pair_ids:
            return {}
        ids = list(pair_ids)
        marks = ", ".join("?" * len(ids))
        history: dict[int, list[str]] = {pair_id: [] for pair_id in ids}
        for pair_id, content_id in await self._all(
            f"SELECT pair_id, content_id FROM prompts WHERE pair_id IN ({marks})"
            " AND kind = 'question' AND content_id IS NOT NULL ORDER BY pair_id, id",
            ids,
        ):
            history[pair_id].append(content_id)
        counts = {
            row[0]: (int(row[1]), int(row[2]))
            for row in await self._all(
                "SELECT pair_id,"
                " sum(CASE WHEN kind = 'question' AND skipped_at IS NULL THEN 1 ELSE 0 END),"
                " sum(CASE WHEN revealed_at IS NOT NULL THEN 1 ELSE 0 END)"
                f" FROM prompts WHERE pair_id IN ({marks}) GROUP BY pair_id",
                ids,
            )
        }
        custom: dict[int, tuple[int, int, str]] = {}
        for pair_id, question_id, author_id, text in await self._all(
            "SELECT pair_id, id, author_id, text FROM custom_questions"
            f" WHERE pair_id IN ({marks}) AND used_at IS NULL ORDER BY id",
            ids,
        ):
            custom.setdefault(pair_id, (question_id, author_id, text))
        return {
            pair_id: QuestionFacts(
                history=tuple(history[pair_id]),
                questions_sent=counts.get(pair_id, (0, 0))[0],
                shared_answers=counts.get(pair_id, (0, 0))[1],
                custom=custom.get(pair_id),
            )
            for pair_id in ids
        }

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
        """Return the pair's questions not yet revealed nor closed, oldest first."""
        rows = await self._all(
            f"SELECT {PROMPT_COLUMNS} FROM prompts WHERE pair_id = ? AND revealed_at IS NULL"
            " AND skipped_at IS NULL AND closed_at IS NULL AND kind = 'question' ORDER BY id",
            (pair_id,),
        )
        return [prompt_row(row) for row in rows]

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
            f"SELECT {prefixed(PROMPT_COLUMNS, 'p')}"
            " FROM sent_messages AS s JOIN prompts AS p ON p.id = s.prompt_id"
            " WHERE s.chat_id = ? AND s.message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else prompt_row(row)

    async def question_message_of(self, chat_id: int, prompt_id: int) -> int | None:
        """Return the id of the message in `chat_id` that asked the question (the first one
        that carried the prompt: reminders and reveals that carry it come later), if sent."""
        row = await self._one(
            "SELECT MIN(message_id) FROM sent_messages WHERE chat_id = ? AND prompt_id = ?",
            (chat_id, prompt_id),
        )
        return None if row is None or row[0] is None else int(row[0])

    async def question_message_before(self, chat_id: int, message_id: int) -> int | None:
        """Return the id of the last question message sent to `chat_id` before `message_id`
        (the one pinned until now), if any: each earlier prompt's first message in the chat
        asked it, and the latest of those is the question before."""
        row = await self._one(
            "SELECT MAX(first) FROM (SELECT MIN(message_id) AS first FROM sent_messages"
            " WHERE chat_id = ? AND message_id < ? GROUP BY prompt_id) AS asked",
            (chat_id, message_id),
        )
        return None if row is None or row[0] is None else int(row[0])

    async def keep_pending(self, pending: PendingAnswer) -> int:
        """Keep a message until its writer says what it is (the same message again replaces
        the earlier row); forget expired ones; return the row's id."""
        await self._run(
            "DELETE FROM pending_answers WHERE expires_at <= ?", (to_ts(pending.created_at),)
        )
        row = await self._one(
            "INSERT INTO pending_answers (user_id, chat_id, message_id, prompt_id, reason, kind,"
            " text, file_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id, message_id) DO UPDATE SET prompt_id = excluded.prompt_id,"
            " reason = excluded.reason, expires_at = excluded.expires_at RETURNING id",
            (
                pending.user_id,
                pending.chat_id,
                pending.message_id,
                pending.prompt_id,
                pending.reason.value,
                pending.kind.value,
                pending.text,
                pending.file_id,
                to_ts(pending.created_at),
                to_ts(pending.expires_at),
            ),
        )
        return int(row[0])

    async def get_pending(self, pending_id: int) -> PendingAnswer | None:
        """Return a kept message by id."""
        row = await self._one(
            "SELECT id, user_id, chat_id, message_id, prompt_id, reason, kind, text, file_id,"
            " created_at, expires_at FROM pending_answers WHERE id = ?",
            (pending_id,),
        )
        if row is None:
            return None
        return PendingAnswer(
            id=int(row[0]),
            user_id=int(row[1]),
            chat_id=int(row[2]),
            message_id=int(row[3]),
            prompt_id=None if row[4] is None else int(row[4]),
            reason=PendingReason(row[5]),
            kind=AnswerKind(row[6]),
            text=str(row[7]),
            file_id=row[8],
            created_at=required_ts(row[9]),
            expires_at=required_ts(row[10]),
        )

    async def drop_pending(self, pending_id: int) -> bool:
        """Forget a kept message; say whether it was there."""
        return await self._run("DELETE FROM pending_answers WHERE id = ?", (pending_id,)) > 0

    async def answers_to(self, prompt_id: int) -> list[Answer]:
        """Return every answer to a prompt."""
        rows = await self._all(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE prompt_id = ? ORDER BY answered_at",
            (prompt_id,),
        )
        return [answer_row(row) for row in rows]

    async def answer_for_message(self, chat_id: int, message_id: int) -> Answer | None:
        """Return the answer a partner's message became (as the answer or as its guess)."""
        row = await self._one(
            f"SELECT {ANSWER_COLUMNS} FROM answers WHERE chat_id = ? AND message_id = ?"
            f" UNION ALL SELECT {ANSWER_COLUMNS} FROM answers"
            " WHERE chat_id = ? AND guess_message_id = ? LIMIT 1",
            (chat_id, message_id, chat_id, message_id),
        )
        return None if row is None else answer_row(row)

    async def save_guess(
        self, prompt_id: int, user_id: int, guess: str, message_id: int, now: dt.datetime
    ) -> bool:
        """Store a guess at the partner's answer beside one's own; True if it replaced one."""
        row = await self._one(
            "SELECT guess FROM answers WHERE prompt_id = ? AND user_id = ?", (prompt_id, user_id)
        )
        await self._run(
            "UPDATE answers SET guess = ?, guess_message_id = ?, updated_at = ?"
            " WHERE prompt_id = ? AND user_id = ?",
            (guess, message_id, to_ts(now), prompt_id, user_id),
        )
        return row is not None and row[0] is not None

    async def set_guess_verdict(self, prompt_id: int, guesser_id: int, right: bool) -> bool:
        """Record the partner's word on a guess; False if there is no such guess."""
        changed = await self._run(
            "UPDATE answers SET guess_verdict = ? WHERE prompt_id = ? AND user_id = ?"
            " AND guess IS NOT NULL",
            (int(right), prompt_id, guesser_id),
        )
        return changed == 1

    async def guess_tally(self, pair_id: int) -> tuple[int, int]:
        """Return (guesses judged right, guesses judged) over the pair's revealed questions."""
        row = await self._one(
            "SELECT coalesce(sum(a.guess_verdict), 0), count(a.guess_verdict)"
            " FROM answers AS a JOIN prompts AS p ON p.id = a.prompt_id"
            " WHERE p.pair_id = ? AND p.revealed_at IS NOT NULL",
            (pair_id,),
        )
        return int(row[0]), int(row[1])

    async def question_count(self, pair_id: int) -> int:
        """Return how many questions the pair has been sent (swapped ones not counted)."""
        row = await self._one(
            "SELECT count(*) FROM prompts WHERE pair_id = ? AND kind = 'question'"
            " AND skipped_at IS NULL",
            (pair_id,),
        )
        return int(row[0])

    async def save_answer(self, answer: Answer, now: dt.datetime) -> bool:
        """Store an answer, replacing the person's earlier one; True if it replaced one."""
        replaced = await self.has_answered(answer.prompt_id, answer.user_id)
        await self._run(
            "INSERT INTO answers (prompt_id, user_id, kind, text, file_id, chat_id, message_id,"
            " answered_at, updated_at, choice) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(prompt_id, user_id) DO UPDATE SET kind = excluded.kind,"
            " text = excluded.text, file_id = excluded.file_id, chat_id = excluded.chat_id,"
            " message_id = excluded.message_id, updated_at = excluded.updated_at,"
            " choice = excluded.choice",
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
                answer.choice,
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
        """Record the reveal; True only for the one call that made it (never twice, and never
        for a closed question)."""
        return (
            await self._run(
                "UPDATE prompts SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL"
                " AND closed_at IS NULL",
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
        self,
        user_id: int,
        *,
        revealed_only: bool,
        limit: int = -1,
        offset: int = 0,
        where: str = "",
        params: dict[str, object] | None = None,
    ) -> list[HistoryEntry]:
        """The person's questions with their answer, their partner's and the partner's name,
        in one query (newest revealed first when `revealed_only`, else in order); `where`
        narrows it with more conditions on p (prompt), m (mine) and t (theirs)."""
        order = "p.revealed_at DESC, p.id DESC" if revealed_only else "p.id"
        revealed = " AND p.revealed_at IS NOT NULL" if revealed_only else ""
        revealed += where
        rows = await self._all(
            f"SELECT {prefixed(PROMPT_COLUMNS, 'p')},"
            f" {prefixed(ANSWER_COLUMNS, 'm')}, {prefixed(ANSWER_COLUMNS, 't')},"
            " o.first_name AS partner_name"
            " FROM prompts AS p JOIN pairs AS q ON q.id = p.pair_id"
            " LEFT JOIN answers AS m ON m.prompt_id = p.id AND m.user_id = :me"
            " LEFT JOIN answers AS t ON t.prompt_id = p.id AND t.user_id ="
            "   CASE WHEN q.member_a = :me THEN q.member_b ELSE q.member_a END"
            " LEFT JOIN people AS o ON o.user_id ="
            "   CASE WHEN q.member_a = :me THEN q.member_b ELSE q.member_a END"
            f" WHERE (q.member_a = :me OR q.member_b = :me){revealed}"
            f" ORDER BY {order} LIMIT :limit OFFSET :offset",
            {"me": user_id, "limit": limit, "offset": offset, **(params or {})},
        )
        prompt_width = len(PROMPT_COLUMNS.split(","))
        answer_width = len(ANSWER_COLUMNS.split(","))
        entries = []
        for row in rows:
            values = tuple(row)
            mine = values[prompt_width : prompt_width + answer_width]
            theirs = values[prompt_width + answer_width : prompt_width + 2 * answer_width]
            entries.append(
                HistoryEntry(
                    prompt_row(values),
                    None if mine[0] is None else answer_row(mine),
                    None if theirs[0] is None else answer_row(theirs),
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

    async def journal_page(
        self,
        user_id: int,
        *,
        before: tuple[dt.datetime, int] | None,
        limit: int,
        narrowed: JournalFilter,
    ) -> list[HistoryEntry]:
        """Return up to `limit` of the person's revealed questions (every pair they were in)
        that match `narrowed`, newest first, revealed before the (revealed_at, id) key
        `before` (keyset pagination: a page costs the same however deep the scroll)."""
        where: list[str] = []
        params: dict[str, object] = {}
        if before is not None:
            where.append(
                "(p.revealed_at < :before_at"
                " OR (p.revealed_at = :before_at AND p.id < :before_id))"
            )
            params.update(before_at=to_ts(before[0]), before_id=before[1])
        if narrowed.search.strip():
            escaped = narrowed.search.strip().replace("\\", "\\\\")
            escaped = escaped.replace("%", "\\%").replace("_", "\\_")
            params["search"] = f"%{escaped}%"
            where.append(
                "(p.text LIKE :search ESCAPE '\\' OR m.text LIKE :search ESCAPE '\\'"
                " OR t.text LIKE :search ESCAPE '\\')"
            )
        if narrowed.content_ids is not None:
            names = [f":c{index}" for index in range(len(narrowed.content_ids))]
            params.update(zip((n[1:] for n in names), sorted(narrowed.content_ids), strict=True))
            where.append(f"p.content_id IN ({', '.join(names) or 'NULL'})")
        if narrowed.partner_written:
            where.append("p.author_id IS NOT NULL")
        if narrowed.kind is not None:
            params["kind"] = narrowed.kind.value
            where.append("(m.kind = :kind OR t.kind = :kind)")
        return await self._entries(
            user_id,
            revealed_only=True,
            limit=limit,
            where="".join(f" AND {condition}" for condition in where),
            params=params,
        )

    async def revealed_entry(self, user_id: int, prompt_id: int) -> HistoryEntry | None:
        """Return one revealed question of the person's pairs with both answers, else None."""
        entries = await self._entries(
            user_id,
            revealed_only=True,
            limit=1,
            where=" AND p.id = :prompt",
            params={"prompt": prompt_id},
        )
        return entries[0] if entries else None

    async def question_days(
        self, pair_id: int, first: dt.date, last: dt.date
    ) -> list[tuple[dt.date, bool]]:
        """Return (local date, both answered) of the pair's questions between the two days."""
        rows = await self._all(
            "SELECT local_date, max(revealed_at IS NOT NULL) FROM prompts WHERE pair_id = ?"
            " AND kind = 'question' AND skipped_at IS NULL AND local_date BETWEEN ? AND ?"
            " GROUP BY local_date ORDER BY local_date",
            (pair_id, first.isoformat(), last.isoformat()),
        )
        return [(dt.date.fromisoformat(row[0]), bool(row[1])) for row in rows]

    async def all_entries_of(self, user_id: int) -> list[HistoryEntry]:
        """Return every question of every pair the person was in, with both answers (the
        partner's whether revealed or not: the caller decides what may be shown)."""
        return await self._entries(user_id, revealed_only=False)

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
            f"SELECT {prefixed(PROMPT_COLUMNS, 'p')}, {prefixed(PERSON_COLUMNS, 'x')},"
            f" {prefixed(PAIR_COLUMNS, 'q')},"
            " (SELECT MIN(m.not_before) FROM outbox AS m WHERE m.prompt_id = p.id"
            "   AND m.user_id = x.user_id AND m.kind = 'question'),"
            " EXISTS (SELECT 1 FROM answers AS o"
            "   WHERE o.prompt_id = p.id AND o.user_id <> x.user_id)"
            " FROM prompts AS p"
            " JOIN pairs AS q ON q.id = p.pair_id"
            " JOIN people AS x ON x.pair_id = q.id"
            " WHERE p.revealed_at IS NULL AND p.skipped_at IS NULL AND p.kind = 'question'"
            " AND p.closed_at IS NULL"
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
        prompt_width = len(PROMPT_COLUMNS.split(","))
        person_width = len(PERSON_COLUMNS.split(","))
        pair_width = len(PAIR_COLUMNS.split(","))
        found = []
        for row in rows:
            person_end = prompt_width + person_width
            found.append(
                ReminderDue(
                    prompt=prompt_row(row[:prompt_width]),
                    person=person_row(row[prompt_width:person_end]),
                    pair=pair_row(row[person_end : person_end + pair_width]),
                    partner_answered=bool(row[-1]),
                    delivered_at=from_ts(row[-2]),
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

    async def close_questions(self, sent_before: dt.datetime, now: dt.datetime, limit: int) -> int:
        """Close up to `limit` questions sent before `sent_before` and never revealed (on the
        partial index `prompts_closing`); return how many."""
        return await self._run(
            "UPDATE prompts SET closed_at = ? WHERE id IN (SELECT id FROM prompts"
            " WHERE sent_at < ? AND revealed_at IS NULL AND skipped_at IS NULL"
            " AND closed_at IS NULL AND kind = 'question' ORDER BY sent_at LIMIT ?)",
            (to_ts(now), to_ts(sent_before), limit),
        )

    async def recent_answerers(self, pair_id: int, days: int) -> list[frozenset[int]]:
        """Who answered each of the pair's last `days` questions (skipped ones left out),
        newest first."""
        rows = await self._all(
            "SELECT p.id, a.user_id FROM (SELECT id FROM prompts WHERE pair_id = ?"
            " AND kind = 'question' AND skipped_at IS NULL ORDER BY id DESC LIMIT ?) AS p"
            " LEFT JOIN answers AS a ON a.prompt_id = p.id ORDER BY p.id DESC",
            (pair_id, days),
        )
        found: dict[int, set[int]] = {}
        for prompt_id, user_id in rows:
            found.setdefault(prompt_id, set())
            if user_id is not None:
                found[prompt_id].add(user_id)
        return [frozenset(users) for users in found.values()]

    async def answered_since(self, pair_id: int, user_id: int, since: dt.datetime) -> bool:
        """Say whether the person answered any of the pair's questions after `since`."""
        row = await self._one(
            "SELECT 1 FROM answers AS a JOIN prompts AS p ON p.id = a.prompt_id"
            " WHERE p.pair_id = ? AND a.user_id = ? AND a.answered_at > ? LIMIT 1",
            (pair_id, user_id, to_ts(since)),
        )
        return row is not None
