"""A press Telegram would never send (found by the fuzzer): handled on purpose, not an error."""

from __future__ import annotations

import asyncio
import logging

from sandbox.fake_bot_api import FakeBotAPI
from tests.reliability.support import captured
from tests.support import RunningBot


async def test_a_forged_invite_press_from_someone_who_never_wrote_is_not_an_error(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    never = api.user(8, "Never")  # has not started the bot: the fake knows no chat with them
    message = {"chat": never.chat_json, "message_id": 579, "date": 0}
    with captured(logging.ERROR) as errors:
        await never.press(message, "", data="accept:NOPE1234")
        await bot.settle()
        await asyncio.sleep(0.05)
    assert errors.describe() == []
    assert never.inbox == []
