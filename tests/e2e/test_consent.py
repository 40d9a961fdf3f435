"""Opt-in topics need both partners' yes; either turns one off alone, silently; plus the pair's
own options (pace, living apart, stage) and occasions, end to end over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot import texts
from bot.domain.models import Pair
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import RunningBot, includes, is_question, pair_up, says

JSON = dict[str, Any]
UTC = dt.UTC


def _text(message: JSON) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def _pairs(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser]:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    return alice, bob


async def _pair_of(bot: RunningBot, user: FakeUser) -> Pair:
    async with bot.services.db.transaction() as tx:
        pair = await tx.active_pair_of(user.id)
    assert pair is not None
    return pair


class Menu:
    """One person's /settings message, pressed in place."""

    def __init__(self, user: FakeUser, message: JSON) -> None:
        self.user, self.message = user, message

    @classmethod
    async def open(cls, user: FakeUser) -> Menu:
        user.unread()
        await user.send("/settings")
        return cls(user, await user.receive())

    async def press(self, label: str) -> str:
        """Press a button; return the alert it answered with ('' for none)."""
        answer = await self.user.press(self.message, label)
        edited = await self.user.receive_until(
            lambda m: m.get("message_id") == self.message["message_id"]
        )
        self.message = edited[-1]
        return str(answer.get("text") or "")


async def _ask_for_money(bot: RunningBot, alice: FakeUser, bob: FakeUser) -> JSON:
    menu = await Menu.open(alice)
    await menu.press("Topics")
    alert = await menu.press("Money")
    assert alert == texts.CONSENT_ASKED
    assert "⏳ Money" in str(menu.message["reply_markup"])
    ask = await bob.receive_until(lambda m: includes(m, texts.CONSENT_ASK))
    return ask[-1]


