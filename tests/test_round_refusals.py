"""Every refusal of the round: wrong person, wrong state, stale buttons, bad numbers, bad
files, a second round for the same period — a clear Indonesian answer, nothing changed."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.procedure.sop import RoundState
from bot.texts import t
from db.models import Answer, Attachment, CollectionRound, Indicator, Submission
from tests import flows
from tests.harness import Harness


async def test_second_round_for_the_same_period_points_at_the_first(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.request_round(h, o)
    await h.say(o.camat, "/minta")
    notice = await h.press(o.camat, "Triwulan III 2026")
    assert "Sudah ada putaran pengumpulan data untuk Triwulan III 2026" in notice
    assert "/status" in notice
    # typed instead of pressed: the same answer, as a message
    await h.say(o.camat, "/minta")
    replies = await h.say(o.camat, "TW 3 2026")
    assert "Sudah ada putaran pengumpulan data untuk Triwulan III 2026" in replies[0]
    with h.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CollectionRound)) == 1


async def test_wrong_person_and_wrong_role_are_refused(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    assert await h.say(o.heads["pem"], "/minta") == [t("not_allowed", roles="Camat")]
    await flows.request_round(h, o)
    # the Kasubag presses the Sekretaris' team button (forwarded or forged)
    mid, data = h.find_button(o.sek.chat, "💾 Simpan tim")
    notice = await h.press_data(o.kasubag, o.kasubag.chat, mid, data)
    assert notice == t("button_not_yours", name=h.person(flows.NIP["sekretaris"]).name)
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == RoundState.REQUESTED


async def test_old_buttons_after_the_moment_get_a_clear_answer(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.request_round(h, o)
    mid, data = h.find_button(o.sek.chat, "💾 Simpan tim")
    toggle_mid, toggle = h.find_button(o.sek.chat, "✅ Nurul")
    await flows.form_team(h, o)
    assert await h.press_data(o.sek, o.sek.chat, mid, data) == t("button_used")
    # a team toggle (reusable) pressed after the team was saved: the state moved on
    notice = await h.press_data(o.sek, o.sek.chat, toggle_mid, toggle)
    assert notice.startswith("Tombol ini sudah tidak berlaku karena tahap sudah berubah")
    assert "langkah 3" in notice
    assert await h.press_data(o.sek, o.sek.chat, mid, "tidak-ada") == t("button_unknown")


async def test_bad_numbers_are_refused_precisely_and_asked_again(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pem"]
    await h.say(head, "/isi")
    for bad in ("sembilan puluh", "12,3,4", "1.2.3", "-"):
        replies = await h.say(head, bad)
        assert len(replies) == 1 and "Silakan ketik lagi" in replies[0], replies
    with h.db.transaction() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Answer).where(Answer.realisation.is_not(None))
            )
            == 0
        )
    # a value that looks wrong (capaian above 150%) needs confirmation
    replies = await h.say(head, "200")
    assert "tidak seperti biasanya" in replies[-1]
    await h.press(head, "Ubah")
    replies = await h.say(head, "90%")
    assert replies[0].startswith("✅ PEM-1: 90% → capaian 100% — mencapai target")


async def test_too_large_and_wrong_type_files_are_refused_and_nothing_lost(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pem"]
    await h.say(head, "/isi")
    await h.say(head, "92,5")
    await h.say(head, "Kendala cuaca.")
    big = b"0" * (21 * 1024 * 1024)
    replies = await h.send_file(head, big, "scan_besar.pdf", "application/pdf")
    assert replies == [t("file_too_large", size_mb="21,0", max_mb=20)]
    replies = await h.send_file(head, b"MZ\x90\x00", "program.exe", "application/octet-stream")
    assert 'Jenis file "program.exe" tidak diterima' in replies[0]
    replies = await h.send_file(head, b"%PDF-1.4 ok", "bukti.pdf", "application/pdf")
    assert "Bukti PEM-2 diterima: bukti.pdf" in replies[0]  # the open question's indicator
    with h.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 1
        ans = s.scalar(select(Answer).join(Indicator).where(Indicator.code == "PEM-1"))
        assert str(ans.realisation) in ("92.5", "92.5000")


async def test_restart_in_the_middle_of_a_form_continues_at_the_same_question(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await h.say(head, "/isi")
    await flows.answer(h, head, "100")
    await h.say(head, "13")  # indicator 2's value saved, now asked for its explanation
    assert "penjelasan" in h.last(head).lower()
    await h.restart_bot()
    replies = await h.say(head, "Dua BUMDes baru belum berbadan hukum.")
    assert replies[-1].startswith("✅ Penjelasan PMD-2 tersimpan")
    assert "indikator 3 dari 4" in replies[-1]
    with h.db.transaction() as s:
        rows = {a.indicator_id: a for a in s.scalars(select(Answer))}
        vals = sorted(str(a.realisation) for a in rows.values() if a.realisation is not None)
        assert vals == ["100.0000", "13.0000"] or vals == ["100", "13"]
        sub = s.scalar(
            select(Submission).join(Submission.section).where(Submission.status == "in_progress")
        )
        assert sub is not None


async def test_command_out_of_order_gets_a_clear_answer(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    assert await h.say(o.heads["pem"], "/isi") == [t("form_no_round")]
    assert await h.say(o.kasubag, "/kompilasi") == [t("no_open_round")]
    assert await h.say(o.kasubag, "/notulen") == [t("minutes_no_meeting")]
