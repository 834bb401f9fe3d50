"""The report's labels, in Bahasa Indonesia, in one place. The target-status words come from
the chat catalogue (bot/texts.py) so chat, PDF, XLSX and charts say the same."""

from bot.texts import t

TARGET_MET = t("capaian_target_met").capitalize()
TARGET_NOT_MET = t("capaian_target_not_met").capitalize()

TITLE = "LAPORAN HASIL PENGUMPULAN DATA KINERJA"
VERSION = "Versi {version}"
DRAFT = "DRAF"
SUMMARY = "Ringkasan"
SUMMARY_TEXT = (
    "Capaian kinerja rata-rata {period} adalah {overall}. {met} dari {total} indikator mencapai "
    "target. Seksi yang belum mencapai target: {below}. Seksi yang terlambat mengirim data: "
    "{late}."
)
MISSING_TEXT = "Seksi yang belum mengirim data saat laporan disusun: {sections}."
NONE = "tidak ada"
TABLE_HEAD = (
    "No",
    "Indikator",
    "Satuan",
    "Target",
    "Realisasi",
    "Capaian",
    "Status target; kategori capaian",
    "Keterangan",
)
SECTION_HEAD = "{name} — Kepala: {head}"
SECTION_STATS = (
    "Rata-rata capaian {average}; {met} dari {total} indikator mencapai target; tenggat {deadline}; "
    "dikirim {submitted}{late}; dikembalikan {returns} kali."
)
LATE = " (terlambat {days} hari kerja)"
NOT_SUBMITTED = "belum dikirim"
CHARTS = "Grafik"
TIMELINE = "Linimasa Langkah SOP"
TIMELINE_HEAD = ("Langkah", "Pelaksana", "Mutu baku", "Mulai", "Selesai", "Ketepatan")
ON_TIME = "Tepat waktu"
LATE_SHORT = "Terlambat"
RUNNING = "Berjalan"
EVIDENCE = "Daftar Bukti Dukung"
EVIDENCE_HEAD = ("Indikator", "Nama file; keterangan", "SHA-256")
NO_EVIDENCE = "Tidak ada bukti dukung yang dilampirkan."
REVISIONS = "Catatan Revisi"
APPROVAL_TITLE = "Mengetahui/Menyetujui,"
APPROVAL_SIGNED = "Disetujui secara elektronik pada {when}.\nHash isi laporan (SHA-256): {hash}"
APPROVAL_PENDING = "Belum disetujui (konsep)."
PAGE = "Halaman {page} dari {total}"
GENERATED = "Disusun oleh bot SAKIP pada {when}"
# XLSX
SHEET_SUMMARY = "Ringkasan"
SHEET_EVIDENCE = "Bukti"
SHEET_TIMELINE = "Linimasa SOP"
XLSX_SUMMARY_HEAD = (
    "Seksi",
    "Kepala",
    "Rata-rata capaian (%)",
    "Status target",
    "Indikator tercapai",
    "Jumlah indikator",
    "Terlambat (hari kerja)",
    "Dikembalikan",
    "Status",
)
XLSX_SECTION_HEAD = (
    "Kode",
    "Sasaran",
    "Indikator",
    "Satuan",
    "Target",
    "Realisasi",
    "Capaian (%)",
    "Status target",
    "Kategori capaian",
    "Capaian periode lalu (%)",
    "Capaian s.d. periode ini (%)",
    "Keterangan",
    "Bukti dukung",
)
XLSX_EVIDENCE_HEAD = (
    "Seksi",
    "Indikator",
    "Nama file",
    "Keterangan (dari pengirim)",
    "Ukuran (byte)",
    "SHA-256",
)
# charts
CHART_SECTIONS = "Capaian dan ketepatan waktu per seksi"
CHART_CAPAIAN_PANEL = "Rata-rata capaian (%; garis putus = target 100%)"
LEGEND_GOOD = "Mencapai target / tepat waktu"
LEGEND_BAD = "Belum mencapai target / terlambat"
LEGEND_NONE = "Belum ada data"
CHART_TIMELINESS_AXIS = "Terlambat (hari kerja)"
CHART_TIMELINE = "Waktu tiap langkah SOP dibanding mutu bakunya"
CHART_TIMELINE_AXIS = "Waktu terpakai, dalam persen mutu baku (100% = batas mutu baku)"
STANDARD = "Mutu baku (100%)"
STANDARD_OF = "mutu baku {standard}"
LATE_DAYS = "{days} hari kerja"
LATE_DAYS_SHORT = "{days} hari"
NO_DATA = "Belum ada data"
NO_DATA_SHORT = "-"
CHART_PAGE = "bagian {page} dari {pages}"
CHART_SUMMARY_LOWEST = "{n} seksi dengan capaian terendah dari {total} seksi"
OUTCOME_REVISIONS = "sampai Revisi ke-{n}"
CHART_SUMMARY_HEAD = "Capaian kinerja {period}"
CHART_SUMMARY_OK = "Semua seksi mencapai target"
CHART_SUMMARY_BELOW = "{n} seksi belum mencapai target"
CHART_TARGET = "Target 100%"
# --- the kabupaten recap (/rekap, weekly digest, dashboard) ---------------------------------
REKAP_CHART_TITLE = "Rekap kecamatan — {period}"
REKAP_CHART_CAPAIAN = "Capaian rata-rata (%)"
REKAP_CHART_ON_TIME = "Seksi yang mengirim tepat waktu (%)"
REKAP_NO_DATA = "belum ada data"
REKAP_LATE_N = "({n} seksi terlambat)"
REKAP_XLSX_TITLE = "REKAP PENGUMPULAN DATA KINERJA KECAMATAN — {period}"
REKAP_XLSX_OFFICES = (
    "Kantor",
    "Tahap putaran",
    "Capaian rata-rata (%)",
    "Jumlah seksi",
    "Seksi terlambat",
    "Nama seksi terlambat",
    "Langkah SOP sesuai mutu baku",
)
REKAP_SHEET_INDICATORS = "Indikator"
REKAP_SHEET_SECTIONS = "Seksi"
REKAP_XLSX_INDICATORS = (
    "Kantor",
    "Seksi",
    "Kode",
    "Indikator",
    "Satuan",
    "Target",
    "Realisasi",
    "Capaian (%)",
    "Kategori",
)
REKAP_XLSX_SECTIONS = (
    "Kantor",
    "Seksi",
    "Rata-rata capaian (%)",
    "Indikator tercapai",
    "Jumlah indikator",
    "Terlambat (hari kerja)",
    "Status",
)
