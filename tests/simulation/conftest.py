"""The simulation lives with the whole library, every format included."""

from __future__ import annotations

import pytest

from bot.content import Library, load_library


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()
