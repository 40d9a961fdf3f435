"""The only package with SQL. It returns domain objects and never imports telegram."""

from bot.storage.sqlite import (
    Database,
    HealthReport,
    StorageUnavailable,
    Transaction,
    read_health,
)

__all__ = ["Database", "HealthReport", "StorageUnavailable", "Transaction", "read_health"]
