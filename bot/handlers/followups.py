"""Gentle follow-ups (issue 12): how to open a partner's link, and the week's exercise opened
from its teaser."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest

from bot import texts
from bot.context import NearerContext
from bot.handlers.common import texts_for
from bot.handlers.pairing import invite_keyboard
from bot.usecases import followups, settings


async def explain_link(update: Update, context: NearerContext) -> None:
    """Explain, in place of the greeting, how to open the partner's invite link."""
    query = update.callback_query
    if query is None:
        return
    t = await texts_for(update, context)
    await query.answer()
    with contextlib.suppress(BadRequest):  # pressed twice: the text is already there
        await query.edit_message_text(t(texts.HAVE_LINK_HELP), reply_markup=invite_keyboard(t))


async def show_exercise(update: Update, context: NearerContext) -> None:
    """Open the week's exercise in place: its teaser becomes the how-to."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    t = await texts_for(update, context)
    raw = query.data.removeprefix("exercise:")
    found = None
    if raw.isdigit() and len(raw) < 19:
        found = await followups.exercise_of(context.services, user.id, int(raw))
    language = await settings.language_for(context.services, user.id, user.language_code)
    exercise = language.wording.exercise(found.content_id) if found is not None else None
    if found is None or exercise is None:
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await query.answer()
    text = texts.chunks(language.texts.exercise(exercise, apart=found.apart))[0]
    with contextlib.suppress(BadRequest):  # pressed twice: it is open already
        await query.edit_message_text(text)
