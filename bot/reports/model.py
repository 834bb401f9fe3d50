"""The report's view model: plain data, already computed, filled from the database by
`bot/reports/builder.py`. The document builders only display it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class EvidenceFile:
    file_name: str
    sha256: str
    size: int
    description: str = ""  # the sender's caption


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    sasaran: str
    name: str
    unit: str
    target_text: str
    target: Decimal | None
    realisation: Decimal | None
    capaian: Decimal | None
    category: str
    polarity: str
    explanation: str
    evidence: tuple[EvidenceFile, ...] = ()
    previous: Decimal | None = None
    ytd: Decimal | None = None
    lower_method: str = "permenpan"  # for lower-is-better: the workbook's capaian formula


@dataclass(frozen=True)
class SectionReport:
    name: str
    head_name: str
    head_position: str
    indicators: tuple[IndicatorRow, ...]
    average: Decimal | None
    met: int
    total: int
    deadline: datetime
    submitted_at: datetime | None
    late_working_days: int
    returns: int
    status_text: str
    code: str = ""  # the office file's section code ("trantib"), for sheet names


@dataclass(frozen=True)
class StepTiming:
    number: int
    name: str
    actor: str
    standard_text: str
    started_at: datetime
    ended_at: datetime | None
    on_time: bool | None
    due_at: datetime | None = None
    iteration: int = 1  # step 6: how many meetings (the second is "Revisi ke-2")
    used_text: str = ""  # how long it took, in the standard's unit ("12 menit", "2 hari kerja")
    outcome: str = ""  # what the step came to where it matters (step 6: its revisions)
    # time used as a fraction of the time allowed over the step's runs (1.0 = the standard);
    # above 1 is late, the rule that sets `on_time` (bot/sop.step_record)
    share: float | None = None


@dataclass(frozen=True)
class Approval:
    name: str
    position: str
    nip: str
    approved_at: datetime | None = None
    content_hash: str | None = None
    rank: str = ""  # pangkat/golongan where known


@dataclass(frozen=True)
class ReportData:
    office_name: str
    letterhead: tuple[str, ...]
    period: str
    version: int
    generated_at: datetime
    tz: str
    sections: tuple[SectionReport, ...]
    overall: Decimal | None
    steps: tuple[StepTiming, ...]
    approval: Approval
    is_draft: bool
    missing_sections: tuple[str, ...] = ()
    camat_name: str = ""
    revision_notes: tuple[str, ...] = field(default_factory=tuple)
    camat: Approval | None = None  # the "Mengetahui" block beside the Sekretaris's paraf
    place: str = ""  # where the report is signed ("Astambul")


def by_sasaran(rows: Sequence[IndicatorRow]) -> list[tuple[str, list[IndicatorRow]]]:
    """Indicators grouped by their sasaran, in the order each sasaran first appears (the
    Perjanjian Kinerja's order); indicators without one form a group named ""."""
    groups: dict[str, list[IndicatorRow]] = {}
    for row in rows:
        groups.setdefault(row.sasaran, []).append(row)
    return list(groups.items())


def nip_groups(nip: str) -> str:
    """An 18-digit NIP as it is printed: birth date, appointment month, sex, number
    ("19690407 199010 1 001"); anything else as it is."""
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


def place_of(office_name: str) -> str:
    """Where the office signs: its name without "Kecamatan" ("Astambul")."""
    for prefix in ("Kecamatan ", "KECAMATAN "):
        if office_name.startswith(prefix):
            return office_name[len(prefix) :].strip().title()
    return office_name


def timeline_order(steps: Sequence[StepTiming]) -> list[StepTiming]:
    """The SOP's steps in their order (each appears once: bot/sop.step_record)."""
    return sorted(steps, key=lambda s: s.number)
