"""/start, invites, accepting them, and /unpair."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.context import NearerContext
from bot.handlers.common import sender, texts_for
from bot.i18n import Texts
from bot.usecases import common, pairing

log = logging.getLogger(__name__)


def invite_keyboard(t: Texts) -> InlineKeyboardMarkup:
    """The button that makes an invite, as under the greeting."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(texts.INVITE_BUTTON), callback_data="invite")]]
    )


def greeting_keyboard(t: Texts) -> InlineKeyboardMarkup:
    """Under the greeting: make an invite, or learn how to open the partner's link."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(texts.INVITE_BUTTON), callback_data="invite")],
            [InlineKeyboardButton(t(texts.HAVE_LINK_BUTTON), callback_data="have_link")],
        ]
    )


def share_keyboard(t: Texts, link: str) -> InlineKeyboardMarkup:
    """Telegram's share sheet for the link. A t.me/share URL button works in every client
    without inline mode; switch_inline_query would need inline mode turned on with BotFather
    and an inline-query handler, and shows nothing where it is off."""
    query = urlencode({"url": link, "text": t(texts.INVITE_SHARE_TEXT)}, quote_via=quote)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(texts.INVITE_SHARE_BUTTON), url=f"{SHARE_URL}?{query}")]]
    )


SHARE_URL = "https://t.me/share/url"


async def start(update: Update, context: NearerContext) -> None:
    """Greet, or open the invite in a deep link (/start <code>)."""
    t = await texts_for(update, context)
    user, message = sender(update)
    if context.args:
        await _show_invite(update, context, context.args[0])
        return
    pairing = await common.pairing_of(context.services, user.id)
    if pairing is None:
        name = texts.esc(user.first_name)
        await message.reply_text(t(texts.START, name=name), reply_markup=greeting_keyboard(t))
        return
    pair, partner = pairing.pair, pairing.partner
    await message.reply_text(
        t(
            texts.START_PAIRED,
            name=texts.esc(user.first_name),
            partner=texts.esc(partner.first_name),
            when=t.when(pairing.person.clock(pair)),
        )
    )


async def invite(update: Update, context: NearerContext) -> None:
    """Create an invite link and a message ready to forward to the partner."""
    user, message = sender(update)
    t = await texts_for(update, context)
    await _send_invite(context, t, user.id, user.first_name, message.chat_id)


async def invite_button(update: Update, context: NearerContext) -> None:
    """Handle the 'Invite my partner' button like /invite."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or query.message is None:
        return
    await query.answer()
    t = await texts_for(update, context)
    await _send_invite(context, t, user.id, user.first_name, query.message.chat.id)


async def _send_invite(
    context: NearerContext, t: Texts, user_id: int, name: str, chat_id: int
) -> None:
    result = await pairing.create_invite(context.services, user_id)
    if result.limit_reached:
        limit = t.count(texts.INVITE_LIMIT, pairing.INVITES_PER_DAY)
        await context.bot.send_message(chat_id, limit)
        return
    if result.invite is None:
        partner = texts.esc(result.partner.first_name) if result.partner else t(texts.YOUR_PARTNER)
        await context.bot.send_message(chat_id, t(texts.INVITE_ALREADY_PAIRED, partner=partner))
        return
    link = f"https://t.me/{context.bot.username}?start={result.invite.code}"
    await context.bot.send_message(
        chat_id, t(texts.INVITE_CREATED, link=link), reply_markup=share_keyboard(t, link)
    )
    await context.bot.send_message(
        chat_id, t(texts.INVITE_FORWARDABLE, name=texts.esc(name), link=link)
    )


def _refusal(status: pairing.InviteStatus, t: Texts) -> str:
    inviter = (
        texts.esc(status.inviter.first_name) if status.inviter else t(texts.YOUR_PARTNER_START)
    )
    partner = texts.esc(status.partner.first_name) if status.partner else t(texts.YOUR_PARTNER)
    return {
        pairing.InviteCheck.OWN: t(texts.INVITE_OWN),
        pairing.InviteCheck.UNKNOWN: t(texts.INVITE_UNKNOWN),
        pairing.InviteCheck.EXPIRED: t(texts.INVITE_EXPIRED),
        pairing.InviteCheck.RAN_OUT: t(texts.INVITE_RAN_OUT, inviter=inviter),
        pairing.InviteCheck.YOU_ARE_PAIRED: t(texts.INVITE_YOU_ARE_PAIRED, partner=partner),
        pairing.InviteCheck.INVITER_PAIRED: t(texts.INVITE_INVITER_PAIRED, inviter=inviter),
        pairing.InviteCheck.OK: t(texts.INVITE_UNKNOWN),
    }[status.check]


