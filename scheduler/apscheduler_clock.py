"""APScheduler 3 reading the bot's clock: the one module that relies on APScheduler's
internals, because APScheduler 3 has no public way to give a scheduler another clock.

Checked against APScheduler 3.11 (`CHECKED_AGAINST`). tests/test_apscheduler_clock.py fails
when an upgrade breaks what this relies on:
- `BaseScheduler._process_jobs` is where the scheduler's thread looks for due jobs and works
  out how long to wait; it reads the time as `datetime.now(tz)`, `datetime` being a name of
  the module `apscheduler.schedulers.base`.
- While a `ClockedScheduler` runs that method, that name answers the bot's clock, so tests
  and the demo move time (`FakeClock`, `FastClock`) and call `wakeup()` instead of waiting.

APScheduler's executors judge whether a run came too late by the real time, so jobs run with
`misfire_grace_time=None` (never too late), as the bot's do. Everything else goes through the
public API: jobs are added with their `next_run_time`, so
adding one never asks for the time. With the real clock (`SystemClock`) nothing is replaced.
The name is swapped for the whole module while one pass runs, so a second scheduler in the
same process with another clock would see it too; the bot runs one scheduler per process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

import apscheduler.schedulers.base as aps_base
from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock, SystemClock

CHECKED_AGAINST = "3.11"


@contextlib.contextmanager
def _clock_time(clock: Clock) -> Iterator[None]:
    """Let APScheduler's `datetime.now` answer `clock` for the duration of the block."""

    class ClockDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            now = clock.now()
            return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

    original = aps_base.datetime
    aps_base.datetime = ClockDatetime  # type: ignore[misc]
    try:
        yield
    finally:
        aps_base.datetime = original  # type: ignore[misc]


class ClockedScheduler(BackgroundScheduler):
    """A BackgroundScheduler whose idea of "now", when it looks for due jobs, is `clock`'s."""

    def __init__(self, clock: Clock, **kwargs: Any) -> None:
        self._clock = clock
        super().__init__(**kwargs)

    def _process_jobs(self) -> float | None:
        if isinstance(self._clock, SystemClock):
            return super()._process_jobs()  # type: ignore[no-any-return]
        with _clock_time(self._clock):
            return super()._process_jobs()  # type: ignore[no-any-return]
