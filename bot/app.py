"""build_application(settings): wires storage, content, delivery, the tick and every handler."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    LinkPreviewOptions,
    MenuButtonDefault,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults

from bot import texts
from bot.config import Settings
from bot.content import Library, load_library
from bot.context import BotData, NearerApp, NearerContext
from bot.delivery import PER_CHAT_INTERVAL, Dispatcher
from bot.domain.allowance import AllowanceBook
from bot.handlers import register_handlers
from bot.http import AiohttpRequest
from bot.i18n import SOURCE, Languages
from bot.inbox import DurableUpdateQueue, InboxWorker
from bot.ops import TickStats
from bot.ordering import ChatOrderedUpdateProcessor
from bot.polling import Intake, ReadEachUpdate
from bot.ratelimit import FairRateLimiter
from bot.scheduling import run_tick
from bot.storage import Election, open_store
from bot.usecases.common import Clock, Services, system_clock
from bot.web.server import WebServer

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 2  # flood waits the limiter sits out before a row waits for a later round
# Send a little under the configured ceiling: at exactly Telegram's limit, ordinary network
# jitter bunches requests into 429s (see BENCHMARKS.md).
RATE_HEADROOM = 0.97
DEFAULT_TIMEOUT = 5.0  # seconds a Bot API call may take (python-telegram-bot's default)
CONNECTIONS = 256  # python-telegram-bot's default pool for the bot's calls


class Runtime:
    """The parts of a running bot that tests and the CLI reach once post_init has run."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.dispatcher: Dispatcher | None = None
        self.ops: WebServer | None = None  # the one web server (health, webhook, Mini App)
        self.ticks = TickStats()
        self.intake: Intake | None = None
        self.inbox: InboxWorker | None = None
        self.poller: Election | None = None

    def roles(self) -> dict[str, str]:
        """What this instance does among several: polls Telegram or stands by, sends or not."""
        roles = {"inbox": "handling"}
        if self.poller is not None:
            roles["polling"] = "leader" if self.poller.held else "standby"
        else:
            roles["polling"] = "webhook"
        if self.dispatcher is not None:
            roles["sending"] = "leader" if self.dispatcher.sending else "standby"
        return roles


async def register_menus(bot: Bot, languages: Languages) -> None:
    """The command menu and the bot's descriptions, in English for everyone and in each
    offered language for the people whose Telegram app uses it."""
    for code in languages.offered:
        t = languages.get(code).texts
        # The Bot API takes two-letter codes: pt_BR's menu is shown to every Portuguese app.
        language = "" if code == SOURCE else code.split("_")[0].lower()
        commands = [BotCommand(name, t(description)) for name, description in texts.COMMAND_MENU]
        await bot.set_my_commands(commands, language_code=language or None)
        await bot.set_my_description(t(texts.BOT_DESCRIPTION), language_code=language or None)
        await bot.set_my_short_description(
            t(texts.BOT_SHORT_DESCRIPTION), language_code=language or None
        )


