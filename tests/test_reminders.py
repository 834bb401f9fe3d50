"""Reminders and escalations with the controllable clock: the default schedule, quiet hours,
holidays, a moved deadline, cancelling on submission, and restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.fmt import format_datetime_id
from bot.procedure.sop import RoundState
from db.models import CollectionRound, Reminder
from tests import flows
from tests.flows import VALUES
from tests.harness import Harness, tick

WITA = "Asia/Makassar"


def wita(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A WITA wall-clock time in 2026 as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(WITA)).astimezone(UTC)


def reminders_for(h: Harness, user) -> list[str]:  # type: ignore[no-untyped-def]
    """The reminders and late notices a person got (a form's ⚠️ below-target line is not one)."""
    return [
        m for m in h.texts(user) if m.startswith("⏰") or (m.startswith("⚠️") and "terlambat" in m)
    ]


async def test_default_schedule_for_on_time_late_and_very_late_sections(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)  # Monday 23 Nov 08.00; deadline Thursday 26 Nov 16.00
    await flows.fill_section(h, o.heads["pem"], VALUES["pem"])  # on time, Monday
    with h.db.transaction() as s:
        pem = s.scalars(
            select(Reminder).where(
                Reminder.key.like("remind:1:1:%") | Reminder.key.like("escalate:1:1:%")
            )
        ).all()
        assert len(pem) == 5 and all(r.cancelled_at is not None for r in pem)
    assert not any(k.startswith("remind:1:1:") for k in h.rt.scheduler.jobs())

    # Wednesday 08.00 WITA: one working day before the deadline
    h.clock.set(wita(25, 8))
    await tick(h)
    for key in ("trantib", "pmd", "kesos", "pu"):
        assert reminders_for(h, o.heads[key]) == [
            f"⏰ Pengingat: data kinerja {_section(key)} (Triwulan III 2026) ditunggu paling "
            f"lambat Kamis, 26 November 2026 pukul 16.00 WITA."
        ]
    assert reminders_for(h, o.heads["pem"]) == []

    # Thursday 08.00: deadline morning; trantib then answers on time
    h.clock.set(wita(26, 8))
    await tick(h)
    assert "Hari ini tenggat" in reminders_for(h, o.heads["pmd"])[-1]
    await flows.fill_section(h, o.heads["trantib"], VALUES["trantib"])

    # Friday 08.00: late reminders, every working morning
    h.clock.set(wita(27, 8))
    await tick(h)
    assert "terlambat 1 hari kerja" in reminders_for(h, o.heads["pmd"])[-1]
    assert len(reminders_for(h, o.heads["trantib"])) == 2  # before + due, nothing after answering
    kesos_late = reminders_for(h, o.heads["kesos"])[-1]
    assert "Mohon segera diisi" in kesos_late
    # the Kasubag is told the morning a section is one working day late, as the guide says
    esc = [m for m in h.texts(o.kasubag) if "belum dikirim oleh" in m]
    assert {_section(k) for k in ("pmd", "kesos", "pu")} == {
        s for s in _sections() if any(s in m for m in esc)
    }
    assert all("terlambat 1 hari kerja" in m for m in esc)
    assert not any("belum dikirim" in m for m in h.texts(o.sek))
    await flows.fill_section(h, o.heads["kesos"], VALUES["kesos"])  # late by one day

    # Weekend: nothing. Monday 30 Nov: late again, and the Sekretaris is told (two days)
    h.clock.set(wita(28, 10))
    await tick(h)
    n_pmd = len(reminders_for(h, o.heads["pmd"]))
    h.clock.set(wita(30, 8))
    await tick(h)
    assert len(reminders_for(h, o.heads["pmd"])) == n_pmd + 1
    assert "terlambat 2 hari kerja" in reminders_for(h, o.heads["pmd"])[-1]
    sek_esc = [m for m in h.texts(o.sek) if "belum dikirim oleh" in m]
    assert {_section(k) for k in ("pmd", "pu")} == {
        s for s in _sections() if any(s in m for m in sek_esc)
    }
    assert all("terlambat 2 hari kerja" in m for m in sek_esc)

    # every reminder row was sent at most once, and the buttons open the form
    with h.db.transaction() as s:
        sent = s.scalars(select(Reminder).where(Reminder.sent_at.is_not(None))).all()
        assert len({r.key for r in sent}) == len(sent)
    await h.press(o.heads["pmd"], "📝 Isi sekarang")
    assert "indikator 1 dari 4" in h.last(o.heads["pmd"])


def _sections() -> list[str]:
    return [_section(k) for k in flows.SECTIONS]


def _section(key: str) -> str:
    return {
        "pem": "Seksi Pemerintahan",
        "trantib": "Seksi Ketenteraman dan Ketertiban Umum",
        "pmd": "Seksi Pemberdayaan Masyarakat dan Desa",
        "kesos": "Seksi Kesejahteraan Sosial",
        "pu": "Seksi Pelayanan Umum",
    }[key]


async def test_quiet_hours_move_a_step_reminder_to_the_next_working_morning(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 19, 45))  # Monday 19.45 WITA
    await flows.request_round(h, o)  # step 2's standard (30 min) ends at 20.15: quiet hours
    with h.db.transaction() as s:
        row = s.scalar(select(Reminder).where(Reminder.key.like("step:%:2:1")))
        assert row is not None
        assert format_datetime_id(row.due_at, WITA) == "Selasa, 24 November 2026 pukul 08.00 WITA"
    h.clock.set(wita(23, 22))
    await tick(h)
    assert not any("melewati mutu baku" in m for m in h.texts(o.sek))
    h.clock.set(wita(24, 8, 1))
    await tick(h)
    assert any("langkah 2 (Membentuk tim)" in m and "30 menit" in m for m in h.texts(o.sek))


