"""Test helpers live in bot.sandbox.harness (shared with the demo and the benchmarks)."""

from bot.sandbox.harness import FakeClock, RunningBot, pair_up

__all__ = ["FakeClock", "RunningBot", "pair_up"]
