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

from bot.procedure.capaian import (
    Target,
    band_text,
    category,
    combine_periods,
    compute_capaian,
    looks_suspicious,
    target_status,
)
from bot.reports import build_report
from bot.reports.builder import content_hash
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
        "NIP. 19750202 200003 2 002",
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
    assert wb.sheetnames[0] == "Ringkasan" and "Pemerintahan" in wb.sheetnames
    ws = wb["Pemerintahan"]
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == "PEM-1" and ws["G2"].value == 92.5
    # a target of 90 is the number 90 in both bounds, shown "90" (not "90,"); 92,5 as is
    assert (ws["E2"].value, ws["F2"].value) == (90, 90)
    assert ws["E2"].number_format == "#,##0" and ws["G2"].number_format == "#,##0.0##"
    # capaian follows a corrected cell: a formula of realisation and target
    assert ws["H2"].value.startswith('=IF(G2="","",') and "G2/IF(G2<E2,E2,F2)*100" in ws["H2"].value
    assert wb["Ringkasan"]["C3"].value == 101.5
    assert ws["I2"].value == "mencapai target"
    assert ws["J2"].value == "Sangat Tinggi (> 90%)"
    assert wb["Linimasa SOP"]["D1"].value == "Mulai (WITA)"
    assert wb["Bukti"]["C2"].value == "daftar_hadir.pdf"
    assert wb["Bukti"]["D2"].value == "Daftar hadir pembinaan desa"
    assert wb["Bukti"]["F2"].value == "a" * 64
    assert len(wb.sheetnames) == 1 + 5 + 2


def test_sheet_names_are_code_and_short_name_unique_within_31_characters():
    from bot.reports.xlsx import _sheet_name

    used: set[str] = set()
    names = [
        _sheet_name("Seksi Ketenteraman dan Ketertiban Umum", used, "trantib"),
        _sheet_name("Seksi Pemberdayaan Masyarakat dan Desa", used, "pmd"),
        _sheet_name("Seksi Pemberdayaan Masyarakat dan Desa", used, "pmd"),
    ]
    assert names[0] == "TRANTIB Ketenteraman Ketertiban"
    assert names[1] == "PMD Pemberdayaan Masyarakat"
    assert len(set(names)) == 3 and all(len(n) <= 31 for n in names)


def test_capaian_formula_follows_the_rules_of_bot_capaian():
    """The workbook's formula, evaluated here, gives what compute_capaian gives."""
    from bot.reports.xlsx import capaian_formula

    def excel(formula: str, low: float, high: float, real: float) -> float:
        expr = formula[1:].replace("<>", "@NE@").replace("<=", "@LE@").replace(">=", "@GE@")
        expr = expr.replace("=", "==").replace("@LE@", "<=").replace("@GE@", ">=")
        expr = expr.replace("@NE@", "!=")
        expr = expr.replace("E2", repr(low)).replace("F2", repr(high)).replace("G2", repr(real))
        env = {
            "IF": lambda c, a, b: a if c else b,
            "AND": lambda *xs: all(xs),
            "ROUND": lambda x, n: round(x, n),
            "MAX": max,
            "MIN": min,
        }
        return float(eval(expr.replace('""', "None"), env))  # noqa: S307 (test only)

    cases = [
        ("92.5", "90", "higher", "permenpan"),
        ("2", "3", "lower", "permenpan"),
        ("7", "3", "lower", "permenpan"),
        ("2.5", "3", "lower", "inverse"),
        ("85", "80-90", "higher", "permenpan"),
        ("95", "80-90", "higher", "permenpan"),
        ("72", "80-90", "higher", "permenpan"),
    ]
    for real, target, polarity, method in cases:
        t = Target.parse(target)
        want = compute_capaian(D(real), t, polarity, method)
        got = excel(
            capaian_formula(2, polarity, method, "E", "F", "G"),
            float(t.low),
            float(t.high),
            float(real),
        )
        assert abs(got - float(want)) < 0.006, (real, target, polarity, method, got, want)


