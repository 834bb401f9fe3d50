"""Benchmark (not a test): CPU time to build the LKjIP chapter III (DOCX, XLSX and a chart
per sasaran) for a year of four quarterly rounds × 50 indicators (and 100, 200 to show the
growth), seeded random data, 10 indicators per sasaran; min/median/max of 3 runs.
Everything runs in this one process, so `time.process_time()` is the bot's CPU time.

    python bench/bench_lkjip.py            # 50, 100, 200 indicators
    python bench/bench_lkjip.py 20 50      # other sizes
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.procedure.capaian import Target, band_text, category, combine_periods, compute_capaian  # noqa: E402
from bot.reports.lkjip_data import QUARTERS, Quarter, RoundUsed, YearData, YearRow  # noqa: E402

T0 = datetime(2027, 1, 15, tzinfo=UTC)


def data(n_indicators: int, seed: int = 1) -> YearData:
    rng = random.Random(seed)
    groups: dict[str, list[YearRow]] = {}
    for i in range(n_indicators):
        q_target = Decimal(rng.choice([6, 14, 80, 90, 95, 100, 600]))
        quarters = tuple(
            Quarter(
                q,
                (q_target * Decimal(rng.uniform(0.6, 1.2))).quantize(Decimal("0.1")),
                str(q_target),
                "Kendala anggaran dan cuaca pada triwulan ini." if rng.random() < 0.4 else "",
            )
            for q in QUARTERS
        )
        target = Target(q_target * 4, q_target * 4)
        value, _t = combine_periods([(q.realisation, target) for q in quarters], "cumulative")
        cap = compute_capaian(value, target)
        last = (value * Decimal(rng.uniform(0.8, 1.1))).quantize(Decimal("0.1")) if value else None
        sasaran = f"Sasaran strategis {i // 10 + 1}: meningkatnya kualitas layanan"
        groups.setdefault(sasaran, []).append(
            YearRow(
                code=f"IK-{i}",
                name=f"Indikator kinerja {i} yang diukur setiap triwulan",
                unit="kegiatan",
                sasaran=sasaran,
                section=f"Seksi {i % 5}",
                polarity="higher",
                aggregation="cumulative",
                target_text=str(target),
                target=target,
                realisation=value,
                capaian=cap,
                category=category(cap),
                band=band_text(cap),
                quarters=quarters,
                last_realisation=last,
                last_capaian=compute_capaian(last, target),
                last_source="berkas kantor",
                renstra_year="2026",
                renstra_target=Target(q_target * 5, q_target * 5),
                renstra_share=compute_capaian(value, Target(q_target * 5, q_target * 5)),
                notes=("realisasi tahunan = jumlah triwulan",),
                analysis="\n".join(
                    f"TW {q.key}: {q.explanation}" for q in quarters if q.explanation
                ),
            )
        )
    return YearData(
        office_name="KECAMATAN CONTOH",
        letterhead=("PEMERINTAH KABUPATEN CONTOH", "KECAMATAN CONTOH"),
        year=2026,
        tz="Asia/Makassar",
        generated_at=T0,
        groups=tuple((k, tuple(v)) for k, v in groups.items()),
        rounds=tuple(
            RoundUsed(f"2026-{q}", f"Triwulan {q} 2026", i, 1, f"{i:064x}", T0)
            for i, q in enumerate(QUARTERS, 1)
        ),
        missing_quarters=(),
    )


def main(sizes: list[int]) -> None:
    from bot.reports.lkjip import build_lkjip

    build_lkjip(data(10), Path(tempfile.mkdtemp()))  # warm-up: imports, fonts
    print("indicators | CPU s (min / median / max of 3) | per indicator")
    for n in sizes:
        year = data(n)
        times = []
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                start = time.process_time()
                build_lkjip(year, Path(tmp))
                times.append(time.process_time() - start)
        med = statistics.median(times)
        print(
            f"{n:>10} | {min(times):.2f} / {med:.2f} / {max(times):.2f} | {med / n * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 100, 200])
