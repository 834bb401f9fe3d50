"""A whole round of the SOP through the local Bot API, every role a separate Telegram user:
request, team, plan, five sections answering (one with files, one late, one returned once),
compile, one revision loop, approval, and the Camat's result."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.procedure.sop import RoundState
from db.models import (
    Answer,
    Attachment,
    AuditLog,
    CollectionRound,
    Decision,
    Indicator,
    Meeting,
    ReportVersion,
    RoundStep,
    Submission,
)
from tests import flows
from tests.flows import VALUES
from tests.harness import GROUP_ID, Harness

PDF = b"%PDF-1.4\n% bukti kegiatan pembinaan\n" + b"0" * 2000
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"1" * 3000


async def test_full_round_every_role(harness: Harness):
    h = harness
    o = await flows.setup_office(h)

    # Step 1 — the Camat orders the collection
    await h.say(o.camat, "/minta")
    assert "Triwulan III 2026" in h.buttons(o.camat)
    await h.press(o.camat, "Triwulan III 2026")
    await h.press(o.camat, "Lanjut")
    await h.press(o.camat, "3 hari kerja")
    assert "Ringkasan permintaan" in h.last(o.camat)
    h.clock.advance(minutes=5)
    await h.press(o.camat, "✅ Kirim")
    group = h.texts(GROUP_ID)
    assert any(
        "Permintaan pengumpulan data kinerja" in m and "Triwulan III 2026" in m for m in group
    )
    assert "Langkah 2" in h.last(o.sek)

    # Step 2 — the Sekretaris forms the team (drops one member, keeps two)
    await h.press(o.sek, "✅ Rahmadi")
    assert any(b.startswith("⬜ Rahmadi") for b in h.buttons(o.sek))
    h.clock.advance(minutes=10)
    await h.press(o.sek, "💾 Simpan tim")
    assert any("Tim Penyusun SAKIP Triwulan III 2026 dibentuk" in m for m in h.texts(GROUP_ID))
    assert "Rahmadi" not in [m for m in h.texts(GROUP_ID) if "dibentuk" in m][0]
    for head in o.heads.values():
        assert "Putaran pengumpulan data kinerja Triwulan III 2026 dimulai" in h.last(head)

    # Step 3 — the Kasubag confirms the schedule (three working days: Thursday 16.00 WITA)
    assert "Langkah 3" in h.last(o.kasubag)
    await h.press(o.kasubag, "✅ Setujui jadwal")
    for head in o.heads.values():
        assert "Kamis, 26 November 2026 pukul 16.00 WITA" in h.last(head)

    # Step 4 — sections answer; Kasubag reviews
    await flows.fill_section(
        h,
        o.heads["pem"],
        VALUES["pem"],
        files=[(PDF, "daftar_hadir.pdf", "application/pdf"), (JPEG, "foto.jpg", "image/jpeg")],
    )
    assert "dikirim ke Kasubag Program" in h.last(o.heads["pem"])
    await flows.accept(h, o)
    assert "diterima" in h.last(o.heads["pem"])

    await flows.fill_section(h, o.heads["trantib"], VALUES["trantib"])
    await h.press(o.kasubag, "↩️ Kembalikan")
    await h.say(o.kasubag, "TRA-1: angka gangguan kamtibmas belum sesuai laporan Polsek.")
    assert "angka gangguan kamtibmas" in h.last(o.heads["trantib"])
    await h.press(o.heads["trantib"], "📝 Perbaiki")
    form = h.last(o.heads["trantib"])  # the named indicator, its saved answer, said once
    assert "indikator 1 dari 2" in form and "Tersimpan: 2 " in form
    assert form.count("angka gangguan kamtibmas") == 1
    assert "✏️ Catatan Kasubag Program: angka gangguan" in form
    await flows.answer(h, o.heads["trantib"], "3")
    await h.press(o.heads["trantib"], "📤 Kirim")
    await flows.accept(h, o)

    for key in ("kesos", "pu"):
        await flows.fill_section(h, o.heads[key], VALUES[key])
        await flows.accept(h, o)

    # PMD is late: it answers on Friday, one working day after the deadline
    h.clock.set(h.clock.now().replace(day=27, hour=1))
    await flows.fill_section(h, o.heads["pmd"], VALUES["pmd"])
    assert "Terlambat 1 hari kerja" in h.last(o.heads["pmd"])
    await flows.accept(h, o)

    # All accepted → draft v1 compiled and given to the Kasubag with the files
    kasubag_msgs = h.fake.messages(o.kasubag.chat)
    kinds = [m.kind for m in kasubag_msgs[-4:]]
    assert kinds == ["photo", "document", "document", "text"], kinds
    assert "versi 1" in h.last(o.kasubag)

    # Step 5 — the Kasubag sends the draft to the Sekretaris, who sets the meeting
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    sek_msgs = h.fake.messages(o.sek.chat)
    assert [m.kind for m in sek_msgs[-5:]] == ["photo", "document", "document", "text", "text"]
    assert all(b.startswith("Rapat pukul") for b in h.buttons(o.sek))

    # Step 6 — the internal meeting: invitations, minutes, a correction of one indicator
    await flows.hold_meeting(h, o, "Rapat membahas data PEM-2; Kasi Pemerintahan melengkapi bukti.")
    assert any("Rapat intern" in m for m in h.texts(GROUP_ID))
    assert any("Undangan Rapat intern" in m for m in h.texts(o.tim[0]))
    await flows.meeting_corrections(
        h, o, [("Seksi Pemerintahan", "PEM-2", "lampirkan daftar hadir pembinaan")]
    )
    assert "PEM-2: lampirkan daftar hadir" in h.last(o.heads["pem"])
    await h.press(o.heads["pem"], "📝 Perbaiki")
    form = h.last(o.heads["pem"])
    assert (
        "indikator 2 dari 3" in form
        and "Catatan Sekretaris Kecamatan: lampirkan daftar hadir" in form
    )
    assert form.count("lampirkan daftar hadir") == 1  # who asked for what, said once
    await flows.answer(
        h, o.heads["pem"], "7", files=[(PDF + b"v2", "daftar_hadir_v2.pdf", "application/pdf")]
    )
    assert "Ringkasan" in h.last(o.heads["pem"])
    await h.press(o.heads["pem"], "📤 Kirim")
    assert "Perbaikan dikirim tepat waktu" in h.last(o.heads["pem"])
    await flows.accept(h, o)
    assert "versi 2" in h.last(o.kasubag)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")

    # Step 7 — approval (paraf) and the Camat's result
    h.clock.advance(hours=1)
    await h.press(o.sek, "✅ Setujui")
    camat_msgs = h.fake.messages(o.camat.chat)
    assert [m.kind for m in camat_msgs[-3:]] == ["photo", "document", "text"]
    assert camat_msgs[-3].content and camat_msgs[-3].content[:8] == b"\x89PNG\r\n\x1a\n"
    assert camat_msgs[-2].content and camat_msgs[-2].content[:5] == b"%PDF-"
    assert "Capaian rata-rata" in (camat_msgs[-3].text or "")
    assert "disetujui" in h.last(o.camat)
    assert any("selesai" in m and "disetujui" in m for m in h.texts(GROUP_ID))

    # What the database holds
    with h.db.transaction() as s:
        rnd = s.scalar(select(CollectionRound))
        assert rnd.state == RoundState.APPROVED and rnd.open_key is None and rnd.closed_at
        versions = s.scalars(select(ReportVersion).order_by(ReportVersion.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert [v.status for v in versions] == ["revision", "approved"]
        approve = s.scalar(select(Decision).where(Decision.kind == "approve"))
        assert approve.content_hash == versions[1].content_hash
        assert approve.person_id == h.person(flows.NIP["sekretaris"]).id
        revise = s.scalar(select(Decision).where(Decision.kind == "revise"))
        assert revise.items[0]["code"] == "PEM-2"
        assert versions[0].content_hash != versions[1].content_hash
        subs = {sub.section.code: sub for sub in s.scalars(select(Submission))}
        assert subs["trantib"].returns == 1
        assert subs["pmd"].first_submitted_at > subs["pmd"].deadline
        assert all(sub.status == "accepted" for sub in subs.values())
        pem2 = s.scalar(select(Answer).join(Indicator).where(Indicator.code == "PEM-2"))
        assert pem2.realisation == 7
        tra1 = s.scalar(select(Answer).join(Indicator).where(Indicator.code == "TRA-1"))
        assert tra1.realisation == 3
        assert s.scalar(select(func.count()).select_from(Attachment)) == 3
        steps = s.scalars(select(RoundStep).order_by(RoundStep.id)).all()
        assert [st.step for st in steps] == [1, 2, 3, 4, 5, 6, 7]
        assert all(st.ended_at is not None for st in steps)
        assert steps[0].on_time and steps[1].on_time  # 5 and 10 minutes
        meeting = s.scalar(select(Meeting))
        assert "Kasi Pemerintahan" in (meeting.notulen or "")
        actions = {a for (a,) in s.execute(select(AuditLog.action))}
        assert {
            "round_requested",
            "team_formed",
            "plan_confirmed",
            "section_submitted",
            "section_returned",
            "section_accepted",
            "report_compiled",
            "report_submitted",
            "meeting_set",
            "report_revision",
            "minutes_recorded",
            "report_approved",
        } <= actions
    assert timedelta(0) < h.clock.now() - rnd.created_at
