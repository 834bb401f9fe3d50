"""Every text a user reads, in Bahasa Indonesia, in one catalogue (docs/design-notes.md, decision 9).

`t(key, **values)` fills a template. Handlers and the core never write user-facing strings
inline; tests read the same catalogue when they check what a person saw.
"""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # --- people, onboarding -------------------------------------------------------------
    "stranger": (
        "Mohon maaf, bot ini khusus untuk pegawai {office} dalam pengumpulan data kinerja "
        "(SAKIP). Bila Bapak/Ibu pegawai kantor ini, mohon minta tautan undangan kepada "
        "admin/operator kecamatan atau Kasubag Program."
    ),
    "stranger_generic": (
        "Mohon maaf, bot ini khusus untuk pegawai kecamatan dalam pengumpulan data kinerja "
        "(SAKIP). Bila Bapak/Ibu pegawai kecamatan, mohon minta tautan undangan kepada "
        "admin/operator kecamatan."
    ),
    "invite_bad": (
        "Tautan undangan ini tidak dikenal. Periksa kembali tautannya atau mintalah "
        "undangan baru kepada admin kecamatan."
    ),
    "invite_used": (
        "Tautan undangan ini sudah pernah dipakai. Bila akun Bapak/Ibu belum terhubung, mohon "
        "minta undangan baru kepada admin kecamatan."
    ),
    "invite_expired": (
        "Tautan undangan ini sudah kedaluwarsa (berlaku sampai {expires}). Mintalah undangan "
        "baru kepada admin kecamatan."
    ),
    "invite_other_account": (
        "Akun ini sudah terhubung dengan {name}. Satu akun hanya untuk satu pegawai; "
        "hubungi admin kecamatan jika ini keliru."
    ),
    "welcome": (
        "Selamat datang, {name}!\n"
        "Akun Bapak/Ibu sekarang terhubung dengan bot SAKIP {office} sebagai: {roles}.\n\n"
        "Ketik /bantuan untuk melihat perintah yang dapat Bapak/Ibu pakai."
    ),
    "welcome_back": (
        "Halo, {name}. Bapak/Ibu terdaftar sebagai: {roles}. Ketik /bantuan untuk daftar perintah."
    ),
    "whoami": (
        "Nama: {name}\nNIP: {nip}\nJabatan: {position}\nKantor: {office}\nPeran: {roles}"
        "{sections}{acting}"
    ),
    "whoami_sections": "\nSeksi yang Bapak/Ibu pimpin: {sections}",
    "whoami_acting": "\nPenugasan sementara: {acting}",
    "acting_line": "{label} ({start} s.d. {end})",
    "help_header": "Perintah yang dapat Bapak/Ibu pakai ({roles}):",
    "help_line": "/{command} — {help}",
    "help_footer": "Jawaban formulir cukup diketik biasa; tombol di bawah pesan juga dapat ditekan.",
    "not_allowed": "Maaf, perintah atau tombol ini hanya untuk: {roles}.",
    "private_only": "Perintah ini dipakai di chat pribadi dengan bot, bukan di grup.",
    "group_only": "Perintah ini dikirim di grup Tim SAKIP, bukan di chat pribadi.",
    "group_registered": (
        'Grup ini "{title}" sekarang terdaftar sebagai grup Tim SAKIP {office}. '
        "Pengumuman putaran pengumpulan data akan dikirim ke sini."
    ),
    "group_register_refused": "Maaf, hanya admin yang dapat mendaftarkan grup Tim SAKIP.",
    "group_register_which": (
        "Ada beberapa kantor terdaftar. Kirim /daftargrup KODE, dengan KODE salah satu dari: {codes}."
    ),
    "unknown_command": "Perintah /{command} tidak dikenal. Ketik /bantuan untuk daftar perintah.",
    "unexpected_text": (
        "Saat ini bot belum menunggu jawaban dari Bapak/Ibu. Ketik /bantuan untuk daftar perintah"
        "{hint}."
    ),
    "unexpected_file": (
        'File "{name}" belum saya simpan karena saat ini tidak ada formulir yang menunggu '
        "bukti dukung. Buka formulir dengan /isi, lalu kirim file pada indikator yang sesuai."
    ),
    "internal_error": (
        "Mohon maaf, terjadi kesalahan di sisi bot dan tindakan Bapak/Ibu belum tersimpan. "
        "Silakan coba lagi; bila berulang, mohon hubungi admin kecamatan."
    ),
    "button_unknown": "Tombol ini tidak dikenal atau sudah tidak berlaku.",
    "button_used": "Tombol ini sudah dipakai sebelumnya.",
    "button_not_yours": "Mohon maaf, tombol ini ditujukan untuk {name}.",
    "button_stale": "Tombol ini sudah tidak berlaku karena tahap sudah berubah. {state}",
    "file_too_large": "File terlalu besar ({size_mb} MB). Batas ukuran file adalah {max_mb} MB.",
    "file_bad_type": 'Jenis file "{name}" tidak diterima. Jenis yang diterima: {allowed}.',
    "file_download_failed": "File tidak dapat diunduh dari server ({reason}). Silakan kirim ulang.",
    "inactive": "Akun Bapak/Ibu sedang tidak aktif di bot SAKIP. Mohon hubungi admin kecamatan.",
    # --- command line (for the operator) ---------------------------------------------
    "cli_description": "Bot pengumpulan data kinerja SAKIP kecamatan.",
    "cli_bad_setting": "Konfigurasi salah — {error}",
    "cli_schema_old": ("Skema basis data belum mutakhir. Jalankan dahulu: sakip-bot db upgrade"),
    "cli_db_upgraded": "Basis data sudah mutakhir (revisi {rev}).",
    "cli_db_current": "Revisi basis data: {rev} (terbaru: {head}).",
    "cli_import_failed": "Impor {file} gagal, tidak ada yang diubah: {error}",
    "cli_import_unchanged": "Impor {file}: tidak ada perubahan.",
    "cli_import_done": "Impor {file} selesai. Dibuat: {created}. Diubah: {updated}.",
    "cli_person_none": 'Tidak ada pegawai dengan NIP/nama "{query}".',
    "cli_person_many": 'Lebih dari satu pegawai cocok dengan "{query}": {names}. Pakai NIP.',
    "cli_invite": "Undangan untuk {name}, berlaku {days} hari, sekali pakai:",
    "cli_invite_code": "Kode undangan (untuk WhatsApp): {token}",
    "cli_no_username": (
        "Tautan Telegram belum dapat dibuat: nama bot tidak diketahui (isi "
        "TELEGRAM_BOT_USERNAME atau TELEGRAM_BOT_TOKEN yang benar). Kode tetap berlaku: di "
        "Telegram kirim /start {token} ke bot."
    ),
    "cli_acting_role": 'Jabatan "{role}" tidak dikenal. Pilihan: {roles}.',
    "cli_acting_section": 'Seksi "{section}" tidak ditemukan.',
    "cli_acting_dates": "Tanggal selesai sebelum tanggal mulai.",
    "cli_acting_done": "{kind} {role}: {name}, {start} s.d. {end}.",
    "cli_wa_no_template": (
        "Peringatan: WHATSAPP_TEMPLATE_REMINDER belum diisi. Pesan WhatsApp di luar jendela "
        "24 jam akan dialihkan ke Telegram bila orangnya punya Telegram, dan dicatat gagal bila tidak."
    ),
    "cli_shared_needs_postgres": (
        "Beberapa proses (--workers, --role worker, --shared) memerlukan PostgreSQL: isi "
        "DATABASE_URL dengan postgresql+psycopg://…"
    ),
    "cli_running": "Bot berjalan (Bot API: {api}; basis data: {db}). Tekan Ctrl+C untuk berhenti.",
    "delivery_resent": (
        "dikirim ulang satu kali setelah bot berhenti saat mengirimnya (mungkin terlihat dua kali)"
    ),
    "delivery_failed": (
        "⚠️ Pesan bot untuk {who} tidak dapat dikirim: {reason}. Mohon hubungi yang "
        "bersangkutan secara langsung dan minta ia membuka/mengaktifkan kembali bot."
    ),
    # --- buttons ------------------------------------------------------------------------
    "btn_next": "Lanjut ➡️",
    "btn_send": "✅ Kirim",
    "btn_cancel": "✖️ Batal",
    "btn_save_team": "💾 Simpan tim",
    "btn_plan_edit": "Ubah tenggat {section}",
    "btn_plan_ok": "✅ Setujui jadwal",
    "btn_open_team": "👥 Buka formulir tim",
    "btn_open_plan": "📅 Buka jadwal",
    "btn_fill_now": "📝 Isi sekarang",
    "btn_summary": "📄 Ringkasan",
    "btn_yes_correct": "Ya, benar",
    "btn_change": "Ubah",
    "btn_edit_n": "Ubah {n}",
    "btn_submit": "📤 Kirim ke Kasubag Program",
    "btn_accept": "✅ Terima",
    "btn_return": "↩️ Kembalikan",
    "btn_fix": "📝 Perbaiki",
    "btn_submit_to_sek": "📤 Ajukan ke Sekretaris",
    "btn_approve": "✅ Setujui",
    "btn_revise": "✏️ Revisi",
    # --- step 1: the Camat's request ----------------------------------------------------
    "req_ask_period": (
        "Langkah 1 — Permintaan pengumpulan data kinerja.\n"
        'Untuk periode apa? Tekan salah satu tombol, atau ketik misalnya "Triwulan III 2026" '
        'atau "Tahun 2026".'
    ),
    "req_bad_period": (
        '"{text}" bukan periode yang dikenal. Contoh yang benar: "Triwulan III 2026", '
        '"TW 3 2026" atau "Tahun 2026".'
    ),
    "req_duplicate": (
        "Sudah ada putaran pengumpulan data untuk {period} yang masih berjalan "
        "(dibuat {date}; tahap sekarang: {state}). Satu periode hanya boleh satu putaran "
        "terbuka — lihat /status."
    ),
    "req_duplicate_race": "Putaran untuk {period} baru saja dibuat oleh orang lain. Lihat /status.",
    "req_ask_sections": (
        "Periode: {period}.\nSeksi mana yang dimintai data? Semua seksi sudah dipilih; tekan "
        "untuk membatalkan/memilih, lalu tekan Lanjut."
    ),
    "req_no_sections": "Pilih paling sedikit satu seksi.",
    "req_ask_deadline": (
        "Usulan tenggat pengumpulan? Tekan salah satu tombol, atau ketik tanggal, misalnya "
        '"30/11/2026" atau "30 November 2026".'
    ),
    "req_deadline_days": "{days} hari kerja ({date})",
    "req_bad_date": (
        '"{text}" bukan tanggal yang dikenal. Ketik misalnya "30/11/2026" atau "30 November 2026".'
    ),
    "req_past_date": "Tanggal {date} sudah lewat atau hari ini. Pilih tanggal yang akan datang.",
    "req_not_working_day": "{date} bukan hari kerja (akhir pekan, hari libur atau cuti bersama). Pilih hari kerja.",
    "req_use_buttons": "Silakan pilih dengan tombol pada pesan terakhir.",
    "req_not_open": "Formulir permintaan ini sudah tidak aktif. Ketik /minta untuk memulai lagi.",
    "req_summary": (
        "Ringkasan permintaan:\n• Periode: {period}\n• Tenggat usulan: {deadline}\n"
        "• Seksi:\n{sections}\n\nKirim permintaan ini?"
    ),
    "req_cancelled": "Permintaan dibatalkan. Tidak ada yang dikirim.",
    "req_sent": (
        "Permintaan pengumpulan data {period} sudah dikirim ke grup Tim SAKIP, dan "
        "Sekretaris diminta membentuk tim."
    ),
    "req_sent_direct": (
        "Permintaan pengumpulan data {period} sudah dikirim langsung kepada Sekretaris "
        "(diminta membentuk tim) dan kepada anggota Tim SAKIP: {names}."
    ),
    "req_unlinked": "Belum terhubung ke bot, jadi belum menerimanya: {names}.",
    "req_no_group": (
        "ℹ️ Grup Tim SAKIP belum terdaftar, jadi tidak ada pengumuman di grup. Untuk "
        "mendaftarkannya, admin kecamatan menambahkan bot ke grup Tim SAKIP, lalu mengirim "
        "/daftargrup di grup itu."
    ),
    "req_group": (
        "📢 Permintaan pengumpulan data kinerja\nDari Camat: {camat}\nPeriode: {period}\n"
        "Cakupan: {sections} seksi, {indicators} indikator\nTenggat usulan: {deadline}\n\n"
        "Sekretaris Kecamatan diminta membentuk Tim Penyusun SAKIP (langkah 2)."
    ),
    # --- step 2: team --------------------------------------------------------------------
    "team_ask": (
        "Langkah 2 — Pembentukan tim ({title}).\n{camat} meminta pengumpulan data kinerja "
        "{period}. Pilih anggota Tim Penyusun SAKIP (✅ = terpilih), lalu tekan Simpan tim."
    ),
    "team_empty": "Tim belum punya anggota. Pilih paling sedikit satu orang.",
    "team_saved": "Tim untuk {period} disimpan:\n{names}",
    "team_group": "👥 Tim Penyusun SAKIP {period} dibentuk oleh {sek}:\n{names}",
    "team_member": (
        "Bapak/Ibu ditetapkan sebagai anggota Tim Penyusun SAKIP {period} oleh {sek}. "
        "Perkembangan dapat dilihat dengan /status."
    ),
    "team_section_head": (
        "Putaran pengumpulan data kinerja {period} dimulai. Sebentar lagi Kasubag Program "
        "menetapkan jadwal; setelah itu Bapak/Ibu menerima formulir untuk {section} beserta "
        "tenggatnya."
    ),
    # --- step 3: plan --------------------------------------------------------------------
    "plan_ask": (
        "Langkah 3 — Rencana pengumpulan data {period}.\n"
        "Usulan tenggat per seksi (bawaan: akhir langkah 3, pukul tutup kantor hari kerja "
        "ke-{days} setelah tim dibentuk; tenggat usulan Camat: {proposed}):\n{table}\n\n"
        "Ubah tenggat seksi tertentu bila perlu, lalu tekan Setujui jadwal."
    ),
    "plan_line": "{n}. {section} — {deadline}",
    "plan_edit_ask": (
        'Tenggat baru untuk {section}: ketik tanggal (misalnya "30/11/2026") atau jumlah '
        'hari kerja dari sekarang (misalnya "5").'
    ),
    "plan_bad_input": '"{text}" bukan tanggal atau jumlah hari kerja (1–30). Coba lagi.',
    "plan_bad_day": '"{text}" bukan hari kerja yang akan datang. Pilih hari kerja setelah hari ini.',
    "deadline_no_collection": "Tenggat seksi hanya dapat diubah selama pengumpulan data berjalan.",
    "deadline_all_in": "Semua seksi sudah mengirim datanya; tidak ada tenggat yang perlu diubah.",
    "deadline_choose": "Tenggat seksi mana yang akan diubah?",
    "deadline_moved": "Tenggat {section} diubah menjadi {deadline}. Pengingat ikut disesuaikan.",
    "deadline_moved_head": "🗓️ Tenggat data kinerja {section} diubah menjadi {deadline}.",
    "plan_confirmed": "Jadwal disetujui dan formulir dikirim ke setiap kepala seksi:\n{table}",
    "plan_group": "🗓️ Jadwal pengumpulan data {period}:\n{table}",
    # --- step 4: the section form -------------------------------------------------------
    "form_invite": (
        "📝 Formulir data kinerja {section} — {period}.\nAda {n} indikator. Tenggat: {deadline}.\n"
        "Tekan Isi sekarang atau ketik /isi. Jawaban tersimpan setiap langkah, jadi Bapak/Ibu "
        "dapat berhenti dan melanjutkan kapan saja."
    ),
    "form_no_round": "Saat ini tidak ada formulir data kinerja yang perlu Bapak/Ibu isi.",
    "form_nothing_open": "Tidak ada formulir yang terbuka untuk diisi:\n{lines}",
    "form_choose": "Bapak/Ibu memimpin lebih dari satu seksi. Formulir mana yang akan diisi?",
    "form_not_your_section": "Formulir {section} hanya dapat diisi oleh kepala seksinya.",
    "form_closed": "Formulir {section} tidak terbuka untuk diisi: {status}.",
    "form_not_open": "Tidak ada formulir yang sedang Bapak/Ibu isi. Ketik /isi untuk membukanya.",
    "form_old_button": (
        "Tombol ini dari pertanyaan sebelumnya dan sudah tidak berlaku. Jawab pertanyaan "
        "terakhir, atau ketik /isi untuk menampilkannya lagi."
    ),
    "form_header": (
        "{section} — indikator {n} dari {total}\n{name}\n"
        "Satuan: {unit} · Target {period}: {target}\n{direction}"
    ),
    "dir_higher": "Arah: makin tinggi makin baik",
    "dir_lower": "Arah: makin rendah makin baik",
    "form_confirm_odd": (
        "Realisasi {value} menghasilkan capaian {capaian}, tidak seperti biasanya "
        "(di atas 150% atau bernilai negatif). Apakah angka ini benar?"
    ),
    "form_explain_short": "Penjelasan terlalu pendek. Tuliskan paling sedikit satu kalimat singkat.",
    "form_use_confirm_buttons": "Tekan Ya, benar atau Ubah pada pesan terakhir.",
    "form_summary_use_buttons": "Tekan Kirim atau Ubah pada ringkasan di atas.",
    "sum_header": "📄 Ringkasan {section} — {period}\nTenggat: {deadline}",
    "sum_line": ("{n}. {code} {name}\n   {icon} {value} / target {target} → {capaian}{done}"),
    "sum_line_empty": "{n}. {code} {name}\n   BELUM DIISI",
    "sum_unfinished": " — belum selesai",
    "sum_explain": "   Penjelasan: {text}",
    "sum_missing": "Belum dapat dikirim: indikator nomor {numbers} belum selesai diisi.",
    "sum_missing_short": "Masih ada indikator yang belum selesai diisi. Lihat ringkasan.",
    "sum_ready": "Semua indikator sudah diisi. Periksa sekali lagi, lalu tekan Kirim.",
    "form_submitted": "✅ Data {section} sudah dikirim ke Kasubag Program. {late}",
    "late_note": "Terlambat {days} hari kerja dari tenggat.",
    "on_time_note": "Tepat waktu.",
    # --- step 4: review ------------------------------------------------------------------
    "review_ask": (
        "📥 Data {section} ({period}) dikirim oleh {head} pada {when}. {late}\n"
        "Periksa, lalu tekan Terima atau Kembalikan (dengan catatan)."
    ),
    "review_stale": "Data {section} sudah diperiksa atau diubah sejak pesan ini dikirim.",
    "review_accepted": "Data {section} diterima.",
    "review_accepted_head": "✅ Data {section} diterima oleh {kasubag}. Terima kasih.",
    "review_return_ask": (
        "Indikator mana dari {section} yang perlu diperbaiki? Tekan untuk memilih (✅ = "
        "dipilih), lalu tekan Lanjut. Tanpa pilihan, catatannya berlaku untuk seluruh seksi."
    ),
    "review_return_note_ask": "Tuliskan catatan untuk {what}: apa yang harus diperbaiki?",
    "review_return_whole": "seluruh {section}",
    "review_note_short": "Catatan terlalu pendek. Jelaskan apa yang harus diperbaiki.",
    "review_returned": "Data {section} sudah dikembalikan kepada kepala seksinya beserta catatannya.",
    "review_returned_head": (
        "↩️ Data {section} dikembalikan oleh {kasubag} untuk diperbaiki.\nCatatan: {note}\n"
        "Tekan Perbaiki, ubah yang perlu, lalu kirim lagi."
    ),
    "no_open_round": "Tidak ada putaran pengumpulan data yang berjalan.",
    "compile_review_first": "Periksa dahulu data yang sudah dikirim: {sections}.",
    "compile_ready": (
        "📊 Konsep laporan {period} versi {version} sudah disusun (PDF, XLSX, grafik di atas). "
        "Periksa, lalu tekan Ajukan ke Sekretaris (langkah 5)."
    ),
    "compile_ready_corrected": (
        "📊 Konsep perbaikan laporan {period} versi {version} sudah disusun (PDF, XLSX, grafik "
        "di atas). Periksa, lalu tekan Ajukan ke Sekretaris untuk paraf (langkah 7)."
    ),
    "compile_group": "📊 Konsep laporan {period} versi {version} selesai disusun.",
    "report_caption_title": "Laporan Data Kinerja {period} — versi {version}",
    "report_caption_overall": "Capaian rata-rata: {capaian}",
    "report_caption_below": "Belum mencapai target: {sections}",
    "report_caption_late": "Terlambat mengirim: {sections}",
    "report_caption_missing": "Belum mengirim data: {sections}",
    # --- steps 5–7 ------------------------------------------------------------------------
    "report_old_version": (
        "Tombol ini untuk versi {version}, sedangkan versi terbaru adalah {latest}."
    ),
    "report_submitted": (
        "Konsep laporan versi {version} sudah disampaikan kepada Sekretaris. Berikutnya "
        "rapat intern Tim SAKIP (langkah 6); undangan menyusul."
    ),
    "decision_ask": (
        "Langkah 5 — {kasubag} menyampaikan konsep laporan {period} versi {version} "
        "kepada {title} (PDF, XLSX dan grafik di atas)."
    ),
    "approved_sek": (
        "✅ Laporan versi {version} disetujui (paraf elektronik tercatat).\nKode verifikasi: {code}"
    ),
    "approved_camat": (
        "Laporan data kinerja {period} telah disetujui oleh {title}, {sek}, pada {when}. "
        "Grafik ringkasan dan laporan akhir (PDF) terlampir."
    ),
    "approved_group": "🏁 Putaran {period} selesai: laporan versi {version} disetujui oleh {sek}.",
    "revise_note_short": "Catatan revisi terlalu pendek.",
    "revise_not_open": "Pencatatan koreksi ini sudah tidak aktif.",
    "revise_done": (
        "{revision} dicatat. Dibuka kembali untuk perbaikan: {sections}; batas perbaikan "
        "{deadline}.{minutes}"
    ),
    "revise_no_sections": "tidak ada seksi (catatan umum untuk Kasubag Program)",
    "revise_kasubag": (
        "✏️ Rapat intern meminta perbaikan laporan versi {version} ({revision}):\n{notes}\n"
        "Batas perbaikan: {deadline}. Setelah perbaikan diterima, konsep perbaikan "
        "tersusun otomatis (atau dengan /kompilasi); ajukan kembali kepada Sekretaris "
        "untuk paraf."
    ),
    "revise_head": (
        "✏️ Rapat intern Tim SAKIP meminta perbaikan data {section}:\n{notes}\nBatas "
        "perbaikan: {deadline}. Tekan Perbaiki; hanya indikator yang disebut yang dibuka "
        "kembali."
    ),
    "meeting_group": (
        "🗣️ {what} Tim SAKIP — {when}: membahas konsep laporan {period} versi {v}. "
        "Undangan sudah dikirim kepada setiap peserta."
    ),
    "btn_meeting_at": "Rapat pukul {time}",
    "btn_meeting_none": "✅ Tanpa koreksi",
    "btn_meeting_fix": "✏️ Ada koreksi",
    "btn_revise_general": "📝 Catatan umum untuk Kasubag",
    "btn_revise_done": "✅ Selesai, buka kembali",
    "btn_revise_section": "Seluruh {section}",
    "report_submitted_corrected": (
        "Konsep perbaikan versi {version} sudah diajukan kepada Sekretaris untuk paraf (langkah 7)."
    ),
    "paraf_ask_corrected": (
        "Langkah 7 — {kasubag} mengajukan konsep perbaikan laporan {period} versi "
        "{version} ({revision}) untuk paraf {title}.\nTekan Setujui untuk paraf, atau "
        "Revisi bila masih perlu rapat intern lagi."
    ),
    "meeting_first": "Rapat intern",
    "meeting_revision": "Revisi ke-{n}",
    "meeting_revision_title": "Rapat intern, Revisi ke-{n}",
    "meeting_ask": (
        "Langkah 6 — {what} Tim SAKIP: pilih waktu rapat untuk membahas konsep laporan "
        "versi {version}. Bot mengirim undangan dan konsepnya kepada setiap anggota tim "
        "dan Kasubag Program."
    ),
    "meeting_already_set": "Rapat intern sudah dijadwalkan {when}.",
    "meeting_slot_past": "Waktu itu sudah lewat. Silakan pilih salah satu waktu berikut.",
    "meeting_not_set": "Belum ada rapat intern yang menunggu hasilnya.",
    "meeting_not_started": (
        "Rapat intern dijadwalkan {when}; hasil dan notulennya dicatat setelah rapat dimulai."
    ),
    "meeting_invite": (
        "🗣️ Undangan {what} Tim SAKIP (langkah 6)\nBapak/Ibu diundang oleh {sek} untuk "
        "membahas konsep laporan data kinerja {period} versi {version} (PDF di atas).\n"
        "Waktu: {when}."
    ),
    "meeting_set_sek": (
        "🗓️ {what} dijadwalkan {when}. Undangan dan konsep laporan sudah dikirim kepada: "
        "{names}. Bot mengingatkan peserta 15 menit sebelumnya.\nSetelah rapat, catat "
        "hasilnya dengan tombol di bawah. Notulen rapat dicatat dengan /notulen."
    ),
    "meeting_reminder": (
        "⏰ Pengingat: {what} Tim SAKIP pukul {time} hari ini, membahas konsep laporan {period}."
    ),
    "meeting_none_sek": (
        "Hasil rapat intern dicatat: tanpa koreksi.\nLangkah 7 — konsep laporan versi "
        "{version} menunggu paraf Bapak/Ibu.{minutes}"
    ),
    "meeting_none_team": (
        "🗣️ Hasil rapat intern: konsep laporan {period} versi {v} tanpa koreksi; "
        "menunggu paraf Sekretaris."
    ),
    "minutes_hint": "📝 Notulen rapat belum dicatat: kirim /notulen.",
    "revise_pick": (
        "✏️ Koreksi hasil rapat intern. Pilih seksi (lalu indikatornya) dan tulis "
        "catatannya; ulangi untuk koreksi lain, lalu tekan Selesai.\nKoreksi sejauh ini:\n"
        "{noted}"
    ),
    "revise_none_yet": "(belum ada)",
    "revise_which": "Koreksi untuk {section}: seluruh seksi, atau satu indikator?",
    "revise_general_what": "catatan umum untuk Kasubag Program",
    "revise_note_ask": "Tulis catatan koreksi untuk {what}:",
    "revise_nothing": "Belum ada koreksi yang dicatat. Pilih seksi atau indikator dahulu.",
    "approved_head": (
        "🏁 Putaran {period} selesai: laporan disetujui Sekretaris pada {when}.\nCapaian "
        "{section}: {capaian} ({met} dari {total} indikator mencapai target). Terima "
        "kasih atas data yang Bapak/Ibu kirimkan."
    ),
    "fix_on_time_note": "Perbaikan dikirim tepat waktu.",
    "fix_late_note": "Perbaikan terlambat {days} hari kerja dari batas perbaikan.",
    "resubmitted_note": "Perbaikan dikirim.",
    "minutes_no_meeting": "Tidak ada rapat intern yang sedang berjalan.",
    "minutes_ask": "Kirim notulen rapat: ketik teksnya, atau kirim filenya (PDF/foto/dokumen).",
    "minutes_short": "Notulen terlalu pendek.",
    "minutes_saved": "Notulen rapat tersimpan bersama putaran ini.",
    # --- reminders -----------------------------------------------------------------------
    "remind_before": (
        "⏰ Pengingat: data kinerja {section} ({period}) ditunggu paling lambat {deadline}."
    ),
    "remind_due": "⏰ Hari ini tenggat data kinerja {section} ({period}): {deadline}.",
    "remind_late": (
        "⚠️ Data kinerja {section} ({period}) terlambat {days} hari kerja (tenggat {deadline}). "
        "Mohon segera diisi."
    ),
    "remind_fix_due": (
        "⏰ Hari ini batas perbaikan data kinerja {section} ({period}): {deadline}."
    ),
    "remind_fix_late": (
        "⚠️ Perbaikan data kinerja {section} ({period}) terlambat {days} hari kerja (batas "
        "{deadline}). Mohon segera diperbaiki."
    ),
    "escalate": (
        "⚠️ Untuk {title}: data {section} ({period}) belum dikirim oleh {head}; terlambat "
        "{days} hari kerja dari tenggat {deadline}."
    ),
    "remind_step": (
        "⏰ Untuk {title}: langkah {step} ({name}) putaran {period} sudah melewati mutu baku "
        "{standard} (mulai {since}). Mohon ditindaklanjuti."
    ),
    # --- reports and archive ---------------------------------------------------------------
    "report_none_yet": "Belum ada konsep laporan untuk putaran yang berjalan.",
    "report_preview": "Pratinjau konsep laporan {period} versi {version}.",
    "archive_empty": "Belum ada putaran yang selesai (disetujui).",
    "archive_header": "🗄️ Arsip putaran yang sudah disetujui:",
    "archive_line": "• {period} — selesai {closed}",
    "btn_archive": "⬇️ ZIP {period}",
    "archive_caption": (
        "Arsip {period}: laporan, bukti per seksi, notulen, dan daftar isi berkas dengan kode "
        "verifikasi masing-masing (manifest.json)."
    ),
    "archive_not_approved": "Putaran {period} belum disetujui; arsip dibuat setelah paraf Sekretaris.",
    "archive_unknown_round": "Putaran nomor {round} tidak ditemukan.",
    "archive_written": "Arsip ditulis ke {path}",
    # --- WhatsApp -----------------------------------------------------------------------
    "wa_updated_choices": "Pilihan diperbarui:",
    "wa_list_button": "Pilih",
    "wa_list_title": "Pilihan",
    "wa_numbered": "Balas dengan angka pilihan Bapak/Ibu:",
    "wa_no_template": (
        "di luar jendela 24 jam WhatsApp dan template pengingat belum diatur "
        "(WHATSAPP_TEMPLATE_REMINDER)"
    ),
    "wa_rerouted": "{reason}; dialihkan ke Telegram",
    "wa_daily_limit": (
        "batas harian WhatsApp tercapai ({limit} orang di luar jendela 24 jam dalam 24 jam "
        "terakhir)"
    ),
    "wa_template_default": "Ada pesan baru dari bot SAKIP.",
    "wa_link_code_ok": "Nomor WhatsApp ini sekarang terhubung dengan {name}.",
    # --- status -------------------------------------------------------------------------
    "round_state_now": "Tahap sekarang: {state}.",
    "used_minutes": "{m} menit",
    "used_hours": "{h} jam",
    "used_hours_minutes": "{h} jam {m} menit",
    "used_days": "{d} hari kerja",
    "used_within_minute": "kurang dari 1 menit",
    "used_within_day": "kurang dari 1 hari kerja",
    "status_no_round": "Tidak ada putaran pengumpulan data yang berjalan.",
    "status_header": "📊 Putaran {period}\nTahap: {state}",
    "status_sections": "Seksi:",
    "status_section": "{icon} {section}{mine}: {status}; tenggat {deadline}{late}",
    "status_mine": " (seksi Bapak/Ibu)",
    "status_late": " — terlambat {days} hari kerja",
    "status_steps": "Langkah SOP:",
    "status_step": "{n}. {name} (mutu baku {standard}): {state}",
    "status_step_running": "berjalan, batas {due}",
    "status_step_overdue": " — MELEWATI MUTU BAKU",
    "status_step_on_time": "selesai tepat waktu",
    "status_step_waiting": "belum dimulai",
    "status_step_scheduled": "rapat dijadwalkan {when}",
    "status_step_revisions": " — sampai Revisi ke-{n}",
    "status_step_late": "selesai terlambat",
    "status_undelivered": "⚠️ {n} pesan tidak terkirim:",
    "status_undelivered_line": "• {who}, {when}: {error}",
    # --- office file validation (sakip-bot office import) ------------------------------
    "cli_import_failed_many": "Impor {file} gagal, tidak ada yang diubah; {n} kesalahan:",
    "cli_import_db_refused": (
        "Impor {file} gagal, tidak ada yang diubah: basis data menolak data ini ({error})"
    ),
    # --- settings and database at start-up ------------------------------------------------
    "cli_db_unreachable": (
        "Konfigurasi salah — DATABASE_URL: basis data {url} tidak dapat dibuka ({error}). "
        "Periksa alamat server, port, nama basis data, pengguna dan sandi, dan bahwa "
        "server basis data berjalan."
    ),
    # --- numbers typed into the form -----------------------------------------------------
    "number_too_large": (
        "Angka terlalu besar: paling banyak {digits} angka sebelum koma. Periksa kembali "
        "jawabannya, misalnya 87,5 atau 1.250."
    ),
    # --- group binding across offices ---------------------------------------------------
    "group_bound_other": (
        "Grup ini sudah terdaftar sebagai grup Tim SAKIP {office}, jadi tidak didaftarkan "
        "untuk kantor Bapak/Ibu. Pakai grup lain, atau minta admin {office} melepasnya dahulu "
        "dengan /lepasgrup."
    ),
    "group_release_refused": "Maaf, hanya admin yang dapat melepas grup Tim SAKIP.",
    "group_not_bound": "Grup ini belum terdaftar sebagai grup Tim SAKIP kantor mana pun.",
    "group_release_other": (
        "Grup ini adalah grup Tim SAKIP {office}; hanya admin {office} yang dapat melepasnya."
    ),
    "group_released": (
        "Grup ini tidak lagi menjadi grup Tim SAKIP {office}. Pengumuman tidak dikirim ke "
        "sini lagi; daftarkan grup baru dengan /daftargrup."
    ),
    # --- capaian wording (reports helper): the target status and the band, one way everywhere
    "capaian_target_met": "mencapai target",
    "capaian_target_not_met": "belum mencapai target",
    # in chat, plainly against the target; the category band is for the documents
    # the Mini App's page (bot/features/sheet.py) still words a capaian with its band
    "capaian_words": "{status}, kategori capaian {band}",
    "capaian_chat": "capaian {capaian} — {status}",
    "capaian_chat_none": "capaian belum dapat dihitung",
    "capaian_icon_met": "✅",
    "capaian_icon_not_met": "⚠️",
    "capaian_icon_none": "➖",
    "archive_minutes_text": "Notulen rapat intern (revisi versi {version}), teks dari /notulen",
    # --- the kabupaten's view: /rekap, weekly digest, /dasbor (issue 16) -------------------
    "rekap_header": "📋 Rekap pengumpulan data kinerja {period}\n{n} kecamatan yang Bapak/Ibu pantau:",
    "rekap_office": "🏢 {office} — {state}",
    "rekap_office_none": "   Belum ada putaran untuk periode ini.",
    "rekap_office_numbers": "   Capaian rata-rata {capaian}; seksi terlambat: {late}",
    "rekap_none_late": "tidak ada",
    "rekap_office_steps": "   Langkah SOP (✅ sesuai mutu baku, ⚠️ terlambat, ⏳ berjalan): {steps}",
    "rekap_caption": "Rekap {period}: capaian dan ketepatan waktu {n} kecamatan.",
    "rekap_xlsx_caption": "Indikator, seksi dan langkah SOP semua kecamatan (XLSX).",
    "rekap_footer": (
        "Rekap mingguan: {digest} (/rekap berhenti atau /rekap mulai). "
        "Rincian per putaran di dasbor: /dasbor"
    ),
    "rekap_bad_period": (
        'Periode "{text}" tidak dikenali. Contoh: /rekap Triwulan III 2026 atau /rekap 2026.'
    ),
    "rekap_no_offices": (
        "Belum ada kecamatan dalam cakupan pemantauan Bapak/Ibu. Mohon hubungi admin kabupaten."
    ),
    "rekap_digest_stopped": (
        "Rekap mingguan dihentikan. Ketik /rekap mulai untuk menerimanya lagi."
    ),
    "rekap_digest_started": (
        "Rekap mingguan aktif: dikirim pada pagi hari kerja pertama setiap minggu. "
        "Ketik /rekap berhenti untuk berhenti."
    ),
    "digest_header": ("🗓️ Rekap mingguan {period}\n{n} kecamatan yang Bapak/Ibu pantau:"),
    "digest_footer": "Berhenti menerima rekap mingguan: /rekap berhenti. Dasbor: /dasbor",
    "dasbor_off": "Dasbor web belum diaktifkan di bot ini (DASHBOARD_URL). Hubungi admin.",
    "dasbor_nothing": "Tidak ada kantor yang dapat Bapak/Ibu lihat di dasbor.",
    "dasbor_link": (
        "🔐 Tautan masuk dasbor SAKIP (berlaku {minutes} menit, sekali pakai):\n{url}\n\n"
        "Jangan teruskan tautan ini kepada orang lain."
    ),
    # --- the web dashboard (handlers/dashboard.py), issue 16 ------------------------------
    "dash_title": "Dasbor SAKIP",
    "dash_signed_in_as": "Masuk sebagai {name} — {roles}",
    "dash_sign_out": "Keluar",
    "dash_sign_in_title": "Masuk ke Dasbor SAKIP",
    "dash_sign_in_text": (
        "Bapak/Ibu akan masuk sebagai {name}. Tautan ini hanya dapat dipakai sekali."
    ),
    "dash_sign_in_button": "Masuk ke dasbor",
    "dash_need_sign_in": (
        "Bapak/Ibu belum masuk, atau sesinya sudah berakhir. Ketik /dasbor di chat bot SAKIP "
        "untuk mendapatkan tautan masuk baru."
    ),
    "dash_link_unknown": "Tautan masuk ini tidak dikenal. Ketik /dasbor di chat bot untuk tautan baru.",
    "dash_link_used": (
        "Tautan masuk ini sudah dipakai. Setiap tautan hanya berlaku sekali; ketik /dasbor "
        "di chat bot untuk tautan baru."
    ),
    "dash_link_expired": (
        "Tautan masuk ini sudah kedaluwarsa (berlaku 10 menit sampai {expires}). Ketik /dasbor "
        "di chat bot untuk tautan baru."
    ),
    "dash_refused_title": "Tidak dapat dibuka",
    "dash_forbidden": "Halaman ini bukan wewenang Bapak/Ibu atau tidak ditemukan.",
    "dash_offices": "Kecamatan",
    "dash_period": "Periode",
    "dash_show": "Tampilkan",
    "dash_state": "Tahap",
    "dash_capaian": "Capaian rata-rata",
    "dash_late_sections": "Seksi terlambat",
    "dash_capaian_one": "Capaian",
    "dash_steps_on_time": "Langkah SOP sesuai mutu baku",
    "dash_open": "Buka",
    "dash_no_round": "belum ada putaran",
    "dash_rounds": "Putaran pengumpulan data",
    "dash_started": "Dimulai",
    "dash_closed": "Selesai",
    "dash_back": "← Kembali",
    "dash_steps": "Langkah SOP dibanding mutu baku",
    "dash_step": "Langkah",
    "dash_actor": "Pelaksana",
    "dash_standard": "Mutu baku",
    "dash_duration": "Durasi",
    "dash_timing": "Ketepatan",
    "dash_on_time": "Tepat waktu",
    "dash_late": "Terlambat",
    "dash_running": "Berjalan",
    "dash_sections": "Capaian per seksi",
    "dash_section": "Seksi",
    "dash_head": "Kepala",
    "dash_deadline": "Tenggat",
    "dash_late_days": "{days} hari kerja",
    "dash_status": "Status",
    "dash_indicators": "Capaian per indikator",
    "dash_indicator": "Indikator",
    "dash_target": "Target",
    "dash_realisation": "Realisasi",
    "dash_category": "Kategori",
    "dash_files": "Berkas",
    "dash_report_version": "Laporan versi {version}",
    "dash_final": "final, disetujui",
    "dash_draft": "konsep",
    "dash_archive": "Arsip ZIP (laporan, bukti, notulen)",
    "dash_no_files": "Belum ada laporan.",
    "dash_files_not_allowed": (
        "Berkas laporan hanya untuk Camat, Sekretaris, Kasubag Program, Tim SAKIP, admin, "
        "dan pemantau kabupaten."
    ),
    "dash_charts": "Grafik",
    "dash_no_offices": "Tidak ada kantor yang dapat Bapak/Ibu lihat.",
    "dash_not_found_title": "Tidak ditemukan",
    "dash_not_found": (
        "Alamat ini tidak menunjuk ke halaman atau berkas mana pun. Silakan Bapak/Ibu kembali "
        "ke halaman utama dasbor."
    ),
    "dash_bad_method": "Halaman ini tidak dapat dibuka dengan cara ini.",
    "dash_cross_site": (
        "Permintaan ini dikirim dari situs lain, jadi ditolak demi keamanan akun Bapak/Ibu. "
        "Silakan buka tautan masuk langsung dari chat bot SAKIP (ketik /dasbor untuk tautan "
        "baru), atau keluar lewat tombol Keluar di dasbor."
    ),
    "dasbor_link_sent": "(tautan masuk sudah terkirim; tidak disimpan)",
    # --- form: fewer taps, clearer words (issue 14) ---------------------------------------
    "form_ask_value": (
        "Ketik realisasinya, misalnya 87,5 (penjelasan boleh langsung sesudah angka). "
        "📎 Bukti foto/dokumen boleh dikirim kapan saja."
    ),
    "form_try_again": "Silakan ketik lagi realisasinya.",
    "form_current": "Tersimpan: {value} ({capaian}).",
    "form_saved_explanation": "Penjelasan tersimpan: {text}",
    "form_keep_hint": "Ketik angka baru, atau tekan Tetap.",
    "form_keep_explain_hint": "Ketik penjelasan baru, atau tekan Tetap (atau ketik -).",
    "form_saved_value": "{icon} {code}: {value} → {capaian}.",
    "form_kept_value": "{icon} {code} tetap {value} → {capaian}.",
    "form_with_explanation": "Penjelasan tersimpan.",
    "form_ask_explain_required": (
        "✍️ Capaian {code} di bawah 100%: tuliskan penjelasan dan kendalanya (wajib)."
    ),
    "form_ask_explain": "✍️ Tuliskan penjelasan untuk {code}.",
    "form_explain_saved": "✅ Penjelasan {code} tersimpan.",
    "form_explain_kept": "✅ Penjelasan {code} tetap.",
    "form_explain_none": "✅ {code} tanpa penjelasan.",
    "form_note": "↩️ Catatan {note}",
    "form_note_indicator": "✏️ Catatan {note}",
    "note_by": "{who}: {note}",
    "form_file_saved": "📎 Bukti {code} diterima: {name}{desc} ({count} file untuk {code}).",
    "form_file_desc": " — \u201c{text}\u201d",
    "form_file_move_hint": "Bukan bukti indikator ini? Tekan indikator yang benar:",
    "form_file_moved": "↪️ Dipindahkan dari {was} ke {code}.",
    "form_file_which": "📎 File {name} diterima. Ini bukti untuk indikator mana?",
    "btn_move_file": "Pindahkan ke {code}",
    "sum_file": "   📎 {name}{desc}",
    "btn_keep": "✅ Tetap {value}",
    "btn_keep_explain": "✅ Tetap",
    "btn_no_explain": "Tanpa penjelasan ➡️",
    "btn_add_explain": "✍️ Penjelasan {code}",
    "btn_later": "⏭️ Isi nanti",
    # --- status after a round (issue 14) --------------------------------------------------
    "status_last_approved": (
        "Putaran terakhir: {period}, laporan versi {version} disetujui {when}. "
        "Capaian rata-rata: {capaian}."
    ),
    "status_last_cancelled": "Putaran terakhir: {period}, dibatalkan {when}.",
    "status_point_archive": "• Laporan final dan bukti dukung: /arsip",
    "status_point_report": "• Pratinjau konsep laporan putaran berikutnya: /laporan",
    # --- meeting and minutes (issue 14) ---------------------------------------------------
    "minutes_reminder": (
        "📝 Laporan {period} versi {version} sudah disusun, tetapi notulen rapat intern belum "
        "dicatat. Catat dengan /notulen sebelum Bapak/Ibu memaraf versi {version}."
    ),
    # --- WhatsApp as Meta sends it in 2026: every message type, BSUIDs (issue 17) -----------
    "wa_not_used": (
        "{what} tidak digunakan di sini. Kirim jawaban sebagai teks, foto atau dokumen, "
        "atau ketik /bantuan."
    ),
    "wa_kind_sticker": "Stiker",
    "wa_kind_reaction": "Reaksi",
    "wa_kind_audio": "Pesan suara dan audio",
    "wa_kind_location": "Lokasi",
    "wa_kind_contacts": "Kartu kontak",
    "wa_kind_order": "Pesanan",
    "wa_kind_flow": "Formulir WhatsApp (Flow)",
    "wa_kind_other": "Jenis pesan ini",
    "wa_edit_saved": (
        "Pesan yang Bapak/Ibu ubah sudah diterima sebelumnya dan jawabannya sudah tersimpan; "
        "perubahannya tidak dibaca bot. Kirim ulang jawabannya untuk mengubah."
    ),
    "wa_edit_unknown": ("Perubahan pesan tidak dibaca bot. Kirim jawabannya sebagai pesan baru."),
    "wa_revoke_saved": (
        "Pesan yang Bapak/Ibu hapus sudah diterima sebelumnya dan jawabannya tetap tersimpan. "
        "Kirim ulang jawabannya untuk mengubah."
    ),
    "wa_choices_again": (
        "Pesan pilihan tadi tidak dapat ditampilkan di WhatsApp Bapak/Ibu. Pilihannya:"
    ),
    "wa_no_choices": "Pesan tadi tidak dapat ditampilkan di WhatsApp Bapak/Ibu. Ketik /bantuan.",
    "wa_bsuid_refused": (
        "WhatsApp menolak pesan ini untuk akun tanpa nomor telepon (hanya nama pengguna), "
        "dan nomor teleponnya tidak diketahui"
    ),
    # --- the form on one screen: a Telegram Mini App beside the chat (issue 33) ----------
    "btn_open_sheet": "🧾 Buka formulir",
    "sheet_title": "Formulir data kinerja",
    "sheet_loading": "Memuat formulir…",
    "sheet_deadline": "Tenggat: {deadline}",
    "sheet_target": "Target {period}: {target} {unit}",
    "sheet_direction_lower": "makin rendah makin baik",
    "sheet_value": "Realisasi ({unit})",
    "sheet_value_hint": "contoh: 87,5 atau 1.250",
    "sheet_explain": "Penjelasan",
    "sheet_explain_required": "Penjelasan (wajib: target belum tercapai)",
    "sheet_explain_add": "✍️ Tambah penjelasan",
    "sheet_files": "Bukti dukung",
    "sheet_file_pick": "📎 Foto atau berkas",
    "sheet_file_caption": "Keterangan bukti (boleh kosong)",
    "sheet_confirm_ok": "Ya, angka ini benar",
    "sheet_not_number": "Bukan angka. Tulis misalnya 87,5 atau 1.250.",
    "sheet_explain_short": "Penjelasan terlalu pendek. Tuliskan paling sedikit satu kalimat singkat.",
    "sheet_save": "💾 Simpan",
    "sheet_submit": "📤 Kirim ke Kasubag Program",
    "sheet_saving": "Menyimpan…",
    "sheet_close": "Tutup",
    "sheet_offline": "Tidak tersambung ke server. Isian Bapak/Ibu masih di halaman ini; coba lagi.",
    "sheet_unknown": (
        "Formulir ini tidak dikenal. Tutup halaman ini, lalu tekan Buka formulir pada pesan "
        "terbaru di Telegram."
    ),
    "sheet_no_telegram": ("Halaman ini hanya dapat dibuka dari tombol Buka formulir di Telegram."),
    "sheet_auth_failed": (
        "Formulir tidak dapat memastikan siapa Bapak/Ibu. Tutup halaman ini, lalu buka lagi "
        "dari tombol Buka formulir di Telegram."
    ),
    "sheet_auth_expired": (
        "Halaman ini sudah terlalu lama terbuka. Tutup, lalu tekan Buka formulir lagi di "
        "Telegram; isian yang sudah disimpan tetap ada."
    ),
    "sheet_busy": "Permintaan Bapak/Ibu masih diproses. Tunggu sebentar, lalu coba lagi.",
    "sheet_saved": "💾 Tersimpan: {n} indikator. Bapak/Ibu dapat melanjutkan kapan saja, di sini atau di chat.",
    "sheet_unchanged": "Tidak ada isian yang berubah.",
    "sheet_missing": (
        "Belum dapat dikirim: {codes} belum lengkap (realisasi, dan penjelasan bila target "
        "belum tercapai)."
    ),
    "sheet_field_error": "{code}: {error}",
    "sheet_file_lost": "Berkas tidak sampai ke server. Pilih dan unggah lagi.",
    "sheet_sent_from_app": "Dikirim dari formulir (Mini App).",
}

