"""The year's LKjIP chapter III ("Akuntabilitas Kinerja", PermenPANRB 53/2014) from the
year's approved rounds: per sasaran and indicator the year's target, realisation (the
quarters combined by the indicator's rule, as the year-so-far view combines them),
capaian and category; last year's figures and the change; the realisation against the
Renstra's end-of-period target; and the heads' explanations per quarter as the analysis.

Last year's realisation comes from last year's approved rounds when the bot ran then, else
from the office file (`realisations: {"2025": …}`); the Renstra target from the office file.
What would otherwise be averaged away silently — a missing quarter, a target changed
during the year, a lower-is-better rule, a range target — is written in the row's notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.fmt import format_number_id, parse_number_id
from bot.procedure.capaian import Target, band_text, category, combine_periods, compute_capaian
from bot.procedure.rounds import answers_by_indicator, submissions, target_text
from bot.procedure.sop import RoundState
from db.models import CollectionRound, Indicator, Office, ReportVersion, Section

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
AGGREGATION_WORDS = {"cumulative": "jumlah", "latest": "nilai terakhir", "average": "rata-rata"}
QUARTER_NAMES = {"Q1": "TW I", "Q2": "TW II", "Q3": "TW III", "Q4": "TW IV"}


@dataclass(frozen=True)
class Quarter:
    key: str  # "Q1"
    realisation: Decimal | None
    target_text: str | None
    explanation: str


@dataclass(frozen=True)
class YearRow:
    code: str
    name: str
    unit: str
    sasaran: str
    section: str
    polarity: str
    aggregation: str
    target_text: str  # the year's target as written ("80–90"), "-" when none
    target: Target | None
    realisation: Decimal | None
    capaian: Decimal | None
    category: str
    band: str
    quarters: tuple[Quarter, ...]
    last_realisation: Decimal | None
    last_capaian: Decimal | None
    last_source: str  # "putaran 2025", "berkas kantor" or ""
    renstra_year: str
    renstra_target: Target | None
    renstra_share: Decimal | None
    notes: tuple[str, ...]
    analysis: str

    @property
    def change(self) -> Decimal | None:
        """Capaian this year less last year's, in percentage points."""
        if self.capaian is None or self.last_capaian is None:
            return None
        return self.capaian - self.last_capaian


@dataclass(frozen=True)
class RoundUsed:
    period: str  # "2026-Q3"
    label: str  # "Triwulan III 2026"
    round_id: int
    version: int
    content_hash: str
    approved_at: datetime | None


@dataclass(frozen=True)
class YearData:
    office_name: str
    letterhead: tuple[str, ...]
    year: int
    tz: str
    generated_at: datetime
    groups: tuple[tuple[str, tuple[YearRow, ...]], ...]  # (sasaran, its indicators)
    rounds: tuple[RoundUsed, ...]
    missing_quarters: tuple[str, ...]  # quarters of the year without an approved round

    @property
    def rows(self) -> list[YearRow]:
        return [r for _, rows in self.groups for r in rows]


def approved_rounds(s: Session, office_id: int, year: int) -> dict[str, CollectionRound]:
    """The year's approved rounds by quarter ("Q1" …): the newest approved one per quarter."""
    rounds = s.scalars(
        select(CollectionRound)
        .where(
            CollectionRound.office_id == office_id,
            CollectionRound.period.in_([f"{year}-{q}" for q in QUARTERS]),
            CollectionRound.state == RoundState.APPROVED,
        )
        .order_by(CollectionRound.id)
    )
    return {r.period.partition("-")[2]: r for r in rounds}


def _answers(s: Session, rnd: CollectionRound) -> dict[int, tuple[Decimal | None, str]]:
    """(realisation, explanation) per indicator of the sections that sent their data."""
    out: dict[int, tuple[Decimal | None, str]] = {}
    for sub in submissions(s, rnd):
        if sub.first_submitted_at is None:
            continue
        for ind_id, ans in answers_by_indicator(s, sub).items():
            out[ind_id] = (ans.realisation, (ans.explanation or "").strip())
    return out


def _target(text: str | None) -> Target | None:
    try:
        return Target.parse(text) if text else None
    except ValueError:
        return None


