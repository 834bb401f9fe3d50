"""The SOP's seven steps (01/SOP/AST/2018, table B "Uraian Prosedur") with their standards
("Mutu Baku"), and the collection periods. The round's state machine names these steps.

How each step is timed (start → end), since the SOP names outputs, not events. The SOP's
step 3 is "Menyusun rencana kegiatan, pelaksanaan kegiatan pengumpulan data" — planning
*and carrying out* the collection — so the sections' answering time is step 3's, and step 4
("Menghimpun data kinerja, menyusun konsep laporan") is the one working day after it to
gather what came in and draft the report. A round done as planned keeps every standard:
1. Camat orders the collection: /minta opened → request sent. 15 minutes.
2. Sekretaris forms the team: request sent → team saved. 30 minutes.
3. Kasubag plans and runs the collection: team saved → every section's reply is in (the
   last section's first [Kirim]). 3 working days: the default section deadline is the end
   of this window (office closing time of the third working day after the team was
   formed, never later than the Camat's proposal), so sections on time keep step 3 on time.
4. Team gathers the data, drafts the report: every reply in → draft v1 compiled (reviews
   and returns happen here). 1 working day. A draft compiled before every reply is in
   (/kompilasi) ends step 3 and step 4 at once.
5. Kasubag reports to the Sekretaris: draft compiled → sent to the Sekretaris. 1 working day.
6. Internal meeting with the team, in every round: the meeting's start → its outcome
   recorded by the Sekretaris (no corrections, or corrections per section/indicator).
   30 minutes. Corrections run on their own clock (the correction deadline, "batas
   perbaikan", one working day); the corrected draft goes back to the Sekretaris. A
   further meeting on a corrected draft is "Revisi ke-n", still step 6.
7. Result: the draft to initial reaches the Sekretaris (right after a meeting without
   corrections, or when the corrected draft is sent) → approved (paraf). 1 working day.
Each step appears once in the record shown to people (`step_record`): runs of the same step
(several meetings, a paraf asked again after corrections) are folded into it.
A step's actor is the person who did it: step 3's is the Kasubag who confirmed the schedule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.procedure.calendar import WorkCalendar
from bot.procedure.roles import Role
from bot.texts import t


@dataclass(frozen=True)
class SopStep:
    number: int
    name: str
    actor: Role
    minutes: int = 0
    working_days: int = 0
    output: str = ""

    @property
    def standard_text(self) -> str:
        return f"{self.minutes} menit" if self.minutes else f"{self.working_days} hari kerja"

    def used_text(self, spans: Iterable[tuple[datetime, datetime]], cal: WorkCalendar) -> str:
        """Time used, in this step's own unit (the one its standard is written in): minutes
        (hours and minutes past the hour) for steps 1, 2 and 6, working days for the rest —
        the days from each start's date to its end's date, holidays and weekends left out."""
        spans = list(spans)
        if self.minutes:
            total = round(sum((b - a).total_seconds() for a, b in spans) / 60)
            hours, rest = divmod(total, 60)
            if not hours:
                return t("used_minutes", m=rest) if rest else t("used_within_minute")
            return t("used_hours_minutes", h=hours, m=rest) if rest else t("used_hours", h=hours)
        days = sum(
            cal.working_days_between(cal.local(a).date(), cal.local(b).date()) for a, b in spans
        )
        return t("used_days", d=days) if days else t("used_within_day")

    def due(self, start: datetime, cal: WorkCalendar) -> datetime:
        """When the step is late: minutes on the clock, days as working days."""
        if self.minutes:
            return start + timedelta(minutes=self.minutes)
        return cal.deadline_after(start, self.working_days)


STEPS: dict[int, SopStep] = {
    s.number: s
    for s in (
        SopStep(
            1, "Memerintahkan pengumpulan data kinerja", Role.CAMAT, minutes=15, output="Draft tim"
        ),
        SopStep(2, "Membentuk tim", Role.SEKRETARIS, minutes=30, output="Tim"),
        SopStep(
            3,
            "Menyusun rencana dan melaksanakan pengumpulan data",
            Role.KASUBAG_PROGRAM,
            working_days=3,
            output="Rencana kegiatan pengumpulan data",
        ),
        SopStep(
            4,
            "Menghimpun data kinerja, menyusun konsep laporan",
            Role.TIM_SAKIP,
            working_days=1,
            output="Konsep laporan",
        ),
        SopStep(
            5,
            "Laporan Kasubag kepada Sekretaris",
            Role.KASUBAG_PROGRAM,
            working_days=1,
            output="Konsep laporan kepada Sekretaris",
        ),
        SopStep(
            6,
            "Rapat intern dengan tim",
            Role.SEKRETARIS,
            minutes=30,
            output="Laporan yang dikoreksi",
        ),
        SopStep(
            7,
            "Hasil pengumpulan data (paraf Sekretaris)",
            Role.SEKRETARIS,
            working_days=1,
            output="Laporan yang disetujui",
        ),
    )
}


class RoundState:
    """The round's states; `TRANSITIONS` lists what may follow what."""

    REQUESTED = "requested"  # step 1 done, step 2 running
    TEAM_FORMED = "team_formed"  # step 3 running
    COLLECTING = "collecting"  # steps 3–4: sections answer, Kasubag reviews and compiles
    DRAFTED = "drafted"  # step 5 running: draft ready for the Kasubag to send on
    MEETING = "meeting"  # step 6: the Sekretaris sets the internal meeting, then its outcome
    REVISION = "revision"  # step 6: the meeting's corrections, then a corrected draft
    SUBMITTED = "submitted"  # step 7 running: the draft waits for the Sekretaris's paraf
    APPROVED = "approved"
    CANCELLED = "cancelled"


