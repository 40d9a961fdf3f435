"""Use cases on a real database (SQLite and PostgreSQL): what each one stores and queues."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.domain.models import AnswerKind, Frequency
from bot.domain.outbox import MessageKind
from bot.scheduling import run_tick
from bot.usecases import answers, nudges, pause, privacy, questions, settings
from bot.usecases.common import Services
from sandbox.harness import FakeClock
from tests.backends import table_cells
from tests.usecases.conftest import Couple


def _incoming(user: int, message_id: int, text: str, reply_to: int | None = None) -> Any:
    return answers.IncomingAnswer(
        user_id=user,
        chat_id=user,
        message_id=message_id,
        kind=AnswerKind.TEXT,
        text=text,
        reply_to_message_id=reply_to,
    )


async def _rows(services: Services, sql: str) -> list[Any]:
    async with services.db.reading() as tx:
        return list(await tx._all(sql))  # type: ignore[attr-defined]


async def test_changes_within_a_minute_become_one_pending_notice(
    services: Services, couple: Couple
) -> None:
    await pause.pause(services, couple.alice, "3d")
    await settings.change_schedule(services, couple.alice, frequency=Frequency.WEEKDAYS)
    await settings.change_schedule(services, couple.alice, timezone="Europe/Berlin")  # own: untold
    rows = await _rows(services, "SELECT payload FROM outbox WHERE kind = 'changes'")
    assert len(rows) == 1
    assert sorted(json.loads(rows[0][0])["changes"]) == ["frequency", "pause"]


async def test_a_change_undone_within_the_minute_leaves_nothing_to_send(
    services: Services, couple: Couple
) -> None:
    await pause.pause(services, couple.alice, "")
    await pause.resume(services, couple.alice)
    assert await _rows(services, "SELECT id FROM outbox WHERE kind = 'changes'") == []


async def test_a_second_message_before_the_reveal_asks_to_replace_the_answer_and_is_not_a_gift(
    services: Services, couple: Couple
) -> None:
    first = await answers.receive_message(services, _incoming(couple.alice, 10, "first"))
    assert first.answer is not None and first.answer.outcome is answers.AnswerOutcome.SAVED
    assert isinstance(services.clock, FakeClock)
    async with services.db.transaction() as tx:  # nudges for Alice on every day, Wednesday too
        # ...and the pair formed yesterday: the first question's own day has no nudge.
        yesterday = int((services.clock() - dt.timedelta(days=1)).timestamp())
        await tx._run(  # type: ignore[attr-defined]
            "UPDATE pairs SET created_at = ? WHERE id = ?", (yesterday, couple.pair.id)
        )
        await tx.set_nudge_plan(couple.alice, days=frozenset(range(1, 8)))
        alice, pair = await tx.get_person(couple.alice), await tx.get_pair(couple.pair.id)
        assert alice is not None
        await nudges.plan_nudges(tx, alice, pair, services.clock())
    services.clock.set(services.clock.now.replace(hour=19))
    # The evening nudge arrives for Alice only: Bob has not answered today's question.
    assert (await run_tick(services)).nudges == 1
    again = await answers.receive_message(services, _incoming(couple.alice, 11, "correction"))
    assert again.gift_to is None
    assert again.answer is not None and again.answer.outcome is answers.AnswerOutcome.ASK_REPLACE
    assert await _rows(services, "SELECT id FROM outbox WHERE kind = 'gift'") == []
    replaced = await answers.resolve_pending(
        services, couple.alice, again.answer.pending_id, answers.PendingChoice.REPLACE
    )
    assert replaced.answer is not None
    assert replaced.answer.outcome is answers.AnswerOutcome.REPLACED
    rows = await _rows(services, "SELECT text FROM answers WHERE user_id = 1")
    assert [row[0] for row in rows] == ["correction"]
    assert await _rows(services, "SELECT id FROM pending_answers") == []


async def test_the_fourth_swap_of_a_day_is_refused(services: Services, couple: Couple) -> None:
    outcomes = [await questions.skip(services, couple.alice) for _ in range(4)]
    assert outcomes == [questions.SkipOutcome.SKIPPED] * 3 + [questions.SkipOutcome.LIMIT]
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(days=1)
    assert await questions.skip(services, couple.alice) is not questions.SkipOutcome.LIMIT


async def test_deleting_a_person_leaves_their_id_and_words_in_no_table(
    services: Services, couple: Couple
) -> None:
    await answers.receive_message(services, _incoming(couple.bob, 20, "bob's secret words"))
    kept = await answers.receive_message(services, _incoming(couple.bob, 21, "bob's thanks!"))
    assert kept.answer is not None and kept.answer.outcome in answers.ASKING  # kept: his words
    await questions.ask(services, couple.bob, "What is bob's own question?")
    await privacy.delete_my_data(services, couple.bob)
    cells = await table_cells(services.db, postgres=services.settings.database_dsn is not None)
    assert "Bob" not in cells and str(couple.bob) not in cells
    assert not [cell for cell in cells if "bob's" in cell]
    kinds = {row[0] for row in await _rows(services, "SELECT kind FROM outbox WHERE user_id = 1")}
    assert MessageKind.NOTICE.value in kinds  # Alice is told, without Bob's name


async def test_an_aside_is_kept_not_saved_until_the_person_says_so(
    services: Services, couple: Couple
) -> None:
    asked = await answers.receive_message(services, _incoming(couple.alice, 30, "thanks!"))
    assert asked.answer is not None and asked.answer.outcome is answers.AnswerOutcome.ASK_SAVE
    assert await _rows(services, "SELECT text FROM answers") == []
    dismissed = await answers.resolve_pending(
        services, couple.alice, asked.answer.pending_id, answers.PendingChoice.NOT_AN_ANSWER
    )
    assert dismissed.outcome is answers.PendingOutcome.DISMISSED
    assert await _rows(services, "SELECT id FROM pending_answers") == []
    assert await _rows(services, "SELECT text FROM answers") == []


async def test_a_kept_message_saved_by_its_button_becomes_the_answer(
    services: Services, couple: Couple
) -> None:
    asked = await answers.receive_message(services, _incoming(couple.alice, 31, "ok?"))
    assert asked.answer is not None
    saved = await answers.resolve_pending(
        services, couple.alice, asked.answer.pending_id, answers.PendingChoice.SAVE
    )
    assert saved.answer is not None and saved.answer.outcome is answers.AnswerOutcome.SAVED
    assert [row[0] for row in await _rows(services, "SELECT text FROM answers")] == ["ok?"]


async def test_buttons_of_an_expired_or_someone_elses_kept_message_do_nothing(
    services: Services, couple: Couple
) -> None:
    asked = await answers.receive_message(services, _incoming(couple.alice, 32, "hi"))
    assert asked.answer is not None
    pending_id = asked.answer.pending_id
    stolen = await answers.resolve_pending(
        services, couple.bob, pending_id, answers.PendingChoice.SAVE
    )
    wrong = await answers.resolve_pending(
        services, couple.alice, pending_id, answers.PendingChoice.REPLACE
    )
    assert stolen.outcome is wrong.outcome is answers.PendingOutcome.EXPIRED
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(days=1, minutes=1)
    late = await answers.resolve_pending(
        services, couple.alice, pending_id, answers.PendingChoice.SAVE
    )
    assert late.outcome is answers.PendingOutcome.EXPIRED
    assert await _rows(services, "SELECT text FROM answers") == []