def _combine(
    ind: Indicator, quarters: list[Quarter], year_target: Target | None
) -> tuple[Decimal | None, Target | None]:
    """The year's realisation by the indicator's rule, and the target it is measured
    against: the year's target, else the quarters' targets combined by the same rule."""
    pairs = [
        (q.realisation, _target(q.target_text) or year_target or Target(Decimal(0), Decimal(0)))
        for q in quarters
    ]
    value, combined = combine_periods(pairs, ind.aggregation)  # type: ignore[arg-type]
    return value, year_target or combined


def _capaian(ind: Indicator, value: Decimal | None, target: Target | None) -> Decimal | None:
    if value is None or target is None:
        return None
    return compute_capaian(value, target, ind.polarity, ind.lower_method)  # type: ignore[arg-type]


def _year_values(s: Session, office_id: int, year: int) -> dict[int, Decimal | None]:
    """Each indicator's realisation of a year from that year's approved rounds."""
    rounds = approved_rounds(s, office_id, year)
    if not rounds:
        return {}
    answers = {q: _answers(s, r) for q, r in rounds.items()}
    out: dict[int, Decimal | None] = {}
    for ind in s.scalars(select(Indicator).where(Indicator.office_id == office_id)):
        quarters = [
            Quarter(q, answers[q][ind.id][0], target_text(ind, f"{year}-{q}"), "")
            for q in QUARTERS
            if q in answers and ind.id in answers[q]
        ]
        if quarters:
            out[ind.id] = _combine(ind, quarters, _target(target_text(ind, str(year))))[0]
    return out


def _notes(ind: Indicator, year: int, quarters: list[Quarter], target: Target | None) -> list[str]:
    notes = []
    have = {q.key for q in quarters if q.realisation is not None}
    missing = [QUARTER_NAMES[q] for q in QUARTERS if q not in have]
    if missing:
        notes.append(f"data {', '.join(missing)} tidak ada")
    texts = {q.target_text for q in quarters if q.target_text}
    if ind.aggregation == "cumulative":
        quarter_targets = [_target(target_text(ind, f"{year}-{q}")) for q in QUARTERS]
        if target is not None and all(quarter_targets):
            total = sum((t.low for t in quarter_targets if t), Decimal(0))
            if total != target.low and not target.is_range:
                notes.append(
                    f"jumlah target triwulan {format_number_id(total)} ≠ target tahunan "
                    f"{format_number_id(target.low)}"
                )
    if len(texts) > 1:
        parts = ", ".join(
            f"{QUARTER_NAMES[q.key]} {Target.parse(q.target_text)}"
            for q in quarters
            if q.target_text
        )
        notes.append(f"target berubah dalam tahun berjalan ({parts})")
    if ind.polarity == "lower":
        rule = "t/r" if ind.lower_method == "inverse" else "(2t − r)/t"
        notes.append(f"makin kecil makin baik; capaian = {rule} × 100%")
    if target is not None and target.is_range:
        notes.append(f"target rentang {target}: di dalam rentang = 100%")
    notes.append(f"realisasi tahunan = {AGGREGATION_WORDS[ind.aggregation]} triwulan")
    return notes


def _analysis(quarters: list[Quarter]) -> str:
    """The heads' explanations per quarter, as a first draft for the Kasubag to edit."""
    parts = [f"{QUARTER_NAMES[q.key]}: {q.explanation}" for q in quarters if q.explanation]
    return "\n".join(parts)


def _reference_number(raw: object) -> Decimal | None:
    try:
        return parse_number_id(str(raw)) if raw is not None else None
    except ValueError:
        return None