TRANSITIONS: dict[str, set[str]] = {
    RoundState.REQUESTED: {RoundState.TEAM_FORMED, RoundState.CANCELLED},
    RoundState.TEAM_FORMED: {RoundState.COLLECTING, RoundState.CANCELLED},
    RoundState.COLLECTING: {RoundState.DRAFTED, RoundState.CANCELLED},
    # the first draft goes to the meeting; a corrected draft goes to the paraf
    RoundState.DRAFTED: {RoundState.MEETING, RoundState.SUBMITTED, RoundState.CANCELLED},
    RoundState.MEETING: {RoundState.SUBMITTED, RoundState.REVISION, RoundState.CANCELLED},
    RoundState.REVISION: {RoundState.DRAFTED, RoundState.CANCELLED},
    # [Revisi] on a corrected draft calls another meeting (Revisi ke-n, step 6)
    RoundState.SUBMITTED: {RoundState.APPROVED, RoundState.MEETING, RoundState.CANCELLED},
    RoundState.APPROVED: set(),
    RoundState.CANCELLED: set(),
}


def state_text(state: str, corrected: bool) -> str:
    """Where the round stands; a draft compiled after the meeting's corrections is step 6's
    corrected draft, not step 5's."""
    if state == RoundState.DRAFTED and corrected:
        return "langkah 6 — konsep perbaikan siap diajukan kembali ke Sekretaris"
    return STATE_TEXT[state]


STATE_TEXT = {
    RoundState.REQUESTED: "langkah 2 — Sekretaris membentuk tim",
    RoundState.TEAM_FORMED: "langkah 3 — Kasubag Program menyusun jadwal",
    RoundState.COLLECTING: (
        "langkah 3–4 — seksi mengisi data, Kasubag memeriksa dan menyusun konsep laporan"
    ),
    RoundState.DRAFTED: "langkah 5 — konsep laporan siap diajukan ke Sekretaris",
    RoundState.MEETING: "langkah 6 — rapat intern dengan tim",
    RoundState.REVISION: "langkah 6 — perbaikan hasil rapat intern",
    RoundState.SUBMITTED: "langkah 7 — menunggu paraf Sekretaris",
    RoundState.APPROVED: "selesai — laporan disetujui",
    RoundState.CANCELLED: "dibatalkan",
}


class StepRun(Protocol):
    """One run of a step as `round_step` records it (db.models.RoundStep)."""

    step: int
    iteration: int
    started_at: datetime
    due_at: datetime
    ended_at: datetime | None
    on_time: bool | None
    actor_id: int | None


@dataclass(frozen=True)
class StepRecord:
    """One SOP step as people read it, in /status, the report, the workbook, /rekap and the
    dashboard: its runs (several meetings of step 6, a paraf asked again after corrections)
    folded into one line, so a round has at most seven, in SOP order."""

    sop: SopStep
    started_at: datetime
    due_at: datetime  # the latest run's
    ended_at: datetime | None  # None while a run is open
    on_time: bool | None  # every run kept its standard; None while running
    actor_id: int | None  # who ended the latest run
    runs: int  # step 6: the meetings (the second is "Revisi ke-2")
    used_text: str  # in the SOP's unit; "" while running
    share: float | None  # time used / time allowed over the ended runs (1.0 = the standard)

    @property
    def number(self) -> int:
        return self.sop.number


