"""A whole day of couples while 10 % of the bot's sending calls fail: nothing owed is lost.

The fake Bot API answers one sending call in ten with a fault, spread evenly over 429 (with
retry_after), 500, 502, a timeout (the client gives up first) and a dropped connection. The
FakeClock walks through the day in 15-minute steps; at each step the tick runs, partners answer
their question (text, long text or a captioned photo) some time after it arrives, reply to the
evening nudge with an appreciation, and press a reaction under a reveal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.content import Library
from bot.delivery import sender
from bot.domain import schedule
from bot.domain.models import Schedule
from bot.domain.outbox import MessageKind
from sandbox.fake_bot_api import JSON, SENDING_METHODS, FakeBotAPI, FakeUser, Faults
from sandbox.harness import FakeClock, RunningBot, is_question, question_words
from sandbox.matching import says
from tests.reliability.support import (
    SeededPair,
    captured,
    record_figures,
    seed_pairs,
    settle,
    sizes,
    text_of,
)

UTC = dt.UTC
START = dt.datetime(2026, 1, 14, 0, 0, tzinfo=UTC)  # a Wednesday: no exercise that day or next
STEP = dt.timedelta(minutes=15)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London")
FAULT_RATE = 0.1
NUDGE_TIME = dt.time(19, 0)  # the default evening nudge
ANSWER_SHARE, GIFT_SHARE, REACT_SHARE = 0.9, 0.4, 0.3


@dataclass(frozen=True)
class DaySize:
    """How big a run is."""

    label: str
    pairs: int
    days: int
    read_timeout: float  # seconds the bot waits for the Bot API; injected timeouts last longer


@dataclass
class Token:
    """Something a person wrote that the bot must pass to their partner exactly once."""

    author: int
    partner: int
    kind: str  # "answer" or "gift"
    question: str = ""


@dataclass
class Day:
    """The people, what they plan to do, and what they did."""

    api: FakeBotAPI
    bot: RunningBot
    pairs: list[SeededPair]
    rng: random.Random
    end: dt.datetime
    partner: dict[int, int] = field(default_factory=dict)
    seen: Counter[int] = field(default_factory=Counter)
    plan: list[tuple[dt.datetime, int, Callable[[], Awaitable[None]]]] = field(
        default_factory=list
    )
    order: itertools.count[int] = field(default_factory=itertools.count)
    tokens: dict[str, Token] = field(default_factory=dict)
    answers_sent: Counter[int] = field(default_factory=Counter)
    gifts_sent: Counter[int] = field(default_factory=Counter)
    presses: list[asyncio.Future[JSON]] = field(default_factory=list)
    answer_messages: list[tuple[int, int]] = field(default_factory=list)  # (chat, message)
    query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_000))

    def user(self, user_id: int) -> FakeUser:
        return self.api.users[user_id]

    def later(self, delay: dt.timedelta, action: Callable[[], Awaitable[None]]) -> None:
        moment = self.bot.clock.now + delay
        if moment < self.end:
            heapq.heappush(self.plan, (moment, next(self.order), action))

    async def run_due_actions(self) -> None:
        while self.plan and self.plan[0][0] <= self.bot.clock.now:
            _, _, action = heapq.heappop(self.plan)
            await action()

    def react_to_new_messages(self) -> None:
        """Plan what each person does about the messages that reached them since last look."""
        for user_id in self.partner:
            user = self.user(user_id)
            for message in user.inbox[self.seen[user_id] :]:
                if message.get("edited"):  # a message shown again, changed (who answered)
                    continue
                if is_question(message) and self.rng.random() < ANSWER_SHARE:
                    delay = dt.timedelta(minutes=self.rng.randrange(5, 300))
                    self.later(delay, self._answer(user, message))
                elif says(message, texts.NUDGE) and self.rng.random() < GIFT_SHARE:
                    delay = dt.timedelta(minutes=self.rng.randrange(5, 90))
                    self.later(delay, self._gift(user, message))
                elif (
                    "react:" in str(message.get("reply_markup", ""))
                    and self.rng.random() < REACT_SHARE
                ):
                    self.later(dt.timedelta(minutes=20), self._react(user, message))
            self.seen[user_id] = len(user.inbox)

    def _token(self, user: FakeUser, kind: str, question: str = "") -> str:
        token = f"{kind}-{user.id}-{len(self.tokens)}-tok"
        self.tokens[token] = Token(user.id, self.partner[user.id], kind, question)
        return token

    def _answer(self, user: FakeUser, question: JSON) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            asked = question_words(question) or ""
            token = self._token(user, "answer", asked)
            self.answers_sent[user.id] += 1
            roll = self.rng.random()
            if roll < 0.15:
                sent = await user.send_photo(token, reply_to=question)
            elif roll < 0.25:
                sent = await user.reply(question, "Long answer: " + "words " * 680 + token)
            else:
                sent = await user.reply(question, f"Our walk by the river <3 & the rain {token}")
            self.answer_messages.append((user.id, sent["message_id"]))

        return act

    def _gift(self, user: FakeUser, nudge: JSON) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            self.gifts_sent[user.id] += 1
            await user.reply(nudge, f"You made my week {self._token(user, 'gift')}")

        return act

    def _react(self, user: FakeUser, reveal: JSON) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            # Pressed without waiting for the answer, as a person taps and moves on.
            query_id = str(next(self.query_ids))
            future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
            self.api.pending_queries[query_id] = future
            self.presses.append(future)
            data = self.api.button_data(reveal, "❤️")
            query = {"id": query_id, "from": user.json, "message": reveal,
                     "chat_instance": str(user.id), "data": data}  # fmt: skip
            await self.api.push_update({"callback_query": query})

        return act


def _due_days(sched: Schedule, first: dt.datetime, last: dt.datetime) -> list[dt.date]:
    """The local days whose send moment under `sched` falls between `first` and `last`."""
    days = []
    due = schedule.next_due(first, sched, None)
    while due <= last:
        days.append(schedule.local_date(due, sched.timezone))
        due = schedule.next_due(due, sched, last_sent_day=days[-1])
    return days


async def _nudges_due(day: Day, last_tick: dt.datetime) -> int:
    """How many nudges were owed: each person's own 19:00 (their pair's zone) on Tuesdays and
    Fridays after the day the pair formed (its first morning, when it formed in the night),
    unless they had not yet answered their pair's latest question at that moment."""
    prompts = await _query(
        day.bot,
        "SELECT id, pair_id, sent_at, revealed_at, skipped_at FROM prompts"
        " WHERE kind = 'question'",
    )
    answered = {
        (prompt_id, user_id): at
        for prompt_id, user_id, at in await _query(
            day.bot, "SELECT prompt_id, user_id, answered_at FROM answers"
        )
    }
    owed = 0
    for pair in day.pairs:
        sched = Schedule(pair.schedule.timezone, NUDGE_TIME)
        formed = START.astimezone(ZoneInfo(sched.timezone))
        first_day = (
            formed.date()
            if 8 <= formed.hour < 22
            else (formed - dt.timedelta(hours=8)).date() + dt.timedelta(days=1)
        )
        for local_day in _due_days(sched, START, last_tick):
            if local_day.isoweekday() not in (2, 5) or local_day <= first_day:
                continue
            moment = int(schedule.at_local_time(local_day, NUDGE_TIME, sched.timezone).timestamp())
            open_then = [
                p
                for p in prompts
                if p[1] == pair.pair_id
                and p[2] <= moment
                and (p[3] is None or p[3] > moment)
                and (p[4] is None or p[4] > moment)
            ]
            latest = max(open_then, key=lambda p: (p[2], p[0]), default=None)
            for member in pair.members:
                at = None if latest is None else answered.get((latest[0], member))
                if latest is None or (at is not None and at <= moment):
                    owed += 1
    return owed


