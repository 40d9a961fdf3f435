"""Run the real Nearer Application in this process against a fake Bot API (like tests do)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from pydantic import SecretStr
from telegram import Update

from bot.app import Runtime, build_application
from bot.config import load_settings
from bot.content import Library
from bot.context import NearerApp
from bot.delivery import PER_CHAT_INTERVAL, Dispatcher
from bot.storage.copy import copy_sqlite_to_postgres
from bot.usecases.common import Services
from sandbox.harness import close_app, open_app
from sandbox.postgres import ThrowawayCluster

# Set by `python -m bench --postgres`: each bot then runs on a new database of this server
# holding a copy of the seeded SQLite file (made with copy-db's own code).
POSTGRES: ThrowawayCluster | None = None


class NearerBot:
    """`async with NearerBot(...) as bot:` starts the bot polling; leaving stops it.

    The repeating tick is left to the caller (`run_jobs=False`), so a benchmark decides when
    `bot.scheduling.run_tick` runs and reads its report.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        database_path: Path,
        library: Library,
        send_rate: float,
        chat_interval: float = PER_CHAT_INTERVAL,
    ) -> None:
        self._settings = load_settings(
            _env_file=None,
            bot_token=token,
            database_path=database_path,
            telegram_api_base_url=base_url,
            send_rate=send_rate,
        )
        self._library = library
        self._chat_interval = chat_interval
        self.app: NearerApp | None = None
        self.runtime: Runtime | None = None

    async def __aenter__(self) -> NearerBot:
        settings = self._settings
        if POSTGRES is not None:
            url = await POSTGRES.database()
            await copy_sqlite_to_postgres(settings.database_path, url)
            settings = settings.model_copy(update={"database_url": SecretStr(url)})
        self.app, self.runtime = build_application(
            settings,
            library=self._library,
            run_jobs=False,
            chat_interval=self._chat_interval,
        )
        await open_app(self.app)
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=5, allowed_updates=Update.ALL_TYPES
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.app is None:
            return
        await close_app(self.app)
        self.app = None

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.runtime is not None and self.runtime.services is not None
        return self.runtime.services

    @property
    def dispatcher(self) -> Dispatcher:
        """The running bot's outbox sender."""
        assert self.runtime is not None and self.runtime.dispatcher is not None
        return self.runtime.dispatcher
