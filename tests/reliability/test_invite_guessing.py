"""Guessing invite codes: after a few wrong codes a person is slowed down, end to end.

Invite codes are 96-bit random, so guessing one is hopeless; the slow-down makes sure nobody
can even try quickly. Five wrong or stale codes within ten minutes and further attempts, by
link or by forged button data, are refused without the code being looked up, until the
window has passed.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pytest

from bot import texts
from bot.usecases import pairing
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser
from tests.reliability.support import record_figures, sizes, text_of
from tests.support import RunningBot, saying, says


@dataclass(frozen=True)
class GuessSize:
    """How many people guess, for how long."""

    label: str
    guessers: int
    minutes: int


async def _invite_code(user: FakeUser) -> str:
    await user.send("/invite")
    link = await user.receive_until(saying(texts.INVITE_CREATED))
    user.unread()
    return text_of(link[-1]).split("?start=")[1].split()[0]


async def _open(user: FakeUser, code: str) -> JSON:
    await user.send(f"/start {code}")
    return await user.receive()


async def test_wrong_codes_slow_a_person_down_even_for_a_real_code(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, mallory, bob = api.user(1, "Alice"), api.user(66, "Mallory"), api.user(2, "Bob")
    code = await _invite_code(alice)
    for _ in range(pairing.INVITE_FAILURE_LIMIT):
        assert says(await _open(mallory, secrets.token_urlsafe(12)), texts.INVITE_UNKNOWN)
    assert says(await _open(mallory, secrets.token_urlsafe(12)), texts.INVITE_SLOW_DOWN)
    refused = await _open(mallory, code)  # the real code is not even looked up now
    assert says(refused, texts.INVITE_SLOW_DOWN) and "reply_markup" not in refused
    # Forged button data is refused the same way, and pairs nobody.
    offer = await _open(bob, code)
    assert "reply_markup" in offer
    alert = await mallory.press(refused, "", data=f"accept:{code}")
    assert says(alert, texts.INVITE_SLOW_DOWN) and alert["show_alert"]
    async with bot.services.db.transaction() as tx:
        assert await tx.active_pair_of(mallory.id) is None
        assert await tx.active_pair_of(alice.id) is None
    # Someone else is not slowed down by Mallory's guesses, and the window passes.
    await bob.press(offer, texts.ACCEPT_BUTTON)
    for person in (alice, bob):  # "where are you?": both skip, and the first question comes
        ask = (await person.receive_until(saying(texts.ZONE_ASK)))[-1]
        await person.press(ask, texts.ZONE_SKIP)
    await bob.receive_until(saying(texts.QUESTION))
    bot.clock.advance(minutes=10, seconds=1)
    carol = api.user(3, "Carol")
    assert "reply_markup" in await _open(mallory, await _invite_code(carol))


async def test_a_button_pressed_twice_is_answered_once_without_an_apology(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    offer = await _open(bob, await _invite_code(alice))
    data = api.button_data(offer, texts.DECLINE_BUTTON)
    await bob.press(offer, "", data=data)
    await bob.press(offer, "", data=data)  # the second tap was on its way before the edit
    await bot.settle()
    assert [m for m in bob.unread() if says(m, texts.ERROR)] == []
    assert says(
        api.chat(bob.id).messages[offer["message_id"]], texts.INVITE_DECLINED_TOLD, inviter="Alice"
    )


@pytest.mark.parametrize("size", sizes(GuessSize("reduced", 3, 30), GuessSize("full", 20, 180)))
async def test_guessers_get_at_most_five_codes_looked_up_per_ten_minutes(
    bot: RunningBot, api: FakeBotAPI, size: GuessSize
) -> None:
    started = time.monotonic()
    guessers = [api.user(1000 + n, f"Guesser {n}") for n in range(size.guessers)]
    looked_up: dict[int, list[float]] = {g.id: [] for g in guessers}
    slowed = 0
    for minute in range(size.minutes):
        for guesser in guessers:  # one guess a minute each, sometimes by forged button
            if minute % 4 == 3 and guesser.inbox:
                message = guesser.inbox[-1]
                alert = await guesser.press(message, "", data=f"accept:{secrets.token_hex(8)}")
                edited = api.chat(guesser.id).messages[message["message_id"]]
                reply = alert if alert["text"] else edited
                guesser.unread()  # the edit also shows up as a message; it is read here
            else:
                await guesser.send(f"/start {secrets.token_urlsafe(12)}")
                reply = await guesser.receive()
            if says(reply, texts.INVITE_SLOW_DOWN):
                slowed += 1
            else:
                refusals = (texts.INVITE_UNKNOWN, texts.INVITE_EXPIRED)
                assert any(says(reply, refusal) for refusal in refusals), reply
                looked_up[guesser.id].append(minute)
        bot.clock.advance(minutes=1)
    # In any ten-minute window, at most five codes per person reached the lookup.
    worst = max(
        sum(1 for m in minutes if start <= m < start + 10)
        for minutes in looked_up.values()
        for start in range(size.minutes)
    )
    guesses = size.guessers * size.minutes
    record_figures(
        "invite_guessing",
        {
            "size": size.label,
            "guessers": size.guessers,
            "simulated_minutes": size.minutes,
            "guesses": guesses,
            "codes_looked_up": sum(len(m) for m in looked_up.values()),
            "slowed_down": slowed,
            "most_lookups_in_any_10_minutes": worst,
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    assert worst <= pairing.INVITE_FAILURE_LIMIT
    assert slowed > 0
    async with bot.services.db.transaction() as tx:
        assert all([await tx.active_pair_of(g.id) is None for g in guessers])
