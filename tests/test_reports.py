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

from bot.capaian import (
    Target,
    band_text,
    category,
    combine_periods,
    compute_capaian,
    looks_suspicious,
    target_status,
)
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


def _steps() -> tuple[StepTiming, ...]:
    """A round as the demo plays it, each SOP step once (bot/sop.step_record folds a step's
    runs): step 6 held two meetings (Revisi ke-2); step 4 late. Given out of order on
    purpose."""
    h = timedelta(hours=1)
    m = timedelta(minutes=1)

    def step(n, name, std, start, used, allowed, runs=1, text=""):  # type: ignore[no-untyped-def]
        return StepTiming(
            n,
            name,
            "Orang (Peran)",
            std,
            T0 + start,
            T0 + start + used,
            used <= allowed,
            due_at=T0 + start + allowed,
            iteration=runs,
            used_text=text,
            outcome=name.split(" — ")[1] if " — " in name else "",
            share=used / allowed,
        )

    return (
        step(
            6,
            "Rapat intern dengan tim — sampai Revisi ke-2",
            "30 menit",
            57 * h,
            20 * m,
            30 * m,
            2,
            "20 menit",
        ),
        step(
            1,
            "Memerintahkan pengumpulan data kinerja",
            "15 menit",
            0 * h,
            5 * m,
            15 * m,
            1,
            "5 menit",
        ),
        step(2, "Membentuk tim", "30 menit", 1 * h, 20 * m, 30 * m, 1, "20 menit"),
        step(
            3,
            "Menyusun rencana pengumpulan data",
            "3 hari kerja",
            2 * h,
            40 * m,
            79 * h,
            1,
            "kurang dari 1 hari kerja",
        ),
        step(
            4,
            "Menghimpun data kinerja, menyusun konsep laporan",
            "1 hari kerja",
            3 * h,
            50 * h,
            32 * h,
            1,
            "2 hari kerja",
        ),
        step(
            5,
            "Laporan Kasubag kepada Sekretaris",
            "1 hari kerja",
            53 * h,
            2 * h,
            8 * h,
            1,
            "kurang dari 1 hari kerja",
        ),
        step(
            7,
            "Hasil pengumpulan data (paraf Sekretaris)",
            "1 hari kerja",
            59 * h,
            3 * h,
            8 * h,
            1,
            "kurang dari 1 hari kerja",
        ),
    )


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

    ev = (EvidenceFile("daftar_hadir.pdf", "a" * 64, 2048, "Daftar hadir pembinaan desa"),)
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
    steps = _steps()
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
    # the evidence is listed per section: the section's name, then each file by indicator
    evidence = text[text.index("Daftar Bukti Dukung") :]
    assert evidence.index("Seksi Pemerintahan") < evidence.index("PEM-1\ndaftar_hadir.pdf")
    assert "Seksi Pelayanan Umum" not in evidence  # a section without files is not listed


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
    assert ws["H2"].value == "mencapai target"
    assert ws["I2"].value == "Sangat Tinggi (> 90%)"
    assert wb["Bukti"]["C2"].value == "daftar_hadir.pdf"
    assert wb["Bukti"]["D2"].value == "Daftar hadir pembinaan desa"
    assert wb["Bukti"]["F2"].value == "a" * 64
    assert len(wb.sheetnames) == 1 + 5 + 2


def test_charts_are_drawn_from_the_data(tmp_path):
    a = build_report(_data(), tmp_path / "a").charts
    b = build_report(_data(pem1="40"), tmp_path / "b").charts
    assert _png_size(a.summary) == (1080, 1350)
    assert a.sections[0].read_bytes() != b.sections[0].read_bytes()
    again = build_report(_data(), tmp_path / "c").charts
    assert a.sections[0].read_bytes() == again.sections[0].read_bytes()


class _Capture:
    """Keeps every Figure a chart function saves, to inspect what it drew."""

    def __init__(self, monkeypatch):  # type: ignore[no-untyped-def]
        import bot.reports.charts as charts

        self.figures: list = []
        real = charts._save

        def save(fig, path, dpi=charts.DOC_DPI):  # type: ignore[no-untyped-def]
            self.figures.append(fig)
            return real(fig, path, dpi)

        monkeypatch.setattr(charts, "_save", save)


