"""Step 6's meeting and minutes, and /status once a round is over, as the office reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from bot.calendar import WorkCalendar
from bot.sop import meeting_slot
from bot.texts import t
from db.models import Meeting, RoundStep
from tests import flows
from tests.harness import Harness

CAL = WorkCalendar()


def wita(day: int, hour: int, minute: int = 0) -> datetime:
    return CAL.at(date(2026, 11, day), time(hour, minute)).astimezone(UTC)


def test_meeting_proposed_in_the_next_working_hours_slot():
    def slot(day: int, hour: int, minute: int) -> str:
        return f"{CAL.local(meeting_slot(wita(day, hour, minute), CAL)):%a %H.%M}"

    assert slot(23, 5, 45) == "Mon 08.00"  # early morning: when the office opens
    assert slot(23, 9, 10) == "Mon 10.00"  # half an hour's notice, on the half hour
    assert slot(23, 15, 40) == "Tue 08.00"  # too late to meet before closing
    assert slot(27, 15, 20) == "Mon 08.00"  # Friday afternoon: Monday morning
    assert slot(28, 10, 0) == "Mon 08.00"  # Saturday


async def _to_revision(h: Harness, o: flows.Office) -> None:
    await flows.request_round(h, o)
    await flows.form_team(h, o)
    await flows.confirm_plan(h, o)
    await flows.fill_all(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await h.press(o.sek, "✏️ Revisi")
    await h.say(o.sek, "PEM-2: lampirkan daftar hadir pembinaan")


async def test_revision_at_dawn_proposes_the_meeting_at_opening_time(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 5, 45))
    await _to_revision(h, o)
    assert "Rapat pukul 08.00 WITA" in h.buttons(o.sek)
    await h.press(o.sek, "Rapat pukul 08.00 WITA")
    with h.db.transaction() as s:
        assert s.scalar(select(Meeting.meeting_at)) == wita(23, 8)


async def test_minutes_window_is_told_and_the_sekretaris_reminded_once(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await _to_revision(h, o)
    await h.press(o.sek, "Rapat pukul")
    told = t("minutes_until", next=2)
    assert told in h.last(o.kasubag)
    assert any(told in m for m in h.texts(flows.GROUP_ID))
    # the corrections come in and version 2 is compiled without minutes
    await h.press(o.heads["pem"], "📝 Perbaiki")
    await flows.answer(h, o.heads["pem"], "7")
    await h.press(o.heads["pem"], "📤 Kirim")
    await flows.accept(h, o)
    reminder = t("minutes_reminder", version=2, period="Triwulan III 2026")
    assert h.texts(o.sek).count(reminder) == 1
    # the minutes can still be recorded, by the Sekretaris, before deciding on version 2
    await h.say(o.sek, "/notulen")
    await h.say(o.sek, "Rapat 23/11: PEM-2 dikoreksi menjadi 7 kegiatan.")
    assert h.last(o.sek) == t("minutes_saved")
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    assert h.texts(o.sek).count(reminder) == 1
    with h.db.transaction() as s:
        meeting = s.scalar(select(Meeting))
        assert meeting.notulen and meeting.recorded_by_id == h.person(flows.NIP["sekretaris"]).id
    await h.press(o.sek, "✅ Setujui")
    assert await h.say(o.sek, "/notulen") == [t("minutes_no_meeting")]


async def test_step_6_actor_is_who_recorded_the_minutes(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await _to_revision(h, o)
    await h.press(o.sek, "Rapat pukul")
    await h.say(o.kasubag, "/notulen")
    await h.say(o.kasubag, "Rapat membahas PEM-2; bukti dilengkapi.")
    with h.db.transaction() as s:
        step6 = s.scalar(select(RoundStep).where(RoundStep.step == 6))
        assert step6.ended_at is not None
        assert step6.actor_id == h.person(flows.NIP["kasubag"]).id


async def test_status_after_approval_shows_the_last_round_and_where_its_report_is(
    harness: Harness,
):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await flows.complete_round(h, o)
    camat = await h.say(o.camat, "/status")
    assert len(camat) == 1
    text = camat[0]
    assert text.startswith(t("status_no_round"))
    assert "Putaran terakhir: Triwulan III 2026, laporan versi 1 disetujui" in text
    assert "Capaian rata-rata: " in text and "Capaian rata-rata: -" not in text
    assert "/arsip" in text and "/laporan" not in text  # the Camat cannot use /laporan
    kasubag = (await h.say(o.kasubag, "/status"))[0]
    assert "/arsip" in kasubag and "/laporan" in kasubag
