"""APScheduler side of reminders: one job per pending reminder row (docs/design-notes.md, decision 4).

The `reminder` table is the persistent store; APScheduler's jobs are its mirror in memory
(a `MemoryJobStore`), rebuilt from the table whenever this process takes the lead
(`start` → `sync`). So a reminder that fell due while the bot was down is found in the
table on start-up and runs once (no misfire limit); the row's `sent_at`, written under a row
lock in `reminders.fire`, makes a second run a no-op. Until 2026-11-26 the mirror was
APScheduler's SQLAlchemy job store on the bot's database: every [Kirim] then deleted about
five jobs, each in a transaction of its own, to keep a second copy of what the table holds.

Job ids are the reminder keys (`remind:{round}:{section}:before` …). `apply(changes)` brings
the jobs of the reminders a transaction changed in step (the core collects them at flush:
key → due time, or None once sent or cancelled); `sync()` compares every pending row with
the jobs (one query) and runs on taking the lead and, with several processes, every few
seconds (other processes change reminders too).

Time: the scheduler asks the bot's clock, so tests and the demo drive it with a controllable
clock (`wakeup()` after moving the clock) instead of waiting. APScheduler 3 has no public way
to be given a clock: the workaround is scheduler/apscheduler_clock.py, and only there.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from sqlalchemy import select

from bot.core import Core
from bot.procedure import reminders
from db.models import Reminder
from scheduler.apscheduler_clock import ClockedScheduler

log = logging.getLogger(__name__)
_current: dict[str, ReminderScheduler] = {}


def run_reminder(key: str) -> None:
    """The job function; runs in APScheduler's worker thread, never on the event loop."""
    sched = _current.get("scheduler")
    if sched is not None:
        sched.fire(key)


class ReminderScheduler:
    """APScheduler (a background thread: reminders fire and their database work runs off the
    event loop) kept in step with the `reminder` table."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.running: set[str] = set()  # keys whose job is executing right now
        # executions handed to the executor and not finished (a count per job: its end may
        # be reported before its submission when the job is quick)
        self._submitted: Counter[str] = Counter()
        self._listening = False
        self._known: dict[str, datetime] = {}  # the jobs' keys and due times, mirrored
        self._lock = threading.RLock()
        self.aps = ClockedScheduler(
            core.clock,
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    def _on_event(self, event: Any) -> None:
        """APScheduler's own account of executions (its thread): a job is busy from its
        submission to its end, also before `fire` has started in the executor."""
        if event.code not in (EVENT_JOB_SUBMITTED, EVENT_JOB_EXECUTED, EVENT_JOB_ERROR):
            return  # missed or refused: never submitted, so nothing to count
        with self._lock:
            self._submitted[event.job_id] += 1 if event.code == EVENT_JOB_SUBMITTED else -1
            if self._submitted[event.job_id] == 0:
                del self._submitted[event.job_id]

    def start(self) -> None:
        _current["scheduler"] = self
        if not self._listening:
            self.aps.add_listener(
                self._on_event,
                EVENT_JOB_SUBMITTED
                | EVENT_JOB_EXECUTED
                | EVENT_JOB_ERROR
                | EVENT_JOB_MISSED
                | EVENT_JOB_MAX_INSTANCES,
            )
            self._listening = True
        with self._lock:
            self.aps.remove_all_jobs()  # a lead held before: the table may have moved on
            self._known.clear()
        self.aps.start()
        self.sync()

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if _current.get("scheduler") is self:
            _current.pop("scheduler", None)

    @property
    def started(self) -> bool:
        return bool(self.aps.running)

    def fire(self, key: str) -> None:
        with self._lock:
            self.running.add(key)
        try:
            reminders.fire(self.core, key)
        finally:
            with self._lock:
                self.running.discard(key)
                self._known.pop(key, None)
        # the job is gone (a date job runs once); the transaction's commit reports the row
        # as finished, and Runtime gathers such reports, so a thousand reminders falling due
        # together cause a few updates of the jobs, not a thousand

    def sync(self) -> None:
        """Make the jobs match every pending reminder row: only what differs is touched."""
        if not self.aps.running:
            return
        with self.core.db.transaction() as s:
            rows = s.execute(
                select(Reminder.key, Reminder.due_at).where(
                    Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None)
                )
            ).all()
        wanted: dict[str, datetime | None] = {key: due for key, due in rows}
        with self._lock:
            wanted.update({k: None for k in self._known if k not in wanted})
        self.apply(wanted)

    def apply(self, changes: dict[str, datetime | None]) -> None:
        """Bring the jobs of these reminders in step: a due time makes or moves the job,
        None (sent or cancelled) removes it."""
        if not self.aps.running or not changes:
            return
        with self._lock:
            for key, due in changes.items():
                if key in self.running or self._known.get(key) == due:
                    continue
                if due is None:
                    with contextlib.suppress(JobLookupError):
                        self.aps.remove_job(key)
                    self._known.pop(key, None)
                    continue
                self.aps.add_job(
                    run_reminder,
                    "date",
                    run_date=due,
                    next_run_time=due,  # given, so adding a job never asks APScheduler's time
                    args=[key],
                    id=key,
                    replace_existing=True,
                )
                self._known[key] = due
        self.aps.wakeup()

    def wakeup(self) -> None:
        """Look for due jobs now (after the clock moved)."""
        self.aps.wakeup()

    def jobs(self) -> list[str]:
        return sorted(job.id for job in self.aps.get_jobs())

    def due_or_running(self) -> bool:
        """A job is due by the clock or executing (tests wait until neither)."""
        now = self.core.clock.now()
        with self._lock:
            if self.running or any(n > 0 for n in self._submitted.values()):
                return True
            return any(due <= now for due in self._known.values())
