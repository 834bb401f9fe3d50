"""Step 6's meeting and minutes, and /status once a round is over, as the office reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from bot.procedure.calendar import WorkCalendar
from bot.procedure.sop import meeting_slot
from bot.texts import t
from db.models import Meeting, RoundStep
from tests import flows
from tests.harness import Harness, tick

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


async def _to_meeting(h: Harness, o: flows.Office) -> None:
    await flows.request_round(h, o)
    await flows.form_team(h, o)
    await flows.confirm_plan(h, o)
    await flows.fill_all(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")


async def test_draft_at_dawn_proposes_the_meeting_at_opening_time(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 5, 45))
    await _to_meeting(h, o)
    assert h.buttons(o.sek)[0].startswith("Rapat pukul 08.00 WITA")
    await h.press(o.sek, "Rapat pukul 08.00 WITA")
    with h.db.transaction() as s:
        assert s.scalar(select(Meeting.meeting_at)) == wita(23, 8)


async def test_every_invited_member_is_reminded_before_the_meeting(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await _to_meeting(h, o)
    await h.press(o.sek, "Rapat pukul 09.30 WITA")
    invited = [o.kasubag, *o.tim]
    for person in invited:
        assert "Undangan Rapat intern" in h.last(person)
        assert h.fake.messages(person.chat)[-2].kind == "document"  # the draft
    h.clock.set(wita(23, 9, 16))
    await tick(h)
    for person in [*invited, o.sek]:
        assert (
            h.texts(person).count(
                t(
                    "meeting_reminder",
                    what="Rapat intern",
                    time="09.30 WITA",
                    period="Triwulan III 2026",
                )
            )
            == 1
        )
    assert not any("Rapat intern" in m for m in h.texts(o.heads["pem"]))


async def test_outcome_is_recorded_only_once_the_meeting_has_started(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await _to_meeting(h, o)
    await h.press(o.sek, "Rapat pukul 09.30 WITA")
    notice = await h.press(o.sek, "✅ Tanpa koreksi")
    assert notice and "dicatat setelah rapat dimulai" in notice
    with h.db.transaction() as s:
        assert s.scalar(select(Meeting.outcome)) is None
    h.clock.set(wita(23, 9, 50))
    await h.press(o.sek, "✅ Tanpa koreksi")
    assert "menunggu paraf" in h.last(o.sek)
    assert "/notulen" in h.last(o.sek)  # no minutes yet: said once, here


async def test_minutes_reminded_once_when_the_corrected_draft_is_compiled(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await _to_meeting(h, o)
    await flows.hold_meeting(h, o)
    await flows.meeting_corrections(h, o, [("Seksi Pemerintahan", "PEM-2", "lampirkan bukti")])
    await h.press(o.heads["pem"], "📝 Perbaiki")
    await flows.answer(h, o.heads["pem"], "7")
    await h.press(o.heads["pem"], "📤 Kirim")
    await flows.accept(h, o)
    reminder = t("minutes_reminder", version=2, period="Triwulan III 2026")
    assert h.texts(o.sek).count(reminder) == 1
    # the minutes can still be recorded, by the Sekretaris, before the paraf
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


async def test_step_6_actor_is_the_sekretaris_who_recorded_the_outcome(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await _to_meeting(h, o)
    await flows.hold_meeting(h, o, "Rapat membahas PEM-2; bukti dilengkapi.")
    with h.db.transaction() as s:
        assert s.scalar(select(RoundStep).where(RoundStep.step == 6)).ended_at is None
    await h.press(o.sek, "✅ Tanpa koreksi")
    with h.db.transaction() as s:
        step6 = s.scalar(select(RoundStep).where(RoundStep.step == 6))
        assert step6.ended_at is not None and step6.on_time
        assert step6.actor_id == h.person(flows.NIP["sekretaris"]).id
        assert s.scalar(select(Meeting.recorded_by_id)) == h.person(flows.NIP["kasubag"]).id


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