def _texts_outside_canvas(fig) -> list[str]:  # type: ignore[no-untyped-def]
    """What lies outside the figure: every text artist's window extent (renderer from the
    canvas), each axis's drawn tick labels, and the figure's tight bounding box."""
    renderer = fig.canvas.get_renderer()
    box = fig.bbox

    def outside(ext) -> bool:  # type: ignore[no-untyped-def]
        return (
            ext.x0 < box.x0 - 0.5
            or ext.y0 < box.y0 - 0.5
            or ext.x1 > box.x1 + 0.5
            or ext.y1 > box.y1 + 0.5
        )

    texts = list(fig.texts)
    for legend in fig.legends:
        texts.extend(legend.get_texts())
    for ax in fig.axes:
        texts.extend([*ax.texts, ax.title, ax._left_title, ax._right_title])
        texts.extend([ax.xaxis.label, ax.yaxis.label])
    out = [
        t.get_text()
        for t in texts
        if t.get_visible() and t.get_text().strip() and outside(t.get_window_extent(renderer))
    ]
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ext = axis.get_tightbbox(renderer)
            if ext is not None and outside(ext):
                out.append(f"tick labels of {axis.__name__}")
    tight = fig.get_tightbbox(renderer)  # inches; the figure is (0, 0)–(w, h)
    w, h = fig.get_size_inches()
    if tight.x0 < -0.01 or tight.y0 < -0.01 or tight.x1 > w + 0.01 or tight.y1 > h + 0.01:
        out.append(f"tight bbox {tight} outside {w}×{h}")
    return out


@pytest.mark.parametrize("n_sections", [5, 60])
def test_no_chart_label_falls_outside_its_canvas(tmp_path, monkeypatch, n_sections):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_reports import data as bench_data

    cap = _Capture(monkeypatch)
    data = _data() if n_sections == 5 else bench_data(n_sections)
    build_report(data, tmp_path)
    assert len(cap.figures) >= 3
    for fig in cap.figures:
        assert _texts_outside_canvas(fig) == []


