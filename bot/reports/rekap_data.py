"""The kabupaten's recap (`/rekap`, the weekly digest, the web dashboard): for a period, each
office's round, its SOP steps against the standard, late sections and average capaian.

There is no second source of numbers: every office's figures are the report's view model,
`bot.reports.builder.report_data`, the same function that builds the office's own report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.procedure.calendar import WorkCalendar
from bot.procedure.sop import STATE_TEXT, RoundState, period_label
from db.models import CollectionRound, Office, ReportVersion

CalendarFor = Callable[[Office], WorkCalendar]


@dataclass(frozen=True)
class OfficeRekap:
    """One office in the recap; `data` is the round's report view model (None: no round)."""

    office_id: int
    code: str
    name: str
    round_id: int | None
    state: str | None
    data: Any  # bot.reports.model.ReportData | None

    @property
    def state_text(self) -> str:
        return STATE_TEXT[self.state] if self.state else "belum ada putaran"

    @property
    def overall(self) -> Decimal | None:
        return self.data.overall if self.data is not None else None

    @property
    def sections_total(self) -> int:
        return len(self.data.sections) if self.data is not None else 0

    @property
    def late_sections(self) -> list[str]:
        if self.data is None:
            return []
        return [s.name for s in self.data.sections if s.late_working_days > 0]

    @property
    def on_time_percent(self) -> Decimal | None:
        """Sections not late, as a percentage of the round's sections (None: no round)."""
        if not self.sections_total:
            return None
        on_time = self.sections_total - len(self.late_sections)
        return (Decimal(on_time) * 100 / self.sections_total).quantize(Decimal("0.01"))

    @property
    def steps(self) -> tuple[Any, ...]:
        return self.data.steps if self.data is not None else ()

    @property
    def steps_late(self) -> list[Any]:
        return [st for st in self.steps if st.on_time is False]


def round_for(s: Session, office_id: int, period: str) -> CollectionRound | None:
    """The office's round for the period: the newest one that was not cancelled, else the
    newest cancelled one."""
    rounds = list(
        s.scalars(
            select(CollectionRound)
            .where(CollectionRound.office_id == office_id, CollectionRound.period == period)
            .order_by(CollectionRound.id.desc())
        )
    )
    live = [r for r in rounds if r.state != RoundState.CANCELLED]
    chosen = live or rounds
    return chosen[0] if chosen else None


def round_data(s: Session, rnd: CollectionRound, cal: WorkCalendar, now: datetime) -> Any:
    """The round's report view model, numbered as its latest report version."""
    from bot.reports.builder import report_data

    version = s.scalar(
        select(ReportVersion.version)
        .where(ReportVersion.round_id == rnd.id)
        .order_by(ReportVersion.version.desc())
    )
    return report_data(s, rnd, version or 0, cal, now)


def office_rekap(
    s: Session, office: Office, period: str, cal: WorkCalendar, now: datetime
) -> OfficeRekap:
    rnd = round_for(s, office.id, period)
    return OfficeRekap(
        office_id=office.id,
        code=office.code,
        name=office.name,
        round_id=rnd.id if rnd else None,
        state=rnd.state if rnd else None,
        data=round_data(s, rnd, cal, now) if rnd else None,
    )


def build_rekap(
    s: Session, offices: list[Office], period: str, calendar_for: CalendarFor, now: datetime
) -> list[OfficeRekap]:
    return [office_rekap(s, o, period, calendar_for(o), now) for o in offices]


def default_period(s: Session, office_ids: list[int], today: date) -> str:
    """The period of the newest round among the offices; the current quarter when none."""
    newest = s.scalar(
        select(CollectionRound.period)
        .where(
            CollectionRound.office_id.in_(office_ids),
            CollectionRound.state != RoundState.CANCELLED,
        )
        .order_by(CollectionRound.created_at.desc(), CollectionRound.id.desc())
        .limit(1)
    )
    return newest or f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def periods_of(s: Session, office_ids: list[int]) -> list[str]:
    """Every period with a round in these offices, newest first (the dashboard's choices)."""
    keys = set(
        s.scalars(select(CollectionRound.period).where(CollectionRound.office_id.in_(office_ids)))
    )
    return sorted(keys, key=_period_sort_key, reverse=True)


def _period_sort_key(key: str) -> tuple[int, int]:
    year, _, q = key.partition("-")
    return (int(year), int(q[1]) if q else 5)


def label(period: str) -> str:
    return period_label(period)


# --- what a monitor receives: text, chart, workbook ---------------------------------------
@dataclass(frozen=True)
class RekapOutput:
    texts: list[str]
    chart_id: int
    xlsx_id: int
    caption: str


STEP_ICON = {True: "✅", False: "⚠️", None: "⏳"}
TELEGRAM_TEXT_LIMIT = 3800


def rekap_texts(rekap: list[OfficeRekap], period: str, header: str) -> list[str]:
    """The recap as chat messages (split between offices to stay under the length limit)."""
    from bot.fmt import format_percent_id
    from bot.texts import t

    blocks = []
    for o in rekap:
        lines = [t("rekap_office", office=o.name, state=o.state_text)]
        if o.data is None:
            lines.append(t("rekap_office_none"))
        else:
            late = ", ".join(o.late_sections) or t("rekap_none_late")
            lines.append(t("rekap_office_numbers", capaian=format_percent_id(o.overall), late=late))
            steps = " ".join(f"{st.number}{STEP_ICON[st.on_time]}" for st in o.steps)
            lines.append(t("rekap_office_steps", steps=steps or "-"))
        blocks.append("\n".join(lines))
    messages, current = [], header
    for block in blocks:
        if len(current) + len(block) + 2 > TELEGRAM_TEXT_LIMIT:
            messages.append(current)
            current = block
        else:
            current += "\n\n" + block
    messages.append(current)
    return messages


def produce(
    s: Session,
    files: Any,
    data_dir: Any,
    owner_office_id: int,
    offices: list[Office],
    period: str,
    calendar_for: CalendarFor,
    now: datetime,
    header: str,
) -> RekapOutput:
    """Compute the recap, render its chart and workbook, store both (as the reports are)."""
    import tempfile
    from pathlib import Path

    from bot.reports.rekap import rekap_chart, rekap_xlsx
    from bot.texts import t

    rekap = build_rekap(s, offices, period, calendar_for, now)
    name = label(period)
    tmp_root = Path(data_dir) / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    xlsx_mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    stem = f"rekap_{period.replace('-', '_').lower()}"
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        chart = rekap_chart(rekap, name, Path(tmp) / f"{stem}.png")
        xlsx = rekap_xlsx(rekap, name, Path(tmp) / f"{stem}.xlsx")
        chart_row = files.put_path(s, owner_office_id, chart, "image/png", "rekap", now)
        xlsx_row = files.put_path(s, owner_office_id, xlsx, xlsx_mime, "rekap", now)
    return RekapOutput(
        texts=rekap_texts(rekap, period, header),
        chart_id=chart_row.id,
        xlsx_id=xlsx_row.id,
        caption=t("rekap_caption", period=name, n=len(rekap)),
    )
