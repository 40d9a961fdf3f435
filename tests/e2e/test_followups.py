"""Gentle follow-ups end to end (issue 12): invites that are declined, run out or are opened
late; questions that close; a partner gone quiet; the week's exercise behind "Show me"."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import texts
from bot.content import Library
from bot.domain.models import PromptKind
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.simulation.storage_scan import Needles, sqlite_traces
from tests.support import (
    JSON,
    FakeClock,
    RunningBot,
    includes,
    is_question,
    pair_up,
    saying,
    says,
)

UTC = dt.UTC


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


async def _invite(inviter: FakeUser) -> tuple[JSON, str]:
    await inviter.send("/invite")
    link = (await inviter.receive_until(saying(texts.INVITE_CREATED)))[-1]
    return link, link["text"].split("?start=")[1].split()[0]


def _buttons(message: JSON) -> list[JSON]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


async def _tick_at(bot: RunningBot, moment: dt.datetime) -> None:
    bot.clock.set(moment)
    await bot.tick()
    await bot.settle()


def _day(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=UTC)


# Invites -------------------------------------------------------------------------------------


async def test_start_offers_i_have_a_link_which_explains_how_to_open_it(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    bob = api.user(2, "Bob")
    await bob.send("/start")
    greeting = await bob.receive()
    assert says(greeting, texts.START, name="Bob")
    await bob.press(greeting, texts.HAVE_LINK_BUTTON)
    await bot.settle()
    explained = api.chat(bob.id).messages[greeting["message_id"]]
    assert says(explained, texts.HAVE_LINK_HELP)
    assert any(b.get("callback_data") == "invite" for b in _buttons(explained))


async def test_the_invite_link_comes_with_a_share_button_for_telegrams_share_sheet(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice = api.user(1, "Alice")
    link, code = await _invite(alice)
    share = [b for b in _buttons(link) if "url" in b]
    assert len(share) == 1
    url = urlsplit(share[0]["url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "t.me", "/share/url")
    shared = parse_qs(url.query)
    assert shared["url"] == [f"https://t.me/nearer_test_bot?start={code}"]
    assert shared["text"] == [texts.INVITE_SHARE_TEXT]


async def test_declining_an_invite_tells_the_inviter_once_and_kindly(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    _, code = await _invite(alice)
    await bot.settle()
    alice.unread()
    offers = []
    for _ in range(2):  # opened and declined twice: the inviter hears of it once
        await bob.send(f"/start {code}")
        offers.append((await bob.receive_until(saying(texts.INVITE_OFFER, inviter="Alice")))[-1])
        await bob.press(offers[-1], texts.DECLINE_BUTTON)
        await bot.settle()
    first = api.chat(bob.id).messages[offers[0]["message_id"]]
    assert says(first, texts.INVITE_DECLINED_TOLD, inviter="Alice")
    told = [m for m in alice.unread() if says(m, texts.INVITE_DECLINED_NOTICE, name="Bob")]
    assert len(told) == 1
    async with bot.services.db.transaction() as tx:  # the link still works after "Not now"
        assert await tx.active_pair_of(bob.id) is None
    await bob.send(f"/start {code}")
    offer = (await bob.receive_until(saying(texts.INVITE_OFFER, inviter="Alice")))[-1]
    await bob.press(offer, texts.ACCEPT_BUTTON)
    for person in (alice, bob):  # paired: each is asked where they are, then the question
        ask = (await person.receive_until(saying(texts.ZONE_ASK)))[-1]
        await person.press(ask, texts.ZONE_SKIP)
    await bob.receive_until(is_question)


async def test_an_invite_that_runs_out_unused_tells_the_inviter_once_with_a_new_link_button(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice = api.user(1, "Alice")
    await _invite(alice)
    await bot.settle()
    alice.unread()
    await _tick_at(bot, bot.clock.now + dt.timedelta(days=6, hours=23))
    assert not alice.unread()  # not yet: links last 7 days
    await _tick_at(bot, bot.clock.now + dt.timedelta(hours=1, seconds=1))
    await _tick_at(bot, bot.clock.now + dt.timedelta(minutes=1))
    notices = [m for m in alice.unread() if says(m, texts.INVITE_EXPIRED_NOTICE)]
    assert len(notices) == 1
    await alice.press(notices[0], texts.NEW_LINK_BUTTON)
    fresh = await alice.receive_until(saying(texts.INVITE_CREATED))
    assert "?start=" in fresh[-1]["text"]


async def test_opening_a_link_after_it_ran_out_explains_and_tells_the_inviter_once(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    _, code = await _invite(alice)
    await _tick_at(bot, bot.clock.now + dt.timedelta(days=7, seconds=1))
    alice.unread()
    for _ in range(2):
        await bob.send(f"/start {code}")
        assert says(await bob.receive(), texts.INVITE_RAN_OUT, inviter="Alice")
        await bot.settle()
    late = [m for m in alice.unread() if says(m, texts.INVITE_OPENED_LATE_NOTICE, name="Bob")]
    assert len(late) == 1
    assert any(b.get("callback_data") == "invite" for b in _buttons(late[0]))


# Questions close -----------------------------------------------------------------------------


async def test_a_reply_to_a_closed_question_is_not_saved_nor_revealed_and_points_to_today(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    first = [m for m in alice.inbox if is_question(m)][-1]
    bob_first = [m for m in bob.inbox if is_question(m)][-1]
    await alice.reply(first, "My answer stays mine")
    await bot.settle()
    await _tick_at(bot, _day(15))  # tomorrow's question
    await _tick_at(bot, _day(16))  # and the day after's: the first closed 48 h after it came
    bob.unread()
    alice.unread()
    await bob.reply(bob_first, "Too late, sorry")
    refusal = await bob.receive()
    assert says(refusal, texts.QUESTION_CLOSED_TODAY)
    await bot.settle()
    assert not any(includes(m, texts.REVEAL_HEADER) for m in alice.unread())
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(alice.id)
        assert pair is not None
        open_days = [p.local_date for p in await tx.open_prompts(pair.id)]
        first_prompt = await tx.prompt_for_message(bob.id, bob_first["message_id"])
        assert first_prompt is not None
        first_prompt = await tx.get_prompt(first_prompt.id)
        assert first_prompt is not None and first_prompt.revealed_at is None
        answers = await tx.answers_to(first_prompt.id)
    assert open_days == [dt.date(2026, 1, 15), dt.date(2026, 1, 16)]  # only the recent ones
    assert [a.user_id for a in answers] == [alice.id]  # Alice's answer stays private


# Absence -------------------------------------------------------------------------------------


async def test_a_partner_silent_for_three_question_days_pauses_the_pair_and_both_are_told_once(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    for day in (15, 16, 17):  # Alice answers the questions of the 14th, 15th and 16th
        question = [m for m in alice.inbox if is_question(m)][-1]
        await alice.reply(question, f"Alice, before the {day}th")
        await bot.settle()
        await _tick_at(bot, _day(day))
    seen_alice, seen_bob = alice.unread(), bob.unread()
    assert sum(says(m, texts.PARTNER_ABSENT, name="Bob") for m in seen_alice) == 1
    assert sum(says(m, texts.ABSENCE_PAUSED, name="Alice") for m in seen_bob) == 1
    assert not any(is_question(m) for m in seen_alice[-1:])  # no question on the 17th
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(alice.id)
        assert pair is not None and pair.paused and pair.paused_by == bob.id
    for day in (18, 19):  # paused: nothing more, no repeat
        await _tick_at(bot, _day(day))
    assert not [m for m in alice.unread() + bob.unread() if is_question(m)]
    # Either may resume; Alice does, and Bob stays quiet: he is not reported again.
    await alice.send("/resume")
    await bot.settle()
    for day in (20, 21, 22, 23):
        question = [m for m in alice.inbox if is_question(m)]
        if question:
            await alice.reply(question[-1], "still here")
        await _tick_at(bot, _day(day))
    later = alice.unread() + bob.unread()
    assert not any(says(m, texts.PARTNER_ABSENT, name="Bob") for m in later)
    assert not any(says(m, texts.ABSENCE_PAUSED, name="Alice") for m in later)
    assert any(is_question(m) for m in later)


async def test_partners_who_both_answer_are_never_paused_for_absence(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    for day in (15, 16, 17, 18):
        for user, words in ((alice, "a"), (bob, "b")):
            await user.reply([m for m in user.inbox if is_question(m)][-1], words)
        await bot.settle()
        await _tick_at(bot, _day(day))
    seen = alice.unread() + bob.unread()
    assert not any(says(m, texts.PARTNER_ABSENT, name=n) for m in seen for n in ("Alice", "Bob"))


# Exercises -----------------------------------------------------------------------------------


async def test_the_weekly_exercise_is_a_teaser_that_opens_its_how_to_in_place(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await _tick_at(bot, _day(17))  # Saturday, the pair's exercise day
    teasers = [m for m in alice.unread() if says(m, texts.EXERCISE_TEASER)]
    assert len(teasers) == 1
    await alice.press(teasers[0], texts.SHOW_ME_BUTTON)
    await bot.settle()
    opened = api.chat(alice.id).messages[teasers[0]["message_id"]]
    assert includes(opened, texts.EXERCISE)
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(alice.id)
        assert pair is not None
        assert len(await tx.content_history(pair.id, PromptKind.EXERCISE)) == 1
    for day in range(18, 24):  # the rest of the week brings none
        await _tick_at(bot, _day(day))
    assert not [m for m in alice.unread() if says(m, texts.EXERCISE_TEASER)]


async def test_show_me_on_another_pairs_exercise_opens_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob, carol = api.user(1, "Alice"), api.user(2, "Bob"), api.user(3, "Carol")
    await pair_up(bot, alice, bob)
    await _tick_at(bot, _day(17))
    teaser = [m for m in alice.unread() if says(m, texts.EXERCISE_TEASER)][-1]
    data = _buttons(teaser)[0]["callback_data"]
    await carol.send("/start")
    greeting = await carol.receive()  # a forged press from Carol's own chat
    answered = await carol.press(greeting, "", data=data)
    assert answered.get("text") == texts.MENU_EXPIRED


async def test_deleting_ones_data_after_an_absence_pause_and_a_declined_invite_leaves_no_trace(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2_000_002, "Bartholomew")
    carol = api.user(3, "Carol")
    _, code = await _invite(carol)
    await bob.send(f"/start {code}")  # Bob declines Carol's invite: she is told, naming him
    offer = (await bob.receive_until(saying(texts.INVITE_OFFER, inviter="Carol")))[-1]
    await bob.press(offer, texts.DECLINE_BUTTON)
    await pair_up(bot, alice, bob)
    for day in (15, 16, 17):
        await alice.reply([m for m in alice.inbox if is_question(m)][-1], "hello")
        await bot.settle()
        await _tick_at(bot, _day(day))
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(alice.id)
        assert pair is not None and await tx.absence_of(pair.id) is not None
    bob.unread()
    await bob.send("/deletemydata")
    await bob.press(await bob.receive(), texts.DELETE_YES)
    await bot.settle()
    await bot.pass_change_window()
    if bot.database_path is not None and bot.services.settings.database_dsn is None:
        needles = Needles(bob.id, ("Bartholomew",))
        assert sqlite_traces(bot.database_path, needles, check_bytes=False) == []
