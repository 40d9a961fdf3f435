"""The only package with SQL. It returns domain objects and never imports telegram."""

from bot.storage.sqlite import Database, Transaction

__all__ = ["Database", "Transaction"]
