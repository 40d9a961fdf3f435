"""The only package with SQL. It returns domain objects and never imports telegram.

Code outside this package is typed against the `Store` and `StoreTransaction` protocols and
opens a store with `open_store`: SQLite (`Database`) by default, PostgreSQL
(`PostgresDatabase`) when a DATABASE_URL is given.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg

from bot.storage.base import Election, Store, StoreTransaction
from bot.storage.postgres import PostgresDatabase, read_postgres_health, redacted
from bot.storage.sqlite import (
    Database,
    HealthReport,
    StorageUnavailable,
    Transaction,
    read_health,
)


async def open_store(database_url: str | None, database_path: Path) -> Store:
    """Open and migrate PostgreSQL at `database_url` when given, else SQLite at the path."""
    if database_url:
        return await PostgresDatabase.open(database_url)
    return await Database.open(database_path)


async def open_existing_store(database_url: str | None, database_path: Path) -> Store:
    """Open a store running bots use, without creating or migrating it (backups, figures)."""
    if database_url:
        return await PostgresDatabase.open_existing(database_url)
    return await Database.open_existing(database_path)


async def read_store_health(database_url: str | None, database_path: Path) -> HealthReport:
    """A quick, read-only look at the store: its check and the scheduler's heartbeat."""
    if database_url:
        return await read_postgres_health(database_url)
    return await read_health(database_path)


def describe_store(database_url: str | None, database_path: Path) -> str:
    """Where the data lives, for messages (a URL never shows its password)."""
    return redacted(database_url) if database_url else str(database_path)


__all__ = [
    "Database",
    "Election",
    "HealthReport",
    "PostgresDatabase",
    "StorageUnavailable",
    "Store",
    "StoreTransaction",
    "Transaction",
    "describe_store",
    "open_existing_store",
    "open_store",
    "read_health",
    "read_store_health",
]


# Errors that say the database could not be reached (or, for SQLite, was busy) rather than that
# a statement was wrong: the work is worth doing again once it is back.
_AWAY = (
    ConnectionError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def database_away(error: BaseException | None) -> bool:
    """Whether `error` says the database was unreachable or busy, not that a statement was
    wrong (then doing the same work again later can succeed)."""
    if isinstance(error, _AWAY):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(word in str(error) for word in ("locked", "busy"))
    return False
