"""The bot's own CallbackContext: typed access to the services instead of string keys."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.i18n import Texts
from bot.polling import Intake
from bot.usecases.common import Services


class BotData:
    """The application's shared state: the services and the intake, set once at build time."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self.intake = Intake()  # build_application puts the one polling and the limiter share
        # Updates whose handling failed because the database was away: the inbox handles them
        # again instead of marking them handled (bot.inbox).
        self.interrupted: set[int] = set()

    @property
    def services(self) -> Services:
        """The services the app was built with."""
        if self._services is None:
            raise RuntimeError("services are set in build_application before the bot starts")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value


class NearerContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with `services`, and the sender's texts once the screen has read them."""

    # Set by the first handler group for the update's sender (see handlers.common.texts_for).
    sender_texts: Texts | None = None

    @property
    def services(self) -> Services:
        """The services every handler uses."""
        return self.bot_data.services

    @property
    def intake(self) -> Intake:
        """Arrival times, allowances and flood waits of updates on their way in."""
        return self.bot_data.intake


NearerApp = Application[
    ExtBot[None], NearerContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[NearerContext]
]
