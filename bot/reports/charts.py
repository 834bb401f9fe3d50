"""The report's charts (matplotlib, Agg, object-oriented API so it is thread-safe). Import
this module lazily: matplotlib is slow to load and the bot should start fast.

Every chart follows one colour rule (`capaian_color`): below target red, at or above target
green, no data grey. Charts have a bounded size: the per-section charts hold at most
`PAGE_SECTIONS` sections per image (more sections, more images), and the layout is computed
from fixed margins in inches (no `tight_layout`), which keeps them fast and nothing clipped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MultipleLocator  # noqa: E402
from PIL import Image  # noqa: E402

from bot.fmt import format_number_id  # noqa: E402
from bot.procedure.capaian import meets_target  # noqa: E402
from bot.reports import labels as L  # noqa: E402
from bot.reports.model import ReportData, SectionReport, StepTiming, timeline_order  # noqa: E402

GREEN, RED, GREY, INK = "#1a9850", "#d73027", "#bdbdbd", "#333333"
PAGE_SECTIONS = 15  # sections per chart image: a bounded height, readable on a phone
SUMMARY_SECTIONS = 12  # bars on the Camat's phone chart (the lowest first when more)
DOC_DPI = 100  # charts placed in the PDF (16.5 cm wide: ~125 dpi on paper)
WIDTH = 8.0  # inches
ROW = 0.36  # inches per bar
SHARE_CAP = 3.0  # the timeline's axis ends at 300% of the standard; longer bars are cut


def capaian_color(value: Decimal | None) -> str:
    """The one colour rule of every chart: below target red, on/above green, no data grey."""
    met = meets_target(value)
    return GREY if met is None else (GREEN if met else RED)


@dataclass(frozen=True)
class Charts:
    sections: tuple[Path, ...]  # one image per `PAGE_SECTIONS` sections
    timeline: Path
    summary: Path

    def named(self) -> dict[str, Path]:
        """The document charts by name, in Indonesian like every file a person receives:
        "seksi", "seksi_2", …, "waktu_langkah" (the summary chart is stored on its own)."""
        out = {
            "seksi" if i == 1 else f"seksi_{i}": path
            for i, path in enumerate(self.sections, start=1)
        }
        out["waktu_langkah"] = self.timeline
        return out


def _save(fig: Figure, path: Path, dpi: int = DOC_DPI) -> Path:
    """PNG without an alpha channel (the charts are opaque): a quarter less to compress here,
    and to decode and compress again when the PDF embeds it."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB").save(
        path, format="png", compress_level=1
    )
    return path


def _value(x: Decimal | None) -> float:
    return float(x) if x is not None else 0.0


def _pages(sections: Sequence[SectionReport]) -> list[Sequence[SectionReport]]:
    return [sections[i : i + PAGE_SECTIONS] for i in range(0, len(sections), PAGE_SECTIONS)] or [[]]


def _page_title(title: str, page: int, pages: int) -> str:
    return title if pages == 1 else f"{title} ({L.CHART_PAGE.format(page=page, pages=pages)})"


def _short(name: str) -> str:
    """A section's name without "Seksi"."""
    return name.replace("Seksi ", "")


@dataclass(frozen=True)
class Bar:
    label: str  # left of the bar ("2025"), may be ""
    value: float | None  # on the axis, in percent
    colour: str
    text: str  # in the column right of the plot ("102,78%")


@dataclass(frozen=True)
class Row:
    name: str  # on its own line(s) above the row's bars
    bars: tuple[Bar, ...]


def _capaian_bar(label: str, value: Decimal | None, colour: str | None = None) -> Bar:
    text = f"{format_number_id(value)}%" if value is not None else L.NO_DATA_SHORT
    return Bar(
        label, float(value) if value is not None else None, colour or capaian_color(value), text
    )


def sections_chart(
    data: ReportData, secs: Sequence[SectionReport], path: Path, page: int = 1, pages: int = 1
) -> Path:
    """Per section: its average capaian against the 100% target, and on its name line
    whether its data came on time."""
    rows = []
    for s in secs:
        if s.submitted_at is None:
            when = L.NOT_SUBMITTED
        elif s.late_working_days:
            when = L.LATE_DAYS_SECTION.format(days=s.late_working_days)
        else:
            when = L.ON_TIME.lower()
        rows.append(Row(f"{_short(s.name)} — {when}", (_capaian_bar("", s.average),)))
    title = _page_title(f"{L.CHART_SECTIONS}\n{data.period}", page, pages)
    return phone_bars(title, rows, L.CHART_CAPAIAN_AXIS, path)


