"""Export and deleting one's data."""

from __future__ import annotations

import logging
from typing import Any

from bot import texts
from bot.domain.models import (
    AnswerKind,
    Person,
    Prompt,
)
from bot.domain.outbox import Notice
from bot.usecases.common import Services, notice_to, pairing_in

log = logging.getLogger(__name__)


async def delete_my_data(services: Services, user_id: int) -> Person | None:
    """Delete everything about a person, end their pairing and tell the partner (nothing of
    the deleted data is shared); return the former partner."""
    now = services.clock()
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        partner = None
        if pairing is not None:
            await tx.end_pair(pairing.pair.id, now)
            partner = pairing.partner
            await tx.enqueue([notice_to(partner, Notice.PARTNER_DELETED)], now)
        await tx.delete_person(user_id, texts.DELETED_QUESTION)
    await services.db.forget_deleted()
    log.info("user %d deleted their data", user_id)
    services.wake_delivery()
    return partner


def _answer_json(kind: AnswerKind, text: str) -> dict[str, str]:
    return {"kind": kind.value, "text": text}


async def export(services: Services, user_id: int) -> dict[str, Any]:
    """Collect the person's own data: their answers, the questions, their settings, and their
    partner's answers only where they were revealed to them."""
    async with services.db.reading() as tx:
        person = await tx.get_person(user_id)
        pairs = await tx.pairs_of(user_id)
        language = services.language_of(person)
        questions = []
        for entry in await tx.all_entries_of(user_id):
            prompt, mine = entry.prompt, entry.mine
            # The partner's answer only where it was shared with this person.
            theirs = entry.theirs if prompt.revealed_at is not None else None
            words = (
                language.texts(texts.DELETED_QUESTION)
                if prompt.text == texts.DELETED_QUESTION
                else language.wording.prompt_text(prompt)
            )
            questions.append(
                _prompt_json(
                    prompt,
                    words,
                    None if mine is None else _answer_json(mine.kind, mine.text),
                    None if theirs is None else _answer_json(theirs.kind, theirs.text),
                )
            )
    return {
        "format": "nearer-export-1",
        "exported_at": services.clock().isoformat(),
        "you": None
        if person is None
        else {
            "user_id": person.user_id,
            "first_name": person.first_name,
            "reminders": person.reminders_on,
            "nudges": person.nudges_on,
            "reminder_hours": person.reminder_hours,
            "language": language.code,
            "quiet_hours": [
                person.quiet_start.isoformat("minutes"),
                person.quiet_end.isoformat("minutes"),
            ],
        },
        "pairs": [
            {
                "active": pair.ended_at is None,
                "ended_at": pair.ended_at.isoformat() if pair.ended_at else None,
                "timezone": pair.schedule.timezone,
                "send_time": pair.schedule.send_time.isoformat("minutes"),
                "frequency": pair.schedule.frequency.value,
                "depth": pair.preferences.depth.value,
                "topics_off": sorted(pair.preferences.disabled_categories),
                "sensitive_topics_on": sorted(pair.preferences.enabled_sensitive),
                "paused": pair.paused,
            }
            for pair in pairs
        ],
        "questions": questions,
    }


def _prompt_json(
    prompt: Prompt, words: str, mine: dict[str, str] | None, theirs: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "date": prompt.local_date.isoformat(),
        "question": words,
        "kind": prompt.kind.value,
        "revealed": prompt.revealed_at is not None,
        "your_answer": mine,
        "partner_answer": theirs,
    }
