"""SOP step 2 (the Sekretaris forms the team) and step 3 (the Kasubag plans the schedule)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import Ctx
from bot.errors import UserError
from bot.features.sheet import open_button
from bot.fmt import format_datetime_id
from bot.procedure.roles import Role, title_for
from bot.procedure.rounds import (
    end_step,
    expect,
    get_round,
    move,
    open_step,
    role_holders,
    round_indicators,
    round_sections,
    start_step,
)
from bot.procedure.sop import RoundState
from bot.router import Pressed, router
from bot.texts import t
from db.models import CollectionRound, Person, PersonRole, Section, Submission


def candidates(ctx: Ctx) -> list[Person]:
    """Who can be on the team: the office's staff other than the Camat and the Sekretaris."""
    people = ctx.s.scalars(
        select(Person)
        .where(Person.office_id == ctx.who.office_id, Person.active.is_(True))
        .order_by(Person.id)
    ).all()
    return [p for p in people if not {r.role for r in p.roles} & {Role.CAMAT, Role.SEKRETARIS}]


def default_team(s: Session, office_id: int) -> list[int]:
    return list(
        s.scalars(
            select(Person.id)
            .join(PersonRole)
            .where(Person.office_id == office_id, PersonRole.role == Role.TIM_SAKIP)
            .order_by(Person.id)
        )
    )


def _team_buttons(ctx: Ctx, rnd: CollectionRound, who: Person) -> list[list[list[str]]]:
    chosen = set(rnd.team_ids or [])
    rows = [
        [
            ctx.button(
                ("✅ " if p.id in chosen else "⬜ ") + f"{p.name.split(',')[0]} — {p.position}",
                "team_toggle",
                person=who,
                reusable=True,
                round=rnd.id,
                member=p.id,
            )
        ]
        for p in candidates(ctx)
    ]
    rows.append([ctx.button(t("btn_save_team"), "team_save", person=who, round=rnd.id)])
    return rows


def send_team_form(ctx: Ctx, rnd: CollectionRound, sek: Person, title: str) -> None:
    """Step 2's message: a toggle per candidate, Tim SAKIP pre-selected, then [Simpan]."""
    if not rnd.team_ids:
        rnd.team_ids = default_team(ctx.s, rnd.office_id)
    camat = ctx.s.get(Person, rnd.requested_by_id)
    ctx.send(
        sek,
        t("team_ask", title=title, camat=camat.name if camat else "-", period=rnd.period_label),
        buttons=_team_buttons(ctx, rnd, sek),
    )


@router.action("team_open")
def act_team_open(ctx: Ctx, tok: Pressed) -> None:
    """From a step-2 reminder: the team form again, with the choices so far."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.REQUESTED)
    send_team_form(ctx, rnd, ctx.me, title_for(ctx.s, ctx.me, Role.SEKRETARIS, ctx.today))


@router.action("team_toggle")
def act_toggle(ctx: Ctx, tok: Pressed) -> None:
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.REQUESTED)
    team = set(rnd.team_ids or [])
    team ^= {tok.payload["member"]}
    rnd.team_ids = sorted(team)
    ctx.edit_pressed(buttons=_team_buttons(ctx, rnd, ctx.me))


@router.action("team_save")
def act_save(ctx: Ctx, tok: Pressed) -> None:
    """[Simpan]: announce the team, tell section heads, ask the Kasubag for the schedule."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.REQUESTED)
    if not rnd.team_ids:
        raise UserError(t("team_empty"))
    move(rnd, RoundState.TEAM_FORMED)
    end_step(ctx.s, rnd, 2, ctx.now, ctx.who.id)
    start_step(ctx.s, rnd, 3, ctx.now, ctx.cal)
    ctx.edit_pressed(buttons=[])
    members = ctx.s.scalars(
        select(Person).where(Person.id.in_(rnd.team_ids)).order_by(Person.id)
    ).all()
    names = "\n".join(f"• {p.name} — {p.position}" for p in members)
    ctx.audit("team_formed", round_id=rnd.id, team=rnd.team_ids)
    ctx.reply(t("team_saved", period=rnd.period_label, names=names))
    ctx.group(t("team_group", sek=ctx.who.name, period=rnd.period_label, names=names))
    for member in members:
        if member.id != ctx.who.id:
            ctx.send(member, t("team_member", period=rnd.period_label, sek=ctx.who.name))
    for section in round_sections(ctx.s, rnd):
        for h in role_holders(ctx, Role.KEPALA_SEKSI, section.id):
            ctx.send(
                h.person, t("team_section_head", period=rnd.period_label, section=section.name)
            )
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        send_plan(ctx, rnd, h.person)


