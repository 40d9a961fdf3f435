"""Each partner's own clock, their waking hours and a small budget of attention (issue 12),
over real HTTP: a long-distance couple, Maya in Berlin and Jon in New York.

The clock starts on Wednesday 14 January 2026 at 08:30 UTC (09:30 in Berlin, 03:30 in New
York). Only the day's question, the reveal and an opted-in reminder may make a sound; all else
arrives silently, and what can wait waits for the reader's morning.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from bot import texts
from sandbox.fake_bot_api import JSON, FakeBotAPI, FakeUser
from sandbox.harness import RunningBot, is_question, pair_up, question_words
from tests.support import includes, saying, says

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def _utc(day: int, hour: int, minute: int = 0, zone: str = "UTC") -> dt.datetime:
    """A moment in January 2026, given as wall-clock time in `zone`."""
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


async def _long_distance(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser]:
    """Maya (Berlin) and Jon (New York), each wanting the question at 08:00 their time."""
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    await pair_up(bot, maya, jon, zones=(BERLIN, NEW_YORK))
    for person in (maya, jon):
        await person.send("/time 08:00")
        assert says(await person.receive(), texts.SCHEDULE_CHANGED)
    # Their first question came at once for Maya (09:30 in Berlin); Jon's waited for his
    # morning (03:30 in New York). Both answer it.
    await _tick_at(bot, _utc(14, 8, 0, NEW_YORK))
    for person in (maya, jon):
        first = _questions(person.inbox)
        assert len(first) == 1
        await person.reply(first[0], "Our first answer")
    await bot.settle()
    maya.unread()
    jon.unread()
    return maya, jon


async def _invite_code(inviter: FakeUser) -> str:
    """The inviter asks for a link; the code in it."""
    await inviter.send("/invite")
    link = (await inviter.receive_until(saying(texts.INVITE_CREATED)))[-1]
    return str(link["text"].split("?start=")[1].split()[0])


async def _accept(invitee: FakeUser, code: str) -> JSON:
    """The invitee opens the link and accepts; the "where are you?" they get."""
    await invitee.send(f"/start {code}")
    offer = (await invitee.receive_until(saying(texts.INVITE_OFFER)))[-1]
    await invitee.press(offer, texts.ACCEPT_BUTTON)
    return (await invitee.receive_until(saying(texts.ZONE_ASK)))[-1]


def _questions(messages: list[JSON]) -> list[JSON]:
    return [m for m in messages if is_question(m) and not m.get("edited")]


async def _tick_at(bot: RunningBot, moment: dt.datetime) -> None:
    bot.clock.set(moment)
    await bot.tick()
    assert bot.runtime is not None and bot.runtime.dispatcher is not None
    bot.runtime.dispatcher.wake()
    await bot.settle()


async def test_each_partner_gets_the_same_question_at_their_own_morning(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    await _tick_at(bot, _utc(15, 8, 0, BERLIN))
    at_maya = _questions(maya.unread())
    assert len(at_maya) == 1 and not at_maya[0]["silent"]
    assert _questions(jon.unread()) == []  # 02:00 in New York: not yet
    await _tick_at(bot, _utc(15, 7, 59, NEW_YORK))
    assert _questions(jon.unread()) == []
    await _tick_at(bot, _utc(15, 8, 0, NEW_YORK))
    at_jon = _questions(jon.unread())
    assert len(at_jon) == 1 and not at_jon[0]["silent"]
    assert question_words(at_jon[0]) == question_words(at_maya[0])
    # Both answer; the reveal reaches each once, with a sound (it is daytime for both).
    await maya.reply(at_maya[0], "The walk by the canal")
    await jon.reply(at_jon[0], "Your voice note this morning")
    await bot.settle()
    for person in (maya, jon):
        reveals = [m for m in person.unread() if includes(m, texts.REVEAL_HEADER)]
        assert len(reveals) == 1 and not reveals[0]["silent"]


async def test_moving_the_pair_follows_each_persons_clock_not_one_zone_for_two(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    # Jon changes his own zone: Maya is told nothing, and her question stays at her 08:00.
    await jon.send("/timezone America/Los_Angeles")
    assert says(await jon.receive(), texts.SCHEDULE_CHANGED)
    await bot.pass_change_window()
    assert maya.unread() == []
    await _tick_at(bot, _utc(15, 8, 0, BERLIN))
    assert len(_questions(maya.unread())) == 1
    await _tick_at(bot, _utc(15, 8, 0, NEW_YORK))
    assert _questions(jon.unread()) == []
    await _tick_at(bot, _utc(15, 8, 0, "America/Los_Angeles"))
    assert len(_questions(jon.unread())) == 1


async def test_a_pause_and_its_notice_are_told_in_each_readers_own_time(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    bot.clock.set(_utc(14, 20, 0, NEW_YORK))  # Wednesday 20:00 in New York, 02:00 in Berlin
    await jon.send("/pause 2d")
    reply = await jon.receive()
    assert says(reply, texts.PAUSED, lang="en")
    # Jon's calendar: Friday 16 January, 20:00 his time.
    assert "Friday 16 January 2026, 20:00" in reply["text"]
    await bot.pass_change_window()
    # It is night in Berlin: the notice waits for Maya's morning (08:00), then comes silently.
    assert maya.unread() == []
    await _tick_at(bot, _utc(15, 8, 0, BERLIN))
    notices = [m for m in maya.unread() if includes(m, texts.CHANGE_PAUSED)]
    assert len(notices) == 1 and notices[0]["silent"]
    # Maya's calendar: Saturday 17 January, 02:00 her time.
    assert "Saturday 17 January 2026, 02:00" in notices[0]["text"]


async def test_a_reveal_in_the_readers_night_comes_silently(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    await _tick_at(bot, _utc(15, 8, 0, BERLIN))
    question = _questions(maya.unread())[0]
    await maya.reply(question, "Coffee on the balcony")
    await bot.settle()
    await _tick_at(bot, _utc(15, 8, 0, NEW_YORK))
    jons = _questions(jon.unread())[0]
    bot.clock.set(_utc(15, 23, 30, NEW_YORK))  # Jon answers late: 05:30 in Berlin
    await jon.reply(jons, "The long phone call")
    await bot.settle()
    maya_reveal = [m for m in maya.unread() if includes(m, texts.REVEAL_HEADER)]
    assert len(maya_reveal) == 1 and maya_reveal[0]["silent"]  # it cannot wait, so no sound
    jon_reveal = [m for m in jon.unread() if includes(m, texts.REVEAL_HEADER)]
    assert len(jon_reveal) == 1 and jon_reveal[0]["silent"]  # 23:30 is his quiet hours too


async def test_nudges_come_twice_a_week_at_ones_own_evening_silently_and_only_after_answering(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    await _tick_at(bot, _utc(15, 8, 0, BERLIN))
    await _tick_at(bot, _utc(15, 8, 0, NEW_YORK))
    thursday = [*maya.unread(), *jon.unread()]
    assert not [m for m in thursday if includes(m, texts.NUDGE)]
    # Friday: the question comes; Maya answers, Jon does not.
    await _tick_at(bot, _utc(16, 8, 0, BERLIN))
    await maya.reply(_questions(maya.unread())[0], "You made me laugh at breakfast")
    await bot.settle()
    await _tick_at(bot, _utc(16, 8, 0, NEW_YORK))
    jon.unread()
    await _tick_at(bot, _utc(16, 19, 0, BERLIN))
    nudges = [m for m in maya.unread() if includes(m, texts.NUDGE)]
    assert len(nudges) == 1 and nudges[0]["silent"]
    await _tick_at(bot, _utc(16, 19, 0, NEW_YORK))
    # Jon has not answered Friday's question: no nudge on top of it.
    assert not [m for m in jon.unread() if includes(m, texts.NUDGE)]


async def test_after_three_ignored_nudges_they_back_off(bot: RunningBot, api: FakeBotAPI) -> None:
    maya, jon = await _long_distance(bot, api)
    sent: list[dt.date] = []
    day = _utc(15, 7, 0, BERLIN)
    for _ in range(40):  # Thursday 15 January onwards, a day at a time
        # 08:00 Berlin, then 08:00 New York: the question. Both answer it (a partner silent
        # for three question days would pause the pair, and a paused pair has no nudges).
        for person, hour in ((maya, 7), (jon, 13)):
            await _tick_at(bot, day.replace(hour=hour))
            for question in _questions(person.unread()):
                await person.reply(question, "Answered, as always")
            await bot.settle()
        await _tick_at(bot, day.replace(hour=18))  # 19:00 Berlin: nudge time
        if [m for m in maya.unread() if includes(m, texts.NUDGE)]:
            sent.append(day.date())
        day += dt.timedelta(days=1)
    # Tuesdays and Fridays at first; three ignored, then a week more between them.
    assert sent[:3] == [dt.date(2026, 1, 16), dt.date(2026, 1, 20), dt.date(2026, 1, 23)]
    gaps = [(b - a).days for a, b in itertools.pairwise(sent)]
    assert all(gap >= 7 for gap in gaps[2:]), sent
    assert len(sent) < 8  # 40 days of Tuesdays and Fridays would be 11


async def test_pairing_late_at_night_brings_the_first_question_in_the_morning(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    await maya.send("/start")
    code = await _invite_code(maya)
    await bot.settle()
    maya.unread()
    bot.clock.set(_utc(14, 23, 30, BERLIN))  # Jon opens the link late in Maya's evening
    ask = await _accept(jon, code)  # he is awake: asked at once
    await jon.press(ask, "", data=f"zone:{NEW_YORK}")
    await bot.settle()
    # Maya has not said where she is, and it is night by the pair's clock (UTC): the news of
    # the pairing waits for her morning, and so does the first question, for both.
    assert maya.unread() == []
    assert _questions(jon.unread()) == []
    await _tick_at(bot, _utc(15, 8, 0))
    morning = maya.unread()
    assert [m for m in morning if says(m, texts.PAIRED, partner="Jon")]
    ask = next(m for m in morning if says(m, texts.ZONE_ASK))
    await maya.press(ask, "", data=f"zone:{BERLIN}")
    await bot.settle()
    assert len(_questions(maya.unread())) == 1  # 09:00 in Berlin
    assert _questions(jon.unread()) == []  # 03:00 in New York: his morning comes first
    await _tick_at(bot, _utc(15, 8, 0, NEW_YORK))
    assert len(_questions(jon.unread())) == 1


async def test_a_shared_location_sets_ones_zone(bot: RunningBot, api: FakeBotAPI) -> None:
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    await pair_up(bot, maya, jon)
    await jon.send_location(40.71, -74.01)
    reply = await jon.receive()
    assert says(reply, texts.ZONE_FROM_LOCATION, lang="en") and "New York" in reply["text"]
    await jon.send_location(123.0, 500.0)  # not a place on earth
    assert says(await jon.receive(), texts.ZONE_UNKNOWN)


async def test_a_forged_zone_button_is_refused_kindly(bot: RunningBot, api: FakeBotAPI) -> None:
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    await pair_up(bot, maya, jon)
    answer = await jon.press(jon.inbox[-1], "", data="zone:Mars/Olympus_Mons")
    assert answer["show_alert"] and answer["text"]


async def test_at_most_two_sounds_a_day_the_rest_come_silently(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    await maya.send("/reminders on")
    await bot.settle()
    # Thursday: Maya answers at once; Jon leaves his for Friday.
    await _tick_at(bot, _utc(15, 8, 0, BERLIN))
    await maya.reply(_questions(maya.unread())[0], "The canal walk")
    await _tick_at(bot, _utc(15, 8, 0, NEW_YORK))
    thursdays = _questions(jon.unread())[0]
    # Friday: Maya's question (a sound), then Jon answers Thursday's (a reveal: her second
    # sound), then her reminder for Friday's question, which must now come silently.
    await _tick_at(bot, _utc(16, 8, 0, BERLIN))
    fridays = _questions(maya.unread())
    assert len(fridays) == 1 and not fridays[0]["silent"]
    bot.clock.set(_utc(16, 9, 0, BERLIN))
    await jon.reply(thursdays, "The long phone call")
    await bot.settle()
    reveals = [m for m in maya.unread() if includes(m, texts.REVEAL_HEADER)]
    assert len(reveals) == 1 and not reveals[0]["silent"]
    await _tick_at(bot, _utc(16, 12, 30, BERLIN))
    reminders = [
        m
        for m in maya.unread()
        if includes(m, texts.REMINDER) or includes(m, texts.REMINDER_PARTNER_ANSWERED)
    ]
    assert len(reminders) == 1 and reminders[0]["silent"]
    # Saturday is a new day: its question makes a sound again.
    await _tick_at(bot, _utc(17, 8, 0, BERLIN))
    saturdays = _questions(maya.unread())
    assert saturdays and not saturdays[-1]["silent"]


async def test_a_new_pairing_starts_the_nudge_back_off_afresh(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # Regression: ignored nudges were counted across pairs, so someone who let three pass
    # with one partner had their nudges backed off with the next.
    maya, jon = await _long_distance(bot, api)
    sent: list[dt.date] = []
    day = _utc(15, 7, 0, BERLIN)
    while day.date() <= dt.date(2026, 1, 23):  # nudges on Fri 16, Tue 20, Fri 23: all ignored
        for person, hour in ((maya, 7), (jon, 13)):
            await _tick_at(bot, day.replace(hour=hour))
            for question in _questions(person.unread()):
                await person.reply(question, "Answered, as always")
            await bot.settle()
        await _tick_at(bot, day.replace(hour=18))
        if [m for m in maya.unread() if includes(m, texts.NUDGE)]:
            sent.append(day.date())
        day += dt.timedelta(days=1)
    assert sent == [dt.date(2026, 1, 16), dt.date(2026, 1, 20), dt.date(2026, 1, 23)]
    bot.clock.set(_utc(24, 10, 0, BERLIN))  # Saturday: Maya and Jon part
    await maya.send("/unpair")
    confirm = (await maya.receive_until(lambda m: "reply_markup" in m))[-1]
    await maya.press(confirm, texts.UNPAIR_YES)
    await bot.settle()
    sam = api.user(3, "Sam")
    ask = await _accept(sam, await _invite_code(maya))  # Maya's zone is known: not asked
    await sam.press(ask, "", data=f"zone:{BERLIN}")
    await bot.settle()
    for person in (maya, sam):  # their first question comes at once: it is morning in Berlin
        first = _questions(person.unread())
        assert len(first) == 1
        await person.reply(first[0], "A new start")
    await bot.settle()
    day = _utc(25, 9, 0, BERLIN)  # after both questions' time; 18:00 UTC is 19:00 in Berlin
    nudged: list[dt.date] = []
    while day.date() <= dt.date(2026, 1, 27):
        await _tick_at(bot, day)
        for person in (maya, sam):
            for question in _questions(person.unread()):
                await person.reply(question, "A new start")
        await bot.settle()
        await _tick_at(bot, day.replace(hour=18))
        if [m for m in maya.unread() if includes(m, texts.NUDGE)]:
            nudged.append(day.date())
        sam.unread()
        day += dt.timedelta(days=1)
    # With Sam the count starts at nought: Tuesday's nudge comes as for anyone new.
    assert nudged == [dt.date(2026, 1, 27)]


async def test_time_while_not_paired_is_refused_and_changes_nothing(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # Regression: /time before pairing answered "not paired" yet saved the time, and the
    # question then came at that hour once paired.
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    await jon.send("/start")
    await bot.settle()
    jon.unread()
    await jon.send("/time 06:00")
    assert says(await jon.receive(), texts.NOT_PAIRED)
    await pair_up(bot, maya, jon)  # both skip the zone question: the pair's clock, 09:00 UTC
    await _tick_at(bot, _utc(15, 6, 30))
    assert _questions(jon.unread()) == []
    await _tick_at(bot, _utc(15, 9, 0))
    assert len(_questions(jon.unread())) == 1


async def test_no_open_question_says_when_ones_own_next_one_comes(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # Regression: the reply told the pair's clock, so one partner read the other's time.
    maya, jon = await _long_distance(bot, api)  # both answered their first question
    for person, city in ((maya, "Europe/Berlin"), (jon, "America/New_York")):
        await person.send("Just saying hello")
        reply = await person.receive()
        assert says(reply, texts.NO_OPEN_QUESTION, lang="en")
        assert city in reply["text"] and "08:00" in reply["text"], reply["text"]


async def test_a_question_time_inside_quiet_hours_is_said_to_come_silently(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = await _long_distance(bot, api)
    await jon.send("/time 07:30")  # before his quiet hours (22:00-08:00) end
    reply = await jon.receive()
    assert includes(reply, texts.SCHEDULE_CHANGED)
    assert includes(reply, texts.TIME_IN_QUIET_HOURS) and "22:00–08:00" in reply["text"]
    await _tick_at(bot, _utc(15, 7, 30, NEW_YORK))
    questions = _questions(jon.unread())
    assert len(questions) == 1 and questions[0]["silent"]  # as it said
    maya.unread()
    await maya.send("/time 09:00")  # in her waking hours: nothing more to say
    reply = await maya.receive()
    assert includes(reply, texts.SCHEDULE_CHANGED)
    assert not includes(reply, texts.TIME_IN_QUIET_HOURS)


async def test_a_zone_tapped_under_a_deleted_question_is_still_confirmed(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    # Regression (found by the simulation): the zone was set, but the confirmation was only
    # an edit of "where are you?", so with that message gone the person was told nothing.
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    await maya.send("/start")
    ask = await _accept(jon, await _invite_code(maya))
    await bot.settle()
    jon.unread()
    jon.delete(ask)  # on his phone; his laptop still shows it, and he taps there
    answer = await jon.press(ask, "", data=f"zone:{NEW_YORK}")
    assert not answer.get("show_alert")
    await bot.settle()
    told = [m for m in jon.unread() if includes(m, texts.ZONE_SET)]
    assert len(told) == 1 and "New York" in told[0]["text"] and not told[0].get("edited")


async def test_no_nudge_comes_on_the_day_of_the_first_question(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    maya, jon = api.user(1, "Maya"), api.user(2, "Jon")
    bot.clock.set(_utc(20, 9, 0))  # a Tuesday, one of the default nudge days
    await pair_up(bot, maya, jon)  # both skip the zone question: UTC, the first question at once
    for person in (maya, jon):
        await person.reply(_questions(person.inbox)[-1], "A first answer")
    await bot.settle()
    await _tick_at(bot, _utc(20, 19, 0))  # nudge time on the first day
    assert not [m for m in [*maya.unread(), *jon.unread()] if includes(m, texts.NUDGE)]
    for day in (21, 22, 23):  # then every day's question answered, up to Friday's nudge
        await _tick_at(bot, _utc(day, 9, 0))
        for person in (maya, jon):
            for question in _questions(person.unread()):
                await person.reply(question, "Answered")
        await bot.settle()
    await _tick_at(bot, _utc(23, 19, 0))
    for person in (maya, jon):
        assert len([m for m in person.unread() if includes(m, texts.NUDGE)]) == 1
