"""Runs the real bot with a simulated population on a clock that jumps from event to event.

The real `Application` (handlers, tick, outbox, sender) polls the fake Bot API over HTTP, as in
the end-to-end tests. Simulated time never sleeps: the driver works out the next moment at which
anything happens (a pair's send time, the 19:00 nudge, a reminder, the end of a pause, a person's
action), puts the clock there, runs the tick, lets people act and waits until the bot is idle.
Everything the people send and everything the bot delivers goes into one ordered timeline that
the oracle reads.

Faults: at random steps the fake API fails a share of sends (429 with retry_after, 500/502,
timeouts, dropped connections; blocked users get 403 as they would anyway), and at random moments
the process "crashes": every task of the bot is cancelled where it stands, the database
connection is closed without committing, nothing graceful runs (no release of claimed outbox
rows, no post_stop), and a new Application starts on the same file. That is as close to SIGKILL
as one process can come while sharing the simulated clock with the bot; the SIGKILL test in
tests/reliability/test_crash.py covers a real kill.

A separate short phase checks fairness in real time with Telegram's flood limits enforced.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import math
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.content import Library, load_library
from bot.inbox import DurableUpdateQueue
from bot.web.initdata import init_data_for
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser, Limits
from sandbox.harness import FakeClock, RunningBot
from sandbox.miniapp import free_port
from tests.reliability.support import RecordCapture, captured
from tests.simulation.oracle import (
    Catalogue,
    Intent,
    Oracle,
    Prompt,
    Record,
    button_data,
    local_day,
    make_oracle,
)
from tests.simulation.population import (
    LANGUAGE_CHOICES,
    SEND_TIMES,
    SHOW_EXERCISE_SHARE,
    ZONES,
    make_people,
)
from tests.simulation.storage_scan import Needles, postgres_traces, sqlite_traces

UTC = dt.UTC
# A Thursday: New York springs forward 3 days later, Berlin on day 24, and Adelaide and Chatham
# fall back on day 31.
START = dt.datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
GRID_MINUTES = 120  # people act on this grid, so steps are shared between them
WHY_SHARE = 0.3  # how often the reveal of a pick gets a why in reply
PICK_FORMATS = ("this_or_that", "would_you_rather", "rate")
TAP_SHARE = 0.7  # how often a pick or rating question is answered with a tap (else in words)
ASIDE_SHARE = 0.08  # how often someone says "thanks!" or asks how things work before answering
REPLY_WAIT = 3.0  # real seconds a press waits for Telegram's answer to its callback query
CALM_RECHECK = 0.05  # real seconds between the two looks that find the bot calm
BUSY_CAP = 60.0  # real seconds a wait for a reply goes on while the bot is still busy
FLOOD_ACTIONS = ("/help", "/today", "/streak", "/pause", "/resume", "/time 08:00", "/settings")
LINK_PATIENCE = 0.9  # the chance someone with a link out this week waits for it a day
LINK_UNSENT = 0.3  # how often a fresh link is never sent on or opened
FOLLOW_UPS = (dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(minutes=45))


# The timeline and the people ------------------------------------------------------------------


class World:
    """The ordered timeline shared by the people and the oracle."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self.records: list[Record] = []
        self.last_seq = 0
        self._seq = itertools.count(1)

    def add(
        self,
        direction: str,
        user_id: int,
        message: JSON | None = None,
        intent: Intent | None = None,
    ) -> Record:
        record = Record(
            next(self._seq), direction, user_id, self.clock(), time.monotonic(), message or {},
            intent,
        )  # fmt: skip
        self.records.append(record)
        self.last_seq = record.seq
        return record

    def take(self) -> list[Record]:
        """Hand over every record so far and forget them (a long run keeps only its model)."""
        records, self.records = self.records, []
        return records


class SimUser(FakeUser):
    """A fake user whose every message, sent or received, goes into the world's timeline."""

    world: World

    def _deliver(self, message: JSON) -> None:
        super()._deliver(message)
        self.world.add("in", self.id, message)

    async def say(self, intent: Intent, text: str, *, reply_to: JSON | None = None) -> JSON:
        """Send a text; the update is queued before the bot can see it, so it is logged first."""
        message = await self.send(text, reply_to=reply_to)
        self.world.add("out", self.id, message, intent)
        return message

    async def media(self, intent: Intent, *, reply_to: JSON | None, caption: str | None) -> JSON:
        """Send the media kind `intent.media` (voice, video note or photo)."""
        if intent.media == "voice":
            message = await self.send_voice(reply_to=reply_to)
            intent.file_id = message["voice"]["file_id"]
        elif intent.media == "video_note":
            message = await self.send_video_note(reply_to=reply_to)
            intent.file_id = message["video_note"]["file_id"]
        else:
            message = await self.send_photo(caption, reply_to=reply_to)
            intent.file_id = message["photo"][-1]["file_id"]
        self.world.add("out", self.id, message, intent)
        return message

    async def locate(self, intent: Intent, place: tuple[float, float]) -> JSON:
        """Share a location (📎 → Location)."""
        message = await self.send_location(*place)
        self.world.add("out", self.id, message, intent)
        return message

    async def change(self, intent: Intent, message: JSON, text: str) -> None:
        """Edit one of their own text messages."""
        await self.edit(message, text)
        self.world.add("out", self.id, message, intent)

    async def tap(self, intent: Intent, message: JSON, data: str) -> asyncio.Future[JSON]:
        """Press a button (or send forged data) without waiting for the answer."""
        query_id = str(next(self.api.query_ids))
        answered: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self.api.pending_queries[query_id] = answered
        stored = self.api.chat(self.id).messages.get(message["message_id"], message)
        query = {"id": query_id, "from": self.json, "message": _public(stored),
                 "chat_instance": str(self.id), "data": data}  # fmt: skip
        await self.api.push_update({"callback_query": query})
        self.world.add("out", self.id, {"callback_data": data}, intent)
        return answered

    async def block_bot(self) -> None:
        await self.block()
        self.world.add("out", self.id, {}, Intent("block"))

    async def unblock_bot(self) -> None:
        await self.unblock()
        self.world.add("out", self.id, {}, Intent("unblock"))


def _public(message: JSON) -> JSON:
    """A message as Telegram would put it in an update (no fake-only fields)."""
    return {k: v for k, v in message.items() if k not in ("document_bytes", "html", "edited")}


class SimAPI(FakeBotAPI):
    """The fake Bot API whose users are SimUsers writing into `world`."""

    def __init__(self, world: World, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.world = world

    def user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        language_code: str | None = None,
    ) -> FakeUser:
        if user_id not in self.users:
            user = SimUser(self, user_id, first_name, username)
            user.world = self.world
            user.language_code = language_code
            self.users[user_id] = user
        return self.users[user_id]

    async def _m_setMessageReaction(self, params: JSON) -> bool:
        """The bot's reaction on a person's message acknowledges it (issue 12): it goes into
        the person's inbox, and so the timeline, as an acknowledgement."""
        done = await super()._m_setMessageReaction(params)
        chat_id = int(params.get("chat_id", 0))
        user = self.users.get(chat_id)
        if user is not None:
            reacted = {"reacted_to": int(params["message_id"]), "chat": {"id": chat_id},
                       "from": self.bot_json, "reaction": params.get("reaction")}  # fmt: skip
            user._deliver(reacted)
        return done


# Running the bot by hand ---------------------------------------------------------------------


async def settle(bot: RunningBot, timeout: float = 20.0) -> bool:
    """Wait until every update is handled and nothing due is left in the outbox; False if it
    took longer than `timeout` (RunningBot.settle with a quicker poll: the run settles often)."""
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 2:
        await asyncio.sleep(0.002)
        if time.monotonic() > deadline:
            return False
        calm = 0 if await bot.busy() else calm + 1
    return True


_BOT_TASKS = ("Application:", "Updater:", "outbox-", "inbox", "update-", "role-")
_BOT_CODE = (
    "Application.", "Updater.", "Dispatcher.", "network_retry_loop", "InboxWorker.",
    "AdvisoryElection.",
)  # fmt: skip


def _is_bot_task(task: asyncio.Task[Any]) -> bool:
    coroutine = task.get_coro()
    qualname = getattr(coroutine, "__qualname__", "")
    return task.get_name().startswith(_BOT_TASKS) or qualname.startswith(_BOT_CODE)


async def kill(bot: RunningBot, also: list[asyncio.Task[Any]] | None = None) -> None:
    """Stop the bot abruptly: cancel its tasks mid-flight, close the database without
    committing, run nothing graceful. The fake API keeps the updates it never had confirmed."""
    assert bot.app is not None and bot.runtime is not None
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and _is_bot_task(t)]
    tasks += also or []
    for task in tasks:
        task.cancel()
    # A killed process runs nothing more. A task that went on after its cancellation (a
    # library can swallow one that races a completion) is cancelled again, as the process
    # would be gone; one that outlives that is a bug worth seeing, not a hang.
    pending = set(tasks)
    for _ in range(20):
        _, pending = await asyncio.wait(pending, timeout=0.5)
        if not pending:
            break
        for task in pending:
            task.cancel()
    else:
        names = sorted(task.get_name() for task in pending)
        raise AssertionError(f"bot tasks that will not end when killed: {names}")
    # A dead process's sessions end with it, and its advisory locks (the polling and sending
    # roles on PostgreSQL) with them.
    dispatcher = bot.runtime.dispatcher
    for role in (bot.runtime.poller, getattr(dispatcher, "_role", None)):
        if role is not None:
            with contextlib.suppress(Exception):
                await role.release()
    if bot.runtime.services is not None:
        with contextlib.suppress(Exception):
            await bot.runtime.services.db.close()
    with contextlib.suppress(Exception):
        await bot.app.bot.shutdown()
    if bot.runtime.ops is not None:  # a killed process's listening sockets close with it
        with contextlib.suppress(Exception):
            await bot.runtime.ops.stop()
    # The next process asks for every update Telegram holds, handled or not.
    if bot.api.updates:
        bot.api.fetched_update_id = bot.api.updates[0]["update_id"] - 1
    bot.app = None
    bot.runtime = None