def _step_label(st: StepTiming) -> str:
    return f"{st.number}. {st.name} ({L.STANDARD_OF.format(standard=st.standard_text)})"


def timeline_chart(data: ReportData, path: Path) -> Path:
    """Each step's time used as a share of its standard (linear; 100% = the standard,
    marked on every row), so 15-minute and 3-day steps read on one axis; the real duration
    in the column on the right, the standard on the step's name line."""
    rows = []
    for st in timeline_order(data.steps):
        share = st.share
        colour = GREY if st.on_time is None else (GREEN if st.on_time else RED)
        used = st.used_text or (L.RUNNING if st.ended_at is None else "-")
        value = min(share, SHARE_CAP) * 100 if share is not None else None
        rows.append(Row(_step_label(st), (Bar("", value, colour, used),)))
    return phone_bars(
        L.CHART_TIMELINE,
        rows,
        L.CHART_TIMELINE_AXIS,
        path,
        marker_label=L.STANDARD,
        cap=SHARE_CAP * 100,
    )


def summary_chart(data: ReportData, path: Path) -> Path:
    """For the Camat's phone: the overall capaian in large type, one message, then the
    sections (the lowest `SUMMARY_SECTIONS` when there are more)."""
    below = [s for s in data.sections if meets_target(s.average) is False]
    secs = list(data.sections)
    lines = [
        (L.CHART_SUMMARY_HEAD.format(period=data.period), PHONE_FONT + 6, INK, "bold"),
        (
            f"{format_number_id(data.overall)}%" if data.overall is not None else "-",
            48,
            capaian_color(data.overall),
            "bold",
        ),
        (
            L.CHART_SUMMARY_BELOW.format(n=len(below)) if below else L.CHART_SUMMARY_OK,
            PHONE_FONT + 4,
            RED if below else GREEN,
            "normal",
        ),
    ]
    if len(secs) > SUMMARY_SECTIONS:
        secs = sorted(secs, key=lambda s: (s.average is not None, _value(s.average)))
        secs = secs[:SUMMARY_SECTIONS]
        lines.append(
            (
                L.CHART_SUMMARY_LOWEST.format(n=SUMMARY_SECTIONS, total=len(data.sections)),
                PHONE_FONT,
                "#555555",
                "normal",
            )
        )
    rows = [Row(_short(s.name), (_capaian_bar("", s.average),)) for s in secs]
    return phone_bars("", rows, L.CHART_CAPAIAN_AXIS, path, header=lines, footer=data.office_name)


def build_charts(data: ReportData, out_dir: Path) -> Charts:
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = _pages(data.sections)
    n = len(pages)

    def name(stem: str, i: int) -> Path:
        return out_dir / (f"{stem}.png" if i == 1 else f"{stem}_{i}.png")

    return Charts(
        sections=tuple(
            sections_chart(data, p, name("grafik_seksi", i), i, n)
            for i, p in enumerate(pages, start=1)
        ),
        timeline=timeline_chart(data, out_dir / "grafik_waktu_langkah.png"),
        summary=summary_chart(data, out_dir / "grafik_ringkasan.png"),
    )


# --- the one layout of every chart: 1080 px wide, text at least 28 px ----------------------
PHONE_WIDTH, PHONE_DPI = 7.2, 150  # 1080 px
PHONE_FONT = 14  # points: 29 px at 150 dpi
NAME_CHARS = 50  # characters per line of a row's name at PHONE_FONT on 1080 px
LINE, BAR, GAP = 0.32, 0.42, 0.22  # inches: a text line, a bar, the space between rows


def _label_width(texts: Sequence[str]) -> float:
    """Inches a column needs for the longest of `texts` at PHONE_FONT (DejaVu Sans averages
    about 0.6 em a character), with a margin."""
    longest = max((len(t) for t in texts), default=0)
    return 0.25 + longest * PHONE_FONT * 0.6 / 72