def year_data(s: Session, office: Office, year: int, now: datetime) -> YearData:
    """Chapter III's figures for the office's year, from its approved rounds."""
    rounds = approved_rounds(s, office.id, year)
    answers = {q: _answers(s, r) for q, r in rounds.items()}
    last_from_rounds = _year_values(s, office.id, year - 1)
    indicators = list(
        s.scalars(
            select(Indicator)
            .join(Section, Indicator.section_id == Section.id)
            .where(Indicator.office_id == office.id)
            .order_by(Section.position, Section.id, Indicator.position, Indicator.id)
        )
    )
    in_rounds = {i for a in answers.values() for i in a}
    groups: dict[str, list[YearRow]] = {}
    for ind in indicators:
        year_text = target_text(ind, str(year))
        if ind.id not in in_rounds and not (ind.active and year_text):
            continue
        quarters = [
            Quarter(q, *_pair(answers[q][ind.id], target_text(ind, f"{year}-{q}")))
            for q in QUARTERS
            if q in answers and ind.id in answers[q]
        ]
        target = _target(year_text)
        value, measured = _combine(ind, quarters, target) if quarters else (None, target)
        cap = _capaian(ind, value, measured)
        ref = ind.reference or {}
        last_source = ""
        last = None
        if ind.id in last_from_rounds:
            last, last_source = last_from_rounds[ind.id], f"putaran {year - 1}"
        elif str(year - 1) in (ref.get("realisations") or {}):
            last = _reference_number(ref["realisations"][str(year - 1)])
            last_source = "berkas kantor"
        last_cap = _capaian(ind, last, _target(target_text(ind, str(year - 1))))
        renstra_year, renstra_text = next(
            iter((ref.get("renstra_target") or {}).items()), ("", None)
        )
        renstra = _target(renstra_text)
        rows = groups.setdefault(ind.sasaran, [])
        rows.append(
            YearRow(
                code=ind.code,
                name=ind.name,
                unit=ind.unit,
                sasaran=ind.sasaran,
                section=ind.section.name,
                polarity=ind.polarity,
                aggregation=ind.aggregation,
                target_text=str(target) if target is not None else "-",
                target=target,
                realisation=value,
                capaian=cap,
                category=category(cap),
                band=band_text(cap),
                quarters=tuple(quarters),
                last_realisation=last,
                last_capaian=last_cap,
                last_source=last_source,
                renstra_year=renstra_year,
                renstra_target=renstra,
                renstra_share=_capaian(ind, value, renstra),
                notes=tuple(_notes(ind, year, quarters, target)),
                analysis=_analysis(quarters),
            )
        )
    used = []
    for q in QUARTERS:
        rnd = rounds.get(q)
        if rnd is None:
            continue
        version = s.scalar(
            select(ReportVersion).where(
                ReportVersion.round_id == rnd.id, ReportVersion.status == "approved"
            )
        )
        used.append(
            RoundUsed(
                period=rnd.period,
                label=rnd.period_label,
                round_id=rnd.id,
                version=version.version if version else 0,
                content_hash=version.content_hash if version else "-",
                approved_at=rnd.closed_at,
            )
        )
    return YearData(
        office_name=office.name.upper(),
        letterhead=tuple(office.letterhead or (office.name,)),
        year=year,
        tz=office.timezone,
        generated_at=now,
        groups=tuple((name, tuple(rows)) for name, rows in groups.items()),
        rounds=tuple(used),
        missing_quarters=tuple(QUARTER_NAMES[q] for q in QUARTERS if q not in rounds),
    )


def _pair(
    answer: tuple[Decimal | None, str], target: str | None
) -> tuple[Decimal | None, str | None, str]:
    return answer[0], target, answer[1]


def build_files(s: Session, office: Office, year: int, out_dir: Path, now: datetime) -> Any:
    """The chapter's DOCX, XLSX and charts for the year, written to `out_dir`
    (bot.reports.lkjip.LkjipFiles), with the figures they show."""
    from bot.reports.lkjip import build_lkjip

    data = year_data(s, office, year, now)
    return build_lkjip(data, out_dir), data


def lkjip_cli(db: Any, office_code: str, year: int, output: Path | None) -> None:
    """`sakip-bot lkjip OFFICE YEAR`: the chapter's files in a folder."""
    from bot.clock import SystemClock
    from bot.texts import t

    with db.transaction() as s:
        office = s.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise SystemExit(t("lkjip_unknown_office", office=office_code))
        if not approved_rounds(s, office.id, year):
            raise SystemExit(t("lkjip_no_rounds", year=year))
        out = output or Path(f"lkjip_{office.code}_{year}")
        files, _data = build_files(s, office, year, out, SystemClock().now())
    print(t("lkjip_written", docx=files.docx, xlsx=files.xlsx))