class LiveClock(FakeClock):
    """A test clock that runs with real time once `go_live` is called (fairness phase)."""

    def __init__(self, start: dt.datetime) -> None:
        super().__init__(start)
        self._since: float | None = None

    def go_live(self) -> None:
        self._since = time.monotonic()

    def __call__(self) -> dt.datetime:
        if self._since is None:
            return self.now
        return self.now + dt.timedelta(seconds=time.monotonic() - self._since)


# The run -------------------------------------------------------------------------------------


@dataclass(order=True)
class Action:
    """Something a person does at `moment`."""

    moment: dt.datetime
    order: int
    user_id: int = field(compare=False)
    kind: str = field(compare=False)
    params: dict[str, Any] = field(compare=False, default_factory=dict)


@dataclass
class SimConfig:
    """The size and the faults of a run."""

    seed: int
    pairs: int
    days: int
    crashes: int
    fault_steps: int
    tick_bound: float = 5.0  # real seconds a tick may take
    start: dt.datetime = START


@dataclass
class RunFigures:
    """What a run measured."""

    steps: int = 0
    ticks: int = 0
    slowest_tick: float = 0.0
    slowest_settle: float = 0.0
    crashes: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    stopped_early: str = ""
    slowest_wait: float = 0.0  # real seconds the longest wait for a reply took
    updates: int = 0
    messages: int = 0


def _print_tasks() -> None:
    for task in asyncio.all_tasks():
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


