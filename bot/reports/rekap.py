"""The kabupaten recap's documents: a chart comparing the offices (capaian and timeliness)
and a workbook with every office's indicators. Same colour rule as the office charts: below
target red, target met green, no data grey. Import lazily (matplotlib is slow to load)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.reports import labels as L
from bot.reports.xlsx import PCT, _bounds, _num, _Sheet, number_format, timeline_head

RED, GREEN, GREY = "#d73027", "#1a9850", "#bdbdbd"


def _colour(value: Decimal | None) -> str:
    if value is None:
        return GREY
    return GREEN if value >= 100 else RED


def rekap_chart(offices: Sequence[Any], period: str, path: Path) -> Path:
    """One row per office: its average capaian and the share of its sections on time, the
    late sections counted on the office's name line."""
    from bot.reports.charts import Row, _capaian_bar, phone_bars

    rows = []
    for o in offices:
        name = o.name.replace("Kecamatan ", "")
        if o.late_sections:
            name += " " + L.REKAP_LATE_N.format(n=len(o.late_sections))
        rows.append(
            Row(
                name,
                (
                    _capaian_bar(L.REKAP_BAR_CAPAIAN, o.overall),
                    _capaian_bar(L.REKAP_BAR_ON_TIME, o.on_time_percent),
                ),
            )
        )
    return phone_bars(L.REKAP_CHART_TITLE.format(period=period), rows, L.REKAP_CHART_AXIS, path)


def rekap_xlsx(offices: Sequence[Any], period: str, path: Path) -> Path:
    """Sheets: a summary per office, every office's indicators, sections, and SOP steps."""
    wb = Workbook(write_only=True)
    summary = _Sheet(wb, L.SHEET_SUMMARY)
    summary.append([L.REKAP_XLSX_TITLE.format(period=period)])
    summary.bold.add(0)
    summary.header(L.REKAP_XLSX_OFFICES)
    summary.formats = {2: PCT}
    for o in offices:
        summary.append(
            [
                o.name,
                o.state_text,
                _num(o.overall),
                o.sections_total,
                len(o.late_sections),
                ", ".join(o.late_sections),
                f"{len(o.steps) - len(o.steps_late)}/{len(o.steps)}",
            ]
        )
    ind = _Sheet(wb, L.REKAP_SHEET_INDICATORS)
    ind.header(L.REKAP_XLSX_INDICATORS)
    ind.formats = {8: PCT}
    sec = _Sheet(wb, L.REKAP_SHEET_SECTIONS)
    sec.header(L.REKAP_XLSX_SECTIONS)
    sec.formats = {2: PCT}
    steps = _Sheet(wb, L.SHEET_TIMELINE)
    zone = next((o.data for o in offices if o.data is not None), None)
    steps.header(
        ("Kantor", *(timeline_head(zone.tz, zone.generated_at) if zone else L.TIMELINE_HEAD))
    )
    steps.formats = {4: "dd/mm/yyyy hh:mm", 5: "dd/mm/yyyy hh:mm"}
    for o in offices:
        if o.data is None:
            continue
        tz = ZoneInfo(o.data.tz)
        for s in o.data.sections:
            sec.append(
                [
                    o.name,
                    s.name,
                    _num(s.average),
                    s.met,
                    s.total,
                    s.late_working_days,
                    s.status_text,
                ]
            )
            for row in s.indicators:
                ind.append(
                    [
                        o.name,
                        s.name,
                        row.code,
                        row.name,
                        row.unit,
                        number_format(ind.ws, _bounds(row)[0]),
                        number_format(ind.ws, _bounds(row)[1]),
                        number_format(ind.ws, row.realisation),
                        _num(row.capaian),
                        row.category,
                    ]
                )
        for st in o.data.steps:
            steps.append(
                [
                    o.name,
                    f"{st.number}. {st.name}",
                    st.actor,
                    st.standard_text,
                    st.started_at.astimezone(tz).replace(tzinfo=None),
                    st.ended_at.astimezone(tz).replace(tzinfo=None) if st.ended_at else None,
                    L.RUNNING
                    if st.on_time is None
                    else (L.ON_TIME if st.on_time else L.LATE_SHORT),
                ]
            )
    for sheet in (summary, ind, sec, steps):
        sheet.write()
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
