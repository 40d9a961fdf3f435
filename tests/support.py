"""Test helpers live in sandbox/ (shared with the demo and the benchmarks): the running bot and
its clock (sandbox.harness), and the matcher that recognises a catalogue message in what a fake
user received (sandbox.matching)."""

from sandbox.fake_bot_api import JSON
from sandbox.harness import (
    FakeClock,
    RunningBot,
    is_guess_question,
    is_question,
    pair_up,
    question_words,
)
from sandbox.matching import fields, includes, including, saying, says

__all__ = [
    "JSON",
    "FakeClock",
    "RunningBot",
    "fields",
    "includes",
    "including",
    "is_guess_question",
    "is_question",
    "pair_up",
    "question_words",
    "saying",
    "says",
]
