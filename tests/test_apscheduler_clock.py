"""scheduler/apscheduler_clock.py against the installed APScheduler: these fail when an upgrade
breaks what the adapter relies on (see its docstring), not merely when the version changes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import apscheduler
import apscheduler.schedulers.base as aps_base
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore

from bot.clock import FakeClock
from scheduler.apscheduler_clock import CHECKED_AGAINST, ClockedScheduler


def test_the_hooks_the_adapter_replaces_are_there():
    assert callable(getattr(aps_base.BaseScheduler, "_process_jobs", None)), (
        f"APScheduler {apscheduler.__version__} (adapter checked against {CHECKED_AGAINST}) "
        "no longer looks for due jobs in BaseScheduler._process_jobs"
    )
    assert aps_base.datetime is datetime, (
        "apscheduler.schedulers.base no longer reads the time as `datetime.now`"
    )


class WatchedStore(MemoryJobStore):
    """A job store (APScheduler's public interface for one) that notes each time the scheduler
    asks it for due jobs: the time it asked with and the jobs that were due."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[datetime, list[str]]] = []

    def get_due_jobs(self, now: datetime) -> list[Job]:
        jobs: list[Job] = super().get_due_jobs(now)
        self.asked.append((now, [job.id for job in jobs]))
        return jobs


def test_due_is_decided_by_the_bots_clock_not_the_real_one():
    """The bot's clock a day behind the real time: a job due by the real clock only waits, a
    job due by the bot's clock runs; moving the bot's clock a day on runs the first."""
    real = datetime.now(UTC)
    clock = FakeClock(real - timedelta(days=1))
    store = WatchedStore()
    aps = ClockedScheduler(
        clock,
        jobstores={"default": store},
        job_defaults={"misfire_grace_time": None},  # as the bot's: see the adapter
        timezone=UTC,
    )
    ran = {"real": threading.Event(), "bot": threading.Event()}
    aps.add_listener(lambda event: ran[event.job_id].set(), EVENT_JOB_EXECUTED)
    aps.start(paused=True)
    try:
        for key, due in (("real", real - timedelta(minutes=1)), ("bot", clock.now())):
            aps.add_job(lambda: None, "date", run_date=due, next_run_time=due, id=key)
        aps.resume()
        assert ran["bot"].wait(30), "a job due by the bot's clock did not run"
        assert store.asked == [(clock.now(), ["bot"])]
        assert [job.id for job in aps.get_jobs()] == ["real"]

        clock.advance(timedelta(days=1))
        aps.wakeup()
        assert ran["real"].wait(30), "moving the bot's clock on did not run the job"
        assert store.asked[-1] == (clock.now(), ["real"])
        assert aps.get_jobs() == []
    finally:
        aps.shutdown(wait=True)
    assert aps_base.datetime is datetime  # the module's own name is back after each pass
