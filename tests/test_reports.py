"""Report computation and documents: capaian rules, the PDF's text, the XLSX's numbers,
the charts drawn from the data, and the content hash."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.capaian import Target, category, combine_periods, compute_capaian, looks_suspicious
from bot.report_builder import content_hash
from bot.reports import build_report
from bot.reports.model import (
    Approval,
    EvidenceFile,
    IndicatorRow,
    ReportData,
    SectionReport,
    StepTiming,
)

D = Decimal
T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("realisation", "target", "polarity", "method", "expected"),
    [
        ("92.5", "90", "higher", "permenpan", "102.78"),
        ("45", "90", "higher", "permenpan", "50.00"),
        ("2", "3", "lower", "permenpan", "133.33"),  # (2×3 − 2) / 3
        ("4", "3", "lower", "permenpan", "66.67"),
        ("7", "3", "lower", "permenpan", "0"),  # floored at 0
        ("2.5", "3", "lower", "inverse", "120.00"),
        ("85", "80-90", "higher", "permenpan", "100"),  # inside the range
        ("95", "80-90", "higher", "permenpan", "105.56"),  # above: upper bound
        ("72", "80-90", "higher", "permenpan", "90.00"),  # below: lower bound
        ("0", "0", "higher", "permenpan", "100"),  # zero target, explicit
        ("3", "0", "lower", "permenpan", "0"),
    ],
)
def test_capaian_rules(realisation, target, polarity, method, expected):
    got = compute_capaian(D(realisation), Target.parse(target), polarity, method)
    assert got == D(expected)


def test_missing_realisation_has_no_capaian_and_no_category():
    assert compute_capaian(None, Target.parse("90")) is None
    assert category(None) == "-"


def test_categories_at_band_edges():
    assert [category(D(x)) for x in ("90.01", "90", "75", "65.5", "50")] == [
        "Sangat Tinggi",
        "Tinggi",
        "Sedang",
        "Sedang",
        "Sangat Rendah",
    ]


def test_suspicious_values_need_confirmation():
    assert looks_suspicious(D("151"), D("10")) and looks_suspicious(D("80"), D("-1"))
    assert not looks_suspicious(D("150"), D("10"))


def test_year_to_date_combinations():
    quarters = [(D(5), Target.parse("6")), (D(7), Target.parse("6")), (D(6), Target.parse("6"))]
    total, target = combine_periods(quarters, "cumulative")
    assert (total, target.low) == (D(18), D(18))  # 18 of 18 → 100%
    assert combine_periods(quarters, "latest") == quarters[-1]
    avg, avg_target = combine_periods(quarters, "average")
    assert avg == D(6) and avg_target.low == D(6)


def _data(pem1: str = "92.5", approved: bool = False) -> ReportData:
    def row(code, name, unit, target, real, polarity="higher", evidence=()):  # type: ignore[no-untyped-def]
        r = D(real) if real is not None else None
        cap = compute_capaian(r, Target.parse(target), polarity)
        return IndicatorRow(
            code=code,
            sasaran="Sasaran contoh",
            name=name,
            unit=unit,
            target_text=str(Target.parse(target)),
            target=D(target.split("-")[0]),
            realisation=r,
            capaian=cap,
            category=category(cap),
            polarity=polarity,
            explanation="Kendala cuaca" if cap is not None and cap < 100 else "",
            evidence=tuple(evidence),
        )

    ev = (EvidenceFile("daftar_hadir.pdf", "a" * 64, 2048),)
    sections = []
    specs = {
        "Seksi Pemerintahan": [
            ("PEM-1", "Persentase desa tertib", "%", "90", pem1, "higher", ev),
            ("PEM-2", "Jumlah pembinaan", "kegiatan", "6", "6"),
        ],
        "Seksi Ketenteraman dan Ketertiban Umum": [
            ("TRA-1", "Jumlah gangguan", "kejadian", "3", "2", "lower")
        ],
        "Seksi Pemberdayaan Masyarakat dan Desa": [("PMD-1", "BUMDes aktif", "unit", "14", None)],
        "Seksi Kesejahteraan Sosial": [("KES-1", "Bansos tepat sasaran", "%", "95", "97")],
        "Seksi Pelayanan Umum": [("PU-1", "IKM", "indeks", "82", "84.2")],
    }
    for i, (name, rows) in enumerate(specs.items()):
        inds = tuple(row(*r) for r in rows)
        caps = [r.capaian for r in inds if r.capaian is not None]
        avg = sum(caps, D(0)) / len(caps) if caps else None
        sections.append(
            SectionReport(
                name=name,
                head_name=f"Kepala {i}",
                head_position="Kasi",
                indicators=inds,
                average=avg,
                met=sum(1 for c in caps if c >= 100),
                total=len(inds),
                deadline=T0 + timedelta(days=3),
                submitted_at=T0 + timedelta(days=4 if i == 2 else 1),
                late_working_days=1 if i == 2 else 0,
                returns=1 if i == 1 else 0,
                status_text="Diterima",
            )
        )
    steps = tuple(
        StepTiming(n, f"Langkah {n}", "Orang", "15 menit", T0, T0 + timedelta(minutes=10), True)
        for n in range(1, 8)
    )
    approval = Approval(
        "Hj. Siti Rahmah",
        "Sekretaris Kecamatan",
        "197502022000032002",
        T0 + timedelta(days=5) if approved else None,
        "f" * 64 if approved else None,
    )
    return ReportData(
        office_name="KECAMATAN ASTAMBUL",
        letterhead=("PEMERINTAH KABUPATEN BANJAR", "KECAMATAN ASTAMBUL", "Jl. Contoh"),
        period="Triwulan III 2026",
        version=1,
        generated_at=T0,
        tz="Asia/Makassar",
        sections=tuple(sections),
        overall=D("101.5"),
        steps=steps,
        approval=approval,
        is_draft=not approved,
        missing_sections=("Seksi Pemberdayaan Masyarakat dan Desa",),
        camat_name="Camat",
        revision_notes=(),
    )


def _png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_pdf_has_letterhead_sections_hashes_pages_and_draft_mark(tmp_path):
    files = build_report(_data(), tmp_path)
    text = "\n".join(p.extract_text() for p in PdfReader(files.pdf).pages)
    for needle in (
        "PEMERINTAH KABUPATEN BANJAR",
        "LAPORAN HASIL PENGUMPULAN DATA KINERJA",
        "Triwulan III 2026",
        "Seksi Pemerintahan",
        "Seksi Pelayanan Umum",
        "a" * 64,
        "Halaman 1 dari",
        "DRAF",
        "Belum disetujui",
        "NIP. 197502022000032002",
        "102,78%",
    ):
        assert needle in text, needle


def test_approved_pdf_carries_the_approval_record_and_no_draft_mark(tmp_path):
    files = build_report(_data(approved=True), tmp_path)
    text = "\n".join(p.extract_text() for p in PdfReader(files.pdf).pages)
    assert "Disetujui secara elektronik" in text and "f" * 64 in text
    assert "DRAF" not in text


def test_xlsx_holds_numbers_as_numbers_with_frozen_headers(tmp_path):
    files = build_report(_data(), tmp_path)
    wb = load_workbook(files.xlsx)
    assert wb.sheetnames[0] == "Ringkasan" and "Seksi Pemerintahan" in wb.sheetnames
    ws = wb["Seksi Pemerintahan"]
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == "PEM-1" and ws["F2"].value == 92.5 and ws["G2"].value == 102.78
    assert isinstance(ws["E2"].value, int | float)
    assert wb["Ringkasan"]["C3"].value == 101.5
    assert wb["Bukti"]["E2"].value == "a" * 64
    assert len(wb.sheetnames) == 1 + 5 + 2


def test_charts_are_drawn_from_the_data(tmp_path):
    a = build_report(_data(), tmp_path / "a").charts
    b = build_report(_data(pem1="40"), tmp_path / "b").charts
    assert _png_size(a.summary) == (1080, 1350)
    assert a.sections.read_bytes() != b.sections.read_bytes()
    again = build_report(_data(), tmp_path / "c").charts
    assert a.sections.read_bytes() == again.sections.read_bytes()


def test_content_hash_is_stable_and_follows_the_numbers():
    assert content_hash(_data()) == content_hash(_data())
    assert content_hash(_data()) == content_hash(
        replace(_data(), generated_at=T0 + timedelta(days=1))
    )
    assert content_hash(_data()) != content_hash(_data(pem1="92.6"))
