"""The per-person allowance: a burst, one note, silence until the bucket is full again."""

from __future__ import annotations

from bot.domain.allowance import ALLOWANCES, Allowance, AllowanceBook, Kind, Verdict

ACTIONS = ALLOWANCES[Kind.ACTION]
MESSAGES = ALLOWANCES[Kind.MESSAGE]


def _spend(book: AllowanceBook, count: int, kind: Kind = Kind.ACTION, now: float = 0.0) -> list:
    return [book.take(1, kind, now) for _ in range(count)]


def test_a_burst_of_actions_is_handled_then_one_note_then_silence() -> None:
    verdicts = _spend(AllowanceBook(), 30)
    assert verdicts[: ACTIONS.burst] == [Verdict.HANDLE] * ACTIONS.burst
    assert verdicts[ACTIONS.burst] == Verdict.WARN
    assert set(verdicts[ACTIONS.burst + 1 :]) == {Verdict.DROP}


def test_a_silenced_person_is_heard_again_once_the_bucket_is_full() -> None:
    book = AllowanceBook()
    _spend(book, ACTIONS.burst + 1)
    almost = ACTIONS.silence_seconds() - 0.1
    assert book.take(1, Kind.ACTION, almost) == Verdict.DROP
    assert book.silenced(1, almost)
    assert book.take(1, Kind.ACTION, ACTIONS.silence_seconds()) == Verdict.HANDLE
    assert not book.silenced(1, ACTIONS.silence_seconds())


def test_flooding_without_pause_gets_one_note_per_silence_not_one_per_refill() -> None:
    book = AllowanceBook()
    verdicts = [book.take(1, Kind.ACTION, step / 10) for step in range(10 * 60)]  # 10/s, 1 min
    assert verdicts.count(Verdict.WARN) <= 60 / ACTIONS.silence_seconds() + 1
    assert verdicts.count(Verdict.HANDLE) <= (60 / ACTIONS.silence_seconds() + 1) * ACTIONS.burst


def test_someone_tapping_at_a_steady_pace_is_never_told_to_slow_down() -> None:
    book = AllowanceBook()
    verdicts = [book.take(1, Kind.ACTION, step * ACTIONS.refill_seconds) for step in range(200)]
    assert set(verdicts) == {Verdict.HANDLE}


def test_a_partner_writing_many_messages_in_a_row_is_never_told_to_slow_down() -> None:
    book = AllowanceBook()
    # Twelve messages within a few seconds, then a chatty evening: one every three seconds.
    verdicts = _spend(book, 12, Kind.MESSAGE)
    verdicts += [book.take(1, Kind.MESSAGE, 5.0 + 3 * step) for step in range(300)]
    assert set(verdicts) == {Verdict.HANDLE}


def test_messages_do_not_spend_the_allowance_for_commands() -> None:
    book = AllowanceBook()
    _spend(book, MESSAGES.burst, Kind.MESSAGE)
    assert book.take(1, Kind.ACTION, 0.0) == Verdict.HANDLE


def test_a_silenced_person_is_not_heard_in_any_way() -> None:
    book = AllowanceBook()
    _spend(book, ACTIONS.burst + 1)
    assert book.take(1, Kind.MESSAGE, 1.0) == Verdict.DROP


def test_one_person_flooding_leaves_everyone_else_their_whole_allowance() -> None:
    book = AllowanceBook()
    _spend(book, 50)
    assert [book.take(2, Kind.ACTION, 0.0) for _ in range(ACTIONS.burst)] == (
        [Verdict.HANDLE] * ACTIONS.burst
    )
    assert not book.silenced(2, 0.0)


def test_the_book_forgets_people_whose_buckets_are_full_when_it_grows_large() -> None:
    book = AllowanceBook({Kind.ACTION: Allowance(burst=2, refill_seconds=1.0)}, max_people=10)
    for person in range(10):
        book.take(person, Kind.ACTION, 0.0)
    book.take(99, Kind.ACTION, 5.0)  # everyone else has refilled by now
    assert len(book._people) == 1
