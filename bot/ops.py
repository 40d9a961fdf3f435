"""Operations: the health endpoint, Prometheus metrics and the figures behind /stats."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import tornado.httpserver
import tornado.netutil
import tornado.web
from prometheus_client import CollectorRegistry, generate_latest

from bot import texts
from bot.domain.health import scheduler_stalled
from bot.usecases.common import Services

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


@dataclass
class TickStats:
    """When the scheduler's tick last finished (its counts are in bot.metrics)."""

    last_at: float | None = None  # time.monotonic() of the last finished tick

    def record(self) -> None:
        """Note that a tick just finished."""
        self.last_at = time.monotonic()


@dataclass
class Health:
    """The health endpoint's verdict."""

    ok: bool
    details: dict[str, object] = field(default_factory=dict)


async def check_health(
    services: Services, ticks: TickStats, tick_seconds: float, *, jobs: bool
) -> Health:
    """Say whether the database answers and the scheduler has ticked recently."""
    details: dict[str, object] = {}
    ok = True
    try:
        async with asyncio.timeout(3):
            async with services.db.transaction() as tx:
                await tx.get_meta("last_tick_at")
        details["database"] = "ok"
    except Exception as error:  # any failure to answer is unhealthy
        details["database"] = f"error: {type(error).__name__}"
        ok = False
    if jobs:
        if ticks.last_at is None:
            details["scheduler"] = "no tick yet"
            ok = False
        else:
            age = time.monotonic() - ticks.last_at
            stalled = scheduler_stalled(age, tick_seconds)
            details["scheduler"] = "stalled" if stalled else "ok"
            details["last_tick_age_seconds"] = round(age, 1)
            ok = ok and not stalled
    return Health(ok, details)


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, server: OpsServer) -> None:
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


class OpsServer:
    """A small HTTP server: /healthz always, /metrics when metrics are enabled."""

    def __init__(
        self,
        services: Services,
        ticks: TickStats,
        *,
        tick_seconds: float,
        jobs: bool,
        metrics: bool,
        roles: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self._services = services
        self._roles = roles
        self._ticks = ticks
        self._tick_seconds = tick_seconds
        self._jobs = jobs
        routes: list[tuple[str, type[tornado.web.RequestHandler], dict[str, object]]] = [
            (r"/healthz", _HealthHandler, {"server": self})
        ]
        if metrics:
            routes.append((r"/metrics", _MetricsHandler, {"registry": services.metrics.registry}))
        self._app = tornado.web.Application(routes)
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    async def health(self) -> Health:
        """Check the database and the scheduler now; say this instance's roles."""
        health = await check_health(
            self._services, self._ticks, self._tick_seconds, jobs=self._jobs
        )
        if self._roles is not None:
            health.details["roles"] = self._roles()
        return health

    def start(self, address: str, port: int) -> None:
        """Listen on `address:port` (port 0 picks a free one)."""
        sockets = tornado.netutil.bind_sockets(port, address=address)
        self._server = tornado.httpserver.HTTPServer(self._app)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("health endpoint on port %d", self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


def format_stats(figures: dict[str, int | float], now: dt.datetime) -> list[str]:
    """Render /stats and `python -m bot stats` figures as lines (no user data, only counts)."""
    return texts.STATS.format(at=now.strftime("%Y-%m-%d %H:%M"), **figures).split("\n")
