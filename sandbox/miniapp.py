"""The real bot serving its Mini App on 127.0.0.1, with two couples and weeks of answers:
shared by the Mini App's tests and `python -m sandbox.miniapp` (open the journal locally)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bot.content import Library, load_library
from bot.domain.models import Pair
from bot.web.initdata import init_data_for
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.harness import FakeClock, RunningBot, pair_up
from sandbox.journal_seed import SeededJournal, seed_journal

START = dt.datetime(2026, 1, 14, 8, 30, tzinfo=dt.UTC)  # after the default quiet hours (22-08)
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579",
         "link_color": "#3390ec", "button_color": "#3390ec", "button_text_color": "#ffffff",
         "secondary_bg_color": "#f4f4f5", "section_bg_color": "#f4f4f5",
         "accent_text_color": "#d14d72", "destructive_text_color": "#e53935"}  # fmt: skip
DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499",
        "link_color": "#6ab3f3", "button_color": "#5288c1", "button_text_color": "#ffffff",
        "secondary_bg_color": "#232e3c", "section_bg_color": "#1f2936",
        "accent_text_color": "#f08aa5", "destructive_text_color": "#ef5b5b"}  # fmt: skip


# Headless Debian Chromium on a machine with no network beyond 127.0.0.1: nothing that would
# reach out (updates, sync, background fetches), no GPU, no sandbox (tests run as root).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# A stand-in for the Telegram client: the page posts its events to TelegramWebviewProxy, as in
# Telegram's mobile and desktop apps; a test reads them back from window.__events.
TELEGRAM_STUB = """
window.__events = [];
window.TelegramWebviewProxy = {
  postEvent(type, data) { window.__events.push([type, JSON.parse(data || "{}")]); },
};
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Couple:
    """Two fake users paired with each other, and the journal seeded for them."""

    first: FakeUser
    second: FakeUser
    pair: Pair
    journal: SeededJournal


@dataclass
class JournalBot:
    """The running bot with the Mini App on, and what a test or the demo needs to reach it."""

    bot: RunningBot
    url: str
    couples: list[Couple]

    def init_data(
        self, user: FakeUser, *, when: dt.datetime | None = None, language: str | None = None
    ) -> str:
        """initData for `user`, signed with the bot's token as Telegram would sign it."""
        moment = when or self.bot.clock()
        token = self.bot.api.token
        return init_data_for(user.id, user.first_name, token, moment, language_code=language)

    def launch_url(
        self, user: FakeUser, theme: dict[str, str], *, tab: str = "", language: str | None = None
    ) -> str:
        """The URL Telegram would open: launch parameters in the fragment."""
        data = self.init_data(user, language=language)
        fragment = "&".join(
            [
                f"tgWebAppData={quote(data, safe='')}",
                "tgWebAppVersion=8.0",
                "tgWebAppPlatform=tdesktop",
                f"tgWebAppThemeParams={quote(json.dumps(theme), safe='')}",
            ]
        )
        return f"{self.url}{'?tab=' + tab if tab else ''}#{fragment}"


async def start_journal_bot(
    api: FakeBotAPI, database: Path, library: Library, *, clock: FakeClock | None = None
) -> JournalBot:
    """Start the bot with WEBAPP_URL on a free local port, pair Alice with Bob and Carol with
    Dan, and give both couples a month of answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/app/"
    bot = RunningBot(
        api, database, clock or FakeClock(START), library, webapp_url=url, webhook_port=port
    )
    await bot.start()
    couples = []
    for offset, (a, b) in enumerate((((1, "Alice"), (2, "Bob")), ((3, "Carol"), (4, "Dan")))):
        first, second = api.user(*a), api.user(*b)
        await pair_up(bot, first, second)
        async with bot.services.db.reading() as tx:
            pair = await tx.active_pair_of(first.id)
        assert pair is not None
        today = bot.clock().date()
        seeded = await seed_journal(bot.services, api, pair, today=today, offset=offset * 5)
        couples.append(Couple(first, second, pair, seeded))
    return JournalBot(bot, url, couples)


async def _demo() -> None:
    api = FakeBotAPI()
    await api.start()
    with tempfile.TemporaryDirectory() as folder:
        running = await start_journal_bot(api, Path(folder) / "demo.sqlite3", load_library())
        alice = running.couples[0].first
        print("Open Alice's journal in a browser (light theme, then dark):")
        print(running.launch_url(alice, LIGHT))
        print(running.launch_url(alice, DARK))
        print("Ctrl-C stops the demo.")
        try:
            await asyncio.Event().wait()
        finally:
            await running.bot.stop()
            await api.stop()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_demo())
