"""Benchmark (not a test): time to build a report version's PDF, XLSX and charts for 5, 20
and 50 sections × 10 indicators (seeded random data).

    python bench/bench_reports.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.capaian import Target, category, compute_capaian, section_average  # noqa: E402
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


def main() -> None:
    from bot.reports.charts import build_charts
    from bot.reports.pdf import build_pdf
    from bot.reports.xlsx import build_xlsx

    print(f"{'sections × 10 indicators':<26}{'charts':>10}{'PDF':>10}{'XLSX':>10}{'total':>10}")
    for n in (5, 20, 50):
        d = data(n)
        out = Path(tempfile.mkdtemp())
        t0 = time.perf_counter()
        charts = build_charts(d, out)
        t1 = time.perf_counter()
        build_pdf(d, out / "r.pdf", charts)
        t2 = time.perf_counter()
        build_xlsx(d, out / "r.xlsx")
        t3 = time.perf_counter()
        print(f"{n:<26}{t1 - t0:>9.2f}s{t2 - t1:>9.2f}s{t3 - t2:>9.2f}s{t3 - t0:>9.2f}s")


if __name__ == "__main__":
    main()
