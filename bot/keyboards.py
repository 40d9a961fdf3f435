"""Inline keyboards shared by handlers and delivery. Callback data stays under 64 bytes and
always names the row it acts on, so handlers can check it belongs to the presser's pair."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.i18n import Texts


def reveal_reactions(prompt_id: int, t: Texts) -> InlineKeyboardMarkup:
    """Buttons under a revealed answer: a heart, or 'let's talk about this tonight'."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.REACT_HEART, callback_data=f"react:{prompt_id}:heart"),
                InlineKeyboardButton(t(texts.REACT_TALK), callback_data=f"react:{prompt_id}:talk"),
            ]
        ]
    )


def heart_back(nudge_id: int, t: Texts) -> InlineKeyboardMarkup:
    """The button under an appreciation: send a heart back."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(texts.HEART_BUTTON), callback_data=f"heart:{nudge_id}")]]
    )
