"""Test helpers live in sandbox.harness (shared with the demo and the benchmarks)."""

from sandbox.harness import FakeClock, RunningBot, is_guess_question, pair_up

__all__ = ["FakeClock", "RunningBot", "is_guess_question", "pair_up"]
