"""A local fake of the Telegram Bot API, served over real HTTP on 127.0.0.1.

The bot under test talks to it through python-telegram-bot exactly as it would talk to
Telegram (point TELEGRAM_API_BASE_URL at `FakeBotAPI.base_url`). Tests, the demo and the
benchmarks act as users through `FakeUser`. The fake checks what a real server checks for the
methods the bot uses (unknown chats, blocked users, HTML that does not parse, texts over 4096
characters, callback data over 64 bytes, messages that are not modified), so a wrong call fails
here as it would there. It can also enforce Telegram's flood limits and inject faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

JSON = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
     "blockquote", "tg-spoiler", "span", "tg-emoji"}
)  # fmt: skip
_TAG_OR_ENTITY = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
)
# The emoji a bot may react with (ReactionTypeEmoji in the Bot API); anything else is refused.
REACTION_EMOJI = frozenset(
    "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 "
    "🌭 💯 🤣 ⚡ 🍌 🏆 "
    "💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 "
    "🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡".split()
)
PLACEHOLDER_LIMIT = 64  # ForceReply/ReplyKeyboard input_field_placeholder
# The message effects every account may use (🔥 👍 👎 ❤️ 🎉 💩); any other id is refused.
MESSAGE_EFFECTS = frozenset(
    {"5104841245755180586", "5107584321108051014", "5104858069142078462",
     "5159385139981059251", "5046509860389126442", "5046589136895476101"}
)  # fmt: skip
# Methods that send something into a chat: these count against flood limits and get faults.
SENDING_METHODS = frozenset(
    {"sendMessage", "copyMessage", "sendDocument", "sendPhoto", "editMessageText",
     "editMessageReplyMarkup"}
)  # fmt: skip


class ApiError(Exception):
    """An error the fake answers with, shaped like Telegram's."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Return the plain text of Telegram-HTML `text`, or raise ApiError as Telegram would."""
    plain: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG_OR_ENTITY.finditer(text):
        chunk = text[position : match.start()]
        if any(ch in chunk for ch in "<>&"):
            raise ApiError(400, "Bad Request: can't parse entities: unescaped character")
        plain.append(chunk)
        position = match.end()
        if match.group(4) is not None:
            plain.append(html.unescape(match.group(0)))
            continue
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag not in ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported tag {tag}")
        if closing:
            if not stack or stack[-1] != tag:
                raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag {tag}")
            stack.pop()
        else:
            stack.append(tag)
    tail = text[position:]
    if any(ch in tail for ch in "<>&"):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped character")
    plain.append(tail)
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag {stack[-1]}")
    return "".join(plain)


@dataclass
class Limits:
    """Telegram's flood limits, enforced with 429 answers when `enforce` is set."""

    enforce: bool = False
    overall_per_second: float = 30.0
    per_chat_interval: float = 1.0
    retry_after: int = 1


@dataclass
class Faults:
    """Faults injected into sending methods at `rate` (0..1), in proportion to `weights`."""

    rate: float = 0.0
    weights: dict[str, float] = field(
        default_factory=lambda: {"429": 1, "500": 1, "502": 1, "timeout": 1, "drop": 1}
    )
    retry_after: int = 1
    timeout_seconds: float = 6.0
    forbidden_users: set[int] = field(default_factory=set)
    seed: int = 7


@dataclass
class Chat:
    """A private chat between the bot and one user, as the fake stores it."""

    messages: dict[int, JSON] = field(default_factory=dict)
    next_id: int = 1
    pinned: list[int] = field(default_factory=list)  # pinned message ids, newest first

    def add(self, message: JSON) -> JSON:
        message["message_id"] = self.next_id
        self.messages[self.next_id] = message
        self.next_id += 1
        return message


