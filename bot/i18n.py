"""The partners' own languages: one language's texts, and which language a person reads.

English is the source: the constants in `bot.texts` are the message ids. Each other language is a
gettext catalogue, `bot/locales/<code>/LC_MESSAGES/messages.po`, read with Babel when the bot
starts; `python -m bot i18n extract` writes the template, `bot/locales/messages.pot`, from
`bot.texts`. A text without a translation falls back to English. Dates and weekdays are written
per language with Babel.

A language is offered (to /language and to Telegram's `language_code`) only when its interface
catalogue and its content are complete; `bot.content` checks the content side.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from babel import Locale
from babel.dates import format_date, format_skeleton, get_timezone_location
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot import texts
from bot.content import DEFAULT_CONTENT_DIR, Library
from bot.domain.languages import resolve
from bot.domain.models import Exercise, Prompt, Schedule
from bot.domain.schedule import local_date
from bot.localized import (
    Translation,
    Wording,
    available_codes,
    load_translation,
    translation_problems,
)
from bot.texts import Plural, esc

SOURCE = "en"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
TEMPLATE = LOCALES_DIR / "messages.pot"
DOMAIN = "messages"
# Constants in bot.texts that are not shown to partners, or not words.
NOT_TRANSLATED = frozenset({"TELEGRAM_TEXT_LIMIT", "STATS", "EXPORT_FILENAME", "REACT_HEART"})


# The template ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    """One translatable text of the catalogue, with the name it has in `bot.texts`."""

    name: str
    text: str | Plural


def source_texts() -> Iterator[SourceText]:
    """Every translatable text in `bot.texts`, in the order they are written there."""
    for name, value in vars(texts).items():
        if not name.isupper() or name in NOT_TRANSLATED:
            continue
        if isinstance(value, (str, Plural)):
            yield SourceText(name, value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                key_name = getattr(key, "value", key)
                yield SourceText(f"{name}[{key_name}]", item)
        elif isinstance(value, tuple):
            for command, description in value:
                yield SourceText(f"{name}[{command}]", description)


def template() -> Catalog:
    """The gettext template of every interface text, English being the message ids."""
    catalog = Catalog(
        project="Nearer",
        domain=DOMAIN,
        locale=None,
        fuzzy=False,
        header_comment=(
            "# Nearer's interface texts. English (bot/texts.py) is the source; each comment\n"
            "# names the constant. Regenerate with: python -m bot i18n extract"
        ),
    )
    for source in source_texts():
        msgid: str | tuple[str, str] = (
            (source.text.one, source.text.other)
            if isinstance(source.text, Plural)
            else source.text
        )
        existing = catalog.get(msgid)
        if existing is not None:
            existing.auto_comments.append(source.name)
            continue
        catalog.add(msgid, auto_comments=[source.name])
    return catalog


def template_text() -> str:
    """The template as .pot text, without the creation date (so it is stable in git)."""
    buffer = io.BytesIO()
    write_po(buffer, template(), omit_header=False, width=99, no_location=True)
    lines = buffer.getvalue().decode().splitlines(keepends=True)
    dated = ('"POT-Creation-Date', '"PO-Revision-Date')
    return "".join(line for line in lines if not line.startswith(dated))


# One language's texts --------------------------------------------------------------------------


class Texts:
    """The interface texts in one language; English when there is no catalogue for it.

    `t(texts.SAVED, partner=name)` translates a catalogue constant and fills it in; plural texts
    go through `t.count(texts.STREAK, n)`.
    """

    def __init__(self, code: str, translations: gettext.NullTranslations | None = None) -> None:
        self.code = code
        self._translations = translations or gettext.NullTranslations()
        self.locale = Locale.parse(code)
        self._dates = Locale.parse("en_GB") if code == SOURCE else self.locale

    def __call__(self, source: str, /, **params: Any) -> str:
        text = self._translations.gettext(source) if source else source
        return text.format(**params) if params else text

    def count(self, source: Plural, number: int, /, **params: Any) -> str:
        """A text whose words depend on a number, e.g. '1 question' and '5 questions'."""
        text = self._translations.ngettext(source.one, source.other, number)
        return text.format(count=number, **params)

    # Composed texts ----------------------------------------------------------------------------

    def city(self, zone: str) -> str:
        """A zone's city as this language names it ('Nueva York'); the zone itself if none."""
        if "/" not in zone:
            return esc(zone)
        try:
            return esc(get_timezone_location(zone, locale=self._dates, return_city=True))
        except (LookupError, ValueError):
            return esc(zone.rsplit("/", 1)[-1].replace("_", " "))

    def when(self, schedule: Schedule) -> str:
        """Say when a pair's question comes, e.g. '09:00 (Europe/Berlin)'."""
        return f"{schedule.send_time.strftime('%H:%M')} ({esc(schedule.timezone)})"

    def date(self, day: dt.date, *, weekday: bool = True, year: bool = False) -> str:
        """A date as this language writes it: 'Thursday 24 December' (with `weekday`, the
        language's full form elsewhere, e.g. 'jueves, 24 de diciembre de 2026'), or short,
        '24 Dec 2026'."""
        if not weekday:
            return format_skeleton("yMMMd", day, locale=self._dates)
        if self.code == SOURCE:  # British English, as the catalogue is written
            return format_date(day, "EEEE d MMMM y" if year else "EEEE d MMMM", locale=self._dates)
        return format_date(day, "full", locale=self._dates)

    def day_label(self, moment: dt.datetime, timezone: str, now: dt.datetime) -> str:
        """A send moment relative to today in the zone: 'today', 'tomorrow' or a date."""
        day = local_date(moment, timezone)
        today = local_date(now, timezone)
        if day == today:
            return self(texts.DAY_TODAY)
        if day == today + dt.timedelta(days=1):
            return self(texts.DAY_TOMORROW)
        return self.date(day)

    def next_time(self, moment: dt.datetime | None, schedule: Schedule, now: dt.datetime) -> str:
        """The next send moment, e.g. 'tomorrow at 09:00 (Europe/Berlin)'."""
        if moment is None:
            return self(texts.NEXT_ONCE_RESUMED)
        return self(
            texts.NEXT_AT,
            day=self.day_label(moment, schedule.timezone, now),
            when=self.when(schedule),
        )

    def paired(self, partner: str, schedule: Schedule) -> str:
        """The message that tells someone they are now paired."""
        return self(texts.PAIRED, partner=esc(partner), when=self.when(schedule))

    def question(self, text: str, partner: str, author: str | None = None) -> str:
        """A daily question message; `text` is already in this language."""
        if author is not None:
            return self(texts.QUESTION_FROM_PARTNER, question=esc(text), author=esc(author))
        return self(texts.QUESTION, question=esc(text), partner=esc(partner))

    def exercise(self, item: Exercise, *, apart: bool = False) -> str:
        """An exercise message; `item` is already in this language (its version for couples
        apart when they are and it has one)."""
        how_to = getattr(item, "apart_how_to", "") if apart else ""
        return self(
            texts.EXERCISE,
            title=esc(item.title),
            minutes=item.minutes,
            how_to=esc(how_to or item.how_to),
        )

    @cached_property
    def language_name(self) -> str:
        """The language's own name for itself, as it is written in a sentence: 'Deutsch',
        'español', 'português (Brasil)'."""
        return self.locale.get_display_name(self.locale) or self.code

    @cached_property
    def language_label(self) -> str:
        """The language's own name on a button: 'Español'."""
        return self.language_name[:1].upper() + self.language_name[1:]