async def _drain(day: Day, deadline: float) -> None:
    """Let deferred rows come due (the clock moves, no new ticks) until the outbox is empty."""
    bot = day.bot
    while True:
        await settle(bot, timeout=120)
        async with bot.services.db.transaction() as tx:
            counts = await tx.outbox_counts()
        if not counts.get("pending") and not counts.get("claimed"):
            return
        assert time.monotonic() < deadline, f"the outbox did not drain: {counts}"
        bot.clock.advance(minutes=1)
        bot.services.wake_delivery()


async def _query(bot: RunningBot, sql: str) -> list[Any]:
    async with bot.services.db.transaction() as tx:
        cursor = await tx._conn.execute(sql)
        rows = list(await cursor.fetchall())
        await cursor.close()
    return rows


@pytest.mark.parametrize(
    "size", sizes(DaySize("reduced", 30, 1, 0.5), DaySize("full", 300, 2, 1.0))
)
async def test_a_day_with_ten_percent_faults_delivers_every_message_owed(
    tmp_path: Path, library: Library, size: DaySize, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    if size.label == "reduced":
        # Shorter in-process backoff between network retries (same number of retries) keeps
        # the reduced run quick; the full run keeps the real pauses.
        monkeypatch.setattr(sender, "NETWORK_RETRIES", (0.05, 0.1, 0.2))
    rng = random.Random(20260114 + size.pairs)
    api = FakeBotAPI(
        faults=Faults(rate=0.0, timeout_seconds=size.read_timeout * 1.6, seed=size.pairs)
    )
    await api.start()
    database = tmp_path / "nearer.sqlite3"
    pairs = await seed_pairs(
        database, size.pairs, START, rng=rng, zones=ZONES, reminders_share=0.3
    )
    end = START + dt.timedelta(days=size.days)
    clock = FakeClock(START)
    bot = RunningBot(api, database, clock, library)
    bot.build_options = {"read_timeout": size.read_timeout}
    day = Day(api, bot, pairs, rng, end)
    for pair in pairs:
        for member, other, name in zip(
            pair.members, reversed(pair.members), pair.names, strict=True
        ):
            api.user(member, name).started = True
            day.partner[member] = other
    with captured(logging.WARNING) as logs:
        await bot.start()
        api.faults.rate = FAULT_RATE
        try:
            while clock.now <= end:
                await day.run_due_actions()
                await bot.tick()
                await settle(bot, timeout=120)
                day.react_to_new_messages()
                clock.advance(seconds=STEP.total_seconds())
                bot.services.wake_delivery()  # rows deferred until now need not wait a poll
            await _drain(day, time.monotonic() + 300)
            api.faults.rate = 0.0
            await asyncio.wait_for(asyncio.gather(*day.presses), 30)
            figures = await _account(day, end)
            figures["dispatcher"] = _delivery_counts(bot)
        finally:
            await bot.stop()
            await api.stop()
    unhandled = logs.describe(logging.ERROR)
    figures.update(
        size=size.label,
        pairs=size.pairs,
        people=2 * size.pairs,
        days=size.days,
        fault_rate=FAULT_RATE,
        sending_calls=sum(api.calls[m] for m in SENDING_METHODS),
        faults_injected=dict(sorted(api.errors.items())),
        unhandled_exceptions=len(unhandled),
        replies_lost_to_faults=sum(
            "reply not sent" in r.getMessage() for r in logs.at_least(logging.WARNING)
        ),
        seconds=round(time.monotonic() - started, 1),
    )
    record_figures("faults", figures)
    assert unhandled == []
    assert figures["outbox_lost"] == 0
    assert figures["early_reveals"] == 0
    assert figures["misdelivered"] == 0
    assert figures["nudges"]["due"] == figures["nudges_due"]
    for kind in ("questions", "reveals", "nudges", "gifts", "reminders", "reactions"):
        assert figures[kind]["missing"] == 0, kind
        assert figures[kind]["duplicated"] == 0, kind
    assert figures["answers_stored"] == figures["answers_sent"]
    assert figures["answer_acks_missing"] == 0


def _tally(expected: Counter[Any], received: Counter[Any]) -> dict[str, int]:
    return {
        "due": sum(expected.values()),
        "delivered": sum(min(expected[k], received[k]) for k in expected),
        "missing": sum(max(0, expected[k] - received[k]) for k in expected),
        "duplicated": sum(max(0, received[k] - expected[k]) for k in received),
    }


async def _account(day: Day, last_tick: dt.datetime) -> dict[str, Any]:
    """Compare what was owed (from the schedule and the database) with what arrived."""
    bot, figures = day.bot, {}
    outbox = await _query(bot, "SELECT kind, status, count(*) FROM outbox GROUP BY 1, 2")
    figures["outbox"] = {f"{kind}:{status}": count for kind, status, count in outbox}
    figures["outbox_due"] = sum(count for _, _, count in outbox)
    figures["outbox_lost"] = sum(count for _, status, count in outbox if status != "sent")

    # Questions: one per person per local day that fell due, with the pair's own text.
    prompts = await _query(
        bot, "SELECT pair_id, local_date, text FROM prompts WHERE kind = 'question'"
    )
    text_of_day = {(pair_id, day_): text for pair_id, day_, text in prompts}
    expected, received = Counter[Any](), Counter[Any]()
    for pair in day.pairs:
        for local_day in _due_days(pair.schedule, START, last_tick):
            for member in pair.members:
                expected[
                    (member, text_of_day.get((pair.pair_id, local_day.isoformat()), "?"))
                ] += 1
        for member in pair.members:
            for message in _new(day.user(member).inbox):
                if is_question(message):
                    received[(member, question_words(message))] += 1
    figures["questions"] = _tally(expected, received)

    # Reveals and gifts: each token reaches the author's partner exactly once, nobody else.
    answered: dict[tuple[int, str], str] = {}
    for token, info in day.tokens.items():
        if info.kind == "answer":
            answered[(info.author, info.question)] = token
    reveals_expected, gifts_expected, arrived = Counter[str](), Counter[str](), Counter[Any]()
    misdelivered = 0
    for token, info in day.tokens.items():
        if info.kind == "gift":
            gifts_expected[token] += 1
        elif (info.partner, info.question) in answered:
            reveals_expected[token] += 1
    for user_id in day.partner:
        for message in _new(day.user(user_id).inbox):
            for token in _tokens_in(text_of(message)):
                arrived[token] += 1
                misdelivered += day.tokens[token].partner != user_id
    figures["reveals"] = _tally(
        reveals_expected, Counter({t: arrived[t] for t in reveals_expected})
    )
    figures["gifts"] = _tally(gifts_expected, Counter({t: arrived[t] for t in gifts_expected}))
    figures["misdelivered"] = misdelivered
    figures["early_reveals"] = sum(
        arrived[t]
        for t, info in day.tokens.items()
        if info.kind == "answer" and not reveals_expected[t]
    )

    # Nudges, reminders and reactions: what the database says was queued, each arrived once.
    figures["nudges"] = await _per_person(day, "SELECT user_id FROM nudges", texts.NUDGE)
    figures["nudges_due"] = await _nudges_due(day, last_tick)
    figures["reminders"] = await _per_person(
        day, "SELECT user_id FROM reminders_sent", texts.REMINDER, texts.REMINDER_PARTNER_ANSWERED
    )
    reactions = await _query(bot, "SELECT user_id FROM reactions")
    expected = Counter(day.partner[user_id] for (user_id,) in reactions)
    received = Counter(
        user_id
        for user_id in day.partner
        for message in _new(day.user(user_id).inbox)
        if says(message, texts.REACTION_HEART)
    )
    figures["reactions"] = _tally(expected, received)

    # Answers: every answer sent is stored and acknowledged by the bot's reaction on it (sent
    # through the outbox, so not lost to faults either).
    stored = await _query(bot, "SELECT text FROM answers")
    stored_tokens = {t for (text,) in stored for t in _tokens_in(text)}
    figures["answers_sent"] = sum(day.answers_sent.values())
    figures["answers_stored"] = sum(
        1 for t, info in day.tokens.items() if info.kind == "answer" and t in stored_tokens
    )
    reacted = {(chat, message) for chat, message, emoji in day.api.reactions if emoji}
    figures["answer_acks_missing"] = sum(answer not in reacted for answer in day.answer_messages)
    figures["gifts_sent"] = sum(day.gifts_sent.values())
    figures["reaction_presses"] = len(day.presses)
    return figures


def _new(messages: list[JSON]) -> list[JSON]:
    """The messages the bot sent, without the edits of earlier ones (shown with "edited")."""
    return [m for m in messages if not m.get("edited")]


async def _per_person(day: Day, sql: str, *templates: str) -> dict[str, int]:
    """Compare who the database says was sent a message with who received one of `templates`."""
    expected = Counter(user_id for (user_id,) in await _query(day.bot, sql))
    received = Counter(
        user_id
        for user_id in day.partner
        for message in _new(day.user(user_id).inbox)
        if any(says(message, template) for template in templates)
    )
    return _tally(expected, received)


def _tokens_in(text: str) -> list[str]:
    return [word for word in text.split() if word.endswith("-tok")]


def _delivery_counts(bot: RunningBot) -> dict[str, float]:
    """The pump's counters, as /metrics shows them."""
    registry = bot.services.metrics.registry

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    sent = {
        kind.value: value("nearer_messages_sent_total", kind=kind.value) for kind in MessageKind
    }
    return {
        "sent": sum(sent.values()),
        **{f"sent_{kind}": count for kind, count in sent.items() if count},
        "failed": value("nearer_delivery_failures_total"),
        "deferred": value("nearer_delivery_retries_total"),
        "network_errors": value("nearer_network_errors_total"),
    }
