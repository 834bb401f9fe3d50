"""Reminders and escalations (docs/design-notes.md, decision 4), the core's side: which reminder is due
when, for whom, and what it says. Rows in `reminder` are the truth; `scheduler/` keeps an
APScheduler job per pending row (job id = the row's key) and calls `fire` when one is due.

Defaults (per office in `office.config["reminders"]`): a section head is reminded one working
day before the deadline, on the deadline morning, and every working morning while late; the
Kasubag is told on the morning the section is one working day late, the Sekretaris at two.
The actor of steps 1, 2, 3, 5, 6 and 7 is reminded when the step runs past its SOP
standard; everyone invited to the internal meeting, 15 minutes before it. Quiet hours move a
reminder to the next working morning.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.core import note_reminder_changes
from bot.fmt import format_datetime_id, format_time_id
from bot.messaging import outbox
from bot.procedure.calendar import WorkCalendar
from bot.procedure.roles import Role, holders
from bot.procedure.rounds import OPEN_STATES, role_holders, submissions
from bot.procedure.sop import STEPS, RoundState, meeting_title
from bot.texts import t
from db.models import (
    ActionToken,
    CollectionRound,
    Meeting,
    Office,
    Person,
    Reminder,
    RoundStep,
    Submission,
)
from db.reads import RoundRead, SubmissionRead

if TYPE_CHECKING:
    from bot.core import Core, Ctx

DEFAULTS = {
    "before_days": 1,
    "on_due": True,
    "late_repeat": True,
    "escalate_kasubag": 1,
    "escalate_sekretaris": 2,
    "max_late": 10,
}
STEP_REMINDED = (1, 2, 3, 5, 6, 7)
MEETING_REMINDER = timedelta(minutes=15)  # how long before the internal meeting


def _config(office: Office) -> dict[str, Any]:
    return {**DEFAULTS, **(office.config or {}).get("reminders", {})}


def _morning(cal: WorkCalendar, d: Any) -> datetime:
    """Working-day morning (office start time) of local date `d`, as UTC."""
    return cal.start_of_day(d)


def _upsert(
    s: Session,
    rnd: CollectionRound | RoundRead,
    key: str,
    kind: str,
    due: datetime,
    cal: WorkCalendar,
    now: datetime,
    **payload: Any,
) -> None:
    """Create or move a pending reminder; one already sent is left alone."""
    due = cal.defer_for_quiet_hours(due)
    row = s.scalar(select(Reminder).where(Reminder.key == key))
    if row is None:
        s.add(
            Reminder(
                office_id=rnd.office_id,
                round_id=rnd.id,
                key=key,
                kind=kind,
                due_at=due,
                payload=payload,
                created_at=now,
            )
        )
    elif row.sent_at is None:
        row.due_at, row.cancelled_at, row.payload = due, None, payload
    s.flush()


def plan_section(ctx: Ctx, rnd: CollectionRound, sub: Submission) -> None:
    """A section's reminders for its deadline: before, on the day, then the first late one."""
    cfg, cal = _config(ctx.office), ctx.cal
    deadline_day = cal.local(sub.deadline).date()
    base = f"remind:{rnd.id}:{sub.section_id}"
    if cfg["before_days"]:
        before = cal.add_working_days(deadline_day, -int(cfg["before_days"]))
        due = _morning(cal, before)
        if due > ctx.now:
            _upsert(ctx.s, rnd, f"{base}:before", "section_before", due, cal, ctx.now, sub=sub.id)
    if cfg["on_due"]:
        due = _morning(cal, deadline_day)
        if due > ctx.now and due < sub.deadline:
            _upsert(ctx.s, rnd, f"{base}:due", "section_due", due, cal, ctx.now, sub=sub.id)
    if cfg["late_repeat"]:
        _plan_late(ctx.s, rnd, sub, 1, cal, ctx.now)
    for n, role in (
        (cfg["escalate_kasubag"], Role.KASUBAG_PROGRAM),
        (cfg["escalate_sekretaris"], Role.SEKRETARIS),
    ):
        if n:
            # the morning the section is n working days late (the deadline is the close of
            # its day, so the next working morning is one day late)
            day = cal.add_working_days(deadline_day, int(n))
            _upsert(
                ctx.s,
                rnd,
                f"escalate:{rnd.id}:{sub.section_id}:{role.value}",
                "escalate",
                _morning(cal, day),
                cal,
                ctx.now,
                sub=sub.id,
                role=role.value,
                days=int(n),
            )