def _translations(path: Path) -> tuple[gettext.GNUTranslations, Catalog]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer), catalog


@dataclass
class Catalogues:
    """Every language's interface texts, read once at start-up."""

    by_code: dict[str, Texts] = field(default_factory=dict)
    # code -> what keeps it from being complete: untranslated texts, placeholders or tags
    # that differ from English
    missing: dict[str, list[str]] = field(default_factory=dict)

    def texts(self, code: str) -> Texts:
        return self.by_code.get(code) or self.by_code[SOURCE]

    @property
    def complete(self) -> frozenset[str]:
        """Codes of the languages whose every interface text is translated."""
        return frozenset(code for code in self.by_code if not self.missing.get(code))


def load_catalogues(directory: Path = LOCALES_DIR) -> Catalogues:
    """Read every `<code>/LC_MESSAGES/messages.po` below `directory`, English always included."""
    result = Catalogues(by_code={SOURCE: Texts(SOURCE)})
    wanted = list(source_texts())
    for path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        code = path.parent.parent.name
        translations, catalog = _translations(path)
        result.by_code[code] = Texts(code, translations)
        result.missing[code] = [
            f"{s.name} {problem}" for s in wanted for problem in _problems(catalog, s.text)
        ]
    return result


_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
_TAG = re.compile(r"</?(?:b|i|code|u|s)>")


