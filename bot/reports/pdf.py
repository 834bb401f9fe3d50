"""The printable report (reportlab, A4 portrait): letterhead, title, summary, a table per
section, charts, the SOP timeline, evidence hashes, the approval block; a DRAF watermark
before approval and "Halaman N dari M" on every page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import matplotlib
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    HRFlowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from bot.fmt import (
    format_date_id,
    format_datetime_id,
    format_number_id,
    format_percent_id,
    format_time_id,
)
from bot.procedure.capaian import band_text, target_status
from bot.reports import labels as L
from bot.reports.model import (
    Approval,
    ReportData,
    by_sasaran,
    nip_groups,
    place_of,
    timeline_order,
)

FONT, FONT_BOLD, MONO = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"
# binary (zlib) streams: ASCII85 text encoding is done in pure Python without reportlab's
# optional C accelerator and cost a third of the PDF's time for nothing a reader sees
rl_config.useA85 = 0


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(MONO, str(ttf / "DejaVuSansMono.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]
    return {
        "n": ParagraphStyle("n", base, fontName=FONT, fontSize=9, leading=12),
        "s": ParagraphStyle("s", base, fontName=FONT, fontSize=7.5, leading=9.5),
        "mono": ParagraphStyle("mono", base, fontName=MONO, fontSize=6.5, leading=8),
        "head": ParagraphStyle(
            "head", base, fontName=FONT_BOLD, fontSize=12, leading=15, alignment=TA_CENTER
        ),
        "title": ParagraphStyle(
            "title",
            base,
            fontName=FONT_BOLD,
            fontSize=13,
            leading=17,
            alignment=TA_CENTER,
            spaceBefore=6,
        ),
        "center": ParagraphStyle(
            "center", base, fontName=FONT, fontSize=10, leading=13, alignment=TA_CENTER
        ),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        ),
        # a section's figures line: kept with its heading and table
        "stats": ParagraphStyle(
            "stats", base, fontName=FONT, fontSize=7.5, leading=9.5, keepWithNext=1
        ),
        "th": ParagraphStyle("th", base, fontName=FONT_BOLD, fontSize=7.5, leading=9.5),
        "h3": ParagraphStyle(
            "h3",
            base,
            fontName=FONT_BOLD,
            fontSize=9,
            leading=12,
            spaceBefore=6,
            spaceAfter=2,
            keepWithNext=1,
        ),
    }


def pdf_date(when: datetime) -> str:
    """A PDF date string ("D:20261130150000+08'00'") of a moment in its own zone."""
    off = when.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"D:{when:%Y%m%d%H%M%S}{sign}{hh:02d}'{mm:02d}'"


def _numbered_canvas(draft: bool, created: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Defers page output to write "Halaman N dari M" and the watermark on each page.
        The document's creation date is the clock's (`created`), not the machine's: the
        bot runs on a fake clock in tests and the demo."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            self.setDateFormatter(lambda *_ymdhms: created)

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = A4
            if draft:
                self.saveState()
                self.setFont(FONT_BOLD, 110)
                self.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
                self.translate(width / 2, height / 2)
                self.rotate(45)
                self.drawCentredString(0, -35, L.DRAFT)
                self.restoreState()
            self.setFont(FONT, 8)
            self.setFillColor(colors.grey)
            self.drawRightString(
                width - 2 * cm, 1.2 * cm, L.PAGE.format(page=self._pageNumber, total=total)
            )

    return NumberedCanvas


CELL_SIZE, CELL_LEADING, PAD = 7.5, 9.5, 3


def _style(header_rows: int) -> TableStyle:
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#DDEBF7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTNAME", (0, 0), (-1, header_rows - 1), FONT_BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
            ("LEADING", (0, 0), (-1, -1), CELL_LEADING),
            ("LEFTPADDING", (0, 0), (-1, -1), PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ]
    )


TABLE_STYLE = _style(1)  # built once: every table of the report shares it
MONO_SIZE = 6.5
EVIDENCE_HASH_STYLE = TableStyle([("FONT", (2, 1), (2, -1), MONO, MONO_SIZE, 8)])


def _wrap(text: object, width: float, font: str = FONT, size: float = CELL_SIZE) -> str:
    """Text broken into lines that fit a cell `width` wide: plain strings in cells are far
    cheaper for reportlab than a Paragraph per cell, and read the same. Lines break at
    spaces only (a no-break space holds "(>\u00a090%)" together); a word longer than the
    cell is broken with a hyphen, never left to run into the next column."""
    room = width - 2 * PAD
    space = _width(" ", font, size)
    lines: list[str] = []
    for part in str(text).split("\n"):
        current, used = "", 0.0
        for word in part.split(" "):
            w = _width(word, font, size)
            if current and used + space + w <= room:
                current, used = f"{current} {word}", used + space + w
                continue
            if current:
                lines.append(current)
            pieces = _break_long(word, font, size, room) if w > room else [word]
            lines.extend(pieces[:-1])
            current = pieces[-1]
            used = _width(current, font, size)
        lines.append(current)
    return "\n".join(lines)


@lru_cache(maxsize=65536)
def _width(text: str, font: str, size: float) -> float:
    """A word's width, kept: a report's cells repeat the same few hundred words."""
    return float(stringWidth(text, font, size))


def _break_long(word: str, font: str, size: float, room: float) -> list[str]:
    out, current = [], ""
    for ch in word:
        if current and stringWidth(current + ch + "-", font, size) > room:
            out.append(current + "-")
            current = ch
        else:
            current += ch
    out.append(current)
    return out


def _nobreak(text: str) -> str:
    """Keep "Sangat Tinggi (> 90%)" from breaking inside its brackets."""
    return text.replace("(> ", "(>\u00a0").replace("(≤ ", "(≤\u00a0")


GROUP_FILL = colors.HexColor("#F2F2F2")


def _table(
    rows: list[list[Any]],
    widths: list[float],
    groups: Sequence[int] = (),
    mono: int | None = None,
) -> Table:
    """A table whose header row repeats on each page; cells wrapped to their column. The
    rows in `groups` are group headings (a sasaran): one bold cell across the table; the
    column `mono` (a hash) is set in the monospaced font."""
    full = sum(widths)
    wrapped = []
    for i, row in enumerate(rows):
        if i in groups:
            wrapped.append([_wrap(row[0], full, FONT_BOLD)] + [""] * (len(widths) - 1))
        else:
            font = FONT_BOLD if i == 0 else FONT
            wrapped.append(
                [
                    _wrap(c, w, MONO, MONO_SIZE) if i and col == mono else _wrap(c, w, font)
                    for col, (c, w) in enumerate(zip(row, widths, strict=True))
                ]
            )
    table = Table(wrapped, colWidths=widths, repeatRows=1)
    table.setStyle(TABLE_STYLE)
    if groups:
        table.setStyle(
            TableStyle(
                [
                    cmd
                    for g in groups
                    for cmd in (
                        ("SPAN", (0, g), (-1, g)),
                        ("FONTNAME", (0, g), (-1, g), FONT_BOLD),
                        ("BACKGROUND", (0, g), (-1, g), GROUP_FILL),
                    )
                ]
            )
        )
    return table


def _when(moment: datetime, tz: str) -> str:
    """A step's moment in a narrow column: "23 November 2026, 08.00 WITA"."""
    return f"{format_date_id(moment.astimezone(ZoneInfo(tz)).date())}, {format_time_id(moment, tz)}"