HELP: dict[str, str] = {
    "start": "mulai / tampilkan sambutan",
    "bantuan": "daftar perintah sesuai peran Bapak/Ibu",
    "saya": "data diri Bapak/Ibu menurut bot (peran, seksi, penugasan Plt/Plh)",
    "daftargrup": "daftarkan grup ini sebagai grup Tim SAKIP (kirim di grup)",
    "lepasgrup": "lepaskan grup ini dari kantor Bapak/Ibu (kirim di grup)",
    "minta": "perintahkan pengumpulan data kinerja (langkah 1)",
    "isi": "isi formulir data kinerja seksi Bapak/Ibu",
    "status": "keadaan putaran pengumpulan data yang berjalan",
    "tenggat": "ubah tenggat seksi selama pengumpulan berjalan",
    "kompilasi": "susun konsep laporan dengan data yang sudah masuk",
    "notulen": "catat notulen rapat internal (langkah 6)",
    "laporan": "pratinjau konsep laporan (PDF, XLSX, grafik)",
    "arsip": "arsip putaran yang sudah selesai",
    "rekap": "rekap semua kecamatan yang Bapak/Ibu pantau (grafik, XLSX); berhenti/mulai rekap mingguan",
    "dasbor": "tautan masuk dasbor web (sekali pakai, 10 menit)",
}


def t(key: str, **values: object) -> str:
    """The text `key` with `values` filled in."""
    return TEXTS[key].format(**values)
