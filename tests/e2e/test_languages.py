"""Each partner in their own language, end to end over HTTP: a Spanish-speaking and a
German-speaking partner paired together each see the invite, the question, the reveal, a nudge
and /history in their own language; /language switches; the menus are registered per language.

What a message should say is read straight from the translators' files (the .po catalogues with
Babel, the content translations with tomllib), not through the bot's own catalogue code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from bot import texts
from bot.texts import Plural
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from tests.support import RunningBot

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<[^>]+>|\n")


@cache
def _catalogue(code: str) -> dict[str, str | tuple[str, ...]]:
    with (ROOT / "bot" / "locales" / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in catalog if m.id}


def _translated(code: str, source: str | Plural) -> str:
    key = source.one if isinstance(source, Plural) else source
    found = _catalogue(code)[key]
    text = found[-1] if isinstance(found, tuple) else found
    assert text and text != key, f"{code} has no translation of {key[:40]!r}"
    return text


def _pieces(template: str) -> list[str]:
    """The words of a template between its placeholders and tags, longest first."""
    pieces = [p.strip() for p in _PLACEHOLDER.split(template)]
    return sorted((p for p in pieces if len(p) >= 6), key=len, reverse=True)


def _says(message: dict, code: str, source: str | Plural) -> bool:
    """Whether `message` is the translation of `source` into `code` (its longest fixed words)."""
    text = message.get("text") or message.get("caption") or ""
    pieces = _pieces(_translated(code, source))
    return bool(pieces) and pieces[0] in text


def _english(message: dict, source: str) -> bool:
    text = message.get("text") or ""
    return _pieces(source)[0] in text


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


async def _wait_for(user: FakeUser, code: str, source: str | Plural) -> dict:
    seen = await user.receive_until(lambda m: _says(m, code, source))
    return seen[-1]


async def _pair(bot: RunningBot, api: FakeBotAPI) -> tuple[FakeUser, FakeUser, str]:
    """Ana (Spanish) invites Ben (German); return them and the first question's id."""
    ana = api.user(11, "Ana", language_code="es")
    ben = api.user(12, "Ben", language_code="de")
    await ana.send("/start")
    greeting = await ana.receive()
    assert _says(greeting, "es", texts.START)
    await ana.send("/invite")
    link = await _wait_for(ana, "es", texts.INVITE_CREATED)
    forwardable = await ana.receive()
    assert _says(forwardable, "es", texts.INVITE_FORWARDABLE)
    code = link["text"].split("?start=")[1].split()[0]
    await ben.send(f"/start {code}")
    offer = await ben.receive()
    assert _says(offer, "de", texts.INVITE_OFFER)
    await ben.press(offer, _translated("de", texts.ACCEPT_BUTTON))
    ben_seen = await ben.receive_until(lambda m: _says(m, "de", texts.QUESTION))
    ana_seen = await ana.receive_until(lambda m: _says(m, "es", texts.QUESTION))
    assert any(_says(m, "de", texts.PAIRED) for m in ben_seen)
    assert any(_says(m, "es", texts.PAIRED) for m in ana_seen)
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
    await ana.reply(ana_question, "Paseando junto al río")
    assert _says(await ana.receive(), "es", texts.SAVED)
    await ben.send("Zusammen kochen")
    ben_seen = await ben.receive_until(lambda m: "Paseando junto al río" in (m.get("text") or ""))
    ana_seen = await ana.receive_until(lambda m: "Zusammen kochen" in (m.get("text") or ""))
    assert _says(ben_seen[-1], "de", texts.REVEAL_HEADER)
    assert _says(ana_seen[-1], "es", texts.REVEAL_HEADER)
    # The reveal repeats the question in the reader's language.
    assert _question_texts("de")[question_id] in ben_seen[-1]["text"]
    assert _question_texts("es")[question_id] in ana_seen[-1]["text"]
    await bot.settle()

    bot.clock.set(dt.datetime(2026, 1, 14, 19, 0, tzinfo=dt.UTC))
    assert (await bot.tick()).nudges == 2
    assert _says(await ana.receive(), "es", texts.NUDGE)
    assert _says(await ben.receive(), "de", texts.NUDGE)

    await ana.send("/history")
    history = await ana.receive()
    assert _says(history, "es", texts.HISTORY_HEADER)
    assert _question_texts("es")[question_id] in history["text"]
    await ben.send("/history")
    history = await ben.receive()
    assert _says(history, "de", texts.HISTORY_HEADER)
    assert _question_texts("de")[question_id] in history["text"]

    await ben.send("/export")
    export = await ben.receive_until(lambda m: "document" in m)
    data = json.loads(export[-1]["document_bytes"])
    assert data["you"]["language"] == "de"
    assert data["questions"][0]["question"] == _question_texts("de")[question_id]
    assert _says(export[-1], "de", texts.EXPORT_CAPTION)