def _chart_images(paths: Any) -> list[Image]:
    """Charts scaled to the text width, each at most a page tall."""
    out = []
    for chart in paths:
        img = Image(str(chart))
        scale = min(17 * cm / img.imageWidth, 23 * cm / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        out.append(img)
    return out


def build_pdf(data: ReportData, path: Path, charts: Any | None = None) -> Path:
    _register_fonts()
    st = _styles()
    P = lambda text, style="n": Paragraph(escape(str(text)).replace("\n", "<br/>"), st[style])  # noqa: E731
    tz = data.tz
    story: list[Any] = []
    for i, line in enumerate(data.letterhead):
        story.append(P(line, "head" if i < 2 else "center"))
    story.append(
        HRFlowable(width="100%", thickness=1.5, color=colors.black, spaceBefore=4, spaceAfter=8)
    )
    story.append(P(L.TITLE, "title"))
    story.append(P(f"{data.period} — {L.VERSION.format(version=data.version)}", "center"))
    story.append(Spacer(1, 8))

    story.append(P(L.SUMMARY, "h2"))
    rows_all = [r for s in data.sections for r in s.indicators]
    below = [s.name for s in data.sections if s.average is not None and s.average < 100]
    late = [s.name for s in data.sections if s.late_working_days > 0]
    story.append(
        P(
            L.SUMMARY_TEXT.format(
                period=data.period,
                overall=format_percent_id(data.overall),
                met=sum(s.met for s in data.sections),
                total=len(rows_all),
                below=", ".join(below) or L.NONE,
                late=", ".join(late) or L.NONE,
            )
        )
    )
    if data.missing_sections:
        story.append(P(L.MISSING_TEXT.format(sections=", ".join(data.missing_sections))))

    widths = [0.7 * cm, 3.5 * cm, 2.1 * cm, 1.4 * cm, 1.7 * cm, 1.5 * cm, 3.0 * cm, 3.1 * cm]
    for sec in data.sections:
        story.append(P(L.SECTION_HEAD.format(name=sec.name, head=sec.head_name), "h2"))
        submitted = (
            format_datetime_id(sec.submitted_at, tz) if sec.submitted_at else L.NOT_SUBMITTED
        )
        story.append(
            P(
                L.SECTION_STATS.format(
                    average=format_percent_id(sec.average),
                    met=sec.met,
                    total=sec.total,
                    deadline=format_datetime_id(sec.deadline, tz),
                    submitted=submitted,
                    late=L.LATE.format(days=sec.late_working_days) if sec.late_working_days else "",
                )
                + (L.RETURNED.format(returns=sec.returns) if sec.returns else ""),
                "stats",
            )
        )
        rows: list[list[Any]] = [list(L.TABLE_HEAD)]
        groups: list[int] = []
        named = any(r.sasaran for r in sec.indicators)
        numbered = [
            (n, r) for n, r in enumerate((r for _, g in by_sasaran(sec.indicators) for r in g), 1)
        ]
        for n, r in numbered:
            if named and (n == 1 or numbered[n - 2][1].sasaran != r.sasaran):
                groups.append(len(rows))
                rows.append([L.SASARAN_ROW.format(sasaran=r.sasaran or L.NO_SASARAN)])
            rows.append(
                [
                    str(n),
                    r.name,
                    r.unit,
                    r.target_text,
                    format_number_id(r.realisation),
                    format_percent_id(r.capaian),
                    "-"
                    if r.capaian is None
                    else f"{target_status(r.capaian)};\n{_nobreak(band_text(r.capaian))}",
                    r.explanation or "-",
                ]
            )
        story.append(_table(rows, widths, groups))

    if charts is not None:
        story.append(P(L.CHARTS, "h2"))
        story.extend(_chart_images([*charts.sections, charts.timeline]))

    story.append(P(L.TIMELINE, "h2"))
    trows: list[list[Any]] = [list(L.TIMELINE_HEAD)]
    for s in timeline_order(data.steps):
        state = L.RUNNING if s.on_time is None else (L.ON_TIME if s.on_time else L.LATE_SHORT)
        if s.used_text:
            state = f"{state} ({s.used_text})"  # in the step's own unit, as /status says
        trows.append(
            [
                f"{s.number}. {s.name}",
                s.actor,
                s.standard_text,
                _when(s.started_at, tz),
                _when(s.ended_at, tz) if s.ended_at else "-",
                state,
            ]
        )
    story.append(_table(trows, [4.3 * cm, 3.3 * cm, 1.8 * cm, 2.7 * cm, 2.7 * cm, 2.2 * cm]))

    story.append(P(L.EVIDENCE, "h2"))
    # one table per section: reportlab re-measures the rest of a table at each page break,
    # so one table of every file would cost time growing with the square of the sections
    listed = False
    for sec in data.sections:
        erows: list[list[Any]] = [list(L.EVIDENCE_HEAD)]
        for r in sec.indicators:
            for e in r.evidence:
                name = f"{e.file_name}\n{e.description}" if e.description else e.file_name
                erows.append([r.code, name, e.sha256])
        if len(erows) > 1:
            etable = _table(erows, [2.0 * cm, 5.4 * cm, 9.6 * cm], mono=2)
            etable.setStyle(EVIDENCE_HASH_STYLE)
            story += [P(sec.name, "h3"), etable]  # the heading keeps with its table
            listed = True
    if not listed:
        story.append(P(L.NO_EVIDENCE))

    if data.revision_notes:
        story.append(P(L.REVISIONS, "h2"))
        for note in data.revision_notes:
            story.append(P(f"• {note}"))

    story.append(_signatures(data, st))
    story.append(Spacer(1, 6))
    story.append(P(L.GENERATED.format(when=format_datetime_id(data.generated_at, tz)), "s"))

    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.6 * cm,
        bottomMargin=2 * cm,
        title=f"{L.TITLE} {data.period}",
        author=data.office_name,
        creator="sakip-bot",
        invariant=1,  # no random document id: the same report gives the same bytes
    )
    created = pdf_date(data.generated_at.astimezone(ZoneInfo(tz)))
    doc.build(story, canvasmaker=_numbered_canvas(data.is_draft, created))
    return path


