"""The LKjIP's chapter III as files: a DOCX (python-docx) for the Kasubag to edit into the
year's report, an XLSX (openpyxl) of the same numbers, and a chart per sasaran comparing
this year's capaian with last year's. The figures come computed from `bot.reports.lkjip_data.YearData`;
these builders only display them. Import lazily (matplotlib is slow to load)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook

from bot.fmt import format_datetime_id, format_number_id, format_percent_id
from bot.procedure.capaian import DEFAULT_BANDS
from bot.reports.lkjip_data import YearData, YearRow
from bot.reports.xlsx import PCT, _num, _Sheet, number_format

TITLE = "BAB III AKUNTABILITAS KINERJA"
SUBTITLE = "A. Capaian Kinerja Organisasi Tahun {year}"
INTRO = (
    "Pengukuran kinerja dilakukan dengan membandingkan realisasi dengan target setiap "
    "indikator kinerja pada Perjanjian Kinerja Tahun {year}. Realisasi tahunan dihimpun dari "
    "laporan pengumpulan data kinerja triwulanan yang telah disetujui Sekretaris Kecamatan. "
    "Capaian dikategorikan menurut skala berikut."
)
SCALE_HEAD = ("No", "Capaian", "Kategori")
TABLE_HEAD = (
    "No",
    "Indikator kinerja",
    "Satuan",
    "Target {year}",
    "Realisasi {year}",
    "Capaian (%)",
    "Kategori",
    "Catatan",
)
COMPARE_HEAD = (
    "No",
    "Indikator kinerja",
    "Realisasi {last}",
    "Capaian {last} (%)",
    "Realisasi {year}",
    "Capaian {year} (%)",
    "Perubahan capaian (poin)",
    "Target akhir Renstra",
    "Realisasi thd target akhir Renstra (%)",
)
SASARAN = "Sasaran {n}: {name}"
NO_SASARAN = "(sasaran belum ditetapkan)"
COMPARE = "Perbandingan dengan tahun lalu dan target akhir Renstra"
ANALYSIS = "Analisis capaian (dari penjelasan kepala seksi per triwulan; sunting seperlunya)"
NO_ANALYSIS = "Belum ada penjelasan dari kepala seksi."
SOURCES = "Sumber data"
SOURCES_TEXT = (
    "Bab ini disusun oleh bot SAKIP pada {when} dari laporan triwulanan yang telah disetujui "
    "berikut (hash SHA-256 isi laporan). {missing}"
)
MISSING = "Triwulan tanpa laporan yang disetujui: {quarters}."
ROUNDS_HEAD = ("Periode", "Putaran", "Versi", "Disetujui", "Hash isi laporan (SHA-256)")
CHART_TITLE = "Capaian {year} dibanding {last}"
XLSX_HEAD = (
    "Sasaran",
    "Kode",
    "Indikator kinerja",
    "Satuan",
    "Seksi",
    "Target (batas bawah)",
    "Target (batas atas)",
    "Realisasi",
    "Capaian (%)",
    "Kategori",
    "Realisasi tahun lalu",
    "Capaian tahun lalu (%)",
    "Perubahan capaian (poin)",
    "Sumber data tahun lalu",
    "Target akhir Renstra",
    "Tahun akhir Renstra",
    "Realisasi thd target akhir Renstra (%)",
    "Catatan",
    "Analisis",
)


@dataclass(frozen=True)
class LkjipFiles:
    docx: Path
    xlsx: Path
    charts: tuple[Path, ...]


def _scale_rows() -> list[tuple[str, str]]:
    bounds = [b for b, _ in DEFAULT_BANDS.bands]
    rows = [(f"> {bounds[0]}%", DEFAULT_BANDS.bands[0][1])]
    for i in range(1, len(bounds)):
        rows.append((f"> {bounds[i]}% s.d. {bounds[i - 1]}%", DEFAULT_BANDS.bands[i][1]))
    rows.append((f"≤ {bounds[-1]}%", DEFAULT_BANDS.lowest))
    return rows


def _pct(x: Decimal | None) -> str:
    return format_percent_id(x) if x is not None else "-"


def _change(x: Decimal | None) -> str:
    if x is None:
        return "-"
    return ("+" if x > 0 else "") + format_number_id(x)


def _table(doc, head: tuple[str, ...], rows: list[list[str]], widths: list[float]):  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(8)
    return table


def build_docx(data: YearData, path: Path, charts: tuple[Path, ...]) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    props = doc.core_properties
    props.title = f"{TITLE} — LKjIP {data.year}"
    props.author = data.office_name
    props.created = data.generated_at.replace(tzinfo=None)
    for line in data.letterhead[:2]:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(line).bold = True
    heading = doc.add_heading(TITLE, level=1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading(SUBTITLE.format(year=data.year), level=2)
    doc.add_paragraph(INTRO.format(year=data.year))
    _table(
        doc,
        SCALE_HEAD,
        [[str(i), rng, name] for i, (rng, name) in enumerate(_scale_rows(), 1)],
        [1.2, 5.0, 4.0],
    )
    last = data.year - 1
    chart_of = dict(zip([g for g, _ in data.groups], charts, strict=False))
    for n, (sasaran, rows) in enumerate(data.groups, 1):
        doc.add_heading(SASARAN.format(n=n, name=sasaran or NO_SASARAN), level=3)
        _table(
            doc,
            tuple(h.format(year=data.year) for h in TABLE_HEAD),
            [
                [
                    str(i),
                    f"{r.code} {r.name}",
                    r.unit,
                    r.target_text,
                    format_number_id(r.realisation),
                    _pct(r.capaian),
                    r.category,
                    "; ".join(r.notes),
                ]
                for i, r in enumerate(rows, 1)
            ],
            [1.0, 6.5, 2.2, 2.0, 2.0, 2.0, 2.4, 7.6],
        )
        doc.add_paragraph(COMPARE).runs[0].italic = True
        _table(
            doc,
            tuple(h.format(year=data.year, last=last) for h in COMPARE_HEAD),
            [
                [
                    str(i),
                    f"{r.code} {r.name}",
                    format_number_id(r.last_realisation),
                    _pct(r.last_capaian),
                    format_number_id(r.realisation),
                    _pct(r.capaian),
                    _change(r.change),
                    f"{r.renstra_target} ({r.renstra_year})" if r.renstra_target else "-",
                    _pct(r.renstra_share),
                ]
                for i, r in enumerate(rows, 1)
            ],
            [1.0, 7.5, 2.3, 2.3, 2.3, 2.3, 2.3, 2.8, 2.9],
        )
        if sasaran in chart_of:
            doc.add_picture(str(chart_of[sasaran]), width=Cm(16))
        doc.add_paragraph().add_run(ANALYSIS).bold = True
        for r in rows:
            p = doc.add_paragraph(style="List Bullet")
            p.add_run(f"{r.code} {r.name}: ").bold = True
            p.add_run(r.analysis.replace("\n", "; ") or NO_ANALYSIS)
    doc.add_heading(SOURCES, level=3)
    missing = (
        MISSING.format(quarters=", ".join(data.missing_quarters)) if data.missing_quarters else ""
    )
    doc.add_paragraph(
        SOURCES_TEXT.format(when=format_datetime_id(data.generated_at, data.tz), missing=missing)
    )
    _table(
        doc,
        ROUNDS_HEAD,
        [
            [
                r.label,
                str(r.round_id),
                str(r.version),
                format_datetime_id(r.approved_at, data.tz) if r.approved_at else "-",
                r.content_hash,
            ]
            for r in data.rounds
        ],
        [3.5, 1.8, 1.5, 5.5, 13.4],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def build_xlsx(data: YearData, path: Path) -> Path:
    wb = Workbook(write_only=True)
    ws = _Sheet(wb, f"Capaian {data.year}")
    ws.append([f"{TITLE} — {data.office_name} — {data.year}"])
    ws.bold.add(0)
    ws.header(XLSX_HEAD)
    ws.formats = {8: PCT, 11: PCT, 12: PCT, 16: PCT}
    for r in data.rows:
        ws.append(
            [
                r.sasaran,
                r.code,
                r.name,
                r.unit,
                r.section,
                number_format(ws.ws, r.target.low if r.target else None),
                number_format(ws.ws, r.target.high if r.target else None),
                number_format(ws.ws, r.realisation),
                _num(r.capaian),
                r.category,
                number_format(ws.ws, r.last_realisation),
                _num(r.last_capaian),
                _num(r.change),
                r.last_source,
                str(r.renstra_target) if r.renstra_target else "",
                int(r.renstra_year) if r.renstra_year else None,
                _num(r.renstra_share),
                "; ".join(r.notes),
                r.analysis,
            ]
        )
    ws.write()
    scale = _Sheet(wb, "Skala kategori")
    scale.header(SCALE_HEAD)
    for i, (rng, name) in enumerate(_scale_rows(), 1):
        scale.append([i, rng, name])
    scale.write()
    zone = ZoneInfo(data.tz)
    rounds = _Sheet(wb, "Sumber data")
    rounds.header(
        tuple(h if h != "Disetujui" else "Disetujui (waktu setempat)" for h in ROUNDS_HEAD)
    )
    rounds.formats = {3: "dd/mm/yyyy hh:mm"}
    for used in data.rounds:
        rounds.append(
            [
                used.label,
                used.round_id,
                used.version,
                used.approved_at.astimezone(zone).replace(tzinfo=None)
                if used.approved_at
                else None,
                used.content_hash,
            ]
        )
    rounds.write()
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def sasaran_chart(data: YearData, sasaran: str, rows: tuple[YearRow, ...], path: Path) -> Path:
    """Per indicator, two bars: last year's capaian (grey) and this year's (coloured by the
    one colour rule), the 100% target marked on each row and labelled once."""
    from bot.reports.charts import GREY, Row, _capaian_bar, phone_bars

    items = [
        Row(
            textwrap.shorten(f"{r.code} {r.name}", 100, placeholder="…"),
            (
                _capaian_bar(str(data.year - 1), r.last_capaian, GREY),
                _capaian_bar(str(data.year), r.capaian),
            ),
        )
        for r in rows
    ]
    title = textwrap.fill(sasaran or NO_SASARAN, 44)
    return phone_bars(
        f"{CHART_TITLE.format(year=data.year, last=data.year - 1)}\n{title}",
        items,
        "Capaian (%)",
        path,
    )


def build_lkjip(data: YearData, out_dir: Path) -> LkjipFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = tuple(
        sasaran_chart(data, name, rows, out_dir / f"grafik_sasaran_{i}.png")
        for i, (name, rows) in enumerate(data.groups, 1)
    )
    stem = f"lkjip_bab3_{data.year}"
    return LkjipFiles(
        docx=build_docx(data, out_dir / f"{stem}.docx", charts),
        xlsx=build_xlsx(data, out_dir / f"{stem}.xlsx"),
        charts=charts,
    )
