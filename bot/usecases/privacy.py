"""Export and deleting one's data."""

from __future__ import annotations

import logging
from typing import Any

from bot import texts
from bot.domain.models import (
    Answer,
    Person,
    Prompt,
    Question,
)
from bot.domain.outbox import Notice
from bot.domain.selection import Format, LibraryQuestion
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


def _answer_json(answer: Answer, question: Question | None) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": answer.kind.value, "text": answer.text}
    if isinstance(question, LibraryQuestion) and answer.choice is not None:
        if question.format is Format.RATE:
            found["rating"] = answer.choice
        elif 0 <= answer.choice < len(question.options):
            found["pick"] = question.options[answer.choice]
    if answer.guess is not None:
        found["guess"] = answer.guess
        found["guess_right"] = answer.guess_verdict
    return found


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
            question = language.wording.question(prompt.content_id)  # picks in their words
            # The partner's answer only where it was shared with this person.
            theirs = entry.theirs if prompt.revealed_at is not None else None
            words = language.prompt_text(prompt)
            questions.append(
                _prompt_json(
                    prompt,
                    words,
                    services.library.format_of(prompt.content_id).value,
                    None if mine is None else _answer_json(mine, question),
                    None if theirs is None else _answer_json(theirs, question),
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
                "sensitive_pace": pair.sensitive_pace,
                "intimacy_heat": pair.heat,
                "live_apart": pair.apart,
                "stage": pair.stage,
                "anniversary": pair.anniversary.isoformat() if pair.anniversary else None,
                "paused": pair.paused,
            }
            for pair in pairs
        ],
        "questions": questions,
    }


def _prompt_json(
    prompt: Prompt,
    words: str,
    kind: str,
    mine: dict[str, Any] | None,
    theirs: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "date": prompt.local_date.isoformat(),
        "question": words,
        "kind": prompt.kind.value,
        "format": kind,
        "revealed": prompt.revealed_at is not None,
        "your_answer": mine,
        "partner_answer": theirs,
    }
