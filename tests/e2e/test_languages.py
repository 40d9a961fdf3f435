"""Each partner in their own language, end to end over HTTP: a Spanish-speaking and a
German-speaking partner paired together each see the invite, the question, the reveal, a nudge
and /history in their own language; /language switches; the menus are registered per language.

What a message should say is read straight from the translators' files (the .po catalogues with
Babel, by the matcher in sandbox/matching.py; the content translations with tomllib), not through
the bot's own catalogue code.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from functools import cache
from pathlib import Path

from bot import texts
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.matching import translation
from tests.support import RunningBot, includes, pair_up, receive_new, saying, says

ROOT = Path(__file__).resolve().parents[2]


def _translated(code: str, source: str) -> str:
    """The translation of `source` into `code`, which must differ from the English."""
    (text,) = translation(source, code)
    assert text != source, f"{code} has the English of {source[:40]!r}"
    return text


@cache
def _question_texts(code: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in (ROOT / "content" / "i18n" / code / "questions").glob("*.toml"):
        for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("questions", []):
            found[entry["id"]] = entry["text"]
    return found


def _question_id(message: dict, code: str) -> str:
    text = message.get("text") or ""
    ids = [i for i, q in _question_texts(code).items() if q in text]
    assert ids, f"no {code} question in {text[:80]!r}"
    return max(ids, key=lambda i: len(_question_texts(code)[i]))


def _data(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


@cache
def _category_names(code: str) -> list[str]:
    names = []
    for path in (ROOT / "content" / "i18n" / code / "questions").glob("*.toml"):
        names.append(tomllib.loads(path.read_text(encoding="utf-8"))["category"]["name"])
    return names


async def _pair(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser, str]:
    """Ana (Spanish) invites Ben (German); return them and the first question's id."""
    ana = api.user(11, "Ana", language_code="es")
    ben = api.user(12, "Ben", language_code="de")
    await ana.send("/start")
    greeting = await ana.receive()
    assert says(greeting, texts.START, lang="es", name="Ana")
    await ana.send("/invite")
    link = (await ana.receive_until(saying(texts.INVITE_CREATED, lang="es")))[-1]
    forwardable = await ana.receive()
    assert says(forwardable, texts.INVITE_FORWARDABLE, lang="es", name="Ana")
    code = link["text"].split("?start=")[1].split()[0]
    await ben.send(f"/start {code}")
    offer = await ben.receive()
    assert says(offer, texts.INVITE_OFFER, lang="de", inviter="Ana")
    await ben.press(offer, _translated("de", texts.ACCEPT_BUTTON))
    # "Where are you?", each in their own language; both skip it and the first question comes.
    ben_seen = await ben.receive_until(saying(texts.ZONE_ASK, lang="de"))
    await ben.press(ben_seen[-1], _translated("de", texts.ZONE_SKIP))
    ana_seen = await ana.receive_until(saying(texts.ZONE_ASK, lang="es"))
    await ana.press(ana_seen[-1], _translated("es", texts.ZONE_SKIP))
    ben_seen += await ben.receive_until(saying(texts.QUESTION, lang="de", partner="Ana"))
    ana_seen += await ana.receive_until(saying(texts.QUESTION, lang="es", partner="Ben"))
    assert any(says(m, texts.PAIRED, lang="de", partner="Ana") for m in ben_seen)
    assert any(says(m, texts.PAIRED, lang="es", partner="Ben") for m in ana_seen)
    question_id = _question_id(ana_seen[-1], "es")
    # The same question, each in their own language.
    assert _question_id(ben_seen[-1], "de") == question_id
    await bot.settle()
    ana.unread()
    ben.unread()
    return ana, ben, question_id


