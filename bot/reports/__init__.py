"""Report documents: PDF (reportlab), XLSX (openpyxl), charts (matplotlib, loaded lazily).

`build_report(data, out_dir)` builds one version's files from the view model in `model.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.reports.model import (
    Approval,
    EvidenceFile,
    IndicatorRow,
    ReportData,
    SectionReport,
    StepTiming,
)

__all__ = [
    "Approval",
    "EvidenceFile",
    "IndicatorRow",
    "ReportData",
    "ReportFiles",
    "SectionReport",
    "StepTiming",
    "build_report",
]


@dataclass(frozen=True)
class ReportFiles:
    pdf: Path
    xlsx: Path
    charts: Any  # bot.reports.charts.Charts


def build_report(data: ReportData, out_dir: Path) -> ReportFiles:
    from bot.reports.charts import build_charts
    from bot.reports.pdf import build_pdf
    from bot.reports.xlsx import build_xlsx

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"laporan_kinerja_{data.period.replace(' ', '_').lower()}_v{data.version}"
    charts = build_charts(data, out_dir)
    return ReportFiles(
        pdf=build_pdf(data, out_dir / f"{stem}.pdf", charts),
        xlsx=build_xlsx(data, out_dir / f"{stem}.xlsx"),
        charts=charts,
    )
