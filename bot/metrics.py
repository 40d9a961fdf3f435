"""Prometheus metrics, counted where the events happen (the pump, the answers, the tick).

Each running bot has its own registry, so tests running several bots in one process do not
share counters; `/metrics` serves it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Summary


class Metrics:
    """The counters one bot keeps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_sent = Counter(
            "nearer_messages_sent",
            "Messages delivered to Telegram, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "nearer_delivery_failures", "Messages given up on", registry=self.registry
        )
        self.delivery_retries = Counter(
            "nearer_delivery_retries",
            "Messages put back to try again later",
            registry=self.registry,
        )
        self.network_errors = Counter(
            "nearer_network_errors",
            "Bot API calls that met a network error (each retried)",
            registry=self.registry,
        )
        self.reveals = Counter(
            "nearer_reveals", "Questions both partners answered", registry=self.registry
        )
        self.gifts = Counter(
            "nearer_gifts", "Appreciations passed on to a partner", registry=self.registry
        )
        self.tick_duration = Summary(
            "nearer_tick_duration_seconds",
            "Time the scheduler's tick took",
            registry=self.registry,
        )
        self.tick_failures = Counter(
            "nearer_tick_failures", "Ticks that raised an error", registry=self.registry
        )
