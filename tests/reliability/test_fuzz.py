"""Fuzz the real bot with thousands of randomized updates of every kind a private-chat bot can
receive, in whatever state the previous ones left: afterwards nothing crashed, the database is
sound, and the pairing and privacy invariants hold.

Hypothesis generates the update sequences (derandomized, so a run is repeatable). The bot's
state carries over from one batch to the next, so a failing batch is reported as generated
rather than shrunk. Every text a person sends carries a unique token; the fake Bot API's
delivered messages show where each token went.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.content import Library
from bot.domain.allowance import Allowance, AllowanceBook, Kind
from bot.storage.sqlite import DELETED_MEMBER
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser
from sandbox.harness import FakeClock, RunningBot, is_question, pair_up
from sandbox.matching import includes
from tests.reliability.support import (
    captured,
    record_figures,
    settle,
    sizes,
    text_of,
    wait_processed,
)

UTC = dt.UTC
START = dt.datetime(2026, 1, 14, 8, 30, tzinfo=UTC)  # after the default quiet hours
PEOPLE = tuple(range(1, 9))  # people who use the bot; 1 is an operator (/stats)
STRANGERS = tuple(range(900, 912))  # people who write without ever pressing /start
GROUP, SUPERGROUP, CHANNEL = -100, -1001, -1002
NAMES = ("Alice", "Bob", "Zoë <3", "Sam & Co", "<b>Kai</b>", "Ада", "سارا", "👩‍❤️‍👨")
TOKEN = re.compile(r"tok-\d+-k")

SPECIAL_TEXTS = (
    " ",
    "\u200b",
    "\u2060\u200d\u200c",
    "\u202eRTL override\u202c",
    "مرحبا بك في نيرر",
    "שלום \u200f עולם",
    "👩‍👩‍👧‍👦👨🏽‍🦯🏳️‍🌈🇺🇦",
    "e\u0301\u0301\u0301\u0301 z̴̡̛͚a̶l̷g̸o",
    "<b>bold</b> <i>unclosed",
    "<script>alert(1)</script>",
    "&amp; &lt; &gt; &#x1F600; &bogus;",
    "</b></i></code>",
    '<a href="tg://user?id=2">click</a>',
    "' OR 1=1; DROP TABLE people; --",
    "\n\n\n",
    "\x00\x01\x1f",
    "x" * 4096,
    "y" * 4097,
    "word " * 1800,
    "💞" * 2100,
)
ARGUMENTS = (
    "",
    "on",
    "off",
    "3d",
    "2w",
    "until 2026-12-24",
    "until 9999-99-99",
    "25:61",
    "19:30",
    "7",
    "Europe/Berlin",
    "Mars/Olympus",
    "UTC+14",
    "UTC-13",
    "Tokyo",
    "-1",
    "999999999999999999999999",
    "../../etc/passwd",
    "<code>",
    "%s %d {0}",
)
REAL_COMMANDS = (
    "start", "invite", "unpair", "help", "today", "time", "timezone", "settings", "pause",
    "resume", "reminders", "skip", "ask", "history", "streak", "deletemydata", "export",
    "support", "stats",
)  # fmt: skip
COMMANDS = (
    *REAL_COMMANDS, "foo", "START", "start@nearer_test_bot", "start@another_bot",
    "ask@nearer_test_bot", "",
)  # fmt: skip
FORGED = (
    "accept:{code}", "accept:{rand}", "accept:", "decline", "invite", "unpair:yes:{pair}",
    "unpair:yes:{own_pair}", "unpair:no", "unpair:yes:{rand}", "s:{pair}:t:0900",
    "s:{own_pair}:z:{n}", "s:{own_pair}:c:{rand}", "s:{own_pair}:d:deep", "s:{own_pair}:rem",
    "s:{own_pair}:rem:on",
    "s:{pair}:done", "s:{own_pair}:q:{n}", "s:{own_pair}:f:weekends", "s:{own_pair}",
    "h:{n}", "h:-1", "h:{big}", "react:{prompt}:heart", "react:{prompt}:talk",
    "react:{prompt}:{rand}", "react:{big}:heart", "heart:{nudge}", "heart:{big}",
    "delete:yes:{other}", "delete:yes:{own}", "delete:no", "{rand}", "s:", ":::",
)  # fmt: skip
MEDIA = (
    "sticker", "document", "location", "contact", "poll", "dice", "voice", "video_note",
    "photo", "photo_caption", "animation", "audio", "video", "venue",
)  # fmt: skip
OTHER_UPDATES = (
    "inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll",
    "poll_answer", "message_reaction", "chat_boost", "unknown", "empty",
)  # fmt: skip


@dataclass(frozen=True)
class FuzzSize:
    """How many updates a run sends."""

    label: str
    updates: int


@dataclass(frozen=True)
class Action:
    """One thing that happens: a person writes, presses, blocks; a group posts; time passes."""

    kind: str
    person: int
    text: str = ""
    pick: int = 0
    option: str = ""
    token: bool = True


def _texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=120),
        st.sampled_from(SPECIAL_TEXTS),
        st.builds(
            lambda piece, count: piece * count,
            st.sampled_from(["a", "é", "👩‍👩‍👧", "<", "&", " ", "\n", "\u200b", "ا"]),
            st.integers(1, 5000),
        ),
    )


def _actions() -> st.SearchStrategy[Action]:
    person = st.sampled_from(PEOPLE)
    pick = st.integers(0, 1 << 20)

    def action(kind: str, option: st.SearchStrategy[str] | None = None) -> Any:
        return st.builds(
            Action,
            kind=st.just(kind),
            person=person,
            text=_texts(),
            pick=pick,
            option=option if option is not None else st.just(""),
            token=st.booleans(),
        )

    weighted = {
        "text": (6, action("text")),
        "answer": (8, action("answer")),
        "both": (4, action("both")),
        "command": (5, action("command", st.sampled_from(COMMANDS))),
        "arguments": (3, action("arguments", st.sampled_from(ARGUMENTS))),
        "media": (4, action("media", st.sampled_from(MEDIA))),
        "edit": (2, action("edit")),
        "forward": (
            2,
            action("forward", st.sampled_from(["user", "hidden_user", "channel", "chat"])),
        ),
        "button": (5, action("button")),
        "forged": (5, action("forged", st.sampled_from(FORGED))),
        "block": (1, action("block", st.sampled_from(["block", "unblock"]))),
        "stranger": (
            2,
            action("stranger", st.sampled_from(["text", "start", "command", "answer"])),
        ),
        "group": (
            2,
            action("group", st.sampled_from(["text", "command", "added", "kicked", "edit"])),
        ),
        "channel": (1, action("channel", st.sampled_from(["post", "edited"]))),
        "other": (2, action("other", st.sampled_from(OTHER_UPDATES))),
        "pair": (3, action("pair")),
        "advance": (
            3,
            action("advance", st.sampled_from(["1", "20", "180", "660", "1440", "4320"])),
        ),
        "tick": (1, action("tick")),
        "resume": (2, action("command", st.just("resume"))),
    }
    kinds = [kind for kind, (weight, _) in weighted.items() for _ in range(weight)]
    return st.sampled_from(kinds).flatmap(lambda kind: weighted[kind][1])


def generate_batches(count: int, size: int = 30) -> list[list[Action]]:
    """Let hypothesis produce about `count` batches of actions (derandomized: the same every
    run), then shuffle them into fresh batches of `size`.

    Hypothesis starts with the simplest examples (a list of one repeated action, say); mixing
    its actions keeps its edge cases while the bot sees every kind of update throughout.
    """
    batches: list[list[Action]] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(_actions(), min_size=25, max_size=40))
    def collect(batch: list[Action]) -> None:
        batches.append(batch)

    collect()
    actions = [action for batch in batches for action in batch]
    random.Random(2026).shuffle(actions)
    return [actions[i : i + size] for i in range(0, len(actions), size)]


@dataclass
class Fuzzer:
    """Turns actions into Bot API updates and keeps what the invariants need."""

    api: FakeBotAPI
    bot: RunningBot
    allowed: dict[str, frozenset[int]] = field(default_factory=dict)
    sent_by: dict[tuple[int, int], frozenset[int]] = field(default_factory=dict)
    updates: Counter[str] = field(default_factory=Counter)
    presses: list[tuple[str, asyncio.Future[JSON]]] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    checked: Counter[int] = field(default_factory=Counter)
    deliveries_checked: int = 0
    token_pending: bool = False
    leaks: list[str] = field(default_factory=list)
    query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000))
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500_000))

    @property
    def total(self) -> int:
        return sum(self.updates.values())

    def person(self, user_id: int) -> FakeUser:
        return self.api.user(user_id, NAMES[user_id % len(NAMES)])

    async def done(self, kind: str, *, wait: bool = False) -> None:
        """Count the update just pushed; return once it is handled if it carried a token
        whose recipients depend on the pairing (or when asked to wait).

        Other updates are not waited for, so the bot handles them side by side with later
        ones, as it handles chats concurrently. Before a token is made every earlier update
        is handled, and a message with such a token is handled before anything else is sent:
        so the partner it may reach is known exactly.
        """
        self.updates[kind] += 1
        if wait or self.token_pending:
            self.token_pending = False
            await self.settled()

    async def settled(self) -> None:
        """Wait until every update pushed so far is handled."""
        await wait_processed(self.bot, self.api.next_update_id - 1)

    async def partner_of(self, user_id: int) -> int | None:
        async with self.bot.services.db.transaction() as tx:
            pair = await tx.active_pair_of(user_id)
        return None if pair is None else pair.partner_of(user_id)

    async def token(self, user_id: int, allowed: frozenset[int] | None = None) -> str:
        """A unique mark for a text; it may reach `user_id` and their partner, nobody else."""
        if allowed is None:
            await self.settled()  # the partner is whoever it is once earlier updates are done
            partner = await self.partner_of(user_id)
            allowed = frozenset({user_id} if partner is None else {user_id, partner})
            self.token_pending = True
        token = f"tok-{len(self.allowed)}-k"
        self.allowed[token] = allowed
        return token

    async def body(self, action: Action, user_id: int) -> tuple[str, frozenset[int] | None]:
        """The text to send and who may see it (None: no token, not tracked)."""
        if not action.token:
            return action.text or "\u2060", None
        token = await self.token(user_id)
        return f"{token} {action.text}", self.allowed[token]

    def note_sent(self, user_id: int, sent: JSON, allowed: frozenset[int] | None) -> None:
        """Remember who may see a message's text, for a later edit of it."""
        if allowed is not None:
            self.sent_by[(user_id, sent["message_id"])] = allowed

    async def unblocked(self, user: FakeUser) -> None:
        # Writing to a bot you blocked unblocks it first, as Telegram does.
        if user.blocked:
            await user.unblock()
            await self.done("my_chat_member", wait=False)

    def pick(self, items: list[Any], action: Action) -> Any:
        return items[action.pick % len(items)] if items else None

    # Actions ---------------------------------------------------------------------------

    async def run(self, action: Action) -> None:
        await getattr(self, f"_do_{action.kind}")(action)

    async def _do_text(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        text, allowed = await self.body(action, user.id)
        sent = await user.send(text)
        self.note_sent(user.id, sent, allowed)
        await self.done("message_text")

    async def _do_answer(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        questions = [m for m in user.inbox if _carries_a_question(m)]
        # Mostly the latest question (so reveals happen), sometimes any message at all.
        if questions and action.pick % 4:
            target = _wire(questions[-1])
        else:
            target = _wire(self.pick(user.inbox, action))
        text, allowed = await self.body(action, user.id)
        if target is not None and action.pick % 3 == 0:
            sent = await user.send_photo(text[:1024], reply_to=target)
        else:
            sent = await user.send(text, reply_to=target)
        self.note_sent(user.id, sent, allowed)
        await self.done("message_reply")

    async def _do_both(self, action: Action) -> None:
        """Both partners answer their latest question, one right after the other."""
        await self.settled()
        partner = await self.partner_of(action.person)
        await self._do_answer(replace(action, pick=1))
        if partner is not None:
            await self._do_answer(replace(action, person=partner, pick=2, token=True))

    async def _do_command(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        argument = action.text[:300] if action.pick % 2 else action.text
        if action.option.startswith("ask"):
            argument = f"{await self.token(user.id)} {argument}"
        await user.send(f"/{action.option} {argument}".rstrip())
        await self.done("message_command")

    async def _do_arguments(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        command = REAL_COMMANDS[action.pick % len(REAL_COMMANDS)]
        argument = action.option
        if argument == "<code>":
            argument = await self.some_invite_code(action) or "nocode"
        if command == "ask":
            argument = f"{await self.token(user.id)} {argument}"
        await user.send(f"/{command} {argument}".rstrip())
        await self.done("message_command")

    async def _do_media(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        kind = action.option
        if kind in ("voice", "video_note", "photo", "photo_caption", "sticker"):
            if kind == "voice":
                await user.send_voice()
            elif kind == "video_note":
                await user.send_video_note()
            elif kind == "sticker":
                await user.send_sticker()
            else:
                caption = None
                if kind == "photo_caption":
                    caption, _ = await self.body(action, user.id)
                await user.send_photo(caption and caption[:1024])
        else:
            content = _media(kind, action, self.api)
            if "caption" in content:
                caption, _ = await self.body(action, user.id)
                content["caption"] = caption[:1024]
            await user.send_content(content)
        await self.done(f"message_{kind}")

    async def _do_edit(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        own = [
            m
            for m in self.api.chat(user.id).messages.values()
            if m["from"]["id"] == user.id
            and "text" in m
            and (user.id, m["message_id"]) in self.sent_by
        ]
        target = self.pick(own, action)
        if target is None or action.pick % 7 == 0:
            # An edit of a message the bot never saw.
            token = await self.token(user.id)
            message = {"message_id": next(self.message_ids), "from": user.json,
                       "chat": user.chat_json, "date": int(time.time()),
                       "edit_date": int(time.time()), "text": f"{token} edited"}  # fmt: skip
            await self.api.push_update({"edited_message": message})
        else:
            # The edit may reach whoever the message could: the partner when it was sent.
            token = await self.token(user.id, self.sent_by[(user.id, target["message_id"])])
            await user.edit(target, f"{token} {action.text}")
        await self.done("edited_message")

    async def _do_forward(self, action: Action) -> None:
        user = self.person(action.person)
        await self.unblocked(user)
        origins = {
            "user": {"type": "user", "sender_user": self.person(PEOPLE[-1]).json},
            "hidden_user": {"type": "hidden_user", "sender_user_name": "Someone"},
            "channel": {"type": "channel", "chat": _chat(CHANNEL, "channel"), "message_id": 9},
            "chat": {"type": "chat", "sender_chat": _chat(SUPERGROUP, "supergroup")},
        }
        origin = {**origins[action.option], "date": int(time.time()) - 3600}
        text, allowed = await self.body(action, user.id)
        sent = await user.send_content({"text": text, "forward_origin": origin})
        self.note_sent(user.id, sent, allowed)
        await self.done("message_forwarded")

    async def _do_button(self, action: Action) -> None:
        user = self.person(action.person)
        with_buttons = [m for m in user.inbox if "inline_keyboard" in str(m.get("reply_markup"))]
        message = self.pick(with_buttons, action)
        if message is None:
            await self._do_forged(action)
            return
        stored = self.api.chat(user.id).messages.get(message["message_id"], message)
        rows = (stored.get("reply_markup") or message["reply_markup"])["inline_keyboard"]
        buttons = [b for row in rows for b in row if "callback_data" in b]
        if not buttons:  # only links now (a share button, a zone's map): nothing to press
            await self._do_forged(action)
            return
        data = self.pick(buttons, action)["callback_data"]
        await self.press(user, stored, data, "callback_button")

    async def _do_forged(self, action: Action) -> None:
        user = self.person(action.person)
        data = await self.forge(action, user.id)
        message = self.pick(user.inbox, action)
        if message is None or action.pick % 5 == 0:
            # An old message Telegram no longer shows the bot (date 0), or one never sent.
            message = {"chat": user.chat_json, "message_id": action.pick % 1000 + 1, "date": 0}
        else:
            message = self.api.chat(user.id).messages.get(message["message_id"], message)
        await self.press(user, message, data, "callback_forged")

    async def press(
        self, user: FakeUser, message: JSON, data: str, kind: str, *, wait: bool = False
    ) -> None:
        await self.unblocked(user)
        deleting = data.startswith("delete:yes")
        if deleting:
            await self.settled()
            await self.check_reveals()  # deleting answers must not hide an early reveal
        query_id = str(next(self.query_ids))
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self.api.pending_queries[query_id] = future
        self.presses.append((data, future))
        query = {"id": query_id, "from": user.json, "message": _wire(message),
                 "chat_instance": str(user.id), "data": data}  # fmt: skip
        await self.api.push_update({"callback_query": query})
        await self.done(kind, wait=deleting or wait)
        if data == f"delete:yes:{user.id}":
            async with self.bot.services.db.transaction() as tx:
                if await tx.get_person(user.id) is None:
                    self.deleted.add(user.id)

    async def _do_block(self, action: Action) -> None:
        user = self.person(action.person)
        if action.option == "block":
            await user.block()
        else:
            await user.unblock()
        await self.done("my_chat_member", wait=False)

    async def _do_stranger(self, action: Action) -> None:
        stranger = self.api.user(STRANGERS[action.pick % len(STRANGERS)], "Stranger")
        # Someone may open a stranger's invite: a stranger can end up with a partner too.
        text = f"{await self.token(stranger.id)} {action.text}"
        if action.option == "start":
            text = f"/start {action.text[:64]}"
        elif action.option == "command":
            text = f"/{COMMANDS[action.pick % len(COMMANDS)]} {action.text[:100]}"
        if action.option == "answer" and stranger.inbox:
            await stranger.reply(stranger.inbox[-1], text)
        else:
            await stranger.send(text)
        await self.done("message_stranger")

    async def _do_group(self, action: Action) -> None:
        user = self.person(action.person)
        chat_id = GROUP if action.pick % 2 else SUPERGROUP
        chat = _chat(chat_id, "group" if chat_id == GROUP else "supergroup")
        token = await self.token(user.id, frozenset())
        if action.option in ("added", "kicked"):
            old, new = ("left", "member") if action.option == "added" else ("member", "kicked")
            update: JSON = {"my_chat_member": {
                "chat": chat, "from": user.json, "date": int(time.time()),
                "old_chat_member": _member(self.api, old),
                "new_chat_member": _member(self.api, new),
            }}  # fmt: skip
            kind = "my_chat_member_group"
        else:
            text = f"{token} {action.text}"
            entities = []
            if action.option == "command":
                text = f"/{COMMANDS[action.pick % len(COMMANDS)]} {token}"
                entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            message = {"message_id": next(self.message_ids), "from": user.json, "chat": chat,
                       "date": int(time.time()), "text": text, "entities": entities}  # fmt: skip
            if action.option == "edit":
                message["edit_date"] = int(time.time())
                update, kind = {"edited_message": message}, "edited_message_group"
            else:
                update, kind = {"message": message}, "message_group"
        await self.api.push_update(update)
        await self.done(kind, wait=False)

    async def _do_channel(self, action: Action) -> None:
        token = await self.token(0, frozenset())
        post = {"message_id": next(self.message_ids), "chat": _chat(CHANNEL, "channel"),
                "sender_chat": _chat(CHANNEL, "channel"), "date": int(time.time()),
                "text": f"/start {token} {action.text}"}  # fmt: skip
        if action.option == "edited":
            post["edit_date"] = int(time.time())
            await self.api.push_update({"edited_channel_post": post})
        else:
            await self.api.push_update({"channel_post": post})
        await self.done(f"channel_{action.option}", wait=False)

    async def _do_other(self, action: Action) -> None:
        user = self.person(action.person)
        await self.api.push_update(_other_update(action.option, user, action))
        await self.done(action.option, wait=False)

    async def _do_pair(self, action: Action) -> None:
        inviter = self.person(action.person)
        invitee = self.person(PEOPLE[action.pick % len(PEOPLE)])
        if invitee.id == inviter.id:
            invitee = self.person(PEOPLE[(action.pick + 1) % len(PEOPLE)])
        await self.unblocked(inviter)
        await self.unblocked(invitee)
        seen = len(inviter.inbox)
        await inviter.send("/invite")
        await self.done("message_command", wait=True)
        links = [m for m in inviter.inbox[seen:] if "?start=" in text_of(m)]
        if not links:
            return
        code = text_of(links[0]).split("?start=")[1].split()[0]
        seen = len(invitee.inbox)
        await invitee.send(f"/start {code}")
        await self.done("message_command", wait=True)
        offers = [m for m in invitee.inbox[seen:] if "accept:" in str(m.get("reply_markup"))]
        if offers:
            data = self.api.button_data(offers[0], "Yes")
            await self.press(invitee, offers[0], data, "callback_button", wait=True)

    async def _do_advance(self, action: Action) -> None:
        self.bot.clock.advance(minutes=int(action.option))
        await self._do_tick(action)

    async def _do_tick(self, action: Action) -> None:
        await self.settled()
        await self.bot.tick()
        await settle(self.bot, timeout=60)

    # Forged callback data ----------------------------------------------------------------

    async def some_invite_code(self, action: Action) -> str | None:
        rows = await self.query("SELECT code FROM invites ORDER BY code")
        return self.pick([row[0] for row in rows], action)

    async def forge(self, action: Action, user_id: int) -> str:
        pairs = [r[0] for r in await self.query("SELECT id FROM pairs")] or [1]
        prompts = [r[0] for r in await self.query("SELECT id FROM prompts")] or [1]
        nudges = [r[0] for r in await self.query("SELECT id FROM nudges")] or [1]
        own = await self.query(f"SELECT pair_id FROM people WHERE user_id = {int(user_id)}")
        others = [p for p in PEOPLE if p != user_id]
        values = {
            "code": await self.some_invite_code(action) or "x" * 16,
            "rand": action.text[:40],
            "pair": self.pick(pairs, action),
            "own_pair": own[0][0] if own and own[0][0] is not None else self.pick(pairs, action),
            "prompt": self.pick(prompts, action),
            "nudge": self.pick(nudges, action),
            "n": action.pick % 40,
            "big": 10**30,
            "other": self.pick(others, action),
            "own": user_id,
        }
        data = action.option.format(**values)
        while len(data.encode()) > 64:  # Telegram refuses longer callback data
            data = data[:-1]
        return data or "x"

    async def query(self, sql: str) -> list[Any]:
        async with self.bot.services.db.transaction() as tx:
            cursor = await tx._conn.execute(sql)
            rows = list(await cursor.fetchall())
            await cursor.close()
        return rows

    # Invariants ----------------------------------------------------------------------------

    async def check_reveals(self) -> list[str]:
        """Every revealed prompt has both partners' answers (unless one deleted their data)."""
        answered = "SELECT count(*) FROM answers AS a WHERE a.prompt_id = p.id AND a.user_id = "
        rows = await self.query(
            f"SELECT p.id, q.member_a, q.member_b, ({answered} q.member_a),"
            f" ({answered} q.member_b) FROM prompts AS p JOIN pairs AS q ON q.id = p.pair_id"
            " WHERE p.revealed_at IS NOT NULL"
        )
        gone = {*self.deleted, DELETED_MEMBER}
        problems = [
            f"prompt {pid} revealed without both answers"
            for pid, a, b, has_a, has_b in rows
            # A member who deleted their data is no longer named in the pair (DELETED_MEMBER).
            if (not has_a and a not in gone) or (not has_b and b not in gone)
        ]
        assert problems == [], problems
        return problems

    async def check_invariants(self) -> None:
        assert await self.bot.services.db.integrity_check() == "ok"
        active = await self.query(
            "SELECT id, member_a, member_b FROM pairs WHERE ended_at IS NULL"
        )
        members = Counter(m for _, a, b in active for m in (a, b))
        assert all(a != b for _, a, b in active), "a pair of one person"
        assert all(n == 1 for n in members.values()), f"someone in two pairs: {members}"
        people = dict(await self.query("SELECT user_id, pair_id FROM people"))
        for pair_id, a, b in active:
            assert people.get(a) == pair_id and people.get(b) == pair_id, f"pair {pair_id}"
        active_ids = {pair_id for pair_id, _, _ in active}
        for user_id, pair_id in people.items():
            assert pair_id is None or pair_id in active_ids, f"{user_id} in ended {pair_id}"
        strays = await self.query(
            "SELECT count(*) FROM answers AS a JOIN prompts AS p ON p.id = a.prompt_id"
            " JOIN pairs AS q ON q.id = p.pair_id WHERE a.user_id NOT IN (q.member_a, q.member_b)"
        )
        assert strays[0][0] == 0, "an answer stored under someone else's pair"
        misrouted = await self.query(
            "SELECT count(*) FROM outbox AS o JOIN prompts AS p ON p.id = o.prompt_id"
            " JOIN pairs AS q ON q.id = p.pair_id WHERE o.user_id NOT IN (q.member_a, q.member_b)"
        )
        assert misrouted[0][0] == 0, "a message about a pair's prompt owed to an outsider"
        await self.check_reveals()
        self.check_tokens()

    def check_tokens(self) -> None:
        """Every token reached only its author or the author's partner at the time."""
        for chat_id, user in self.api.users.items():
            for message in user.inbox[self.checked[chat_id] :]:
                found = TOKEN.findall(text_of(message))
                if "document_bytes" in message:
                    found += TOKEN.findall(message["document_bytes"].decode(errors="replace"))
                for token in found:
                    self.deliveries_checked += 1
                    if chat_id not in self.allowed.get(token, frozenset()):
                        self.leaks.append(
                            f"{token} (may reach {sorted(self.allowed.get(token, ()))}) reached"
                            f" {chat_id} in {text_of(message)[:300]!r}"
                        )
            self.checked[chat_id] = len(user.inbox)
        assert self.leaks == [], self.leaks[:10]


# A poll as Bot API 10 sends it (python-telegram-bot 22.8 refuses older shapes).
POLL: JSON = {
    "id": "p1", "question": "?", "total_voter_count": 0, "is_closed": False,
    "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
    "allows_revoting": False, "members_only": False,
    "options": [{"text": "a", "voter_count": 0, "persistent_id": "o1"},
                {"text": "b", "voter_count": 0, "persistent_id": "o2"}],
}  # fmt: skip


# Besides a question in any format, the messages that carry one, so that a reply answers it.
REMINDERS = (texts.REMINDER, texts.REMINDER_PARTNER_ANSWERED)


def _carries_a_question(message: JSON) -> bool:
    return is_question(message) or any(includes(message, template) for template in REMINDERS)


def _wire(message: JSON | None) -> JSON | None:
    """A stored message as Telegram sends it inside another update (the fake keeps the bytes
    of files the bot uploaded next to the message; those are not part of the Bot API)."""
    if message is None:
        return None
    return {key: value for key, value in message.items() if key != "document_bytes"}


def _chat(chat_id: int, kind: str) -> JSON:
    return {"id": chat_id, "type": kind, "title": f"A {kind}"}


def _member(api: FakeBotAPI, status: str) -> JSON:
    extra = {"until_date": 0} if status == "kicked" else {}
    return {"user": api.bot_json, "status": status, **extra}


def _media(kind: str, action: Action, api: FakeBotAPI) -> JSON:
    file_id = api.new_file_id(kind)
    media: dict[str, JSON] = {
        "document": {"document": {"file_id": file_id, "file_unique_id": "d",
                                  "file_name": action.text[:60] or "f.bin"}, "caption": ""},
        "location": {"location": {"latitude": 52.52, "longitude": 13.405}},
        "contact": {"contact": {"phone_number": "+10000000000",
                                "first_name": action.text[:30] or "C"}},
        "poll": {"poll": {**POLL, "question": action.text[:255] or "?"}},
        "dice": {"dice": {"emoji": "🎲", "value": action.pick % 6 + 1}},
        "animation": {"animation": {"file_id": file_id, "file_unique_id": "a", "width": 1,
                                    "height": 1, "duration": 1}, "caption": ""},
        "audio": {"audio": {"file_id": file_id, "file_unique_id": "u", "duration": 3}},
        "video": {"video": {"file_id": file_id, "file_unique_id": "v", "width": 1, "height": 1,
                            "duration": 1}, "caption": ""},
        "venue": {"venue": {"location": {"latitude": 1.0, "longitude": 2.0},
                            "title": action.text[:60] or "t", "address": "a"}},
    }  # fmt: skip
    return media[kind]


def _other_update(kind: str, user: FakeUser, action: Action) -> JSON:
    now = int(time.time())
    text = action.text[:200]
    updates: dict[str, JSON] = {
        "inline_query": {"inline_query": {"id": "1", "from": user.json, "query": text,
                                          "offset": ""}},
        "chosen_inline_result": {"chosen_inline_result": {"result_id": "r", "from": user.json,
                                                          "query": text}},
        "shipping_query": {"shipping_query": {"id": "s", "from": user.json,
            "invoice_payload": text, "shipping_address": {"country_code": "DE", "state": "",
            "city": "B", "street_line1": "x", "street_line2": "", "post_code": "1"}}},
        "pre_checkout_query": {"pre_checkout_query": {"id": "c", "from": user.json,
            "currency": "EUR", "total_amount": 100, "invoice_payload": text}},
        "poll": {"poll": {**POLL, "question": text or "?", "is_closed": True}},
        "poll_answer": {"poll_answer": {"poll_id": "p", "user": user.json, "option_ids": [0],
                                        "option_persistent_ids": ["o1"]}},
        "message_reaction": {"message_reaction": {"chat": user.chat_json, "message_id": 1,
            "user": user.json, "date": now, "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        "chat_boost": {"chat_boost": {"chat": _chat(CHANNEL, "channel"), "boost": {
            "boost_id": "b", "add_date": now, "expiration_date": now + 86400,
            "source": {"source": "premium", "user": user.json}}}},
        "unknown": {"a_future_kind_of_update": {"from": user.json, "text": text}},
        "empty": {},
    }  # fmt: skip
    return updates[kind]


@pytest.mark.parametrize("size", sizes(FuzzSize("reduced", 1500), FuzzSize("full", 10_000)))
async def test_randomized_updates_of_every_kind_break_no_invariant(
    tmp_path: Path, library: Library, api: FakeBotAPI, size: FuzzSize
) -> None:
    started = time.monotonic()
    batches = generate_batches(size.updates // 26)
    clock = FakeClock(START)
    # The fake does not enforce flood limits; the bot's own overall limit is lifted so that
    # the run measures handling, not the 30 messages a second Telegram allows by default.
    bot = RunningBot(
        api,
        tmp_path / "nearer.sqlite3",
        clock,
        library,
        admin_user_ids=frozenset({1}),
        send_rate=1000,
    )
    # The fuzzer's people act at machine speed: with the real allowance most of what they send
    # would be dropped unhandled (tests/e2e/test_intake.py covers that), so it is lifted here
    # and every update reaches its handler.
    boundless = Allowance(burst=1_000_000, refill_seconds=1e-6)
    bot.build_options["allowances"] = AllowanceBook(dict.fromkeys(Kind, boundless))
    fuzzer = Fuzzer(api, bot)
    for chat_id in (GROUP, SUPERGROUP, CHANNEL):
        api.user(chat_id, "A group").started = True  # so replies into groups land somewhere
    used = 0
    timing = Counter[str]()
    with captured(logging.ERROR) as errors:
        await bot.start()
        try:
            for first, second in ((1, 2), (3, 4), (5, 6)):  # start with some couples
                await pair_up(bot, fuzzer.person(first), fuzzer.person(second))
            for batch in batches:
                for action in batch:
                    begun = time.monotonic()
                    try:
                        await fuzzer.run(action)
                    except Exception as error:
                        error.add_note(f"while fuzzing {action!r:.300}")
                        raise
                    timing[action.kind] += time.monotonic() - begun
                await fuzzer.settled()
                await settle(bot, timeout=60)
                await fuzzer.check_invariants()
                assert errors.describe() == [], (errors.describe(), batch)
                used += 1
                if fuzzer.total >= size.updates:
                    break
            await asyncio.wait_for(asyncio.gather(*(f for _, f in fuzzer.presses)), 10)
            counts = await fuzzer.query(
                "SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM pairs),"
                " (SELECT count(*) FROM pairs WHERE ended_at IS NULL),"
                " (SELECT count(*) FROM prompts), (SELECT count(*) FROM prompts"
                " WHERE revealed_at IS NOT NULL), (SELECT count(*) FROM answers),"
                " (SELECT count(*) FROM outbox)"
            )
            integrity = await bot.services.db.integrity_check()
        finally:
            await bot.stop()
    people, pairs, active, prompts, revealed, answers, outbox = counts[0]
    figures = {
        "size": size.label,
        "updates_fuzzed": fuzzer.total,
        "updates_by_kind": dict(sorted(fuzzer.updates.items())),
        "batches": used,
        "actions": sum(len(b) for b in batches[:used]),
        "unhandled_exceptions": len(errors.describe()),
        "integrity_check": integrity,
        "callback_queries": len(fuzzer.presses),
        "callback_queries_unanswered": sum(not f.done() for _, f in fuzzer.presses),
        "tokens": len(fuzzer.allowed),
        "token_deliveries_checked": fuzzer.deliveries_checked,
        "token_leaks": len(fuzzer.leaks),
        "people": people,
        "pairs_formed": pairs,
        "pairs_active": active,
        "prompts": prompts,
        "prompts_revealed": revealed,
        "answers": answers,
        "outbox_rows": outbox,
        "bot_messages": sum(len(u.inbox) for u in api.users.values()),
        "data_deleted_by": len(fuzzer.deleted),
        "seconds": round(time.monotonic() - started, 1),
        "seconds_by_action": {kind: round(t, 1) for kind, t in timing.most_common()},
    }
    record_figures("fuzz", figures)
    assert figures["updates_fuzzed"] >= size.updates
    assert integrity == "ok"
    assert figures["unhandled_exceptions"] == 0
    assert figures["callback_queries_unanswered"] == 0
    assert figures["token_leaks"] == 0