def _problems(catalog: Catalog, source: str | Plural) -> list[str]:
    """What is wrong with the translation of `source`: missing, or placeholders or HTML tags
    that differ from English (a translation may leave out {count} in its singular form)."""
    msgid = source.one if isinstance(source, Plural) else source
    message = catalog.get(msgid)
    if message is None or message.fuzzy:
        return ["is not translated"]
    english = (source.one, source.other) if isinstance(source, Plural) else (source,)
    raw = message.string
    strings = tuple(str(x) for x in raw) if isinstance(raw, (tuple, list)) else (str(raw or ""),)
    if not strings or not all(strings):
        return ["is not translated"]
    problems = []
    wanted = set(_PLACEHOLDER.findall(english[-1]))
    for text in strings:
        found = set(_PLACEHOLDER.findall(text))
        if found - wanted or (wanted - found) - {"{count}"}:
            problems.append(f"has placeholders {sorted(found)}, English {sorted(wanted)}")
        if sorted(_TAG.findall(text)) != sorted(_TAG.findall(english[-1])):
            problems.append("has HTML tags that differ from English")
    return problems


@cache
def _city_zones(codes: tuple[str, ...]) -> dict[str, str]:
    """City name (in each language, case-folded) -> the zone named after it."""
    found: dict[str, str] = {}
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    for code in codes:
        locale = Locale.parse(code)
        for zone in zones:
            city = get_timezone_location(zone, locale=locale, return_city=True)
            found.setdefault(" ".join(city.split()).casefold(), zone)
    return found


ENGLISH = Texts(SOURCE)


# Languages: interface texts and content together ---------------------------------------------


@dataclass(frozen=True)
class Language:
    """Everything one language needs to write to a person: interface texts and the content."""

    code: str
    texts: Texts
    wording: Wording

    def prompt_text(self, prompt: Prompt) -> str:
        """A sent question's words for this reader: the library's translation of it, what a
        partner wrote with /ask, or the placeholder left for a deleted one, translated."""
        if prompt.text == texts.DELETED_QUESTION:
            return self.texts(texts.DELETED_QUESTION)
        return self.wording.prompt_text(prompt)


class Languages:
    """The languages the bot offers: English, and every one complete in texts and content."""

    def __init__(
        self,
        library: Library,
        catalogues: Catalogues | None = None,
        translations: Mapping[str, Translation] | None = None,
        *,
        strict: bool = False,
    ) -> None:
        catalogues = catalogues or Catalogues(by_code={SOURCE: ENGLISH})
        translations = translations or {}
        self.problems: dict[str, list[str]] = {}
        self._by_code: dict[str, Language] = {SOURCE: Language(SOURCE, ENGLISH, Wording(library))}
        for code in sorted(set(catalogues.by_code) | set(translations)):
            if code == SOURCE:
                continue
            problems = [f"{code}: text {problem}" for problem in catalogues.missing.get(code, [])]
            if code not in catalogues.by_code:
                problems.append(f"{code}: there is no bot/locales/{code}/LC_MESSAGES/messages.po")
            translation = translations.get(code)
            if translation is None:
                problems.append(f"{code}: there is no content/i18n/{code}/")
            else:
                problems.extend(translation_problems(library, translation, extras=strict))
            self.problems[code] = problems
            if not problems and translation is not None:
                self._by_code[code] = Language(
                    code, catalogues.texts(code), Wording(library, translation)
                )

    @property
    def offered(self) -> tuple[str, ...]:
        """English first, then the others by code."""
        return (SOURCE, *sorted(c for c in self._by_code if c != SOURCE))

    def get(self, code: str | None) -> Language:
        return self._by_code.get(code or SOURCE) or self._by_code[SOURCE]

    def for_person(self, chosen: str | None, reported: str | None) -> Language:
        """The language a person reads (see `bot.domain.languages.resolve`)."""
        return self.get(resolve(chosen, reported, self.offered, SOURCE))

    def zone_for_city(self, name: str) -> str | None:
        """The time zone of a city named in any offered language ('Múnich' is not one, but
        'Nueva York', 'Мюнхен'... are when the zone is named after them): Babel's city names."""
        return _city_zones(tuple(self.offered)).get(" ".join(name.split()).casefold())

    def texts_for(self, chosen: str | None, reported: str | None) -> Texts:
        return self.for_person(chosen, reported).texts

    @classmethod
    def load(
        cls,
        library: Library,
        content_dir: Path = DEFAULT_CONTENT_DIR,
        locales_dir: Path = LOCALES_DIR,
        *,
        strict: bool = False,
    ) -> Languages:
        """Read every language's catalogue and content translation (`strict`: the content
        check's reading, where words for entries the library lacks are a problem too)."""
        translations = {
            code: load_translation(code, content_dir) for code in available_codes(content_dir)
        }
        return cls(library, load_catalogues(locales_dir), translations, strict=strict)
