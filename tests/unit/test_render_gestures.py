"""The renderer's part in Telegram's gestures: the question is marked to be pinned, a reveal
hides the partner's words under a spoiler and opens with the heart effect, and a long reveal
split in pieces keeps every piece's HTML whole."""

from __future__ import annotations

import datetime as dt

from bot import render
from bot.content import Library
from bot.domain.models import Answer, AnswerKind, Prompt, PromptKind
from bot.domain.outbox import MessageKind, OutboxItem
from bot.i18n import Languages
from bot.render import REVEAL_EFFECT, View
from bot.texts import TELEGRAM_TEXT_LIMIT, chunks
from sandbox.fake_bot_api import parse_html, utf16_length

NOW = dt.datetime(2026, 1, 14, 9, 0, tzinfo=dt.UTC)
PROMPT = Prompt(7, 1, PromptKind.QUESTION, None, "What made you smile?", NOW.date(), NOW, NOW)


def _answer(user_id: int, text: str, kind: AnswerKind = AnswerKind.TEXT) -> Answer:
    return Answer(PROMPT.id, user_id, kind, text, None, user_id, 40 + user_id, NOW)


def _render(kind: MessageKind, library: Library, *answers: Answer) -> list[render.Part]:
    item = OutboxItem(1, 1, 1, kind, PROMPT.id, {"partner": "Bob"})
    view = View(prompt=PROMPT, partner_id=2, partner_name="Bob", answers=answers)
    return render.render(item, view, Languages(library).get("en"), NOW)


def test_the_question_is_the_message_to_pin(library: Library) -> None:
    parts = _render(MessageKind.QUESTION, library)
    assert [(p.pin, p.prompt_id) for p in parts] == [(True, PROMPT.id)]
    assert parts[0].effect is None


def test_a_text_reveal_hides_the_partners_words_and_opens_with_the_heart(
    library: Library,
) -> None:
    parts = _render(MessageKind.REVEAL, library, _answer(1, "Mine"), _answer(2, "Tea & <toast>"))
    assert "<tg-spoiler>Tea &amp; &lt;toast&gt;</tg-spoiler>" in (parts[0].text or "")
    assert "Mine" not in (parts[0].text or "")
    assert parts[0].effect == REVEAL_EFFECT
    assert not any(p.pin for p in parts)


def test_a_media_reveal_puts_the_heart_on_its_header_not_the_copy(library: Library) -> None:
    voice = _answer(2, "", AnswerKind.VOICE)
    header, copy = _render(MessageKind.REVEAL, library, _answer(1, "Mine"), voice)
    assert header.effect == REVEAL_EFFECT and header.copy_from is None
    assert copy.copy_from == (2, 42) and copy.effect is None


def test_a_long_spoiler_split_in_pieces_stays_valid_html_in_each() -> None:
    text = "<b>Header</b>\n\n<tg-spoiler>" + "word " * 2000 + "</tg-spoiler>"
    pieces = chunks(text)
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.count("<tg-spoiler>") == piece.count("</tg-spoiler>") == 1
        assert utf16_length(parse_html(piece)) <= TELEGRAM_TEXT_LIMIT