def test_a_clipped_label_is_caught(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    fig.add_subplot().text(1.05, 0.5, "4. Menghimpun data kinerja, menyusun konsep laporan")
    assert _texts_outside_canvas(fig) != []


def test_charts_keep_a_bounded_size_for_200_sections(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_reports import data as bench_data

    from bot.reports.charts import PAGE_SECTIONS

    charts = build_report(bench_data(200), tmp_path).charts
    assert len(charts.sections) == 200 // PAGE_SECTIONS
    sizes = [_png_size(p) for p in (*charts.sections, charts.timeline, charts.summary)]
    assert max(h for _w, h in sizes) <= 1400 and max(w for w, _h in sizes) <= 1080
    assert _png_size(charts.summary) == (1080, 1350)


def test_one_colour_rule_below_target_red_met_green_no_data_grey(tmp_path, monkeypatch):
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    from bot.reports.charts import GREEN, GREY, RED

    cap = _Capture(monkeypatch)
    build_report(_data(pem1="80"), tmp_path)  # Pemerintahan: (88,89 + 100) / 2 → below
    sections_fig, _timeline, summary_fig = cap.figures
    # bottom to top, like the bars: the last section first
    expected = [GREEN, GREY, GREEN, GREEN, RED][::-1]
    expected = [GREEN, GREEN, GREY, GREEN, RED]  # Pelayanan Umum … Pemerintahan
    for fig in (sections_fig, summary_fig):
        ax = fig.axes[0]
        bars = [p for p in ax.patches if isinstance(p, Rectangle)][:5]
        colours = [to_hex(b.get_facecolor()) for b in bars]
        if fig is summary_fig:  # the summary draws no bar for a section without data
            colours = [c for c, b in zip(colours, bars, strict=True) if b.get_width() > 0]
            assert colours == [GREEN, GREEN, GREEN, RED]
        else:
            assert colours == expected


def test_timeline_lists_the_seven_steps_in_sop_order_with_standard_markers(tmp_path, monkeypatch):
    from bot.reports.model import timeline_order

    assert [s.number for s in timeline_order(_steps())] == [1, 2, 3, 4, 5, 6, 7]
    cap = _Capture(monkeypatch)
    build_report(_data(), tmp_path)
    fig = cap.figures[1]
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    labels = [t.get_text() for t in ax.texts]
    top_down = [x for x in labels if x[:1].isdigit()][:7][::-1]
    assert [x.split(".")[0] for x in top_down] == [str(n) for n in range(1, 8)]
    assert top_down[5].startswith("6. Rapat intern")
    # the standard is a marker on every row, at 100% of it
    markers = ax.collections[0].get_offsets()
    assert len(markers) == 7 and {float(x) for x, _y in markers} == {100.0}
    # step 4 took 50 h of 32 allowed: red, and the only red bar
    from matplotlib.colors import to_hex

    from bot.reports.charts import RED

    reds = [p for p in ax.patches if to_hex(p.get_facecolor()) == RED]
    assert len(reds) == 1


def test_content_hash_is_stable_and_follows_the_numbers():
    assert content_hash(_data()) == content_hash(_data())
    assert content_hash(_data()) == content_hash(
        replace(_data(), generated_at=T0 + timedelta(days=1))
    )
    assert content_hash(_data()) != content_hash(_data(pem1="92.6"))


def test_a_95_percent_capaian_reads_as_below_target_in_its_band_everywhere(tmp_path):
    # PEM-1: 85,5 of 90 → 95%: the highest band, and still below target
    data = _data(pem1="85.5")
    pem1 = data.sections[0].indicators[0]
    assert pem1.capaian == D("95.00")
    assert (target_status(pem1.capaian), band_text(pem1.capaian)) == (
        "belum mencapai target",
        "Sangat Tinggi (> 90%)",
    )
    files = build_report(data, tmp_path)
    text = " ".join(p.extract_text() for p in PdfReader(files.pdf).pages).replace("\n", " ")
    assert "belum mencapai target; Sangat Tinggi (>\u00a090%)" in text or (
        "belum mencapai target;" in text and "Sangat Tinggi" in text
    )
    assert "Di bawah target" not in text and "di bawah target" not in text
    sheet = load_workbook(files.xlsx)["Seksi Pemerintahan"]
    assert (sheet["H2"].value, sheet["I2"].value) == (
        "belum mencapai target",
        "Sangat Tinggi (> 90%)",
    )


async def test_section_head_sees_a_shortfall_plainly_without_the_band(harness):
    """In chat a value below target reads as one: no tick, no band that sounds like praise
    (the band stays in the PDF and XLSX, above)."""
    from tests import flows

    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pem"]
    await h.say(head, "/isi")
    replies = await h.say(head, "85,5")  # target 90 → 95%
    saved = next(r for r in replies if "PEM-1" in r and "capaian" in r)
    assert saved.startswith("⚠️ PEM-1: 85,5% → capaian 95% — belum mencapai target."), saved
    assert "✅" not in saved.split("\n\n")[0] and "Sangat Tinggi" not in saved


async def test_timeline_names_each_actor_with_a_role_they_hold(harness):
    """Step 6 closed by the Kasubag (the corrected report compiled without minutes) names
    him as Kasubag Program, not with the SOP's actor role for step 6 (Sekretaris)."""
    from sqlalchemy import select

    from bot.report_builder import _actor_text
    from bot.roles import Role
    from db.models import Office, Person
    from tests import flows

    h = harness
    await flows.setup_office(h)
    with h.db.transaction() as s:
        office = s.scalars(select(Office)).one()
        cal = h.rt.core.calendar_for(office)
        kasubag = s.scalars(select(Person).where(Person.nip == flows.NIP["kasubag"])).one()
        sek = s.scalars(select(Person).where(Person.nip == flows.NIP["sekretaris"])).one()
        now = h.clock.now()
        assert _actor_text(s, kasubag, Role.SEKRETARIS, now, cal) == (
            f"{kasubag.name} (Kasubag Program)"
        )
        assert _actor_text(s, kasubag, Role.TIM_SAKIP, now, cal) == (
            f"{kasubag.name} (Tim Penyusun SAKIP)"
        )
        assert (
            _actor_text(s, sek, Role.SEKRETARIS, now, cal) == f"{sek.name} (Sekretaris Kecamatan)"
        )
        assert _actor_text(s, None, Role.CAMAT, now, cal) == "Camat"