# --- step 3: the schedule ---------------------------------------------------------------


def plan_deadlines(ctx: Ctx, rnd: CollectionRound) -> dict[int, datetime]:
    """Each section's deadline if the plan were confirmed now: its own override, otherwise
    the default working days, never past the Camat's proposed deadline."""
    overrides = rnd.plan or {}
    step3 = open_step(ctx.s, rnd, 3)  # the sections answer within step 3 (bot/procedure/sop.py)
    default = (
        step3.due_at
        if step3 is not None
        else ctx.cal.deadline_after(ctx.now, ctx.core.settings.default_section_days)
    )
    if rnd.proposed_deadline and rnd.proposed_deadline > ctx.now:
        default = min(default, rnd.proposed_deadline)
    return {
        section.id: datetime.fromisoformat(overrides[str(section.id)])
        if str(section.id) in overrides
        else default
        for section in round_sections(ctx.s, rnd)
    }


def _plan_message(ctx: Ctx, rnd: CollectionRound, who: Person) -> tuple[str, list[list[list[str]]]]:
    tz = ctx.who.timezone
    deadlines = plan_deadlines(ctx, rnd)
    sections = {s.id: s for s in round_sections(ctx.s, rnd)}
    lines = [
        t("plan_line", n=i, section=sections[sid].name, deadline=format_datetime_id(d, tz))
        for i, (sid, d) in enumerate(deadlines.items(), start=1)
    ]
    text = t(
        "plan_ask",
        period=rnd.period_label,
        table="\n".join(lines),
        days=ctx.core.settings.default_section_days,
        proposed=format_datetime_id(rnd.proposed_deadline, tz) if rnd.proposed_deadline else "-",
    )
    rows = [
        [
            ctx.button(
                t("btn_plan_edit", section=sections[sid].name),
                "plan_edit",
                person=who,
                reusable=True,
                round=rnd.id,
                section=sid,
            )
        ]
        for sid in deadlines
    ]
    rows.append([ctx.button(t("btn_plan_ok"), "plan_ok", person=who, round=rnd.id)])
    return text, rows


def send_plan(ctx: Ctx, rnd: CollectionRound, kasubag: Person) -> None:
    text, rows = _plan_message(ctx, rnd, kasubag)
    ctx.send(kasubag, text, buttons=rows)


@router.action("plan_open")
def act_plan_open(ctx: Ctx, tok: Pressed) -> None:
    """From a step-3 reminder: the proposed schedule again, with its buttons."""
    ctx.require(Role.KASUBAG_PROGRAM)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.TEAM_FORMED)
    send_plan(ctx, rnd, ctx.me)


@router.action("plan_edit")
def act_plan_edit(ctx: Ctx, tok: Pressed) -> None:
    ctx.require(Role.KASUBAG_PROGRAM)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.TEAM_FORMED, RoundState.COLLECTING, RoundState.REVISION)
    section = ctx.s.get(Section, tok.payload["section"])
    assert section is not None
    ctx.set_conversation("plan_edit", round=rnd.id, section=section.id)
    ctx.reply(t("plan_edit_ask", section=section.name))


@router.command("tenggat", Role.KASUBAG_PROGRAM)
def cmd_deadline(ctx: Ctx) -> None:
    """Move a section's deadline while the collection runs (its reminders move with it)."""
    from bot.procedure.rounds import current_round, submissions

    rnd = current_round(ctx)
    if rnd is None or rnd.state not in (RoundState.COLLECTING, RoundState.REVISION):
        raise UserError(t("deadline_no_collection"))
    rows = [
        [
            ctx.button(
                sub.section.name,
                "plan_edit",
                person=ctx.who,
                reusable=True,
                round=rnd.id,
                section=sub.section_id,
            )
        ]
        for sub in submissions(ctx.s, rnd)
        if sub.status not in ("submitted", "accepted")
    ]
    if not rows:
        raise UserError(t("deadline_all_in"))
    ctx.reply(t("deadline_choose"), buttons=rows)


