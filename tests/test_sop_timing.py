"""Which clock each SOP step runs on (bot/procedure/sop.py): a round done as planned keeps every
standard; a late section makes step 3 late, not step 4."""

from __future__ import annotations

from sqlalchemy import select

from db.models import RoundStep, Submission
from tests import flows
from tests.harness import Harness
from tests.test_meeting_status import wita


def _steps(h: Harness) -> list[RoundStep]:
    with h.db.transaction() as s:
        rows = s.scalars(select(RoundStep).order_by(RoundStep.id)).all()
        s.expunge_all()
        return list(rows)


async def test_round_done_as_planned_keeps_every_step_on_time(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))  # Monday
    await flows.request_round(h, o)
    h.clock.advance(minutes=10)
    await flows.form_team(h, o)  # step 3 starts: the collection window, 3 working days
    h.clock.set(wita(24, 9))  # the schedule is confirmed the next day, inside step 3
    await flows.confirm_plan(h, o)
    with h.db.transaction() as s:
        deadlines = set(s.scalars(select(Submission.deadline)))
    assert deadlines == {wita(26, 16)}  # Thursday 16.00: the end of step 3, not Friday
    (step3,) = [st for st in _steps(h) if st.step == 3]
    assert step3.due_at == wita(26, 16) and step3.ended_at is None
    assert [st.step for st in _steps(h)] == [1, 2, 3]  # step 4 waits for the replies
    h.clock.set(wita(26, 14))  # every section answers on the last day, on time
    for key in flows.SECTIONS[:-1]:
        await flows.fill_section(h, o.heads[key], flows.VALUES[key])
        await flows.accept(h, o)
    last = flows.SECTIONS[-1]
    await flows.fill_section(h, o.heads[last], flows.VALUES[last])
    step3, step4 = [st for st in _steps(h) if st.step in (3, 4)]
    assert step3.ended_at == wita(26, 14) and step3.on_time
    assert step3.actor_id == h.person(flows.NIP["kasubag"]).id  # who ran the collection
    assert step4.started_at == wita(26, 14) and step4.due_at == wita(27, 16)
    h.clock.set(wita(27, 9))  # Friday morning: the last review compiles the draft
    await flows.accept(h, o)
    await h.press(o.kasubag, "📤 Ajukan ke Sekretaris")
    await flows.hold_meeting(h, o)
    await h.press(o.sek, "✅ Tanpa koreksi")
    h.clock.advance(hours=2)
    await h.press(o.sek, "✅ Setujui")
    steps = _steps(h)
    assert [st.step for st in steps] == [1, 2, 3, 4, 5, 6, 7]
    assert all(st.on_time for st in steps), [(st.step, st.on_time) for st in steps]


async def test_a_late_section_makes_step_3_late_and_step_4_keeps_its_day(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await flows.start_collection(h, o)
    for key in flows.SECTIONS[:-1]:
        await flows.fill_section(h, o.heads[key], flows.VALUES[key])
        await flows.accept(h, o)
    h.clock.set(wita(27, 10))  # the last section a day late
    last = flows.SECTIONS[-1]
    await flows.fill_section(h, o.heads[last], flows.VALUES[last])
    h.clock.advance(hours=1)
    await flows.accept(h, o)
    by_step = {st.step: st for st in _steps(h)}
    assert by_step[3].on_time is False
    assert by_step[4].started_at == wita(27, 10) and by_step[4].on_time


async def test_compiling_before_every_reply_ends_steps_3_and_4(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    h.clock.set(wita(23, 9))
    await flows.start_collection(h, o)
    await flows.fill_section(h, o.heads["pem"], flows.VALUES["pem"])
    await flows.accept(h, o)
    await h.say(o.kasubag, "/kompilasi")
    by_step = {st.step: st for st in _steps(h)}
    assert by_step[3].ended_at is not None and by_step[4].ended_at is not None
    assert by_step[5].ended_at is None
