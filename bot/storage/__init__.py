"""The only package with SQL. It returns domain objects and never imports telegram.

Code outside this package is typed against the `Store` and `StoreTransaction` protocols;
`Database` (SQLite) is the implementation the app opens.
"""

from bot.storage.base import Store, StoreTransaction
from bot.storage.sqlite import (
    Database,
    HealthReport,
    StorageUnavailable,
    Transaction,
    read_health,
)

__all__ = [
    "Database",
    "HealthReport",
    "StorageUnavailable",
    "Store",
    "StoreTransaction",
    "Transaction",
    "read_health",
]
