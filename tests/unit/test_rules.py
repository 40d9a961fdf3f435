"""Reveal rule and invite rules."""

from __future__ import annotations

import datetime as dt

from bot.domain import rules
from bot.domain.models import Invite
from bot.domain.outbox import merge_changes
from bot.domain.rules import (
    INVITE_CODE_ALPHABET,
    absent_member,
    invite_expires_at,
    invite_is_usable,
    looks_like_invite_code,
    new_invite_code,
    question_closed,
    reveal_is_due,
)

NOW = dt.datetime(2026, 1, 14, 12, 0, tzinfo=dt.UTC)


def test_reveal_waits_for_both_partners() -> None:
    assert not reveal_is_due(set(), (1, 2))
    assert not reveal_is_due({1}, (1, 2))
    assert not reveal_is_due({2, 3}, (1, 2))
    assert reveal_is_due({1, 2}, (1, 2))


def test_invite_codes_carry_at_least_64_random_bits_and_fit_a_deep_link() -> None:
    codes = {new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert set(code) <= INVITE_CODE_ALPHABET
        assert len(code) * 6 >= 64  # base64url: six bits a character
        assert len(code) <= 64
        assert looks_like_invite_code(code)


def test_garbage_does_not_look_like_an_invite_code() -> None:
    for text in ["", "short", "has spaces in it", "<script>alert</script>", "x" * 65, "ü" * 20]:
        assert not looks_like_invite_code(text)


def test_an_invite_works_for_7_days_and_only_once() -> None:
    invite = Invite("code" * 4, 1, NOW, invite_expires_at(NOW))
    assert invite_is_usable(invite, NOW + dt.timedelta(days=6, hours=23, minutes=59))
    assert not invite_is_usable(invite, NOW + dt.timedelta(days=7))
    used = Invite("code" * 4, 1, NOW, invite_expires_at(NOW), used_at=NOW)
    assert not invite_is_usable(used, NOW)


def test_a_plain_message_belongs_to_an_open_question_even_one_already_answered() -> None:
    role = rules.message_role(
        replies_to_nudge=False, replies_to_question=False, question_open=True, nudge_open=True
    )
    assert role is rules.MessageRole.ANSWER


def test_a_reply_to_the_nudge_is_an_appreciation_even_with_a_question_open() -> None:
    role = rules.message_role(
        replies_to_nudge=True, replies_to_question=False, question_open=True, nudge_open=True
    )
    assert role is rules.MessageRole.GIFT


def test_a_plain_message_soon_after_a_nudge_with_nothing_open_is_an_appreciation() -> None:
    after_nudge = rules.message_role(
        replies_to_nudge=False, replies_to_question=False, question_open=False, nudge_open=True
    )
    without_nudge = rules.message_role(
        replies_to_nudge=False, replies_to_question=False, question_open=False, nudge_open=False
    )
    assert (after_nudge, without_nudge) == (rules.MessageRole.GIFT, rules.MessageRole.ANSWER)


def test_changes_made_within_the_window_fold_into_one_and_an_undone_change_drops_out() -> None:
    paused, resumed = {"what": "paused"}, {"what": "resumed"}
    pending = merge_changes({}, "pause", "running", "paused", paused)
    pending = merge_changes(pending, "depth", "grow", "deepest", {"depth": "deepest"})
    pending = merge_changes(pending, "depth", "deepest", "gentle", {"depth": "gentle"})
    assert pending["depth"] == {"before": "grow", "after": "gentle", "change": {"depth": "gentle"}}
    pending = merge_changes(pending, "pause", "paused", "running", resumed)
    assert list(pending) == ["depth"]
    assert merge_changes(pending, "depth", "gentle", "grow", {"depth": "grow"}) == {}


def test_a_question_closes_once_its_open_time_has_passed() -> None:
    hours_48 = dt.timedelta(hours=48)
    assert not question_closed(NOW, NOW + dt.timedelta(hours=47, minutes=59), hours_48)
    assert question_closed(NOW, NOW + hours_48, hours_48)


def test_the_partner_who_answered_none_of_the_last_days_is_absent_when_the_other_answered() -> (
    None
):
    members = (1, 2)
    assert absent_member(members, [frozenset({1}), frozenset(), frozenset({1})], 3) == 2
    assert absent_member(members, [frozenset(), frozenset(), frozenset()], 3) is None
    assert absent_member(members, [frozenset({1}), frozenset({2}), frozenset()], 3) is None
    assert absent_member(members, [frozenset({1}), frozenset()], 3) is None  # too few days