def test_charts_are_drawn_from_the_data(tmp_path):
    a = build_report(_data(), tmp_path / "a").charts
    b = build_report(_data(pem1="40"), tmp_path / "b").charts
    assert _png_size(a.summary)[0] == 1080
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


def _texts(fig) -> list:  # type: ignore[no-untyped-def]
    texts = list(fig.texts)
    for legend in fig.legends:
        texts.extend(legend.get_texts())
    for ax in fig.axes:
        texts.extend([*ax.texts, ax.title, ax._left_title, ax._right_title])
        texts.extend([ax.xaxis.label, ax.yaxis.label])
        lo, hi = sorted(ax.get_xlim())
        texts.extend(t for t in ax.get_xticklabels() if lo <= t.get_position()[0] <= hi)
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


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

    out = [t.get_text() for t in _texts(fig) if outside(t.get_window_extent(renderer))]
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


def _overlaps(fig) -> list[str]:  # type: ignore[no-untyped-def]
    """Labels that cross another label or a drawn line (a target mark, a reference line):
    window extents that intersect by more than a pixel each way."""
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _texts(fig)]
    lines = [
        # a straight line's extent is as thin as zero: widen it by the line's own width
        (f"line at x={line.get_xdata()[0]}", line.get_window_extent(renderer).padded(2))
        for ax in fig.axes
        for line in ax.lines
    ]

    def cross(a, b) -> bool:  # type: ignore[no-untyped-def]
        return min(a.x1, b.x1) - max(a.x0, b.x0) > 1 and min(a.y1, b.y1) - max(a.y0, b.y0) > 1

    out = []
    for i, (name, box) in enumerate(boxes):
        for other, obox in boxes[i + 1 :] + lines:
            if cross(box, obox):
                out.append(f"{name!r} × {other!r}")
    return out


def _text_px(fig) -> float:  # type: ignore[no-untyped-def]
    """The smallest text size in pixels, at the width the figure is saved."""
    return min(t.get_fontsize() for t in _texts(fig)) * 150 / 72


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
        assert _overlaps(fig) == []
        assert fig.get_figwidth() * 150 >= 1080 and _text_px(fig) >= 28


