"""The report's labels, in Bahasa Indonesia, in one place."""

TITLE = "LAPORAN HASIL PENGUMPULAN DATA KINERJA"
VERSION = "Versi {version}"
DRAFT = "DRAF"
SUMMARY = "Ringkasan"
SUMMARY_TEXT = (
    "Capaian kinerja rata-rata {period} adalah {overall}. {met} dari {total} indikator mencapai "
    "target. Seksi di bawah target: {below}. Seksi yang terlambat mengirim data: {late}."
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
    "Kategori",
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
EVIDENCE_HEAD = ("Seksi / Indikator", "Nama file", "SHA-256")
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
    "Kategori",
    "Capaian periode lalu (%)",
    "Capaian s.d. periode ini (%)",
    "Keterangan",
    "Bukti dukung",
)
# charts
CHART_SECTIONS = "Capaian per seksi (%)"
CHART_TIMELINESS = "Ketepatan waktu pengiriman data"
CHART_TIMELINESS_AXIS = "Keterlambatan (hari kerja)"
CHART_TIMELINE = "Durasi langkah SOP (jam) dibanding mutu baku"
CHART_SUMMARY_HEAD = "Capaian kinerja {period}"
CHART_SUMMARY_OK = "Semua seksi mencapai target"
CHART_SUMMARY_BELOW = "{n} seksi di bawah target"
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
