"""The partners' languages: which one a person reads, plural forms, and what keeps a language
from being offered (a missing or extra id, a placeholder or tag that differs from English)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot import i18n, texts
from bot.content import Library
from bot.domain.languages import resolve
from bot.localized import load_translation, translation_problems

OFFERED = ("en", "de", "es", "pt_BR", "ru")
CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.mark.parametrize(
    ("chosen", "reported", "expected"),
    [
        (None, "es", "es"),
        (None, "es-MX", "es"),
        (None, "pt-br", "pt_BR"),
        (None, "pt-PT", "pt_BR"),  # the same language in another region
        (None, "pt", "pt_BR"),
        (None, "de-AT", "de"),
        (None, "ja", "en"),  # not offered: the source language
        (None, None, "en"),
        ("de", "es", "de"),  # their own choice wins
        ("fr", "es", "es"),  # a choice no longer offered falls back to Telegram's
    ],
)
def test_a_person_reads_their_choice_else_the_nearest_offered_telegram_language(
    chosen: str | None, reported: str | None, expected: str
) -> None:
    assert resolve(chosen, reported, OFFERED) == expected


def test_every_offered_language_has_its_own_plural_forms(library: Library) -> None:
    languages = i18n.Languages.load(library)
    assert set(OFFERED) <= set(languages.offered)
    for code in languages.offered:
        t = languages.get(code).texts
        for number in (1, 2, 5, 21, 0):
            text = t.count(texts.STREAK, number)
            assert str(number) in text
            if code != "en":
                assert text not in (texts.STREAK.one, texts.STREAK.other)
    ru = languages.get("ru").texts
    # Russian has three forms: 1, 2–4 and 5–20 each read differently.
    assert len({ru.count(texts.STREAK, n).replace(str(n), "#") for n in (1, 2, 5)}) == 3


def test_dates_and_weekdays_are_written_per_language(library: Library) -> None:
    import datetime as dt

    languages = i18n.Languages.load(library)
    day = dt.date(2026, 12, 24)
    assert languages.get("en").texts.date(day) == "Thursday 24 December"
    assert "Donnerstag" in languages.get("de").texts.date(day)
    assert "jueves" in languages.get("es").texts.date(day)
    assert "четверг" in languages.get("ru").texts.date(day)


def _write_po(directory: Path, code: str, translate: dict[str, str | tuple[str, ...]]) -> None:
    catalog = i18n.template()
    catalog.locale = code  # type: ignore[assignment]
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in translate:
            message.string = translate[key]
    target = directory / code / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.po").open("wb") as handle:
        write_po(handle, catalog)


def test_a_catalogue_with_a_missing_or_broken_text_is_not_complete(tmp_path: Path) -> None:
    full = {
        s.text.one if isinstance(s.text, texts.Plural) else s.text: (
            (f"x {s.text.one}", f"y {s.text.other}")
            if isinstance(s.text, texts.Plural)
            else f"x {s.text}"
        )
        for s in i18n.source_texts()
    }
    _write_po(tmp_path, "de", full)
    broken = dict(full)
    broken[texts.SAVED] = "x {partnr} gespeichert"
    broken[texts.REVEAL_HEADER] = broken[texts.REVEAL_HEADER].replace("<b>", "")
    del broken[texts.HELP]
    _write_po(tmp_path, "es", broken)
    catalogues = i18n.load_catalogues(tmp_path)
    assert catalogues.missing["de"] == []
    assert "de" in catalogues.complete and "es" not in catalogues.complete
    problems = " | ".join(catalogues.missing["es"])
    assert "SAVED has placeholders" in problems
    assert "REVEAL_HEADER has HTML tags" in problems
    assert "HELP is not translated" in problems
    assert catalogues.texts("de")(texts.UNKNOWN_COMMAND) == f"x {texts.UNKNOWN_COMMAND}"


def test_content_with_a_missing_or_extra_id_or_wrong_options_is_reported(
    tmp_path: Path, library: Library
) -> None:
    shutil.copytree(CONTENT / "i18n" / "de", tmp_path / "i18n" / "de")
    path = tmp_path / "i18n" / "de" / "questions" / "affection.toml"
    text = path.read_text(encoding="utf-8")
    two_options = text.index("options = [")
    line_end = text.index("\n", two_options)
    text = text[:two_options] + 'options = ["nur eine"]' + text[line_end:]
    text = text.replace('id = "affection-002"', 'id = "affection-999"', 1)
    path.write_text(text, encoding="utf-8")
    problems = translation_problems(library, load_translation("de", tmp_path))
    joined = " | ".join(problems)
    assert "question affection-002 is not translated" in joined
    assert "question affection-999 is not in the English library" in joined
    assert "options must be 2 non-empty labels" in joined
    assert not translation_problems(library, load_translation("de", CONTENT))


def test_the_template_lists_every_catalogue_text_once(library: Library) -> None:
    catalog: Catalog = i18n.template()
    names = [name for message in catalog for name in message.auto_comments]
    assert len(names) == len(set(names)) == len(list(i18n.source_texts()))
    assert "LANGUAGE_MENU" in names and "STREAK" in names


def test_a_deleted_partners_question_reads_as_the_placeholder_in_the_readers_language(
    library: Library,
) -> None:
    import datetime as dt

    from bot.domain.models import Prompt, PromptKind

    languages = i18n.Languages.load(library)
    gone = Prompt(
        id=1,
        pair_id=1,
        kind=PromptKind.QUESTION,
        content_id=None,
        text=texts.DELETED_QUESTION,
        local_date=dt.date(2026, 1, 14),
        sent_at=dt.datetime(2026, 1, 14, 9, tzinfo=dt.UTC),
    )
    german = languages.get("de")
    assert german.prompt_text(gone) == german.texts(texts.DELETED_QUESTION)
    assert german.prompt_text(gone) != texts.DELETED_QUESTION
    assert languages.get("en").prompt_text(gone) == texts.DELETED_QUESTION
