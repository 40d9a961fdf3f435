"""Nearer: a Telegram bot that helps couples grow closer, one small question a day."""

__version__ = "0.1.0"
