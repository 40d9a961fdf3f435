"""What a message that is not a reply to a question means: an answer, a short aside, or a
question to the bot. The bot never saves an aside silently: it asks first.

The rule, for a plain text (not a reply) written while a question is open:

- no letters or digits at all (emoji, "!!", "...")              -> aside
- reads like a request for help ("how do I…", "what is this?")  -> help (at most 15 words)
- small talk in one of the interface languages ("thanks!", "ok",
  "hi", "gracias", "danke", "спасибо"), emoji and punctuation aside  -> aside
- a short question (ends with "?", at most 12 words)             -> aside
- anything else, including every longer text                    -> the answer, as before

A reply to the question message is always the answer; media is always the answer. Asking
costs one tap; taking "thanks!" as an answer costs a revealed "thanks!", so doubtful short
messages ask. Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum, StrEnum, auto

from bot.domain.models import AnswerKind

PENDING_LIFETIME = dt.timedelta(days=1)  # how long a "save this as your answer?" stays open
SHORT_QUESTION_WORDS = 12
HELP_WORDS = 15


class Intent(Enum):
    """What a plain message most likely is."""

    ANSWER = auto()
    ASIDE = auto()  # small talk or a short question: ask before saving
    HELP = auto()  # a question about the bot: ask, and point to /help


class PendingReason(StrEnum):
    """Why a message waits for the person's word before it becomes an answer."""

    ASIDE = "aside"  # it may not be an answer at all
    HELP = "help"  # it reads like a question to the bot
    REPLACE = "replace"  # it would replace an answer already saved
    CHOOSE = "choose"  # several questions are open: which one does it answer?


@dataclass(frozen=True, slots=True)
class PendingAnswer:
    """A message kept until its writer says what it is (stored: it holds their words)."""

    id: int
    user_id: int
    chat_id: int
    message_id: int
    prompt_id: int | None
    reason: PendingReason
    kind: AnswerKind
    text: str
    file_id: str | None
    created_at: dt.datetime
    expires_at: dt.datetime

    def usable(self, now: dt.datetime) -> bool:
        """Say whether its buttons still work at `now`."""
        return now < self.expires_at


def pending_expires_at(now: dt.datetime) -> dt.datetime:
    """When a message kept at `now` for the person's word is forgotten."""
    return now + PENDING_LIFETIME


# Small talk, whole messages, in the five interface languages (lower case, no punctuation).
# These are words matched in what people write, not words the bot says.
SMALL_TALK_WORDS = """
    thanks|thank you|thanks a lot|thank you so much|thx|ty|ok|okay|k|kk|cool|nice|great|got it|
    sure|yes|no|yep|nope|yeah|hi|hello|hey|hey there|good morning|good night|night|bye|lol|haha|
    hmm|oops|sorry|alright|all right|awesome|perfect|love it|wow|test|hi there|you too|
    gracias|muchas gracias|vale|hola|buenos días|buenos dias|buenas noches|buenas|adiós|adios|
    sí|si|genial|perfecto|jaja|jajaja|claro|de nada|bueno|listo|
    obrigado|obrigada|muito obrigado|muito obrigada|valeu|beleza|olá|ola|oi|bom dia|boa noite|
    tchau|sim|não|nao|legal|perfeito|kkk|kkkk|tá|ta|certo|blz|show|
    danke|danke schön|dankeschön|danke dir|vielen dank|hallo|guten morgen|gute nacht|tschüss|
    ja|nein|super|alles klar|genau|prima|okey|
    спасибо|спасибо большое|спс|ок|окей|хорошо|привет|доброе утро|спокойной ночи|пока|да|нет|
    круто|отлично|ага|понятно|ясно|хаха|ладно
"""
_SMALL_TALK = frozenset(
    item.strip() for item in SMALL_TALK_WORDS.replace("\n", "").split("|") if item.strip()
)

# Questions to the bot, anywhere in a short message (word-bounded, case-blind).
HELP_PATTERN = (
    r"\b(?:"
    r"how do i|how can i|how to|what is this|what's this|what is nearer|help|help me|"
    r"change the time|change my time|settings|unpair|who are you|how does this work|"
    r"what do i do|what should i do|"
    r"cómo|como puedo|como cambio|qué es esto|que es esto|ayuda|cambiar la hora|"
    r"como faço|como eu|o que é isso|o que e isso|ajuda|mudar o horário|mudar a hora|"
    r"wie kann ich|wie ändere|wie geht das|was ist das|hilfe|wie funktioniert|uhrzeit ändern|"
    r"как мне|как изменить|как поменять|что это|помощь|помоги|как это работает"
    r")\b"
)
_HELP = re.compile(HELP_PATTERN, re.IGNORECASE)


def _letters_or_digits(text: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def _plain_words(text: str) -> str:
    """Lower case, with emoji and punctuation dropped and spaces squeezed."""
    kept = "".join(
        char if unicodedata.category(char)[0] in "LN" or char in " '’" else " "
        for char in text.casefold()
    )
    return " ".join(kept.replace("’", "'").split())


def classify(text: str) -> Intent:
    """Say what a plain (not a reply) text written while a question is open most likely is."""
    stripped = text.strip()
    if not stripped:
        return Intent.ANSWER
    if not _letters_or_digits(stripped):
        return Intent.ASIDE
    words = len(stripped.split())
    if words <= HELP_WORDS and _HELP.search(stripped.casefold()):
        return Intent.HELP
    if _plain_words(stripped) in _SMALL_TALK:
        return Intent.ASIDE
    if stripped.rstrip(" !").endswith("?") and words <= SHORT_QUESTION_WORDS:
        return Intent.ASIDE
    return Intent.ANSWER