async def test_partners_with_two_languages_each_read_everything_in_their_own(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, question_id = await _pair(bot, api)
    ana_question = ana.inbox[-1]
    answer = await ana.reply(ana_question, "Paseando junto al río")
    await bot.settle()
    assert ana.reactions_on(answer) == ["✍"]
    # Her question message now says, in Spanish, that she is waiting for Ben.
    assert includes(
        api.chat(ana.id).messages[ana_question["message_id"]],
        texts.STATUS_WAITING,
        lang="es",
        partner="Ben",
    )
    await ben.send("Zusammen kochen")
    ben_seen = await ben.receive_until(lambda m: "Paseando junto al río" in (m.get("text") or ""))
    ana_seen = await ana.receive_until(lambda m: "Zusammen kochen" in (m.get("text") or ""))
    assert includes(ben_seen[-1], texts.REVEAL_HEADER, lang="de", partner="Ana")
    assert includes(ana_seen[-1], texts.REVEAL_HEADER, lang="es", partner="Ben")
    # The reveal repeats the question in the reader's language.
    assert _question_texts("de")[question_id] in ben_seen[-1]["text"]
    assert _question_texts("es")[question_id] in ana_seen[-1]["text"]
    await bot.settle()

    await ana.send("/history")
    history = await receive_new(ana)
    assert includes(history, texts.HISTORY_HEADER, lang="es")
    assert _question_texts("es")[question_id] in history["text"]
    await ben.send("/history")
    history = await receive_new(ben)
    assert includes(history, texts.HISTORY_HEADER, lang="de")
    assert _question_texts("de")[question_id] in history["text"]

    await ben.send("/export")
    export = await ben.receive_until(lambda m: "document" in m)
    data = json.loads(export[-1]["document_bytes"])
    assert data["you"]["language"] == "de"
    assert data["questions"][0]["question"] == _question_texts("de")[question_id]
    assert says(export[-1], texts.EXPORT_CAPTION, lang="de")

    # Nudges come on Fridays (and Tuesdays) to those who have answered: both answer
    # Thursday's and Friday's questions, and each reads Friday's nudge in their language.
    for day in (15, 16):
        bot.clock.set(dt.datetime(2026, 1, day, 9, 0, tzinfo=dt.UTC))
        await bot.tick()
        for person, lang in ((ana, "es"), (ben, "de")):
            question = (await person.receive_until(saying(texts.QUESTION, lang=lang)))[-1]
            await person.reply(question, f"{person.first_name} answers")
        await bot.settle()
    ana.unread()
    ben.unread()
    bot.clock.set(dt.datetime(2026, 1, 16, 19, 0, tzinfo=dt.UTC))
    assert (await bot.tick()).nudges == 2
    assert says(await receive_new(ana), texts.NUDGE, lang="es", partner="Ben")
    assert says(await receive_new(ben), texts.NUDGE, lang="de", partner="Ana")


async def test_a_notice_caused_by_the_partner_is_in_the_readers_language(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, _ = await _pair(bot, api)
    await ana.send("/pause 3d")
    assert says(await receive_new(ana), texts.PAUSED, lang="es")
    await bot.pass_change_window()
    notices = await ben.receive_until(lambda m: "Ana" in (m.get("text") or ""))
    assert says(notices[-1], texts.CHANGES_ONE, lang="de", name="Ana")
    assert includes(notices[-1], texts.CHANGE_PAUSED, lang="de")


async def test_language_switches_with_the_command_and_its_buttons(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, _ = await _pair(bot, api)
    await ben.send("/language")
    menu = await receive_new(ben)
    assert says(menu, texts.LANGUAGE_MENU, lang="de", language="Deutsch")
    await ben.press(menu, "English")
    await bot.settle()
    assert says(ben.inbox[-1], texts.LANGUAGE_SET, language="English")
    ben.unread()
    await ben.send("/help")
    assert says(await receive_new(ben), texts.HELP)
    # Ben's choice is his own: Ana still reads Spanish.
    await ana.send("/help")
    assert says(await receive_new(ana), texts.HELP, lang="es")
    # The settings menu, topics included, follows the choice.
    await ben.send("/settings")
    menu = await receive_new(ben)
    assert says(menu, texts.SETTINGS)
    await ana.send("/settings")
    menu = await receive_new(ana)
    assert says(menu, texts.SETTINGS, lang="es")
    await ana.press(menu, "", data=next(d for d in _data(menu) if d.endswith(":topics")))
    await bot.settle()
    topics = ana.inbox[-1]
    assert says(topics, texts.SETTINGS_TOPICS, lang="es")
    labels = " ".join(b["text"] for row in topics["reply_markup"]["inline_keyboard"] for b in row)
    spanish_names = _category_names("es")
    assert sum(name in labels for name in spanish_names) >= 10
    # A language named in the command, by its own name.
    await ben.send("/language español")
    assert says(await receive_new(ben), texts.LANGUAGE_SET, lang="es", language="español")
    ben.unread()
    await ben.send("/language klingon")
    refusal = await receive_new(ben)
    assert says(refusal, texts.LANGUAGE_UNKNOWN, lang="es") and "reply_markup" in refusal


async def test_a_time_zone_may_be_named_by_its_city_in_the_readers_language(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, _ = await _pair(bot, api)
    await ana.send("/timezone Nueva York")
    changed = await receive_new(ana)
    assert says(changed, texts.SCHEDULE_CHANGED, lang="es")
    assert "America/New_York" in changed["text"]
    await ben.send("/timezone Москва")
    changed = await receive_new(ben)
    assert says(changed, texts.SCHEDULE_CHANGED, lang="de") and "Europe/Moscow" in changed["text"]
    await ben.send("/timezone Atlantis")
    assert says(await receive_new(ben), texts.TIMEZONE_USAGE, lang="de")


async def test_a_regional_telegram_language_falls_back_to_the_nearest_offered_one(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    mexican = api.user(21, "Lupe", language_code="es-MX")
    portuguese = api.user(22, "Rui", language_code="pt-PT")
    unknown = api.user(23, "Aiko", language_code="ja")
    for user in (mexican, portuguese, unknown):
        await user.send("/start")
    assert says(await mexican.receive(), texts.START, lang="es", name="Lupe")
    assert says(await portuguese.receive(), texts.START, lang="pt_BR", name="Rui")
    assert says(await unknown.receive(), texts.START, name="Aiko")


async def test_the_menu_and_descriptions_are_registered_for_every_offered_language(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    offered = bot.services.languages.offered
    assert {"es", "de", "pt_BR"} <= set(offered)
    for code in offered:
        language = "" if code == "en" else code.split("_")[0]
        commands = {c["command"]: c["description"] for c in api.commands_by_language[language]}
        assert "language" in commands
        description = api.descriptions[language]
        if code == "en":
            assert commands["today"] == dict(texts.COMMAND_MENU)["today"]
            assert description == texts.BOT_DESCRIPTION
        else:
            assert commands["today"] == _translated(code, dict(texts.COMMAND_MENU)["today"])
            assert description == _translated(code, texts.BOT_DESCRIPTION)
            assert api.short_descriptions[language] == _translated(
                code, texts.BOT_SHORT_DESCRIPTION
            )


async def test_the_harness_pairs_people_who_read_other_languages(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana = api.user(31, "Ana", language_code="es")
    ivan = api.user(32, "Ivan", language_code="ru")
    await pair_up(bot, ana, ivan)
    assert says(ana.inbox[-1], texts.QUESTION, lang="es", partner="Ivan")
    assert says(ivan.inbox[-1], texts.QUESTION, lang="ru", partner="Ana")