def _parse_deadline(ctx: Ctx, text: str) -> datetime:
    from bot.features.request import parse_date_id

    if text.isdigit() and 1 <= int(text) <= 30:
        return ctx.cal.deadline_after(ctx.now, int(text))
    d = parse_date_id(text, ctx.today)
    if d is None:
        raise UserError(t("plan_bad_input", text=text))
    if d <= ctx.today or not ctx.cal.is_working_day(d):
        raise UserError(t("plan_bad_day", text=text))
    return ctx.cal.end_of_day(d)


@router.conversation("plan_edit")
def on_plan_edit(ctx: Ctx) -> None:
    """A new deadline for one section: a date, or a number of working days."""
    conv = ctx.conversation()
    assert conv is not None
    rnd = get_round(ctx, conv.data["round"])
    text = (ctx.msg.text or "").strip()
    if rnd.state in (RoundState.COLLECTING, RoundState.REVISION):
        _move_deadline(ctx, rnd, conv.data["section"], _parse_deadline(ctx, text))
        return
    expect(rnd, RoundState.TEAM_FORMED)
    deadline = _parse_deadline(ctx, text)
    rnd.plan = {**(rnd.plan or {}), str(conv.data["section"]): deadline.isoformat()}
    ctx.end_conversation()
    text_, rows = _plan_message(ctx, rnd, ctx.me)
    ctx.reply(text_, buttons=rows)


@router.action("plan_ok")
def act_plan_ok(ctx: Ctx, tok: Pressed) -> None:
    """[Setujui jadwal]: fix the deadlines and send every section head their form."""
    ctx.require(Role.KASUBAG_PROGRAM)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.TEAM_FORMED)
    deadlines = plan_deadlines(ctx, rnd)
    move(rnd, RoundState.COLLECTING)
    step3 = open_step(ctx.s, rnd, 3)  # runs on until every section's reply is in
    if step3 is not None:
        step3.actor_id = ctx.who.id
    ctx.edit_pressed(buttons=[])
    tz = ctx.who.timezone
    sections = {s.id: s for s in round_sections(ctx.s, rnd)}
    for sid, deadline in deadlines.items():
        sub = Submission(round_id=rnd.id, section_id=sid, deadline=deadline, status="not_started")
        ctx.s.add(sub)
        ctx.s.flush()
        for h in role_holders(ctx, Role.KEPALA_SEKSI, sid):
            ctx.send(
                h.person,
                t(
                    "form_invite",
                    period=rnd.period_label,
                    section=sections[sid].name,
                    deadline=format_datetime_id(deadline, tz),
                    n=len(round_indicators(ctx.s, rnd, sid)),
                ),
                buttons=[
                    [
                        ctx.button(
                            t("btn_fill_now"),
                            "form_open",
                            person=h.person,
                            reusable=True,
                            submission=sub.id,
                        ),
                        *open_button(ctx.core.settings, sub.id),  # the Mini App, beside it
                    ]
                ],
            )
    ctx.audit(
        "plan_confirmed",
        round_id=rnd.id,
        deadlines={str(k): v.isoformat() for k, v in deadlines.items()},
    )
    table = "\n".join(
        t("plan_line", n=i, section=sections[sid].name, deadline=format_datetime_id(d, tz))
        for i, (sid, d) in enumerate(deadlines.items(), start=1)
    )
    ctx.reply(t("plan_confirmed", table=table))
    ctx.group(t("plan_group", period=rnd.period_label, table=table))
    from bot.procedure.reminders import plan_round

    plan_round(ctx, rnd)


def _move_deadline(ctx: Ctx, rnd: CollectionRound, section_id: int, deadline: datetime) -> None:
    """A new deadline during the collection: reminders move, the head is told."""
    from bot.procedure.reminders import plan_section

    sub = ctx.s.scalar(
        select(Submission).where(Submission.round_id == rnd.id, Submission.section_id == section_id)
    )
    assert sub is not None
    old = sub.deadline
    sub.deadline = deadline
    ctx.end_conversation()
    plan_section(ctx, rnd, sub)
    tz = ctx.who.timezone
    ctx.audit("deadline_moved", round_id=rnd.id, section=section_id, old=old, new=deadline)
    ctx.reply(
        t("deadline_moved", section=sub.section.name, deadline=format_datetime_id(deadline, tz))
    )
    for h in role_holders(ctx, Role.KEPALA_SEKSI, section_id):
        ctx.send(
            h.person,
            t(
                "deadline_moved_head",
                section=sub.section.name,
                deadline=format_datetime_id(deadline, tz),
            ),
        )
