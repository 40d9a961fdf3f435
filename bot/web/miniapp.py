"""The Mini App over HTTP: its page and assets, and a small JSON API.

Every API call carries Telegram's initData (`Authorization: tma <initData>`), checked on each
request; the person it names is the only one whose pair the call reads or changes. Calls are
POST with JSON bodies, so search words never appear in a URL (nor in an access log).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from telegram.error import TelegramError

from bot import texts
from bot.context import NearerApp
from bot.domain.allowance import Allowance, AllowanceBook, Kind, Verdict
from bot.domain.models import AnswerKind, DepthPreference, Frequency, HistoryEntry
from bot.domain.parsing import ParseError, parse_send_time, parse_timezone
from bot.domain.selection import category_is_on
from bot.i18n import Language
from bot.usecases import answers, common, journal, pause, settings
from bot.usecases.common import Services
from bot.web.initdata import InitDataError, WebAppUser, validate_init_data

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
# A person opening the journal fetches a handful of pages and pictures at once; a script
# hammering the API is slowed to four calls a second.
WEB_ALLOWANCE = Allowance(burst=60, refill_seconds=0.25)
MAX_BODY = 4096
MEDIA_TYPES = {
    AnswerKind.VOICE: "audio/ogg",
    AnswerKind.VIDEO_NOTE: "video/mp4",
    AnswerKind.PHOTO: "image/jpeg",
}
# Only this server's own files run; nothing is fetched from elsewhere. Telegram's web client
# shows Mini Apps in a frame, its other clients in a web view.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:;"
    " media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; base-uri 'none';"
    " form-action 'none'; frame-ancestors https://web.telegram.org"
)
TEXTS_MARK = '<script type="application/json" id="texts"></script>'


class MiniApp:
    """The Mini App's routes and what they share."""

    def __init__(self, app: NearerApp, services: Services, url: str) -> None:
        self.app = app
        self.services = services
        path = urlsplit(url).path or "/"
        self.prefix = path if path.endswith("/") else path + "/"
        self.allowances = AllowanceBook({Kind.ACTION: WEB_ALLOWANCE})
        page = (STATIC / "index.html").read_text()
        embedded = json.dumps(texts.WEBAPP, ensure_ascii=False).replace("</", "<\\/")
        self.index = page.replace(
            TEXTS_MARK, f'<script type="application/json" id="texts">{embedded}</script>'
        )

    def routes(self) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
        """The URL patterns of the page, its assets and the API."""
        p, mine = self.prefix, {"miniapp": self}
        return [
            (p, _PageHandler, mine),
            (p + r"static/([a-z]+\.(?:js|css|svg))", _AssetHandler, {"path": str(STATIC)}),
            (p + r"api/me", _MeHandler, mine),
            (p + r"api/journal", _JournalHandler, mine),
            (p + r"api/calendar", _CalendarHandler, mine),
            (p + r"api/settings", _SettingsHandler, mine),
            (p + r"api/today", _TodayHandler, mine),
            (p + r"api/media/([0-9]{1,18})/(mine|theirs)", _MediaHandler, mine),
        ]


def _secure(handler: tornado.web.RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.set_header("Cross-Origin-Resource-Policy", "same-origin")


class _PageHandler(tornado.web.RequestHandler):
    def initialize(self, miniapp: MiniApp) -> None:
        self.miniapp = miniapp

    def set_default_headers(self) -> None:
        _secure(self)
        self.set_header("Cache-Control", "no-cache")

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.miniapp.index)


