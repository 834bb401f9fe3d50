"""The report's charts (matplotlib, Agg, object-oriented API so it is thread-safe). Import
this module lazily: matplotlib is slow to load and the bot should start fast."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.capaian import category  # noqa: E402
from bot.fmt import format_number_id  # noqa: E402
from bot.reports import labels as L  # noqa: E402
from bot.reports.model import ReportData  # noqa: E402

COLORS = {
    "Sangat Tinggi": "#1a9850",
    "Tinggi": "#91cf60",
    "Sedang": "#fee08b",
    "Rendah": "#fc8d59",
    "Sangat Rendah": "#d73027",
    "-": "#bdbdbd",
}
META = {"Software": None}


@dataclass(frozen=True)
class Charts:
    sections: Path
    timeliness: Path
    timeline: Path
    summary: Path


def _save(fig: Figure, path: Path, dpi: int = 150) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi, metadata=META)
    return path


def _short(name: str, n: int = 34) -> str:
    """A section's name without "Seksi", wrapped to lines of `n` characters (at most two)."""
    import textwrap

    lines = textwrap.wrap(name.replace("Seksi ", ""), n)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: n - 1] + "…"]
    return "\n".join(lines)


def _value(x: Decimal | None) -> float:
    return float(x) if x is not None else 0.0


def sections_chart(data: ReportData, path: Path) -> Path:
    secs = list(data.sections)[::-1]
    fig = Figure(figsize=(8, 0.6 * len(secs) + 1.6))
    ax = fig.add_subplot()
    values = [_value(s.average) for s in secs]
    ax.barh(
        [_short(s.name) for s in secs], values, color=[COLORS[category(s.average)] for s in secs]
    )
    ax.axvline(100, color="#333333", linestyle="--", linewidth=1, label=L.CHART_TARGET)
    for i, s in enumerate(secs):
        ax.text(
            values[i] + 1,
            i,
            f"{format_number_id(s.average)}%" if s.average is not None else "-",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, max([110.0, *[v + 15 for v in values]]))
    ax.set_title(f"{L.CHART_SECTIONS} — {data.period}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def timeliness_chart(data: ReportData, path: Path) -> Path:
    secs = list(data.sections)[::-1]
    fig = Figure(figsize=(8, 0.6 * len(secs) + 1.6))
    ax = fig.add_subplot()
    late = [s.late_working_days for s in secs]
    colors = [
        "#d73027" if d > 0 else ("#bdbdbd" if s.submitted_at is None else "#1a9850")
        for d, s in zip(late, secs, strict=True)
    ]
    ax.barh([_short(s.name) for s in secs], [max(d, 0.08) for d in late], color=colors)
    for i, s in enumerate(secs):
        label = (
            L.NOT_SUBMITTED
            if s.submitted_at is None
            else (f"{s.late_working_days} hari" if s.late_working_days else L.ON_TIME)
        )
        ax.text(max(late[i], 0.08) + 0.05, i, label, va="center", fontsize=9)
    ax.set_xlim(0, max([3, *late]) + 1.5)
    ax.set_xlabel(L.CHART_TIMELINESS_AXIS)
    ax.set_title(L.CHART_TIMELINESS)
    fig.tight_layout()
    return _save(fig, path)


def timeline_chart(data: ReportData, path: Path) -> Path:
    steps = [s for s in data.steps if s.ended_at is not None][::-1]
    fig = Figure(figsize=(8, 0.45 * max(len(steps), 1) + 1.6))
    ax = fig.add_subplot()
    hours = [
        ((s.ended_at - s.started_at).total_seconds() / 3600) if s.ended_at else 0 for s in steps
    ]
    ax.barh(
        [f"{s.number}. {_short(s.name, 40)}" for s in steps],
        [max(h, 0.02) for h in hours],
        color=["#1a9850" if s.on_time else "#d73027" for s in steps],
    )
    for i, s in enumerate(steps):
        ax.text(
            max(hours[i], 0.02) * 1.05, i, f"mutu baku {s.standard_text}", va="center", fontsize=8
        )
    ax.set_xscale("symlog", linthresh=1)
    ax.set_title(L.CHART_TIMELINE)
    fig.tight_layout()
    return _save(fig, path)


def summary_chart(data: ReportData, path: Path) -> Path:
    """For the Camat's phone: 1080×1350 px, large type, one message."""
    fig = Figure(figsize=(7.2, 9), facecolor="white")
    below = [s for s in data.sections if s.average is not None and s.average < 100]
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
        color=COLORS[category(overall)],
    )
    message = L.CHART_SUMMARY_BELOW.format(n=len(below)) if below else L.CHART_SUMMARY_OK
    fig.text(0.5, 0.79, message, ha="center", fontsize=20, color="#d73027" if below else "#1a9850")
    ax = fig.add_axes((0.37, 0.08, 0.57, 0.66))
    secs = list(data.sections)[::-1]
    values = [_value(s.average) for s in secs]
    ax.barh(
        [_short(s.name, 16) for s in secs],
        values,
        color=["#d73027" if v < 100 else "#1a9850" for v in values],
    )
    ax.axvline(100, color="#333333", linestyle="--", linewidth=1.5)
    for i, v in enumerate(values):
        ax.text(v + 2, i, f"{format_number_id(secs[i].average)}%", va="center", fontsize=15)
    ax.set_xlim(0, max([130.0, *[v + 30 for v in values]]))
    ax.tick_params(axis="y", labelsize=14)
    ax.tick_params(axis="x", labelsize=12)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.text(0.5, 0.02, data.office_name, ha="center", fontsize=13, color="#555555")
    return _save(fig, path, dpi=150)


def build_charts(data: ReportData, out_dir: Path) -> Charts:
    out_dir.mkdir(parents=True, exist_ok=True)
    return Charts(
        sections=sections_chart(data, out_dir / "grafik_seksi.png"),
        timeliness=timeliness_chart(data, out_dir / "grafik_ketepatan.png"),
        timeline=timeline_chart(data, out_dir / "grafik_linimasa.png"),
        summary=summary_chart(data, out_dir / "grafik_ringkasan.png"),
    )
