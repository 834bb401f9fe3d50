"""`sakip-bot demo`: a whole round played by a script, producing the report files."""

from __future__ import annotations

import json
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
        "2 kecamatan yang Anda pantau",
        "🏢 Kecamatan Martapura — belum ada putaran",
        "dasbor dibuka: 200; kecamatan: Kecamatan Astambul, Kecamatan Martapura",
        "tautan yang sama dipakai lagi: ditolak (410)",
    ):
        assert line in out, line
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
    assert any(n.startswith("bukti/Seksi Pemerintahan/PEM-1_") for n in names)
    assert "laporan.pdf" in names
