"""/status per role, the archive (/arsip and `sakip-bot export`), and comparison with the
previous period in the report."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from io import BytesIO

from sqlalchemy import select

from bot.cli import main
from bot.reports.builder import report_data
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
    assert "Seksi Pelayanan Umum (seksi Bapak/Ibu): sedang diisi" in first_section
    assert "terlambat 1 hari kerja" in first_section
    assert "Seksi Pemberdayaan Masyarakat dan Desa: sudah dikirim" in text
    assert "Seksi Kesejahteraan Sosial: belum mulai" in text
    # sections still out after Thursday's deadline: step 3 (the collection) is over its
    # standard, and step 4 has not started (bot/procedure/sop.py)
    step3 = next(line for line in lines if line.startswith("3. "))
    assert "(mutu baku 3 hari kerja): berjalan" in step3 and "MELEWATI MUTU BAKU" in step3
    step4 = next(line for line in lines if line.startswith("4. "))
    assert step4.endswith("belum dimulai")
    assert [line[:2] for line in lines if line[:1].isdigit()] == [f"{n}." for n in range(1, 8)]
    kasubag = (await h.say(o.kasubag, "/status"))[0]
    k_lines = kasubag.splitlines()
    assert k_lines[k_lines.index("Seksi:") + 1].startswith("⚪ Seksi Pemerintahan")


async def test_archive_zip_in_chat_and_from_the_command_line(
    harness: Harness, tmp_path, monkeypatch
):
    import hashlib
    import re

    from pypdf import PdfReader

    from db.models import Attachment

    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pem"]
    await h.say(head, "/isi")
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF foto kegiatan"
    await flows.answer(
        h,
        head,
        "92,5",
        files=[
            (b"%PDF-1.4 bukti", "bukti.pdf", "application/pdf"),
            (photo, "foto.jpg", "image/jpeg"),
        ],
    )
    with h.db.transaction() as s:  # the caption the head sent with the PDF
        for att in s.scalars(select(Attachment)):
            if att.file.name == "bukti.pdf":
                att.description = "Daftar hadir pembinaan desa"
    await flows.answer(h, head, "6")
    await flows.answer(h, head, "85")
    await h.press(head, "📤 Kirim")
    await flows.accept(h, o)
    for key in ("trantib", "pmd", "kesos", "pu"):
        await flows.fill_section(h, o.heads[key], flows.VALUES[key])
        await flows.accept(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await flows.hold_meeting(h, o, "Rapat membahas data PEM-2.")  # minutes with /notulen
    await h.press(o.sek, "✅ Tanpa koreksi")
    await h.press(o.sek, "✅ Setujui")
    assert "Triwulan III 2026" in (await h.say(o.camat, "/arsip"))[0]
    await h.press(o.camat, "⬇️ ZIP")
    sent = h.fake.last(o.camat.chat)
    assert sent.kind == "document" and sent.file_name.endswith(".zip")
    with zipfile.ZipFile(BytesIO(sent.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json"}
    # every file in the ZIP is in the manifest, with its SHA-256
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(members)
    for name, content in members.items():
        assert listed[name]["sha256"] == hashlib.sha256(content).hexdigest(), name
    assert members["notulen/v1.txt"] == b"Rapat membahas data PEM-2."
    evidence = members["bukti/Seksi Pemerintahan/PEM-1_bukti.pdf"]
    assert evidence == b"%PDF-1.4 bukti"
    assert listed["bukti/Seksi Pemerintahan/PEM-1_bukti.pdf"]["description"] == (
        "Daftar hadir pembinaan desa"
    )
    # a photo's generic name becomes the indicator and the date
    photos = [
        n
        for n in members
        if re.fullmatch(
            r"bukti/Seksi Pemerintahan/PEM-1_foto_"
            r"\d{4}-\d{2}-\d{2}\.jpg",
            n,
        )
    ]
    assert len(photos) == 1 and members[photos[0]] == photo
    assert {"laporan.pdf", "laporan.xlsx"} <= set(listed)
    # the report's evidence table shows the caption
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(members["laporan.pdf"])).pages)
    assert "Daftar hadir pembinaan desa" in text
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
