"""Capaian (achievement, %) of an indicator and its aggregation.

Glossary: *realisasi* = the value a section reports; *target* = what was planned (a number or
a range such as "80–90"); *polaritas* = whether higher or lower is better; *capaian* =
realisasi against target in percent; *kategori* = the band a capaian falls in (a band of
the capaian scale, not a verdict: 95% is in the highest band and still below target, so the
band is always shown with its range and beside "mencapai / belum mencapai target").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

Polarity = Literal["higher", "lower"]
LowerMethod = Literal["permenpan", "inverse"]
Aggregation = Literal["cumulative", "latest", "average"]
HUNDRED = Decimal(100)
INVERSE_CAP = Decimal(200)


@dataclass(frozen=True)
class Target:
    low: Decimal
    high: Decimal

    @property
    def value(self) -> Decimal:
        return self.low if self.low == self.high else (self.low + self.high) / 2

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    @classmethod
    def parse(cls, raw: object) -> Target:
        if isinstance(raw, Target):
            return raw
        if isinstance(raw, int | Decimal):
            return cls(Decimal(raw), Decimal(raw))
        return _parse_target(str(raw))

    def __str__(self) -> str:
        from bot.fmt import format_number_id

        if self.is_range:
            return f"{format_number_id(self.low)}–{format_number_id(self.high)}"
        return format_number_id(self.low)


@lru_cache(maxsize=4096)
def _parse_target(raw: str) -> Target:
    """A target as typed in the office file ("80–90", "1.250"). Kept once parsed: a form's
    every answer and summary reads the same few targets again (a `Target` never changes)."""
    text = raw.strip().rstrip("%").replace(" ", "")
    m = re.fullmatch(r"(-?[\d.,]+)(?:[-–](-?[\d.,]+))?", text)
    if not m:
        raise ValueError(f"not a target: {raw!r}")
    from bot.fmt import parse_number_id

    low = parse_number_id(m.group(1))
    high = parse_number_id(m.group(2)) if m.group(2) else low
    if high < low:
        low, high = high, low
    return Target(low, high)


def _round(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute_capaian(
    realisation: Decimal | None,
    target: Target,
    polarity: Polarity = "higher",
    lower_method: LowerMethod = "permenpan",
) -> Decimal | None:
    """Higher is better: r / t × 100. Lower is better: PermenPANRB (2t − r) / t × 100 floored
    at 0, or t / r × 100 (capped at 200). A range target counts 100 inside the range and
    is compared with the nearer bound outside it. A zero target never divides by zero."""
    if realisation is None:
        return None
    r = Decimal(realisation)
    if target.is_range:
        if target.low <= r <= target.high:
            return HUNDRED
        t = target.high if r > target.high else target.low
    else:
        t = target.low
    if polarity == "higher":
        if t == 0:
            return HUNDRED if r >= 0 else Decimal(0)
        return _round(r / t * HUNDRED)
    if t == 0:
        return HUNDRED if r <= 0 else Decimal(0)
    if lower_method == "inverse":
        if r <= 0:
            return INVERSE_CAP
        return _round(min(t / r * HUNDRED, INVERSE_CAP))
    return _round(max((2 * t - r) / t * HUNDRED, Decimal(0)))


@dataclass(frozen=True)
class Bands:
    """(exclusive lower bound, label), highest first; below all: the last label."""

    bands: tuple[tuple[Decimal, str], ...] = (
        (Decimal(90), "Sangat Tinggi"),
        (Decimal(75), "Tinggi"),
        (Decimal(65), "Sedang"),
        (Decimal(50), "Rendah"),
    )
    lowest: str = "Sangat Rendah"


DEFAULT_BANDS = Bands()


def category(capaian: Decimal | None, bands: Bands = DEFAULT_BANDS) -> str:
    if capaian is None:
        return "-"
    for bound, label in bands.bands:
        if capaian > bound:
            return label
    return bands.lowest


def band_text(capaian: Decimal | None, bands: Bands = DEFAULT_BANDS) -> str:
    """The band with its range, so it reads as a band: "Sangat Tinggi (> 90%)"."""
    if capaian is None:
        return "-"
    label = category(capaian, bands)
    bounds = [b for b, _ in bands.bands]
    names = [n for _, n in bands.bands]
    if label == bands.lowest:
        return f"{label} (≤ {bounds[-1]}%)"
    i = names.index(label)
    return f"{label} (> {bounds[i]}%)" if i == 0 else f"{label} (> {bounds[i]}–{bounds[i - 1]}%)"


def meets_target(capaian: Decimal | None) -> bool | None:
    """Whether the target is reached (capaian ≥ 100%); None without data."""
    return None if capaian is None else capaian >= HUNDRED


def target_status(capaian: Decimal | None) -> str:
    """ "mencapai target" / "belum mencapai target" ("-" without data), the same words in
    chat, PDF, XLSX and charts."""
    from bot.texts import t

    met = meets_target(capaian)
    return "-" if met is None else t("capaian_target_met" if met else "capaian_target_not_met")


def looks_suspicious(capaian: Decimal | None, realisation: Decimal | None) -> bool:
    """Values the form asks to confirm: capaian above 150% or a negative realisation."""
    return (capaian is not None and capaian > 150) or (realisation is not None and realisation < 0)


def section_average(capaians: Iterable[Decimal | None]) -> Decimal | None:
    values = [c for c in capaians if c is not None]
    return _round(sum(values, Decimal(0)) / len(values)) if values else None


def count_met(capaians: Iterable[Decimal | None]) -> int:
    return sum(1 for c in capaians if c is not None and c >= 100)


def overall(section_averages: Iterable[Decimal | None]) -> Decimal | None:
    return section_average(section_averages)


def combine_periods(
    values: Sequence[tuple[Decimal | None, Target]], aggregation: Aggregation
) -> tuple[Decimal | None, Target | None]:
    """Year-to-date from quarterly values: cumulative (sum vs sum), latest, or average."""
    known = [(v, t) for v, t in values if v is not None]
    if not known:
        return None, None
    if aggregation == "latest":
        return known[-1]
    total = sum((v for v, _ in known), Decimal(0))
    low = sum((t.low for _, t in known), Decimal(0))
    high = sum((t.high for _, t in known), Decimal(0))
    if aggregation == "average":
        n = Decimal(len(known))
        return total / n, Target(low / n, high / n)
    return total, Target(low, high)
