"""One tornado application for everything the bot serves over HTTP: Telegram's webhook (the
custom-webhook pattern of python-telegram-bot: we receive the update and put it on the
Application's update queue), /healthz, /metrics and the Mini App.

The same application listens on the web port (webhook and Mini App, when either is on) and on
the health port (for orchestrators), so each route behaves the same on either.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from prometheus_client import CollectorRegistry, generate_latest
from telegram import Update

from bot.context import NearerApp
from bot.ops import Health, TickStats, check_health
from bot.usecases.common import Services
from bot.web.miniapp import MiniApp

log = logging.getLogger(__name__)

Route = tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]
MAX_UPDATE_BYTES = 1 << 20  # an update is a few kilobytes; refuse anything near a megabyte


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, server: WebServer) -> None:
        self.server = server

    async def get(self) -> None:
        health = await self.server.health()
        self.set_status(200 if health.ok else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok" if health.ok else "unhealthy", **health.details}))


class _MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(generate_latest(self.registry))


class _WebhookHandler(tornado.web.RequestHandler):
    """Telegram posts each update here with the secret token in a header."""

    def initialize(self, app: NearerApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: a request without the right secret token was refused")
            self.send_error(403)
            return
        if len(self.request.body) > MAX_UPDATE_BYTES:
            self.send_error(413)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError) as error:
            log.warning("webhook: an update that cannot be read (%s)", type(error).__name__)
            self.send_error(400)
            return
        await self.app.update_queue.put(update)
        self.set_status(200)
        self.finish()


class WebServer:
    """The bot's HTTP server; `listen` may be called for more than one port."""

    def __init__(
        self,
        app: NearerApp,
        services: Services,
        ticks: TickStats,
        *,
        tick_seconds: float,
        jobs: bool,
        roles: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        settings = services.settings
        self._services = services
        self._roles = roles
        self._ticks = ticks
        self._tick_seconds = tick_seconds
        self._jobs = jobs
        routes: list[Route] = [(r"/healthz", _HealthHandler, {"server": self})]
        if settings.metrics_enabled:
            routes.append((r"/metrics", _MetricsHandler, {"registry": services.metrics.registry}))
        if settings.webhook_url is not None and settings.webhook_secret is not None:
            path = urlsplit(settings.webhook_url).path or "/"
            secret = settings.webhook_secret.get_secret_value()
            routes.append((path, _WebhookHandler, {"app": app, "secret": secret}))
        self.miniapp: MiniApp | None = None
        if settings.webapp_url is not None:
            self.miniapp = MiniApp(app, services, settings.webapp_url)
            routes.extend(self.miniapp.routes())
        # Answers are compressed on the way out: the Mini App's first screen stays small.
        self._app = tornado.web.Application(routes, compress_response=True)
        self._server: tornado.httpserver.HTTPServer | None = None
        self.ports: dict[str, int] = {}

    @property
    def port(self) -> int:
        """The health port, or else the web port (what an operator probes)."""
        return self.ports.get("health", self.ports.get("web", 0))

    async def health(self) -> Health:
        """Check the database and the scheduler now; say this instance's roles."""
        health = await check_health(
            self._services, self._ticks, self._tick_seconds, jobs=self._jobs
        )
        if self._roles is not None:
            health.details["roles"] = self._roles()
        return health

    def listen(self, name: str, address: str, port: int) -> int:
        """Also listen on `address:port` (0 picks a free port); return the port."""
        sockets = tornado.netutil.bind_sockets(port, address=address)
        if self._server is None:
            # Nothing this server takes is near a megabyte: refuse bigger bodies unread.
            self._server = tornado.httpserver.HTTPServer(
                self._app, xheaders=True, max_body_size=MAX_UPDATE_BYTES
            )
        self._server.add_sockets(sockets)
        self.ports[name] = sockets[0].getsockname()[1]
        log.info("%s server on port %d", name, self.ports[name])
        return self.ports[name]

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
