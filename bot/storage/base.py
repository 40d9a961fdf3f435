"""The storage seam: what the rest of the bot may ask of a database.

One protocol per aggregate (people, invites, pairs, prompts and answers, nudges, stats, outbox)
makes up `StoreTransaction`; `bot.storage.sqlite` implements each as a repository on SQLite and
`bot.storage.postgres` on PostgreSQL, and nothing outside `bot.storage` knows which runs: use
cases, handlers, the scheduler and delivery are typed against `Store` and `StoreTransaction`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from bot.domain.intent import PendingAnswer
from bot.domain.models import (
    Answer,
    HistoryEntry,
    Invite,
    JournalFilter,
    Nudge,
    Pair,
    PauseSpan,
    Person,
    Preferences,
    Prompt,
    PromptKind,
    QuestionFacts,
    ReminderDue,
    Schedule,
)
from bot.domain.outbox import InboxItem, NewMessage, OutboxItem


class PeopleStore(Protocol):
    """People, their own settings and allowances, and deleting a person."""

    async def upsert_person(
        self, user_id: int, chat_id: int, first_name: str, now: dt.datetime
    ) -> Person:
        """Record that someone talked to the bot; keep their name and chat up to date."""
        ...

    async def get_person(self, user_id: int) -> Person | None:
        """Return the person with `user_id`, if they ever talked to the bot."""
        ...

    async def people_by_id(self, user_ids: Sequence[int]) -> dict[int, Person]:
        """Return the people among `user_ids` who are stored, by user id."""
        ...

    async def set_blocked(self, user_id: int, blocked_at: dt.datetime | None) -> bool:
        """Mark (or clear) that a person blocked the bot; True if this changed anything."""
        ...

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
        ...

    async def set_language(
        self, user_id: int, *, chosen: str | None = None, telegram: str | None = None
    ) -> None:
        """Record the language a person chose, or the one their Telegram app reports."""
        ...

    async def set_clock(
        self, user_id: int, *, timezone: str | None = None, send_time: dt.time | None = None
    ) -> None:
        """Set a person's own zone or question time; arguments left as None stay."""
        ...

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
        ...

    async def lock_people(self, user_ids: Sequence[int]) -> None:
        """Hold these people's rows until the transaction ends, taken in one order (pairing
        two people touches both, and their invites: crossing invites must not deadlock)."""
        ...

    async def delete_person(self, user_id: int, placeholder_question: str) -> None:
        """Delete everything stored about a person, in every table (see the SQLite store)."""
        ...

    async def count_action(
        self, user_id: int, action: str, now: dt.datetime, window: dt.timedelta
    ) -> int:
        """Count one more `action` by the person; return how many in the current window."""
        ...

    async def action_count(
        self, user_id: int, action: str, now: dt.datetime, window: dt.timedelta
    ) -> int:
        """Return how many times the person did `action` in the current window."""
        ...


class InviteStore(Protocol):
    """Invites and wrong codes tried."""

    async def replace_invite(self, invite: Invite) -> None:
        """Store a new invite; the inviter's earlier unused invites stop working."""
        ...

    async def get_invite(self, code: str) -> Invite | None:
        """Return the invite with `code`, used or not."""
        ...

    async def use_invite(self, code: str, user_id: int, now: dt.datetime) -> bool:
        """Spend an unused invite; False if someone spent it first."""
        ...

    async def expired_invites(self, now: dt.datetime, limit: int) -> list[Invite]:
        """Claim up to `limit` invites that expired unused with their inviter not yet told."""
        ...

    async def mark_invite_told(self, code: str, told: str, *, unless: tuple[str, ...]) -> bool:
        """Record what the inviter was told about an unused invite; False if said before."""
        ...

    async def invite_failures(self, user_id: int, since: dt.datetime) -> int:
        """Return how many wrong invite codes the person tried since `since`."""
        ...

    async def note_invite_failure(
        self, user_id: int, now: dt.datetime, since: dt.datetime
    ) -> None:
        """Count a wrong invite code; the count restarts when its window is over."""
        ...


