"""`sakip-bot demo`: a whole round played by a script, producing the report files."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from bot.cli import main


def test_demo_runs_a_whole_round_and_writes_the_files(tmp_path: Path, capsys):
    main(["demo", "--output", str(tmp_path)])
    out = capsys.readouterr().out
    for line in (
        "Langkah 1 — Camat memerintahkan",
        "menekan [✅ Kirim]",
        "Pengingat:",
        "belum dikirim oleh",
        "menekan [Rapat pukul",
        "Undangan Rapat intern",
        "menekan [✏️ Ada koreksi]",
        "menekan [✅ Setujui]",
        "Demo selesai",
        # the kabupaten's monitor: /rekap over both offices, then the dashboard
        "2 kecamatan yang Bapak/Ibu pantau",
        "🏢 Kecamatan Martapura — belum ada putaran",
        "dasbor dibuka: 200; kecamatan: Kecamatan Astambul, Kecamatan Martapura",
        "tautan yang sama dipakai lagi: ditolak (410)",
    ):
        assert line in out, line
    # every notice true, as each person reads it: the group registered by the office's admin
    # before the request says it went there; no "Anda"; no tick or band beside a shortfall;
    # no name followed by a second bracket; a misplaced file moved to its indicator
    assert out.index("terdaftar sebagai grup Tim SAKIP Kecamatan Astambul") < out.index(
        "sudah dikirim ke grup Tim SAKIP"
    )
    assert re.search(r"\bAnda\b", out) is None
    shortfalls = [x for x in out.splitlines() if "belum mencapai target" in x and "→" in x]
    assert shortfalls and all("⚠️" in x and "✅" not in x for x in shortfalls), shortfalls
    assert "kategori capaian" not in out and "(contoh) (" not in out
    assert "menekan [Pindahkan ke PEM-2]" in out and "Dipindahkan dari PEM-1 ke PEM-2" in out
    pdf = PdfReader(tmp_path / "laporan.pdf")
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "LAPORAN HASIL PENGUMPULAN DATA KINERJA" in text and "Triwulan III 2026" in text
    assert "Disetujui secara elektronik" in text
    wb = load_workbook(tmp_path / "laporan.xlsx")
    assert "Seksi Pemerintahan" in wb.sheetnames
    assert wb["Seksi Pemerintahan"]["F3"].value == 7  # PEM-2, corrected in the revision
    png = (tmp_path / "grafik_ringkasan.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    archive = next(tmp_path.glob("arsip_*.zip"))
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = zf.namelist()
    assert manifest["period"] == "Triwulan III 2026" and manifest["version"] == 2
    # the head's attendance list, sent while PEM-1 was open, moved to PEM-2 with one tap
    assert "bukti/Seksi Pemerintahan/PEM-2_daftar_hadir_pembinaan.pdf" in names
    assert "laporan.pdf" in names
