"""The matcher end-to-end tests use to recognise a catalogue message (sandbox/matching.py):
it accepts what the bot sends and refuses a message that is nearly, but not, the one asked for."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import texts
from bot.i18n import source_texts
from bot.texts import Plural
from sandbox.fake_bot_api import parse_html
from sandbox.matching import fields, includes, plural_index, saying, says, translation
from tests.support import JSON


def _sent(html: str, **extra: object) -> JSON:
    """A message as the fake Bot API stores a sendMessage in HTML: plain text and the HTML."""
    return {"text": parse_html(html), "html": html, **extra}


def _caption(html: str) -> JSON:
    """A document's caption: the fake keeps only its plain text."""
    return {"document": {"file_id": "d"}, "caption": parse_html(html)}


def test_a_message_made_from_the_template_is_recognised_with_any_placeholder_values() -> None:
    message = _sent(texts.SAVED.format(partner="Bob"))
    assert says(message, texts.SAVED)
    assert says(message, texts.SAVED, partner="Bob")
    assert saying(texts.SAVED)(message)


def test_another_template_or_a_changed_word_or_tag_is_refused() -> None:
    assert not says(_sent(texts.SAVED_REPLACED.format(partner="Bob")), texts.SAVED)
    reworded = texts.SAVED.format(partner="Bob").replace("once", "when")
    assert not says(_sent(reworded), texts.SAVED)
    untagged = texts.SAVED.format(partner="Bob").replace("<b>", "").replace("</b>", "")
    assert not says(_sent(untagged), texts.SAVED)
    assert not says(_sent(texts.SAVED.format(partner="Bob") + " Extra."), texts.SAVED)


def test_a_pinned_placeholder_must_hold_exactly_that_value_escaped_as_html() -> None:
    message = _sent(texts.SAVED.format(partner=texts.esc("Tom & Jerry")))
    assert says(message, texts.SAVED, partner="Tom & Jerry")
    assert not says(message, texts.SAVED, partner="Tom")
    assert not says(_sent(texts.SAVED.format(partner="Bob")), texts.SAVED, partner="Alice")


def test_a_placeholder_named_twice_must_be_filled_the_same_both_times() -> None:
    assert says(_sent(texts.INVITE_OFFER.format(inviter="Alice")), texts.INVITE_OFFER)
    mixed = texts.INVITE_OFFER.replace("{inviter}", "Alice", 1).replace("{inviter}", "Eve")
    assert not says(_sent(mixed), texts.INVITE_OFFER)


def test_includes_finds_a_template_inside_a_longer_message_and_says_does_not() -> None:
    question = texts.QUESTION.format(question="What made you laugh?", partner="Bob")
    message = _sent(f"{texts.SKIPPED_NOTE}\n\n{question}")
    assert includes(message, texts.QUESTION, partner="Bob")
    assert includes(message, texts.SKIPPED_NOTE)
    assert not says(message, texts.QUESTION)
    assert not includes(message, texts.SKIPPED_PARTNER_NOTE)


def test_a_plural_matches_either_form_and_a_pinned_count_only_its_own() -> None:
    seven = _sent(texts.STREAK.other.format(count=7))
    assert says(seven, texts.STREAK)
    assert says(seven, texts.STREAK, count=7)
    assert not says(seven, texts.STREAK, count=6)
    wrong_form = _sent(texts.STREAK.one.format(count=7))  # "7 question in a row"
    assert not says(wrong_form, texts.STREAK, count=7)
    assert says(_sent(texts.STREAK.one.format(count=1)), texts.STREAK, count=1)


def test_plain_text_without_html_is_matched_against_the_templates_plain_words() -> None:
    assert says(_caption(texts.EXPORT_CAPTION), texts.EXPORT_CAPTION)
    alert = {"text": texts.REACTED.format(partner="Bob"), "show_alert": False}
    assert says(alert, texts.REACTED, partner="Bob")
    assert not says(alert, texts.REACTED_ALREADY)
    header = {"text": parse_html(texts.REVEAL_HEADER.format(question="Q?", partner="Bob"))}
    assert includes(header, texts.REVEAL_HEADER, partner="Bob")