async def test_one_yes_is_not_enough_to_turn_on_an_opt_in_topic(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    ask = await _ask_for_money(bot, alice, bob)
    assert "Alice" in _text(ask) and "Money" in _text(ask)
    assert "money" not in (await _pair_of(bot, alice)).preferences.enabled_sensitive
    alice.unread()
    yes_data = ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await bob.press(ask, texts.CONSENT_NO)
    await bot.pass_change_window()
    assert "money" not in (await _pair_of(bot, alice)).preferences.enabled_sensitive
    assert alice.unread() == []  # Alice is not told what Bob answered
    late_yes = await bob.press(ask, "", data=yes_data)  # the request is gone with the no
    assert late_yes.get("text") == texts.MENU_EXPIRED
    assert "money" not in (await _pair_of(bot, alice)).preferences.enabled_sensitive


async def test_both_saying_yes_turns_the_topic_on_and_tells_both(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    ask = await _ask_for_money(bot, alice, bob)
    await bob.press(ask, texts.CONSENT_YES)
    await bot.settle()
    assert "money" in (await _pair_of(bot, alice)).preferences.enabled_sensitive
    for user in (alice, bob):
        told = [m for m in user.inbox if includes(m, texts.TOPIC_ON)]
        assert len(told) == 1 and "Money" in _text(told[0])


async def test_either_partner_turns_an_opt_in_topic_off_alone_and_silently(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    ask = await _ask_for_money(bot, alice, bob)
    await bob.press(ask, texts.CONSENT_YES)
    await bot.settle()
    alice.unread()
    menu = await Menu.open(bob)
    await menu.press("Topics")
    assert await menu.press("Money") == texts.CONSENT_TURNED_OFF
    await bot.pass_change_window()
    assert "money" not in (await _pair_of(bot, alice)).preferences.enabled_sensitive
    assert alice.unread() == []


async def test_a_request_can_be_withdrawn_before_the_partner_answers(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    ask = await _ask_for_money(bot, alice, bob)
    menu = await Menu.open(alice)
    await menu.press("Topics")
    assert await menu.press("Money") == texts.CONSENT_WITHDRAWN
    late_yes = await bob.press(ask, texts.CONSENT_YES)
    assert late_yes.get("text") == texts.MENU_EXPIRED
    assert "money" not in (await _pair_of(bot, alice)).preferences.enabled_sensitive


async def test_the_trust_track_asks_with_a_pointer_to_support(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    menu = await Menu.open(alice)
    await menu.press("Topics")
    await menu.press("Rebuilding trust")
    ask = await bob.receive_until(lambda m: includes(m, texts.CONSENT_ASK))
    assert "/support" in _text(ask[-1])
    await bob.press(ask[-1], texts.CONSENT_YES)
    await bot.settle()
    told = [m for m in alice.inbox if includes(m, texts.TOPIC_ON)]
    assert len(told) == 1 and "/support" in _text(told[0])


async def test_pace_stage_and_living_apart_are_shared_settings_told_to_the_partner(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    menu = await Menu.open(alice)
    await menu.press(texts.SETTINGS_BUTTON_PACE)
    await menu.press(texts.PACE_NAMES["every_other_day"])
    await menu.press(texts.SETTINGS_BUTTON_STAGE)
    await menu.press(texts.STAGE_NAMES["long_term"])
    await menu.press(texts.SETTINGS_BUTTON_APART.format(state=texts.OFF))
    assert texts.SETTINGS_BUTTON_APART.format(state=texts.ON) in str(menu.message)
    await bot.pass_change_window()
    pair = await _pair_of(bot, alice)
    assert (pair.sensitive_pace, pair.stage, pair.apart) == ("every_other_day", "long_term", True)
    told = _text((await bob.receive_until(lambda m: "Alice" in _text(m)))[-1])
    assert texts.CHANGE_APART in told and texts.STAGE_NAMES["long_term"] in told


async def test_on_the_anniversary_an_occasion_question_replaces_the_daily_one(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    await alice.send("/anniversary 2019-01-15")
    assert includes(await alice.receive(), texts.ANNIVERSARY_SET)
    await alice.send("/anniversary someday")
    assert says(await alice.receive(), texts.ANNIVERSARY_USAGE)
    bot.clock.set(dt.datetime(2026, 1, 15, 9, 1, tzinfo=UTC))
    await bot.tick()
    await bot.settle()
    anniversary = bot.library.occasions["anniversary"]
    together = {q.text for q in anniversary.questions if q.apart is not True}
    for user in (alice, bob):
        question = [m for m in user.inbox if is_question(m)][-1]
        assert anniversary.name in _text(question)
        assert any(text in _text(question) for text in together)


async def test_a_pair_living_apart_gets_an_exercise_in_its_version_for_distance(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, _bob = await _pairs(bot, api)
    menu = await Menu.open(alice)
    await menu.press(texts.SETTINGS_BUTTON_APART.format(state=texts.OFF))
    bot.clock.set(dt.datetime(2026, 1, 17, 9, 1, tzinfo=UTC))  # Saturday: the exercise day
    await bot.tick()
    await bot.settle()
    teaser = [m for m in alice.inbox if includes(m, texts.EXERCISE_TEASER)][-1]
    await alice.press(teaser, texts.SHOW_ME_BUTTON)
    await bot.settle()
    exercise = api.chat(alice.id).messages[teaser["message_id"]]
    assert includes(exercise, texts.EXERCISE)
    versions = [e for e in bot.library.exercises if e.title in _text(exercise)]
    assert versions and getattr(versions[0], "apart_how_to", "") in _text(exercise)


async def test_warmer_intimacy_questions_need_both_and_either_turns_them_down_alone(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    menu = await Menu.open(alice)
    await menu.press(texts.SETTINGS_BUTTON_HEAT)
    assert await menu.press(texts.HEAT_NAMES["spicy"]) == texts.CONSENT_ASKED
    assert (await _pair_of(bot, alice)).heat == "mild"  # one yes is not enough
    ask = (await bob.receive_until(lambda m: includes(m, texts.CONSENT_HEAT_ASK)))[-1]
    await bob.press(ask, texts.CONSENT_YES)
    await bot.settle()
    assert (await _pair_of(bot, alice)).heat == "spicy"
    assert any(includes(m, texts.HEAT_ON) for m in alice.inbox)
    alice.unread()
    bob_menu = await Menu.open(bob)
    await bob_menu.press(texts.SETTINGS_BUTTON_HEAT)
    assert await bob_menu.press(texts.HEAT_NAMES["mild"]) == texts.CONSENT_TURNED_OFF
    await bot.pass_change_window()
    assert (await _pair_of(bot, alice)).heat == "mild"
    assert alice.unread() == []


async def test_consent_and_verdict_buttons_forged_for_another_pair_change_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    ask = await _ask_for_money(bot, alice, bob)
    yes = ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    carol, dave = api.user(3, "Carol"), api.user(4, "Dave")
    await pair_up(bot, carol, dave)
    carrier = carol.inbox[-1]
    pair_of_alice = (await _pair_of(bot, alice)).id
    for forged in (yes, f"consent:{pair_of_alice}:money:yes", "verdict:1:1", "pick:1:0"):
        answer = await carol.press(carrier, "", data=forged)
        assert answer.get("text") == texts.MENU_EXPIRED
    await bot.settle()
    assert "money" not in (await _pair_of(bot, alice)).preferences.enabled_sensitive
    assert "money" not in (await _pair_of(bot, carol)).preferences.enabled_sensitive
    assert not [m for m in alice.unread() if includes(m, texts.TOPIC_ON)]


async def test_a_short_series_is_announced_and_runs_five_days_on_one_topic(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = await _pairs(bot, api)
    menu = await Menu.open(alice)
    await menu.press(texts.SETTINGS_BUTTON_SERIES)
    assert await menu.press("Memories") == texts.SERIES_STARTED
    await bot.pass_change_window()
    told = (await bob.receive_until(lambda m: "Alice" in _text(m)))[-1]
    topic = bot.library.categories["memories"].name
    assert includes(told, texts.CHANGE_SERIES, topic=topic, days=5)
    memories = {q.text for q in bot.library.questions if q.category == "memories"}
    for day in range(15, 22):
        bot.clock.set(dt.datetime(2026, 1, day, 9, 1, tzinfo=UTC))
        await bot.tick()
        await bot.settle()
    questions = [m for m in bob.inbox if is_question(m)][-7:]
    in_series = [m for m in questions if "📅" in _text(m)]
    assert len(in_series) == 5  # five days, then the usual mix again
    assert all(any(text in _text(m) for text in memories) for m in in_series)
    topic = bot.library.categories["memories"].name
    for day, message in enumerate(in_series, start=1):
        note = texts.SERIES_NOTE.format(topic=topic, day=day, days=5)
        assert _text(message).split("\n")[0] == re.sub(r"<[^>]+>", "", note)
    assert (await _pair_of(bot, alice)).series is None
