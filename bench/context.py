"""What every scenario gets: sizes, a work folder, the content library and a progress line."""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.content import Library
from bot.i18n import ENGLISH
from sandbox.fake_bot_api import parse_html


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs; `quick()` gives the smoke test's sizes."""

    burst_pairs: int = 10_000
    claim_pairs: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    claim_runs: int = 7
    claim_batch: int = 500  # the claim query measured (the tick itself uses BATCH_SIZE)
    broadcast_pairs: int = 3_000
    reveal_samples: int = 100
    backlog_pairs: int = 10_000
    strict_samples: int = 20
    memory_pairs: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    jobs: int = 10_000
    miniapp_runs: int = 10

    @classmethod
    def quick(cls) -> Sizes:
        """Tiny sizes: every scenario runs end to end, all of them in about 20 seconds.

        The quick burst (24 messages) fits inside the one-second allowance of both the bot's
        limiter and the fake's, so its zero-429 check is deterministic; the steady state at
        30 msg/s is what the full run measures.
        """
        return cls(
            burst_pairs=12,
            claim_pairs=(2_000, 20_000),
            claim_runs=1,
            claim_batch=100,
            broadcast_pairs=100,
            reveal_samples=3,
            backlog_pairs=20,
            strict_samples=1,
            memory_pairs=(20_000,),
            jobs=20,
            miniapp_runs=1,
        )


@dataclass
class Bench:
    """Shared by the scenarios of one run."""

    sizes: Sizes
    workdir: Path
    library: Library
    # The bot's SEND_RATE in the burst and reveal scenarios; 30 is the production default and
    # what the fake API enforces. A lower value shows what headroom under the limit buys.
    send_rate: float = 30.0
    started: float = field(default_factory=time.monotonic)

    def say(self, text: str) -> None:
        """Print a progress line on stderr (the table goes to stdout)."""
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:7.1f}s] {text}", file=sys.stderr, flush=True)

    def history_ids(self) -> list[str]:
        """Library question ids, for the earlier questions seeded pairs have had."""
        return [question.id for question in self.library.questions]


def now() -> dt.datetime:
    """The real time, timezone-aware (the bot under test uses the system clock too)."""
    return dt.datetime.now(dt.UTC)


def question_marker() -> str:
    """What the header of a daily question says in every format, as a user sees it: the
    open question's first line without its emoji ("Today's question"), which the headers of
    finish-the-sentence, pick, rate and guess questions also hold."""
    header = parse_html(ENGLISH.question("Q", "P")).split("\n", 1)[0].strip()
    return header.split(" ", 1)[1]
