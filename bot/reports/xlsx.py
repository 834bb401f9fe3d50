"""The report as a workbook for the Subbag Program (openpyxl): a summary sheet, a sheet per
section, evidence files with hashes, and the SOP timeline. Numbers are numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports import labels as L
from bot.reports.model import ReportData

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
PCT = '0.00"%"'
NUM = "#,##0.##"


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Seksi"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _header(ws: Worksheet, row: int, values: tuple[str, ...]) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = f"A{row + 1}"


def _fit(ws: Worksheet, max_width: int = 60) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                length = max(len(line) for line in str(cell.value).split("\n"))
                widths[cell.column] = max(widths.get(cell.column, 0), length)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), max_width)


def _num(x: Any) -> float | None:
    return float(x) if x is not None else None


def build_xlsx(data: ReportData, path: Path) -> Path:
    tz = ZoneInfo(data.tz)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = L.SHEET_SUMMARY
    ws.append([L.TITLE])
    ws.append([data.office_name, data.period, L.VERSION.format(version=data.version)])
    ws.append([L.DRAFT if data.is_draft else "", "Capaian rata-rata (%)", _num(data.overall)])
    ws.cell(row=3, column=3).number_format = PCT
    ws["A1"].font = Font(bold=True, size=13)
    _header(ws, 5, L.XLSX_SUMMARY_HEAD)
    for sec in data.sections:
        ws.append(
            [
                sec.name,
                sec.head_name,
                _num(sec.average),
                sec.met,
                sec.total,
                sec.late_working_days,
                sec.returns,
                sec.status_text,
            ]
        )
        ws.cell(row=ws.max_row, column=3).number_format = PCT
    _fit(ws)
    used = {L.SHEET_SUMMARY.lower(), L.SHEET_EVIDENCE.lower(), L.SHEET_TIMELINE.lower()}
    for sec in data.sections:
        sh = wb.create_sheet(_sheet_name(sec.name, used))
        _header(sh, 1, L.XLSX_SECTION_HEAD)
        for row in sec.indicators:
            sh.append(
                [
                    row.code,
                    row.sasaran,
                    row.name,
                    row.unit,
                    _num(row.target)
                    if row.target is not None
                    and "–" not in row.target_text
                    and "-" not in row.target_text
                    else row.target_text,
                    _num(row.realisation),
                    _num(row.capaian),
                    row.category,
                    _num(row.previous),
                    _num(row.ytd),
                    row.explanation,
                    ", ".join(e.file_name for e in row.evidence),
                ]
            )
            r = sh.max_row
            for col in (5, 6):
                sh.cell(row=r, column=col).number_format = NUM
            for col in (7, 9, 10):
                sh.cell(row=r, column=col).number_format = PCT
        _fit(sh)
    ev = wb.create_sheet(L.SHEET_EVIDENCE)
    _header(ev, 1, ("Seksi", "Indikator", "Nama file", "Ukuran (byte)", "SHA-256"))
    for sec in data.sections:
        for row in sec.indicators:
            for e in row.evidence:
                ev.append([sec.name, row.code, e.file_name, e.size, e.sha256])
    _fit(ev, max_width=70)
    tl = wb.create_sheet(L.SHEET_TIMELINE)
    _header(tl, 1, L.TIMELINE_HEAD)
    for st in data.steps:
        tl.append(
            [
                f"{st.number}. {st.name}",
                st.actor,
                st.standard_text,
                st.started_at.astimezone(tz).replace(tzinfo=None),
                st.ended_at.astimezone(tz).replace(tzinfo=None) if st.ended_at else None,
                L.RUNNING if st.on_time is None else (L.ON_TIME if st.on_time else L.LATE_SHORT),
            ]
        )
        for col in (4, 5):
            tl.cell(row=tl.max_row, column=col).number_format = "dd/mm/yyyy hh:mm"
    _fit(tl)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