def step_record(runs: Iterable[StepRun], cal: WorkCalendar) -> list[StepRecord]:
    """The round's steps in SOP order, one record per step that has started."""
    by_step: dict[int, list[StepRun]] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.iteration)):
        by_step.setdefault(run.step, []).append(run)
    out = []
    for number in sorted(by_step):
        group, sop = by_step[number], STEPS[number]
        ended = [(r.started_at, r.ended_at) for r in group if r.ended_at is not None]
        running = len(ended) < len(group)
        used = sum((b - a).total_seconds() for a, b in ended)
        allowed = sum(
            (r.due_at - r.started_at).total_seconds() for r in group if r.ended_at is not None
        )
        out.append(
            StepRecord(
                sop=sop,
                started_at=group[0].started_at,
                due_at=group[-1].due_at,
                ended_at=None if running else group[-1].ended_at,
                on_time=None if running else all(bool(r.on_time) for r in group),
                actor_id=group[-1].actor_id,
                runs=len(group),
                used_text="" if running else sop.used_text(ended, cal),
                share=used / allowed if ended and allowed > 0 else None,
            )
        )
    return out


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_ROMAN_IN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


MEETING_NOTICE = timedelta(minutes=30)  # time to gather the team
MEETING_LENGTH = timedelta(minutes=30)  # the SOP's standard for step 6
CORRECTION_DAYS = 1  # the meeting's corrections are due this many working days after it


def meeting_slot(now: datetime, cal: WorkCalendar) -> datetime:
    """The internal meeting's proposed time: at least 30 minutes from now, on the half
    hour, inside the working hours of a working day (05.45 → 08.00 the same day; 15.50
    on Friday → Monday 08.00)."""
    local = cal.local(now + MEETING_NOTICE)
    extra = (-local.minute) % 30
    local = (local + timedelta(minutes=extra)).replace(second=0, microsecond=0)
    day = local.date()
    if cal.is_working_day(day):
        opens, closes = cal.at(day, cal.work_start), cal.at(day, cal.work_end)
        start = max(local.astimezone(opens.tzinfo), opens)
        if start + MEETING_LENGTH <= closes:
            return start
    return cal.start_of_day(cal.add_working_days(day, 1))


def meeting_title(n: int) -> str:
    """How the n-th internal meeting of a round is named: "Rapat intern", then
    "Rapat intern, Revisi ke-n" (still step 6)."""
    return t("meeting_first") if n <= 1 else t("meeting_revision_title", n=n)


def meeting_slots(now: datetime, cal: WorkCalendar) -> list[datetime]:
    """The times offered for the internal meeting as buttons: the next slot, an hour
    later when it still fits the working day, and the next working morning."""
    first = meeting_slot(now, cal)
    later = first + timedelta(hours=1)
    closes = cal.at(cal.local(later).date(), cal.work_end)
    options = [first]
    if later + MEETING_LENGTH <= closes:
        options.append(later)
    tomorrow = cal.start_of_day(cal.add_working_days(cal.local(first).date(), 1))
    options.append(tomorrow)
    return sorted(set(options))


def period_label(key: str) -> str:
    """ "2026-Q3" → "Triwulan III 2026"; "2026" → "Tahun 2026"."""
    year, _, q = key.partition("-")
    return f"Triwulan {ROMAN[int(q[1])]} {year}" if q else f"Tahun {year}"


def period_options(today: date) -> list[str]:
    """The current and previous quarter, this year and last year, as period keys."""
    q = (today.month - 1) // 3 + 1
    prev = f"{today.year}-Q{q - 1}" if q > 1 else f"{today.year - 1}-Q4"
    return [f"{today.year}-Q{q}", prev, str(today.year), str(today.year - 1)]


def parse_period(text: str) -> str | None:
    """Typed periods: "Triwulan III 2026", "TW 3 2026", "Q3 2026", "Tahun 2026", "2026"."""
    s = text.strip().lower()
    m = re.fullmatch(r"(?:triwulan|tw|q)\s*([iv]+|[1-4])\s*(?:tahun\s*)?(\d{4})", s)
    if m and m.group(1) in _ROMAN_IN:
        return f"{m.group(2)}-Q{_ROMAN_IN[m.group(1)]}"
    m = re.fullmatch(r"(?:tahun\s*)?(\d{4})", s)
    if m:
        return m.group(1)
    return None


def target_periods(period: str) -> list[str]:
    """Where to look for an indicator's target: the period itself, then its year."""
    year = period.split("-")[0]
    return [period, year] if period != year else [year]
