"""SIGKILL the bot again and again during a morning wave: no question and no answer is lost.

The bot runs in its own process (tests/reliability/bot_process.py, started like `make run`
with long polling and the JobQueue tick) against the fake Bot API in this process. Every pair
is due at once. The process is killed with SIGKILL at random moments while the wave is
flowing and restarted on the same database; between kills partners answer their question
through the fake API. At the end every partner has the day's question, every answer sent is in
the database and was acknowledged, and duplicates, which at-least-once delivery allows for
what was in flight at the moment of a kill, are counted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.config import load_settings
from bot.content import Library
from bot.domain.models import AnswerKind, PromptKind, Schedule
from bot.domain.outbox import MessageKind
from bot.storage import Database
from bot.usecases.answers import AnswerOutcome, IncomingAnswer, submit_answer
from bot.usecases.common import Services
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser
from tests.reliability.support import SeededPair, record_figures, seed_pairs, sizes, text_of
from tests.support import is_question, question_words, says

UTC = dt.UTC
START = dt.datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
# An answer is acknowledged by the bot's reaction on it (✍, or ❤ when it completes the
# reveal); an answer that comes too late is told so in a message.
ACKS = (texts.ALREADY_REVEALED,)


def _acknowledges(message: JSON) -> bool:
    return not message.get("edited") and any(says(message, ack) for ack in ACKS)


def _new(messages: list[JSON]) -> list[JSON]:
    """The messages the bot sent, without the edits of its earlier ones (a question message is
    edited to show who has answered)."""
    return [m for m in messages if not m.get("edited")]


@dataclass(frozen=True)
class CrashSize:
    """How big a run is."""

    label: str
    pairs: int
    kills: int
    send_rate: int
    max_alive: float  # seconds a run may live (after it reached the API) before its kill
    answer_share: float  # share of people who answer during the run
    settle_seconds: float  # how long the last run may take to finish everything


class TimedUser(FakeUser):
    """A fake user who notes when each message from the bot arrived."""

    def __init__(self, api: FakeBotAPI, user_id: int, first_name: str, username: str | None):
        super().__init__(api, user_id, first_name, username)
        self.arrivals: list[float] = []

    def _deliver(self, message: JSON) -> None:
        self.arrivals.append(time.monotonic())
        super()._deliver(message)


class TimedAPI(FakeBotAPI):
    """The fake Bot API with users who time their messages."""

    def user(self, user_id: int, first_name: str, username: str | None = None) -> FakeUser:
        if user_id not in self.users:
            self.users[user_id] = TimedUser(self, user_id, first_name, username)
        return self.users[user_id]


@dataclass
class Wave:
    """The people, the answers they sent, and the runs of the bot process."""

    api: TimedAPI
    pairs: list[SeededPair]
    rng: random.Random
    partner: dict[int, int]
    answers: dict[int, str]  # user -> token of the one answer they sent
    will_answer: list[int]
    kills: list[float]  # monotonic times of the kills
    answered_with: dict[int, JSON] = field(default_factory=dict)  # user -> that answer

    def user(self, user_id: int) -> TimedUser:
        user = self.api.users[user_id]
        assert isinstance(user, TimedUser)
        return user

    def question_of(self, user_id: int) -> JSON | None:
        return next((m for m in _new(self.user(user_id).inbox) if is_question(m)), None)

    async def answer_some(self, count: int) -> None:
        """Let up to `count` people who have their question and mean to answer, answer."""
        ready = [u for u in self.will_answer if u not in self.answers and self.question_of(u)]
        for user_id in self.rng.sample(ready, min(count, len(ready))):
            question = self.question_of(user_id)
            assert question is not None
            token = f"crash-{user_id}-tok"
            self.answers[user_id] = token
            sent = await self.user(user_id).reply(question, f"My answer <3 & more {token}")
            self.answered_with[user_id] = sent

    def acknowledged(self, user_id: int) -> bool:
        return self.acknowledgements(user_id) > 0

    def acknowledgements(self, user_id: int) -> int:
        """How many times the bot acknowledged `user_id`'s answer: reactions set on it and
        messages saying it came too late."""
        answer = self.answered_with.get(user_id)
        reactions = sum(
            1
            for chat, message_id, emoji in self.api.reactions
            if answer is not None
            and (chat, message_id) == (user_id, answer["message_id"])
            and emoji
        )
        return reactions + sum(_acknowledges(m) for m in self.user(user_id).inbox)

    def revealed(self, user_id: int) -> bool:
        """Whether the partner's answer reached `user_id`."""
        theirs = self.answers.get(self.partner[user_id])
        return theirs is not None and any(
            theirs in text_of(m) for m in _new(self.user(user_id).inbox)
        )

    def last_arrival(self) -> float:
        return max((u.arrivals[-1] for u in map(self.user, self.partner) if u.arrivals), default=0)

    def finished(self, quiet: float) -> bool:
        """Everyone has a question, every update was taken, and the bot has gone quiet."""
        return (
            all(self.question_of(u) for u in self.partner)
            and not self.api.updates
            and time.monotonic() - self.last_arrival() > quiet
        )


