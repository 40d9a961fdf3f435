"""/deletemydata, /export and /support."""

from __future__ import annotations

import io
import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.context import NearerContext
from bot.handlers.common import sender, texts_for
from bot.usecases import common, privacy


async def ask_to_delete(update: Update, context: NearerContext) -> None:
    """Explain what will be deleted and ask to confirm."""
    t = await texts_for(update, context)
    user, message = sender(update)
    pairing = await common.pairing_of(context.services, user.id)
    note = ""
    if pairing is not None:
        note = t(texts.DELETE_PARTNER_NOTE, partner=texts.esc(pairing.partner.first_name))
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(texts.DELETE_YES), callback_data=f"delete:yes:{user.id}")],
            [InlineKeyboardButton(t(texts.DELETE_NO), callback_data="delete:no")],
        ]
    )
    await message.reply_text(t(texts.DELETE_CONFIRM, partner_note=note), reply_markup=keyboard)


async def confirm_delete(update: Update, context: NearerContext) -> None:
    """Delete the presser's data once confirmed (the button names whose data it is)."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    if query.data == "delete:no":
        await query.answer()
        await query.edit_message_text(t(texts.DELETE_KEPT))
        return
    if query.data != f"delete:yes:{user.id}":
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await privacy.delete_my_data(context.services, user.id)
    await query.answer()
    await query.edit_message_text(t(texts.DELETE_DONE))


async def export(update: Update, context: NearerContext) -> None:
    """Send the person a JSON file of their own data."""
    t = await texts_for(update, context)
    user, message = sender(update)
    data = await privacy.export(context.services, user.id)
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await message.reply_document(
        document=io.BytesIO(payload),
        filename=texts.EXPORT_FILENAME,
        caption=t(texts.EXPORT_CAPTION),
    )


async def support(update: Update, context: NearerContext) -> None:
    """Say when couples therapy or coaching may help, and that Nearer is not therapy."""
    t = await texts_for(update, context)
    _, message = sender(update)
    await message.reply_text(t(texts.SUPPORT))
