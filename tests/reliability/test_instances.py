"""Several instances on one PostgreSQL, as real processes: kills, a dead leader, a server restart.

Every instance is the real bot in a process of its own (tests/reliability/bot_process.py, long
polling and the JobQueue tick) with DATABASE_URL pointing at one throwaway PostgreSQL server;
the fake Bot API runs in this process. Telegram allows one poller, so one instance polls (the
advisory-lock leader) and one sends the outbox; every instance ticks and handles the inbox.

- A morning wave while one instance at a time is SIGKILLed at a random moment and started
  again under its name: no question and no answer is lost, and a question arrives twice only
  as often as the killed sender had rows in flight (the next sender says how many it resent).
- The polling leader killed: another instance polls within 30 s and no update is lost.
- PostgreSQL itself stopped at once (as a crash would) and started again during a wave: the
  instances reconnect and finish, and nothing is lost.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.content import Library
from bot.storage.copy import copy_sqlite_to_postgres
from sandbox.harness import FakeClock, RunningBot
from sandbox.postgres import ThrowawayCluster
from tests.backends import TEMPLATE
from tests.reliability.support import record_figures, seed_pairs, sizes
from tests.reliability.test_crash import TimedAPI, Wave
from tests.support import is_question, question_words

UTC = dt.UTC
START = dt.datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
READY = "Nearer is ready"
LISTENING_AGAIN = "listening for other instances again"
RESENT = "were in flight at the last stop; resending"
TAKEOVER_LIMIT = 30.0  # seconds a standby may take to poll after the leader died (issue 14)


@dataclass(frozen=True)
class FleetSize:
    """How big a run is."""

    label: str
    pairs: int
    instances: int
    kills: int
    send_rate: int
    max_alive: float  # seconds an instance may live (once all are ready) before its kill
    answer_share: float  # share of people who answer during the run
    settle_seconds: float  # how long the last stretch may take to finish everything


@dataclass
class Instance:
    """One bot process of the fleet, started again under the same name after each kill."""

    name: str
    logs: list[Path] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None

    @property
    def log(self) -> Path:
        return self.logs[-1]

    def says(self, words: str) -> bool:
        """Whether the current run logged `words`."""
        return bool(self.logs) and words in self.log.read_text(errors="replace")

    def holds(self, role: str) -> bool:
        """Whether the current run holds `role` (it took it and did not lose it since)."""
        if self.process is None or self.process.returncode is not None or not self.logs:
            return False
        text = self.log.read_text(errors="replace")
        taken = text.rfind(f"now holds the {role} role")
        return taken >= 0 and text.rfind(f"{role} role lost") < taken


class Fleet:
    """N instances of the bot on one database, each a real process."""

    def __init__(self, env: dict[str, str], folder: Path, count: int) -> None:
        self.env = env
        self.folder = folder
        self.instances = [Instance(f"nearer-{n}") for n in range(count)]

    async def start(self, index: int) -> None:
        """Start instance `index` (again) and return once it is ready."""
        instance = self.instances[index]
        log = self.folder / f"{instance.name}-run{len(instance.logs)}.log"
        instance.logs.append(log)
        with log.open("ab") as sink:
            instance.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.reliability.bot_process",
                cwd=REPO,
                env={**self.env, "INSTANCE_NAME": instance.name},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )
        await until(lambda: instance.says(READY), 90, lambda: f"{instance.name} did not start")

    async def start_all(self) -> None:
        await asyncio.gather(*(self.start(n) for n in range(len(self.instances))))

    async def kill(self, index: int) -> None:
        """SIGKILL instance `index` and wait for it to be gone."""
        process = self.instances[index].process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        await process.wait()

    def holder(self, role: str) -> int | None:
        """The instance that holds `role` now, as far as the logs tell."""
        return next((n for n, i in enumerate(self.instances) if i.holds(role)), None)

    async def stop_all(self) -> list[int | None]:
        """SIGTERM every live instance and return their exit codes (SIGKILL after 60 s)."""
        codes: list[int | None] = []
        for instance in self.instances:
            process = instance.process
            if process is None or process.returncode is not None:
                codes.append(None)
                continue
            process.send_signal(signal.SIGTERM)
            try:
                codes.append(await asyncio.wait_for(process.wait(), 60))
            except TimeoutError:
                process.kill()
                codes.append(await process.wait())
        return codes

    def logs(self) -> list[Path]:
        return [log for instance in self.instances for log in instance.logs]

    def output(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs())

    def resent(self) -> int:
        """Rows a new sender found claimed by the one before and sent again, in all runs."""
        total = 0
        for line in self.output().splitlines():
            if RESENT in line:
                total += int(line.split("outbox: ")[1].split()[0])
        return total


async def until(
    predicate: Callable[[], bool], timeout: float, what: Any, poll: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what() if callable(what) else what)
        await asyncio.sleep(poll)


async def _wave(
    api: TimedAPI, folder: Path, url: str, pairs: int, rng: random.Random, answer_share: float
) -> Wave:
    """Seed `pairs` pairs due at START into the database at `url` (through SQLite and
    copy-db's code, as an installation that moved would have them)."""
    seeded_file = folder / "seed.sqlite3"
    seeded = await seed_pairs(
        seeded_file, pairs, START, rng=rng, send_times=[dt.time(9, 0)], due_now=True
    )
    await copy_sqlite_to_postgres(seeded_file, url)
    partner = {}
    for pair in seeded:
        a, b = pair.members
        partner[a], partner[b] = b, a
        api.user(a, pair.names[0]).started = True
        api.user(b, pair.names[1]).started = True
    people = sorted(partner)
    return Wave(
        api,
        seeded,
        rng,
        partner,
        answers={},
        will_answer=[u for u in people if rng.random() < answer_share],
        kills=[],
    )


def _environment(api: TimedAPI, url: str, folder: Path, send_rate: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "NEARER_"))},
        "BOT_TOKEN": api.token,
        "DATABASE_URL": url,
        "DATABASE_PATH": str(folder / "unused.sqlite3"),
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TICK_SECONDS": "0.5",
        "SEND_RATE": str(send_rate),
        "LOG_LEVEL": "INFO",
        "NEARER_CLOCK_START": START.isoformat(),
        "NEARER_CLOCK_EPOCH": str(time.time()),
        "PYTHONPATH": str(REPO),
    }