async def _spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.reliability.bot_process",
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )


async def _until(predicate: Any, timeout: float, what: Any, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what() if callable(what) else what)
        await asyncio.sleep(poll)


@pytest.mark.parametrize(
    "size",
    sizes(
        CrashSize("reduced", 200, 5, 60, 1.5, 0.4, 90),
        CrashSize("full", 2000, 20, 100, 2.5, 0.4, 600),
    ),
)
async def test_sigkill_during_a_wave_loses_no_question_and_no_answer(
    tmp_path: Path, size: CrashSize
) -> None:
    started = time.monotonic()
    rng = random.Random(4242 + size.pairs)
    api = TimedAPI()
    await api.start()
    database = tmp_path / "nearer.sqlite3"
    pairs = await seed_pairs(
        database, size.pairs, START, rng=rng, send_times=[dt.time(9, 0)], due_now=True
    )
    partner = {}
    for pair in pairs:
        a, b = pair.members
        partner[a], partner[b] = b, a
        api.user(a, pair.names[0]).started = True
        api.user(b, pair.names[1]).started = True
    people = sorted(partner)
    wave = Wave(
        api,
        pairs,
        rng,
        partner,
        answers={},
        will_answer=[u for u in people if rng.random() < size.answer_share],
        kills=[],
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "NEARER_"))},
        "BOT_TOKEN": api.token,
        "DATABASE_PATH": str(database),
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TICK_SECONDS": "0.5",
        "SEND_RATE": str(size.send_rate),
        "LOG_LEVEL": "INFO",
        "NEARER_CLOCK_START": START.isoformat(),
        "NEARER_CLOCK_EPOCH": str(time.time()),
        "PYTHONPATH": str(REPO),
    }
    per_run_answers = max(1, len(wave.will_answer) // (size.kills + 1))
    logs = []
    exit_code: int | None = None
    try:
        for run in range(size.kills + 1):
            log = tmp_path / f"bot-run-{run}.log"
            logs.append(log)
            boots = api.calls["getMe"]
            process = await _spawn(env, log)
            try:
                await _until(lambda b=boots: api.calls["getMe"] > b, 60, "the bot did not start")
                if run == size.kills:
                    break
                # Answers arrive while the bot runs, and the kill lands at a random moment.
                alive = rng.uniform(0.1, size.max_alive)
                await asyncio.sleep(alive / 2)
                await wave.answer_some(per_run_answers // 2)
                await asyncio.sleep(alive / 2)
                process.send_signal(signal.SIGKILL)
                wave.kills.append(time.monotonic())
                await process.wait()
                # ...and some while it is down: Telegram keeps them until the next poll.
                await wave.answer_some(per_run_answers - per_run_answers // 2)
            except BaseException:
                process.kill()
                await process.wait()
                raise
        # The last run: every remaining answer comes in, then it may finish in peace.
        await wave.answer_some(len(wave.will_answer))
        try:
            await _until(lambda: wave.finished(quiet=2.0), size.settle_seconds, "no finish")
        finally:
            process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.wait_for(process.wait(), 60)
    finally:
        await api.stop()

    figures = await _account(wave, database, logs, api.token)
    figures.update(
        size=size.label,
        pairs=size.pairs,
        people=2 * size.pairs,
        kills=len(wave.kills),
        send_rate=size.send_rate,
        last_run_exit_code=exit_code,
        seconds=round(time.monotonic() - started, 1),
    )
    record_figures("crash", figures)
    assert len(wave.kills) == size.kills
    assert figures["questions_missing"] == 0
    assert figures["questions_wrong_text"] == 0
    assert figures["answers_acknowledged_not_stored"] == 0
    assert figures["answers_lost_before_handling"] == 0
    assert figures["answers_stored_unacknowledged"] == 0
    assert figures["reveals_missing"] == 0
    assert figures["outbox_not_sent"] == 0
    assert figures["integrity_check"] == "ok"
    assert figures["log_problems"] == []
    assert figures["token_in_output"] is False
    # A kill can repeat only what was in flight: at most one message per chat per kill, and
    # never more than the rows the next run found claimed.
    assert figures["question_duplicates_max_per_chat"] <= len(wave.kills)
    assert figures["question_duplicates_before_any_kill"] == 0
    for repeated, released in zip(
        figures["question_duplicates_per_kill"], figures["rows_released_after_kill"], strict=True
    ):
        assert repeated <= released


async def test_an_answer_handled_again_after_a_restart_is_acknowledged_not_replaced(
    tmp_path: Path, library: Library
) -> None:
    # A restart repeats updates it had not confirmed; the question message the answer replies
    # to may be a copy whose sending was never recorded (the kill came first).
    now = START
    db = await Database.open(tmp_path / "nearer.sqlite3")
    settings = load_settings(_env_file=None, bot_token="1:" + "x" * 30)
    services = Services(settings=settings, db=db, library=library, clock=lambda: now)
    async with db.transaction() as tx:
        for user_id in (1, 2):
            await tx.upsert_person(user_id, user_id, f"P{user_id}", now)
        pair = await tx.create_pair((1, 2), Schedule("UTC", dt.time(9)), 1, now)
        assert pair is not None
        await tx.create_prompt(
            pair.id, PromptKind.QUESTION, content_id="q", text="Q?", local_date=now.date(), now=now
        )
    first = IncomingAnswer(1, 1, 40, AnswerKind.TEXT, "mine", reply_to_message_id=7)
    second = IncomingAnswer(2, 2, 41, AnswerKind.TEXT, "yours", reply_to_message_id=None)
    outcomes = [(await submit_answer(services, answer)).outcome for answer in (first, second)]
    again = [(await submit_answer(services, answer)).outcome for answer in (first, second)]
    async with db.transaction() as tx:
        # Each chat's rows go out in order (the status edits come before the reveal), so the
        # queue is read whole rather than claimed.
        cursor = await tx._conn.execute("SELECT kind, chat_id FROM outbox")
        rows = [(MessageKind(kind), chat) for kind, chat in await cursor.fetchall()]
        await cursor.close()
    await db.close()
    reveals = [chat for kind, chat in rows if kind is MessageKind.REVEAL]
    assert outcomes == [AnswerOutcome.SAVED, AnswerOutcome.REVEALED]
    assert again == [AnswerOutcome.REVEALED, AnswerOutcome.REVEALED]
    assert sorted(reveals) == [1, 2]  # one reveal each, not repeated by the second handling


def _released(log: Path) -> int:
    for line in log.read_text(errors="replace").splitlines():
        if "were in flight at the last stop" in line:
            return int(line.split("outbox: ")[1].split()[0])
    return 0


async def _account(wave: Wave, database: Path, logs: list[Path], token: str) -> dict[str, Any]:
    db = await Database.open(database)
    try:
        integrity = await db.integrity_check()
        async with db.transaction() as tx:
            counts = await tx.outbox_counts()
            cursor = await tx._conn.execute("SELECT user_id, text FROM answers")
            stored = {(row[0], row[1]) for row in await cursor.fetchall()}
            await cursor.close()
            cursor = await tx._conn.execute(
                "SELECT p.text, q.member_a, q.member_b FROM prompts AS p"
                " JOIN pairs AS q ON q.id = p.pair_id WHERE p.kind = 'question'"
            )
            asked = {}
            for text, a, b in await cursor.fetchall():
                asked[a] = asked[b] = text
            await cursor.close()
    finally:
        await db.close()
    stored_tokens = {
        (user_id, word)
        for user_id, text in stored
        for word in text.split()
        if word.endswith("tok")
    }

    questions = Counter[int]()
    wrong_text = 0
    repeats: list[float] = []  # arrival of every copy after the first
    for user_id in wave.partner:
        user = wave.user(user_id)
        copies = [
            (arrived, message)
            for arrived, message in zip(user.arrivals, user.inbox, strict=True)
            if is_question(message) and not message.get("edited")
        ]
        questions[user_id] = len(copies)
        wrong_text += sum(question_words(m) != asked.get(user_id) for _, m in copies)
        repeats += [arrived for arrived, _ in copies[1:]]
    # A copy is sent again by the run after the kill that interrupted it: the last kill before.
    per_kill = Counter[int]()
    for arrived in repeats:
        before = [index for index, killed in enumerate(wave.kills) if killed < arrived]
        per_kill[before[-1] if before else -1] += 1

    acked = [u for u in wave.answers if wave.acknowledged(u)]
    ack_counts = [wave.acknowledgements(u) for u in wave.answers]
    kept = {u for u, token in wave.answers.items() if (u, token) in stored_tokens}
    both = [u for u in kept if wave.partner[u] in kept]
    output = "".join(log.read_text(errors="replace") for log in logs)
    problems = [
        line
        for line in output.splitlines()
        if " ERROR " in line or " CRITICAL " in line or "Traceback" in line
    ]
    return {
        "questions_due": len(wave.partner),
        "questions_delivered": sum(1 for u in wave.partner if questions[u] >= 1),
        "questions_missing": sum(1 for u in wave.partner if questions[u] == 0),
        "questions_wrong_text": wrong_text,
        "question_duplicates": sum(max(0, n - 1) for n in questions.values()),
        "question_duplicates_max_per_chat": max(max(0, n - 1) for n in questions.values()),
        "question_duplicates_per_kill": [per_kill[i] for i in range(len(wave.kills))],
        "question_duplicates_before_any_kill": per_kill[-1],
        "answers_sent": len(wave.answers),
        "answers_acknowledged": len(acked),
        "answers_acknowledged_not_stored": sum(
            (u, wave.answers[u]) not in stored_tokens for u in acked
        ),
        "answers_stored": len(kept),
        # Fetched from Telegram by a process killed before handling them (bot.polling makes
        # the next run fetch them again).
        "answers_lost_before_handling": len(wave.answers) - len(kept),
        "answers_stored_unacknowledged": sum(u not in acked for u in kept),
        "people_stored_unacknowledged": sorted(u for u in kept if u not in acked)[:10],
        "answer_acks_repeated": sum(max(0, n - 1) for n in ack_counts),
        "reveals_due": len(both),
        "reveals_missing": sum(not wave.revealed(u) for u in both),
        "outbox": counts,
        "outbox_not_sent": sum(n for status, n in counts.items() if status != "sent"),
        "integrity_check": integrity,
        # Rows the run after each kill found claimed and put back (at most what can repeat).
        "rows_released_after_kill": [_released(log) for log in logs[1:]],
        "log_problems": problems[:20],
        "token_in_output": token in output,
    }
