"""Inline keyboards shared by handlers and delivery. Callback data stays under 64 bytes and
always names the row it acts on, so handlers can check it belongs to the presser's pair."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

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


def zone_choices(zones: list[tuple[str, str]], t: Texts) -> InlineKeyboardMarkup:
    """A button per (zone, label) offered to someone saying where they are, and 'skip'."""
    rows = [[InlineKeyboardButton(label, callback_data=f"zone:{zone}")] for zone, label in zones]
    rows.append([InlineKeyboardButton(t(texts.ZONE_SKIP), callback_data="zone:-")])
    return InlineKeyboardMarkup(rows)


def heart_back(nudge_id: int, t: Texts) -> InlineKeyboardMarkup:
    """The button under an appreciation: send a heart back."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(texts.HEART_BUTTON), callback_data=f"heart:{nudge_id}")]]
    )


def _ticked(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


def picks(
    prompt_id: int, options: tuple[str, ...], chosen: int | None = None
) -> InlineKeyboardMarkup:
    """One button per option (already in the reader's words) under a this-or-that or
    would-you-rather question; the one picked is ticked."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _ticked(option, index == chosen), callback_data=f"pick:{prompt_id}:{index}"
                )
            ]
            for index, option in enumerate(options)
        ]
    )


def rating(prompt_id: int, chosen: int | None = None) -> InlineKeyboardMarkup:
    """Two rows of 1-10 under a rate-it question; the rating given is ticked."""
    row = [
        InlineKeyboardButton(
            _ticked(str(value), value == chosen), callback_data=f"pick:{prompt_id}:{value}"
        )
        for value in range(1, 11)
    ]
    return InlineKeyboardMarkup([row[:5], row[5:]])


def guess_verdict(prompt_id: int, t: Texts) -> InlineKeyboardMarkup:
    """Under a guess reveal: the partner's guess about me was right, or not quite."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(texts.VERDICT_YES), callback_data=f"verdict:{prompt_id}:1"),
                InlineKeyboardButton(t(texts.VERDICT_NO), callback_data=f"verdict:{prompt_id}:0"),
            ]
        ]
    )


def consent(pair_id: int, topic: str, t: Texts) -> InlineKeyboardMarkup:
    """Asked privately: say yes to an opt-in topic (or a higher heat) the partner asked for."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(texts.CONSENT_YES), callback_data=f"consent:{pair_id}:{topic}:yes"
                ),
                InlineKeyboardButton(
                    t(texts.CONSENT_NO), callback_data=f"consent:{pair_id}:{topic}:no"
                ),
            ]
        ]
    )


def save_or_not(pending_id: int, t: Texts) -> InlineKeyboardMarkup:
    """Under a message that may be an aside: save it as the answer, or not."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(texts.SAVE_BUTTON), callback_data=f"pend:{pending_id}:save")],
            [
                InlineKeyboardButton(
                    t(texts.NOT_ANSWER_BUTTON), callback_data=f"pend:{pending_id}:no"
                )
            ],
        ]
    )


def replace_or_keep(pending_id: int, t: Texts) -> InlineKeyboardMarkup:
    """Under a second answer: replace the first one with it, or keep the first."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(texts.REPLACE_BUTTON), callback_data=f"pend:{pending_id}:replace"
                ),
                InlineKeyboardButton(
                    t(texts.KEEP_BUTTON), callback_data=f"pend:{pending_id}:keep"
                ),
            ]
        ]
    )


def which_question(
    pending_id: int, choices: list[tuple[int, str]], t: Texts
) -> InlineKeyboardMarkup:
    """One button per open question (its day and first words, in the reader's language),
    and one for a message that answers none of them."""
    return InlineKeyboardMarkup(
        [
            *[
                [InlineKeyboardButton(label, callback_data=f"pend:{pending_id}:q:{prompt_id}")]
                for prompt_id, label in choices
            ],
            [
                InlineKeyboardButton(
                    t(texts.NOT_ANSWER_BUTTON), callback_data=f"pend:{pending_id}:no"
                )
            ],
        ]
    )


def marked_pressed(markup: InlineKeyboardMarkup, data: str, label: str) -> InlineKeyboardMarkup:
    """The same buttons, the one with `data` now reading `label` (e.g. "❤️ sent")."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=button.callback_data)
                if button.callback_data == data
                else button
                for button in row
            ]
            for row in markup.inline_keyboard
        ]
    )


def webapp_row(url: str | None, t: Texts, *, tab: str = "") -> list[list[InlineKeyboardButton]]:
    """A row with a button opening the Mini App (at `tab`), or no row when it is off."""
    if url is None:
        return []
    label = t(texts.WEBAPP_OPEN_SETTINGS if tab == "settings" else texts.WEBAPP_OPEN_JOURNAL)
    target = f"{url}?tab={tab}" if tab else url
    return [[InlineKeyboardButton(label, web_app=WebAppInfo(target))]]


def new_invite(t: Texts) -> InlineKeyboardMarkup:
    """Under a note about an unused invite: make a fresh link (as /invite does)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(texts.NEW_LINK_BUTTON), callback_data="invite")]]
    )


def show_exercise(prompt_id: int, t: Texts) -> InlineKeyboardMarkup:
    """Under an exercise teaser: open its how-to in place."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(texts.SHOW_ME_BUTTON), callback_data=f"exercise:{prompt_id}")]]
    )
