"""The Mini App in a real browser: Debian's Chromium driven by Playwright against the real bot
(real SQLite, the fake Bot API), with a stand-in for the Telegram client injected into the page
and initData genuinely signed with the test token, so the server's check really runs.

One browser and one bot serve the whole module; each test opens its own page. The run saves
the screenshots the README shows in docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from bot import texts
from bot.content import load_library
from bot.domain.models import JournalFilter
from bot.web.initdata import init_data_for
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.journal_seed import SEARCHABLE
from sandbox.matching import includes
from sandbox.miniapp import (
    CHROMIUM_FLAGS,
    DARK,
    LIGHT,
    TELEGRAM_STUB,
    JournalBot,
    start_journal_bot,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FIRST_SCREEN_LIMIT = 150 * 1024


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS)
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def journal_bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[JournalBot]:
    api = FakeBotAPI()
    await api.start()
    database = tmp_path_factory.mktemp("miniapp") / "nearer.sqlite3"
    running = await start_journal_bot(api, database, load_library())
    yield running
    await running.bot.stop()
    await api.stop()


async def _open(browser: Browser, url: str, *, dark: bool = False) -> Page:
    context = await browser.new_context(
        viewport={"width": 390, "height": 780},
        device_scale_factor=2,
        locale="en-GB",
        timezone_id="UTC",
        color_scheme="dark" if dark else "light",
    )
    await context.add_init_script(TELEGRAM_STUB)
    page = await context.new_page()
    await page.goto(url)
    return page


async def _ready(page: Page) -> None:
    await page.wait_for_selector("body[data-ready]")
    await page.wait_for_selector(".entry")
    await page.wait_for_selector(".today-card")


async def _until(page: Page, expression: str, timeout: float = 5.0) -> None:
    """Wait until `expression` is true in the page (the page's policy forbids the eval that
    wait_for_function uses, so poll with evaluate, which the policy does not cover)."""
    for _ in range(int(timeout / 0.05)):
        if await page.evaluate(expression):
            return
        await page.wait_for_timeout(50)
    raise AssertionError(f"never true: {expression}")


async def _events(page: Page) -> list[list[Any]]:
    events: list[list[Any]] = await page.evaluate("window.__events")
    return events


async def _shown_ids(page: Page) -> list[int]:
    ids: list[str] = await page.eval_on_selector_all(".entry", "els => els.map(e => e.dataset.id)")
    return [int(i) for i in ids]


async def _scroll_to_the_end(page: Page) -> None:
    for _ in range(20):
        await page.mouse.wheel(0, 5000)
        await page.wait_for_timeout(150)
        if await page.evaluate("document.getElementById('journal-status').textContent === ''"):
            done = await page.evaluate(
                "window.scrollY + innerHeight >= document.body.scrollHeight - 5"
            )
            if done:
                return


async def test_the_journal_shows_every_revealed_question_newest_first_as_you_scroll(
    browser: Browser, journal_bot: JournalBot
) -> None:
    couple = journal_bot.couples[0]
    page = await _open(browser, journal_bot.launch_url(couple.first, LIGHT))
    await _ready(page)
    first_screen = await _shown_ids(page)
    assert 0 < len(first_screen) <= 20
    await page.wait_for_selector(".entry img")
    await page.screenshot(path=str(SCREENSHOTS / "journal-light.png"))
    await _scroll_to_the_end(page)
    dates = await page.eval_on_selector_all(
        ".entry time", "els => els.map(e => e.getAttribute('datetime'))"
    )
    assert dates == [day.isoformat() for day in sorted(couple.journal.revealed, reverse=True)]
    assert len(set(await _shown_ids(page))) == len(dates)
    events = [name for name, _ in await _events(page)]
    assert events[:2] == ["web_app_ready", "web_app_expand"]
    await page.context.close()


async def test_search_and_the_format_filter_narrow_the_journal(
    browser: Browser, journal_bot: JournalBot
) -> None:
    page = await _open(browser, journal_bot.launch_url(journal_bot.couples[0].first, LIGHT))
    await _ready(page)
    await page.fill("#search", SEARCHABLE)
    await _until(page, "document.querySelectorAll('.entry').length === 1")
    assert SEARCHABLE in await page.inner_text(".entry")
    await page.fill("#search", "")
    await page.select_option("#kind", "voice")
    await _until(
        page,
        "document.querySelectorAll('.entry').length > 0 &&"
        " [...document.querySelectorAll('.entry')].every(e => e.querySelector('.play'))",
    )
    await page.click(".entry .play")
    audio = await page.wait_for_selector(".entry audio")
    assert (await audio.get_attribute("src") or "").startswith("blob:")
    await page.context.close()


async def test_the_calendar_marks_answered_open_and_paused_days_and_the_streak(
    browser: Browser, journal_bot: JournalBot
) -> None:
    couple = journal_bot.couples[0]
    page = await _open(browser, journal_bot.launch_url(couple.first, DARK), dark=True)
    await _ready(page)
    await page.click("[data-tab=calendar]")
    await page.wait_for_selector("#days span[data-mark]")
    marks = dict(
        await page.eval_on_selector_all(
            "#days span[data-day]", "els => els.map(e => [e.dataset.day, e.dataset.mark])"
        )
    )
    for day in couple.journal.revealed:
        if day.month == journal_bot.bot.clock().month:
            assert marks[day.isoformat()] == "answered"
    assert marks[couple.journal.paused[0].isoformat()] == "paused"
    assert marks[couple.journal.open_day.isoformat()] == "open"
    assert "8" in await page.inner_text("#calendar-streak")
    assert ["web_app_setup_back_button", {"is_visible": True}] in await _events(page)
    await page.evaluate("window.Telegram.WebView.receiveEvent('back_button_pressed')")
    await page.wait_for_selector("#journal:not([hidden])")
    assert (await _events(page))[-1] == ["web_app_setup_back_button", {"is_visible": False}]
    await page.context.close()


async def test_a_settings_change_in_the_app_reaches_the_partners_chat(
    browser: Browser, journal_bot: JournalBot
) -> None:
    couple = journal_bot.couples[0]
    page = await _open(browser, journal_bot.launch_url(couple.first, LIGHT, tab="settings"))
    await page.wait_for_selector("#settings-form select[name=send_time]")
    await page.screenshot(path=str(SCREENSHOTS / "settings-light.png"))
    couple.second.unread()
    # One's own time: saved for oneself, the partner is not told.
    await page.select_option("select[name=send_time]", "20:00")
    await page.wait_for_selector("#notice:not([hidden])")
    assert "Bob" not in await page.inner_text("#notice")
    await journal_bot.bot.pass_change_window()
    await journal_bot.bot.settle()
    assert couple.second.unread() == []
    # How often questions come is the pair's: Bob is told in his chat.
    await page.select_option("select[name=frequency]", "weekdays")
    await _until(page, "document.querySelector('#notice').innerText.includes('Bob')")
    await journal_bot.bot.pass_change_window()
    notice = await couple.second.receive()
    assert "Alice" in notice["text"] and includes(
        notice, texts.CHANGE_FREQUENCY, frequency=texts.FREQUENCY_NAMES["weekdays"]
    )
    haptics = [data for name, data in await _events(page) if "haptic" in name]
    assert {"type": "notification", "notification_type": "success"} in haptics
    async with journal_bot.bot.services.db.reading() as tx:
        pair = await tx.active_pair_of(couple.first.id)
        alice = await tx.get_person(couple.first.id)
    assert pair is not None and alice is not None
    assert alice.clock(pair).send_time.strftime("%H:%M") == "20:00"
    assert pair.schedule.frequency.value == "weekdays"
    await page.context.close()


async def test_the_page_follows_telegrams_theme_light_and_dark(
    browser: Browser, journal_bot: JournalBot
) -> None:
    alice = journal_bot.couples[0].first
    page = await _open(browser, journal_bot.launch_url(alice, DARK), dark=True)
    await _ready(page)
    background = "getComputedStyle(document.body).backgroundColor"
    assert await page.evaluate(background) == "rgb(23, 33, 43)"
    await page.wait_for_selector(".entry img")
    await page.screenshot(path=str(SCREENSHOTS / "journal-dark.png"))
    await page.click("[data-tab=settings]")
    await page.wait_for_selector("#settings-form fieldset")
    await page.screenshot(path=str(SCREENSHOTS / "settings-dark.png"))
    theme = json.dumps({"theme_params": LIGHT})
    await page.evaluate(f"window.Telegram.WebView.receiveEvent('theme_changed', {theme})")
    assert await page.evaluate(background) == "rgb(255, 255, 255)"
    await page.evaluate(
        "window.Telegram.WebView.receiveEvent('safe_area_changed', {top: 40, bottom: 20})"
    )
    padding = await page.evaluate("getComputedStyle(document.body).paddingTop")
    assert padding == "40px"
    await page.context.close()


def _tampered(journal_bot: JournalBot, user: FakeUser, how: str) -> str:
    url = journal_bot.launch_url(user, LIGHT)
    base, _, fragment = url.partition("#")
    launch = dict(parse_qsl(fragment))
    if how == "forged":
        data = dict(parse_qsl(launch["tgWebAppData"]))
        data["user"] = data["user"].replace(f'"id":{user.id}', '"id":3')
        launch["tgWebAppData"] = urlencode(data)
    else:
        stale = journal_bot.bot.clock() - dt.timedelta(days=3)
        launch["tgWebAppData"] = journal_bot.init_data(user, when=stale)
    return f"{base}#{urlencode(launch, quote_via=quote)}"


async def test_todays_question_can_be_answered_in_the_app(
    browser: Browser, journal_bot: JournalBot
) -> None:
    couple = journal_bot.couples[1]
    page = await _open(browser, journal_bot.launch_url(couple.first, LIGHT))
    await _ready(page)
    prompt_id = int(await page.get_attribute(".today-card", "data-prompt") or 0)
    await page.fill(".today-card textarea", "Breakfast on the balcony")
    await page.click(".today-card button[type=submit]")
    await page.wait_for_selector(".today-card .mine")
    assert "Dan" in await page.inner_text("#notice")
    async with journal_bot.bot.services.db.reading() as tx:
        saved = await tx.answers_to(prompt_id)
    assert [(a.user_id, a.text) for a in saved] == [(couple.first.id, "Breakfast on the balcony")]
    await page.context.close()


@pytest.mark.parametrize("how", ["forged", "stale"])
async def test_forged_or_stale_initdata_is_refused_and_shows_nothing(
    browser: Browser, journal_bot: JournalBot, how: str
) -> None:
    page = await _open(browser, _tampered(journal_bot, journal_bot.couples[0].first, how))
    await page.wait_for_selector("body[data-state=refused]")
    assert await page.query_selector(".entry") is None
    assert await page.is_visible("#problem")
    await page.context.close()


async def test_another_pairs_questions_never_appear(
    browser: Browser, journal_bot: JournalBot
) -> None:
    ours, theirs = journal_bot.couples
    page = await _open(browser, journal_bot.launch_url(theirs.second, LIGHT))
    await _ready(page)
    await _scroll_to_the_end(page)
    shown = set(await _shown_ids(page))
    async with journal_bot.bot.services.db.reading() as tx:
        ours_page = await tx.journal_page(
            ours.first.id, before=None, limit=1000, narrowed=JournalFilter()
        )
    assert shown and not shown & {entry.prompt.id for entry in ours_page}
    names = await page.eval_on_selector_all(".answer b", "els => els.map(e => e.textContent)")
    assert set(names) == {"You", "Carol"}
    await page.context.close()


async def test_the_first_screen_transfers_less_than_150_kb(
    browser: Browser, journal_bot: JournalBot
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 780})
    await context.add_init_script(TELEGRAM_STUB)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    await page.goto(journal_bot.launch_url(journal_bot.couples[0].first, LIGHT))
    await _ready(page)
    await page.wait_for_load_state("networkidle")
    transferred = sum(sizes)
    print(f"first screen: {len(sizes)} requests, {transferred / 1024:.1f} KB transferred")
    assert 0 < transferred <= FIRST_SCREEN_LIMIT
    await context.close()


async def test_the_page_speaks_the_persons_language_from_the_first_entry_on(
    browser: Browser, journal_bot: JournalBot
) -> None:
    dan = journal_bot.couples[1].second
    raw = init_data_for(
        dan.id, dan.first_name, journal_bot.bot.api.token, journal_bot.bot.clock(),
        language_code="es",
    )  # fmt: skip
    url = journal_bot.launch_url(dan, LIGHT, tab="settings")
    url = (
        url.split("tgWebAppData=")[0]
        + "tgWebAppData="
        + quote(raw, safe="")
        + "&"
        + (url.split("&", 1)[1])
    )
    page = await _open(browser, url)
    await page.wait_for_selector("#settings-form fieldset")
    spanish = journal_bot.bot.services.languages.get("es").texts
    assert await page.inner_text("legend >> nth=0") == spanish(texts.WEBAPP["shared"]).upper()
    await page.click("[data-tab=journal]")
    await page.wait_for_selector(".entry")
    labels = await page.eval_on_selector_all(".answer b", "els => els.map(e => e.textContent)")
    assert spanish(texts.WEBAPP["you"]) in labels and "You" not in labels
    await page.context.close()


async def test_choosing_another_language_redraws_the_page_in_it(
    browser: Browser, journal_bot: JournalBot
) -> None:
    bob = journal_bot.couples[0].second
    page = await _open(browser, journal_bot.launch_url(bob, LIGHT, tab="settings"))
    await page.wait_for_selector("select[name=language]")
    async with page.expect_navigation():
        await page.select_option("select[name=language]", "de")
    await page.wait_for_selector("#settings-form select[name=language]")
    german = journal_bot.bot.services.languages.get("de").texts
    tab = await page.inner_text("button[data-tab=settings]")
    assert tab == german(texts.WEBAPP["tab_settings"])
    assert await page.input_value("select[name=language]") == "de"
    await page.context.close()
