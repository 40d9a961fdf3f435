"""Which language a person reads: the one they chose, else what their Telegram app reports."""

from __future__ import annotations

from collections.abc import Collection


def _tag(code: str) -> str:
    return code.strip().replace("_", "-").lower()


def resolve(
    chosen: str | None, reported: str | None, offered: Collection[str], source: str = "en"
) -> str:
    """The offered language a person reads.

    Their own choice wins while it is offered. Otherwise Telegram's `language_code`: an exact
    match ('pt-br' -> pt_BR), else the same language in another region ('pt-pt' -> pt_BR,
    'es-mx' -> es), preferring the plain language over a regional one. Else the source language.
    """
    by_tag = {_tag(code): code for code in offered}
    if chosen and _tag(chosen) in by_tag:
        return by_tag[_tag(chosen)]
    if not reported:
        return source
    tag = _tag(reported)
    if tag in by_tag:
        return by_tag[tag]
    language = tag.split("-")[0]
    if language in by_tag:
        return by_tag[language]
    regional = sorted(code for t, code in by_tag.items() if t.split("-")[0] == language)
    return regional[0] if regional else source
