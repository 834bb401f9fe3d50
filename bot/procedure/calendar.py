"""Working days for an Indonesian government office: Monday–Friday, without national public
holidays and collective leave (cuti bersama, the `holidays` package's Indonesia calendar with
its government category), and without the office's own days off. Quiet hours keep reminders
out of the night."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    return dict(holidays.Indonesia(years=year, categories=("public", "government")))


def warm_holidays(today: date | None = None) -> None:
    """Load this year's and next year's holidays now (the first load costs about 90 ms)."""
    year = (today or date.today()).year
    _holidays(year)
    _holidays(year + 1)


class WorkCalendar:
    def __init__(
        self,
        tz: str = "Asia/Makassar",
        extra_days_off: Iterable[date] = (),
        quiet_start: time = time(20, 0),
        quiet_end: time = time(7, 0),
        work_start: time = time(8, 0),
        work_end: time = time(16, 0),
    ) -> None:
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.extra_days_off = frozenset(extra_days_off)
        self.quiet_start, self.quiet_end = quiet_start, quiet_end
        self.work_start, self.work_end = work_start, work_end

    def holiday_name(self, d: date) -> str | None:
        if d in self.extra_days_off:
            return "Hari libur kantor"
        return _holidays(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and self.holiday_name(d) is None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (before it when n < 0); n = 0: `start` if it
        is a working day, else the next one."""
        d = start
        if n == 0:
            while not self.is_working_day(d):
                d += timedelta(days=1)
            return d
        step = 1 if n > 0 else -1
        left = abs(n)
        while left:
            d += timedelta(days=step)
            if self.is_working_day(d):
                left -= 1
        return d

    def local(self, dt_utc: datetime) -> datetime:
        return dt_utc.astimezone(self.zone)

    def at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.zone).astimezone(UTC)

    def start_of_day(self, d: date) -> datetime:
        return self.at(d, self.work_start)

    def end_of_day(self, d: date) -> datetime:
        return self.at(d, self.work_end)

    def deadline_after(self, start_utc: datetime, n: int) -> datetime:
        """Office closing time of the n-th working day after the local date of `start`."""
        return self.end_of_day(self.add_working_days(self.local(start_utc).date(), n))

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b` (0 when b <= a)."""
        count, d = 0, a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    def working_days_late(self, deadline_utc: datetime, at_utc: datetime) -> int:
        """0 when on time; otherwise the working days from the deadline's date to `at`'s
        date, at least 1."""
        if at_utc <= deadline_utc:
            return 0
        days = self.working_days_between(self.local(deadline_utc).date(), self.local(at_utc).date())
        return max(days, 1)

    def next_working_morning(self, after_utc: datetime) -> datetime:
        d = self.local(after_utc).date()
        while True:
            candidate = self.start_of_day(d)
            if self.is_working_day(d) and candidate > after_utc:
                return candidate
            d += timedelta(days=1)

    def in_quiet_hours(self, when_utc: datetime) -> bool:
        t = self.local(when_utc).time()
        if self.quiet_start > self.quiet_end:
            return t >= self.quiet_start or t < self.quiet_end
        return self.quiet_start <= t < self.quiet_end

    def defer_for_quiet_hours(self, when_utc: datetime) -> datetime:
        """Inside quiet hours or on a day off: the next working morning; else unchanged."""
        local = self.local(when_utc)
        if self.in_quiet_hours(when_utc) or not self.is_working_day(local.date()):
            if self.is_working_day(local.date()) and local.time() < self.work_start:
                return self.start_of_day(local.date())
            return self.next_working_morning(when_utc)
        return when_utc
