"""The Mini App's HTTP API without a browser: initData checked on every call, only one's own
pair, keyset pages, search and filters, media through the bot, settings through the use
cases with the partner told, per-person limits, and nothing at all when WEBAPP_URL is unset."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from bot import texts
from bot.content import Library
from bot.logs import setup_logging
from bot.web.miniapp import CONTENT_SECURITY_POLICY
from sandbox.fake_bot_api import FakeBotAPI, FakeUser
from sandbox.journal_seed import SEARCHABLE
from sandbox.matching import includes, says
from sandbox.miniapp import JournalBot, free_port, start_journal_bot
from tests.support import FakeClock, RunningBot, pair_up


@pytest.fixture
async def journal_bot(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library
) -> AsyncIterator[JournalBot]:
    running = await start_journal_bot(api, tmp_path / "nearer.sqlite3", library, clock=clock)
    yield running
    await running.bot.stop()


async def _call(
    jb: JournalBot, path: str, user: FakeUser | None, body: dict[str, Any] | None = None, *,
    init_data: str | None = None,
) -> httpx.Response:  # fmt: skip
    raw = init_data if init_data is not None else jb.init_data(user) if user else ""
    headers = {"Authorization": f"tma {raw}"} if raw else {}
    async with httpx.AsyncClient() as client:
        return await client.post(f"{jb.url}api/{path}", json=body or {}, headers=headers)


async def _whole_journal(jb: JournalBot, user: FakeUser, **narrowed: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (await _call(jb, "journal", user, {**narrowed, "cursor": cursor})).json()
        entries.extend(page["entries"])
        cursor = page["next"]
        if cursor is None:
            return entries


async def test_the_page_has_a_strict_policy_and_loads_nothing_from_elsewhere(
    journal_bot: JournalBot,
) -> None:
    async with httpx.AsyncClient() as client:
        page = await client.get(journal_bot.url)
        script = await client.get(f"{journal_bot.url}static/app.js")
    assert page.status_code == 200 and script.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http" not in policy.replace("https://web.telegram.org", "")
    assert "://" not in page.text and "://" not in script.text.replace(
        "https://web.telegram.org", ""
    )
    assert page.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("how", ["missing", "forged", "stale", "other token", "user swapped"])
async def test_calls_without_genuine_fresh_initdata_are_refused(
    journal_bot: JournalBot, how: str
) -> None:
    alice = journal_bot.couples[0].first
    genuine = journal_bot.init_data(alice)
    fields = dict(parse_qsl(genuine))
    raw = {
        "missing": "",
        "forged": urlencode({**fields, "hash": "0" * 64}),
        "stale": journal_bot.init_data(alice, when=journal_bot.bot.clock() - dt.timedelta(days=2)),
        "other token": urlencode({**fields, "hash": fields["hash"][::-1]}),
        "user swapped": genuine.replace("%22id%22%3A1%2C", "%22id%22%3A3%2C"),
    }[how]
    for path in ("me", "journal", "calendar", "settings"):
        response = await _call(journal_bot, path, None, init_data=raw)
        assert response.status_code == 401, path
        assert response.json() == {"error": "refused"}
    assert (await _call(journal_bot, "me", alice)).status_code == 200


async def test_the_journal_pages_through_every_revealed_question_newest_first(
    journal_bot: JournalBot,
) -> None:
    couple = journal_bot.couples[0]
    first_page = (await _call(journal_bot, "journal", couple.first)).json()
    assert len(first_page["entries"]) == 20 and first_page["next"]
    entries = await _whole_journal(journal_bot, couple.first)
    days = [dt.date.fromisoformat(entry["date"]) for entry in entries]
    assert days == sorted(couple.journal.revealed, reverse=True)
    assert len({entry["id"] for entry in entries}) == len(entries)
    assert couple.journal.open_day not in days  # not both answered: never shown
    assert all(entry["partner"] == "Bob" for entry in entries)


async def test_nobody_sees_another_pairs_questions_answers_or_media(
    journal_bot: JournalBot,
) -> None:
    ours, theirs = journal_bot.couples
    our_ids = {e["id"] for e in await _whole_journal(journal_bot, ours.first)}
    their_ids = {e["id"] for e in await _whole_journal(journal_bot, theirs.first)}
    assert our_ids and their_ids and not our_ids & their_ids
    for prompt_id in sorted(our_ids)[:10]:
        for whose in ("mine", "theirs"):
            response = await _call(journal_bot, f"media/{prompt_id}/{whose}", theirs.second)
            assert response.status_code == 404


async def test_search_finds_words_in_answers_and_filters_narrow_by_topic_and_format(
    journal_bot: JournalBot, library: Library
) -> None:
    alice = journal_bot.couples[0].first
    found = await _whole_journal(journal_bot, alice, search=SEARCHABLE.upper())
    assert len(found) == 1 and SEARCHABLE in found[0]["mine"]["text"]
    assert await _whole_journal(journal_bot, alice, search="%") == []
    voices = await _whole_journal(journal_bot, alice, kind="voice")
    assert voices and all(e["theirs"]["kind"] == "voice" for e in voices)
    everything = await _whole_journal(journal_bot, alice)
    category = everything[0]["category"]
    in_category = await _whole_journal(journal_bot, alice, category=category)
    assert in_category == [e for e in everything if e["category"] == category]
    assert await _whole_journal(journal_bot, alice, category="no-such-topic") == []


async def test_voice_notes_and_photos_come_through_the_bot_without_its_token(
    journal_bot: JournalBot, api: FakeBotAPI
) -> None:
    couple = journal_bot.couples[0]
    voices = await _whole_journal(journal_bot, couple.first, kind="voice")
    response = await _call(journal_bot, f"media/{voices[0]['id']}/theirs", couple.first)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/ogg"
    assert response.content in api.files.values()
    assert api.token not in response.text and api.token.split(":")[1] not in str(response.headers)
    photos = await _whole_journal(journal_bot, couple.second, kind="photo")
    picture = await _call(journal_bot, f"media/{photos[0]['id']}/theirs", couple.second)
    assert picture.content.startswith(b"\x89PNG")
    notes = await _whole_journal(journal_bot, couple.first, kind="video_note")
    video = await _call(journal_bot, f"media/{notes[0]['id']}/theirs", couple.first)
    assert video.headers["Content-Type"] == "video/mp4" and video.content in api.files.values()
    text_only = await _call(journal_bot, f"media/{voices[0]['id']}/mine", couple.first)
    assert text_only.status_code == 404


async def test_a_change_made_in_the_app_tells_the_partner_what_the_chat_would_tell_them(
    journal_bot: JournalBot,
) -> None:
    (alice_couple, carol_couple), bot = journal_bot.couples, journal_bot.bot
    alice, bob = alice_couple.first, alice_couple.second
    carol, dan = carol_couple.first, carol_couple.second
    # One's own time: shown as one's own, and the partner is told nothing, from either place.
    response = await _call(
        journal_bot, "settings", alice, {"change": "send_time", "value": "19:30"}
    )
    assert response.status_code == 200 and response.json()["send_time"] == "19:30"
    assert (await _call(journal_bot, "settings", bob)).json()["send_time"] != "19:30"
    await carol.send("/time 19:30")
    await carol.receive()
    await bot.pass_change_window()
    await bot.settle()
    assert bob.unread() == [] and dan.unread() == []
    # How often questions come is the pair's: the partner is told the same either way.
    response = await _call(
        journal_bot, "settings", alice, {"change": "frequency", "value": "weekdays"}
    )
    assert response.status_code == 200 and response.json()["frequency"] == "weekdays"
    await carol.send("/settings")
    menu = await carol.receive()
    await carol.press(menu, texts.SETTINGS_BUTTON_FREQUENCY)
    await carol.receive_until(lambda m: m.get("message_id") == menu["message_id"])
    await carol.press(menu, texts.FREQUENCY_NAMES["weekdays"])
    await bot.pass_change_window()
    from_app, from_chat = await bob.receive(), await dan.receive()
    assert says(from_app, texts.CHANGES_ONE, name="Alice")
    assert from_app["html"] == from_chat["html"].replace("Carol", "Alice")


async def test_settings_follow_the_same_rules_as_the_chat(journal_bot: JournalBot) -> None:
    alice = journal_bot.couples[0].first
    view = (await _call(journal_bot, "settings", alice)).json()
    on = [topic["id"] for topic in view["topics"] if topic["on"]]
    for topic in on[:-1]:
        assert (
            await _call(journal_bot, "settings", alice, {"change": "topic", "value": topic})
        ).status_code == 200
    last = await _call(journal_bot, "settings", alice, {"change": "topic", "value": on[-1]})
    assert last.status_code == 400 and last.json()["error"] == "last_topic"
    bad_changes = [
        {"change": "send_time", "value": "25:00"},
        {"change": "reminder_hours", "value": 5},
        {"change": "reminder_hours", "value": True},
        {"change": "quiet", "value": 9},
        {"change": "timezone", "value": "Mars/Olympus"},
        {"change": "drop", "value": 1},
    ]
    for bad in bad_changes:
        assert (await _call(journal_bot, "settings", alice, bad)).json()["error"] == "invalid"
    personal = await _call(journal_bot, "settings", alice, {"change": "reminders", "value": True})
    assert personal.json()["reminders"] is True


async def test_pausing_in_the_app_marks_today_paused_in_the_calendar(
    journal_bot: JournalBot,
) -> None:
    couple = journal_bot.couples[0]
    paused = await _call(journal_bot, "settings", couple.first, {"change": "pause", "value": "3d"})
    assert paused.json()["paused"] is True
    month = (await _call(journal_bot, "calendar", couple.second)).json()
    marks = dict(month["days"])
    assert marks[month["today"]] == "paused"
    for day in (couple.journal.paused[0], couple.journal.paused[1]):
        assert marks[day.isoformat()] == "paused"
    assert marks[couple.journal.open_day.isoformat()] == "open"
    assert marks[couple.journal.revealed[0].isoformat()] == "answered"
    earlier = (await _call(journal_bot, "calendar", couple.second, {"month": "2025-12"})).json()
    assert earlier["month"] == "2025-12" and len(earlier["days"]) == 31


async def test_one_person_flooding_the_api_is_slowed_and_others_are_not(
    journal_bot: JournalBot,
) -> None:
    alice, carol = journal_bot.couples[0].first, journal_bot.couples[1].first
    statuses: list[int] = []
    while 429 not in statuses and len(statuses) < 400:  # the bucket refills as calls go on
        statuses.append((await _call(journal_bot, "me", alice)).status_code)
    assert statuses[:50] == [200] * 50 and statuses[-1] == 429
    assert (await _call(journal_bot, "me", carol)).status_code == 200


async def test_the_chat_offers_the_app_in_the_menu_and_under_history_and_settings(
    journal_bot: JournalBot, api: FakeBotAPI
) -> None:
    assert api.menu_button["type"] == "web_app"
    assert api.menu_button["web_app"]["url"] == journal_bot.url
    alice = journal_bot.couples[0].first
    for command, url in (
        ("/history", journal_bot.url),
        ("/settings", journal_bot.url + "?tab=settings"),
    ):
        alice.unread()
        await alice.send(command)
        reply = await alice.receive()
        buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["web_app"]["url"] for b in buttons if "web_app" in b] == [url]


async def test_without_webapp_url_there_is_no_app_menu_button_or_app_button(
    bot: RunningBot, api: FakeBotAPI
) -> None:
    alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
    await pair_up(bot, alice, bob)
    await alice.send("/settings")
    reply = await alice.receive()
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons and not any("web_app" in b for b in buttons)
    assert api.menu_button == {"type": "default"}
    assert bot.runtime is not None and bot.runtime.ops is None


async def test_an_answer_written_in_the_app_is_revealed_like_one_written_in_the_chat(
    journal_bot: JournalBot,
) -> None:
    couple = journal_bot.couples[0]
    alice, bob = couple.first, couple.second
    question = (await _call(journal_bot, "today", alice)).json()["questions"][0]
    assert question["mine"] is None
    saved = await _call(
        journal_bot, "today", alice, {"prompt_id": question["id"], "answer": "Tea at dawn"}
    )
    assert saved.json()["outcome"] == "saved"
    assert saved.json()["questions"][0]["mine"] == "Tea at dawn"
    await journal_bot.bot.settle()
    assert all("Tea at dawn" not in text for text in bob.texts())  # nothing before Bob answers
    # Bob's question message, edited by now to show that Alice has answered.
    today = [m for m in bob.inbox if includes(m, texts.QUESTION) and not m.get("edited")][-1]
    assert includes(
        bob.api.chat(bob.id).messages[today["message_id"]],
        texts.STATUS_YOUR_TURN,
        partner="Alice",
    )
    await bob.reply(today, "Long walks")
    reveal = await alice.receive_until(lambda m: "Long walks" in (m.get("text") or ""))
    assert (
        "Tea at dawn"
        in (await bob.receive_until(lambda m: "Tea at dawn" in (m.get("text") or "")))[-1]["text"]
    )
    assert reveal
    newest = (await _call(journal_bot, "journal", alice)).json()["entries"][0]
    assert (newest["mine"]["text"], newest["theirs"]["text"]) == ("Tea at dawn", "Long walks")


async def test_an_answer_to_another_pairs_question_is_refused(journal_bot: JournalBot) -> None:
    ours, theirs = journal_bot.couples
    question = (await _call(journal_bot, "today", theirs.first)).json()["questions"][0]
    refused = await _call(
        journal_bot, "today", ours.first, {"prompt_id": question["id"], "answer": "sneaky"}
    )
    assert refused.status_code == 400
    async with journal_bot.bot.services.db.reading() as tx:
        assert all(a.user_id != ours.first.id for a in await tx.answers_to(question["id"]))


async def test_turning_the_app_off_takes_back_the_menu_button_an_earlier_run_set(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library
) -> None:
    api.menu_button = {"type": "web_app", "text": "Journal", "web_app": {"url": "https://x.org/"}}
    running = RunningBot(api, tmp_path / "nearer.sqlite3", clock, library)
    await running.start()
    await running.stop()
    assert api.menu_button == {"type": "default"}


async def test_the_logs_carry_no_answer_search_initdata_or_token_even_at_debug(
    journal_bot: JournalBot, api: FakeBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, sys.excepthook
    names = (
        "telegram",
        "aiosqlite",
        "httpx",
        "httpcore",
        "apscheduler",
        "telegram.ext.Application",
    )
    levels = {name: logging.getLogger(name).level for name in names}
    setup_logging("DEBUG", [api.token])
    try:
        couple = journal_bot.couples[0]
        alice = couple.first
        raw = journal_bot.init_data(alice)
        await _call(journal_bot, "journal", alice, {"search": "qxsecretsearch"})
        question = (await _call(journal_bot, "today", alice)).json()["questions"][0]
        body = {"prompt_id": question["id"], "answer": "qxsecretanswer"}
        await _call(journal_bot, "today", alice, body)
        voice = (await _whole_journal(journal_bot, alice, kind="voice"))[0]
        await _call(journal_bot, f"media/{voice['id']}/theirs", alice)
        await _call(journal_bot, "me", None, init_data=raw.replace("hash=", "hash=0"))
    finally:
        root.handlers[:], sys.excepthook = handlers, hook
        root.setLevel(level)
        for name, previous in levels.items():
            logging.getLogger(name).setLevel(previous)
    written = capsys.readouterr().err
    assert "mini app: user 1 answered" in written  # the bot's own lines, ids only
    for secret in ("qxsecretsearch", "qxsecretanswer", parse_qsl(raw)[-1][1], api.token):
        assert secret not in written


async def test_in_webhook_mode_one_port_serves_the_webhook_the_app_and_health(
    api: FakeBotAPI, tmp_path: Path, clock: FakeClock, library: Library
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    running = RunningBot(
        api, tmp_path / "nearer.sqlite3", clock, library,
        webhook_url=f"{base}/telegram", webhook_secret="s3cret", webhook_port=port,
        webapp_url=f"{base}/app/", health_port=port,
    )  # fmt: skip
    await running.start()
    try:
        alice, bob = api.user(1, "Alice"), api.user(2, "Bob")
        await pair_up(running, alice, bob)  # every update came through the webhook
        assert api.calls["getUpdates"] == 0
        jb = JournalBot(running, f"{base}/app/", [])
        me = await _call(jb, "me", alice)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{base}/healthz")
            page = await client.get(f"{base}/app/")
        assert me.json()["partner"] == "Bob"
        assert health.status_code == 200 and page.status_code == 200
    finally:
        await running.stop()


async def test_the_app_speaks_the_language_the_person_reads_in_the_chat(
    journal_bot: JournalBot,
) -> None:
    alice = journal_bot.couples[0].first
    raw = journal_bot.init_data(alice, language="de")
    me = (await _call(journal_bot, "me", None, init_data=raw)).json()
    german = journal_bot.bot.services.languages.get("de")
    assert me["texts"]["tab_journal"] == german.texts(texts.WEBAPP["tab_journal"]) != "Journal"
    entry = (await _call(journal_bot, "journal", None, init_data=raw)).json()["entries"][0]
    async with journal_bot.bot.services.db.reading() as tx:
        prompt = await tx.get_prompt(entry["id"])
    assert prompt is not None
    assert entry["question"] == german.wording.prompt_text(prompt) != prompt.text
    view = (await _call(journal_bot, "settings", None, init_data=raw)).json()
    assert view["options"]["frequencies"]["daily"] == german.texts(texts.FREQUENCY_NAMES["daily"])


async def test_choosing_a_language_in_the_app_is_the_same_choice_as_in_the_chat(
    journal_bot: JournalBot,
) -> None:
    carol = journal_bot.couples[1].first
    view = (await _call(journal_bot, "settings", carol)).json()
    assert view["language"] == "en" and "ru" in view["options"]["languages"]
    chosen = await _call(journal_bot, "settings", carol, {"change": "language", "value": "ru"})
    assert chosen.json()["language"] == "ru"
    russian = journal_bot.bot.services.languages.get("ru")
    me = (await _call(journal_bot, "me", carol)).json()
    assert me["texts"]["tab_settings"] == russian.texts(texts.WEBAPP["tab_settings"])
    carol.unread()
    await carol.send("/help")
    assert says(await carol.receive(), texts.HELP, lang="ru")
    refused = await _call(journal_bot, "settings", carol, {"change": "language", "value": "xx"})
    assert refused.json()["error"] == "invalid"


async def test_an_opt_in_topic_asked_for_in_the_app_waits_for_the_partners_yes(
    journal_bot: JournalBot,
) -> None:
    couple = journal_bot.couples[1]
    view = (await _call(journal_bot, "settings", couple.first)).json()
    topic = next(t for t in view["topics"] if t["sensitive"] and not t["on"])
    asked = await _call(
        journal_bot, "settings", couple.first, {"change": "topic", "value": topic["id"]}
    )
    assert asked.json()["notice"] == texts.CONSENT_ASKED
    assert not next(t for t in asked.json()["topics"] if t["id"] == topic["id"])["on"]
    await journal_bot.bot.settle()
    async with journal_bot.bot.services.db.reading() as tx:
        consents = await tx.topic_consents(couple.pair.id, topic["id"])
    assert consents == {couple.first.id}


async def test_the_guess_tally_shows_once_a_guess_was_judged(journal_bot: JournalBot) -> None:
    couple = journal_bot.couples[0]
    assert (await _call(journal_bot, "me", couple.first)).json()["guesses"] is None
    entries = (await _call(journal_bot, "journal", couple.first)).json()["entries"][:3]
    now = journal_bot.bot.clock()
    async with journal_bot.bot.services.db.transaction() as tx:
        for index, entry in enumerate(entries):
            await tx.save_guess(entry["id"], couple.first.id, "a guess", 90_000 + index, now)
            await tx.set_guess_verdict(entry["id"], couple.first.id, right=index != 1)
    me = (await _call(journal_bot, "me", couple.second)).json()
    assert says({"text": me["guesses"]}, texts.GUESS_TALLY, right=2, judged=3)


async def test_the_pair_options_of_settings_are_in_the_app_too(journal_bot: JournalBot) -> None:
    carol = journal_bot.couples[1].first
    for change, value in (("stage", "long_term"), ("pace", "twice_a_week"), ("apart", True)):
        view = await _call(journal_bot, "settings", carol, {"change": change, "value": value})
        assert view.json()[change] == value
    warmer = await _call(journal_bot, "settings", carol, {"change": "heat", "value": "spicy"})
    assert warmer.json()["notice"] == texts.CONSENT_ASKED and warmer.json()["heat"] == "mild"
    bad = await _call(journal_bot, "settings", carol, {"change": "stage", "value": "forever"})
    assert bad.json()["error"] == "invalid"
    topic = next(iter(key for key in warmer.json()["options"]["series"] if key))
    series = await _call(journal_bot, "settings", carol, {"change": "series", "value": topic})
    assert series.json()["series"] == topic and series.json()["notice"] == texts.SERIES_STARTED
    day = await _call(
        journal_bot, "settings", carol, {"change": "anniversary", "value": "2019-06-14"}
    )
    assert day.json()["anniversary"] == "2019-06-14"
    for wrong in ("2019-02-30", "3000-01-01", "soon"):
        refused = await _call(
            journal_bot, "settings", carol, {"change": "anniversary", "value": wrong}
        )
        assert refused.json()["error"] == "invalid"