async def _account(wave: Wave, url: str, fleet: Fleet, token: str) -> dict[str, Any]:
    """What the database holds and what people received, counted apart from the bot."""
    conn = await asyncpg.connect(url)
    try:
        stored = {(r["user_id"], r["text"]) for r in await conn.fetch("SELECT * FROM answers")}
        asked = {}
        for row in await conn.fetch(
            "SELECT p.text, q.member_a, q.member_b FROM prompts AS p"
            " JOIN pairs AS q ON q.id = p.pair_id WHERE p.kind = 'question'"
        ):
            asked[row["member_a"]] = asked[row["member_b"]] = row["text"]
        counts = {
            row["status"]: row["count"]
            for row in await conn.fetch("SELECT status, count(*) FROM outbox GROUP BY status")
        }
        unhandled = await conn.fetchval("SELECT count(*) FROM inbox WHERE handled_at IS NULL")
        questions_stored = await conn.fetchval(
            "SELECT count(*) FROM prompts WHERE kind = 'question'"
        )
    finally:
        await conn.close()
    stored_tokens = {
        (user_id, word)
        for user_id, text in stored
        for word in text.split()
        if word.endswith("tok")
    }
    questions = Counter[int]()
    wrong_text = 0
    for user_id in wave.partner:
        # Only messages: a question edited to show who has answered is the same question.
        copies = [m for m in wave.user(user_id).inbox if is_question(m) and not m.get("edited")]
        questions[user_id] = len(copies)
        wrong_text += sum(question_words(m) != asked.get(user_id) for m in copies)
    acked = [u for u in wave.answers if wave.acknowledged(u)]
    kept = {u for u, token in wave.answers.items() if (u, token) in stored_tokens}
    both = [u for u in kept if wave.partner[u] in kept]
    output = fleet.output()
    problems = [
        line
        for line in output.splitlines()
        if " ERROR " in line or " CRITICAL " in line or "Traceback" in line
    ]
    return {
        "questions_due": len(wave.partner),
        "questions_stored": questions_stored,
        "questions_missing": sum(1 for u in wave.partner if questions[u] == 0),
        "questions_wrong_text": wrong_text,
        "question_duplicates": sum(max(0, n - 1) for n in questions.values()),
        "question_duplicates_max_per_chat": max(max(0, n - 1) for n in questions.values()),
        "rows_resent_by_a_new_sender": fleet.resent(),
        "answers_sent": len(wave.answers),
        "answers_acknowledged": len(acked),
        "answers_acknowledged_not_stored": sum(
            (u, wave.answers[u]) not in stored_tokens for u in acked
        ),
        "answers_lost": len(wave.answers) - len(kept),
        "answers_stored_unacknowledged": sum(u not in acked for u in kept),
        "reveals_due": len(both),
        "reveals_missing": sum(not wave.revealed(u) for u in both),
        "outbox": counts,
        "outbox_not_sent": sum(n for status, n in counts.items() if status != "sent"),
        "inbox_unhandled": unhandled,
        "log_problems": problems[:20],
        "token_in_output": token in output,
    }


