"""SQLite storage: one repository per aggregate (people, invites, pairs, prompts and answers,
nudges, outbox, stats), composed into one transaction; every statement parameterised."""

from bot.storage.sqlite.database import (
    Database,
    HealthReport,
    StorageUnavailable,
    Transaction,
    read_health,
)
from bot.storage.sqlite.rows import DELETED_MEMBER, from_ts, to_ts

__all__ = [
    "DELETED_MEMBER",
    "Database",
    "HealthReport",
    "StorageUnavailable",
    "Transaction",
    "from_ts",
    "read_health",
    "to_ts",
]
