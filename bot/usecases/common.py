"""What every use case shares: the services object, the clock, partner notices and who is
paired with whom."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.config import Settings
from bot.content import Library
from bot.domain.models import (
    Pair,
    Person,
    Schedule,
)
from bot.domain.outbox import MessageKind, NewMessage, Notice, merge_changes
from bot.i18n import Language, Languages
from bot.metrics import Metrics
from bot.storage import Store, StoreTransaction

log = logging.getLogger(__name__)


def system_clock() -> dt.datetime:
    """The real time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


Clock = Callable[[], dt.datetime]


@dataclass
class Services:
    """What every use case needs; built once by the app and shared by handlers and jobs."""

    settings: Settings
    db: Store
    library: Library
    clock: Clock = system_clock
    # Wakes the delivery loop after something was added to the outbox.
    wake_delivery: Callable[[], None] = field(default=lambda: None)
    metrics: Metrics = field(default_factory=Metrics)
    # The languages offered; English only unless the app loads the others.
    languages: Languages = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.languages is None:
            self.languages = Languages(self.library)

    def language_of(self, person: Person | None) -> Language:
        """The language a person reads (English for someone the bot does not know)."""
        if person is None:
            return self.languages.get(None)
        return self.languages.for_person(person.language, person.telegram_language)

    def default_schedule(self) -> Schedule:
        """The schedule a new pair starts with."""
        return Schedule(
            timezone=self.settings.default_timezone, send_time=self.settings.default_send_time
        )


DAY = dt.timedelta(days=1)


def notice_to(
    person: Person,
    notice: Notice,
    params: dict[str, Any] | None = None,
    *,
    about: Person | None = None,
    prompt_id: int | None = None,
) -> NewMessage:
    """An outbox row carrying a notice (rendered when sent) to `person`; `about` is whoever it
    names (deleting their data withdraws it)."""
    return NewMessage(
        person.user_id,
        person.chat_id,
        MessageKind.NOTICE,
        prompt_id,
        payload={"notice": notice.value, "params": params or {}},
        about_user_id=None if about is None else about.user_id,
    )


# A change for `tell_partner`: (topic, state before, state after, parameters for the renderer).
Change = tuple[str, str, str, dict[str, Any]]


CHANGE_WINDOW = dt.timedelta(seconds=60)  # changes a partner makes within it become one notice


async def tell_partner(
    tx: StoreTransaction,
    pair_id: int,
    actor: Person,
    partner: Person,
    change: Change,
    now: dt.datetime,
) -> None:
    """Tell the partner about a shared change: changes within CHANGE_WINDOW become one notice,
    and a change undone within it tells nothing."""
    topic, before, after, params = change
    key = f"changes:{pair_id}:{actor.user_id}:{partner.user_id}"
    pending = await tx.pending_payload(key)
    if pending is not None:
        merged = merge_changes(pending.get("changes", {}), topic, before, after, params)
        await tx.replace_pending_payload(key, {**pending, "changes": merged} if merged else None)
        return
    changes = merge_changes({}, topic, before, after, params)
    if not changes:
        return
    message = NewMessage(
        partner.user_id,
        partner.chat_id,
        MessageKind.CHANGES,
        payload={"from_name": actor.first_name, "changes": changes},
        about_user_id=actor.user_id,
        coalesce_key=key,
        delay=CHANGE_WINDOW,
    )
    await tx.enqueue([message], now)


async def members_of(tx: StoreTransaction, pair: Pair) -> list[Person]:
    """Return both people of a pair (fewer if one deleted their data)."""
    people = [await tx.get_person(member) for member in pair.members]
    return [person for person in people if person is not None]


@dataclass(frozen=True)
class Pairing:
    """The acting person, their active pair and their partner."""

    person: Person
    pair: Pair
    partner: Person
    asked_topics: frozenset[str] = frozenset()  # opt-in topics the person asked to turn on


async def pairing_in(tx: StoreTransaction, user_id: int) -> Pairing | None:
    pair = await tx.active_pair_of(user_id)
    if pair is None:
        return None
    person = await tx.get_person(user_id)
    partner = await tx.get_person(pair.partner_of(user_id))
    if person is None or partner is None:
        return None
    return Pairing(person, pair, partner)


async def pairing_of(services: Services, user_id: int) -> Pairing | None:
    """Return the person, their active pair and their partner, if paired (what /start, the
    settings menu and the not-paired replies look at)."""
    async with services.db.transaction() as tx:
        pairing = await pairing_in(tx, user_id)
        if pairing is None:
            return None
        asked = await tx.topics_asked(pairing.pair.id, user_id)
        return replace(pairing, asked_topics=asked)
