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
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator, MultipleLocator  # noqa: E402
from PIL import Image  # noqa: E402

from bot.capaian import meets_target  # noqa: E402
from bot.fmt import format_number_id  # noqa: E402
from bot.reports import labels as L  # noqa: E402
from bot.reports.model import ReportData, SectionReport, StepTiming, timeline_order  # noqa: E402

GREEN, RED, GREY, INK = "#1a9850", "#d73027", "#bdbdbd", "#333333"
PAGE_SECTIONS = 25  # sections per chart image: a bounded, readable height
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
        """The document charts by name: "sections", "sections_2", …, "timeline" (the
        summary chart is stored on its own)."""
        out = {
            "sections" if i == 1 else f"sections_{i}": path
            for i, path in enumerate(self.sections, start=1)
        }
        out["timeline"] = self.timeline
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


def _short(name: str, n: int = 34) -> str:
    """A section's name without "Seksi", wrapped to lines of `n` characters (at most two)."""
    lines = textwrap.wrap(name.replace("Seksi ", ""), n)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: n - 1] + "…"]
    return "\n".join(lines)


def _value(x: Decimal | None) -> float:
    return float(x) if x is not None else 0.0


def _frame(
    rows: int, left: float, right: float, top: float = 0.95, bottom: float = 0.6
) -> tuple[Figure, Axes]:
    """A figure whose plot area has fixed margins in inches and a row height per bar."""
    height = top + bottom + ROW * max(rows, 1)
    fig = Figure(figsize=(WIDTH, height), facecolor="white")
    ax = fig.add_axes(
        (left / WIDTH, bottom / height, 1 - (left + right) / WIDTH, 1 - (top + bottom) / height)
    )
    ax.set_ylim(-0.6, max(rows, 1) - 0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _row_labels(ax: Axes, labels: Sequence[str], fontsize: float = 8, side: str = "left") -> None:
    """Row labels beside the plot without tick objects (a Tick per row costs more than the
    bar it labels)."""
    ax.set_yticks([])
    x, ha = (-0.012, "right") if side == "left" else (1.012, "left")
    transform = ax.get_yaxis_transform()
    for i, text in enumerate(labels):
        ax.text(x, i, text, ha=ha, va="center", fontsize=fontsize, transform=transform)


def _heading(fig: Figure, title: str, legend: Sequence[tuple[str, str]]) -> None:
    height = fig.get_figheight()
    fig.text(0.5, 1 - 0.3 / height, title, ha="center", va="center", fontsize=11, weight="bold")
    if legend:
        fig.legend(
            handles=[Patch(color=c, label=text) for c, text in legend],
            loc="center",
            bbox_to_anchor=(0.5, 1 - 0.65 / height),
            ncols=len(legend),
            fontsize=8,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.2,
        )


def _pages(sections: Sequence[SectionReport]) -> list[Sequence[SectionReport]]:
    return [sections[i : i + PAGE_SECTIONS] for i in range(0, len(sections), PAGE_SECTIONS)] or [[]]


def _page_title(title: str, page: int, pages: int) -> str:
    return title if pages == 1 else f"{title} ({L.CHART_PAGE.format(page=page, pages=pages)})"


def sections_chart(
    data: ReportData, secs: Sequence[SectionReport], path: Path, page: int = 1, pages: int = 1
) -> Path:
    """Per section, side by side: the average capaian against the 100% target, and how many
    working days its data came late."""
    rows = list(secs)[::-1]
    fig, ax = _frame(len(rows), left=2.5, right=2.55, bottom=0.55)
    height = fig.get_figheight()
    (x0, y0), (_x1, y1) = ax.get_position().get_points()
    late_ax = fig.add_axes((6.0 / WIDTH, y0, 1.75 / WIDTH, y1 - y0), sharey=ax)
    for side in ("top", "right"):
        late_ax.spines[side].set_visible(False)
    y = list(range(len(rows)))
    values = [_value(s.average) for s in rows]
    ax.barh(y, values, color=[capaian_color(s.average) for s in rows], height=0.7)
    ax.axvline(100, color=INK, linestyle="--", linewidth=1)
    for i, s in enumerate(rows):
        text = f"{format_number_id(s.average)}%" if s.average is not None else L.NO_DATA_SHORT
        ax.text(values[i] + 1.5, i, text, va="center", fontsize=8)
    _row_labels(ax, [_short(s.name) for s in rows])
    ax.set_xlim(0, max([125.0, *[v * 1.12 + 14 for v in values]]))
    ax.xaxis.set_major_locator(MultipleLocator(50))  # few ticks: each is costly to draw
    ax.set_title(L.CHART_CAPAIAN_PANEL, fontsize=9)
    late = [s.late_working_days for s in rows]
    late_ax.barh(
        y,
        [max(d, 0.08) for d in late],
        height=0.7,
        color=[
            RED if d > 0 else (GREY if s.submitted_at is None else GREEN)
            for d, s in zip(late, rows, strict=True)
        ],
    )
    for i, s in enumerate(rows):
        label = (
            L.NOT_SUBMITTED
            if s.submitted_at is None
            else (
                L.LATE_DAYS_SHORT.format(days=s.late_working_days)
                if s.late_working_days
                else L.ON_TIME
            )
        )
        late_ax.text(max(late[i], 0.08) + 0.1, i, label, va="center", fontsize=8)
    late_ax.set_xlim(0, max([2, *late]) * 1.2 + 2.6)
    late_ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    late_ax.set_title(L.CHART_TIMELINESS_AXIS, fontsize=9)
    late_ax.tick_params(axis="y", left=False, labelleft=False)
    for axis in (ax, late_ax):
        axis.tick_params(axis="x", labelsize=8)
    del height
    _heading(
        fig,
        _page_title(f"{L.CHART_SECTIONS} — {data.period}", page, pages),
        [
            (GREEN, L.LEGEND_GOOD),
            (RED, L.LEGEND_BAD),
            (GREY, L.LEGEND_NONE),
        ],
    )
    return _save(fig, path)


def _step_label(st: StepTiming) -> str:
    return _short(f"{st.number}. {st.name}", 36)


def timeline_chart(data: ReportData, path: Path) -> Path:
    """Each step's time used as a share of its standard (linear; 100% = the standard, drawn
    as a marker on every row), so 15-minute and 3-day steps read on one axis; the real
    duration and the standard are written beside each row."""
    steps = timeline_order(data.steps)[::-1]
    fig, ax = _frame(len(steps), left=3.0, right=1.9, bottom=0.75)
    y = list(range(len(steps)))
    shares = [s.share for s in steps]
    shown = [min(x, SHARE_CAP) * 100 if x is not None else 0.0 for x in shares]
    colors = [GREY if s.on_time is None else (GREEN if s.on_time else RED) for s in steps]
    ax.barh(y, [max(v, 0.6) for v in shown], color=colors, height=0.62)
    ax.scatter([100] * len(y), y, marker="|", s=420, color=INK, linewidths=2, zorder=3)
    for i, x in enumerate(shares):
        if x is not None and x > SHARE_CAP:
            ax.text(SHARE_CAP * 100 - 2, i, "≫", ha="right", va="center", color="white")
    _row_labels(ax, [_step_label(s) for s in steps])
    _row_labels(
        ax,
        [
            f"{s.used_text or (L.RUNNING if s.ended_at is None else '-')}\n"
            f"{L.STANDARD_OF.format(standard=s.standard_text)}"
            for s in steps
        ],
        fontsize=7.5,
        side="right",
    )
    longest = max([x for x in shares if x is not None] or [1.0])
    ax.set_xlim(0, max(125.0, min(longest, SHARE_CAP) * 100 + 8))
    ax.set_xlabel(L.CHART_TIMELINE_AXIS, fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_locator(MultipleLocator(50))
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    from matplotlib.lines import Line2D

    _heading(fig, L.CHART_TIMELINE, [])
    fig.legend(
        handles=[
            Patch(color=GREEN, label=L.ON_TIME),
            Patch(color=RED, label=L.LATE_SHORT),
            Line2D([], [], color=INK, marker="|", linestyle="", markersize=10, label=L.STANDARD),
        ],
        loc="center",
        bbox_to_anchor=(0.5, 1 - 0.65 / fig.get_figheight()),
        ncols=3,
        fontsize=8,
        frameon=False,
    )
    return _save(fig, path)


def summary_chart(data: ReportData, path: Path) -> Path:
    """For the Camat's phone: 1080×1350 px, large type, one message. With many sections,
    the lowest `SUMMARY_SECTIONS` are shown and the rest counted."""
    fig = Figure(figsize=(7.2, 9), facecolor="white")
    below = [s for s in data.sections if meets_target(s.average) is False]
    overall = data.overall
    fig.text(
        0.5,
        0.95,
        L.CHART_SUMMARY_HEAD.format(period=data.period),
        ha="center",
        fontsize=20,
        weight="bold",
    )
    fig.text(
        0.5,
        0.855,
        f"{format_number_id(overall)}%" if overall is not None else "-",
        ha="center",
        fontsize=64,
        weight="bold",
        color=capaian_color(overall),
    )
    message = L.CHART_SUMMARY_BELOW.format(n=len(below)) if below else L.CHART_SUMMARY_OK
    fig.text(0.5, 0.79, message, ha="center", fontsize=20, color=RED if below else GREEN)
    secs = list(data.sections)
    more = len(secs) - SUMMARY_SECTIONS
    if more > 0:
        secs = sorted(secs, key=lambda s: (s.average is not None, _value(s.average)))
        secs = secs[:SUMMARY_SECTIONS]
        fig.text(
            0.5,
            0.745,
            L.CHART_SUMMARY_LOWEST.format(n=SUMMARY_SECTIONS, total=len(data.sections)),
            ha="center",
            fontsize=13,
            color="#555555",
        )
    ax = fig.add_axes((0.37, 0.08, 0.57, 0.64 if more > 0 else 0.66))
    secs = secs[::-1]
    values = [_value(s.average) for s in secs]
    ax.barh(
        [_short(s.name, 16) for s in secs],
        values,
        color=[capaian_color(s.average) for s in secs],
    )
    ax.axvline(100, color=INK, linestyle="--", linewidth=1.5)
    for i, s in enumerate(secs):
        text = f"{format_number_id(s.average)}%" if s.average is not None else L.NO_DATA_SHORT
        # on a white ground: a value just under 100% sits on the target line
        ax.text(
            values[i] + 2,
            i,
            text,
            va="center",
            fontsize=15,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )
    ax.set_xlim(0, max([130.0, *[v + 30 for v in values]]))
    ax.xaxis.set_major_locator(MultipleLocator(50))
    ax.tick_params(axis="y", labelsize=14 if len(secs) <= 8 else 11)
    ax.tick_params(axis="x", labelsize=12)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.text(0.5, 0.02, data.office_name, ha="center", fontsize=13, color="#555555")
    return _save(fig, path, dpi=150)


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
        timeline=timeline_chart(data, out_dir / "grafik_linimasa.png"),
        summary=summary_chart(data, out_dir / "grafik_ringkasan.png"),
    )
