"""The report as a workbook for the Subbag Program (openpyxl): a summary sheet, a sheet per
section, evidence files with hashes and captions, and the SOP timeline. Numbers are numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.fmt import zone_abbr
from bot.procedure.capaian import Target, band_text, target_status
from bot.reports import labels as L
from bot.reports.model import ReportData, timeline_order

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
PCT = '0.00"%"'
NUM = "#,##0.##"
DATE = "dd/mm/yyyy hh:mm"


def _sheet_name(name: str, used: set[str], code: str = "") -> str:
    """The section's code and a short name within Excel's 31 characters, whole words only
    ("TRANTIB Ketenteraman Ketertiban"), unique in the workbook."""
    words = [w for w in re.sub(r"[\[\]:*?/\\]", " ", name).split() if w.lower() not in STOP]
    base = code.upper()
    for word in words:
        if len(f"{base} {word}".strip()) > 31:
            break
        base = f"{base} {word}".strip()
    base = base[:31] or "Seksi"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


STOP = {"seksi", "dan", "serta"}  # words a sheet name can do without


def _num(x: Any) -> float | None:
    return float(x) if x is not None else None


class _Sheet:
    """A write-only sheet (openpyxl streams its rows: fast and small in memory). Column widths
    must be set before the first row, so rows are collected, measured, then written."""

    def __init__(self, wb: Workbook, title: str, max_width: int = 60) -> None:
        self.ws = wb.create_sheet(title)
        self.rows: list[list[Any]] = []
        self.formats: dict[int, str] = {}  # column (0-based) → number format
        self.header_row: int | None = None
        self.max_width = max_width
        self.bold: set[int] = set()

    def header(self, values: tuple[str, ...]) -> None:
        self.rows.append(list(values))
        self.header_row = len(self.rows) - 1

    def append(self, values: list[Any]) -> None:
        self.rows.append(values)

    def write(self) -> None:
        widths: dict[int, int] = {}
        for row in self.rows:
            for col, value in enumerate(row):
                if isinstance(value, Cell):
                    value = value.value
                if value is not None:
                    text = value if isinstance(value, str) else str(value)
                    length = max(len(line) for line in text.split("\n"))
                    widths[col] = max(widths.get(col, 0), length)
        for col, width in widths.items():
            self.ws.column_dimensions[get_column_letter(col + 1)].width = min(
                max(width + 2, 8), self.max_width
            )
        if self.header_row is not None:
            self.ws.freeze_panes = f"A{self.header_row + 2}"
        for i, row in enumerate(self.rows):
            if i == self.header_row:
                self.ws.append([self._header_cell(v) for v in row])
            elif i in self.bold:
                cells = [WriteOnlyCell(self.ws, value=v) for v in row]
                cells[0].font = Font(bold=True, size=13)
                self.ws.append(cells)
            elif self.header_row is not None and i > self.header_row and self.formats:
                self.ws.append([self._cell(col, v) for col, v in enumerate(row)])
            else:
                self.ws.append(row)

    def _header_cell(self, value: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        return cell

    def _cell(self, col: int, value: Any) -> Any:
        fmt = self.formats.get(col)
        if fmt is None or value is None:
            return value
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = fmt
        return cell


def _bounds(row: Any) -> tuple[Any, Any]:
    """The target as two numbers, low and high (equal for a single target)."""
    try:
        t = Target.parse(row.target_text)
    except ValueError:
        return None, None
    return t.low, t.high


def capaian_formula(r: int, polarity: str, method: str, low: str, high: str, real: str) -> str:
    """The capaian rule of bot/procedure/capaian.py as an Excel formula over the row's cells, so a
    corrected realisation or target recomputes it: a range counts 100 inside and the
    nearer bound outside; lower-is-better by PermenPANRB (2t − r)/t or t/r (capped)."""
    lo, hi, v = f"{low}{r}", f"{high}{r}", f"{real}{r}"
    t = f"IF({v}<{lo},{lo},{hi})"
    if polarity == "higher":
        core = f"IF({t}=0,IF({v}>=0,100,0),ROUND({v}/{t}*100,2))"
    elif method == "inverse":
        core = f"IF({t}=0,IF({v}<=0,100,0),IF({v}<=0,200,ROUND(MIN({t}/{v}*100,200),2)))"
    else:
        core = f"IF({t}=0,IF({v}<=0,100,0),ROUND(MAX((2*{t}-{v})/{t}*100,0),2))"
    return f'=IF({v}="","",IF(AND({v}>={lo},{v}<={hi},{lo}<>{hi}),100,{core}))'


def build_xlsx(data: ReportData, path: Path) -> Path:
    tz = ZoneInfo(data.tz)
    wb = Workbook(write_only=True)
    ws = _Sheet(wb, L.SHEET_SUMMARY)
    ws.append([L.TITLE])
    ws.bold.add(0)
    ws.append([data.office_name, data.period, L.VERSION.format(version=data.version)])
    overall = WriteOnlyCell(ws.ws, value=_num(data.overall))
    overall.number_format = PCT
    ws.append([L.DRAFT if data.is_draft else "", "Capaian rata-rata (%)", overall])
    ws.append([])
    ws.header(L.XLSX_SUMMARY_HEAD)
    ws.formats = {2: PCT}
    for sec in data.sections:
        ws.append(
            [
                sec.name,
                sec.head_name,
                _num(sec.average),
                target_status(sec.average),
                sec.met,
                sec.total,
                sec.late_working_days,
                sec.returns,
                sec.status_text,
            ]
        )
    ws.write()
    used = {L.SHEET_SUMMARY.lower(), L.SHEET_EVIDENCE.lower(), L.SHEET_TIMELINE.lower()}
    for sec in data.sections:
        sh = _Sheet(wb, _sheet_name(sec.name, used, sec.code))
        sh.header(L.XLSX_SECTION_HEAD)
        sh.formats = {7: PCT, 10: PCT, 11: PCT}
        for i, row in enumerate(sec.indicators, start=2):
            low, high = _bounds(row)
            sh.append(
                [
                    row.code,
                    row.sasaran,
                    row.name,
                    row.unit,
                    number_format(sh.ws, low),
                    number_format(sh.ws, high),
                    number_format(sh.ws, row.realisation),
                    capaian_formula(i, row.polarity, row.lower_method, "E", "F", "G")
                    if low is not None
                    else None,
                    target_status(row.capaian),
                    band_text(row.capaian),
                    _num(row.previous),
                    _num(row.ytd),
                    row.explanation,
                    ", ".join(e.file_name for e in row.evidence),
                ]
            )
        sh.write()
    ev = _Sheet(wb, L.SHEET_EVIDENCE, max_width=70)
    ev.header(L.XLSX_EVIDENCE_HEAD)
    for sec in data.sections:
        for row in sec.indicators:
            for e in row.evidence:
                ev.append([sec.name, row.code, e.file_name, e.description, e.size, e.sha256])
    ev.write()
    tl = _Sheet(wb, L.SHEET_TIMELINE)
    tl.header(timeline_head(data.tz, data.generated_at))
    tl.formats = {3: DATE, 4: DATE}
    for st in timeline_order(data.steps):
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
    tl.write()
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.calculation.fullCalcOnLoad = True  # formulas computed when the workbook is opened
    wb.save(path)
    return path


def timeline_head(tz: str, when: Any) -> tuple[str, ...]:
    """The timeline's columns with the zone of its times: "Mulai (WITA)"."""
    zone = zone_abbr(tz, when.astimezone(ZoneInfo(tz)))
    return tuple(f"{h} ({zone})" if h in ("Mulai", "Selesai") else h for h in L.TIMELINE_HEAD)


INTEGER = "#,##0"
DECIMAL = "#,##0.0##"  # "92,5" and "1.250,75": no trailing decimal mark on whole numbers


def number_format(ws: Any, value: Any) -> Any:
    """A number cell whose format shows it as written: 90 as "90", 92.5 as "92,5" (the
    decimal mark is the reader's locale), never "90,"; None stays empty."""
    if value is None:
        return None
    number = float(value)
    cell = WriteOnlyCell(ws, value=int(number) if number == int(number) else number)
    cell.number_format = INTEGER if number == int(number) else DECIMAL
    return cell