# Wrong or stale codes count towards the slow-down that stops guessing invite codes.
_FAILED_CHECKS = (
    pairing.InviteCheck.UNKNOWN,
    pairing.InviteCheck.EXPIRED,
    pairing.InviteCheck.RAN_OUT,
)


async def _show_invite(update: Update, context: NearerContext, code: str) -> None:
    user, message = sender(update)
    t = await texts_for(update, context)
    if await pairing.invite_attempts_blocked(context.services, user.id):
        log.info("invite attempts of user %d slowed down", user.id)
        await message.reply_text(t(texts.INVITE_SLOW_DOWN))
        return
    status = await pairing.check_invite(context.services, code, user.id)
    if status.check in _FAILED_CHECKS:
        await pairing.note_invite_failure(context.services, user.id)
    if status.check is pairing.InviteCheck.RAN_OUT:
        await pairing.opened_late(context.services, code, user.id)
    if status.check is not pairing.InviteCheck.OK or status.inviter is None:
        log.info("invite refused for user %d: %s", user.id, status.check.name)
        await message.reply_text(_refusal(status, t))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(texts.ACCEPT_BUTTON), callback_data=f"accept:{code}")],
            [InlineKeyboardButton(t(texts.DECLINE_BUTTON), callback_data=f"decline:{code}")],
        ]
    )
    inviter = texts.esc(status.inviter.first_name)
    await message.reply_text(t(texts.INVITE_OFFER, inviter=inviter), reply_markup=keyboard)


async def answer_invite(update: Update, context: NearerContext) -> None:
    """Accept or decline an invite from its buttons."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    declining = query.data == "decline" or query.data.startswith("decline:")
    # Forged button data is another way to guess codes: the same slow-down applies.
    if await pairing.invite_attempts_blocked(context.services, user.id) and not declining:
        await query.answer(t(texts.INVITE_SLOW_DOWN), show_alert=True)
        return
    await query.answer()
    if declining:  # bare "decline": an offer shown before the inviter was told
        code = query.data.removeprefix("decline").removeprefix(":")
        told = None
        if code and not await pairing.invite_attempts_blocked(context.services, user.id):
            told = await pairing.decline_invite(context.services, code, user.id)
        if told is None:
            await query.edit_message_text(t(texts.INVITE_DECLINED))
        else:
            name = texts.esc(told.first_name)
            await query.edit_message_text(t(texts.INVITE_DECLINED_TOLD, inviter=name))
        return
    code = query.data.removeprefix("accept:")
    result = await pairing.accept_invite(context.services, code, user.id)
    if result.pair is None:
        if result.status.check in _FAILED_CHECKS:
            await pairing.note_invite_failure(context.services, user.id)
        if result.status.check is pairing.InviteCheck.RAN_OUT:
            await pairing.opened_late(context.services, code, user.id)
        await query.edit_message_text(_refusal(result.status, t))
        return
    inviter = result.status.inviter
    await query.edit_message_text(
        t.paired(
            inviter.first_name if inviter else t(texts.YOUR_PARTNER),
            result.clock or result.pair.schedule,
        )
    )


async def unpair(update: Update, context: NearerContext) -> None:
    """Ask to confirm ending the pairing."""
    t = await texts_for(update, context)
    user, message = sender(update)
    found = await common.pairing_of(context.services, user.id)
    if found is None:
        await message.reply_text(t(texts.NOT_PAIRED))
        return
    pair, partner = found.pair, found.partner
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(texts.UNPAIR_YES), callback_data=f"unpair:yes:{pair.id}")],
            [InlineKeyboardButton(t(texts.UNPAIR_NO), callback_data="unpair:no")],
        ]
    )
    await message.reply_text(
        t(texts.UNPAIR_CONFIRM, partner=texts.esc(partner.first_name)), reply_markup=keyboard
    )


async def confirm_unpair(update: Update, context: NearerContext) -> None:
    """End the pairing once confirmed; a button for another or an old pair has expired."""
    t = await texts_for(update, context)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    if query.data == "unpair:no":
        await query.answer()
        await query.edit_message_text(t(texts.UNPAIR_KEPT))
        return
    _, _, raw_id = query.data.partition("unpair:yes:")
    partner = None
    if raw_id.isdigit() and len(raw_id) < 19:
        partner = await pairing.unpair(context.services, user.id, int(raw_id))
    if partner is None:
        await query.answer(t(texts.MENU_EXPIRED), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(t(texts.UNPAIR_DONE, partner=texts.esc(partner.first_name)))
