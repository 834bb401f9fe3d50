"""The working-day calendar around Idul Fitri and the year end (2026 from the SKB 3 Menteri:
Nyepi 19 March with cuti bersama 18 March; Idul Fitri 21–22 March with cuti bersama 20, 23
and 24 March; Natal 25 December with cuti bersama 24 December), quiet hours, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.procedure.calendar import WorkCalendar

WITA = WorkCalendar("Asia/Makassar")


@pytest.mark.parametrize(
    ("d", "working", "why"),
    [
        (date(2026, 3, 17), True, "Tuesday before the holidays"),
        (date(2026, 3, 18), False, "cuti bersama Nyepi"),
        (date(2026, 3, 19), False, "Nyepi"),
        (date(2026, 3, 20), False, "cuti bersama Idul Fitri"),
        (date(2026, 3, 23), False, "cuti bersama Idul Fitri (Monday)"),
        (date(2026, 3, 24), False, "cuti bersama Idul Fitri (Tuesday)"),
        (date(2026, 3, 25), True, "back to work"),
        (date(2026, 12, 24), False, "cuti bersama Natal"),
        (date(2026, 12, 25), False, "Natal"),
        (date(2026, 12, 28), True, "Monday after Natal"),
        (date(2026, 12, 31), True, "last day of the year"),
        (date(2027, 1, 1), False, "Tahun Baru"),
        (date(2026, 11, 28), False, "Saturday"),
    ],
)
def test_working_days(d: date, working: bool, why: str):
    assert WITA.is_working_day(d) is working, why


def test_add_working_days_across_idul_fitri():
    assert WITA.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert WITA.add_working_days(date(2026, 3, 16), 3) == date(2026, 3, 26)
    assert WITA.add_working_days(date(2026, 3, 25), -1) == date(2026, 3, 17)
    assert WITA.add_working_days(date(2026, 3, 19), 0) == date(2026, 3, 25)
    assert WITA.working_days_between(date(2026, 3, 17), date(2026, 3, 25)) == 1


def test_add_working_days_across_the_year_end():
    assert WITA.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert WITA.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert WITA.add_working_days(date(2027, 1, 4), -2) == date(2026, 12, 30)


def test_office_days_off_count_as_holidays():
    cal = WorkCalendar("Asia/Makassar", extra_days_off=[date(2026, 11, 26)])
    assert cal.holiday_name(date(2026, 11, 26)) == "Hari libur kantor"
    assert cal.add_working_days(date(2026, 11, 25), 1) == date(2026, 11, 27)
    assert WITA.add_working_days(date(2026, 11, 25), 1) == date(2026, 11, 26)


def test_deadline_is_office_closing_time_in_the_office_zone():
    start = datetime(2026, 12, 22, 2, 0, tzinfo=UTC)  # Tuesday 10:00 WITA
    assert WITA.deadline_after(start, 3) == datetime(2026, 12, 29, 8, 0, tzinfo=UTC)  # 16:00
    wib = WorkCalendar("Asia/Jakarta")
    assert wib.deadline_after(start, 3) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)


def test_lateness_in_working_days_skips_the_holidays():
    deadline = datetime(2026, 3, 17, 8, 0, tzinfo=UTC)  # Tuesday 16:00 WITA
    assert WITA.working_days_late(deadline, deadline) == 0
    assert WITA.working_days_late(deadline, datetime(2026, 3, 17, 9, tzinfo=UTC)) == 1
    assert WITA.working_days_late(deadline, datetime(2026, 3, 25, 1, tzinfo=UTC)) == 1
    assert WITA.working_days_late(deadline, datetime(2026, 3, 26, 1, tzinfo=UTC)) == 2


@pytest.mark.parametrize(
    ("when", "moved_to"),
    [
        # Friday 21:00 WITA → Monday 08:00 WITA
        (datetime(2026, 11, 27, 13, 0, tzinfo=UTC), datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        # Wednesday 06:00 WITA (quiet) → the same morning 08:00
        (datetime(2026, 11, 24, 22, 0, tzinfo=UTC), datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),
        # Saturday noon (a day off, not quiet) → Monday 08:00
        (datetime(2026, 11, 28, 4, 0, tzinfo=UTC), datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        # Tuesday 17 March 21:00 WITA → after Nyepi and Lebaran, Wednesday 25 March 08:00
        (datetime(2026, 3, 17, 13, 0, tzinfo=UTC), datetime(2026, 3, 25, 0, 0, tzinfo=UTC)),
        # Thursday 31 December 20:30 WITA → Monday 4 January 08:00
        (datetime(2026, 12, 31, 12, 30, tzinfo=UTC), datetime(2027, 1, 4, 0, 0, tzinfo=UTC)),
        # Wednesday 10:00 WITA: office hours, unchanged
        (datetime(2026, 11, 25, 2, 0, tzinfo=UTC), datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_and_days_off_move_to_the_next_working_morning(
    when: datetime, moved_to: datetime
):
    assert WITA.defer_for_quiet_hours(when) == moved_to
