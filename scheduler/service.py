"""APScheduler side of reminders: one job per pending reminder row, in a persistent
SQLAlchemy job store on the bot's database (DESIGN.md decision 4).

Job ids are the reminder keys (`remind:{round}:{section}:before` …). `sync()` makes the job
store match the `reminder` table: missing jobs are created, moved deadlines replace their
job, finished ones are removed. On start-up, a reminder that fell due while the bot was down
runs once (coalesced, no misfire limit); the row's `sent_at` makes a second run a no-op.

Time: the scheduler asks the bot's clock, so tests and the demo drive it with a controllable
clock (`wakeup()` after moving the clock) instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import apscheduler.schedulers.base as aps_base
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import reminders
from bot.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)
_current: dict[str, Runtime] = {}


@contextlib.contextmanager
def _clock_time(clock: Clock) -> Iterator[None]:
    """Let APScheduler read `now` from our clock while it decides what is due."""
    if isinstance(clock, SystemClock):
        yield
        return

    class ClockDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            now = clock.now()
            return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

    original = aps_base.datetime
    aps_base.datetime = ClockDatetime  # type: ignore[misc]
    try:
        yield
    finally:
        aps_base.datetime = original  # type: ignore[misc]


class ClockedScheduler(AsyncIOScheduler):
    """AsyncIOScheduler whose idea of "now" comes from the bot's clock."""

    def __init__(self, clock: Clock, **kwargs: Any) -> None:
        self._clock = clock
        super().__init__(**kwargs)

    def _process_jobs(self) -> float | None:
        with _clock_time(self._clock):
            return super()._process_jobs()  # type: ignore[no-any-return]

    def _real_add_job(self, *args: Any, **kwargs: Any) -> None:
        with _clock_time(self._clock):
            super()._real_add_job(*args, **kwargs)


async def run_reminder(key: str) -> None:
    """The job function (referenced by name in the persistent store)."""
    rt = _current.get("rt")
    if rt is None:
        return
    rt.scheduler.running.add(key)
    rt.inflight += 1
    try:
        await asyncio.to_thread(reminders.fire, rt.core, key)
    finally:
        rt.scheduler.running.discard(key)
        rt.inflight -= 1
    rt.scheduler.sync()
    rt.delivery.wake()


class ReminderScheduler:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.running: set[str] = set()  # keys whose job is executing right now
        self.aps = ClockedScheduler(
            rt.clock,
            jobstores={"default": SQLAlchemyJobStore(engine=rt.db.engine)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> None:
        _current["rt"] = self.rt
        self.aps.start()
        self.sync()

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if _current.get("rt") is self.rt:
            _current.pop("rt", None)

    def sync(self) -> None:
        """Make the job store match the pending reminders."""
        self.rt.core.reminders_changed = False
        with self.rt.db.transaction() as s:
            wanted = {r.key: r.due_at for r in reminders.pending(s)}
        existing = {job.id: job for job in self.aps.get_jobs()}
        for job_id, job in existing.items():
            if job_id not in wanted:
                job.remove()
        for key, due in wanted.items():
            if key in self.running:
                continue  # its job is executing; re-adding it would run it twice
            job = existing.get(key)
            if job is not None and job.next_run_time == due:
                continue
            self.aps.add_job(
                run_reminder, "date", run_date=due, args=[key], id=key, replace_existing=True
            )
        self.aps.wakeup()

    def wakeup(self) -> None:
        """Look for due jobs now (after the clock moved)."""
        self.aps.wakeup()

    def jobs(self) -> list[str]:
        return sorted(job.id for job in self.aps.get_jobs())
