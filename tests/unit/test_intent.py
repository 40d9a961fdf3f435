"""Telling an answer from an aside or a question to the bot, in the five interface languages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.intent import Intent, classify, pending_expires_at

ASIDES = [
    "thanks!",
    "ok",
    "Thank you so much 😊",
    "👍",
    "❤️❤️",
    "...",
    "hi",
    "what time is it for you?",
    "¡Gracias!",
    "vale",
    "hola 👋",
    "¿Estás ahí?",
    "Obrigada!",
    "valeu",
    "oi",
    "Danke schön!",
    "alles klar",
    "Hallo :)",
    "Спасибо!",
    "ок",
    "привет",
    "Ты тут?",
]
HELP = [
    "How do I change the time?",
    "what is this?",
    "help",
    "¿Cómo cambio la hora?",
    "ayuda por favor",
    "Como faço para mudar o horário?",
    "Wie kann ich die Uhrzeit ändern?",
    "Was ist das?",
    "Как изменить время?",
    "что это?",
]
ANSWERS = [
    "Our walk by the river, and the rain that caught us on the way home",
    "Pizza on the balcony",
    "7",
    "Cocinar juntos el domingo por la tarde con música",
    "Quando você riu no jantar de ontem, lembrei da nossa primeira viagem",
    "Als du mir gestern Abend einfach zugehört hast, ohne etwas zu sagen",
    "Когда мы вчера гуляли у реки и говорили обо всём на свете",
    "Do you remember the night we missed the last train and walked home together laughing?",
]


@pytest.mark.parametrize("text", ASIDES)
def test_small_talk_and_short_questions_are_asides(text: str) -> None:
    assert classify(text) is Intent.ASIDE


@pytest.mark.parametrize("text", HELP)
def test_questions_about_the_bot_ask_for_help(text: str) -> None:
    assert classify(text) is Intent.HELP


@pytest.mark.parametrize("text", ANSWERS)
def test_plain_answers_and_long_texts_are_answers(text: str) -> None:
    assert classify(text) is Intent.ANSWER


def test_an_empty_caption_is_no_reason_to_ask() -> None:
    assert classify("   ") is Intent.ANSWER


def test_a_kept_message_expires_after_a_day() -> None:
    now = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    assert pending_expires_at(now) == now + dt.timedelta(days=1)