async def test_holidays_inside_the_window_push_the_deadline(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(22, 9, month=12))  # Tuesday 22 Dec; 24 Dec cuti bersama, 25 Dec Natal
    await flows.start_collection(h, o)
    assert "Selasa, 29 Desember 2026 pukul 16.00 WITA" in h.last(o.heads["pu"])
    with h.db.transaction() as s:
        before = s.scalar(select(Reminder).where(Reminder.key == "remind:1:5:before"))
        assert format_datetime_id(before.due_at, WITA) == "Senin, 28 Desember 2026 pukul 08.00 WITA"


async def test_moved_deadline_replaces_the_jobs(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    job_before = {j.id: j.next_run_time for j in h.rt.scheduler.aps.get_jobs()}
    await h.say(o.kasubag, "/tenggat")
    await h.press(o.kasubag, "Seksi Pelayanan Umum")
    await h.say(o.kasubag, "4/12/2026")
    assert "Jumat, 4 Desember 2026 pukul 16.00 WITA" in h.last(o.heads["pu"])
    jobs = {j.id: j.next_run_time for j in h.rt.scheduler.aps.get_jobs()}
    assert (
        format_datetime_id(jobs["remind:1:5:before"], WITA)
        == "Kamis, 3 Desember 2026 pukul 08.00 WITA"
    )
    assert jobs["remind:1:5:before"] != job_before["remind:1:5:before"]
    assert jobs["remind:1:4:before"] == job_before["remind:1:4:before"]
    h.clock.set(wita(25, 8))
    await tick(h)
    assert reminders_for(h, o.heads["pu"]) == []
    assert len(reminders_for(h, o.heads["kesos"])) == 1


async def test_reminder_missed_while_down_is_sent_once_after_restart(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    await flows.start_collection(h, o)
    await h.settle()
    await h.stop_bot()
    h.clock.set(wita(25, 14))  # the Wednesday 08.00 reminder fell due while down
    await h.start_bot()
    await tick(h)
    assert len(reminders_for(h, o.heads["pu"])) == 1
    await h.restart_bot()
    await tick(h)
    assert len(reminders_for(h, o.heads["pu"])) == 1
    with h.db.transaction() as s:
        assert (
            s.scalar(select(Reminder).where(Reminder.key == "remind:1:5:before")).sent_at
            is not None
        )


async def test_step_reminders_lead_straight_to_the_form_or_decision(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))  # Monday 09.00 WITA
    await flows.request_round(h, o)
    h.clock.set(wita(23, 9, 31))  # step 2's standard of 30 minutes has passed
    await tick(h)
    assert "langkah 2 (Membentuk tim)" in h.last(o.sek)
    assert h.buttons(o.sek) == ["👥 Buka formulir tim"]
    await h.press(o.sek, "👥 Buka formulir tim")
    form = h.last(o.sek)
    assert form.startswith("Langkah 2 — Pembentukan tim") and o.camat.name in form
    assert h.buttons(o.sek)[-1] == "💾 Simpan tim"
    await flows.form_team(h, o)
    await flows.confirm_plan(h, o)
    await flows.fill_all(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await flows.hold_meeting(h, o)
    await h.press(o.sek, "✅ Tanpa koreksi")
    h.clock.set(wita(25, 9))  # the Sekretaris has not initialled for over a working day
    await tick(h)
    assert "langkah 7" in h.last(o.sek)
    assert h.buttons(o.sek) == ["✅ Setujui", "✏️ Revisi"]
    await h.press(o.sek, "✅ Setujui")  # on the reminder itself
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == RoundState.APPROVED
    assert "disetujui" in h.last(o.sek)
    # the reminder's button, pressed again after its moment, gets a clear answer
    notice = await h.press(o.sek, "✅ Setujui")
    assert notice is not None and "Tahap sekarang" in notice


async def test_the_meeting_outcome_is_asked_for_when_the_meeting_overruns(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await flows.start_collection(h, o)
    await flows.fill_all(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await h.press(o.sek, "Rapat pukul 09.30 WITA")
    h.clock.set(wita(23, 10, 1))  # the meeting's 30 minutes are over, no outcome yet
    await tick(h)
    assert "langkah 6 (Rapat intern dengan tim)" in h.last(o.sek)
    # the reminder due at 09.15, missed by this jump in time, is not sent after the start
    assert not any(m.startswith("⏰ Pengingat: Rapat intern") for m in h.texts(o.sek))
    assert h.buttons(o.sek) == ["✅ Tanpa koreksi", "✏️ Ada koreksi"]
    await h.press(o.sek, "✅ Tanpa koreksi")
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == RoundState.SUBMITTED


async def test_corrections_after_a_revision_have_a_deadline_and_reminders(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))  # Monday 09.00 WITA
    await flows.request_round(h, o)
    await flows.form_team(h, o)
    await flows.confirm_plan(h, o)
    await flows.fill_all(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await flows.hold_meeting(h, o)  # the meeting on Monday: corrections due Tuesday 16.00
    await flows.meeting_corrections(
        h, o, [("Seksi Pemerintahan", "PEM-2", "lampirkan daftar hadir pembinaan")]
    )
    pem = o.heads["pem"]
    assert "Batas perbaikan: Selasa, 24 November 2026 pukul 16.00 WITA" in h.last(pem)
    before = len(reminders_for(h, pem))

    h.clock.set(wita(24, 8, 1))
    await tick(h)
    new = reminders_for(h, pem)[before:]
    assert new == [
        "⏰ Hari ini batas perbaikan data kinerja Seksi Pemerintahan (Triwulan III 2026): "
        "Selasa, 24 November 2026 pukul 16.00 WITA."
    ]
    assert h.buttons(pem) == ["📝 Isi sekarang"]
    h.clock.set(wita(25, 8, 1))
    await tick(h)
    assert "Perbaikan data kinerja Seksi Pemerintahan" in reminders_for(h, pem)[-1]
    assert "terlambat 1 hari kerja" in reminders_for(h, pem)[-1]

    # the correction goes in: nothing more is sent
    await h.press(pem, "📝 Isi sekarang")
    await flows.answer(h, pem, "7")
    await h.press(pem, "📤 Kirim")
    late = "Perbaikan terlambat 1 hari kerja dari batas perbaikan."
    assert late in h.last(pem)
    assert any(late in m for m in h.texts(o.kasubag)[-3:])
    sent = len(reminders_for(h, pem))
    h.clock.set(wita(26, 8, 1))
    await tick(h)
    assert len(reminders_for(h, pem)) == sent
    with h.db.transaction() as s:
        pending = s.scalars(
            select(Reminder).where(
                Reminder.key.like("remind:%"),
                Reminder.sent_at.is_(None),
                Reminder.cancelled_at.is_(None),
            )
        ).all()
        assert pending == []
