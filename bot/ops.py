"""Operations: the health endpoint, Prometheus metrics and the figures behind /stats."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import tornado.httpserver
import tornado.netutil
import tornado.web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

from bot import texts
from bot.domain.outbox import MessageKind
from bot.usecases.common import Services

if TYPE_CHECKING:
    from bot.delivery import Dispatcher

log = logging.getLogger(__name__)


@dataclass
class TickStats:
    """How the scheduler's tick has been doing since start-up."""

    count: int = 0
    seconds_total: float = 0.0
    last_at: float | None = None  # time.monotonic() of the last finished tick
    failures: int = 0

    def record(self, seconds: float) -> None:
        """Count one finished tick that took `seconds`."""
        self.count += 1
        self.seconds_total += seconds
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
        allowed = max(3 * tick_seconds, 60.0)
        if ticks.last_at is None:
            details["scheduler"] = "no tick yet"
            ok = False
        else:
            age = time.monotonic() - ticks.last_at
            details["scheduler"] = "ok" if age <= allowed else "stalled"
            details["last_tick_age_seconds"] = round(age, 1)
            ok = ok and age <= allowed
    return Health(ok, details)


class _Metrics(Collector):
    """Reads the running bot's counters when Prometheus scrapes."""

    def __init__(self, services: Services, dispatcher: Dispatcher | None, ticks: TickStats):
        self._services = services
        self._dispatcher = dispatcher
        self._ticks = ticks

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | SummaryMetricFamily]:
        counts = self._dispatcher.counts if self._dispatcher else {}
        sent = CounterMetricFamily(
            "nearer_messages_sent", "Messages delivered to Telegram, by kind", labels=["kind"]
        )
        for kind in MessageKind:
            sent.add_metric([kind.value], counts.get(f"sent_{kind}", 0))
        yield sent
        yield CounterMetricFamily(
            "nearer_delivery_failures", "Messages given up on", value=counts.get("failed", 0)
        )
        yield CounterMetricFamily(
            "nearer_delivery_retries",
            "Messages put back to try again later",
            value=counts.get("deferred", 0),
        )
        yield CounterMetricFamily(
            "nearer_reveals",
            "Questions both partners answered",
            value=self._services.events["reveals"],
        )
        yield SummaryMetricFamily(
            "nearer_tick_duration_seconds",
            "Time the scheduler's tick took",
            count_value=self._ticks.count,
            sum_value=self._ticks.seconds_total,
        )
        yield CounterMetricFamily(
            "nearer_tick_failures", "Ticks that raised an error", value=self._ticks.failures
        )


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
        dispatcher: Dispatcher | None,
        ticks: TickStats,
        *,
        tick_seconds: float,
        jobs: bool,
        metrics: bool,
    ) -> None:
        self._services = services
        self._ticks = ticks
        self._tick_seconds = tick_seconds
        self._jobs = jobs
        routes: list[tuple[str, type[tornado.web.RequestHandler], dict[str, object]]] = [
            (r"/healthz", _HealthHandler, {"server": self})
        ]
        if metrics:
            registry = CollectorRegistry()
            registry.register(_Metrics(services, dispatcher, ticks))
            routes.append((r"/metrics", _MetricsHandler, {"registry": registry}))
        self._app = tornado.web.Application(routes)
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    async def health(self) -> Health:
        """Check the database and the scheduler now."""
        return await check_health(self._services, self._ticks, self._tick_seconds, jobs=self._jobs)

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
