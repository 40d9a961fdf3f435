"""Telegram's own gestures, end to end over HTTP ("Quiet, personal and native"): today's
question pinned silently in place of yesterday's, the partner's words in a reveal under a
spoiler, and the reveal opening with the heart effect."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import texts
from bot.render import REVEAL_EFFECT
from sandbox import fake_bot_api
from sandbox.fake_bot_api import ApiError, FakeBotAPI, FakeUser
from tests.support import JSON, RunningBot, includes, including, is_question, pair_up


def _pinned_ids(user: FakeUser) -> list[int]:
    """The ids of the messages pinned in the user's chat with the bot, newest first."""
    return list(user.api.chat(user.id).pinned)


async def _next_morning(bot: RunningBot) -> None:
    """Thursday 15 January 2026, 09:00 UTC: the pair's next question is due."""
    bot.clock.set(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC))
    await bot.tick()
    assert bot.runtime is not None and bot.runtime.dispatcher is not None
    bot.runtime.dispatcher.wake()
    await bot.settle()


async def _reveal_to_bob(alice: FakeUser, bob: FakeUser, bob_says: str) -> list[JSON]:
    """Bob answers after Alice; what reached him up to and including the reveal's header."""
    bob.unread()
    await bob.reply(bob.inbox[-1], bob_says)
    return await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice"))


async def test_todays_question_is_pinned_silently(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    for person in (alice, bob):
        question = person.inbox[-1]
        assert is_question(question)
        assert _pinned_ids(person) == [question["message_id"]]
    assert api.calls["pinChatMessage"] == 2
    # The pin itself made no sound; the question alone did.
    service = [m for m in api.chat(alice.id).messages.values() if "pinned_message" in m]
    assert [m["pinned_message"]["message_id"] for m in service] == [alice.inbox[-1]["message_id"]]
    assert not any("pinned_message" in m for m in alice.inbox)  # no extra message to read


async def test_the_next_days_question_replaces_yesterdays_pin(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    yesterday = alice.inbox[-1]
    await alice.reply(yesterday, "The walk by the river")
    await bob.reply(bob.inbox[-1], "Cooking together on Sunday")
    await bot.settle()
    await _next_morning(bot)
    today = [m for m in alice.unread() if is_question(m) and not m.get("edited")]
    assert len(today) == 1
    assert _pinned_ids(alice) == [today[0]["message_id"]]  # yesterday's was unpinned
    assert api.calls["unpinChatMessage"] == 2  # once in each partner's chat
    assert yesterday["message_id"] not in _pinned_ids(alice)


async def test_a_refused_pin_still_delivers_the_question_and_the_reveal(
    bot: RunningBot, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(params: JSON) -> bool:
        raise ApiError(400, "Bad Request: not enough rights to manage pinned messages")

    monkeypatch.setattr(api, "_m_pinChatMessage", refuse)
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    assert api.calls["pinChatMessage"] == 2
    assert is_question(alice.inbox[-1]) and is_question(bob.inbox[-1])
    assert _pinned_ids(alice) == [] and _pinned_ids(bob) == []
    await alice.reply(alice.inbox[-1], "The walk by the river")
    await bot.settle()
    reveal = await _reveal_to_bob(alice, bob, "Cooking together on Sunday")
    assert "The walk by the river" in reveal[-1]["text"]
    await bot.settle()
    # Nothing was retried or failed because of the refusals.
    async with bot.services.db.reading() as tx:
        counts = await tx.outbox_counts()
    assert not counts.get("failed") and not counts.get("pending")
    assert api.calls["pinChatMessage"] == 2


async def test_a_question_deleted_before_the_next_day_is_simply_not_unpinned(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    yesterday = alice.inbox[-1]
    api.chat(alice.id).messages.pop(yesterday["message_id"])  # deleted by hand, say
    api.chat(alice.id).pinned.remove(yesterday["message_id"])
    await _next_morning(bot)
    today = [m for m in alice.unread() if is_question(m) and not m.get("edited")]
    assert len(today) == 1
    assert _pinned_ids(alice) == [today[0]["message_id"]]


async def test_the_partners_words_in_a_reveal_are_a_spoiler_with_the_heart_effect(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.reply(alice.inbox[-1], "The walk by the river & the rain")
    await bot.settle()
    reveal = (await _reveal_to_bob(alice, bob, "Cooking together on Sunday"))[-1]
    assert "<tg-spoiler>The walk by the river &amp; the rain</tg-spoiler>" in reveal["html"]
    assert "The walk by the river & the rain" in reveal["text"]  # uncovered by a tap
    assert reveal["effect_id"] == REVEAL_EFFECT
    # The question and Alice's own reveal are no less ordinary for it.
    assert "effect_id" not in bob.inbox[0] and "effect_id" not in alice.inbox[0]
    alices = (await alice.receive_until(including(texts.REVEAL_HEADER, partner="Bob")))[-1]
    assert "<tg-spoiler>Cooking together on Sunday</tg-spoiler>" in alices["html"]
    assert alices["effect_id"] == REVEAL_EFFECT


async def test_a_media_reveal_has_the_effect_on_its_header(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send_voice(reply_to=alice.inbox[-1])
    await bot.settle()
    bob.unread()
    await bob.reply(bob.inbox[-1], "Mine is text")
    received = await bob.receive_until(lambda m: "voice" in m)
    header = next(m for m in received if includes(m, texts.REVEAL_HEADER, partner="Alice"))
    assert header["effect_id"] == REVEAL_EFFECT
    assert "effect_id" not in received[-1]  # copyMessage carries none
    assert received[-1]["copied_from"] == alice.id


async def test_an_effect_telegram_refuses_still_brings_the_reveal_without_it(
    bot: RunningBot, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake_bot_api, "MESSAGE_EFFECTS", frozenset())
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.reply(alice.inbox[-1], "The walk by the river")
    await bot.settle()
    reveal = (await _reveal_to_bob(alice, bob, "Cooking together on Sunday"))[-1]
    assert "The walk by the river" in reveal["text"]
    assert "effect_id" not in reveal
