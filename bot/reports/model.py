"""The report's view model: plain data, already computed, filled from the database by
`bot/report_builder.py`. The document builders only display it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class EvidenceFile:
    file_name: str
    sha256: str
    size: int


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


@dataclass(frozen=True)
class StepTiming:
    number: int
    name: str
    actor: str
    standard_text: str
    started_at: datetime
    ended_at: datetime | None
    on_time: bool | None


@dataclass(frozen=True)
class Approval:
    name: str
    position: str
    nip: str
    approved_at: datetime | None = None
    content_hash: str | None = None


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