def _assert_nothing_lost(figures: dict[str, Any]) -> None:
    assert figures["questions_missing"] == 0
    assert figures["questions_stored"] == figures["questions_due"] // 2
    assert figures["questions_wrong_text"] == 0
    assert figures["answers_lost"] == 0
    assert figures["answers_acknowledged_not_stored"] == 0
    assert figures["answers_stored_unacknowledged"] == 0
    assert figures["reveals_missing"] == 0
    assert figures["outbox_not_sent"] == 0
    assert figures["inbox_unhandled"] == 0
    assert figures["token_in_output"] is False


@pytest.mark.parametrize(
    "size",
    sizes(
        FleetSize("reduced", 200, 3, 3, 100, 2.0, 0.4, 90),
        FleetSize("full", 2000, 3, 10, 100, 4.0, 0.4, 600),
    ),
)
async def test_three_instances_with_one_killed_again_and_again_lose_no_question_or_answer(
    tmp_path: Path, postgres_cluster: ThrowawayCluster, size: FleetSize
) -> None:
    started = time.monotonic()
    rng = random.Random(1414 + size.pairs)
    api = TimedAPI()
    await api.start()
    url = await postgres_cluster.database(template=TEMPLATE)
    wave = await _wave(api, tmp_path, url, size.pairs, rng, size.answer_share)
    fleet = Fleet(_environment(api, url, tmp_path, size.send_rate), tmp_path, size.instances)
    per_run = max(1, len(wave.will_answer) // (size.kills + 1))
    killed: list[dict[str, Any]] = []
    codes: list[int | None] = []
    try:
        await fleet.start_all()
        for _ in range(size.kills):
            victim = rng.randrange(size.instances)
            alive = rng.uniform(0.1, size.max_alive)
            await asyncio.sleep(alive / 2)
            await wave.answer_some(per_run // 2)
            await asyncio.sleep(alive / 2)
            roles = [role for role in ("poller", "sender") if fleet.holder(role) == victim]
            await fleet.kill(victim)
            wave.kills.append(time.monotonic())
            killed.append({"instance": victim, "after_seconds": round(alive, 2), "roles": roles})
            # Answers keep coming while it is down; the others (or Telegram) hold them.
            await wave.answer_some(per_run - per_run // 2)
            await fleet.start(victim)
        await wave.answer_some(len(wave.will_answer))
        await until(lambda: wave.finished(quiet=2.0), size.settle_seconds, "no finish")
    finally:
        codes = await fleet.stop_all()
        await api.stop()

    figures = await _account(wave, url, fleet, api.token)
    await postgres_cluster.drop(url)
    figures.update(
        size=size.label,
        pairs=size.pairs,
        instances=size.instances,
        kills=killed,
        send_rate=size.send_rate,
        exit_codes=codes,
        seconds=round(time.monotonic() - started, 1),
    )
    record_figures("instances-kill", figures)
    assert len(killed) == size.kills
    _assert_nothing_lost(figures)
    assert figures["log_problems"] == []
    assert codes == [0] * size.instances
    # A question repeats only when it was in flight at the sender that died: the next sender
    # took exactly those rows back, and a chat gets at most one copy per kill.
    assert figures["question_duplicates"] <= figures["rows_resent_by_a_new_sender"]
    assert figures["question_duplicates_max_per_chat"] <= size.kills


async def test_a_killed_polling_leader_is_replaced_within_30_seconds_and_no_update_is_lost(
    tmp_path: Path, postgres_cluster: ThrowawayCluster
) -> None:
    rng = random.Random(77)
    api = TimedAPI()
    await api.start()
    url = await postgres_cluster.database(template=TEMPLATE)
    wave = await _wave(api, tmp_path, url, 40, rng, answer_share=1.0)
    fleet = Fleet(_environment(api, url, tmp_path, 100), tmp_path, 3)
    try:
        await fleet.start_all()
        await until(lambda: all(wave.question_of(u) for u in wave.partner), 60, "no wave")
        await wave.answer_some(len(wave.will_answer) // 4)
        await until(lambda: fleet.holder("poller") is not None, 30, "nobody polls")
        leader = fleet.holder("poller")
        assert leader is not None
        await fleet.kill(leader)
        killed_at = time.monotonic()
        polls = api.calls["getUpdates"]
        # Half the answers arrive while nobody polls: Telegram keeps them.
        await wave.answer_some(len(wave.will_answer) // 2)
        await until(lambda: api.calls["getUpdates"] > polls, TAKEOVER_LIMIT + 10, "no poller")
        takeover = time.monotonic() - killed_at
        successor = fleet.holder("poller")
        await wave.answer_some(len(wave.will_answer))
        await fleet.start(leader)  # as systemd or compose would: its inbox claims come back
        await until(lambda: wave.finished(quiet=2.0), 90, "no finish")
    finally:
        codes = await fleet.stop_all()
        await api.stop()
    figures = await _account(wave, url, fleet, api.token)
    await postgres_cluster.drop(url)
    figures.update(
        leader=leader, successor=successor, takeover_seconds=round(takeover, 2), exit_codes=codes
    )
    record_figures("instances-leader", figures)
    assert takeover <= TAKEOVER_LIMIT
    assert successor not in (None, leader)
    _assert_nothing_lost(figures)
    # Only what the dead leader had in flight as the sender (if it was) may arrive twice.
    assert figures["question_duplicates"] <= figures["rows_resent_by_a_new_sender"]
    assert figures["log_problems"] == []
    assert figures["answers_sent"] == len(wave.will_answer)


@pytest.mark.parametrize(
    "size",
    [
        # One instance alone: it is the sender before and after, with the workers it kept.
        pytest.param(FleetSize("alone", 200, 1, 1, 100, 0.0, 0.4, 60), id="alone"),
        *sizes(
            FleetSize("reduced", 200, 3, 1, 100, 0.0, 0.4, 120),
            FleetSize("full", 2000, 3, 3, 100, 0.0, 0.4, 600),
        ),
    ],
)
async def test_postgresql_restarted_during_a_wave_the_instances_reconnect_and_lose_nothing(
    tmp_path: Path, size: FleetSize
) -> None:
    started = time.monotonic()
    rng = random.Random(5150 + size.pairs)
    # Its own server, durable: a server stopped at once keeps every commit it acknowledged.
    cluster = ThrowawayCluster(durable=True)
    cluster.start()
    api = TimedAPI()
    await api.start()
    restarts: list[float] = []
    try:
        url = await cluster.database()
        wave = await _wave(api, tmp_path, url, size.pairs, rng, size.answer_share)
        fleet = Fleet(_environment(api, url, tmp_path, size.send_rate), tmp_path, size.instances)
        per_restart = max(1, len(wave.will_answer) // (size.kills + 1))
        try:
            await fleet.start_all()
            for _ in range(size.kills):
                await wave.answer_some(per_restart // 2)
                await asyncio.sleep(rng.uniform(0.5, 2.0))
                began = time.monotonic()
                await asyncio.to_thread(cluster.restart)
                restarts.append(round(time.monotonic() - began, 2))
                await wave.answer_some(per_restart - per_restart // 2)
            await wave.answer_some(len(wave.will_answer))
            await until(lambda: wave.finished(quiet=3.0), size.settle_seconds, "no finish")
        finally:
            codes = await fleet.stop_all()
        figures = await _account(wave, url, fleet, api.token)
    finally:
        await api.stop()
        cluster.stop()
    figures.update(
        size=size.label,
        pairs=size.pairs,
        instances=size.instances,
        restarts_seconds=restarts,
        listening_again=[
            sum(log.read_text().count(LISTENING_AGAIN) for log in instance.logs)
            for instance in fleet.instances
        ],
        exit_codes=codes,
        seconds=round(time.monotonic() - started, 1),
    )
    alone = "-alone" if size.instances == 1 else ""
    record_figures(f"instances-pg-restart{alone}", figures)
    assert len(restarts) == size.kills
    _assert_nothing_lost(figures)
    # Every instance listens for the others' NOTIFY again (else it would poll until restarted).
    assert figures["listening_again"] == [size.kills] * size.instances
    assert codes == [0] * size.instances
    assert figures["question_duplicates"] <= figures["rows_resent_by_a_new_sender"]
    assert figures["question_duplicates_max_per_chat"] <= size.kills


async def test_the_sender_keeps_every_worker_through_a_postgresql_restart(
    tmp_path: Path, library: Library
) -> None:
    # A worker whose row could neither be recorded nor put back while the server was away
    # used to end, so after a few outages one instance sent with fewer workers, or none.
    cluster = ThrowawayCluster(durable=True)
    cluster.start()
    api = TimedAPI()
    await api.start()
    bot: RunningBot | None = None
    try:
        url = await cluster.database()
        wave = await _wave(api, tmp_path, url, 300, random.Random(9), answer_share=0.0)
        bot = RunningBot(
            api, tmp_path / "unused.sqlite3", FakeClock(START), library,
            database_url=url, send_rate=150,
        )  # fmt: skip
        await bot.start()
        await bot.tick()
        delivered = lambda: sum(bool(wave.question_of(u)) for u in wave.partner)  # noqa: E731
        await until(lambda: delivered() >= 50, 30, "no sending")
        await asyncio.to_thread(cluster.restart)
        await until(lambda: delivered() == len(wave.partner), 60, "not every question arrived")
        assert bot.runtime is not None and bot.runtime.dispatcher is not None
        alive, started = bot.runtime.dispatcher.workers()
    finally:
        if bot is not None:
            await bot.stop()
        await api.stop()
        cluster.stop()
    assert alive == started


async def test_an_answer_whose_handling_lost_the_database_is_handled_again_not_dropped(
    tmp_path: Path, postgres_cluster: ThrowawayCluster, library: Library
) -> None:
    # The connection of the transaction saving an answer dies (as when the server restarts):
    # the error handler used to apologise and the inbox marked the update handled, so the
    # answer was lost although it had been stored in the inbox.
    api = TimedAPI()
    await api.start()
    url = await postgres_cluster.database(template=TEMPLATE)
    wave = await _wave(api, tmp_path, url, 1, random.Random(3), answer_share=1.0)
    bot = RunningBot(api, tmp_path / "unused.sqlite3", FakeClock(START), library, database_url=url)
    admin = await asyncpg.connect(url)
    try:
        await bot.start()
        await bot.tick()
        await until(lambda: all(wave.question_of(u) for u in wave.partner), 30, "no question")
        lock = admin.transaction()
        await lock.start()
        await admin.execute("LOCK TABLE answers IN ACCESS EXCLUSIVE MODE")
        await wave.answer_some(1)
        (author,) = wave.answers
        waiting: list[int] = []
        deadline = time.monotonic() + 30
        while not waiting and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            waiting = [
                row["pid"]
                for row in await admin.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
        assert waiting, "the answer never reached the database"
        for pid in waiting:
            await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        await lock.rollback()
        await until(lambda: wave.acknowledged(author), 30, "the answer was not acknowledged")
        stored = await admin.fetchval(
            "SELECT count(*) FROM answers WHERE user_id = $1 AND text LIKE $2",
            author,
            f"%{wave.answers[author]}",
        )
    finally:
        await admin.close()
        await bot.stop()
        await api.stop()
        await postgres_cluster.drop(url)
    assert stored == 1
