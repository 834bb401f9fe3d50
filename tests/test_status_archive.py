"""/status per role, the archive (/arsip and `sakip-bot export`), and comparison with the
previous period in the report."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from io import BytesIO

from sqlalchemy import select

from bot.cli import main
from bot.report_builder import report_data
from db.models import CollectionRound
from tests import flows
from tests.harness import Harness


async def test_status_shows_each_section_and_the_steps_own_section_first(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    await flows.fill_section(h, o.heads["pmd"], flows.VALUES["pmd"])
    await h.say(o.heads["pu"], "/isi")
    h.clock.advance(days=4)  # Friday: past the deadline
    text = (await h.say(o.heads["pu"], "/status"))[0]
    lines = text.splitlines()
    first_section = lines[lines.index("Seksi:") + 1]
    assert "Seksi Pelayanan Umum (seksi Anda): sedang diisi" in first_section
    assert "terlambat 1 hari kerja" in first_section
    assert "Seksi Pemberdayaan Masyarakat dan Desa: sudah dikirim" in text
    assert "Seksi Kesejahteraan Sosial: belum mulai" in text
    # sections still out after Thursday's deadline: step 3 (the collection) is over its
    # standard, and step 4 has not started (bot/sop.py)
    step3 = next(line for line in lines if line.startswith("3. "))
    assert "(mutu baku 3 hari kerja): berjalan" in step3 and "MELEWATI MUTU BAKU" in step3
    assert "4. Menghimpun data kinerja" not in text
    kasubag = (await h.say(o.kasubag, "/status"))[0]
    k_lines = kasubag.splitlines()
    assert k_lines[k_lines.index("Seksi:") + 1].startswith("⚪ Seksi Pemerintahan")


async def test_archive_zip_in_chat_and_from_the_command_line(
    harness: Harness, tmp_path, monkeypatch
):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pem"]
    await h.say(head, "/isi")
    await flows.answer(h, head, "92,5", files=[(b"%PDF-1.4 bukti", "bukti.pdf", "application/pdf")])
    await flows.answer(h, head, "6")
    await flows.answer(h, head, "85")
    await h.press(head, "📤 Kirim")
    await flows.accept(h, o)
    for key in ("trantib", "pmd", "kesos", "pu"):
        await flows.fill_section(h, o.heads[key], flows.VALUES[key])
        await flows.accept(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await h.press(o.sek, "✅ Setujui")
    assert "Triwulan III 2026" in (await h.say(o.camat, "/arsip"))[0]
    await h.press(o.camat, "⬇️ ZIP")
    sent = h.fake.last(o.camat.chat)
    assert sent.kind == "document" and sent.file_name.endswith(".zip")
    with zipfile.ZipFile(BytesIO(sent.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        evidence = zf.read("bukti/Seksi Pemerintahan/PEM-1_bukti.pdf")
    assert evidence == b"%PDF-1.4 bukti"
    entry = next(f for f in manifest["files"] if f["path"].endswith("PEM-1_bukti.pdf"))
    import hashlib

    assert entry["sha256"] == hashlib.sha256(evidence).hexdigest()
    assert {"laporan.pdf", "laporan.xlsx"} <= {f["path"] for f in manifest["files"]}
    # the same archive from the command line
    for key, value in {
        "DATABASE_URL": h.base_settings.db_url,
        "DATA_DIR": str(h.base_settings.data_dir),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    main(["export", "1", "--output", str(tmp_path / "x.zip")])
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        assert json.loads(zf.read("manifest.json"))["content_hash"] == manifest["content_hash"]
    # a section head may not fetch the archive
    assert "hanya untuk" in (await h.say(head, "/arsip"))[0]


async def test_report_compares_with_the_previous_period_and_year_to_date(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    q2 = {**flows.VALUES, "pem": ["90", "5", "85"]}
    await flows.complete_round(h, o, "TW 2 2026", q2)
    await flows.start_collection(h, o)  # Triwulan III 2026
    await flows.fill_all(h, o)
    with h.db.transaction() as s:
        rnd = s.scalar(select(CollectionRound).where(CollectionRound.period == "2026-Q3"))
        office = rnd.office_id
        from db.models import Office

        cal = h.rt.core.calendar_for(s.get(Office, office))
        data = report_data(s, rnd, 1, cal, h.clock.now())
    pem2 = next(r for sec in data.sections for r in sec.indicators if r.code == "PEM-2")
    assert pem2.previous == Decimal("83.33")  # Q2: 5 of 6
    # cumulative year to date (Q1 missing): (5 + 6) / (6 + 6)
    assert pem2.ytd == Decimal("91.67")
    pem1 = next(r for sec in data.sections for r in sec.indicators if r.code == "PEM-1")
    assert pem1.ytd == Decimal("101.39")  # average: (90 + 92,5) / 2 against 90