class Simulation:
    """One seeded run of the population against the real bot."""

    def __init__(
        self,
        config: SimConfig,
        workdir: Path,
        library: Library | None = None,
        database_url: str | None = None,
    ) -> None:
        self.config = config
        self.workdir = workdir
        self.database = workdir / "nearer.sqlite3"
        self.database_url = database_url  # PostgreSQL when set, else the SQLite file
        self.library = library or load_library()
        self.clock = FakeClock(config.start)
        self.world = World(self.clock)
        self.api = SimAPI(self.world)
        self.people = make_people(config.seed, 2 * config.pairs)
        self.by_id = {p.user_id: p for p in self.people}
        self.oracle: Oracle = make_oracle(self.people, config.seed, config.start)
        self.catalogue = Catalogue()
        port = free_port()
        self.webapp_url = f"http://127.0.0.1:{port}/app/"
        self.bot = RunningBot(
            self.api,
            self.database,
            self.clock,
            self.library,
            send_rate=1000,
            database_url=database_url,
            webapp_url=self.webapp_url,
            webhook_port=port,
        )
        self.rng = random.Random(config.seed ^ 0x5EED)
        self.actions: list[Action] = []
        self.order = itertools.count()
        self.figures = RunFigures()
        self.question_messages: dict[tuple[int, int, int], JSON] = {}  # (user, pair, prompt)
        self.answer_messages: dict[tuple[int, int], list[JSON]] = {}  # (user, pair)
        self.button_pool: list[tuple[int, int | None, JSON, str]] = []  # owner, pair, msg, data
        self.offers: dict[int, tuple[JSON, str]] = {}  # invitee -> (offer message, code)
        self.latest_nudge: dict[int, JSON] = {}
        self.teasers: dict[int, tuple[JSON, int | None]] = {}  # latest exercise teaser, pair
        self.held_links: dict[int, str] = {}  # invitees who never answered keep the link
        self.awaited: dict[int, int] = {}  # inviter -> the partner a new link is meant for
        self.next_plan = config.start
        self.follow_ups: list[dt.datetime] = []
        self.crash_times: list[dt.datetime] = []  # the first step at or after each crashes
        self.fault_times: list[dt.datetime] = []  # the first step at or after each has faults
        self.deletion_scans_done = 0
        self.errors: RecordCapture | None = None
        self.errors_seen = 0
        # People who flooded: their allowance may be empty until simulated time moves on.
        self.silenced_until: dict[int, dt.datetime] = {}
        self.presses: list[tuple[int, asyncio.Future[JSON], str]] = []
        self.crash_in_round = False
        self.wedged = False
        self.populating = False

    async def start_bot(self) -> None:
        """Start the bot; its intake measures allowances on the simulated clock, so a person
        who flooded on Monday is not still silenced on Thursday because only milliseconds of
        real time passed in between."""
        await self.bot.start()
        intake = getattr(self.bot.runtime, "intake", None)
        if intake is not None and hasattr(intake, "clock"):
            intake.clock = lambda: self.clock().timestamp()

    def user(self, uid: int) -> SimUser:
        person = self.by_id[uid]
        user = self.api.user(uid, person.name, language_code=person.language_code)
        assert isinstance(user, SimUser)
        return user

    def schedule(self, moment: dt.datetime, uid: int, kind: str, **params: Any) -> None:
        grid = dt.timedelta(minutes=GRID_MINUTES)
        since = moment - self.config.start
        rounded = self.config.start + math.ceil(since / grid) * grid
        heapq.heappush(self.actions, Action(rounded, next(self.order), uid, kind, params))

    # The whole run ---------------------------------------------------------------------------

    async def run(self) -> Oracle:
        started = time.monotonic()
        # `kill -USR1 <pid>` prints where every task waits: a run that hangs says where.
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, _print_tasks)
        await self.api.start()
        with captured(logging.ERROR) as errors:
            self.errors = errors
            await self.start_bot()
            try:
                await self.populate()
                await self.live()
                await self.final_checks()
            finally:
                if self.bot.app is not None:
                    # A wedged bot cannot stop gracefully (its last getUpdates fails too).
                    await (kill(self.bot) if self.wedged else self.bot.stop())
                await self.api.stop()
        self.figures.wall = time.monotonic() - started
        self.figures.updates = self.api.next_update_id - 1
        self.figures.messages = sum(
            self.api.calls[m] for m in ("sendMessage", "copyMessage", "sendDocument")
        )
        return self.oracle

    async def populate(self) -> None:
        """Pair everyone up as couples: one invites, the other accepts."""
        self.populating = True
        inviters = self.people[0::2]
        invitees = self.people[1::2]
        for person in self.people:
            await self.user(person.user_id).say(Intent("command", command="/start"), "/start")
        for inviter in inviters:
            await self.user(inviter.user_id).say(Intent("command", command="/invite"), "/invite")
        await self.settle_and_observe()
        # Two couples take their time (issue 12's follow-ups to the inviter): in the last, the
        # partner never opens the first link, which runs out; the inviter asks for a new one
        # from the notice and sends it. In the one before, the partner first taps "Not now"
        # and opens the link again a few hours later.
        late = invitees[-1].user_id if len(invitees) > 2 else None
        hesitant = invitees[-2].user_id if len(invitees) > 2 else None
        for inviter, invitee in zip(inviters, invitees, strict=True):
            code = self.latest_code(inviter.user_id)
            if invitee.user_id == late:
                self.awaited[inviter.user_id] = invitee.user_id
            elif code:
                await self.open_link(invitee.user_id, code)
        await self.settle_and_observe()
        for invitee in invitees:
            offer = self.offers.pop(invitee.user_id, None)
            if offer is not None and invitee.user_id == hesitant:
                await self.press(invitee.user_id, offer[0], f"decline:{offer[1]}")
                later = self.clock.now + dt.timedelta(hours=invitee.more_rng.uniform(2, 9))
                self.schedule(later, invitee.user_id, "open", code=offer[1])
            elif offer is not None:
                await self.press(invitee.user_id, offer[0], f"accept:{offer[1]}")
        await self.settle_and_observe()
        self.populating = False
        # Couples then pick their own zone and time, spread over every zone and send time
        # (so a small run still meets each DST gap and repeated hour); a few keep UTC 09:00.
        for index, inviter in enumerate(inviters):
            if index % 6 == 5:
                continue
            zone, send_time = ZONES[index % len(ZONES)], SEND_TIMES[index % len(SEND_TIMES)]
            self.schedule(self.clock.now, inviter.user_id, "timezone", zone=zone)
            later = self.clock.now + dt.timedelta(hours=1)
            self.schedule(later, inviter.user_id, "time", time=send_time)

    def latest_code(self, uid: int) -> str | None:
        for message in reversed(self.user(uid).inbox):
            text = str(message.get("text") or "")
            if "?start=" in text:
                return text.split("?start=")[1].split()[0]
        return None

    async def live(self) -> None:
        """Step from event to event until the last simulated day ends."""
        end = self.config.start + dt.timedelta(days=self.config.days)
        span = (end - self.clock.now).total_seconds()

        def moments(count: int) -> list[dt.datetime]:
            offsets = sorted(self.rng.uniform(0.02, 1.0) * span for _ in range(count))
            return [self.clock.now + dt.timedelta(seconds=offset) for offset in offsets]

        self.crash_times = moments(self.config.crashes)
        late = self.clock.now + dt.timedelta(seconds=0.9 * span)
        self.schedule(late, self.rng.choice(self.people).user_id, "malformed")
        self.fault_times = moments(self.config.fault_steps)
        moment = self.clock.now
        while not self.wedged:
            moment = self.next_moment(moment)
            if moment >= end:
                break
            await self.step(moment)

    def next_moment(self, after: dt.datetime) -> dt.datetime:
        candidates = self.oracle.upcoming(after)
        candidates.append(max(self.next_plan, after + dt.timedelta(minutes=1)))
        if self.actions:
            candidates.append(max(self.actions[0].moment, after + dt.timedelta(seconds=1)))
        self.follow_ups = [m for m in self.follow_ups if m > after]
        candidates += self.follow_ups
        return min(m for m in candidates if m > after)

    # One step --------------------------------------------------------------------------------

    async def step(self, moment: dt.datetime) -> None:
        self.clock.set(moment)
        self.figures.steps += 1
        self.plan(moment)
        step_start = self.world.last_seq
        self.oracle.now = moment
        self.oracle.before_tick(moment)
        faulty = bool(self.fault_times) and self.fault_times[0] <= moment
        if faulty:
            self.fault_times.pop(0)
            self.api.faults.rate = 0.08
            self.api.faults.retry_after = 1
            self.api.faults.timeout_seconds = 1.5
            self.api.faults.weights = {"429": 1, "500": 2, "502": 1, "timeout": 0.3, "drop": 1}
            self.follow_ups += [moment + delta for delta in FOLLOW_UPS]
        due = []
        while self.actions and self.actions[0].moment <= moment:
            due.append(heapq.heappop(self.actions))
        crash = None
        if self.crash_times and self.crash_times[0] <= moment:
            self.crash_times.pop(0)
            crash = self.rng.choice(["tick", "delivery", "actions"])
            if crash == "actions" and not due:
                crash = "delivery"
        if crash == "tick":
            await self.crash_during_tick(step_start)
        else:
            await self.timed_tick()
        if crash == "delivery":
            await asyncio.sleep(self.rng.uniform(0.0, 0.01))
            await self.crash(step_start, [])
        await self.settle_and_observe()
        self.api.faults.rate = 0.0
        for kind, count in self.api.errors.items():
            if kind.startswith("injected_"):
                self.figures.faults[kind.removeprefix("injected_")] = count
        for number, round_ in enumerate(self.rounds(due)):
            await self.play_round(round_, crash=crash == "actions" and number == 0)
        self.oracle.after_step(moment)
        self.oracle.step_over(self.world.last_seq)
        self.check_errors()
        await self.scan_deletions()

    def rounds(self, due: list[Action]) -> list[list[Action]]:
        """Split the step's actions so that at most one person of a pair acts per round (the
        bot handles chats concurrently: two partners' messages in one round could be handled
        in either order). Presses of other pairs' buttons go last, each round on its own."""
        isolated = [a for a in due if a.kind in ("forged", "stale_other")]
        rest = [a for a in due if a.kind not in ("forged", "stale_other")]
        rounds: list[list[Action]] = []
        for action in rest:
            key = self.pair_key(action.user_id)
            for round_ in rounds:
                if all(self.pair_key(other.user_id) != key for other in round_):
                    round_.append(action)
                    break
            else:
                rounds.append([action])
        if isolated:
            rounds.append(isolated)
        return rounds

    def pair_key(self, uid: int) -> int:
        pair = self.oracle.who(uid).pair
        return pair.key if pair is not None else -uid

    async def play_round(self, round_: list[Action], *, crash: bool) -> None:
        step_start = self.world.last_seq
        isolated = any(a.kind in ("forged", "stale_other") for a in round_)
        by_person: dict[int, list[Action]] = {}
        for action in round_:
            by_person.setdefault(action.user_id, []).append(action)
        tasks = [asyncio.create_task(self.act_all(actions)) for actions in by_person.values()]
        if crash:
            self.crash_in_round = True
            await asyncio.sleep(self.rng.uniform(0.0, 0.02))
            await self.crash(step_start, [])
        await asyncio.gather(*tasks)
        await self.settle_and_observe()
        if isolated:
            self.oracle.isolated.clear()
        self.check_presses()
        self.crash_in_round = False

    async def act_all(self, actions: list[Action]) -> None:
        for action in actions:
            try:
                await getattr(self, f"act_{action.kind}")(action)
            except Exception as error:  # a broken action is a bug of the simulation itself
                raise RuntimeError(f"action {action.kind} of {action.user_id} failed") from error

    async def timed_tick(self) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(self.bot.tick(), self.config.tick_bound)
        except TimeoutError:
            self.oracle.violate(
                "4", "tick-never-finished", f"the tick at {self.clock.now:%Y-%m-%d %H:%M}Z did "
                f"not finish within {self.config.tick_bound:.0f} s; the scheduler is wedged and "
                "the run stops here",
            )  # fmt: skip
            self.figures.stopped_early = f"day {self.oracle.day_index()}: tick wedged"
            self.wedged = True
        elapsed = time.monotonic() - started
        self.figures.ticks += 1
        self.figures.slowest_tick = max(self.figures.slowest_tick, elapsed)

    async def settle_and_observe(self) -> None:
        started = time.monotonic()
        if not await settle(self.bot) and not self.wedged:
            self.oracle.violate(
                "4", "never-idle", "the bot did not finish its updates and outbox within 20 s; "
                "the run stops here",
            )  # fmt: skip
            self.figures.stopped_early = f"day {self.oracle.day_index()}: never idle"
            self.wedged = True
        self.figures.slowest_settle = max(self.figures.slowest_settle, time.monotonic() - started)
        self.observe()

    def observe(self) -> None:
        while self.world.records:
            for record in self.world.take():
                self.oracle.observe(record)
                if record.direction == "in":
                    self.react(record)

    def compact(self) -> None:
        """Once a simulated day: forget old messages, so a year of a big run fits in memory.
        People keep their recent messages; chats keep what people sent (reveals copy it)."""
        for user in self.api.users.values():
            if len(user.inbox) > 60:
                del user.inbox[:-60]
                user.read = len(user.inbox)
        bot_id = self.api.bot_json["id"]
        for chat in self.api.chats.values():
            sent = [k for k, m in chat.messages.items() if m["from"]["id"] == bot_id]
            for key in sent[:-60]:
                del chat.messages[key]

    def check_errors(self) -> None:
        assert self.errors is not None
        lines = self.errors.describe(logging.ERROR)
        for line in lines[self.errors_seen :]:
            self.oracle.violate("4", "unhandled-error", line.splitlines()[0][:300])
        self.errors_seen = len(lines)
        if self.errors_seen > 200 and not self.wedged:
            self.oracle.violate("4", "failing-over-and-over", f"{self.errors_seen} errors "
                                "logged; the run stops here")  # fmt: skip
            self.figures.stopped_early = f"day {self.oracle.day_index()}: errors over and over"
            self.wedged = True

    # Crashes ---------------------------------------------------------------------------------

    async def crash_during_tick(self, step_start: int) -> None:
        tick = asyncio.create_task(self.bot.tick())
        await asyncio.sleep(self.rng.uniform(0.0, 0.004))
        await self.crash(step_start, [tick])
        await self.timed_tick()  # the repeating job runs again after the restart

    async def crash(self, step_start: int, also: list[asyncio.Task[Any]]) -> None:
        await kill(self.bot, also)
        self.oracle.crashed(step_start, self.world.last_seq)
        self.figures.crashes += 1
        await self.start_bot()

    # Reacting to what arrives ----------------------------------------------------------------

    def react(self, record: Record) -> None:
        uid = record.user_id
        person = self.by_id[uid]
        who = self.oracle.who(uid)
        message = record.message
        kind, fields = self.catalogue.classify(message)
        now = record.moment
        pair = who.pair
        for data in button_data(message):
            self.button_pool.append((uid, pair.key if pair else None, message, data))
        if len(self.button_pool) > 4000:
            del self.button_pool[:1000]
        if kind == "question" and pair is not None:
            prompt = next((p for p in pair.prompts if p.delivered.get(uid) == record.seq), None)
            if prompt is None:
                # A second copy (sent again after a crash): people reply to the newest one.
                key = fields.get("question")
                for earlier in pair.prompts:
                    if uid in earlier.delivered and earlier.text and earlier.text == key:
                        self.question_messages[(uid, pair.key, earlier.key)] = message
                return
            self.question_messages[(uid, pair.key, prompt.key)] = message
            if person.chance(person.traits.answer_share):
                low, high = person.traits.answer_delay
                at = now + dt.timedelta(hours=person.rng.uniform(low, high))
                self.schedule(at, uid, "answer", pair=pair.key, prompt=prompt.key)
        elif kind == "nudge" and pair is not None:
            # People reply to the newest copy (one sent again after a crash, say).
            self.latest_nudge[uid] = message
            if person.chance(person.traits.gift_share):
                at = now + dt.timedelta(hours=person.rng.uniform(0.2, 2.5))
                self.schedule(at, uid, "gift", pair=pair.key)
        elif kind in ("reveal", "reveal_media") and button_data(message) and pair is not None:
            revealed = self.oracle.prompt_by_text(pair, fields.get("question", ""))
            picked = revealed is not None and revealed.format in PICK_FORMATS
            if kind == "reveal" and picked and person.chance(WHY_SHARE):
                # The reveal of a pick invites a why: a reply to it goes to the partner.
                at = now + dt.timedelta(hours=person.rng.uniform(0.1, 3))
                self.schedule(at, uid, "why", message=message, prompt=revealed)
            if person.chance(person.traits.react_share):
                at = now + dt.timedelta(hours=person.rng.uniform(0.1, 3))
                self.schedule(at, uid, "react", message=message)
            if person.chance(person.traits.edit_share):
                at = now + dt.timedelta(hours=person.rng.uniform(0.1, 3))
                self.schedule(at, uid, "edit", pair=pair.key)
        elif kind == "exercise_teaser" and not message.get("edited"):
            # The week's exercise: some open it ("Show me") within the day or the next days
            # (by then a few of them have a new partner: it must open nothing then).
            self.teasers[uid] = (message, pair.key if pair else None)
            if person.more_rng.random() < SHOW_EXERCISE_SHARE:
                at = now + dt.timedelta(hours=person.more_rng.uniform(0.2, 60.0))
                self.schedule(at, uid, "show_exercise")
        elif kind == "zone_ask" and not message.get("edited"):
            # "Where are you?": most tap their own zone soon, some skip, a few never answer.
            if person.chance(0.95):
                at = now + dt.timedelta(minutes=person.rng.uniform(1, 40))
                self.schedule(at, uid, "zone", message=message)
        elif kind in ("invite_expired_notice", "invite_opened_late_notice") and uid in (
            self.awaited
        ):
            # "Send a new link": pressed soon, and this time the partner opens it.
            at = now + dt.timedelta(minutes=person.more_rng.uniform(10, 180))
            self.schedule(at, uid, "new_link", message=message)
        elif kind == "paired" and person.chance(0.04):
            # Second thoughts: some unpair within the day (and their old links lie around).
            at = now + dt.timedelta(hours=person.rng.uniform(2.0, 20.0))
            self.schedule(at, uid, "unpair")
        elif kind == "invite_offer":
            data = next((d for d in button_data(message) if d.startswith("accept:")), "")
            code = data.removeprefix("accept:")
            if self.populating:
                self.offers[uid] = (message, code)
                return
            choice = person.traits.invite_answer
            at = now + dt.timedelta(hours=person.rng.uniform(0.0, 3.0))
            if choice == "accept":
                self.schedule(at, uid, "accept", message=message, code=code)
            elif choice == "decline":
                self.schedule(at, uid, "decline", message=message)
            else:
                self.held_links[uid] = code
                later = now + dt.timedelta(hours=person.rng.uniform(6.0, 40.0))
                self.schedule(later, uid, "reopen")

    # Daily plans -----------------------------------------------------------------------------

    def plan(self, moment: dt.datetime) -> None:
        """Once a day: what each person may do in the next 24 hours."""
        while self.next_plan <= moment:
            self.compact()
            window = self.next_plan
            self.next_plan += dt.timedelta(days=1)
            for person in self.people:
                uid = person.user_id
                who = self.oracle.who(uid)
                for hour, kind in person.plan_day():
                    self.schedule(window + dt.timedelta(hours=hour), uid, kind)
                waiting = self.waiting_on_link(person)
                if who.pair is None and not who.blocked and person.chance(0.45) and not waiting:
                    at = window + dt.timedelta(hours=person.rng.uniform(0, 20))
                    self.schedule(at, uid, "invite")
                pair = who.pair
                open_ended = pair is not None and pair.paused and pair.pause_until is None
                if open_ended and person.chance(0.3):
                    at = window + dt.timedelta(hours=person.rng.uniform(0, 23))
                    self.schedule(at, uid, "resume")

    def waiting_on_link(self, person: Any) -> bool:
        """Whether someone with a link out this week waits for it today rather than send a
        new one (most do: so some links run out unused, and their inviter hears of it)."""
        uid = person.user_id
        out = any(
            invite.inviter == uid and invite.alive and invite.expires > self.clock.now
            for invite in self.oracle.invites.values()
        )
        return out and person.more_rng.random() < LINK_PATIENCE

    # Actions ---------------------------------------------------------------------------------

    async def wait_for(
        self,
        uid: int,
        since: int,
        predicate: Callable[[JSON], bool],
        *,
        until_confirmed: bool = False,
    ) -> JSON | None:
        """The first message from index `since` of the person's inbox that matches, or None once
        the bot has handled every update and has nothing due to send without sending one (with
        `until_confirmed`, every update the fake still holds unconfirmed, as after a crash,
        counts as not handled). No clock decides: a slow machine only makes it slower; a bot
        still busy after BUSY_CAP seconds is a violation."""
        user = self.user(uid)
        started = time.monotonic()
        calm = 0
        while True:
            waited = time.monotonic() - started
            self.figures.slowest_wait = max(self.figures.slowest_wait, waited)
            for message in user.inbox[since:]:
                if predicate(message):
                    return message
            if calm >= 3:
                # Acknowledgements (a reaction) and edits come through the outbox: calm means
                # the sender has nothing due either. Calm must hold twice, a moment apart: on
                # a loaded machine (PostgreSQL) a reply was seen arriving just after a single
                # calm look, its work visible in none of the bot's queues at that instant.
                if await self.sender_idle():
                    await asyncio.sleep(CALM_RECHECK)
                    for message in user.inbox[since:]:
                        if predicate(message):
                            return message
                    if not self.handling() and await self.sender_idle():
                        return None
                calm = 0
            if waited > BUSY_CAP:
                who = self.by_id[uid].name
                self.oracle.violate(
                    "4", "bot-busy-a-minute", f"the bot was still busy {waited:.0f} s after "
                    f"{who} acted", uid,
                )  # fmt: skip
                return None
            await asyncio.sleep(0.003)
            busy = self.handling() or (until_confirmed and bool(self.api.updates))
            calm = 0 if busy else calm + 1

    async def sender_idle(self) -> bool:
        """Whether the bot has no update to store or handle (the durable inbox included) and
        nothing due in its outbox."""
        if self.bot.app is None or self.bot.runtime is None:
            return False  # restarting after a crash
        try:  # a bot killed mid-round may leave its database closed under us: never hang
            return not await asyncio.wait_for(self.bot.busy(), 1.0)
        except Exception:
            return False

    def handling(self) -> bool:
        """Whether the bot still has updates to fetch or handle (replies come from handlers)."""
        app = self.bot.app
        if app is None:
            return True
        queue = app.update_queue
        # Fetched but not yet confirmed (the bot asks past an update once it is stored), an
        # update may still be on its way from the HTTP response into the bot's queue: taking
        # that moment for calm made a slow reply look like none at all.
        return (
            bool(self.api.updates)
            or (isinstance(queue, DurableUpdateQueue) and queue.unsettled())
            or not queue.empty()
            or app.update_processor.current_concurrent_updates > 0
        )

    async def command(self, uid: int, text: str) -> int:
        """Send a command; return the inbox position before it, to read the reply from."""
        user = self.user(uid)
        before = len(user.inbox)
        command, _, argument = text.partition(" ")
        await user.say(Intent("command", command=command, argument=argument), text)
        return before

    async def press(
        self,
        uid: int,
        message: JSON,
        data: str,
        *,
        change: tuple[str, Any] | None = None,
        isolated: bool = False,
        origin: int | None = None,
    ) -> asyncio.Future[JSON]:
        intent = Intent("press", data=data, change=change, isolated=isolated, origin_pair=origin)
        future = await self.user(uid).tap(intent, message, data)
        self.presses.append((uid, future, data))
        return future

    async def open_link(self, uid: int, code: str) -> None:
        intent = Intent("command", command="/start", argument=code)
        await self.user(uid).say(intent, f"/start {code}")

    def current_pair(self, uid: int, key: int | None) -> bool:
        pair = self.oracle.who(uid).pair
        return pair is not None and pair.key == key and pair.active

    def prompt_of_message(self, uid: int, message: JSON) -> Prompt | None:
        """The modelled question a question message of the person's current pair carried."""
        pair = self.oracle.who(uid).pair
        if pair is None:
            return None
        for (owner, pair_key, prompt_key), sent in self.question_messages.items():
            if (
                owner == uid
                and pair_key == pair.key
                and sent.get("message_id") == message.get("message_id")
            ):
                return pair.prompts[prompt_key - 1]
        return None

    def open_prompt(self, uid: int, pair_key: int, prompt_key: int) -> Prompt | None:
        pair = self.oracle.who(uid).pair
        if pair is None or pair.key != pair_key:
            return None
        prompt = pair.prompts[prompt_key - 1]
        return prompt if not prompt.revealed and not prompt.skipped else None

    async def act_answer(self, action: Action) -> None:
        uid = action.user_id
        person = self.by_id[uid]
        prompt = self.open_prompt(uid, action.params["pair"], action.params["prompt"])
        if prompt is None or prompt.answered(uid) or self.oracle.who(uid).blocked:
            return
        pair = prompt.pair
        question = self.question_messages.get((uid, pair.key, prompt.key))
        unanswered = [p for p in pair.open_prompts() if not p.answered(uid)]
        plain = (
            not person.chance(person.traits.reply_share)
            and len(unanswered) == 1
            and unanswered[0] is prompt
        )
        if question is None:
            return
        if person.chance(ASIDE_SHARE) and len(pair.open_prompts()) == 1:
            await self.act_aside(uid)
        picks = [d for d in button_data(question) if d.startswith("pick:")]
        if picks and person.chance(TAP_SHARE):
            await self.tap_pick(uid, prompt, question, person.rng.choice(picks))
        else:
            await self.send_answer(uid, prompt, None if plain else question, "answer")
        if prompt.format == "guess":
            # The guess at the partner's answer comes next, as the question asks.
            await self.send_answer(uid, prompt, question, "answer")
        # Corrections, edits and older questions come later the same day.
        if person.chance(person.traits.correction_share):
            at = action.moment + dt.timedelta(hours=person.rng.uniform(0.2, 3))
            self.schedule(at, uid, "correct", pair=pair.key, prompt=prompt.key)
        if person.chance(person.traits.edit_share):
            at = action.moment + dt.timedelta(hours=person.rng.uniform(0.1, 2))
            self.schedule(at, uid, "edit", pair=pair.key)
        if person.chance(person.traits.older_share):
            at = action.moment + dt.timedelta(minutes=30)
            self.schedule(at, uid, "older", pair=pair.key)

    async def send_answer(
        self, uid: int, prompt: Prompt | None, reply_to: JSON | None, kind: str
    ) -> None:
        person = self.by_id[uid]
        user = self.user(uid)
        media = person.media_kind()
        target = prompt if reply_to is not None else None
        before = len(user.inbox)
        if media == "text":
            text, marker = person.answer_text()
            intent = Intent(kind, prompt=target, marker=marker, media="text")
            message = await user.say(intent, text, reply_to=reply_to)
            key = (uid, self.pair_key(uid))
            self.answer_messages.setdefault(key, []).append(message)
        else:
            caption, marker = (None, None)
            if media == "photo" and person.chance(0.5):
                caption, marker = person.answer_text()
            intent = Intent(kind, prompt=target, marker=marker, media=media)
            message = await user.media(intent, reply_to=reply_to, caption=caption)
        await self.acknowledged(uid, before, message.get("message_id"))

    async def tap_pick(self, uid: int, prompt: Prompt, question: JSON, data: str) -> None:
        """Answer by tapping an option or a rating under the question."""
        user = self.user(uid)
        before = len(user.inbox)
        intent = Intent("answer", prompt=prompt, media="pick", data=data)
        future = await user.tap(intent, question, data)
        self.presses.append((uid, future, data))
        with contextlib.suppress(TimeoutError):
            answer = await asyncio.wait_for(asyncio.shield(future), REPLY_WAIT)
            if answer.get("text"):  # an alert instead of a confirmation: nothing was taken
                self.world.add("note", uid, {}, Intent("silent"))
                return
        # Issue 12: a pick is confirmed in place, the question edited to show it ticked; that
        # edit is the acknowledgement (the timeline records it as one).
        asked = question.get("message_id")
        edited = await self.wait_for(
            uid, before, lambda m: bool(m.get("edited")) and m.get("message_id") == asked
        )
        if edited is not None:
            self.world.add("in", uid, {"pick_confirmed": edited.get("message_id")})
            return
        await self.acknowledged(uid, before)

    async def acknowledged(self, uid: int, before: int, message_id: int | None = None) -> None:
        """Wait for the bot's reply to an answer, edit or appreciation; when there is none
        (the person's allowance ran dry, or an edit of something that is not an answer), say
        so in the timeline. A reaction counts only on the message it is about."""

        def is_ack(message: JSON) -> bool:
            if "reacted_to" in message and message_id is not None:
                return bool(message["reacted_to"] == message_id)
            kind = self.catalogue.classify(message)[0]
            return kind.startswith("ack_") or kind == "asking"

        reply = await self.wait_for(uid, before, is_ack)
        if reply is not None and self.catalogue.classify(reply)[0] == "asking":
            # The bot asks before taking it (issue 12): answer its question, then the
            # reaction on the message is the acknowledgement.
            pressed_at = len(self.user(uid).inbox)
            if not await self.answer_asking(uid, reply):
                return
            reply = await self.wait_for(uid, pressed_at, is_ack)
        if reply is None and self.crash_in_round:
            # Killed before it replied: the restarted bot fetches the unconfirmed update again.
            reply = await self.wait_for(uid, before, is_ack, until_confirmed=True)
        if reply is not None:
            return
        self.world.add("note", uid, {}, Intent("silent"))
        pending = self.oracle.waiting.get(uid)
        if pending is None or pending.kind == "edit" or self.silenced(uid):
            return
        if self.crash_in_round:
            self.oracle.violate("6", "lost-in-a-crash", f"{self.by_id[uid].name}'s "
                                f"{pending.kind} got no reply after the restart", uid)  # fmt: skip
        else:
            self.oracle.violate("4", "update-not-handled", f"{self.by_id[uid].name}'s "
                                f"{pending.kind} got no reply at all", uid)  # fmt: skip

    async def answer_asking(self, uid: int, asking: JSON) -> bool:
        """Press what the person means under the bot's question about their message: Replace
        for a correction, "Save as my answer" for an answer, the button of the question it
        answers. False when nothing fits (then "No, just chatting" or "Keep the first")."""
        buttons = button_data(asking)
        pending = self.oracle.waiting.get(uid)
        chosen = next((d for d in buttons if d.endswith((":replace", ":save"))), None)
        if chosen is None and pending is not None and pending.prompt is not None:
            words = pending.prompt.text or ""
            for label, data in _buttons(asking):
                shown = label.partition(": ")[2].rstrip("…").strip()
                if ":q:" in data and shown and words.startswith(shown):
                    chosen = data
        if chosen is None:
            chosen = next((d for d in buttons if d.endswith((":no", ":keep"))), None)
            if chosen is not None:
                await self.press(uid, asking, chosen)
            self.world.add("note", uid, {}, Intent("silent"))
            return False
        await self.press(uid, asking, chosen)
        return True

    async def act_aside(self, uid: int) -> None:
        """A plain "thanks!" or "how do I change the time?" while a question is open: the bot
        asks, and the person presses "No, just chatting"."""
        user = self.user(uid)
        person = self.by_id[uid]
        marker = person.marker()
        text = person.rng.choice((f"thanks {marker}?", f"how do I change the time {marker}?"))
        before = len(user.inbox)
        message = await user.say(Intent("aside", marker=marker), text)
        asking = await self.wait_for(
            uid, before, lambda m: self.catalogue.classify(m)[0] == "asking"
        )
        if asking is None:
            return
        if self.user(uid).reactions_on(message):
            self.oracle.violate(
                "2", "aside-saved-silently", f"{person.name}'s aside {marker!r} was taken as "
                "an answer without asking", uid,
            )  # fmt: skip
            return
        no = next((d for d in button_data(asking) if d.endswith(":no")), None)
        if no is not None:
            await self.press(uid, asking, no)

    def silenced(self, uid: int) -> bool:
        until = self.silenced_until.get(uid)
        return until is not None and self.clock.now <= until

    def check_presses(self) -> None:
        """Every button press gets an answer (unless its presser just flooded)."""
        for uid, future, data in self.presses:
            if not future.done() and not self.silenced(uid):
                where = "after a crash" if self.crash_in_round else "at all"
                self.oracle.violate(
                    "6" if self.crash_in_round else "4", "press-not-answered",
                    f"{self.by_id[uid].name}'s press of {data!r} was never answered {where}", uid,
                )  # fmt: skip
        self.presses = []

    async def act_correct(self, action: Action) -> None:
        """A second message that replaces the answer: a plain message when every open question
        is answered (the bot said a new message replaces the answer), else a reply."""
        uid = action.user_id
        prompt = self.open_prompt(uid, action.params["pair"], action.params["prompt"])
        if prompt is None or not prompt.answered(uid):
            return
        unanswered = [p for p in prompt.pair.open_prompts() if not p.answered(uid)]
        latest = prompt.pair.open_prompts()[-1]
        if not unanswered and latest is prompt:
            await self.send_answer(uid, None, None, "correction")
        else:
            question = self.question_messages.get((uid, prompt.pair.key, prompt.key))
            if question is not None:
                await self.send_answer(uid, prompt, question, "correction")

    async def act_older(self, action: Action) -> None:
        uid = action.user_id
        pair = self.oracle.who(uid).pair
        if pair is None or pair.key != action.params["pair"]:
            return
        older = [p for p in pair.open_prompts()[:-1] if not p.answered(uid)]
        if not older:
            return
        prompt = self.by_id[uid].rng.choice(older)
        question = self.question_messages.get((uid, pair.key, prompt.key))
        if question is not None:
            await self.send_answer(uid, prompt, question, "answer")

    async def act_edit(self, action: Action) -> None:
        uid = action.user_id
        messages = self.answer_messages.get((uid, action.params["pair"]), [])
        if not messages or not self.current_pair(uid, action.params["pair"]):
            return
        message = messages[-1]
        text, marker = self.by_id[uid].answer_text()
        intent = Intent("edit", marker=marker, edited_message=int(message["message_id"]))
        before = len(self.user(uid).inbox)
        await self.user(uid).change(intent, message, text)
        await self.acknowledged(uid, before)

    async def act_gift(self, action: Action) -> None:
        uid = action.user_id
        if not self.current_pair(uid, action.params["pair"]) or self.oracle.who(uid).blocked:
            return
        person = self.by_id[uid]
        nudge = self.latest_nudge.get(uid)
        if nudge is None:
            return
        user = self.user(uid)
        pair = self.oracle.who(uid).pair
        assert pair is not None
        plain = not pair.open_prompts() and person.chance(0.3)
        reply_to = None if plain else nudge
        before = len(user.inbox)
        if person.chance(0.85):
            text, marker = person.gift_text()
            await user.say(Intent("gift", marker=marker), text, reply_to=reply_to)
        else:
            intent = Intent("gift", media=person.rng.choice(["voice", "photo"]))
            await user.media(intent, reply_to=reply_to, caption=None)
        await self.acknowledged(uid, before)

    async def act_why(self, action: Action) -> None:
        """Reply to the reveal of a pick with why."""
        uid = action.user_id
        if self.oracle.who(uid).blocked:
            return
        user = self.user(uid)
        before = len(user.inbox)
        text, marker = self.by_id[uid].answer_text()
        intent = Intent("why", prompt=action.params["prompt"], marker=marker, media="text")
        await user.say(intent, text, reply_to=action.params["message"])
        await self.acknowledged(uid, before)

    async def act_react(self, action: Action) -> None:
        uid = action.user_id
        message: JSON = action.params["message"]
        data = next((d for d in button_data(message) if d.startswith("react:")), None)
        if data is not None and not self.oracle.who(uid).blocked:
            choice = data if self.by_id[uid].chance(0.7) else data.replace(":heart", ":talk")
            await self.press(uid, message, choice)

    async def act_invite(self, action: Action) -> None:
        uid = action.user_id
        who = self.oracle.who(uid)
        if who.pair is not None or who.blocked:
            return
        before = await self.command(uid, "/invite")
        link = await self.wait_for(uid, before, lambda m: "?start=" in str(m.get("text") or ""))
        if link is None:
            return
        code = str(link["text"]).split("?start=")[1].split()[0]
        singles = [
            p.user_id
            for p in self.people
            if p.user_id != uid
            and self.oracle.who(p.user_id).pair is None
            and not self.oracle.who(p.user_id).blocked
            and p.user_id not in self.offers
        ]
        if not singles or self.by_id[uid].more_rng.random() < LINK_UNSENT:
            return  # a link nobody opens (never sent, or lost in a chat): it will run out
        invitee = self.by_id[uid].rng.choice(singles)
        at = action.moment + dt.timedelta(hours=self.by_id[invitee].rng.uniform(0.0, 4.0))
        self.schedule(at, invitee, "open", code=code)

    async def act_new_link(self, action: Action) -> None:
        """Press "Send a new link" under the notice and pass the link on to one's partner."""
        uid = action.user_id
        partner = self.awaited.pop(uid, None)
        who = self.oracle.who(uid)
        if partner is None or who.pair is not None or who.blocked:
            return
        before = len(self.user(uid).inbox)
        await self.press(uid, action.params["message"], "invite")
        link = await self.wait_for(uid, before, lambda m: "?start=" in str(m.get("text") or ""))
        if link is None:
            return
        code = str(link["text"]).split("?start=")[1].split()[0]
        self.oracle.events["new_links_from_notice"] += 1
        at = action.moment + dt.timedelta(hours=self.by_id[partner].more_rng.uniform(0.5, 6.0))
        self.schedule(at, partner, "open", code=code)

    async def act_open(self, action: Action) -> None:
        uid = action.user_id
        if self.oracle.who(uid).blocked:
            return
        await self.open_link(uid, action.params["code"])

    async def act_reopen(self, action: Action) -> None:
        code = self.held_links.pop(action.user_id, None)
        if code is not None and not self.oracle.who(action.user_id).blocked:
            await self.open_link(action.user_id, code)

    async def act_accept(self, action: Action) -> None:
        uid = action.user_id
        if self.oracle.who(uid).pair is None and not self.oracle.who(uid).blocked:
            await self.press(uid, action.params["message"], f"accept:{action.params['code']}")

    async def act_zone(self, action: Action) -> None:
        """Tap one's own zone (people live all over, so partners often differ) or skip."""
        uid = action.user_id
        if self.oracle.who(uid).blocked:
            return
        person = self.by_id[uid]
        zone = "-" if person.chance(0.2) else ZONES[(uid * 7 + 3) % len(ZONES)]
        await self.press(uid, action.params["message"], f"zone:{zone}")

    async def act_decline(self, action: Action) -> None:
        if not self.oracle.who(action.user_id).blocked:
            message = action.params["message"]  # "decline:<code>" since issue 12
            data = next((d for d in button_data(message) if d.startswith("decline")), "decline")
            await self.press(action.user_id, message, data)

    def paired_and_reachable(self, uid: int) -> bool:
        who = self.oracle.who(uid)
        return who.pair is not None and not who.blocked

    async def act_pause(self, action: Action) -> None:
        uid = action.user_id
        who = self.oracle.who(uid)
        if not self.paired_and_reachable(uid):
            return
        pair = who.pair
        assert pair is not None
        if pair.paused or pair.limbo:
            await self.command(uid, "/resume")
            return
        person = self.by_id[uid]
        form = person.rng.choice(["", "3d", "1w", "until"])
        if form == "until":
            day = local_day(action.moment, pair.zone) + dt.timedelta(days=person.rng.randint(2, 9))
            form = f"until {day.isoformat()}"
        await self.command(uid, f"/pause {form}".strip())

    async def act_resume(self, action: Action) -> None:
        if self.paired_and_reachable(action.user_id):
            await self.command(action.user_id, "/resume")

    async def act_time(self, action: Action) -> None:
        if self.paired_and_reachable(action.user_id):
            send_time = action.params.get("time") or self.by_id[action.user_id].rng.choice(
                SEND_TIMES
            )
            await self.command(action.user_id, f"/time {send_time:%H:%M}")

    async def act_timezone(self, action: Action) -> None:
        if self.paired_and_reachable(action.user_id):
            zone = action.params.get("zone") or self.by_id[action.user_id].rng.choice(ZONES)
            await self.command(action.user_id, f"/timezone {zone}")

    async def act_location(self, action: Action) -> None:
        """Share one's location to set one's zone (issue 12): a few real cities, now and
        then an impossible point."""
        uid = action.user_id
        if self.paired_and_reachable(uid):
            place = self.by_id[uid].place()
            await self.user(uid).locate(Intent("location", place=place), place)

    async def act_show_exercise(self, action: Action) -> None:
        """Press "Show me" under one's latest exercise teaser and wait for what it does."""
        uid = action.user_id
        found = self.teasers.pop(uid, None)
        if found is None or self.oracle.who(uid).blocked:
            return
        teaser, origin = found
        data = _data_starting(teaser, "exercise:")
        if data is None or teaser.get("message_id") not in self.api.chat(uid).messages:
            return  # forgotten by the fake (see act_stale)
        user = self.user(uid)
        before = len(user.inbox)
        shown = teaser.get("message_id")
        intent = Intent("press", data=data, origin_pair=origin, message_id=shown)
        future = await user.tap(intent, teaser, data)
        self.presses.append((uid, future, data))
        answer = None
        with contextlib.suppress(TimeoutError):
            answer = await asyncio.wait_for(asyncio.shield(future), REPLY_WAIT)
        if answer is not None and not answer.get("text"):
            await self.wait_for(
                uid, before, lambda m: m.get("edited") is True and m.get("message_id") == shown
            )
        self.world.add("note", uid, {"answer": answer}, Intent("shown"))

    async def act_reminders(self, action: Action) -> None:
        if not self.oracle.who(action.user_id).blocked:
            state = self.by_id[action.user_id].rng.choice(["on", "on", "off"])
            await self.command(action.user_id, f"/reminders {state}")

    async def act_settings(self, action: Action) -> None:
        """Open /settings and change one thing through the buttons."""
        uid = action.user_id
        if not self.paired_and_reachable(uid):
            return
        person = self.by_id[uid]
        before = await self.command(uid, "/settings")
        menu = await self.wait_for(uid, before, lambda m: _has_data(m, ":freq"))
        if menu is None:
            return
        choice = person.rng.choice(["freq", "time", "zone", "quiet", "hours", "rem", "nud"])
        data = (
            _data_containing(menu, f":{choice}:")
            if choice in ("rem", "nud")
            else _data_ending(menu, f":{choice}")
        )
        if choice in ("rem", "nud"):
            await self.press_setting(uid, menu, data)
            return
        screen = await self.press_setting(uid, menu, data)
        if screen is None:
            return
        options = [(label, data) for label, data in _buttons(screen) if ":main" not in data]
        if options:
            await self.press_setting(uid, screen, person.rng.choice(options)[1])

    async def press_setting(self, uid: int, message: JSON, data: str | None) -> JSON | None:
        """Press a settings button; what it changes is read from the button itself."""
        if data is None:
            return None
        label = next((text for text, d in _buttons(message) if d == data), "")
        return await self.press_and_confirm(uid, message, data, _setting_change(label, data))

    async def press_and_confirm(
        self, uid: int, message: JSON, data: str | None, change: tuple[str, Any] | None
    ) -> JSON | None:
        """Press a settings button and wait for the menu to be edited; a confirmed change is
        noted in the timeline where the person saw it."""
        if data is None:
            return None
        user = self.user(uid)
        before = len(user.inbox)
        answered = await self.press(uid, message, data)
        edited = await self.wait_for(uid, before, lambda m: bool(m.get("edited")))
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(answered), 0.5)
        if edited is not None and change is not None:
            self.world.add("note", uid, edited, Intent("setting", change=change))
        return edited

    async def act_app_settings(self, action: Action) -> None:
        """Change one setting in the Mini App (initData signed as Telegram signs it): the
        same change, and the same notice to the partner, as through /settings."""
        uid = action.user_id
        if not self.paired_and_reachable(uid):
            return
        person = self.by_id[uid]
        rng = person.app_rng
        what = rng.choice(["time", "frequency", "reminders", "nudges"])
        value: Any
        if what == "time":
            value = rng.choice(SEND_TIMES)
            body: dict[str, Any] = {"change": "send_time", "value": f"{value:%H:%M}"}
        elif what == "frequency":
            value = rng.choice(["daily", "weekdays", "weekends", "three_a_week"])
            body = {"change": "frequency", "value": value}
        else:
            value = rng.random() < 0.6
            body = {"change": what, "value": value}
        init_data = init_data_for(uid, person.name, self.api.token, self.clock())
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.webapp_url}api/settings",
                json=body,
                headers={"Authorization": f"tma {init_data}"},
            )
        self.oracle.events[f"app_settings_{response.status_code}"] += 1
        if response.status_code == 200:
            self.world.add("note", uid, None, Intent("setting", change=(what, value)))

    async def act_skip(self, action: Action) -> None:
        if self.paired_and_reachable(action.user_id):
            await self.command(action.user_id, "/skip")

    async def act_ask(self, action: Action) -> None:
        uid = action.user_id
        if self.paired_and_reachable(uid):
            text, marker = self.by_id[uid].question_text()
            await self.user(uid).say(Intent("ask", marker=marker), f"/ask {text}")

    async def act_today(self, action: Action) -> None:
        if not self.oracle.who(action.user_id).blocked:
            await self.command(action.user_id, "/today")

    async def act_streak(self, action: Action) -> None:
        if not self.oracle.who(action.user_id).blocked:
            await self.command(action.user_id, "/streak")

    async def act_language(self, action: Action) -> None:
        uid = action.user_id
        if not self.oracle.who(uid).blocked:
            choice = self.by_id[uid].rng.choice(LANGUAGE_CHOICES)
            await self.command(uid, f"/language {choice}")

    async def act_help(self, action: Action) -> None:
        if not self.oracle.who(action.user_id).blocked:
            await self.command(action.user_id, "/help")

    async def act_history(self, action: Action) -> None:
        uid = action.user_id
        if self.oracle.who(uid).blocked:
            return
        before = await self.command(uid, "/history")
        page = await self.wait_for(uid, before, lambda m: _has_data(m, "h:"))
        for _ in range(self.by_id[uid].rng.randint(0, 3)):
            if page is None:
                return
            older = next((d for label, d in _buttons(page) if d.startswith("h:")), None)
            if older is None:
                return
            count = len(self.user(uid).inbox)
            await self.press(uid, page, older)
            page = await self.wait_for(uid, count, lambda m: bool(m.get("edited")))

    async def act_export(self, action: Action) -> None:
        if not self.oracle.who(action.user_id).blocked:
            await self.command(action.user_id, "/export")

    async def act_unsupported(self, action: Action) -> None:
        uid = action.user_id
        if not self.oracle.who(uid).blocked:
            user = self.user(uid)
            message = await user.send_sticker()
            self.world.add("out", uid, message, Intent("other"))

    async def act_unpair(self, action: Action) -> None:
        uid = action.user_id
        if not self.paired_and_reachable(uid):
            return
        before = await self.command(uid, "/unpair")
        confirm = await self.wait_for(uid, before, lambda m: _has_data(m, "unpair:yes"))
        if confirm is None:
            return
        yes = self.by_id[uid].chance(0.85)
        data = _data_starting(confirm, "unpair:yes" if yes else "unpair:no")
        if data is not None:
            await self.press(uid, confirm, data)

    async def act_delete(self, action: Action) -> None:
        uid = action.user_id
        if self.oracle.who(uid).blocked:
            return
        before = await self.command(uid, "/deletemydata")
        confirm = await self.wait_for(uid, before, lambda m: _has_data(m, "delete:yes"))
        if confirm is None:
            return
        yes = self.by_id[uid].chance(0.8)
        data = _data_starting(confirm, "delete:yes" if yes else "delete:no")
        if data is not None:
            await self.press(uid, confirm, data)
        if yes:
            later = action.moment + dt.timedelta(days=self.by_id[uid].rng.uniform(1, 8))
            self.schedule(later, uid, "come_back")

    async def act_come_back(self, action: Action) -> None:
        uid = action.user_id
        await self.command(uid, "/start")
        await self.command(uid, "/export")
        await self.command(uid, "/history")

    async def act_block(self, action: Action) -> None:
        uid = action.user_id
        who = self.oracle.who(uid)
        if who.blocked or who.pair is None:
            return
        await self.user(uid).block_bot()
        later = action.moment + dt.timedelta(days=self.by_id[uid].rng.uniform(0.5, 5))
        self.schedule(later, uid, "unblock")

    async def act_unblock(self, action: Action) -> None:
        if self.oracle.who(action.user_id).blocked:
            await self.user(action.user_id).unblock_bot()

    async def act_stale(self, action: Action) -> None:
        """Press an old button from one's own chat."""
        uid = action.user_id
        who = self.oracle.who(uid)
        if who.blocked:
            return
        # Only messages the chat still holds: the fake forgets old ones (compact), and the bot's
        # edit of a forgotten one fails where Telegram's would not, leaving a change unseen.
        held = self.api.chat(uid).messages
        own = [
            entry for entry in self.button_pool
            if entry[0] == uid and not entry[3].startswith(("accept:", "delete:", "unpair:"))
            and entry[2].get("message_id") in held
        ]  # fmt: skip
        if not own:
            return
        _, origin, message, data = self.by_id[uid].rng.choice(own)
        current = who.pair.key if who.pair else None
        if origin == current and data.startswith("pick:"):
            prompt = self.prompt_of_message(uid, message)
            if prompt is not None:
                await self.tap_pick(uid, prompt, message, data)
            return
        if origin == current and data.startswith("s:"):
            await self.press_setting(uid, message, data)
        elif origin == current:
            await self.press(uid, message, data)
        else:
            self.schedule(action.moment, uid, "stale_other", message=message, data=data,
                          origin=origin)  # fmt: skip

    async def act_stale_other(self, action: Action) -> None:
        uid = action.user_id
        if not self.oracle.who(uid).blocked:
            params = action.params
            await self.press(
                uid, params["message"], params["data"], isolated=True, origin=params["origin"]
            )

    async def act_forged(self, action: Action) -> None:
        """Press a button with data copied from someone else's chat."""
        uid = action.user_id
        who = self.oracle.who(uid)
        if who.blocked:
            return
        own_pair = who.pair.key if who.pair else None
        pool = [
            entry for entry in self.button_pool
            if entry[0] != uid and entry[1] != own_pair and not entry[3].startswith("accept:")
        ]  # fmt: skip
        if not pool:
            return
        _, origin, _, data = self.by_id[uid].rng.choice(pool)
        carrier = self.latest_own_message(uid)
        if carrier is not None:
            await self.press(uid, carrier, data, isolated=True, origin=origin)

    def latest_own_message(self, uid: int) -> JSON | None:
        inbox = self.user(uid).inbox
        return next((m for m in reversed(inbox) if "text" in m and not m.get("edited")), None)

    async def act_flood(self, action: Action) -> None:
        """Many commands in a row, as fast as a thumb can go."""
        uid = action.user_id
        if self.oracle.who(uid).blocked:
            return
        self.silenced_until[uid] = action.moment + dt.timedelta(minutes=5)
        person = self.by_id[uid]
        for _ in range(15):
            await self.command(uid, person.rng.choice(FLOOD_ACTIONS))

    async def act_business(self, action: Action) -> None:
        """A `business_message`: the person's message arrives from a chat that is not theirs
        (a chat with someone else, here another person of the run). It must not re-point
        where the bot writes to them."""
        uid = action.user_id
        others = [p.user_id for p in self.people if p.user_id != uid]
        if self.oracle.who(uid).blocked or not others:
            return
        other = self.user(self.by_id[uid].rng.choice(others))
        user = self.user(uid)
        text, marker = self.by_id[uid].answer_text()
        message = self.api.chat(other.id).add(
            {
                "from": user.json,
                "chat": other.chat_json,
                "date": int(time.time()),
                "text": text,
                "business_connection_id": "sim-business",
            }
        )
        await self.api.push_update({"business_message": message})
        self.world.add("out", uid, message, Intent("other", marker=marker))

    async def act_malformed(self, action: Action) -> None:
        """An update the Bot API server got wrong (a voice without a file id): it must be
        skipped, not wedge everyone's updates."""
        user = self.user(action.user_id)
        message = self.api.chat(user.id).add(
            {
                "from": user.json,
                "chat": user.chat_json,
                "date": int(time.time()),
                "voice": {"duration": 3},
            }
        )
        await self.api.push_update({"message": message})
        self.world.add("out", user.id, message, Intent("other"))

    # Invariant 5 -----------------------------------------------------------------------------

    async def scan_deletions(self) -> None:
        deletions = self.oracle.deletions
        while self.deletion_scans_done < len(deletions):
            uid, seq, _ = deletions[self.deletion_scans_done]
            self.deletion_scans_done += 1
            user_id, name, markers = self.oracle.deletion_needles(uid, seq)
            needles = Needles(user_id, (name, *markers))
            if self.database_url is None:
                traces = sqlite_traces(self.database, needles)
            else:
                traces = await postgres_traces(self.database_url, needles)
            for trace in list(dict.fromkeys(traces))[:5]:
                self.oracle.violate(
                    "5", "data-left-after-deletion", f"after {name} deleted their data, {trace}",
                    uid,
                )  # fmt: skip

    async def final_checks(self) -> None:
        """Drain what is still owed, then check deadlines one last time."""
        await self.settle_and_observe()
        self.check_errors()


