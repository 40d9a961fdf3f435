"""PostgreSQL storage for several instances sharing one database: the same repositories as
SQLite's, on asyncpg; chosen by DATABASE_URL."""

from bot.storage.postgres.database import (
    PostgresDatabase,
    PostgresTransaction,
    read_postgres_health,
    redacted,
)

__all__ = ["PostgresDatabase", "PostgresTransaction", "read_postgres_health", "redacted"]
