"""What an outbox row refers to, read when it is sent, for the renderer."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.models import Pair
from bot.domain.outbox import MessageKind, OutboxItem
from bot.render import View
from bot.storage import StoreTransaction


async def load_view(tx: StoreTransaction, item: OutboxItem) -> View | None:
    """Read what `item` refers to, and who reads it (for their language); None when that is
    gone (the row has nothing to send)."""
    referred = await _referred(tx, item)
    if referred is None:
        return None
    view, pair = referred
    reader = await tx.get_person(item.user_id)
    if reader is None or reader.pair_id is None:
        pair = None
    elif pair is None or pair.id != reader.pair_id:  # the row is not about their own pair
        pair = await tx.get_pair(reader.pair_id)
    clock = None if reader is None else reader.clock(pair)
    return replace(view, reader=reader, clock=clock)


async def _referred(tx: StoreTransaction, item: OutboxItem) -> tuple[View, Pair | None] | None:
    """What the row is about, and the pair read on the way (None if none was)."""
    if item.kind in (MessageKind.GIFT, MessageKind.CHANGES, MessageKind.CONSENT):
        return View(), None
    if item.kind is MessageKind.NUDGE:
        nudge = await tx.get_nudge(int(item.payload.get("nudge_id", 0)))
        pair = await tx.get_pair(nudge.pair_id) if nudge else None
        if nudge is None or pair is None or pair.ended_at is not None:
            return None
        partner = await tx.get_person(pair.partner_of(item.user_id))
        view = View(
            partner_name=partner.first_name if partner else None,
            nudge_id=nudge.id,
            nudge_content_id=nudge.content_id,
        )
        return view, pair
    prompt = None if item.prompt_id is None else await tx.get_prompt(item.prompt_id)
    if item.kind is MessageKind.NOTICE:
        return View(prompt=prompt), None
    if prompt is None:
        return None
    if item.kind in (MessageKind.QUESTION, MessageKind.EXERCISE):
        return View(prompt=prompt), None
    pair = await tx.get_pair(prompt.pair_id)
    if pair is None or item.user_id not in pair.members:
        return None
    partner_id = pair.partner_of(item.user_id)
    partner = await tx.get_person(partner_id)
    with_answers = item.kind in (MessageKind.REVEAL, MessageKind.WHY, MessageKind.STATUS)
    answers = await tx.answers_to(prompt.id) if with_answers else []
    extra = {}
    if item.kind is MessageKind.STATUS:
        extra["question_message_id"] = await tx.question_message_of(item.chat_id, prompt.id)
    view = View(
        prompt=prompt,
        partner_id=partner_id,
        partner_name=partner.first_name if partner else None,
        answers=tuple(answers),
        extra=extra,
    )
    return view, pair
