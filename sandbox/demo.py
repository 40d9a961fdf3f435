"""`make demo`: the real bot against the local fake Bot API, with two scripted partners.

No token and no internet: everything runs on 127.0.0.1 in this process. It prints both chat
transcripts: invite, accept, the first question, both answers, the reveal, a compliment nudge
with a heart back, and a pause and resume.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import tempfile
from html import unescape
from pathlib import Path
from typing import Any

from bot import texts
from bot.content import load_library
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.harness import FakeClock, RunningBot, is_question
from sandbox.matching import includes, saying, says, translation

JSON = dict[str, Any]
# A Thursday: the first day is the question's alone, and Friday is a nudge day.
START = dt.datetime(2026, 2, 12, 8, 0, tzinfo=dt.UTC)
WIDTH = 78


class Transcript:
    """What one partner saw and did, in order."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.lines: list[str] = []

    def did(self, action: str) -> None:
        self.lines.append(f"  {self.user.first_name} ▸ {action}")

    def collect(self) -> None:
        for message in self.user.unread():
            self.lines.append(_bot_line(message))

    def render(self) -> str:
        title = f" {self.user.first_name}'s chat with Nearer "
        return "\n".join([title.center(WIDTH, "─"), *self.lines, ""])


def _bot_line(message: JSON) -> str:
    if "voice" in message:
        body = "[voice note]"
    elif "video_note" in message:
        body = "[video note]"
    elif "photo" in message:
        body = "[photo] " + (message.get("caption") or "")
    else:
        body = message.get("text") or ""
    prefix = "  Nearer (edited) ▸ " if message.get("edited") else "  Nearer ▸ "
    indent = " " * len(prefix)
    text = unescape(re.sub(r"\s+\n", "\n", body)).strip().replace("\n", "\n" + indent)
    buttons = [
        button["text"]
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for button in row
    ]
    if buttons:
        text += "\n" + indent + "  ".join(f"[{label}]" for label in buttons)
    return prefix + text


async def _step(bot: RunningBot, *transcripts: Transcript) -> None:
    await bot.settle()
    for transcript in transcripts:
        transcript.collect()


async def run_demo() -> int:
    """Run the scripted conversation and print both transcripts."""
    logging.basicConfig(level=logging.WARNING)
    api = FakeBotAPI()
    await api.start()
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock(START)
        bot = RunningBot(api, Path(folder) / "demo.sqlite3", clock, load_library())
        await bot.start()
        try:
            await _script(bot, api)
        finally:
            await bot.stop()
            await api.stop()
    return 0


async def _script(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1001, "Alice"), api.user(1002, "Sam")
    a, b = Transcript(alice), Transcript(bob)

    a.did("/start")
    await alice.send("/start")
    greeting = await alice.receive()
    a.lines.append(_bot_line(greeting))
    a.did("taps [💌 Invite my partner]")
    await alice.press(greeting, "Invite")
    link_message = await alice.receive()
    a.lines.append(_bot_line(link_message))
    await _step(bot, a)
    code = link_message["text"].split("?start=")[1].split()[0]

    b.did("opens Alice's link")
    await bob.send(f"/start {code}")
    offer = await bob.receive()
    b.lines.append(_bot_line(offer))
    b.did("taps [✅ Yes, pair us]")
    await bob.press(offer, "Yes")
    # Each is asked where they are; the first question comes once both have answered that.
    ask = (await bob.receive_until(saying(texts.ZONE_ASK)))[-1]
    for message in bob.inbox[bob.inbox.index(offer) + 1 :]:
        b.lines.append(_bot_line(message))
    bob.unread()
    b.did("taps [London · 08:00]")
    await bob.press(ask, "", data="zone:Europe/London")
    await _step(bot, a, b)
    ask = next(m for m in reversed(alice.inbox) if says(m, texts.ZONE_ASK))
    skip = translation(texts.ZONE_SKIP, "en")[0]
    a.did(f"taps [{skip}]")
    seen = len(bob.inbox)
    await alice.press(ask, skip)
    await bob.receive_until(is_question)
    await bot.settle()
    b.lines.extend(_bot_line(message) for message in bob.inbox[seen:])
    bob.unread()
    await _step(bot, a)

    answer = "Honestly, this one made me smile: you, me, and a slow morning with nowhere to be."
    a.did(f"replies: {answer}")
    question = next(m for m in reversed(alice.inbox) if is_question(m))
    await alice.reply(question, answer)
    await _step(bot, a, b)
    b.did("replies with a voice note")
    await bob.send_voice()
    await _step(bot, a, b)

    friday = (START + dt.timedelta(days=1)).replace(hour=9, minute=30)
    a.did("(the next morning)")
    b.did("(the next morning)")
    bot.clock.set(friday)
    await bot.tick()
    await _step(bot, a, b)
    for user, chat, words in ((alice, a, "Our Sunday walks."), (bob, b, "Your terrible puns.")):
        chat.did(f"replies: {words}")
        await user.reply(next(m for m in reversed(user.inbox) if is_question(m)), words)
        await _step(bot, a, b)

    a.did("(that evening, 19:00)")
    b.did("(that evening, 19:00)")
    bot.clock.set(friday.replace(hour=19))
    await bot.tick()
    await _step(bot, a, b)
    nudge = next(m for m in reversed(alice.inbox) if says(m, texts.NUDGE))
    a.did("replies: You always make the kitchen feel like home.")
    await alice.reply(nudge, "You always make the kitchen feel like home.")
    await _step(bot, a, b)
    gift = next(m for m in reversed(bob.inbox) if includes(m, texts.GIFT_HEADER))
    b.did("taps [❤️ Send a heart back]")
    await bob.press(gift, "heart")
    await _step(bot, a, b)

    b.did("/pause 3d")
    await bob.send("/pause 3d")
    await _step(bot, a, b)
    a.did("(a minute later)")
    await bot.pass_change_window()  # a partner's changes are told once, a minute later
    await _step(bot, a, b)
    a.did("/resume")
    await alice.send("/resume")
    await _step(bot, a, b)
    b.did("(a minute later)")
    await bot.pass_change_window()
    await _step(bot, a, b)

    print(a.render())
    print(b.render())
    print("Demo finished: the real bot, a local fake Telegram, no token, no internet.")


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_demo()))