class _AssetHandler(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        _secure(self)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")  # revalidated by ETag: cheap, never stale


class _ApiHandler(tornado.web.RequestHandler):
    """Checks initData and the person's allowance before any method runs."""

    user: WebAppUser

    def initialize(self, miniapp: MiniApp) -> None:
        self.miniapp = miniapp
        self.services = miniapp.services

    def set_default_headers(self) -> None:
        _secure(self)
        self.set_header("Cache-Control", "no-store")

    def _refuse(self, status: int, error: str) -> None:
        self.set_status(status)
        self.finish({"error": error})

    async def prepare(self) -> None:
        scheme, _, raw = self.request.headers.get("Authorization", "").partition(" ")
        token = self.services.settings.bot_token.get_secret_value()
        try:
            if scheme.lower() != "tma":
                raise InitDataError("no tma authorization")
            self.user = validate_init_data(raw, token, self.services.clock())
        except InitDataError as error:
            log.info("mini app: refused a request to %s (%s)", self.request.path, error)
            self._refuse(401, "refused")
            return
        verdict = self.miniapp.allowances.take(self.user.user_id, Kind.ACTION, time.monotonic())
        if verdict is not Verdict.HANDLE:
            log.info("mini app: user %d is over their allowance", self.user.user_id)
            self.set_header("Retry-After", str(int(WEB_ALLOWANCE.silence_seconds())))
            self._refuse(429, "slow_down")
            return
        if len(self.request.body) > MAX_BODY:
            self._refuse(413, "invalid")

    async def language(self) -> Language:
        """The language the person reads, as in the chat."""
        return await settings.language_for(
            self.services, self.user.user_id, self.user.language_code
        )

    def body(self) -> dict[str, Any]:
        """The JSON object posted, or {} when there is none or it is not an object."""
        try:
            value = json.loads(self.request.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def text_field(self, body: dict[str, Any], key: str) -> str:
        value = body.get(key)
        return value if isinstance(value, str) else ""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish({"error": "failed"})


def _entry_json(services: Services, entry: HistoryEntry, language: Language) -> dict[str, Any]:
    category = None
    if entry.prompt.author_id is not None:
        category = journal.PARTNER_WRITTEN
    elif entry.prompt.content_id is not None:
        question = services.library.questions_by_id.get(entry.prompt.content_id)
        category = question.category if question is not None else None

    def answer(value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"kind": value.kind.value, "text": value.text, "media": bool(value.file_id)}

    return {
        "id": entry.prompt.id,
        "date": entry.prompt.local_date.isoformat(),
        "question": language.prompt_text(entry.prompt),
        "category": category,
        "partner": entry.partner_name,
        "mine": answer(entry.mine),
        "theirs": answer(entry.theirs),
    }


class _MeHandler(_ApiHandler):
    async def post(self) -> None:
        view = await journal.overview(self.services, self.user.user_id)
        if view is None:
            t = (await self.language()).texts
            self.finish(
                {"paired": False, "texts": {key: t(text) for key, text in texts.WEBAPP.items()}}
            )
            return
        language = await self.language()
        t, wording = language.texts, language.wording
        categories = [
            {"id": c.id, "name": (wording.category(c.id) or c).name}
            for c in self.services.library.categories.values()
        ]
        self.finish(
            {
                "paired": True,
                "texts": {key: t(text) for key, text in texts.WEBAPP.items()},
                "me": view.person.first_name,
                "partner": view.partner.first_name,
                "streak": view.streak,
                # The guess-your-partner tally, once one of them has judged a guess.
                "guesses": (
                    t(texts.GUESS_TALLY, right=view.guesses[0], judged=view.guesses[1])
                    if view.guesses[1]
                    else None
                ),
                "categories": categories,
                "kinds": [kind.value for kind in AnswerKind],
            }
        )


class _JournalHandler(_ApiHandler):
    async def post(self) -> None:
        body = self.body()
        narrowed = journal.journal_filter(
            self.services,
            self.text_field(body, "search"),
            self.text_field(body, "category"),
            self.text_field(body, "kind"),
        )
        cursor = self.text_field(body, "cursor") or None
        page = await journal.journal(self.services, self.user.user_id, narrowed, cursor)
        language = await self.language()
        entries = [_entry_json(self.services, entry, language) for entry in page.entries]
        self.finish({"entries": entries, "next": page.next_cursor})


class _CalendarHandler(_ApiHandler):
    async def post(self) -> None:
        raw = self.text_field(self.body(), "month")
        wanted = None
        try:
            wanted = dt.date.fromisoformat(f"{raw}-01") if raw else None
        except ValueError:
            self._refuse(400, "invalid")
            return
        month = await journal.month(self.services, self.user.user_id, wanted)
        streak = await journal.overview(self.services, self.user.user_id)
        if month is None or streak is None:
            self._refuse(409, "not_paired")
            return
        self.finish(
            {
                "month": month.first.strftime("%Y-%m"),
                "today": month.today.isoformat(),
                "days": [[day.isoformat(), mark.value] for day, mark in month.days],
                "streak": streak.streak,
            }
        )


def _quiet_label(start: dt.time, end: dt.time) -> str:
    return "" if start == end else f"{start.strftime('%H:%M')}–{end.strftime('%H:%M')}"


async def settings_view(
    services: Services, user_id: int, language: Language
) -> dict[str, Any] | None:
    """Everything the settings page shows, as /settings shows it; None when not paired."""
    view = await common.pairing_of(services, user_id)
    if view is None:
        return None
    pair, person = view.pair, view.person
    t, wording = language.texts, language.wording
    topics = [
        {
            "id": c.id,
            "name": (wording.category(c.id) or c).name,
            "sensitive": c.sensitive,
            "on": category_is_on(c, pair.preferences),
        }
        for c in services.library.categories.values()
    ]
    quiet = [_quiet_label(*map(dt.time.fromisoformat, p)) for p in settings.QUIET_PRESETS]
    own = person.clock(pair)  # one's own time and zone, as /settings shows them
    return {
        "send_time": own.send_time.strftime("%H:%M"),
        "timezone": own.timezone,
        "frequency": pair.schedule.frequency.value,
        "depth": pair.preferences.depth.value,
        "topics": topics,
        "reminders": person.reminders_on,
        "reminder_hours": person.reminder_hours,
        "nudges": person.nudges_on,
        "quiet": _quiet_label(person.quiet_start, person.quiet_end),
        "language": language.code,
        "apart": pair.apart,
        "stage": pair.stage or "",
        "pace": pair.sensitive_pace,
        "heat": pair.heat,
        "series": pair.series or "",
        "anniversary": pair.anniversary.isoformat() if pair.anniversary else "",
        "labels": {
            "series": t(texts.SETTINGS_BUTTON_SERIES),
            "apart": t(texts.SETTINGS_BUTTON_APART, state="").rstrip(": "),
            "stage": t(texts.SETTINGS_BUTTON_STAGE),
            "pace": t(texts.SETTINGS_BUTTON_PACE),
            "heat": t(texts.SETTINGS_BUTTON_HEAT),
        },
        "paused": pair.paused,
        "pause_ends_at": pair.pause_ends_at.isoformat() if pair.pause_ends_at else None,
        "partner": view.partner.first_name,
        "options": {
            "times": list(settings.TIMES),
            "zones": list(settings.ZONES),
            "frequencies": {key: t(name) for key, name in texts.FREQUENCY_NAMES.items()},
            "depths": {key: t(name) for key, name in texts.DEPTH_NAMES.items()},
            "reminder_hours": list(settings.REMINDER_HOURS),
            "quiet": quiet,
            "stages": {key: t(name) for key, name in texts.STAGE_NAMES.items()},
            "paces": {key: t(name) for key, name in texts.PACE_NAMES.items()},
            "heats": {key: t(name) for key, name in texts.HEAT_NAMES.items()},
            # A short series runs on a topic the pair has on; "" ends the one running.
            "series": {
                "": t(texts.SERIES_STOP) if pair.series else t(texts.QUIET_OFF),
                **{
                    c.id: (wording.category(c.id) or c).name
                    for c in services.library.categories.values()
                    if category_is_on(c, pair.preferences)
                },
            },
            "languages": {
                code: services.languages.get(code).texts.language_label
                for code in services.languages.offered
            },
        },
    }


# What turning an opt-in topic on or off did, said as /settings says it.
TOPIC_NOTICES = {
    settings.SettingOutcome.ASKED: texts.CONSENT_ASKED,
    settings.SettingOutcome.WITHDRAWN: texts.CONSENT_WITHDRAWN,
    settings.SettingOutcome.TURNED_ON: texts.CONSENT_DONE,
    settings.SettingOutcome.TURNED_OFF: texts.CONSENT_TURNED_OFF,
}


SERIES_NOTICES = {
    settings.SettingOutcome.TURNED_ON: texts.SERIES_STARTED,
    settings.SettingOutcome.TURNED_OFF: texts.SERIES_STOPPED,
    settings.SettingOutcome.CHANGED: "",
}


async def apply_setting(
    services: Services, user_id: int, name: str, value: Any
) -> tuple[str | None, str]:
    """Change one setting through the use cases /settings and the commands use; return an
    error key for the page (None when it was applied) and a catalogue text to show, if any."""
    view = await common.pairing_of(services, user_id)
    if view is None:
        return "not_paired", ""
    said = ""
    text = value if isinstance(value, str) else ""
    number = value if isinstance(value, int) and not isinstance(value, bool) else -1
    try:
        if name == "send_time":
            await settings.change_schedule(services, user_id, send_time=parse_send_time(text))
        elif name == "timezone":
            await settings.change_schedule(services, user_id, timezone=parse_timezone(text))
        elif name == "frequency" and text in {f.value for f in Frequency}:
            await settings.change_schedule(services, user_id, frequency=Frequency(text))
        elif name == "depth" and text in {d.value for d in DepthPreference}:
            depth = DepthPreference(text)
            await settings.change_preferences(services, user_id, view.pair.id, depth=depth)
        elif name == "topic":
            outcome = await settings.change_preferences(
                services, user_id, view.pair.id, toggle_category=text
            )
            if outcome is settings.SettingOutcome.REFUSED:
                return "last_topic", ""
            if outcome is not settings.SettingOutcome.CHANGED and outcome not in TOPIC_NOTICES:
                return "invalid", ""
            said = TOPIC_NOTICES.get(outcome, "")
        elif name == "heat" and text in settings.HEATS:
            outcome = await settings.change_heat(services, user_id, view.pair.id, text)
            if outcome is not settings.SettingOutcome.CHANGED and outcome not in TOPIC_NOTICES:
                return "invalid", ""
            said = TOPIC_NOTICES.get(outcome, "")
        elif name == "pace" and text in settings.PACES:
            await settings.change_pair_options(services, user_id, view.pair.id, pace=text)
        elif name == "stage" and isinstance(value, str) and value in settings.STAGES:
            await settings.change_pair_options(services, user_id, view.pair.id, stage=value)
        elif name == "series" and isinstance(value, str):
            outcome = await settings.choose_series(services, user_id, view.pair.id, value or None)
            if outcome not in SERIES_NOTICES:
                return "invalid", ""
            said = SERIES_NOTICES[outcome]
        elif name == "anniversary":
            day = dt.date.fromisoformat(text) if len(text) == 10 else None
            if day is None or not dt.date(1900, 1, 1) <= day <= services.clock().date():
                return "invalid", ""
            await settings.change_pair_options(services, user_id, view.pair.id, anniversary=day)
        elif name == "apart" and isinstance(value, bool):
            await settings.change_pair_options(services, user_id, view.pair.id, apart=value)
        elif name == "reminders" and isinstance(value, bool):
            await settings.change_personal(services, user_id, reminders_on=value)
        elif name == "nudges" and isinstance(value, bool):
            await settings.change_personal(services, user_id, nudges_on=value)
        elif name == "reminder_hours" and number in settings.REMINDER_HOURS:
            await settings.change_personal(services, user_id, reminder_hours=number)
        elif name == "quiet" and 0 <= number < len(settings.QUIET_PRESETS):
            start, end = settings.QUIET_PRESETS[number]
            quiet = (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
            await settings.change_personal(services, user_id, quiet=quiet)
        elif name == "language":
            if await settings.choose_language(services, user_id, text) is None:
                return "invalid", ""
        elif name == "pause" and text in ("", "3d", "2w"):
            result = await pause.pause(services, user_id, text)
            if result.outcome is pause.PauseOutcome.BAD_ARGUMENT:
                return "invalid", ""
        elif name == "resume":
            result = await pause.resume(services, user_id)
            if result.outcome is pause.PauseOutcome.PARTNER_AWAY:
                return "partner_away", ""
        else:
            return "invalid", ""
    except (ParseError, ValueError):
        return "invalid", ""
    return None, said


class _SettingsHandler(_ApiHandler):
    async def post(self) -> None:
        body = self.body()
        name = body.get("change")
        said = ""
        if isinstance(name, str):
            error, said = await apply_setting(
                self.services, self.user.user_id, name, body.get("value")
            )
            if error is not None:
                log.info("mini app: user %d: setting %s not changed", self.user.user_id, name)
                self._refuse(409 if error == "not_paired" else 400, error)
                return
            log.info("mini app: user %d changed %s", self.user.user_id, name)
        language = await self.language()
        view = await settings_view(self.services, self.user.user_id, language)
        if view is None:
            self._refuse(409, "not_paired")
            return
        if isinstance(name, str) and said:
            view["notice"] = language.texts(said, partner=view["partner"])
        self.finish(view)


class _TodayHandler(_ApiHandler):
    """The open questions with the person's own answer; posting `answer` to one saves it
    through the same use case as an answer written in the chat."""

    async def post(self) -> None:
        body = self.body()
        prompt_id, text = body.get("prompt_id"), body.get("answer")
        outcome = None
        if isinstance(prompt_id, int) and isinstance(text, str):
            result = await answers.answer_in_app(self.services, self.user.user_id, prompt_id, text)
            log.info("mini app: user %d answered: %s", self.user.user_id, result.outcome.name)
            if result.outcome not in _ANSWER_TAKEN:
                self._refuse(400, "invalid")
                return
            outcome = result.outcome.name.lower()
        found = await answers.open_questions(self.services, self.user.user_id)
        language = await self.language()
        self.finish(
            {
                "questions": [
                    {
                        "id": prompt.id,
                        "date": prompt.local_date.isoformat(),
                        "question": language.prompt_text(prompt),
                        "mine": mine.text if mine else None,
                    }
                    for prompt, mine in found
                ],
                "outcome": outcome,
            }
        )


_ANSWER_TAKEN = {
    answers.AnswerOutcome.SAVED,
    answers.AnswerOutcome.REPLACED,
    answers.AnswerOutcome.REVEALED,
}


class _MediaHandler(_ApiHandler):
    """A voice note, video note or photo answer, fetched from Telegram with getFile and passed
    on: the page never sees a Telegram URL (which would carry the bot token)."""

    async def post(self, prompt_id: str, whose: str) -> None:
        answer = await journal.playable_answer(
            self.services, self.user.user_id, int(prompt_id), whose == "mine"
        )
        if answer is None or answer.file_id is None:
            self._refuse(404, "invalid")
            return
        try:
            file = await self.miniapp.app.bot.get_file(answer.file_id)
            data = await file.download_as_bytearray()
        except TelegramError as error:
            log.warning(
                "mini app: prompt %s media not fetched (%s)", prompt_id, type(error).__name__
            )
            self._refuse(502, "failed")
            return
        self.set_header("Content-Type", MEDIA_TYPES[answer.kind])
        self.set_header("Cache-Control", "private, no-store")
        self.finish(bytes(data))
