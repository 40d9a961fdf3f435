"""Updates of one chat keep their order; different chats run side by side."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Chat, Message, Update, User

from bot.ordering import ChatOrderedUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "P", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, dt.datetime.now(dt.UTC), chat, from_user=user, text="x")
    return Update(update_id, message=message)


async def test_updates_of_one_chat_run_one_at_a_time_in_arrival_order() -> None:
    processor = ChatOrderedUpdateProcessor(8)
    log: list[str] = []

    async def work(name: str, pause: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(pause)
        log.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(_update(1, 7), work("first", 0.05)),
        processor.process_update(_update(2, 7), work("second", 0.0)),
    )
    assert log == ["start first", "end first", "start second", "end second"]


async def test_updates_of_different_chats_overlap() -> None:
    processor = ChatOrderedUpdateProcessor(8)
    running = 0
    most = 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1

    await asyncio.gather(
        *(processor.process_update(_update(n, 100 + n), work()) for n in range(5))
    )
    assert most == 5