def build_application(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    library: Library | None = None,
    run_jobs: bool = True,
    chat_interval: float = PER_CHAT_INTERVAL,
    ops_address: str = "0.0.0.0",  # noqa: S104 - health checks come from outside the container
    read_timeout: float | None = None,
    allowances: AllowanceBook | None = None,
) -> tuple[NearerApp, Runtime]:
    """Build the Application; storage opens in post_init and closes in post_shutdown.

    `clock` lets tests move time; `run_jobs=False` leaves the repeating tick to the caller;
    `chat_interval` is the pause between two messages to one chat; `read_timeout` overrides
    how long a Bot API call may take (tests with injected timeouts shorten it); `allowances`
    replaces everyone's allowance (a fuzzer acting at machine speed lifts it).
    """
    content = library if library is not None else load_library()
    languages = Languages.load(content)
    context_types = ContextTypes(context=NearerContext, bot_data=BotData)
    # A 429 for one chat delays that chat only (see bot.ratelimit).
    limiter = FairRateLimiter(settings.send_rate * RATE_HEADROOM, max_retries=RATE_LIMIT_RETRIES)
    # Every update is stored in the durable inbox before Telegram is told it arrived, then
    # handled from there (bot.inbox). The intake holds everyone's allowance
    # (bot.domain.allowance), which runs on the bot's clock, like every rule about what people
    # do (a simulated day spends and refills them as a real one would).
    intake = Intake(limiter=limiter, allowances=allowances, clock=lambda: clock().timestamp())
    updates = DurableUpdateQueue()
    polling_request = ReadEachUpdate()
    builder: Any = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .update_queue(updates)
        .get_updates_request(polling_request)
        .context_types(context_types)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(limiter)
        .concurrent_updates(ChatOrderedUpdateProcessor(intake=intake))
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if settings.telegram_api_base_file_url:
        builder = builder.base_file_url(settings.telegram_api_base_file_url)
    # The bot's calls go through aiohttp (bot.http, measured in BENCHMARKS.md).
    timeout = read_timeout if read_timeout is not None else DEFAULT_TIMEOUT
    builder = builder.request(
        AiohttpRequest(
            connection_pool_size=CONNECTIONS, read_timeout=timeout, write_timeout=timeout
        )
    )
    runtime = Runtime()
    runtime.intake = intake

    async def tick(context: NearerContext) -> None:
        await run_and_record_tick(context.services, runtime.ticks)

    async def post_init(app: NearerApp) -> None:
        db = await open_store(settings.database_dsn, settings.database_path)
        services = Services(
            settings=settings, db=db, library=content, clock=clock, languages=languages
        )
        app.bot_data.services = services
        runtime.services = services
        dispatcher = Dispatcher(
            app.bot, services, rate=settings.send_rate, chat_interval=chat_interval
        )

        def wake_delivery() -> None:
            dispatcher.wake()
            db.announce("outbox")  # the sending instance may be another one

        services.wake_delivery = wake_delivery
        runtime.dispatcher = dispatcher
        await db.listen("outbox", dispatcher.wake)
        await dispatcher.start()
        if not settings.webhook_mode:
            poller = db.election("poller")
            runtime.poller = poller
            polling_request.election = poller
        inbox = InboxWorker(
            app,
            db,
            settings.instance,
            handled=updates.handled,
            interrupted=app.bot_data.interrupted,
        )
        updates.attach(db, inbox.wake)
        runtime.inbox = inbox
        await inbox.start()
        await register_menus(app.bot, languages)
        if run_jobs and app.job_queue is not None:
            app.job_queue.run_repeating(tick, interval=settings.tick_seconds, first=0.5)
        if settings.ops_port is not None or settings.web_port is not None:
            web = WebServer(
                app,
                services,
                runtime.ticks,
                tick_seconds=settings.tick_seconds,
                jobs=run_jobs,
                roles=runtime.roles,
            )
            runtime.ops = web
            if settings.web_port is not None:
                web.listen("web", settings.webhook_listen, settings.web_port)
            if settings.ops_port is not None and settings.ops_port != settings.web_port:
                web.listen("health", ops_address, settings.ops_port)
        if settings.webhook_url is not None and settings.webhook_secret is not None:
            await app.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        await offer_webapp(app, settings.webapp_url)
        log.info("Nearer is ready as @%s", app.bot.username)

    async def post_stop(app: NearerApp) -> None:
        if runtime.poller is not None:
            await runtime.poller.release()
        if runtime.inbox is not None:
            await runtime.inbox.stop()
        if runtime.dispatcher is not None:
            await runtime.dispatcher.stop()

    async def post_shutdown(app: NearerApp) -> None:
        if runtime.ops is not None:
            await runtime.ops.stop()
        if runtime.services is not None:  # None when start-up failed before post_init
            await runtime.services.db.close()
        log.info("Nearer stopped")

    app: NearerApp = (
        builder.post_init(post_init).post_stop(post_stop).post_shutdown(post_shutdown).build()
    )
    app.bot_data.intake = intake
    register_handlers(app)
    return app, runtime


async def run_and_record_tick(services: Services, ticks: TickStats) -> None:
    """The repeating job: do what is due now, time it, and leave a heartbeat in the database."""
    started = time.monotonic()
    metrics = services.metrics
    try:
        await run_tick(services)
        async with services.db.transaction() as tx:
            await tx.set_meta("last_tick_at", services.clock().isoformat())
    except Exception:
        metrics.tick_failures.inc()
        raise
    metrics.tick_duration.observe(time.monotonic() - started)
    ticks.record()


# Exactly the updates a handler is registered for (bot.handlers): Telegram sends nothing else,
# so a business_message or a channel post never reaches the bot (bot.handlers.basics.screen_update
# turns them away too, for a server that sends them anyway).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


async def offer_webapp(app: NearerApp, url: str | None) -> None:
    """Put the Mini App behind the chat's menu button, or take away a menu button an earlier
    run with WEBAPP_URL left behind."""
    if url is not None:
        button = MenuButtonWebApp(texts.WEBAPP_MENU_BUTTON, WebAppInfo(url))
        await app.bot.set_chat_menu_button(menu_button=button)
    elif isinstance(await app.bot.get_chat_menu_button(), MenuButtonWebApp):
        await app.bot.set_chat_menu_button(menu_button=MenuButtonDefault())


async def open_app(app: NearerApp) -> None:
    """Initialize and start an Application whose updates arrive by webhook or are fetched by
    the caller. run_polling calls the post_* hooks itself; driving the parts by hand, we call
    them too."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()


async def close_app(app: NearerApp) -> None:
    """Stop receiving updates and shut an Application down, as SIGTERM would."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


async def serve_webhook(app: NearerApp) -> None:
    """Run in webhook mode until SIGINT or SIGTERM: the web server (started in post_init)
    puts each update Telegram posts on the update queue."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await open_app(app)
    try:
        await stop.wait()
    finally:
        await close_app(app)
