"""Each person's allowance: a burst, one "slow down" note, then silence until it refills.

Two buckets per person. Commands, button presses and membership changes draw on ACTIONS: twelve
at once, one back every second, so a person tapping through menus at human speed never runs
out, while thirty quick /help do. Plain messages (answers, gifts, edits) draw on MESSAGES, which
is more generous: a partner writing twenty messages in a row is never told to slow down.

When a bucket runs dry the person gets one note, and from then on nothing from them is handled
until that bucket is full again. What is refused costs nothing, so the silence lasts a fixed
time (burst × refill: 12 s for actions, 20 s for messages) however hard someone floods, and a
flooder sees at most one note per silence.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    """What an update spends."""

    ACTION = "action"  # a command, a button press, a membership change
    MESSAGE = "message"  # a plain message or an edit


class Verdict(enum.Enum):
    """What to do with one update."""

    HANDLE = "handle"
    WARN = "warn"  # the bucket just ran dry: send the one "slow down" note, handle nothing
    DROP = "drop"  # silenced: handle nothing, say nothing


@dataclass(frozen=True)
class Allowance:
    """A bucket of `burst` actions; one comes back every `refill_seconds`."""

    burst: int
    refill_seconds: float

    def silence_seconds(self) -> float:
        """How long a person who emptied this bucket stays silenced."""
        return self.burst * self.refill_seconds


ALLOWANCES = {
    Kind.ACTION: Allowance(burst=12, refill_seconds=1.0),
    Kind.MESSAGE: Allowance(burst=20, refill_seconds=1.0),
}

MAX_TRACKED_PEOPLE = 10_000  # beyond this, people whose buckets are full are forgotten


@dataclass
class _Person:
    levels: dict[Kind, float]
    at: float
    silenced_by: Kind | None = None


class AllowanceBook:
    """Everyone's buckets, kept in memory (a restart gives everyone a full allowance)."""

    def __init__(
        self,
        allowances: dict[Kind, Allowance] | None = None,
        *,
        max_people: int = MAX_TRACKED_PEOPLE,
    ) -> None:
        self._allowances = dict(ALLOWANCES if allowances is None else allowances)
        self._max_people = max_people
        self._people: dict[int, _Person] = {}

    def take(self, person: int, kind: Kind, now: float) -> Verdict:
        """Spend one `kind` from `person`'s allowance at `now` (seconds, any monotonic origin)."""
        record = self._refilled(person, now)
        if record.silenced_by is not None:
            silencer = self._allowances[record.silenced_by]
            if record.levels[record.silenced_by] < silencer.burst:
                return Verdict.DROP
            record.silenced_by = None
        if record.levels[kind] >= 1:
            record.levels[kind] -= 1
            return Verdict.HANDLE
        record.silenced_by = kind
        return Verdict.WARN

    def silenced(self, person: int, now: float) -> bool:
        """Whether `person` is silenced at `now` (nothing from them would be handled)."""
        record = self._people.get(person)
        if record is None or record.silenced_by is None:
            return False
        record = self._refilled(person, now)
        assert record.silenced_by is not None
        return record.levels[record.silenced_by] < self._allowances[record.silenced_by].burst

    def _refilled(self, person: int, now: float) -> _Person:
        record = self._people.get(person)
        if record is None:
            self._forget_the_idle(now)
            record = _Person({k: float(a.burst) for k, a in self._allowances.items()}, now)
            self._people[person] = record
            return record
        elapsed = max(0.0, now - record.at)
        for kind, allowance in self._allowances.items():
            gained = elapsed / allowance.refill_seconds
            record.levels[kind] = min(float(allowance.burst), record.levels[kind] + gained)
        record.at = max(record.at, now)
        return record

    def _forget_the_idle(self, now: float) -> None:
        if len(self._people) < self._max_people:
            return
        for person in list(self._people):
            record = self._refilled(person, now)
            if record.silenced_by is None and all(
                record.levels[k] >= a.burst for k, a in self._allowances.items()
            ):
                del self._people[person]