def _buttons(message: JSON) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (str(button.get("text", "")), str(button.get("callback_data")))
        for row in markup.get("inline_keyboard", [])
        for button in row
        if button.get("callback_data") is not None
    ]


def _has_data(message: JSON, fragment: str) -> bool:
    return any(fragment in data for data in button_data(message))


def _data_ending(message: JSON, suffix: str) -> str | None:
    return next((d for d in button_data(message) if d.endswith(suffix)), None)


def _data_containing(message: JSON, part: str) -> str | None:
    return next((d for d in button_data(message) if part in d), None)


def _data_starting(message: JSON, prefix: str) -> str | None:
    return next((d for d in button_data(message) if d.startswith(prefix)), None)


def _setting_change(label: str, data: str) -> tuple[str, Any] | None:
    """What pressing a settings button asks for, read from the button as a person reads it:
    `s:<pair>:<action>[:<value>]`, where the label names a time, a zone or quiet hours."""
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != "s":
        return None
    action, value = parts[2], ":".join(parts[3:])
    label = label.removeprefix("✅ ").strip()
    if action in ("rem", "nud") and value in ("on", "off"):
        # The button names the state it sets (so a repeat after a crash sets it again).
        return ("reminders" if action == "rem" else "nudges", value == "on")
    if action == "f" and value:
        return ("frequency", value)
    if action == "t" and len(value) == 4 and value.isdigit():
        return ("time", dt.time(int(value[:2]), int(value[2:])))
    if action == "z" and value:
        return ("zone", label)
    if action == "h" and value.isdigit():
        return ("hours", int(value))
    if action == "q" and value:
        if "–" not in label:
            return ("quiet", (dt.time(0), dt.time(0)))
        start, end = label.split("–")
        return ("quiet", (dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return None


# Fairness (invariant 7) -----------------------------------------------------------------------


@dataclass
class FairnessFigures:
    """What the fairness phase measured."""

    reveal_latencies: list[float] = field(default_factory=list)
    p99: float = 0.0
    partner_notices: int = 0
    flood_actions: int = 0
    missing_reveals: int = 0


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


async def fairness_phase(
    seed: int, workdir: Path, library: Library, *, pairs: int = 6, seconds: float = 4.0
) -> tuple[FairnessFigures, list[str]]:
    """One person floods (10 actions a second) while other couples answer: every other reveal
    must arrive within 1.5 s (p99) and the flooder's partner gets at most 3 notices."""
    rng = random.Random(seed ^ 0xFA1)
    clock = LiveClock(START + dt.timedelta(hours=6))  # midday: nothing waits for a morning
    world = World(clock)
    api = SimAPI(world, limits=Limits(enforce=True))
    await api.start()
    bot = RunningBot(api, workdir / "fairness.sqlite3", clock, library, send_rate=30)
    bot.paced = True
    figures = FairnessFigures()
    problems: list[str] = []
    catalogue = Catalogue()
    clock.go_live()
    await bot.start()
    try:
        couples = []
        for index in range(pairs + 1):
            first = api.user(7_200_000_000 + 2 * index, f"Fa{index}")
            second = api.user(7_200_000_001 + 2 * index, f"Fb{index}")
            couples.append((first, second))
        await asyncio.gather(*(_pair(bot, a, b) for a, b in couples))
        flooder, partner = couples[0]
        await flooder.send("/settings")
        menu = await flooder.receive_until(lambda m: _has_data(m, ":freq"))
        await settle(bot, 30)
        flood_start = len(partner.inbox)
        seconds_between = 0.1
        answered_at: dict[int, float] = {}
        started = time.monotonic()

        async def flood() -> None:
            presses = [
                d
                for d in button_data(menu[-1])
                if d.endswith(":freq") or ":rem:" in d or ":nud:" in d
            ]
            count = 0
            while time.monotonic() - started < seconds:
                if rng.random() < 0.3 and presses:
                    data = rng.choice(presses)
                    query_id = str(next(api.query_ids))
                    api.pending_queries[query_id] = asyncio.get_running_loop().create_future()
                    await api.push_update({"callback_query": {
                        "id": query_id, "from": flooder.json, "chat_instance": "f",
                        "message": _public(menu[-1]), "data": data}})  # fmt: skip
                else:
                    await flooder.send(rng.choice(
                        ("/pause", "/resume", "/time 07:30", "/time 08:15", "/help", "/today",
                         "/pause 3d")))  # fmt: skip
                count += 1
                await asyncio.sleep(seconds_between)
            figures.flood_actions = count

        async def answer(index: int, first: FakeUser, second: FakeUser) -> None:
            await asyncio.sleep(0.3 + index * (seconds - 1.0) / max(1, pairs))
            for user in (first, second):
                question = next(
                    m for m in reversed(user.inbox) if "question" in str(m.get("text"))
                )
                await user.reply(question, f"answer of {user.first_name}")
                await asyncio.sleep(0.25)
            answered_at[index] = time.monotonic() - 0.25

        await asyncio.gather(
            flood(), *(answer(i, a, b) for i, (a, b) in enumerate(couples[1:], start=1))
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = all(
                any(catalogue.classify(m)[0] == "reveal" for m in user.inbox)
                for pair in couples[1:]
                for user in pair
            )
            if done:
                break
            await asyncio.sleep(0.05)
        for index, (first, second) in enumerate(couples[1:], start=1):
            for user in (first, second):
                arrival = _arrival(world, user.id, catalogue, "reveal")
                if arrival is None or index not in answered_at:
                    figures.missing_reveals += 1
                    continue
                figures.reveal_latencies.append(arrival - answered_at[index])
        # Notices to the partner are gathered over a short window: let simulated time pass it,
        # then count what reached the partner until a second goes by without anything new.
        clock.now += dt.timedelta(minutes=3)
        if bot.runtime is not None and bot.runtime.dispatcher is not None:
            bot.runtime.dispatcher.wake()
        count, quiet_since = len(partner.inbox), time.monotonic()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 1.5:
            await asyncio.sleep(0.05)
            if len(partner.inbox) != count:
                count, quiet_since = len(partner.inbox), time.monotonic()
        figures.partner_notices = len(partner.inbox) - flood_start
    finally:
        # The flooder's own replies may still be trickling out at one a second: no need to
        # wait for them.
        if bot.app is not None:
            await kill(bot)
        await api.stop()
    figures.p99 = percentile(figures.reveal_latencies, 0.99)
    if figures.missing_reveals:
        problems.append(f"{figures.missing_reveals} reveals never arrived during the flood")
    if figures.p99 > 1.5:
        problems.append(
            f"reveals of other couples took up to {figures.p99:.2f} s (p99) while one person "
            f"flooded ({figures.flood_actions} actions in {seconds:.0f} s); the bound is 1.5 s"
        )
    if figures.partner_notices > 3:
        problems.append(
            f"the flooder's partner received {figures.partner_notices} messages during the "
            "burst; at most 3 coalesced notices are allowed"
        )
    return figures, problems


def _arrival(world: World, uid: int, catalogue: Catalogue, kind: str) -> float | None:
    for record in world.records:
        mine = record.direction == "in" and record.user_id == uid
        if mine and catalogue.classify(record.message)[0] == kind:
            return record.real
    return None


async def _pair(bot: RunningBot, first: FakeUser, second: FakeUser) -> None:
    await first.send("/start")
    await first.send("/invite")
    link = await first.receive_until(lambda m: "?start=" in str(m.get("text") or ""), 30)
    code = str(link[-1]["text"]).split("?start=")[1].split()[0]
    await second.send(f"/start {code}")
    offer = await second.receive_until(lambda m: _has_data(m, "accept:"), 30)
    await second.press(offer[-1], "", data=_data_starting(offer[-1], "accept:"))
    for user in (first, second):  # "where are you?": both skip
        ask = await user.receive_until(lambda m: _has_data(m, "zone:-"), 30)
        await user.press(ask[-1], "", data="zone:-")
    for user in (first, second):
        await user.receive_until(lambda m: "question" in str(m.get("text") or ""), 30)