def test_a_clipped_label_is_caught(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.text(1.05, 0.5, "4. Menghimpun data kinerja, menyusun konsep laporan")
    assert _texts_outside_canvas(fig) != []
    ax.axvline(0.5)
    ax.text(0.45, 0.5, "98%")
    assert any("line" in o for o in _overlaps(fig))
    ax.text(0.1, 0.2, "Pemerintahan")
    ax.text(0.15, 0.2, "Ketertiban")
    assert any("'Pemerintahan' × 'Ketertiban'" in o for o in _overlaps(fig))


def test_charts_keep_a_bounded_size_for_200_sections(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_reports import data as bench_data

    from bot.reports.charts import PAGE_SECTIONS

    charts = build_report(bench_data(200), tmp_path).charts
    assert len(charts.sections) == -(-200 // PAGE_SECTIONS)
    sizes = [_png_size(p) for p in (*charts.sections, charts.timeline, charts.summary)]
    assert max(h for _w, h in sizes) <= 2800 and {w for w, _h in sizes} == {1080}


def test_one_colour_rule_below_target_red_met_green_no_data_grey(tmp_path, monkeypatch):
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    from bot.reports.charts import GREEN, GREY, RED

    cap = _Capture(monkeypatch)
    build_report(_data(pem1="80"), tmp_path)  # Pemerintahan: (88,89 + 100) / 2 → below
    sections_fig, _timeline, summary_fig = cap.figures
    expected = [RED, GREEN, GREY, GREEN, GREEN]  # Pemerintahan … Pelayanan Umum, top down
    for fig in (sections_fig, summary_fig):
        ax = fig.axes[0]
        bars = [p for p in ax.patches if isinstance(p, Rectangle)][:5]
        assert [to_hex(b.get_facecolor()) for b in bars] == expected
        # a section without data draws no bar; the target mark is labelled once
        assert bars[2].get_width() == 0
        assert [t.get_text() for t in ax.texts].count("Target 100%") == 1


def test_timeline_lists_the_seven_steps_in_sop_order_with_standard_markers(tmp_path, monkeypatch):
    from bot.reports.model import timeline_order

    assert [s.number for s in timeline_order(_steps())] == [1, 2, 3, 4, 5, 6, 7]
    cap = _Capture(monkeypatch)
    build_report(_data(), tmp_path)
    fig = cap.figures[1]
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    labels = [t.get_text() for t in ax.texts]
    top_down = [x for x in labels if x[:1].isdigit() and x[1:3] == ". "][:7]
    assert [x.split(".")[0] for x in top_down] == [str(n) for n in range(1, 8)]
    assert top_down[5].startswith("6. Rapat intern")
    assert "(mutu baku 3 hari kerja)" in top_down[2].replace("\n", " ")
    # the standard is a mark on every row, at 100% of it, labelled once
    marks = [line.get_xdata() for line in ax.lines]
    assert len(marks) == 7 and all(list(x) == [100, 100] for x in marks)
    assert labels.count("Mutu baku (100%)") == 1
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
    sheet = load_workbook(files.xlsx)["Pemerintahan"]
    assert (sheet["I2"].value, sheet["J2"].value) == (
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

    from bot.procedure.roles import Role
    from bot.reports.builder import _actor_text
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
            f"Kasubag Program: {kasubag.name}"
        )
        assert _actor_text(s, kasubag, Role.TIM_SAKIP, now, cal) == (
            f"Tim Penyusun SAKIP: {kasubag.name}"
        )
        assert _actor_text(s, sek, Role.SEKRETARIS, now, cal) == f"Sekretaris Kecamatan: {sek.name}"
        assert _actor_text(s, None, Role.CAMAT, now, cal) == "Camat"


def _overflowing_cells(tables) -> list[str]:  # type: ignore[no-untyped-def]
    """Every drawn string line wider than its cell (the cell's columns, less the padding),
    measured in the font the table's style gives that cell."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from bot.reports import pdf

    out = []
    for table in tables:
        widths = table._colWidths
        spans = {(cmd[1][0], cmd[1][1]): sum(widths) for cmd in table._spanCmds if cmd[0] == "SPAN"}
        bold_rows = {0} | {r for (_c, r) in spans}
        for r, row in enumerate(table._cellvalues):
            for c, cell in enumerate(row):
                if not isinstance(cell, str) or not cell:
                    continue
                width = spans.get((c, r), widths[c])
                font, size = (pdf.FONT_BOLD if r in bold_rows else pdf.FONT), pdf.CELL_SIZE
                if getattr(table, "_mono_col", None) == c and r > 0:
                    font, size = pdf.MONO, pdf.MONO_SIZE
                for line in cell.split("\n"):
                    if stringWidth(line, font, size) > width - 2 * pdf.PAD + 0.01:
                        out.append(f"{line!r} in a {width:.0f} pt cell")
    return out


def _long_names_data() -> ReportData:
    """Long section names and units, as a real office file has them."""
    data = _data()
    sec = data.sections[3]
    long_row = replace(
        sec.indicators[0],
        code="KES-2",
        name="Jumlah rekomendasi layanan kesehatan warga tidak mampu yang diterbitkan",
        unit="rekomendasi",
        target_text="75",
        sasaran="Meningkatnya kesejahteraan sosial masyarakat",
    )
    longer = replace(long_row, code="KES-3", unit="permohonanrekomendasiberkas")
    sections = list(data.sections)
    sections[3] = replace(
        sec,
        name="Seksi Kesejahteraan Sosial dan Pemberdayaan Perempuan serta Perlindungan Anak",
        indicators=(*sec.indicators, long_row, longer),
    )
    return replace(data, sections=tuple(sections))


def test_no_drawn_string_overflows_its_cell(tmp_path, monkeypatch):
    from bot.reports import pdf

    made: list = []
    real = pdf.Table

    class Recording(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(pdf, "Table", Recording)
    real_table = pdf._table

    def table(rows, widths, groups=(), mono=None):  # type: ignore[no-untyped-def]
        t = real_table(rows, widths, groups, mono)
        t._mono_col = mono
        return t

    monkeypatch.setattr(pdf, "_table", table)
    files = build_report(_long_names_data(), tmp_path)
    assert len(made) >= 8
    assert _overflowing_cells(made) == []
    text = " ".join(p.extract_text() for p in PdfReader(files.pdf).pages)
    assert "rekomendasi" in text and "rekomenda75si" not in text.replace("\n", "")


def test_an_overflowing_cell_is_caught():
    from reportlab.platypus import Table

    t = Table([["rekomendasi", "75"]], colWidths=[20, 20])
    t._mono_col = None
    assert _overflowing_cells([t]) != []


def test_pdf_signatures_metadata_notes_and_sasaran(tmp_path):
    data = replace(
        _data(approved=True),
        camat=Approval("Drs. Ahmad Fauzi", "Camat Astambul", "197001011990011001", rank="Pembina"),
        place="Astambul",
        revision_notes=("PEM-2: lampirkan daftar hadir",),
    )
    files = build_report(data, tmp_path)
    reader = PdfReader(files.pdf)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Astambul, 28 November 2026" in text  # approved on T0 + 5 days, in WITA
    assert "Mengetahui," in text and "Camat Astambul," in text
    assert "NIP. 19700101 199001 1 001" in text and "NIP. 19750202 200003 2 002" in text
    assert "Mengetahui/Menyetujui" not in text
    assert "PEM-2: lampirkan daftar hadir" in text
    assert "Sasaran: Sasaran contoh" in text
    assert (
        "dikembalikan 0 kali" not in text.lower() and "Dikembalikan untuk perbaikan 1 kali" in text
    )
    created = reader.metadata["/CreationDate"]
    assert created.startswith("D:20261123080000+08")  # generated_at, in WITA, not 2000


def test_rekap_and_lkjip_charts_read_on_a_phone(tmp_path, monkeypatch):
    """The kabupaten's chart and the LKjIP's sasaran chart: 1080 px wide, text of 28 px,
    nothing outside the canvas, no label on a line or another label."""
    import sys

    from bot.reports.rekap import rekap_chart
    from bot.reports.rekap_data import OfficeRekap

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_lkjip import data as lkjip_data

    from bot.reports.lkjip import build_lkjip

    cap = _Capture(monkeypatch)
    late = replace(
        _data(), sections=tuple(replace(s, late_working_days=1) for s in _data().sections)
    )
    offices = [
        OfficeRekap(1, "astambul", "Kecamatan Astambul", 1, "approved", _data()),
        OfficeRekap(2, "martapura", "Kecamatan Martapura Timur", 2, "collecting", late),
        OfficeRekap(3, "sungai", "Kecamatan Sungai Tabuk", None, None, None),
    ]
    rekap_chart(offices, "Triwulan III 2026", tmp_path / "rekap.png")
    build_lkjip(lkjip_data(12), tmp_path / "lkjip")
    assert len(cap.figures) == 3  # the recap, two sasaran
    for fig in cap.figures:
        assert _texts_outside_canvas(fig) == [] and _overlaps(fig) == []
        assert fig.get_figwidth() * 150 >= 1080 and _text_px(fig) >= 28
    assert _png_size(tmp_path / "rekap.png")[0] == 1080
