"""A movable clock and the real bot running against the local fake Bot API.

Used by the end-to-end tests, the benchmarks and `make demo`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

from bot import texts
from bot.app import ALLOWED_UPDATES, Runtime, build_application, close_app, open_app
from bot.config import load_settings
from bot.content import Library
from bot.context import NearerApp
from bot.inbox import DurableUpdateQueue
from bot.scheduling import TickReport, run_tick
from bot.usecases.common import CHANGE_WINDOW, Services
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.matching import fields, includes, saying, translation

UTC = dt.UTC


class FakeClock:
    """A clock tests move by hand; the bot reads it wherever it needs `now`."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        """Move the clock forward by a timedelta given as keywords."""
        self.now += dt.timedelta(**delta)
        return self.now

    def set(self, moment: dt.datetime) -> None:
        """Put the clock at `moment`."""
        self.now = moment


class RunningBot:
    """The real Application, polling the fake API over HTTP, with a test clock."""

    def __init__(
        self,
        api: FakeBotAPI,
        database_path: Path,
        clock: FakeClock,
        library: Library,
        **settings: Any,
    ) -> None:
        self.api = api
        self.database_path = database_path
        self.clock = clock
        self.library = library
        self.settings = settings
        self.app: NearerApp | None = None
        self.runtime: Runtime | None = None
        self.webhook_url: str | None = None
        self.build_options: dict[str, Any] = {}
        # Sends to one chat are spaced as for Telegram only when `paced` (tests want speed).
        self.paced = False

    async def start(self) -> None:
        """Build the Application and start polling the fake API."""
        settings = load_settings(
            _env_file=None,
            bot_token=self.api.token,
            database_path=self.database_path,
            telegram_api_base_url=self.api.base_url,
            telegram_api_base_file_url=self.api.base_file_url,
            **{"webhook_listen": "127.0.0.1", **self.settings},
        )
        pacing: dict[str, Any] = {} if self.paced else {"chat_interval": 0.0}
        self.app, self.runtime = build_application(
            settings,
            clock=self.clock,
            library=self.library,
            run_jobs=False,
            ops_address="127.0.0.1",
            **pacing,
            **self.build_options,
        )
        await open_app(self.app)  # in webhook mode post_init has set the webhook
        assert self.app.updater is not None
        if settings.webhook_mode:
            self.webhook_url = settings.webhook_url
        else:
            await self.app.updater.start_polling(
                poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
            )

    async def stop(self) -> None:
        """Stop polling and shut the Application down, as SIGTERM would."""
        if self.app is None:
            return
        await close_app(self.app)
        self.app = None

    async def restart(self) -> None:
        """Stop and start again on the same database."""
        await self.stop()
        await self.start()

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.runtime is not None and self.runtime.services is not None
        return self.runtime.services

    async def tick(self) -> TickReport:
        """Run the scheduler's tick at the test clock's time."""
        return await run_tick(self.services)

    async def pass_change_window(self) -> None:
        """Move the clock past the window in which a partner's changes are gathered into one
        notice, and let the sender see that the notice is due."""
        self.clock.advance(seconds=CHANGE_WINDOW.total_seconds() + 1)
        assert self.runtime is not None and self.runtime.dispatcher is not None
        self.runtime.dispatcher.wake()
        await self.settle()

    async def busy(self) -> bool:
        """Whether an update is still to be fetched, stored or handled, or the outbox has a row
        due."""
        assert self.app is not None and self.runtime is not None
        assert self.runtime.dispatcher is not None and self.runtime.inbox is not None
        queue = self.app.update_queue
        # An update stays with the fake until the bot asks past it, which it does once the
        # update is stored: fetched but unconfirmed, it may still be on its way into the bot.
        if (
            self.api.updates
            or (isinstance(queue, DurableUpdateQueue) and queue.unsettled())
            or not self.app.update_queue.empty()
            or self.runtime.inbox.busy()
            or self.app.update_processor.current_concurrent_updates > 0
        ):
            return True
        async with self.services.db.reading() as tx:
            if await tx.unhandled_updates():
                return True
        return not await self.runtime.dispatcher.idle()

    async def settle(self, timeout: float = 10.0, poll: float = 0.03) -> None:
        """Wait until every update is handled and the outbox has nothing due (checked every
        `poll` seconds, three times in a row)."""
        deadline = time.monotonic() + timeout
        calm = 0
        while calm < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not settle")
            await asyncio.sleep(poll)
            calm = 0 if await self.busy() else calm + 1


async def pair_up(
    bot: RunningBot,
    alice: FakeUser,
    bob: FakeUser,
    *,
    zones: tuple[str | None, str | None] = (None, None),
) -> None:
    """Alice invites Bob, Bob accepts, and each answers "where are you?" with their zone in
    `zones` (None: they tap "skip"); both have read everything up to the first question.

    Each is read in the language the bot writes to them in (their Telegram app's language).
    """
    languages = bot.services.languages
    alice_lang = languages.for_person(None, alice.language_code).code
    bob_lang = languages.for_person(None, bob.language_code).code
    await alice.send("/start")
    await alice.send("/invite")
    link_message = await alice.receive_until(saying(texts.INVITE_CREATED, lang=alice_lang))
    code = link_message[-1]["text"].split("?start=")[1].split()[0]
    await bob.send(f"/start {code}")
    offer = (await bob.receive_until(saying(texts.INVITE_OFFER, lang=bob_lang)))[-1]
    await bob.press(offer, translation(texts.ACCEPT_BUTTON, bob_lang)[0])
    for person, lang, zone in ((alice, alice_lang, zones[0]), (bob, bob_lang, zones[1])):
        ask = (await person.receive_until(saying(texts.ZONE_ASK, lang=lang)))[-1]
        if zone is None:
            await person.press(ask, translation(texts.ZONE_SKIP, lang)[0])
        else:
            await person.press(ask, "", data=f"zone:{zone}")
    if zones == (None, None):  # otherwise it may be night somewhere: the question waits
        await bob.receive_until(lambda m: is_question(m, lang=bob_lang))
        await alice.receive_until(lambda m: is_question(m, lang=alice_lang))
    await bot.settle()
    alice.unread()
    bob.unread()


# A question comes in one of these, by its format (or as written by a partner with /ask).
QUESTION_TEMPLATES = (
    texts.QUESTION,
    texts.QUESTION_FROM_PARTNER,
    texts.QUESTION_FINISH,
    texts.QUESTION_PICK,
    texts.QUESTION_RATE,
    texts.QUESTION_GUESS,
)


def is_question(message: dict[str, Any], *, lang: str = "en") -> bool:
    """Say whether a delivered message is a question, in any format (in `lang`)."""
    return any(includes(message, template, lang=lang) for template in QUESTION_TEMPLATES)


def is_guess_question(message: dict[str, Any], *, lang: str = "en") -> bool:
    """Say whether a delivered question is guess-your-partner (answered, then guessed)."""
    return includes(message, texts.QUESTION_GUESS, lang=lang)


def question_words(message: dict[str, Any], *, lang: str = "en") -> str | None:
    """The words of the question a question message asks, in any format, as the reader sees
    them; None for any other message."""
    for template in QUESTION_TEMPLATES:
        if includes(message, template, lang=lang):
            return fields(message, template, lang=lang)["question"]
    return None
