"""SOP step 6 in every round: a round approved at first reading still holds its internal
meeting (invitations, minutes, outcome), and every place that shows the steps shows the
SOP's seven, in order, each once. Corrections are timed by their own deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from io import BytesIO

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from bot.procedure.calendar import WorkCalendar
from bot.procedure.sop import STEPS
from bot.reports import labels as L
from bot.reports.rekap_data import build_rekap, rekap_texts
from db.models import CollectionRound, Meeting, Office, Person, ReportVersion, RoundStep, StoredFile
from tests import flows
from tests.harness import Harness

CAL = WorkCalendar()


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return CAL.at(date(2026, 11, day), time(hour, minute)).astimezone(UTC)


def _in_order(text: str, names: list[str]) -> bool:
    where = [text.find(name) for name in names]
    return -1 not in where and where == sorted(where)


async def test_a_round_approved_at_first_reading_holds_its_meeting_and_shows_seven_steps(
    harness: Harness,
):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await flows.complete_round(h, o)

    with h.db.transaction() as s:
        rnd = s.scalar(select(CollectionRound))
        assert rnd.state == "approved"
        meeting = s.scalar(select(Meeting))
        assert meeting.outcome == "none" and meeting.notulen
        invited = {s.get(Person, pid).nip for pid in meeting.invited}
        team = {s.get(Person, pid).nip for pid in rnd.team_ids}
        assert invited == (team | {flows.NIP["kasubag"]}) - {flows.NIP["sekretaris"]}
        steps = s.scalars(select(RoundStep).order_by(RoundStep.id)).all()
        assert [st.step for st in steps] == [1, 2, 3, 4, 5, 6, 7]
        step6 = steps[5]
        assert step6.started_at == meeting.meeting_at and step6.on_time
        final = s.scalar(select(ReportVersion))
        files = h.rt.core.files
        pdf = files.absolute(s.get(StoredFile, final.files["final_pdf"]))
        xlsx = files.absolute(s.get(StoredFile, final.files["final_xlsx"]))
        office = s.scalar(select(Office))
        rekap = build_rekap(s, [office], rnd.period, lambda _o: CAL, h.clock.now())
    # each section head hears how the round ended, with the section's capaian
    pem_done = h.last(o.heads["pem"])
    assert pem_done.startswith("🏁 Putaran Triwulan III 2026 selesai")
    assert "Capaian Seksi Pemerintahan: " in pem_done and "Capaian Seksi Pemerintahan: -" not in (
        pem_done
    )
    assert "dari 3 indikator mencapai target" in pem_done
    # each team member and the Kasubag was invited by direct message, with the draft
    for user in [o.kasubag, *o.tim]:
        if user.nip in invited:
            assert any(m.startswith("🗣️ Undangan Rapat intern") for m in h.texts(user))

    names = [f"{n}. {step.name}" for n, step in STEPS.items()]
    # /status after approval: the finished round's seven steps against their standards
    status = (await h.say(o.camat, "/status"))[0]
    lines = [line for line in status.splitlines() if line[:2] in {f"{n}." for n in STEPS}]
    assert [line[:2] for line in lines] == [f"{n}." for n in STEPS]
    assert all("selesai tepat waktu" in line for line in lines), lines
    # the PDF's timeline and the workbook's
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    timeline = text[text.index(L.TIMELINE) :]
    assert _in_order(timeline, [f"{n}. {step.name[:12]}" for n, step in STEPS.items()])
    sheet = load_workbook(BytesIO(xlsx.read_bytes()))[L.SHEET_TIMELINE]
    first = [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert [cell.split(".")[0] for cell in first] == [str(n) for n in STEPS]
    assert first == [n[: len(cell)] for n, cell in zip(names, first, strict=True)]
    # /rekap and the dashboard read the same seven
    assert [st.number for st in rekap[0].steps] == list(STEPS)
    said = "\n".join(rekap_texts(rekap, rnd.period, ""))
    assert "1✅ 2✅ 3✅ 4✅ 5✅ 6✅ 7✅" in said


async def test_a_correction_is_timed_by_its_own_deadline_on_time_and_late(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await flows.start_collection(h, o)
    await flows.fill_all(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await flows.hold_meeting(h, o)
    h.clock.set(wita(30, 9))  # the outcome on Monday 30: corrections due Tuesday 16.00
    await flows.meeting_corrections(
        h,
        o,
        [
            ("Seksi Pemerintahan", "PEM-2", "lampirkan daftar hadir pembinaan"),
            ("Seksi Kesejahteraan Sosial", "", "periksa kembali kedua angka"),
        ],
    )
    pem, kesos = o.heads["pem"], o.heads["kesos"]
    assert "Batas perbaikan: Selasa, 1 Desember 2026 pukul 16.00 WITA" in h.last(pem)

    # PEM corrects on Monday, a day before its correction deadline (a week after its first)
    await h.press(pem, "📝 Perbaiki")
    await flows.answer(h, pem, "7")
    await h.press(pem, "📤 Kirim")
    assert "Perbaikan dikirim tepat waktu." in h.last(pem)
    assert "Terlambat" not in h.last(pem)
    assert "Perbaikan dikirim tepat waktu." in h.texts(o.kasubag)[-1]
    await flows.accept(h, o)

    # KESOS corrects on Wednesday: one working day after its correction deadline
    h.clock.set(CAL.at(date(2026, 12, 2), time(10)).astimezone(UTC))
    await h.press(kesos, "📝 Perbaiki")
    await flows.answer(h, kesos, "97")
    await flows.answer(h, kesos, "70")
    await h.press(kesos, "📤 Kirim")
    late = "Perbaikan terlambat 1 hari kerja dari batas perbaikan."
    assert late in h.last(kesos)
    assert late in h.texts(o.kasubag)[-1]
