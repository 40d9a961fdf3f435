"""Two simulated weeks of a long-distance couple, written out for people to read.

Maya lives in Berlin and Jon in New York. The real bot runs against the local fake Bot API with
a test clock moved a quarter of an hour at a time; the two act as such a couple would (Maya
answers over breakfast, Jon late in his evening, a "thanks!" here, a question to the bot there,
a pause, a forgotten day). Every message either of them gets is written down at the local time
they got it, with 🔔 when it made a sound and 🔕 when it came silently, then a table of sounds
per person per day. `docs/TRANSCRIPT.md` is this script's output, read before each release:

    .venv/bin/python -m sandbox.transcript --out docs/TRANSCRIPT.md
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import re
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from bot.content import load_library
from bot.domain import schedule
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser
from sandbox.harness import FakeClock, RunningBot, is_question
from sandbox.matching import includes, saying, translation

STEP = dt.timedelta(minutes=15)
START = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)  # Monday: 17:00 Berlin, 11:00 New York
QUIET = (dt.time(22, 0), dt.time(8, 0))  # everyone's default quiet hours


@dataclass
class Line:
    """One thing that happened in a chat, at a moment."""

    at: dt.datetime
    text: str


@dataclass
class Partner:
    """One of the two, with their zone and their habits."""

    user: FakeUser
    zone: str
    answer_at: dt.time  # when they usually answer the day's question, local time
    lines: list[Line] = field(default_factory=list)
    sounds: Counter[dt.date] = field(default_factory=Counter)  # notifying messages a day
    messages: Counter[dt.date] = field(default_factory=Counter)
    night_sounds: int = 0  # notifying messages inside their quiet hours
    own_actions: set[dt.date] = field(default_factory=set)  # days they wrote to the bot
    replies: Counter[dt.date] = field(default_factory=Counter)  # sounds answering their acts
    seen: int = 0
    acting: bool = False  # what arrives next answers something they just did
    acted_at: dt.datetime | None = None

    @property
    def name(self) -> str:
        return self.user.first_name

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(ZoneInfo(self.zone))

    def did(self, now: dt.datetime, action: str) -> None:
        self.own_actions.add(self.local(now).date())
        self.acting, self.acted_at = True, now
        self.lines.append(Line(now, f"**{self.name}** ▸ {action}"))

    def read(self, now: dt.datetime) -> list[JSON]:
        """Write down what arrived since last time; return the new messages."""
        fresh = self.user.inbox[self.seen :]
        self.seen = len(self.user.inbox)
        for message in fresh:
            local = self.local(now)
            if message.get("edited"):
                self.lines.append(Line(now, "Nearer ✎ " + _body(message)))
                continue
            silent = bool(message.get("silent"))
            self.messages[local.date()] += 1
            if not silent and self.acting and now == self.acted_at:
                self.replies[local.date()] += 1  # an answer to what they just did
            elif not silent:
                self.sounds[local.date()] += 1
                if schedule.in_quiet_hours(now, self.zone, *QUIET):
                    self.night_sounds += 1
            self.lines.append(
                Line(now, ("🔕 " if silent else "🔔 ") + "Nearer ▸ " + _body(message))
            )
        self.acting = False
        return fresh


def _body(message: JSON) -> str:
    if "voice" in message:
        body = "[voice note]"
    elif "photo" in message:
        body = "[photo] " + (message.get("caption") or "")
    else:
        body = message.get("text") or ""
    body = unescape(re.sub(r"\s*\n\s*", " / ", body)).strip()
    buttons = [
        button["text"]
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for button in row
    ]
    if buttons:
        body += "  " + " ".join(f"[{label}]" for label in buttons)
    return body


def _find(messages: list[JSON], test: Callable[[JSON], bool]) -> JSON | None:
    return next((m for m in reversed(messages) if test(m)), None)


def _button(message: JSON, key: str) -> str | None:
    """The label of a button on `message` that is catalogue text `key` (None if absent or not
    in this version of the catalogue)."""
    template = getattr(texts, key, None)
    if template is None:
        return None
    labels = set(translation(template, "en"))
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] in labels:
                return str(button["text"])
    return None


class Couple:
    """Maya and Jon, their script, and the running bot."""

    def __init__(self, bot: RunningBot, api: FakeBotAPI) -> None:
        self.bot = bot
        self.api = api
        self.maya = Partner(api.user(1, "Maya"), "Europe/Berlin", dt.time(8, 40))
        self.jon = Partner(api.user(2, "Jon"), "America/New_York", dt.time(21, 30))
        self.open: dict[int, list[JSON]] = {1: [], 2: []}  # questions each has not answered

    @property
    def now(self) -> dt.datetime:
        return self.bot.clock.now

    async def settle(self) -> None:
        await self.bot.settle(timeout=30)
        for partner in (self.maya, self.jon):
            for message in partner.read(self.now):
                if is_question(message) and not message.get("edited"):
                    self.open[partner.user.id].append(message)
                await self._respond(partner, message)

    async def _respond(self, partner: Partner, message: JSON) -> None:
        """What either of them does, unprompted, with a message that asks for a tap."""
        if includes(message, texts.ZONE_ASK):
            if partner is self.maya:
                partner.did(self.now, "sends /timezone Berlin, then /time 08:00")
                await partner.user.send("/timezone Berlin")
                await partner.user.send("/time 08:00")
            else:
                partner.did(self.now, "shares his location (📍 Brooklyn)")
                await partner.user.send_location(40.68, -73.94)
        label = _button(message, "NOT_ANSWER_BUTTON")  # "No, just chatting"
        if label:
            partner.did(self.now, f"taps [{label}]")
            await partner.user.press(message, label)

    async def pair(self) -> None:
        maya, jon = self.maya.user, self.jon.user
        self.maya.did(self.now, "/start, then taps [💌 Invite my partner]")
        await maya.send("/start")
        greeting = await maya.receive()
        await maya.press(greeting, translation(texts.INVITE_BUTTON, "en")[0])
        link = (await maya.receive_until(saying(texts.INVITE_CREATED)))[-1]
        await self.settle()
        code = link["text"].split("?start=")[1].split()[0]
        self.jon.did(self.now, "opens Maya's link")
        await jon.send(f"/start {code}")
        offer = (await jon.receive_until(saying(texts.INVITE_OFFER)))[-1]
        await self.settle()
        self.jon.did(self.now, "taps [✅ Yes, pair us]")
        await jon.press(offer, translation(texts.ACCEPT_BUTTON, "en")[0])
        await self.settle()
        await self.settle()

    async def answer(self, partner: Partner, text: str) -> None:
        waiting = self.open[partner.user.id]
        if not waiting:
            return
        question = waiting.pop()
        self.open[partner.user.id] = []  # the older ones are let go, as people do
        partner.did(self.now, f"replies to the question: “{text}”")
        await partner.user.reply(question, text)
        await self.settle()

    async def say(self, partner: Partner, text: str) -> None:
        partner.did(self.now, f"writes: “{text}”")
        await partner.user.send(text)
        await self.settle()

    async def nudge_reply(self, partner: Partner, text: str) -> bool:
        nudge = _find(partner.user.inbox, lambda m: includes(m, texts.NUDGE))
        if nudge is None or nudge.get("answered"):
            return False
        nudge["answered"] = True
        partner.did(self.now, f"replies to the nudge: “{text}”")
        await partner.user.reply(nudge, text)
        await self.settle()
        return True


MAYA_ANSWERS = [
    "The way you waited up for my call even though it was 2am for you.",
    "Sunday pancakes, before all of this distance.",
    "That you remembered my sister's name on the first try.",
    "Walking home in the snow, not talking, not needing to.",
    "Honestly? The silly voice you do for the cat.",
    "When you said we'd figure it out, and I believed you.",
    "Cooking the same recipe at the same time on a video call.",
    "Your handwriting on the postcard from Boston.",
]
JON_ANSWERS = [
    "Hearing you laugh at my terrible pun, with a six-hour delay on my nerves.",
    "The playlist you made me for the flight.",
    "You, in my old hoodie, on a grainy video call.",
    "The night we planned the whole summer on a napkin.",
    "Your voice note from the tram, all the Berlin noise behind you.",
    "That you never once made the distance feel like my fault.",
]


async def script(couple: Couple, days: int) -> None:
    """Move the clock a quarter of an hour at a time for `days` days, the two acting on it."""
    await couple.pair()
    end = START + dt.timedelta(days=days)
    maya, jon = couple.maya, couple.jon
    answered: set[tuple[int, dt.date]] = set()
    while couple.now < end:
        couple.bot.clock.set(couple.now + STEP)
        await couple.bot.tick()
        await couple.settle()
        day_number = (couple.now - START).days
        for partner, answers, skip_days in (
            (maya, MAYA_ANSWERS, {5}),
            (jon, JON_ANSWERS, {3, 4, 10}),
        ):
            local = partner.local(couple.now)
            key = (partner.user.id, local.date())
            if key in answered or local.time() < partner.answer_at:
                continue
            if (
                local.time()
                >= (dt.datetime.combine(local.date(), partner.answer_at) + STEP).time()
            ):
                continue
            answered.add(key)
            if day_number in skip_days or not couple.open[partner.user.id]:
                continue
            await couple.answer(partner, answers[len(answered) % len(answers)])
        await _events(couple, day_number)


_DONE: set[str] = set()


async def _events(couple: Couple, day: int) -> None:
    """The one-off things that happen over the two weeks."""
    maya, jon = couple.maya, couple.jon

    def at(partner: Partner, wanted_day: int, clock: dt.time, name: str) -> bool:
        local = partner.local(couple.now)
        moment = dt.datetime.combine(local.date(), clock)
        due = day == wanted_day and moment <= local.replace(tzinfo=None) < moment + STEP
        if due and name not in _DONE:
            _DONE.add(name)
            return True
        return False

    if at(maya, 1, dt.time(8, 30), "thanks"):
        await couple.say(maya, "thanks!")
    if at(maya, 2, dt.time(12, 0), "reminders"):
        await couple.say(maya, "/reminders on")
    if at(jon, 6, dt.time(21, 45), "how"):
        await couple.say(jon, "how do I change the time it arrives?")
    if at(jon, 6, dt.time(21, 50), "time"):
        await couple.say(jon, "/time 07:30")
    if at(jon, 8, dt.time(22, 0), "pause"):
        await couple.say(jon, "/pause 2d")
    for partner, text in (
        (maya, "You make the distance feel smaller every single day."),
        (jon, "Thank you for being patient with my crazy work weeks."),
    ):
        if at(partner, day, dt.time(20, 30), f"gift-{partner.name}-{day}") and day % 3 == 0:
            await couple.nudge_reply(partner, text)


def _report(couple: Couple, days: int) -> str:
    out = [
        "# Two weeks of a long-distance couple",
        "",
        "Generated by `sandbox/transcript.py` (the real bot, the local fake Telegram, a test "
        "clock moved 15 minutes at a time). Maya lives in Berlin, Jon in New York; both keep "
        "the default quiet hours, 22:00–08:00 in their own zone. 🔔 made a sound, 🔕 came "
        "silently; times are each reader's own.",
        "",
        "```sh",
        ".venv/bin/python -m sandbox.transcript --out docs/TRANSCRIPT.md",
        "```",
        "",
        "## Sounds per person per day",
        "",
        "Sounds the bot made on its own (not replies to something the person had just done),"
        " from the first full day on:",
        "",
        "| | a day: median | a day: max | on days they did nothing: max |"
        " replies to their own actions | messages a day: median | with a sound in quiet hours |",
        "|---|---|---|---|---|---|---|",
    ]
    for partner in (couple.maya, couple.jon):
        first = partner.local(START).date()
        dates = [first + dt.timedelta(days=n) for n in range(1, days)]
        sounds = [partner.sounds[d] for d in dates]
        quiet_days = [partner.sounds[d] for d in dates if d not in partner.own_actions] or [0]
        messages = [partner.messages[d] for d in dates]
        replies = sum(partner.replies[d] for d in dates)
        out.append(
            f"| {partner.name} | {statistics.median(sounds)} | {max(sounds)} |"
            f" {max(quiet_days)} | {replies} | {statistics.median(messages)} |"
            f" {partner.night_sounds} |"
        )
    out.append("")
    for partner in (couple.maya, couple.jon):
        out += ["", f"## {partner.name}'s chat ({partner.zone})", ""]
        day = None
        for line in partner.lines:
            local = partner.local(line.at)
            if local.date() != day:
                day = local.date()
                out += ["", f"### {day:%A %d %B}", ""]
            out.append(f"- `{local:%H:%M}` {line.text}")
    return "\n".join(out) + "\n"


async def run(days: int, out: Path | None) -> int:
    logging.basicConfig(level=logging.WARNING)
    api = FakeBotAPI()
    await api.start()
    with tempfile.TemporaryDirectory() as folder:
        bot = RunningBot(
            api, Path(folder) / "transcript.sqlite3", FakeClock(START), load_library()
        )
        await bot.start()
        try:
            couple = Couple(bot, api)
            await script(couple, days)
            report = _report(couple, days)
        finally:
            await bot.stop()
            await api.stop()
    if out is None:
        print(report)
    else:
        await asyncio.to_thread(out.write_text, report, encoding="utf-8")
        print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    return asyncio.run(run(args.days, args.out))


if __name__ == "__main__":
    raise SystemExit(main())