def phone_bars(
    title: str,
    items: Sequence[Row],
    axis_label: str,
    path: Path,
    *,
    header: Sequence[tuple[str, float, str, str]] = (),
    footer: str = "",
    marker_label: str = L.CHART_TARGET,
    cap: float | None = None,
) -> Path:
    """Rows of horizontal bars for a phone screen, laid out in inches from the top (nothing
    left to `tight_layout`). Each row's name is on its own line(s) above its bars; a bar's
    label sits left of the plot and its value in a column right of it, so no label crosses
    a bar or a line. The 100% target is a short mark on each bar, labelled once in a line
    of its own above the rows. `header`: lines of (text, size, colour, weight) above."""
    y = 0.2
    placed: list[tuple[str, float, float, str, str]] = []  # text, y, size, colour, weight
    for text, size, colour, weight in header:
        placed.append((text, y, size, colour, weight))
        y += size / 72 * 1.45
    if title:
        placed.append((title, y, PHONE_FONT + 2, INK, "bold"))
        y += (title.count("\n") + 1) * (PHONE_FONT + 2) / 72 * 1.45
    y += 0.15
    marker_y = y + LINE / 2
    y += LINE + 0.1
    body_top = y - 0.05
    layout = []
    for item in items:
        lines = textwrap.wrap(item.name, NAME_CHARS) or [""]
        name_y = y
        y += len(lines) * LINE
        bar_ys = []
        for _ in item.bars:
            bar_ys.append(y + BAR / 2)
            y += BAR + 0.06
        layout.append(("\n".join(lines), name_y, bar_ys))
        y += GAP
    body_bottom = y
    height = y + 0.85 + (0.45 if footer else 0)
    fig = Figure(figsize=(PHONE_WIDTH, height), facecolor="white")
    left = max(0.35, _label_width([b.label for i in items for b in i.bars]))
    right = max(0.6, _label_width([b.text for i in items for b in i.bars]))
    bottom = height - body_bottom
    ax = fig.add_axes(
        (
            left / PHONE_WIDTH,
            bottom / height,
            1 - (left + right) / PHONE_WIDTH,
            (body_bottom - body_top) / height,
        )
    )
    ax.set_ylim(body_bottom, body_top)  # data y = inches from the figure's top
    values = [b.value for i in items for b in i.bars if b.value is not None]
    xmax = max([125.0, *[v * 1.05 for v in values]])
    if cap is not None:
        xmax = min(xmax, cap * 1.02)
    ax.set_xlim(0, xmax)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    ax.xaxis.set_major_locator(MultipleLocator(50 if xmax <= 200 else 100))
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    ax.tick_params(axis="x", labelsize=PHONE_FONT)
    ax.set_xlabel(axis_label, fontsize=PHONE_FONT)
    for text, ty, size, colour, weight in placed:
        fig.text(
            0.5,
            1 - ty / height,
            text,
            ha="center",
            va="top",
            fontsize=size,
            color=colour,
            weight=weight,
            linespacing=1.2,
        )
    if footer:
        fig.text(
            0.5,
            0.3 / height,
            footer,
            ha="center",
            va="center",
            fontsize=PHONE_FONT,
            color="#555555",
        )
    from matplotlib.transforms import blended_transform_factory

    at_figure = blended_transform_factory(fig.transFigure, ax.transData)
    at_axes = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(
        100,
        marker_y,
        marker_label,
        ha="center",
        va="center",
        fontsize=PHONE_FONT,
        color=INK,
        clip_on=False,
    )
    for (name, name_y, bar_ys), item in zip(layout, items, strict=True):
        if name:
            ax.text(
                0.2 / PHONE_WIDTH,
                name_y + 0.03,
                name,
                ha="left",
                va="top",
                fontsize=PHONE_FONT,
                weight="bold",
                transform=at_figure,
                linespacing=1.15,
            )
        for by, bar in zip(bar_ys, item.bars, strict=True):
            shown = min(bar.value, xmax) if bar.value is not None else 0.0
            ax.barh(by, shown, height=BAR * 0.8, color=bar.colour)
            ax.plot([100, 100], [by - BAR * 0.5, by + BAR * 0.5], color=INK, linewidth=2)
            if bar.value is not None and bar.value >= xmax:
                ax.text(
                    xmax * 0.98,
                    by,
                    "≫",
                    ha="right",
                    va="center",
                    color="white",
                    fontsize=PHONE_FONT,
                )
            if bar.label:
                ax.text(
                    -0.03,
                    by,
                    bar.label,
                    transform=at_axes,
                    ha="right",
                    va="center",
                    fontsize=PHONE_FONT,
                )
            ax.text(
                1.03, by, bar.text, transform=at_axes, ha="left", va="center", fontsize=PHONE_FONT
            )
    return _save(fig, path, dpi=PHONE_DPI)
