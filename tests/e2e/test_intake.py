"""What comes in, end to end: fairness under floods, allowances, groups, unexpected update types,
unreadable updates and edited commands."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot import texts
from bot.app import ALLOWED_UPDATES
from bot.domain.allowance import ALLOWANCES, Kind
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import RunningBot, pair_up, saying, says

ACTIONS = ALLOWANCES[Kind.ACTION]
PROMPT_REPLY = 1.5  # seconds within which a person who is not flooding gets their reply


async def _seconds_until_help(user: FakeUser) -> float:
    user.unread()
    started = time.monotonic()
    await user.send("/help")
    await user.receive_until(saying(texts.HELP), timeout=PROMPT_REPLY)
    return time.monotonic() - started


async def test_a_flooding_user_does_not_delay_another_users_reply(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    api.limits.enforce = True  # replies to the flooder now meet Telegram's per-chat flood wait
    flooder, bob = api.user(1, "Flo"), api.user(2, "Bob")
    for _ in range(30):
        await flooder.send("/help")
    await asyncio.sleep(0.3)  # the flood is being handled
    assert await _seconds_until_help(bob) < PROMPT_REPLY
    api.limits.enforce = False  # let the flooder's last replies go, so the bot stops quickly


async def test_a_flooder_gets_a_burst_of_replies_one_slow_down_note_then_silence(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    flooder = api.user(1, "Flo")
    for _ in range(30):
        await flooder.send("/help")
    await bot.settle()
    *helps, last = flooder.inbox
    assert len(helps) == ACTIONS.burst and all(says(m, texts.HELP) for m in helps)
    assert says(last, texts.SLOW_DOWN)


async def test_a_silenced_flooder_is_heard_again_once_the_allowance_has_refilled(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    flooder = api.user(1, "Flo")
    for _ in range(2 * ACTIONS.burst):
        await flooder.send("/help")
    await bot.settle()
    flooder.unread()
    bot.clock.advance(seconds=ACTIONS.silence_seconds() - 1)
    await flooder.send("/help")
    await bot.settle()
    assert flooder.unread() == []
    bot.clock.advance(seconds=1)
    await flooder.send("/help")
    assert says(await flooder.receive(), texts.HELP)


async def test_a_flooders_button_presses_get_one_slow_down_answer_then_silence(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    flooder = api.user(1, "Flo")
    await flooder.send("/help")
    menu = await flooder.receive()
    presses = [
        flooder.press(menu, "", data="forged", timeout=1.0) for _ in range(3 * ACTIONS.burst)
    ]
    answers = await asyncio.gather(*presses, return_exceptions=True)
    answered = [a["text"] for a in answers if isinstance(a, dict)]
    assert answered.count(texts.SLOW_DOWN) == 1
    assert len(answered) == ACTIONS.burst  # the /help spent one of the burst
    assert all(isinstance(a, TimeoutError) for a in answers if not isinstance(a, dict))


async def test_a_partner_writing_many_messages_in_a_row_is_never_told_to_slow_down(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    for line in range(15):
        await alice.send(f"and another thing, number {line}")
    await bot.settle()
    assert not [m for m in alice.unread() if says(m, texts.SLOW_DOWN)]


async def test_commands_in_a_group_get_no_reply_and_private_users_are_not_delayed(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    api.limits.enforce = True
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    group = api.group(-100, "Friends")
    group.bot_is_member = True  # added before the bot learnt to leave
    for _ in range(28):
        await group.send(alice, "/help")
    await asyncio.sleep(0.3)
    assert await _seconds_until_help(bob) < PROMPT_REPLY
    api.limits.enforce = False
    await bot.settle()
    assert group.inbox == []


async def test_the_bot_added_to_a_group_says_one_short_note_and_leaves(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice = api.user(1, "Alice")
    group = api.group(-100, "Friends")
    await group.add_bot(by=alice)
    await bot.settle()
    assert len(group.inbox) == 1 and says(group.inbox[0], texts.GROUP_ADDED)
    assert not group.bot_is_member
    await group.send(alice, "/start")
    await bot.settle()
    assert len(group.inbox) == 1


async def test_the_bot_asks_telegram_only_for_the_updates_it_handles(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    await bot.settle()
    assert api.allowed_updates is not None
    assert sorted(api.allowed_updates) == sorted(ALLOWED_UPDATES)
    assert "business_message" not in api.allowed_updates


async def test_a_business_message_never_becomes_a_persons_chat(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    api.honour_allowed_updates = False  # a server that sends every type anyway
    alice, bob, carol = api.user(1, "Alice"), api.user(2, "Bob"), api.user(3, "Carol")
    await pair_up(bot, alice, bob)
    carol.started = True
    message = {"message_id": 50, "date": 0, "text": "my answer, meant for nobody",
               "business_connection_id": "biz", "from": alice.json,
               "chat": carol.chat_json}  # fmt: skip
    await api.push_update({"business_message": message})
    await bot.settle()
    await bob.send("bob's answer")
    await bot.settle()
    async with bot.services.db.transaction() as tx:
        person = await tx.get_person(alice.id)
    assert person is not None and person.chat_id == alice.id
    assert carol.inbox == []


async def test_a_message_in_someone_elses_private_chat_is_ignored(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, carol = api.user(1, "Alice"), api.user(3, "Carol")
    carol.started = True
    message = {"message_id": 51, "date": 0, "text": "/start",
               "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
               "from": alice.json, "chat": carol.chat_json}  # fmt: skip
    await api.push_update({"message": message})
    await bot.settle()
    assert alice.inbox == [] and carol.inbox == []
    async with bot.services.db.transaction() as tx:
        assert await tx.get_person(alice.id) is None


async def test_an_update_that_cannot_be_read_is_skipped_and_logged_once_without_content(
    bot: RunningBot, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alice = api.user(1, "Alice")
    # A faulty Bot API server: a voice without the file_id every voice has.
    broken = {"message_id": 7, "date": 0, "from": alice.json, "chat": alice.chat_json,
              "caption": "private words",
              "voice": {"file_unique_id": "v", "duration": 2}}  # fmt: skip
    await api.push_update({"message": broken})
    broken_id = api.next_update_id - 1
    await alice.send("/help")
    assert says(await alice.receive(timeout=5), texts.HELP)
    await bot.settle()
    mentions = [r for r in caplog.records if str(broken_id) in r.getMessage()]
    assert len([r for r in mentions if r.levelno >= logging.WARNING]) == 1
    assert not any("private words" in r.getMessage() for r in caplog.records)
    assert api.calls["getUpdates"] < 20


async def test_an_edited_message_never_runs_a_command(bot: RunningBot, api: FakeBotAPI) -> None:
    alice = api.user(1, "Alice")
    original = await alice.send("hello")
    await bot.settle()
    alice.unread()
    edited = {**original, "text": "/help", "edit_date": int(time.time()),
              "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}  # fmt: skip
    await api.push_update({"edited_message": edited})
    await bot.settle()
    assert not [m for m in alice.unread() if says(m, texts.HELP)]
