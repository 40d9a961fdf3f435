"""Recognise which catalogue message a fake user received, in any language the bot speaks.

Tests ask `says(message, texts.SAVED)` instead of looking for English words, so a translation or
a reworded sentence breaks no test while a wrong message still fails. A template matches when
its fixed words and tags are there exactly and its placeholders are filled with anything; a
placeholder named twice must be filled the same both times. Keywords pin a placeholder to what
the reader should see (`partner="Bob"`, `count=3`). The HTML the bot sent is compared when the
fake kept it; a caption or a button's answer has only plain text, and is compared with the
template's plain text.

Other languages come straight from the translators' files, `bot/locales/<code>/LC_MESSAGES/
messages.po`, read with Babel (not through the bot's own catalogue code).
"""

from __future__ import annotations

import gettext
import html
import re
import string
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from bot.texts import Plural

Message = Mapping[str, Any]
Template = str | Plural

SOURCE = "en"
_TAG = re.compile(r"<[^>]*>")


def says(message: Message, template: Template, /, *, lang: str = SOURCE, **values: Any) -> bool:
    """Whether the whole of `message` is `template` (in `lang`), its placeholders filled."""
    return _match(message, template, lang, values, whole=True) is not None


def includes(
    message: Message, template: Template, /, *, lang: str = SOURCE, **values: Any
) -> bool:
    """Whether `template` (in `lang`) is part of `message`: a note before a question, a
    reveal's header before the answer, one change in a partner's notice, a line of /today."""
    return _match(message, template, lang, values, whole=False) is not None


def fields(
    message: Message, template: Template, /, *, lang: str = SOURCE, **values: Any
) -> dict[str, str]:
    """What fills the placeholders of `template` where `message` `includes` it, as the reader
    sees it (e.g. the words of a question, with or without a note above it); else
    AssertionError."""
    found = _match(message, template, lang, values, whole=False)
    if found is None:
        raise AssertionError(f"the message does not include {template!r}: {message!r}")
    unescape = html.unescape if isinstance(message.get("html"), str) else str
    return {name: unescape(value) for name, value in found.groupdict().items()}


def saying(
    template: Template, /, *, lang: str = SOURCE, **values: Any
) -> Callable[[Message], bool]:
    """A predicate for `FakeUser.receive_until`: the message `says` `template`."""
    return lambda message: says(message, template, lang=lang, **values)


def including(
    template: Template, /, *, lang: str = SOURCE, **values: Any
) -> Callable[[Message], bool]:
    """A predicate for `FakeUser.receive_until`: the message `includes` `template`."""
    return lambda message: includes(message, template, lang=lang, **values)


def translation(template: Template, lang: str) -> tuple[str, ...]:
    """The forms of `template` in `lang` (two or more for a plural, in the catalogue's order).

    Raises LookupError when `lang` has no translation of it: a test that asks for German wants
    German, not the English the bot falls back to.
    """
    english = (template.one, template.other) if isinstance(template, Plural) else (template,)
    if lang == SOURCE:
        return english
    entry = _catalogue(lang).get(english[0])
    found = () if entry is None or entry.fuzzy else entry.string
    raw = found if isinstance(found, tuple | list) else (found,)
    forms = tuple(str(form or "") for form in raw)
    if not forms or not all(forms):
        raise LookupError(f"{lang} has no translation of {english[0][:50]!r}")
    return forms


def plural_index(lang: str, count: int) -> int:
    """Which plural form `lang` uses for `count` (English: 0 for one, 1 otherwise)."""
    if lang == SOURCE:
        return 0 if count == 1 else 1
    return int(gettext.c2py(_catalogue(lang).plural_expr)(count))


@cache
def _catalogue(lang: str) -> Catalog:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        raise LookupError(f"there is no catalogue for {lang!r} at {path}")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def _match(
    message: Message, template: Template, lang: str, values: Mapping[str, Any], *, whole: bool
) -> re.Match[str] | None:
    forms = translation(template, lang)
    if isinstance(template, Plural) and "count" in values:
        forms = (forms[plural_index(lang, int(values["count"]))],)
    sent_html = message.get("html")
    as_html = isinstance(sent_html, str)
    text = str(sent_html if as_html else message.get("text") or message.get("caption") or "")
    pinned = tuple(sorted((name, str(value)) for name, value in values.items()))
    for form in forms:
        pattern = _pattern(form, pinned, as_html=as_html)
        found = pattern.fullmatch(text) if whole else pattern.search(text)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=4096)  # reliability runs look through thousands of messages
def _pattern(
    template: str, pinned: tuple[tuple[str, str], ...], *, as_html: bool
) -> re.Pattern[str]:
    """A regular expression for the messages `template` can become."""
    values = dict(pinned)
    parts: list[str] = []
    named: set[str] = set()
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal if as_html else _plain(literal)))
        if field is None:
            continue
        if field in values:
            value = values[field]
            parts.append(re.escape(html.escape(value, quote=False) if as_html else value))
        elif not field.isidentifier():
            parts.append(".*?")
        elif field in named:
            parts.append(f"(?P={field})")
        else:
            named.add(field)
            parts.append(f"(?P<{field}>.*?)")
    if parts[-1].endswith(".*?)") and not parts[-1].startswith("(?P="):
        # A placeholder that ends the template runs to the end of what includes it (the same
        # for a whole message).
        parts[-1] = parts[-1].removesuffix("?)") + ")"
    return re.compile("".join(parts), re.DOTALL)


def _plain(fragment: str) -> str:
    """What a reader sees of a piece of Telegram HTML: no tags, entities decoded."""
    return html.unescape(_TAG.sub("", fragment))
