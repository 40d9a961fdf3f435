"""Test helpers live in sandbox/ (shared with the demo and the benchmarks): the running bot and
its clock (sandbox.harness), and the matcher that recognises a catalogue message in what a fake
user received (sandbox.matching)."""

from sandbox.fake_bot_api import JSON, FakeUser
from sandbox.harness import (
    FakeClock,
    RunningBot,
    is_guess_question,
    is_question,
    pair_up,
    question_words,
)
from sandbox.matching import fields, includes, including, saying, says, translation

__all__ = [
    "JSON",
    "FakeClock",
    "RunningBot",
    "button_label",
    "fields",
    "includes",
    "including",
    "is_guess_question",
    "is_question",
    "pair_up",
    "question_words",
    "receive_new",
    "saying",
    "says",
    "unread_new",
]


async def receive_new(user: FakeUser, timeout: float = 10.0) -> JSON:
    """The next message the bot sent `user`, skipping edits of earlier messages (the bot edits
    a question message in place to show who has answered)."""
    while True:
        message = await user.receive(timeout)
        if not message.get("edited"):
            return message


def unread_new(user: FakeUser) -> list[JSON]:
    """Every new message not read yet (edits of earlier messages left out), marked read."""
    return [m for m in user.unread() if not m.get("edited")]


def button_label(template: str, lang: str = "en") -> str:
    """A button's label as the catalogue words it in `lang`."""
    return translation(template, lang)[0]
