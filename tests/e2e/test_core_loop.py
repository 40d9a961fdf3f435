"""The core loop end to end: the real Application over HTTP against the local fake Bot API,
on both storage backends (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import texts
from bot.content import Library
from sandbox.fake_bot_api import FakeBotAPI
from tests.support import (
    FakeClock,
    RunningBot,
    fields,
    includes,
    including,
    is_question,
    pair_up,
    saying,
    says,
    unread_new,
)


@pytest.fixture
async def bot(
    api: FakeBotAPI,
    tmp_path: Path,
    clock: FakeClock,
    library: Library,
    database_url: str | None,
) -> AsyncIterator[RunningBot]:
    running = RunningBot(
        api, tmp_path / "nearer.sqlite3", clock, library, database_url=database_url
    )
    await running.start()
    yield running
    await running.stop()


async def test_invite_accept_pairs_both_and_sends_both_the_first_question(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await alice.send("/start")
    greeting = await alice.receive()
    assert says(greeting, texts.START, name="Alice")
    await alice.press(greeting, texts.INVITE_BUTTON)
    link = await alice.receive()
    assert says(link, texts.INVITE_CREATED)
    assert "https://t.me/nearer_test_bot?start=" in link["text"]
    forwardable = await alice.receive()
    assert says(forwardable, texts.INVITE_FORWARDABLE, name="Alice")
    code = link["text"].split("?start=")[1].split()[0]
    await bob.send(f"/start {code}")
    offer = await bob.receive()
    assert says(offer, texts.INVITE_OFFER, inviter="Alice") and "reply_markup" in offer
    await bob.press(offer, texts.ACCEPT_BUTTON)
    # Both are asked where they are; the first question comes once both have said (or
    # skipped), never before.
    alice_asked = await alice.receive_until(saying(texts.ZONE_ASK))
    bob_asked = await bob.receive_until(saying(texts.ZONE_ASK))
    assert any(says(m, texts.PAIRED, partner="Alice") for m in bob_asked)
    assert any(says(m, texts.PAIRED, partner="Bob") for m in alice_asked)
    await alice.press(alice_asked[-1], texts.ZONE_SKIP)
    await bot.settle()
    assert not any(says(m, texts.QUESTION) for m in alice.inbox + bob.inbox)
    await bob.press(bob_asked[-1], texts.ZONE_SKIP)
    bob_seen = await bob.receive_until(saying(texts.QUESTION, partner="Alice"))
    alice_seen = await alice.receive_until(saying(texts.QUESTION, partner="Bob"))
    asked = fields(alice_seen[-1], texts.QUESTION)["question"]
    assert fields(bob_seen[-1], texts.QUESTION)["question"] == asked


async def test_answers_in_either_order_reveal_once_to_each_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    question = alice.inbox[-1]
    answer = await alice.reply(question, "Our walk by the river <3 & the rain")
    await bot.settle()
    assert alice.reactions_on(answer) == ["✍"]  # the reaction is the receipt
    assert unread_new(alice) == []
    # Nothing of Alice's answer reaches Bob before he answers: his question only shows she did.
    assert unread_new(bob) == []
    assert "Our walk by the river" not in " ".join(bob.texts())
    await bob.send("Cooking together on Sunday")
    bob_messages = await bob.receive_until(including(texts.REVEAL_HEADER, partner="Alice"))
    alice_messages = await alice.receive_until(including(texts.REVEAL_HEADER, partner="Bob"))
    assert "Our walk by the river <3 & the rain" in bob_messages[-1]["text"]
    assert "Cooking together on Sunday" in alice_messages[-1]["text"]
    assert "&lt;3 &amp; the rain" in bob_messages[-1]["html"]  # escaped, never interpreted
    await bot.settle()
    reveals = [m for u in (alice, bob) for m in u.inbox if includes(m, texts.REVEAL_HEADER)]
    assert len(reveals) == 2


async def test_bob_answering_first_also_reveals_once_each(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await bob.send("First from Bob")
    await bob.receive()
    await alice.send("Then Alice")
    await alice.receive_until(lambda m: "First from Bob" in (m.get("text") or ""))
    await bob.receive_until(lambda m: "Then Alice" in (m.get("text") or ""))
    await bot.settle()
    assert sum(includes(m, texts.REVEAL_HEADER) for m in alice.inbox) == 1
    assert sum(includes(m, texts.REVEAL_HEADER) for m in bob.inbox) == 1


async def test_a_voice_answer_is_relayed_as_the_original_voice_note(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    voice = await alice.send_voice(reply_to=alice.inbox[-1])
    await alice.receive()
    await bob.send("Mine is text")
    received = await bob.receive_until(lambda m: "voice" in m)
    assert received[-1]["voice"]["file_id"] == voice["voice"]["file_id"]
    assert received[-1]["copied_from"] == alice.id
    assert any(says(m, texts.REVEAL_HEADER, partner="Alice") for m in received)


async def test_opening_your_own_invite_link_is_refused_kindly(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice = api.user(1, "Alice")
    await alice.send("/invite")
    link = await alice.receive()
    code = link["text"].split("?start=")[1].split()[0]
    alice.unread()
    await alice.send(f"/start {code}")
    refusal = await alice.receive_until(saying(texts.INVITE_OWN))
    assert "reply_markup" not in refusal[-1]


async def test_an_expired_invite_is_refused_and_pairs_nobody(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await alice.send("/invite")
    link = await alice.receive()
    code = link["text"].split("?start=")[1].split()[0]
    bot.clock.advance(days=7, seconds=1)
    await bob.send(f"/start {code}")
    refusal = await bob.receive()
    assert says(refusal, texts.INVITE_RAN_OUT, inviter="Alice")
    async with bot.services.db.transaction() as tx:
        assert await tx.active_pair_of(bob.id) is None


async def test_a_used_or_unknown_code_is_refused(bot: RunningBot, api: FakeBotAPI) -> None:
    alice, bob, carol = api.user(1, "Alice"), api.user(2, "Bob"), api.user(3, "Carol")
    await carol.send("/start nonsense-code-123")
    assert says(await carol.receive(), texts.INVITE_UNKNOWN)
    await alice.send("/invite")
    code = (await alice.receive())["text"].split("?start=")[1].split()[0]
    await bob.send(f"/start {code}")
    await bob.press(await bob.receive(), texts.ACCEPT_BUTTON)
    await bot.settle()
    carol.unread()
    await carol.send(f"/start {code}")
    reply = await carol.receive()
    assert says(reply, texts.INVITE_INVITER_PAIRED, inviter="Alice") or says(
        reply, texts.INVITE_EXPIRED
    )


async def test_someone_already_paired_cannot_accept_another_invite(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, carol = api.user(1, "Alice"), api.user(2, "Bob"), api.user(3, "Carol")
    await pair_up(bot, alice, bob)
    await carol.send("/invite")
    code = (await carol.receive())["text"].split("?start=")[1].split()[0]
    await bob.send(f"/start {code}")
    reply = await bob.receive()
    assert says(reply, texts.INVITE_YOU_ARE_PAIRED, partner="Alice")
    await alice.send("/invite")
    assert says(await alice.receive(), texts.INVITE_ALREADY_PAIRED, partner="Bob")


async def test_the_next_question_arrives_at_the_local_send_time_and_not_before(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/timezone Asia/Tokyo")
    await alice.receive()
    await bot.pass_change_window()
    await bot.settle()
    assert bob.unread() == []  # Alice's own zone: Bob is not told
    # START is 08:30 UTC = 17:30 in Tokyo; Alice's next question is 09:00 Tokyo tomorrow =
    # 00:00 UTC, Bob's stays at his own 09:00 UTC.
    bot.clock.set(bot.clock.now.replace(hour=23, minute=59, second=59))
    await bot.tick()
    await bot.settle()
    assert [m for m in alice.unread() if is_question(m)] == []
    bot.clock.advance(seconds=1)
    report = await bot.tick()
    assert report.delivered == 1
    assert is_question(await alice.receive())
    await bot.tick()
    await bot.settle()
    assert alice.unread() == [] and bob.unread() == []
    bot.clock.set(dt.datetime(2026, 1, 15, 8, 59, 59, tzinfo=dt.UTC))
    await bot.tick()
    await bot.settle()
    assert bob.unread() == []
    bot.clock.advance(seconds=1)
    await bot.tick()
    assert is_question(await bob.receive())
    await bot.tick()
    await bot.settle()
    assert alice.unread() == [] and bob.unread() == []


async def test_a_restart_between_question_and_answers_loses_nothing_and_repeats_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    bobs_question = bob.inbox[-1]
    answer = await alice.reply(alice.inbox[-1], "Before the restart")
    await bot.settle()
    assert alice.reactions_on(answer) == ["✍"]
    alice.unread()
    bob.unread()  # the edits showing that Alice has answered
    await bot.restart()
    await bot.tick()
    await bot.settle()
    assert alice.unread() == [] and bob.unread() == []
    await bob.reply(bobs_question, "After the restart")
    await bob.receive_until(lambda m: "Before the restart" in (m.get("text") or ""))
    await alice.receive_until(lambda m: "After the restart" in (m.get("text") or ""))
    await bot.settle()
    # One question each (its edits showing who has answered are the same message).
    assert sum(is_question(m) for m in alice.inbox if not m.get("edited")) == 1
    assert sum(is_question(m) for m in bob.inbox if not m.get("edited")) == 1