def _plan_late(
    s: Session,
    rnd: CollectionRound,
    sub: Submission,
    n: int,
    cal: WorkCalendar,
    now: datetime,
    fix: dict[str, Any] | None = None,
) -> None:
    """The n-th late reminder: for the section's deadline, or (with `fix`: the version and
    deadline of a revision) for the corrections the Sekretaris asked for."""
    deadline = datetime.fromisoformat(fix["deadline"]) if fix else sub.deadline
    day = cal.add_working_days(cal.local(deadline).date(), n)
    version = f"v{fix['version']}:" if fix else ""
    _upsert(
        s,
        rnd,
        f"remind:{rnd.id}:{sub.section_id}:{version}late{n}",
        "fix_late" if fix else "section_late",
        _morning(cal, day),
        cal,
        now,
        sub=sub.id,
        n=n,
        **({"fix": fix} if fix else {}),
    )


def plan_correction(
    ctx: Ctx, rnd: CollectionRound, sub: Submission, deadline: datetime, version: int
) -> None:
    """A section reopened by a revision: remind on the morning its corrections are due, then
    every working morning while late (cancelled, like the others, when it resubmits)."""
    cal, fix = ctx.cal, {"version": version, "deadline": deadline.isoformat()}
    due = _morning(cal, cal.local(deadline).date())
    if ctx.now < due < deadline:
        key = f"remind:{rnd.id}:{sub.section_id}:v{version}:due"
        _upsert(ctx.s, rnd, key, "fix_due", due, cal, ctx.now, sub=sub.id, fix=fix)
    if _config(ctx.office)["late_repeat"]:
        _plan_late(ctx.s, rnd, sub, 1, cal, ctx.now, fix=fix)


def plan_meeting(ctx: Ctx, rnd: CollectionRound, meeting: Meeting) -> None:
    """The internal meeting's reminder to everyone invited, shortly before it starts."""
    due = meeting.meeting_at - MEETING_REMINDER
    if due > ctx.now:
        key = f"meeting:{rnd.id}:{meeting.id}:before"
        _upsert(ctx.s, rnd, key, "meeting_before", due, ctx.cal, ctx.now, meeting=meeting.id)


def plan_round(ctx: Ctx, rnd: CollectionRound) -> None:
    for sub in submissions(ctx.s, rnd):
        plan_section(ctx, rnd, sub)


def plan_step(
    s: Session, rnd: CollectionRound | RoundRead, step: RoundStep, cal: WorkCalendar, now: datetime
) -> None:
    """The overrun reminder of a step: fires when the step passes its standard."""
    if step.step in STEP_REMINDED:
        _upsert(
            s,
            rnd,
            f"step:{rnd.id}:{step.step}:{step.iteration}",
            "step_overrun",
            step.due_at,
            cal,
            now,
            step=step.id,
        )


# Run on every [Kirim]: built once, run as a plain statement (no ORM objects loaded).
_CANCEL = (
    update(Reminder)
    .where(
        Reminder.round_id == bindparam("round"),
        Reminder.sent_at.is_(None),
        Reminder.cancelled_at.is_(None),
        Reminder.key.like(bindparam("a")) | Reminder.key.like(bindparam("b")),
    )
    .values(cancelled_at=bindparam("now"))
    .returning(Reminder.key)
)


def _cancel(s: Session, round_id: int, now: datetime, a: str, b: str | None = None) -> None:
    """Cancel the round's waiting reminders whose key matches pattern `a` or `b`; the
    scheduler hears of them after the commit, and rows this session already holds agree."""
    keys = set(
        s.connection()
        .execute(_CANCEL, {"round": round_id, "now": now, "a": a, "b": b or a})
        .scalars()
    )
    if not keys:
        return
    note_reminder_changes(s, dict.fromkeys(keys))
    for obj in list(s.identity_map.values()):
        if isinstance(obj, Reminder) and obj.key in keys:
            set_committed_value(obj, "cancelled_at", now)


