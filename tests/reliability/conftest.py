"""Reliability tests run at a reduced size in `make test` and at full size in `make soak`.

Each test is parametrised with a `reduced` and a `full` size; the full one is marked `slow`.
`NEARER_FULL=1 pytest tests/reliability` runs the full sizes instead of the reduced ones (and
the tests that have no size); without it, a full size runs only when `-m slow` selects it, so a
bare `pytest` stays quick.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.support import FULL

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selects_slow = "slow" in (config.option.markexpr or "") and "not slow" not in (
        config.option.markexpr or ""
    )
    for item in items:
        if HERE not in item.path.parents:
            continue
        slow = item.get_closest_marker("slow") is not None
        ids = item.name.rpartition("[")[2].rstrip("]").split("-")  # e.g. [reduced-postgres]
        if FULL and "reduced" in ids:
            item.add_marker(pytest.mark.skip(reason="NEARER_FULL=1 runs the full size only"))
        elif slow and not FULL and not selects_slow:
            item.add_marker(pytest.mark.skip(reason="full size: make soak or NEARER_FULL=1"))