def test_fields_are_what_fills_the_placeholders_as_the_reader_sees_it() -> None:
    question = texts.QUESTION.format(question=texts.esc("Tom & Jerry <3?"), partner="Bob")
    assert fields(_sent(question), texts.QUESTION) == {
        "question": "Tom & Jerry <3?",
        "partner": "Bob",
    }
    assert fields(_caption(texts.REACTED.format(partner=texts.esc("A&B"))), texts.REACTED) == {
        "partner": "A&B"
    }
    with pytest.raises(AssertionError):
        fields(_sent(question), texts.QUESTION_FROM_PARTNER)
    noted = _sent(f"{texts.SKIPPED_NOTE}\n\n{question}")
    assert fields(noted, texts.QUESTION)["question"] == "Tom & Jerry <3?"
    many = texts.CHANGES_MANY.format(name="Ann", changes="• one\n• two")
    assert fields(_sent(many), texts.CHANGES_MANY)["changes"] == "• one\n• two"


def test_a_translation_is_read_from_its_catalogue_and_english_is_not_taken_for_it() -> None:
    german = translation(texts.SAVED, "de")[0]
    assert german != texts.SAVED
    message = _sent(german.format(partner="Ben"))
    assert says(message, texts.SAVED, lang="de", partner="Ben")
    assert not says(message, texts.SAVED)
    assert not says(_sent(texts.SAVED.format(partner="Ben")), texts.SAVED, lang="de")
    assert not says(message, texts.SAVED, lang="es")


def test_a_pinned_count_picks_the_languages_own_plural_form() -> None:
    forms = translation(texts.STREAK, "ru")
    assert len(forms) == 3
    assert [plural_index("ru", n) for n in (1, 3, 5, 21)] == [0, 1, 2, 0]
    few = _sent(forms[1].format(count=3))
    assert says(few, texts.STREAK, lang="ru", count=3)
    assert not says(few, texts.STREAK, lang="ru", count=5)


def test_a_text_a_language_does_not_translate_is_an_error_not_a_silent_english_match() -> None:
    with pytest.raises(LookupError):
        says(_sent("Hello"), "Hello", lang="de")
    with pytest.raises(LookupError):
        says(_sent(texts.SAVED), texts.SAVED, lang="xx")


# End-to-end tests name the message they expect, so a translation breaks none of them -----------

ROOT = Path(__file__).resolve().parents[2]
# Every test that drives the bot, and the harness (unit tests may test the English wording).
CHECKED = [
    *sorted(p for p in (ROOT / "tests").rglob("*.py") if p.parent.name != "unit"),
    ROOT / "sandbox" / "harness.py",
]


def _catalogue_wording() -> list[str]:
    """Every English catalogue text, as HTML and as the plain text a reader sees."""
    found = []
    for source in source_texts():
        text = source.text
        for form in (text.one, text.other) if isinstance(text, Plural) else (text,):
            found += [form, html.unescape(re.sub(r"<[^>]*>", "", form))]
    return found


def _phrases_looked_for(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants a test looks for in something: `"..." in x`, `x == "..."`,
    `x.startswith("...")`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            if isinstance(node.ops[0], ast.In | ast.NotIn):
                candidates = [node.left]
            elif isinstance(node.ops[0], ast.Eq | ast.NotEq):
                candidates = [node.left, *node.comparators]
            else:
                continue
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
        ):
            candidates = [a for arg in node.args for a in ast.walk(arg)]
        else:
            continue
        yield from (c for c in candidates if isinstance(c, ast.Constant))


def test_end_to_end_tests_look_for_catalogue_messages_not_their_english_words() -> None:
    wording = _catalogue_wording()
    found = [
        f"{path.relative_to(ROOT)}:{constant.lineno} {constant.value!r}"
        for path in CHECKED
        for constant in _phrases_looked_for(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(constant.value, str)
        and " " in constant.value.strip()
        and any(constant.value in text for text in wording)
    ]
    assert found == [], "use says()/includes() with the catalogue constant instead"