def cancel_step(
    s: Session, rnd: CollectionRound | RoundRead, step: RoundStep, now: datetime
) -> None:
    """A step ended: its overrun reminder goes."""
    _cancel(s, rnd.id, now, f"step:{rnd.id}:{step.step}:{step.iteration}")


def cancel_section(
    ctx: Ctx, rnd: CollectionRound | RoundRead, sub: Submission | SubmissionRead
) -> None:
    """A section sent its reply: its reminders and escalations go."""
    section = f"{rnd.id}:{sub.section_id}:%"
    _cancel(ctx.s, rnd.id, ctx.now, f"remind:{section}", f"escalate:{section}")


def cancel_round(ctx: Ctx, rnd: CollectionRound) -> None:
    _cancel(ctx.s, rnd.id, ctx.now, "%")


def pending(s: Session) -> list[Reminder]:
    return list(
        s.scalars(
            select(Reminder).where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None))
        )
    )


def fire(core: Core, key: str) -> bool:
    """Send the reminder `key` if it is still due and still makes sense; at most once."""
    with core.db.transaction() as s:
        row = s.scalar(select(Reminder).where(Reminder.key == key).with_for_update())
        now = core.clock.now()
        if row is None or row.sent_at is not None or row.cancelled_at is not None:
            return False
        if row.due_at > now:
            return False  # moved later since the job was made; the scheduler re-syncs
        rnd = s.get(CollectionRound, row.round_id)
        office = s.get(Office, row.office_id)
        assert rnd is not None and office is not None
        cal = core.calendar_for(office)
        sent = _send(s, core, row, rnd, office, cal, now) if rnd.state in OPEN_STATES else False
        if sent:
            row.sent_at = now
        else:
            row.cancelled_at = now
        return sent


def _button(
    s: Session,
    office: Office,
    person_id: int,
    label: str,
    action: str,
    now: datetime,
    **payload: Any,
) -> list[str]:
    import secrets

    token = secrets.token_urlsafe(9)
    s.add(
        ActionToken(
            token=token,
            office_id=office.id,
            action=action,
            payload=payload,
            person_id=person_id,
            reusable=True,
            created_at=now,
        )
    )
    return [label, token]


def _step_buttons(
    s: Session, office: Office, person_id: int, step: RoundStep, now: datetime
) -> list[list[list[str]]]:
    """What a step reminder leads straight to: the step's own form or decision."""
    rnd, version = step.round_id, step.iteration
    round_row = s.get(CollectionRound, rnd)
    if step.step == 3 and round_row is not None and round_row.state != RoundState.TEAM_FORMED:
        return []  # step 3 runs on through the collection; the schedule is already set

    made = {
        2: [(t("btn_open_team"), "team_open", {"round": rnd})],
        3: [(t("btn_open_plan"), "plan_open", {"round": rnd})],
        5: [(t("btn_submit_to_sek"), "report_submit", {"round": rnd, "version": version})],
        6: [
            (t("btn_meeting_none"), "meeting_none", {"round": rnd}),
            (t("btn_meeting_fix"), "meeting_fix", {"round": rnd}),
        ],
        7: [
            (t("btn_approve"), "report_approve", {"round": rnd, "version": version}),
            (t("btn_revise"), "report_revise", {"round": rnd, "version": version}),
        ],
    }.get(step.step, [])
    row = [
        _button(s, office, person_id, label, action, now, **payload)
        for label, action, payload in made
    ]
    return [row] if row else []


