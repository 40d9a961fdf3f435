"""End-to-end tests read later days' questions as open ones (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from bot.content import Library, load_library
from tests.conftest import open_questions_only


@pytest.fixture(scope="session")
def library() -> Library:
    return open_questions_only(load_library())