async def test_a_notice_caused_by_the_partner_is_in_the_readers_language(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, _ = await _pair(bot, api)
    await ana.send("/pause 3d")
    assert _says(await ana.receive(), "es", texts.PAUSED)
    await bot.pass_change_window()
    notices = await ben.receive_until(lambda m: "Ana" in (m.get("text") or ""))
    assert _says(notices[-1], "de", texts.CHANGE_PAUSED)


async def test_language_switches_with_the_command_and_its_buttons(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, _ = await _pair(bot, api)
    await ben.send("/language")
    menu = await ben.receive()
    assert _says(menu, "de", texts.LANGUAGE_MENU)
    await ben.press(menu, "English")
    await bot.settle()
    assert _english(ben.inbox[-1], texts.LANGUAGE_SET)
    ben.unread()
    await ben.send("/help")
    assert _english(await ben.receive(), texts.HELP)
    # Ben's choice is his own: Ana still reads Spanish.
    await ana.send("/help")
    assert _says(await ana.receive(), "es", texts.HELP)
    # The settings menu, topics included, follows the choice.
    await ben.send("/settings")
    menu = await ben.receive()
    assert _english(menu, texts.SETTINGS)
    await ana.send("/settings")
    menu = await ana.receive()
    assert _says(menu, "es", texts.SETTINGS)
    await ana.press(menu, "", data=next(d for d in _data(menu) if d.endswith(":topics")))
    await bot.settle()
    topics = ana.inbox[-1]
    labels = " ".join(b["text"] for row in topics["reply_markup"]["inline_keyboard"] for b in row)
    spanish_names = _category_names("es")
    assert sum(name in labels for name in spanish_names) >= 10
    # A language named in the command, by its own name.
    await ben.send("/language español")
    assert _says(await ben.receive(), "es", texts.LANGUAGE_SET)
    ben.unread()
    await ben.send("/language klingon")
    refusal = await ben.receive()
    assert _says(refusal, "es", texts.LANGUAGE_UNKNOWN) and "reply_markup" in refusal


async def test_a_time_zone_may_be_named_by_its_city_in_the_readers_language(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    ana, ben, _ = await _pair(bot, api)
    await ana.send("/timezone Nueva York")
    changed = await ana.receive()
    assert _says(changed, "es", texts.SCHEDULE_CHANGED) and "America/New_York" in changed["text"]
    await ben.send("/timezone Москва")
    assert "Europe/Moscow" in (await ben.receive())["text"]
    await ben.send("/timezone Atlantis")
    assert _says(await ben.receive(), "de", texts.TIMEZONE_USAGE)


async def test_a_regional_telegram_language_falls_back_to_the_nearest_offered_one(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    mexican = api.user(21, "Lupe", language_code="es-MX")
    portuguese = api.user(22, "Rui", language_code="pt-PT")
    unknown = api.user(23, "Aiko", language_code="ja")
    for user in (mexican, portuguese, unknown):
        await user.send("/start")
    assert _says(await mexican.receive(), "es", texts.START)
    assert _says(await portuguese.receive(), "pt_BR", texts.START)
    assert _english(await unknown.receive(), texts.START)


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