class FakeUser:
    """A person chatting with the bot: sends updates and reads what the bot sent them."""

    def __init__(self, api: FakeBotAPI, user_id: int, first_name: str, username: str | None):
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.inbox: list[JSON] = []
        self.read = 0
        self.blocked = False
        self.started = False
        self._arrived = asyncio.Event()
        self.language_code: str | None = None  # what their Telegram app reports, e.g. 'es'

    @property
    def json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def chat_json(self) -> JSON:
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    def _deliver(self, message: JSON) -> None:
        self.inbox.append(message)
        self._arrived.set()

    def delete(self, message: JSON) -> None:
        """Delete a message of the chat for both sides, as anyone may in a private chat (the
        bot is not told; another of their devices may still show it for a moment)."""
        chat = self.api.chat(self.id)
        chat.messages.pop(int(message["message_id"]), None)
        if message["message_id"] in chat.pinned:
            chat.pinned.remove(message["message_id"])

    # Sending ---------------------------------------------------------------------------------

    def _message(self, **content: Any) -> JSON:
        self.started = True
        message: JSON = {"from": self.json, "chat": self.chat_json, "date": int(time.time())}
        message.update(content)
        return self.api.chat(self.id).add(message)

    async def send(self, text: str, *, reply_to: JSON | None = None) -> JSON:
        """Send a text (a command when it starts with '/')."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        return await self._post(content, reply_to)

    async def reply(self, to: JSON, text: str) -> JSON:
        """Reply to one of the bot's messages with text."""
        return await self.send(text, reply_to=to)

    async def send_voice(self, *, reply_to: JSON | None = None, duration: int = 4) -> JSON:
        """Send a voice note."""
        voice = {
            "file_id": self.api.new_file_id("voice"),
            "file_unique_id": "v",
            "duration": duration,
        }
        return await self._post({"voice": voice}, reply_to)

    async def send_video_note(self, *, reply_to: JSON | None = None) -> JSON:
        """Send a round video note."""
        note = {"file_id": self.api.new_file_id("vnote"), "file_unique_id": "n", "length": 240,
                "duration": 3}  # fmt: skip
        return await self._post({"video_note": note}, reply_to)

    async def send_photo(
        self, caption: str | None = None, *, reply_to: JSON | None = None
    ) -> JSON:
        """Send a photo, with or without a caption."""
        sizes = [
            {"file_id": self.api.new_file_id("photo"), "file_unique_id": f"p{w}", "width": w,
             "height": w}
            for w in (90, 320, 800)
        ]  # fmt: skip
        content: JSON = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return await self._post(content, reply_to)

    async def send_sticker(self) -> JSON:
        """Send a sticker (not something that can be an answer)."""
        sticker = {
            "file_id": self.api.new_file_id("sticker"),
            "file_unique_id": "s",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._post({"sticker": sticker}, None)

    async def send_location(self, latitude: float, longitude: float) -> JSON:
        """Share a location (e.g. with a "share my location" keyboard button)."""
        return await self._post({"location": {"latitude": latitude, "longitude": longitude}}, None)

    def reactions_on(self, message: JSON) -> list[str]:
        """The emoji the bot set as its reaction on one of this user's messages."""
        stored = self.api.chat(self.id).messages.get(message["message_id"], {})
        return list(stored.get("bot_reaction", []))

    @property
    def pinned(self) -> list[JSON]:
        """The messages pinned in this chat, newest first."""
        chat = self.api.chat(self.id)
        return [chat.messages[i] for i in chat.pinned if i in chat.messages]

    async def send_content(self, content: JSON, *, reply_to: JSON | None = None) -> JSON:
        """Send a message with arbitrary content fields (documents, locations, ...)."""
        return await self._post(dict(content), reply_to)

    async def _post(self, content: JSON, reply_to: JSON | None) -> JSON:
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        message = self._message(**content)
        await self.api.push_update({"message": message})
        return message

    async def edit(self, message: JSON, text: str) -> JSON:
        """Edit one of the user's own text messages."""
        stored = self.api.chat(self.id).messages[message["message_id"]]
        stored["text"] = text
        stored["edit_date"] = int(time.time())
        await self.api.push_update({"edited_message": dict(stored)})
        return stored

    async def press(
        self, message: JSON, label: str, *, data: str | None = None, timeout: float = 10.0
    ) -> JSON:
        """Press the inline button whose text contains `label` (or send forged `data`).

        Returns what the bot answered the callback query with (TimeoutError if it did not
        answer within `timeout` seconds).
        """
        if data is None:
            data = self.api.button_data(message, label)
        query_id = str(next(self.api.query_ids))
        answered: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self.api.pending_queries[query_id] = answered
        query = {
            "id": query_id,
            "from": self.json,
            "message": self.api.chat(self.id).messages.get(message["message_id"], message),
            "chat_instance": str(self.id),
            "data": data,
        }
        await self.api.push_update({"callback_query": query})
        try:
            return await asyncio.wait_for(answered, timeout=timeout)
        finally:
            self.api.pending_queries.pop(query_id, None)

    async def block(self) -> None:
        """Block the bot (Telegram then sends the bot a my_chat_member update)."""
        self.blocked = True
        await self._member_update("member", "kicked")

    async def unblock(self) -> None:
        """Unblock the bot."""
        self.blocked = False
        await self._member_update("kicked", "member")

    async def _member_update(self, old: str, new: str) -> None:
        def member(status: str) -> JSON:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"user": self.api.bot_json, "status": status, **extra}

        change = {
            "chat": self.chat_json,
            "from": self.json,
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        await self.api.push_update({"my_chat_member": change})

    # Reading ---------------------------------------------------------------------------------

    async def receive(self, timeout: float = 10.0) -> JSON:
        """Return the next message from the bot not read yet, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.read >= len(self.inbox):
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"user {self.id} got no message within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        message = self.inbox[self.read]
        self.read += 1
        return message

    async def receive_until(
        self, predicate: Callable[[JSON], bool], timeout: float = 10.0
    ) -> list[JSON]:
        """Read messages until one matches `predicate`; return all read, the match last."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(max(0.0, deadline - time.monotonic()))
            seen.append(message)
            if predicate(message):
                return seen

    def unread(self) -> list[JSON]:
        """Return (and mark read) every message not read yet."""
        messages = self.inbox[self.read :]
        self.read = len(self.inbox)
        return messages

    def texts(self) -> list[str]:
        """Every text (or caption) the bot has sent this user so far."""
        return [m.get("text") or m.get("caption") or "" for m in self.inbox]


class FakeGroup:
    """A group chat people write in; the bot is in it only after someone adds it."""

    def __init__(self, api: FakeBotAPI, chat_id: int, title: str) -> None:
        self.api = api
        self.id = chat_id
        self.title = title
        self.inbox: list[JSON] = []
        self.bot_is_member = False

    @property
    def chat_json(self) -> JSON:
        return {"id": self.id, "type": "group", "title": self.title}

    def _deliver(self, message: JSON) -> None:
        self.inbox.append(message)

    async def add_bot(self, by: FakeUser) -> None:
        """`by` adds the bot to the group (Telegram then sends a my_chat_member update)."""
        self.bot_is_member = True
        change = {
            "chat": self.chat_json,
            "from": by.json,
            "date": int(time.time()),
            "old_chat_member": {"user": self.api.bot_json, "status": "left"},
            "new_chat_member": {"user": self.api.bot_json, "status": "member"},
        }
        await self.api.push_update({"my_chat_member": change})

    async def send(self, by: FakeUser, text: str) -> JSON:
        """`by` writes `text` in the group (a command when it starts with '/')."""
        message: JSON = {"from": by.json, "chat": self.chat_json, "date": int(time.time()),
                         "text": text}  # fmt: skip
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        self.api.chat(self.id).add(message)
        await self.api.push_update({"message": message})
        return message


class FakeBotAPI:
    """The fake Bot API server. `await start()`, then act through `user(...)`."""

    def __init__(
        self,
        token: str = "123456789:TEST-token-for-the-local-fake-api",  # noqa: S107 (not a secret)
        *,
        bot_id: int = 123456789,
        username: str = "nearer_test_bot",
        limits: Limits | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.token = token
        self.bot_json: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Nearer",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.limits = limits or Limits()
        self.faults = faults or Faults()
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        # The update types the bot asked for (getUpdates or setWebhook); like Telegram, the
        # fake then holds back every other type, unless `honour_allowed_updates` is off
        # (a server that sends everything, to test what the bot does with the unexpected).
        self.allowed_updates: list[str] | None = None
        self.honour_allowed_updates = True
        self.chats: dict[int, Chat] = {}
        self.updates: deque[JSON] = deque()
        self.next_update_id = 1
        self.fetched_update_id = 0
        self.query_ids = itertools.count(1)
        self.pending_queries: dict[str, asyncio.Future[JSON]] = {}
        self.commands: list[JSON] = []  # the default menu (no language_code)
        # Per language_code ('' for the default): menus and the bot's descriptions.
        self.commands_by_language: dict[str, list[JSON]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.sent_log: list[tuple[float, int, str]] = []  # (monotonic time, chat, method)
        self._update_arrived = asyncio.Event()
        self._file_ids = itertools.count(1)
        self._rng = random.Random(self.faults.seed)
        self._last_by_chat: dict[int, float] = {}
        self._bucket_level = 0.0
        self._bucket_time = time.monotonic()
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = 0
        self.webhook: JSON | None = None
        self.files: dict[str, bytes] = {}  # file id -> content
        self.menu_button: JSON = {"type": "default"}
        self.reactions: list[tuple[int, int, str]] = []  # (chat, message, emoji) as set

    # Lifecycle -------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (a free port unless one is given)."""
        application = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)", _MethodHandler, {"api": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self}),
            ]
        )
        sockets = tornado.netutil.bind_sockets(port, address="127.0.0.1")
        self._server = tornado.httpserver.HTTPServer(application)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and release waiting long polls."""
        self._update_arrived.set()
        await asyncio.sleep(0.01)  # let released long polls answer before connections close
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for TELEGRAM_API_BASE_FILE_URL (downloads of what getFile names)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # Users and chats -------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        language_code: str | None = None,
    ) -> FakeUser:
        """Return the fake user with `user_id`, creating them on first use."""
        if user_id not in self.users:
            self.users[user_id] = FakeUser(self, user_id, first_name, username)
            self.users[user_id].language_code = language_code
        return self.users[user_id]

    def group(self, chat_id: int, title: str = "A group") -> FakeGroup:
        """Return the group chat with (negative) `chat_id`, creating it on first use."""
        if chat_id not in self.groups:
            self.groups[chat_id] = FakeGroup(self, chat_id, title)
        return self.groups[chat_id]

    def chat(self, chat_id: int) -> Chat:
        """Return the stored chat with `chat_id`."""
        return self.chats.setdefault(chat_id, Chat())

    def new_file_id(self, kind: str) -> str:
        """A fresh file id, as Telegram would assign to an upload; its bytes can be fetched
        with getFile and a download from `base_file_url`."""
        file_id = f"{kind}-{next(self._file_ids)}"
        self.files[file_id] = _sample_png(file_id) if kind == "photo" else file_id.encode() * 64
        return file_id

    def button_data(self, message: JSON, label: str) -> str:
        """Return the callback data of the button in `message` whose text contains `label`."""
        stored = self.chat(message["chat"]["id"]).messages.get(message["message_id"], message)
        for row in stored.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if label in button["text"] and "callback_data" in button:
                    return str(button["callback_data"])
        raise LookupError(f"no button {label!r} on message {message['message_id']}")

    async def push_update(self, update: JSON) -> None:
        """Queue an update for the bot (long polling) or post it to the webhook."""
        update = {"update_id": self.next_update_id, **update}
        self.next_update_id += 1
        if self.webhook is not None:
            await self._post_webhook(update)
            return
        self.updates.append(update)
        self._update_arrived.set()

    async def _post_webhook(self, update: JSON) -> None:
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        assert self.webhook is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        request = HTTPRequest(
            self.webhook["url"], method="POST", headers=headers, body=json.dumps(update)
        )
        await AsyncHTTPClient().fetch(request, raise_error=False)

    # The API -------------------------------------------------------------------------------

    async def handle(self, token: str, method: str, params: JSON) -> Any:
        """Answer one Bot API call; raise ApiError for what Telegram would refuse."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        self.calls[method] += 1
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        if method in SENDING_METHODS:
            chat_id = _int(params, "chat_id")
            await self._inject_fault(chat_id)
            self._enforce_limits(chat_id)
        return await handler(params)

    async def _inject_fault(self, chat_id: int) -> None:
        if chat_id in self.faults.forbidden_users:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.faults.rate <= 0 or self._rng.random() >= self.faults.rate:
            return
        kinds, weights = zip(*self.faults.weights.items(), strict=True)
        kind = self._rng.choices(kinds, weights)[0]
        self.errors[f"injected_{kind}"] += 1
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry later", self.faults.retry_after)
        if kind in ("500", "502"):
            raise ApiError(int(kind), "Internal Server Error" if kind == "500" else "Bad Gateway")
        if kind == "timeout":
            await asyncio.sleep(self.faults.timeout_seconds)
            raise ApiError(504, "Gateway Timeout")
        raise _DropConnection

    def _enforce_limits(self, chat_id: int) -> None:
        now = time.monotonic()
        if self.limits.enforce:
            # A leaky bucket: bursts up to one second's worth, then the steady rate.
            rate = self.limits.overall_per_second
            self._bucket_level = max(0.0, self._bucket_level - (now - self._bucket_time) * rate)
            self._bucket_time = now
            last = self._last_by_chat.get(chat_id)
            if self._bucket_level + 1 > rate:
                self.errors["429_overall"] += 1
                raise ApiError(429, "Too Many Requests: retry later", self.limits.retry_after)
            if last is not None and now - last < self.limits.per_chat_interval:
                self.errors["429_chat"] += 1
                raise ApiError(429, "Too Many Requests: retry later", self.limits.retry_after)
            self._bucket_level += 1
        self._last_by_chat[chat_id] = now
        self.sent_log.append((now, chat_id, ""))

    async def _m_getMe(self, params: JSON) -> JSON:
        return self.bot_json

    async def _m_logOut(self, params: JSON) -> bool:
        return True

    async def _m_deleteWebhook(self, params: JSON) -> bool:
        self.webhook = None
        return True

    async def _m_setWebhook(self, params: JSON) -> bool:
        url = params.get("url", "")
        if not url:
            self.webhook = None
            return True
        if not str(url).startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: invalid URL")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        self._note_allowed_updates(params)
        return True

    async def _m_getWebhookInfo(self, params: JSON) -> JSON:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}  # fmt: skip

    async def _m_setMyCommands(self, params: JSON) -> bool:
        commands = _json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name) or not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        language = _language_code(params)
        self.commands_by_language[language] = commands
        if not language:
            self.commands = commands
        return True

    async def _m_setMyDescription(self, params: JSON) -> bool:
        text = str(params.get("description", ""))
        if len(text) > 512:
            raise ApiError(400, "Bad Request: description is too long")
        self.descriptions[_language_code(params)] = text
        return True

    async def _m_setMyShortDescription(self, params: JSON) -> bool:
        text = str(params.get("short_description", ""))
        if len(text) > 120:
            raise ApiError(400, "Bad Request: short description is too long")
        self.short_descriptions[_language_code(params)] = text
        return True

    async def _m_getUpdates(self, params: JSON) -> list[JSON]:
        offset = _int(params, "offset", 0)
        timeout = float(params.get("timeout", 0) or 0)
        self._note_allowed_updates(params)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        self._hold_back_unwanted()
        if not self.updates and timeout > 0 and self._server is not None:
            self._update_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), timeout)
        limit = _int(params, "limit", 100)
        batch = list(itertools.islice(self.updates, 0, limit))
        if batch:
            self.fetched_update_id = max(self.fetched_update_id, batch[-1]["update_id"])
        return batch

    def _note_allowed_updates(self, params: JSON) -> None:
        allowed = _json(params, "allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed]

    def _wanted(self, update: JSON) -> bool:
        if not self.honour_allowed_updates or not self.allowed_updates:
            return True
        return any(kind in update for kind in self.allowed_updates)

    def _hold_back_unwanted(self) -> None:
        if any(not self._wanted(u) for u in self.updates):
            self.updates = deque(u for u in self.updates if self._wanted(u))

    def updates_unfetched(self) -> list[JSON]:
        """Updates queued for the bot that it has not fetched yet."""
        return [u for u in self.updates if u["update_id"] > self.fetched_update_id]

    def _target(self, params: JSON) -> tuple[int, FakeUser | FakeGroup]:
        chat_id = _int(params, "chat_id")
        group = self.groups.get(chat_id)
        if group is not None:
            if not group.bot_is_member:
                raise ApiError(403, "Forbidden: bot is not a member of the group chat")
            return chat_id, group
        user = self.users.get(chat_id)
        if user is None or not user.started:
            raise ApiError(400, "Bad Request: chat not found")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id, user

    def _bot_message(self, chat_id: int, params: JSON, **content: Any) -> JSON:
        message: JSON = {
            "from": self.bot_json,
            "chat": (self.groups.get(chat_id) or self.users[chat_id]).chat_json,
            "date": int(time.time()),
            **content,
        }
        markup = _markup(params)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif markup is not None:
            # A Message carries only an inline keyboard; a reply field (ForceReply) or a reply
            # keyboard is not echoed back by Telegram. Kept beside it for tests to read.
            message["requested_markup"] = markup
        # Not part of a real Message: how it was sent, so tests can tell what made a sound.
        message["silent"] = _bool(params, "disable_notification")
        if params.get("message_effect_id"):
            if chat_id < 0:
                raise ApiError(400, "Bad Request: message effects are for private chats only")
            if str(params["message_effect_id"]) not in MESSAGE_EFFECTS:
                raise ApiError(400, "Bad Request: EFFECT_ID_INVALID")
            message["effect_id"] = str(params["message_effect_id"])
        if _bool(params, "protect_content"):
            message["protected"] = True
        return self.chat(chat_id).add(message)

    def _text(self, params: JSON, key: str, limit: int, *, required: bool = True) -> str | None:
        raw = params.get(key)
        if raw is None:
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None
        mode = str(params.get("parse_mode") or "").upper()
        plain = parse_html(str(raw)) if mode == "HTML" else str(raw)
        if required and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(plain) > limit:
            raise ApiError(400, "Bad Request: message is too long")
        return plain

    async def _m_sendMessage(self, params: JSON) -> JSON:
        chat_id, user = self._target(params)
        text = self._text(params, "text", TEXT_LIMIT)
        message = self._bot_message(chat_id, params, text=text, html=params.get("text"))
        user._deliver(message)
        return message

    async def _m_copyMessage(self, params: JSON) -> JSON:
        chat_id, user = self._target(params)
        source_chat = _int(params, "from_chat_id")
        source = self.chats.get(source_chat, Chat()).messages.get(_int(params, "message_id"))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {
            key: value
            for key, value in source.items()
            if key in ("text", "voice", "video_note", "photo", "caption", "document")
        }
        caption = self._text(params, "caption", CAPTION_LIMIT, required=False)
        if caption is not None:
            content["caption"] = caption
        # copyMessage has no message_effect_id: Telegram ignores one passed anyway.
        params = {k: v for k, v in params.items() if k != "message_effect_id"}
        message = self._bot_message(chat_id, params, **content, copied_from=source_chat)
        user._deliver(message)
        return {"message_id": message["message_id"]}

    async def _m_sendDocument(self, params: JSON) -> JSON:
        chat_id, user = self._target(params)
        upload = params.get("__files__", {}).get("document")
        if upload is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = self._text(params, "caption", CAPTION_LIMIT, required=False)
        document = {"file_id": self.new_file_id("doc"), "file_unique_id": "d",
                    "file_name": upload["filename"]}  # fmt: skip
        message = self._bot_message(chat_id, params, document=document)
        message["document_bytes"] = upload["body"]
        if caption is not None:
            message["caption"] = caption
        user._deliver(message)
        return {k: v for k, v in message.items() if k != "document_bytes"}

    async def _m_editMessageText(self, params: JSON) -> JSON:
        chat_id, user = self._target(params)
        message = self.chat(chat_id).messages.get(_int(params, "message_id"))
        if message is None or message["from"]["id"] != self.bot_json["id"]:
            raise ApiError(400, "Bad Request: message to edit not found")
        if "text" not in message:  # a document, photo or other media message
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._text(params, "text", TEXT_LIMIT)
        markup = _inline_markup(params)
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"], message["html"] = text, params.get("text")
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        user._deliver({**message, "edited": True})
        return message

    async def _m_editMessageReplyMarkup(self, params: JSON) -> JSON:
        chat_id, user = self._target(params)
        message = self.chat(chat_id).messages.get(_int(params, "message_id"))
        if message is None or message["from"]["id"] != self.bot_json["id"]:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = _inline_markup(params)
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        # The person's app shows the new buttons; "buttons" tells tests the words stayed.
        user._deliver({**message, "edited": "buttons"})
        return message

    async def _m_setMessageReaction(self, params: JSON) -> bool:
        chat_id, _ = self._target(params)
        message = self.chat(chat_id).messages.get(_int(params, "message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to react not found")
        reaction = _json(params, "reaction") or []
        if not isinstance(reaction, list) or len(reaction) > 1:
            raise ApiError(400, "Bad Request: REACTIONS_TOO_MANY")
        emoji = []
        for item in reaction:
            if item.get("type") != "emoji" or item.get("emoji") not in REACTION_EMOJI:
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            emoji.append(item["emoji"])
        message["bot_reaction"] = emoji
        self.reactions.append((chat_id, message["message_id"], "".join(emoji)))
        return True

    async def _m_pinChatMessage(self, params: JSON) -> bool:
        chat_id, _ = self._target(params)
        chat = self.chat(chat_id)
        message_id = _int(params, "message_id")
        message = chat.messages.get(message_id)
        if message is None or "pinned_message" in message:
            raise ApiError(400, "Bad Request: message to pin not found")
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)
        chat.pinned.insert(0, message_id)
        # Telegram notes the pin in the chat with a service message (not a message the bot
        # sent, so it reaches no inbox); it takes the chat's next message id.
        pinned = {k: v for k, v in message.items() if k not in _FAKE_ONLY}
        chat.add({"from": self.bot_json, "chat": message["chat"], "date": int(time.time()),
                  "pinned_message": pinned})  # fmt: skip
        return True

    async def _m_unpinChatMessage(self, params: JSON) -> bool:
        chat_id, _ = self._target(params)
        chat = self.chat(chat_id)
        if params.get("message_id") is not None:
            message_id = _int(params, "message_id")
            if message_id not in chat.pinned:
                raise ApiError(400, "Bad Request: message to unpin not found")
            chat.pinned.remove(message_id)
        elif chat.pinned:
            chat.pinned.pop(0)  # without an id: the most recently pinned one
        return True

    async def _m_unpinAllChatMessages(self, params: JSON) -> bool:
        chat_id, _ = self._target(params)
        self.chat(chat_id).pinned.clear()
        return True

    async def _m_deleteMessage(self, params: JSON) -> bool:
        chat_id, _ = self._target(params)
        chat, message_id = self.chat(chat_id), _int(params, "message_id")
        if chat.messages.pop(message_id, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        if message_id in chat.pinned:  # a deleted message is pinned no more
            chat.pinned.remove(message_id)
        return True

    async def _m_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        future = self.pending_queries.pop(query_id, None)
        if future is None:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        text = str(params.get("text") or "")
        if len(text) > 200:
            raise ApiError(400, "Bad Request: text is too long")
        if not future.done():
            future.set_result({"text": text, "show_alert": _bool(params, "show_alert")})
        return True

    async def _m_leaveChat(self, params: JSON) -> bool:
        chat_id = _int(params, "chat_id")
        if chat_id > 0:
            raise ApiError(
                400, "Bad Request: chat member status can't be changed in private chats"
            )
        if chat_id in self.groups:
            self.groups[chat_id].bot_is_member = False
        return True

    async def _m_sendChatAction(self, params: JSON) -> bool:
        self._target(params)
        return True

    async def _m_getFile(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(self.files[file_id])
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": size,
                "file_path": f"files/{file_id}"}  # fmt: skip

    async def _m_setChatMenuButton(self, params: JSON) -> bool:
        button = _json(params, "menu_button") or {"type": "default"}
        kind = button.get("type")
        if kind == "web_app":
            url = str(button.get("web_app", {}).get("url", ""))
            if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            if not 1 <= len(str(button.get("text", ""))) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
        elif kind not in ("default", "commands"):
            raise ApiError(400, "Bad Request: unsupported menu button type")
        self.menu_button = dict(button)
        return True

    async def _m_getChatMenuButton(self, params: JSON) -> JSON:
        return self.menu_button


def _sample_png(seed: str) -> bytes:
    """A small, real PNG (a soft colour block) standing in for a photo someone sent."""
    import struct
    import zlib

    shade = sum(seed.encode()) % 64
    size = 48
    raw = b"".join(
        b"\x00" + bytes((240 - y, 120 + shade + y, 160 + y)) * size for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class _DropConnection(Exception):
    """Close the connection without answering."""


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotAPI) -> None:
        self.api = api

    def check_xsrf_cookie(self) -> None:
        """The Bot API has no cookies."""

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        try:
            result = await self.api.handle(token, method, self._params())
        except _DropConnection:
            if self.request.connection is not None:
                self.request.connection.close()  # type: ignore[attr-defined]
            return
        except ApiError as error:
            body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            self.set_status(error.code if error.code < 600 else 500)
            self.finish(body)
            return
        self.finish({"ok": True, "result": result})

    def _params(self) -> JSON:
        params: JSON = {}
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            params.update(json.loads(self.request.body))
        else:
            for key, values in self.request.body_arguments.items():
                params[key] = values[-1].decode()
            for key, values in self.request.query_arguments.items():
                params.setdefault(key, values[-1].decode())
        files = {
            key: {"filename": items[0].filename, "body": items[0].body}
            for key, items in self.request.files.items()
        }
        if files:
            params["__files__"] = files
        return params


class _FileHandler(tornado.web.RequestHandler):
    """Downloads of files getFile named, at /file/bot<token>/<file_path>, as Telegram serves."""

    def initialize(self, api: FakeBotAPI) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        content = self.api.files.get(path.removeprefix("files/"))
        if token != self.api.token or content is None:
            self.send_error(404)
            return
        self.api.calls["download"] += 1
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(content)


# Fields the fake keeps on a message that Telegram's Message has not.
_FAKE_ONLY = frozenset({"html", "silent", "requested_markup", "document_bytes", "edited",
                        "protected", "copied_from", "bot_reaction"})  # fmt: skip


def _int(params: JSON, key: str, default: int | None = None) -> int:
    value = params.get(key, default)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {key} is invalid") from None


def _bool(params: JSON, key: str) -> bool:
    value = params.get(key, False)
    return value in (True, "true", "True", "1")


def _language_code(params: JSON) -> str:
    """A two-letter ISO 639-1 code or '' (the default for everyone), as the Bot API requires."""
    code = str(params.get("language_code", "") or "")
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise ApiError(400, "Bad Request: invalid language code specified")
    return code


def _json(params: JSON, key: str) -> Any:
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
    return value


def _inline_markup(params: JSON) -> JSON | None:
    """An edit's markup: only an inline keyboard can be put on an existing message."""
    markup = _markup(params)
    if markup is not None and set(markup) - {"inline_keyboard"}:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    return markup


def _markup(params: JSON) -> JSON | None:
    markup = _json(params, "reply_markup")
    if markup is None:
        return None
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and not 1 <= len(str(placeholder)) <= PLACEHOLDER_LIMIT:
        raise ApiError(400, "Bad Request: input field placeholder is too long")
    if "force_reply" in markup and markup["force_reply"] is not True:
        raise ApiError(400, "Bad Request: force_reply must be True")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return dict(markup)