def _signature(lines: list[tuple[str, str]], st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = []
    for text, kind in lines:
        if kind == "gap":
            out.append(Spacer(1, 34))
        elif kind == "name":
            out.append(Paragraph(f"<u><b>{escape(text)}</b></u>", st["n"]))
        else:
            out.append(Paragraph(escape(text), st[kind]))
    return out


def _signatures(data: ReportData, st: dict[str, ParagraphStyle]) -> Any:
    """The signature blocks as Tata Naskah Dinas has them: on the right the Sekretaris's
    paraf — place and date, position, space, name, rank, NIP in its groups; beside it on
    the left the Camat's "Mengetahui"; the electronic record below."""
    a = data.approval
    day = a.approved_at or data.generated_at
    place = data.place or place_of(data.office_name)
    date_line = f"{place}, {format_date_id(day.astimezone(ZoneInfo(data.tz)).date())}"

    def person(sig: Approval) -> list[tuple[str, str]]:
        lines = [("", "gap"), (sig.name, "name")]
        if sig.rank:
            lines.append((sig.rank, "n"))
        lines.append((f"NIP. {nip_groups(sig.nip)}", "n"))
        return lines

    right = _signature([(date_line, "n"), (f"{a.position},", "n"), *person(a)], st)
    left: list[Any] = []
    if data.camat is not None:
        left = _signature(
            [(L.KNOWN_BY, "n"), (f"{data.camat.position},", "n"), *person(data.camat)], st
        )
    table = Table([[left, right]], colWidths=[8.5 * cm, 8.5 * cm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 2.2 * cm),
            ]
        )
    )
    if a.approved_at and a.content_hash:
        record = L.APPROVAL_SIGNED.format(
            when=format_datetime_id(a.approved_at, data.tz), hash=a.content_hash
        )
    else:
        record = L.APPROVAL_PENDING
    note = Paragraph(escape(record).replace("\n", "<br/>"), st["s"])
    return KeepTogether([Spacer(1, 14), table, Spacer(1, 8), note])
