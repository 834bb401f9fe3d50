"""The year's LKjIP chapter III: `/lkjip 2026` after quarterly rounds gives a DOCX and an
XLSX whose numbers are recomputed here from the rounds' stored answers."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from bot.fmt import format_number_id, format_percent_id
from bot.procedure.capaian import Target, combine_periods, compute_capaian
from db.models import Answer, CollectionRound, Indicator, IndicatorTarget, Submission
from tests import flows
from tests.harness import Harness

Q1 = {**flows.VALUES, "pem": ["80", "5", "85"], "kesos": ["90", "60"]}


def _expected(h: Harness) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """(realisation, capaian) per indicator code, straight from the answers of the year's
    approved rounds: quarters combined by the indicator's rule, against the year's target."""
    out = {}
    with h.db.transaction() as s:
        for ind in s.scalars(select(Indicator)):
            rows = s.execute(
                select(Answer.realisation, CollectionRound.period)
                .join(Submission, Answer.submission_id == Submission.id)
                .join(CollectionRound, Submission.round_id == CollectionRound.id)
                .where(
                    Answer.indicator_id == ind.id,
                    CollectionRound.state == "approved",
                    CollectionRound.period.like("2026-%"),
                )
                .order_by(CollectionRound.period)
            ).all()
            year = s.scalar(
                select(IndicatorTarget.target).where(
                    IndicatorTarget.indicator_id == ind.id, IndicatorTarget.period == "2026"
                )
            )
            target = Target.parse(year)
            value, _t = combine_periods([(r, target) for r, _p in rows], ind.aggregation)
            cap = compute_capaian(value, target, ind.polarity, ind.lower_method)
            out[ind.code] = (value, cap)
    return out


def _docx_rows(doc) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Chapter tables' rows by indicator code (first cell after the number)."""
    rows: dict[str, list[str]] = {}
    for table in doc.tables:
        head = [c.text for c in table.rows[0].cells]
        if "Satuan" not in head:
            continue
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            rows[cells[1].split(" ")[0]] = cells
    return rows


async def test_lkjip_from_two_quarters_reads_back_as_the_rounds_say(harness: Harness, tmp_path):
    h = harness
    o = await flows.setup_office(h)
    # last year's fourth quarter ran in the bot: its rounds win over the office file's figure
    await flows.complete_round(h, o, "TW 4 2025", {**flows.VALUES, "trantib": ["11", "80"]})
    await flows.complete_round(h, o, "TW 1 2026", Q1)
    await flows.complete_round(h, o, "TW 2 2026")
    # a head may not build it; a bad year is answered plainly
    assert "hanya untuk" in (await h.say(o.heads["pem"], "/lkjip"))[0]
    assert "tidak dikenali" in (await h.say(o.kasubag, "/lkjip duaribu"))[0]
    assert "Belum ada laporan" in (await h.say(o.kasubag, "/lkjip 2024"))[0]

    await h.say(o.kasubag, "/lkjip 2026")
    sent = [m for m in h.fake.all_sent() if m.chat_id == o.kasubag.chat]
    docx_msg = next(m for m in reversed(sent) if (m.file_name or "").endswith(".docx"))
    xlsx_msg = next(m for m in reversed(sent) if (m.file_name or "").endswith(".xlsx"))
    charts = [m for m in sent if m.kind == "photo"][-4:]
    assert "TW III, TW IV" in (docx_msg.text or "") and len(charts) >= 1
    doc = Document(BytesIO(docx_msg.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BAB III AKUNTABILITAS KINERJA" in text
    assert "Sasaran 1: Meningkatnya kualitas tata pemerintahan desa" in text
    # the scale table states the five levels
    scale = next(t for t in doc.tables if t.rows[0].cells[1].text == "Capaian")
    assert [r.cells[2].text for r in scale.rows[1:]] == [
        "Sangat Tinggi",
        "Tinggi",
        "Sedang",
        "Rendah",
        "Sangat Rendah",
    ]
    expected = _expected(h)
    rows = _docx_rows(doc)
    assert set(rows) == set(expected)
    for code, (value, cap) in expected.items():
        assert rows[code][4] == format_number_id(value), code
        assert rows[code][5] == format_percent_id(cap), code
    # PEM-2 is cumulative: 5 + 6 of 24, the missing quarters stated, not averaged away
    assert rows["PEM-2"][4] == "11" and "data TW III, TW IV tidak ada" in rows["PEM-2"][7]
    assert "makin kecil makin baik" in rows["TRA-1"][7]
    assert "target rentang 80–90" in rows["PEM-3"][7]
    # the analysis carries the heads' explanations per quarter (PEM-1 was below in Q1)
    assert "TW I: Kendala anggaran dan cuaca" in text
    # the rounds it was built from, with their content hashes
    with h.db.transaction() as s:
        hashes = [v for v in s.scalars(select(CollectionRound))]
        from db.models import ReportVersion

        approved = list(s.scalars(select(ReportVersion).where(ReportVersion.status == "approved")))
        assert len(hashes) == 3
        wanted = {v.content_hash for v in approved if v.round_id != 1}  # 2025's is not used
    sources = next(t for t in doc.tables if t.rows[0].cells[0].text == "Periode")
    assert {r.cells[4].text for r in sources.rows[1:]} == wanted
    # last year from its round (PEM-2, cumulative: 6 in TW IV 2025 of 24), not the file's 22;
    # its capaian against 2025's target, the change in points; and the Renstra target
    compare = [t for t in doc.tables if "Target akhir Renstra" in t.rows[0].cells[-2].text]
    pem2 = next(r for t in compare for r in t.rows[1:] if r.cells[1].text.startswith("PEM-2"))
    assert [c.text for c in pem2.cells[2:]] == [
        "6",
        "25%",
        "11",
        "45,83%",
        "+20,83",
        "26 (2026)",
        "42,31%",
    ]

    # the workbook: the same numbers, as numbers; a range target as two numeric columns
    wb = load_workbook(BytesIO(xlsx_msg.content))
    ws = wb["Capaian 2026"]
    head = [c.value for c in ws[2]]
    by_code = {r[1]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    col = {name: i for i, name in enumerate(head)}
    for code, (value, cap) in expected.items():
        assert by_code[code][col["Realisasi"]] == float(value), code
        assert by_code[code][col["Capaian (%)"]] == float(cap), code
    pem3 = by_code["PEM-3"]
    assert (pem3[col["Target (batas bawah)"]], pem3[col["Target (batas atas)"]]) == (80, 90)

    # the same chapter from the command line
    import os

    os.environ["DATABASE_URL"] = h.base_settings.db_url
    os.environ["DATA_DIR"] = str(h.base_settings.data_dir)
    try:
        main(["lkjip", "astambul", "2026", "--output", str(tmp_path / "out")])
    finally:
        del os.environ["DATABASE_URL"], os.environ["DATA_DIR"]
    again = Document(str(tmp_path / "out" / "lkjip_bab3_2026.docx"))
    assert _docx_rows(again)["PEM-2"][4] == "11"
