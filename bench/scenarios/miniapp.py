"""The Mini App's first screen on a mid-range phone: Debian's Chromium with the CPU slowed four
times and a slow 4G link (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, as Lighthouse's
mobile profile), opening Alice's journal (a month of answers, photos among them) from the real
bot. "Usable" is when the first journal entry is on the page; "transferred" sums the encoded
size of every response the first screen needed. The first run warms the server and is not
counted.
"""

from __future__ import annotations

import shutil

from bench.context import Bench
from bench.report import Figure, at_most, median
from sandbox.fake_bot_api import FakeBotAPI
from sandbox.miniapp import CHROMIUM_FLAGS, LIGHT, TELEGRAM_STUB, start_journal_bot

CPU_SLOWDOWN = 4
LATENCY_MS = 150
DOWN_BYTES_PER_SECOND = 1.6e6 / 8
UP_BYTES_PER_SECOND = 750e3 / 8


async def run_miniapp(bench: Bench) -> list[Figure]:
    """Time to a usable first screen and bytes transferred, throttled."""
    from playwright.async_api import async_playwright  # a dev dependency, like the bench

    api = FakeBotAPI()
    await api.start()
    running = await start_journal_bot(api, bench.workdir / "miniapp.sqlite3", bench.library)
    url = running.launch_url(running.couples[0].first, LIGHT)
    usable: list[float] = []
    transferred: list[float] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=list(CHROMIUM_FLAGS),
            )
            for run in range(bench.sizes.miniapp_runs + 1):
                context = await browser.new_context(viewport={"width": 390, "height": 780})
                await context.add_init_script(TELEGRAM_STUB)
                page = await context.new_page()
                cdp = await context.new_cdp_session(page)
                await cdp.send("Network.enable")
                await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                await cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": LATENCY_MS,
                        "downloadThroughput": DOWN_BYTES_PER_SECOND,
                        "uploadThroughput": UP_BYTES_PER_SECOND,
                    },
                )
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
                sizes: list[float] = []
                cdp.on(
                    "Network.loadingFinished", lambda e, s=sizes: s.append(e["encodedDataLength"])
                )
                await page.goto(url)
                await page.wait_for_selector(".entry", timeout=30_000)
                shown_ms = float(await page.evaluate("performance.now()"))
                await page.wait_for_load_state("networkidle")
                if run > 0:
                    usable.append(shown_ms)
                    transferred.append(sum(sizes) / 1024)
                await context.close()
            await browser.close()
    finally:
        await running.bot.stop()
        await api.stop()
    bench.say(f"miniapp: usable after {median(usable):.0f} ms, {median(transferred):.1f} KB")
    runs = len(usable)
    profile = f"{CPU_SLOWDOWN}x CPU, {LATENCY_MS} ms RTT, 1.6 Mbit/s"
    return [
        at_most(
            "miniapp.usable_ms",
            f"Mini App journal usable, throttled phone ({profile}), median",
            median(usable),
            1000,
            "ms",
            note=f"median of {runs}, slowest {max(usable):.0f} ms",
        ),
        at_most(
            "miniapp.first_screen_kb",
            "Mini App first screen, transferred",
            median(transferred),
            150,
            "KB",
            note="page, script, styles, API answers and the photos on screen",
        ),
    ]
