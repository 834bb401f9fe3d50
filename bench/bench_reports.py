"""Benchmark (not a test): CPU time to build a report version's PDF, XLSX and all charts
for 50, 100 and 200 sections × 10 indicators (seeded random data), min/median/max of 3 runs.
Everything runs in this one process, so `time.process_time()` is the bot's CPU time.

    python bench/bench_reports.py            # 50, 100, 200 sections
    python bench/bench_reports.py 20 50      # other sizes
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.procedure.capaian import Target, category, compute_capaian, section_average  # noqa: E402
from bot.reports.model import (  # noqa: E402
    Approval,
    EvidenceFile,
    IndicatorRow,
    ReportData,
    SectionReport,
    StepTiming,
)

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def data(n_sections: int, n_indicators: int = 10, seed: int = 1) -> ReportData:
    rng = random.Random(seed)
    sections = []
    for i in range(n_sections):
        rows = []
        for j in range(n_indicators):
            target = Decimal(rng.choice([6, 14, 80, 90, 95, 100, 600]))
            real = (target * Decimal(rng.uniform(0.6, 1.2))).quantize(Decimal("0.1"))
            cap = compute_capaian(real, Target(target, target))
            rows.append(
                IndicatorRow(
                    code=f"S{i}-{j}",
                    sasaran="Sasaran strategis contoh",
                    name=f"Indikator kinerja {j} seksi {i}",
                    unit="%",
                    target_text=str(target),
                    target=target,
                    realisation=real,
                    capaian=cap,
                    category=category(cap),
                    polarity="higher",
                    explanation="Kendala anggaran dan cuaca."
                    if cap is not None and cap < 100
                    else "",
                    evidence=tuple(
                        EvidenceFile(f"bukti_{i}_{j}_{k}.pdf", f"{rng.getrandbits(256):064x}", 2048)
                        for k in range(rng.randint(0, 2))
                    ),
                )
            )
        caps = [r.capaian for r in rows]
        sections.append(
            SectionReport(
                name=f"Seksi Contoh Nomor {i}",
                head_name=f"Kepala {i}",
                head_position="Kasi",
                indicators=tuple(rows),
                average=section_average(caps),
                met=sum(1 for c in caps if c is not None and c >= 100),
                total=len(rows),
                deadline=T0 + timedelta(days=3),
                submitted_at=T0 + timedelta(days=rng.randint(1, 5)),
                late_working_days=rng.choice([0, 0, 0, 1, 2]),
                returns=rng.choice([0, 0, 1]),
                status_text="Diterima",
            )
        )
    steps = tuple(
        StepTiming(
            k, f"Langkah {k}", "Pelaksana", "1 hari kerja", T0, T0 + timedelta(hours=k), True
        )
        for k in range(1, 8)
    )
    return ReportData(
        office_name="KECAMATAN CONTOH",
        letterhead=("PEMERINTAH KABUPATEN CONTOH", "KECAMATAN CONTOH"),
        period="Triwulan III 2026",
        version=1,
        generated_at=T0,
        tz="Asia/Makassar",
        sections=tuple(sections),
        overall=section_average([s.average for s in sections]),
        steps=steps,
        approval=Approval("Sekretaris", "Sekretaris Kecamatan", "1"),
        is_draft=True,
    )


def build_once(d: ReportData) -> tuple[float, dict[str, float]]:
    """Build charts, PDF and XLSX once; bot-process CPU seconds in all and per part."""
    from bot.reports.charts import build_charts
    from bot.reports.pdf import build_pdf
    from bot.reports.xlsx import build_xlsx

    out = Path(tempfile.mkdtemp())
    t0 = time.process_time()
    charts = build_charts(d, out)
    t1 = time.process_time()
    build_pdf(d, out / "r.pdf", charts)
    t2 = time.process_time()
    build_xlsx(d, out / "r.xlsx")
    t3 = time.process_time()
    return t3 - t0, {"charts": t1 - t0, "pdf": t2 - t1, "xlsx": t3 - t2}


def main() -> None:
    sizes = [int(x) for x in sys.argv[1:]] or [50, 100, 200]
    reps = 3
    build_once(data(2))  # warm up: imports, fonts, matplotlib caches
    print("CPU seconds of this process (time.process_time), 3 repetitions, min/median/max")
    print(f"{'sections x 10':<15}{'total':>24}{'charts':>10}{'PDF':>10}{'XLSX':>10}")
    for n in sizes:
        d = data(n)
        runs = [build_once(d) for _ in range(reps)]
        totals = sorted(r[0] for r in runs)
        med = sorted(runs, key=lambda r: r[0])[reps // 2][1]
        spread = f"{totals[0]:.2f} / {statistics.median(totals):.2f} / {totals[-1]:.2f}"
        print(f"{n:<15}{spread:>24}{med['charts']:>9.2f}s{med['pdf']:>9.2f}s{med['xlsx']:>9.2f}s")


if __name__ == "__main__":
    main()