def _send(
    s: Session,
    core: Core,
    row: Reminder,
    rnd: CollectionRound,
    office: Office,
    cal: WorkCalendar,
    now: datetime,
) -> bool:
    today, tz = cal.local(now).date(), office.timezone
    if row.kind == "step_overrun":
        step = s.get(RoundStep, row.payload["step"])
        if step is None or step.ended_at is not None:
            return False
        sop = STEPS[step.step]
        for h in holders(s, office.id, sop.actor, today):
            outbox.to_person(
                s,
                h.person,
                t(
                    "remind_step",
                    title=h.title,
                    step=sop.number,
                    name=sop.name,
                    standard=sop.standard_text,
                    since=format_datetime_id(step.started_at, tz),
                    period=rnd.period_label,
                ),
                now,
                buttons=_step_buttons(s, office, h.person.id, step, now),
            )
        return True
    if row.kind == "meeting_before":
        return _remind_meeting(s, row, rnd, office, now)
    sub = s.get(Submission, row.payload["sub"])
    if (
        sub is None
        or sub.status in ("submitted", "accepted")
        or rnd.state not in (RoundState.COLLECTING, RoundState.REVISION)
    ):
        return False
    fix = row.payload.get("fix")
    due_at = datetime.fromisoformat(fix["deadline"]) if fix else sub.deadline
    deadline = format_datetime_id(due_at, tz)
    late = cal.working_days_late(due_at, now)
    if row.kind == "escalate":
        role = Role(row.payload["role"])
        heads = holders(s, office.id, Role.KEPALA_SEKSI, today, sub.section_id)
        for h in holders(s, office.id, role, today):
            outbox.to_person(
                s,
                h.person,
                t(
                    "escalate",
                    title=h.title,
                    section=sub.section.name,
                    head=heads[0].person.name if heads else "-",
                    deadline=deadline,
                    days=late,
                    period=rnd.period_label,
                ),
                now,
            )
        return True
    key = {
        "section_before": "remind_before",
        "section_due": "remind_due",
        "section_late": "remind_late",
        "fix_due": "remind_fix_due",
        "fix_late": "remind_fix_late",
    }[row.kind]
    for h in holders(s, office.id, Role.KEPALA_SEKSI, today, sub.section_id):
        outbox.to_person(
            s,
            h.person,
            t(key, section=sub.section.name, period=rnd.period_label, deadline=deadline, days=late),
            now,
            buttons=[
                [
                    _button(
                        s,
                        office,
                        h.person.id,
                        t("btn_fill_now"),
                        "form_open",
                        now,
                        submission=sub.id,
                    )
                ]
            ],
        )
    n = int(row.payload.get("n", 1))
    if row.kind in ("section_late", "fix_late") and n < _config(office)["max_late"]:
        _plan_late(s, rnd, sub, n + 1, cal, now, fix=fix)
    return True


def _remind_meeting(
    s: Session, row: Reminder, rnd: CollectionRound, office: Office, now: datetime
) -> bool:
    """Shortly before the meeting: everyone invited, and the Sekretaris who set it."""
    meeting = s.get(Meeting, row.payload["meeting"])
    if meeting is None or meeting.outcome is not None or rnd.state != RoundState.MEETING:
        return False
    if now >= meeting.meeting_at:
        return False  # fired late (the bot was down): "in 15 minutes" would no longer be true
    n = int(
        s.scalar(
            select(func.count(Meeting.id)).where(
                Meeting.round_id == rnd.id, Meeting.id <= meeting.id
            )
        )
        or 1
    )
    what = meeting_title(n)
    for pid in dict.fromkeys([*(meeting.invited or []), meeting.set_by_id]):
        person = s.get(Person, pid) if pid else None
        if person is not None and person.active:
            text = t(
                "meeting_reminder",
                what=what,
                time=format_time_id(meeting.meeting_at, office.timezone),
                period=rnd.period_label,
            )
            outbox.to_person(s, person, text, now)
    return True


def remind_minutes(ctx: Ctx, rnd: CollectionRound, version: int) -> None:
    """The round went on (version `version` compiled) without the meeting's minutes: tell
    the Sekretaris once, while /notulen still takes them."""
    for h in role_holders(ctx, Role.SEKRETARIS):
        ctx.send(
            h.person,
            t("minutes_reminder", version=version, period=rnd.period_label),
            dedupe_key=f"minutes:{rnd.id}:{version}:{h.person.id}",
        )