class PairStore(Protocol):
    """Pairs, their schedules, preferences and pauses."""

    async def create_pair(
        self, members: tuple[int, int], schedule: Schedule, seed: int, now: dt.datetime
    ) -> Pair | None:
        """Pair two unpaired people; None (and nothing written) if either is already paired."""
        ...

    async def get_pair(self, pair_id: int) -> Pair | None:
        """Return a pair, active or ended."""
        ...

    async def active_pair_of(self, user_id: int) -> Pair | None:
        """Return the pair `user_id` is in now, if any."""
        ...

    async def lock_pair_of(self, user_id: int) -> Pair | None:
        """Return the pair `user_id` is in now, if any, and hold it until the transaction ends:
        changes to one pair (answers and reveals, pauses, settings, unpairing) run one at a
        time, whichever instance makes them. Only in a writing transaction."""
        ...

    async def end_pair(self, pair_id: int, now: dt.datetime) -> bool:
        """End a pair: no more prompts; both people are free to pair again."""
        ...

    async def set_schedule(self, pair_id: int, schedule: Schedule) -> None:
        """Store a pair's send time, time zone and frequency."""
        ...

    async def set_next_due(self, pair_id: int, due_at: dt.datetime | None) -> None:
        """Store when the pair's next question is due (None: nothing scheduled)."""
        ...

    async def set_next_dues(self, dues: Sequence[tuple[int, dt.datetime | None]]) -> None:
        """set_next_due for many pairs in one statement (a tick's batch)."""
        ...

    async def due_pairs(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return up to `limit` active pairs whose next question is due at `now`, oldest first."""
        ...

    async def pairs_of(self, user_id: int) -> list[Pair]:
        """Return every pair the person was ever in."""
        ...

    async def set_preferences(self, pair_id: int, preferences: Preferences) -> None:
        """Store which categories and depth a pair receives."""
        ...

    async def pause(self, pair_id: int, until: dt.datetime | None, by: int) -> None:
        """Stop everything scheduled for the pair until `until` (None: until resumed)."""
        ...

    async def resume(self, pair_id: int, next_due_at: dt.datetime) -> bool:
        """End a pause and schedule the next question; False if it was not paused."""
        ...

    async def pauses_ending(self, now: dt.datetime, limit: int) -> list[Pair]:
        """Return paused pairs whose timed pause has run out."""
        ...

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
        """Change the pair's distance, stage ("" clears it), anniversary, opt-in pace, heat or
        short series ("" ends it) and how far it is;
        arguments left as None stay as they are."""
        ...

    async def add_topic_consent(
        self, pair_id: int, category: str, user_id: int, now: dt.datetime
    ) -> None:
        """Record one partner's yes to an opt-in topic."""
        ...

    async def topic_consents(self, pair_id: int, category: str) -> frozenset[int]:
        """Return who in the pair said yes to an opt-in topic."""
        ...

    async def clear_topic_consents(self, pair_id: int, category: str) -> None:
        """Forget every yes to an opt-in topic (it was turned off or declined)."""
        ...

    async def topics_asked(self, pair_id: int, user_id: int) -> frozenset[str]:
        """Return the opt-in topics the person said yes to that are waiting for the partner."""

    async def absence_of(self, pair_id: int) -> tuple[int, dt.datetime] | None:
        """The partner whose absence paused the pair, and when they were told."""
        ...

    async def note_absence(self, pair_id: int, user_id: int, now: dt.datetime) -> None:
        """Record that `user_id`'s absence paused the pair."""
        ...

    async def note_pause_started(self, pair_id: int, now: dt.datetime) -> None:
        """Remember that the pair's pause began at `now` (for the journal's calendar)."""
        ...

    async def note_pause_ended(self, pair_id: int, now: dt.datetime) -> None:
        """Remember that the pair's current pause ended at `now`."""
        ...

    async def pause_spans(self, pair_id: int, since: dt.datetime) -> list[PauseSpan]:
        """Return the pair's pauses that lasted into `since` or began after it, oldest first."""
        ...


class PromptStore(Protocol):
    """Prompts and answers, questions partners wrote, history, streaks, reminders, reactions."""

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
        ...

    async def get_prompt(self, prompt_id: int) -> Prompt | None:
        """Return one prompt by id."""
        ...

    async def content_history(self, pair_id: int, kind: PromptKind) -> list[str]:
        """Return the library ids the pair received, oldest first."""
        ...

    async def question_facts(self, pair_ids: Sequence[int]) -> dict[int, QuestionFacts]:
        """Return, for each pair, what choosing its next question reads (one query each)."""
        ...

    async def shared_answer_count(self, pair_id: int) -> int:
        """Return how many questions both partners of the pair answered."""
        ...

    async def last_prompt_day(self, pair_id: int, kind: PromptKind) -> dt.date | None:
        """Return the latest local day the pair received a prompt of `kind`."""
        ...

    async def open_prompts(self, pair_id: int) -> list[Prompt]:
        """Return the pair's questions not yet revealed, oldest first."""
        ...

    async def close_questions(self, sent_before: dt.datetime, now: dt.datetime, limit: int) -> int:
        """Close up to `limit` unrevealed questions sent before `sent_before`; return how many."""
        ...

    async def recent_answerers(self, pair_id: int, days: int) -> list[frozenset[int]]:
        """Who answered each of the pair's last `days` questions, newest first."""
        ...

    async def answered_since(self, pair_id: int, user_id: int, since: dt.datetime) -> bool:
        """Say whether the person answered any of the pair's questions after `since`."""
        ...

    async def record_sent_message(self, chat_id: int, message_id: int, prompt_id: int) -> None:
        """Remember that a bot message carried a prompt, so replies to it find the prompt."""
        ...

    async def prompt_for_message(self, chat_id: int, message_id: int) -> Prompt | None:
        """Return the prompt a bot message in `chat_id` carried, if any."""
        ...

    async def answers_to(self, prompt_id: int) -> list[Answer]:
        """Return every answer to a prompt."""
        ...

    async def question_message_of(self, chat_id: int, prompt_id: int) -> int | None:
        """Return the id of the message in `chat_id` that asked the question (the first one
        that carried the prompt), if it was sent."""
        ...

    async def question_message_before(self, chat_id: int, message_id: int) -> int | None:
        """Return the id of the last question message sent to `chat_id` before `message_id`
        (the one pinned until now), if any."""
        ...

    async def keep_pending(self, pending: PendingAnswer) -> int:
        """Keep a message until its writer says what it is (the same message again replaces
        the earlier row); forget expired ones; return the row's id."""
        ...

    async def get_pending(self, pending_id: int) -> PendingAnswer | None:
        """Return a kept message by id."""
        ...

    async def drop_pending(self, pending_id: int) -> bool:
        """Forget a kept message; say whether it was there."""
        ...

    async def answer_for_message(self, chat_id: int, message_id: int) -> Answer | None:
        """Return the answer a partner's message became (as the answer or as its guess)."""
        ...

    async def save_guess(
        self, prompt_id: int, user_id: int, guess: str, message_id: int, now: dt.datetime
    ) -> bool:
        """Store a guess at the partner's answer beside one's own; True if it replaced one."""
        ...

    async def set_guess_verdict(self, prompt_id: int, guesser_id: int, right: bool) -> bool:
        """Record the partner's word on a guess; False if there is no such guess."""
        ...

    async def guess_tally(self, pair_id: int) -> tuple[int, int]:
        """Return (guesses judged right, guesses judged) over the pair's revealed questions."""
        ...

    async def question_count(self, pair_id: int) -> int:
        """Return how many questions the pair has been sent (swapped ones not counted)."""
        ...

    async def save_answer(self, answer: Answer, now: dt.datetime) -> bool:
        """Store an answer, replacing the person's earlier one; True if it replaced one."""
        ...

    async def has_answered(self, prompt_id: int, user_id: int) -> bool:
        """Say whether `user_id` has answered the prompt."""
        ...

    async def mark_revealed(self, prompt_id: int, now: dt.datetime) -> bool:
        """Record the reveal; True only for the one call that made it (never twice)."""
        ...

    async def skip_prompt(self, prompt_id: int, now: dt.datetime) -> bool:
        """Set a question aside (nobody answered it); False if it is answered or gone."""
        ...

    async def streak_days(self, pair_id: int, limit: int = 400) -> list[tuple[dt.date, bool]]:
        """Return (local date, revealed) for the pair's latest questions, newest first."""
        ...

    async def revealed_history(
        self, user_id: int, offset: int, limit: int
    ) -> tuple[list[HistoryEntry], int]:
        """Return a page of the person's revealed questions, newest first, and the total."""
        ...

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
        `before`."""
        ...

    async def revealed_entry(self, user_id: int, prompt_id: int) -> HistoryEntry | None:
        """Return one revealed question of the person's pairs with both answers, else None."""
        ...

    async def question_days(
        self, pair_id: int, first: dt.date, last: dt.date
    ) -> list[tuple[dt.date, bool]]:
        """Return (local date, both answered) of the pair's questions between the two days."""
        ...

    async def all_entries_of(self, user_id: int) -> list[HistoryEntry]:
        """Return every question of every pair the person was in, with both answers (the
        partner's whether revealed or not: the caller decides what may be shown)."""
        ...

    async def add_custom_question(
        self, pair_id: int, author_id: int, text: str, now: dt.datetime
    ) -> None:
        """Queue a question a partner wrote for a coming day."""
        ...

    async def waiting_custom_questions(self, pair_id: int) -> int:
        """Return how many questions partners wrote that have not been asked yet."""
        ...

    async def next_custom_question(self, pair_id: int) -> tuple[int, int, str] | None:
        """Return (id, author, text) of the oldest waiting question a partner wrote."""
        ...

    async def use_custom_question(
        self, question_id: int, prompt_id: int, now: dt.datetime
    ) -> None:
        """Record that a partner's question became a day's question."""
        ...

    async def reminder_candidates(
        self,
        now: dt.datetime,
        since: dt.datetime,
        limit: int,
        after: tuple[int, int, int] | None = None,
    ) -> list[ReminderDue]:
        """Return people not yet reminded of an unanswered question sent between `since` and
        `now`, in (sent_at, prompt id, user id) order after the key `after`."""
        ...

    async def mark_reminded(self, prompt_id: int, user_id: int, now: dt.datetime) -> bool:
        """Record a reminder; False if this person was already reminded of this question."""
        ...

    async def add_reaction(
        self, prompt_id: int, user_id: int, kind: str, now: dt.datetime
    ) -> bool:
        """Record a reaction to a revealed answer; False if the same one was sent before."""
        ...


class NudgeStore(Protocol):
    """Compliment nudges and the appreciations they became."""

    async def due_nudges(self, now: dt.datetime, limit: int) -> list[Person]:
        """Return people whose compliment nudge is due (oldest first)."""
        ...

    async def recent_gifts(self, user_id: int, pair_id: int, limit: int) -> list[bool]:
        """For the person's latest `limit` nudges in a pair, newest first: was each answered?"""
        ...

    async def create_nudge(
        self, pair_id: int, user_id: int, content_id: str, local_date: dt.date, now: dt.datetime
    ) -> Nudge | None:
        """Record a nudge for a person's local day; None if that day already had one."""
        ...

    async def get_nudge(self, nudge_id: int) -> Nudge | None:
        """Return one nudge by id."""
        ...

    async def nudge_history(self, user_id: int) -> list[str]:
        """Return the appreciation prompt ids a person was sent, oldest first."""
        ...

    async def record_nudge_message(self, chat_id: int, message_id: int, nudge_id: int) -> None:
        """Remember which bot message carried a nudge, so a reply to it becomes the gift."""
        ...

    async def nudge_for_message(self, chat_id: int, message_id: int) -> Nudge | None:
        """Return the nudge a bot message in `chat_id` carried, if any."""
        ...

    async def open_nudge(self, user_id: int, since: dt.datetime) -> Nudge | None:
        """Return the person's latest nudge since `since` that they have not answered."""
        ...

    async def mark_gift(
        self, nudge_id: int, now: dt.datetime, chat_id: int, message_id: int
    ) -> None:
        """Record that the nudge was answered with an appreciation, and by which message."""
        ...

    async def gift_for_message(self, chat_id: int, message_id: int) -> Nudge | None:
        """Return the nudge a partner's message was passed on as a gift for, if any."""
        ...

    async def mark_heart(self, nudge_id: int, now: dt.datetime) -> bool:
        """Record a heart sent back for a gift; False if one was already sent."""
        ...


class StatsStore(Protocol):
    """Operator figures and small operational facts."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small operational fact (e.g. when the scheduler last ticked)."""
        ...

    async def get_meta(self, key: str) -> str | None:
        """Return a stored operational fact."""
        ...

    async def stats(self, now: dt.datetime) -> dict[str, int | float]:
        """Return operator figures: pairs by state, questions and answer rates, queue size."""
        ...


class OutboxStore(Protocol):
    """The durable outbox."""

    async def enqueue(self, messages: Sequence[NewMessage], now: dt.datetime) -> None:
        """Add messages to the outbox; they are sent by the delivery loop."""
        ...

    async def claim_outbox(
        self, now: dt.datetime, limit: int, per_chat: int = 1
    ) -> list[OutboxItem]:
        """Claim up to `limit` pending messages, most urgent first, at most `per_chat` in
        flight for any one chat."""
        ...

    async def pending_payload(self, coalesce_key: str) -> dict[str, Any] | None:
        """Return the payload of the pending row with `coalesce_key`, if one waits."""
        ...

    async def replace_pending_payload(
        self, coalesce_key: str, payload: dict[str, Any] | None
    ) -> None:
        """Rewrite the pending row with `coalesce_key`; None withdraws it."""
        ...

    async def cancel_pending(self, user_id: int, prompt_id: int, now: dt.datetime) -> int:
        """Withdraw the messages about a prompt still waiting for `user_id`."""
        ...

    async def advance_part(self, item_id: int, part: int) -> None:
        """Record that the first `part` pieces of a message were delivered."""
        ...

    async def finish(
        self, item_id: int, *, sent: bool, now: dt.datetime, error: str | None = None
    ) -> None:
        """Close a claimed message as sent or failed."""
        ...

    async def retry_later(self, item_id: int, not_before: dt.datetime, error: str) -> bool:
        """Put a message back to try again later; False if it has failed too often (given up)."""
        ...

    async def hold(self, item_id: int, not_before: dt.datetime) -> None:
        """Put a claimed message back, unsent and without counting an attempt, until
        `not_before` (its reader's morning)."""
        ...

    async def take_sound(self, user_id: int, day: dt.date, budget: int) -> bool:
        """Spend one of the person's sounds for their local `day`; False when `budget` is
        already spent (the message then comes silently)."""
        ...

    async def release_claimed(self) -> int:
        """Return messages claimed by a process that stopped to pending (start-up recovery)."""
        ...

    async def outbox_counts(self) -> dict[str, int]:
        """Return how many outbox rows are in each status."""
        ...

    async def next_outbox_time(self) -> dt.datetime | None:
        """Return when the earliest pending message may be sent."""
        ...


class InboxStore(Protocol):
    """The durable inbox: every update stored before Telegram is told it arrived, then handled
    in order within each pair (or chat) by whichever instance claims it. Times here are real
    time in milliseconds (leases must not move with a test's clock)."""

    async def store_updates(
        self, updates: Sequence[tuple[int, int | None, str]], now_ms: int
    ) -> int:
        """Store (update id, chat id, JSON) updates; one stored before is dropped (a replay).
        Return how many were new."""
        ...

    async def claim_updates(
        self, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[InboxItem]:
        """Claim for `owner` the earliest unhandled update of up to `limit` lanes (a pair's two
        chats, or one chat) whose earliest one nobody holds (or whose holder's lease ran out),
        oldest first."""
        ...

    async def finish_update(self, update_id: int, now_ms: int) -> None:
        """Mark an update handled; what it carried (and its chat) is no longer kept."""
        ...

    async def renew_updates(self, owner: str, lease_until_ms: int) -> int:
        """Extend the lease on every update `owner` holds; return how many."""
        ...

    async def release_updates(self, owner: str) -> int:
        """Give back the updates `owner` holds (a stop, or the same instance starting again)."""
        ...

    async def unhandled_updates(self) -> int:
        """Return how many stored updates are not handled yet."""
        ...

    async def prune_inbox(self, before_ms: int) -> int:
        """Forget handled updates older than `before_ms` (kept a while to drop replays)."""
        ...


class StoreTransaction(
    PeopleStore,
    InviteStore,
    PairStore,
    PromptStore,
    NudgeStore,
    StatsStore,
    OutboxStore,
    InboxStore,
    Protocol,
):
    """Named reads and writes that run inside one transaction: one repository per aggregate."""


class Election(Protocol):
    """A role only one instance holds at a time (polling Telegram, sending the outbox)."""

    @property
    def held(self) -> bool:
        """Whether this instance holds the role now."""
        ...

    async def acquire(self) -> None:
        """Return once this instance holds the role (at once if it does already)."""
        ...

    async def release(self) -> None:
        """Give the role up, if held."""
        ...


class Store(Protocol):
    """A database: hands out transactions, and can check and copy itself."""

    def election(self, role: str) -> Election:
        """The election for `role` among the instances sharing this database."""
        ...

    def announce(self, channel: str) -> None:
        """Tell the other instances something changed on `channel` (no wait; may be lost:
        listeners also look by themselves now and then)."""
        ...

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Call `callback` whenever another instance announces on `channel`."""
        ...

    async def close(self) -> None:
        """Close the connection; waits for a running transaction to finish."""
        ...

    async def schema_version(self) -> int:
        """Return the schema version the database is at."""
        ...

    async def migrate(self) -> int:
        """Apply every migration the database lacks; return the version it is now at."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """Run the block in one transaction: committed on success, rolled back on error."""
        ...

    async def integrity_check(self) -> str:
        """Check the database is sound (SQLite's integrity check); 'ok' when it is."""
        ...

    def reading(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """A read-only snapshot that never holds up writes (for long reads)."""
        ...

    async def forget_deleted(self) -> None:
        """Make sure deleted data is gone from the files too (logs, free pages)."""
        ...

    async def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the database to a new file `target` (SQLite's online
        backup, or pg_dump's custom format)."""
        ...
