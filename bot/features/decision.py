"""SOP steps 5–7. The Kasubag sends the draft to the Sekretaris (5). The Sekretaris holds
the internal meeting with the team in every round (6): she picks a time from the slots the
bot proposes, every team member and the Kasubag is invited by direct message with the
draft and reminded before it, and after it she records its outcome — no corrections, or
corrections per section or indicator, chosen with buttons, which reopen what was named
with a correction deadline; the corrected draft comes back to her (a further meeting on it
is "Revisi ke-n", still step 6). Then she initials the draft (7, paraf). The minutes
(/notulen) belong to the meeting either way.

The flow, as a table (state → what moves it on):
    DRAFTED   --[Ajukan ke Sekretaris], first draft-->   MEETING   (step 5 ends)
    DRAFTED   --[Ajukan ke Sekretaris], corrected-->      SUBMITTED (step 7 starts)
    MEETING   --[Rapat pukul …]-->                        MEETING   (step 6 starts at that time)
    MEETING   --[Tanpa koreksi]-->                        SUBMITTED (step 6 ends, step 7 starts)
    MEETING   --[Ada koreksi] … [Selesai]-->              REVISION  (step 6 ends; sections reopened)
    REVISION  --every reopened section accepted-->        DRAFTED   (bot/features/review.py)
    SUBMITTED --[Setujui]-->                              APPROVED  (step 7 ends)
    SUBMITTED --[Revisi]-->                               MEETING   (Revisi ke-n)
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.core import Ctx
from bot.errors import Stale, UserError
from bot.features.compile import send_report
from bot.fmt import format_date_long_id, format_datetime_id, format_percent_id, format_time_id
from bot.procedure.roles import ROLE_LABELS, Role, title_for
from bot.procedure.rounds import (
    answers_by_indicator,
    current_round,
    end_step,
    expect,
    get_round,
    move,
    role_holders,
    round_indicators,
    start_step,
    submissions,
)
from bot.procedure.sop import CORRECTION_DAYS, RoundState, meeting_slots, meeting_title
from bot.router import Pressed, router
from bot.texts import t
from db.models import (
    CollectionRound,
    Decision,
    Indicator,
    Meeting,
    Person,
    ReportVersion,
    Section,
)

# One correction the meeting asked for: the section (None: a general note for the Kasubag),
# the indicator (None: the whole section), the code shown, and the note.
Item = dict[str, Any]


def _version(ctx: Ctx, rnd: CollectionRound, number: int) -> ReportVersion:
    latest = ctx.s.scalar(
        select(ReportVersion)
        .where(ReportVersion.round_id == rnd.id)
        .order_by(ReportVersion.version.desc())
    )
    if latest is None or latest.version != number:
        raise Stale(t("report_old_version", version=number, latest=latest.version if latest else 0))
    return latest


def meetings(ctx: Ctx, rnd: CollectionRound) -> list[Meeting]:
    """The round's internal meetings, first first (the n-th is "Revisi ke-n" for n ≥ 2)."""
    return list(
        ctx.s.scalars(select(Meeting).where(Meeting.round_id == rnd.id).order_by(Meeting.id))
    )


def _open_meeting(ctx: Ctx, rnd: CollectionRound) -> Meeting:
    """The meeting whose outcome is still to be recorded; it must have started."""
    expect(rnd, RoundState.MEETING)
    held = meetings(ctx, rnd)
    meeting = held[-1] if held and held[-1].outcome is None else None
    if meeting is None:
        raise Stale(t("meeting_not_set"))
    if ctx.now < meeting.meeting_at:
        raise UserError(
            t("meeting_not_started", when=format_datetime_id(meeting.meeting_at, ctx.who.timezone))
        )
    return meeting


def _invitees(ctx: Ctx, rnd: CollectionRound) -> list[Person]:
    """Whom the meeting invites: the round's Tim SAKIP and the Kasubag Program, each once,
    not the Sekretaris who calls it."""
    people: dict[int, Person] = {}
    for pid in rnd.team_ids or []:
        person = ctx.s.get(Person, pid)
        if person is not None and person.active:
            people[person.id] = person
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        people.setdefault(h.person.id, h.person)
    people.pop(ctx.who.id, None)
    return list(people.values())


def _slot_text(ctx: Ctx, when: datetime) -> str:
    """ "10.00 WITA" today, or "08.00 WITA, Selasa 24 November 2026" on another day."""
    tz = ctx.who.timezone
    if ctx.cal.local(when).date() == ctx.today:
        return format_time_id(when, tz)
    return f"{format_time_id(when, tz)}, {format_date_long_id(ctx.cal.local(when).date())}"


def _ask_meeting(ctx: Ctx, rnd: CollectionRound, version: ReportVersion, to: Person) -> None:
    """The Sekretaris chooses the meeting's time from the proposed slots (buttons)."""
    buttons = [
        [
            ctx.button(
                t("btn_meeting_at", time=_slot_text(ctx, when)),
                "meeting_set",
                person=to,
                round=rnd.id,
                version=version.version,
                at=when.isoformat(),
            )
        ]
        for when in meeting_slots(ctx.now, ctx.cal)
    ]
    n = len(meetings(ctx, rnd)) + 1
    ctx.send(to, t("meeting_ask", what=meeting_title(n), version=version.version), buttons=buttons)


def _paraf_buttons(
    ctx: Ctx, rnd: CollectionRound, version: int, to: Person, revise: bool
) -> list[list[list[str]]]:
    row = [ctx.button(t("btn_approve"), "report_approve", person=to, round=rnd.id, version=version)]
    if revise:
        row.append(
            ctx.button(t("btn_revise"), "report_revise", person=to, round=rnd.id, version=version)
        )
    return [row]


@router.action("report_submit")
def act_submit(ctx: Ctx, tok: Pressed) -> None:
    """[Ajukan ke Sekretaris]: the first draft ends step 5 and goes to the internal meeting;
    a corrected draft goes to the Sekretaris for her paraf (step 7)."""
    ctx.require(Role.KASUBAG_PROGRAM)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.DRAFTED)
    version = _version(ctx, rnd, tok.payload["version"])
    version.status, version.submitted_at = "submitted", ctx.now
    ctx.edit_pressed(buttons=[])
    ctx.audit("report_submitted", round_id=rnd.id, version=version.version)
    held = meetings(ctx, rnd)
    if not held:
        end_step(ctx.s, rnd, 5, ctx.now, ctx.who.id)
        move(rnd, RoundState.MEETING)
        ctx.reply(t("report_submitted", version=version.version))
        for h in role_holders(ctx, Role.SEKRETARIS):
            send_report(
                ctx,
                rnd,
                version,
                h.person,
                t(
                    "decision_ask",
                    title=h.title,
                    kasubag=ctx.who.name,
                    version=version.version,
                    period=rnd.period_label,
                ),
            )
            _ask_meeting(ctx, rnd, version, h.person)
        return
    move(rnd, RoundState.SUBMITTED)
    start_step(ctx.s, rnd, 7, ctx.now, ctx.cal, iteration=version.version)
    ctx.reply(t("report_submitted_corrected", version=version.version))
    for h in role_holders(ctx, Role.SEKRETARIS):
        send_report(
            ctx,
            rnd,
            version,
            h.person,
            t(
                "paraf_ask_corrected",
                title=h.title,
                kasubag=ctx.who.name,
                version=version.version,
                period=rnd.period_label,
                revision=t("meeting_revision", n=len(held)),
            ),
            _paraf_buttons(ctx, rnd, version.version, h.person, revise=True),
        )


@router.action("meeting_set")
def act_meeting_set(ctx: Ctx, tok: Pressed) -> None:
    """[Rapat pukul …] (step 6): the meeting is set; each team member and the Kasubag is
    invited with the draft, and reminded before it."""
    from bot.procedure.reminders import plan_meeting

    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.MEETING)
    version = _version(ctx, rnd, tok.payload["version"])
    held = meetings(ctx, rnd)
    if held and held[-1].outcome is None:
        when = format_datetime_id(held[-1].meeting_at, ctx.who.timezone)
        raise Stale(t("meeting_already_set", when=when))
    at = datetime.fromisoformat(tok.payload["at"])
    if at < ctx.now:
        raise Stale(t("meeting_slot_past"))
    invited = _invitees(ctx, rnd)
    n = len(held) + 1
    meeting = Meeting(
        round_id=rnd.id,
        version=version.version,
        meeting_at=at,
        set_by_id=ctx.who.id,
        set_at=ctx.now,
        invited=[p.id for p in invited],
    )
    ctx.s.add(meeting)
    ctx.s.flush()
    start_step(ctx.s, rnd, 6, at, ctx.cal, iteration=n)
    plan_meeting(ctx, rnd, meeting)
    ctx.edit_pressed(buttons=[])
    ctx.audit("meeting_set", round_id=rnd.id, meeting=meeting.id, at=at.isoformat(), n=n)
    tz = ctx.who.timezone
    when = format_datetime_id(at, tz)
    what = meeting_title(n)
    for person in invited:
        ctx.send(person, None, kind="document", file_id=version.files["pdf"])
        ctx.send(
            person,
            t(
                "meeting_invite",
                what=what,
                when=when,
                sek=ctx.who.name,
                period=rnd.period_label,
                version=version.version,
            ),
        )
    ctx.group(t("meeting_group", what=what, when=when, period=rnd.period_label, v=version.version))
    ctx.reply(
        t(
            "meeting_set_sek",
            what=what,
            when=when,
            names=", ".join(p.name for p in invited) or "-",
        ),
        buttons=[
            [
                ctx.button(t("btn_meeting_none"), "meeting_none", person=ctx.who, round=rnd.id),
                ctx.button(t("btn_meeting_fix"), "meeting_fix", person=ctx.who, round=rnd.id),
            ]
        ],
    )


@router.action("meeting_none")
def act_meeting_none(ctx: Ctx, tok: Pressed) -> None:
    """[Tanpa koreksi]: the meeting found nothing to correct; the draft goes to paraf."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    meeting = _open_meeting(ctx, rnd)
    version = _version(ctx, rnd, meeting.version)
    meeting.outcome, meeting.outcome_at, meeting.outcome_by_id = "none", ctx.now, ctx.who.id
    end_step(ctx.s, rnd, 6, ctx.now, ctx.who.id)
    move(rnd, RoundState.SUBMITTED)
    start_step(ctx.s, rnd, 7, ctx.now, ctx.cal, iteration=version.version)
    ctx.edit_pressed(buttons=[])
    ctx.audit("meeting_outcome", round_id=rnd.id, meeting=meeting.id, outcome="none")
    ctx.reply(
        t("meeting_none_sek", version=version.version, minutes=_minutes_hint(meeting)),
        buttons=_paraf_buttons(ctx, rnd, version.version, ctx.me, revise=False),
    )
    for pid in meeting.invited or []:
        person = ctx.s.get(Person, pid)
        if person is not None:
            ctx.send(person, t("meeting_none_team", period=rnd.period_label, v=version.version))


def _minutes_hint(meeting: Meeting) -> str:
    """The /notulen instruction, once, while the meeting has no minutes."""
    return "" if meeting.notulen else "\n" + t("minutes_hint")


@router.action("meeting_fix")
def act_meeting_fix(ctx: Ctx, tok: Pressed) -> None:
    """[Ada koreksi]: choose what to correct with buttons, section by section."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    meeting = _open_meeting(ctx, rnd)
    ctx.edit_pressed(buttons=[])
    ctx.set_conversation("revise", round=rnd.id, meeting=meeting.id, items=[], stage="pick")
    _ask_pick(ctx, rnd, [])


def _ask_pick(ctx: Ctx, rnd: CollectionRound, items: list[Item]) -> None:
    """The corrections so far, and a button per section, a general note, and [Selesai]."""
    noted = "\n".join(_item_line(i) for i in items) or t("revise_none_yet")
    rows = [
        [ctx.button(f"📁 {sec.name}", "revise_section", person=ctx.who, section=sec.id)]
        for sec in _sections(ctx, rnd)
    ]
    rows.append([ctx.button(t("btn_revise_general"), "revise_target", person=ctx.who)])
    if items:
        rows.append([ctx.button(t("btn_revise_done"), "revise_done", person=ctx.who)])
    ctx.reply(t("revise_pick", noted=noted), buttons=rows)


def _item_line(item: Item) -> str:
    return f"• {item['code']}: {item['comment']}" if item["code"] else f"• {item['comment']}"


def _revise_conv(ctx: Ctx) -> tuple[Any, CollectionRound]:
    ctx.require(Role.SEKRETARIS)
    conv = ctx.conversation()
    if conv is None or conv.kind != "revise":
        raise Stale(t("revise_not_open"))
    rnd = get_round(ctx, conv.data["round"])
    expect(rnd, RoundState.MEETING)
    return conv, rnd


@router.action("revise_section")
def act_revise_section(ctx: Ctx, tok: Pressed) -> None:
    """A section chosen: the whole section, or one of its indicators (buttons)."""
    _, rnd = _revise_conv(ctx)
    section = {s.id: s for s in _sections(ctx, rnd)}.get(tok.payload["section"])
    if section is None:
        raise Stale(t("revise_not_open"))
    ctx.edit_pressed(buttons=[])
    rows = [
        [
            ctx.button(
                t("btn_revise_section", section=section.name),
                "revise_target",
                person=ctx.who,
                section=section.id,
            )
        ]
    ]
    for ind in round_indicators(ctx.s, rnd):
        if ind.section_id == section.id:
            rows.append(
                [
                    ctx.button(
                        f"{ind.code} — {ind.name}"[:60],
                        "revise_target",
                        person=ctx.who,
                        section=section.id,
                        indicator=ind.id,
                    )
                ]
            )
    ctx.reply(t("revise_which", section=section.name), buttons=rows)


@router.action("revise_target")
def act_revise_target(ctx: Ctx, tok: Pressed) -> None:
    """What the next note is about is chosen; ask for the note."""
    _, rnd = _revise_conv(ctx)
    section_id, indicator_id = tok.payload.get("section"), tok.payload.get("indicator")
    code, what = "", t("revise_general_what")
    if indicator_id is not None:
        ind = ctx.s.get(Indicator, indicator_id)
        if ind is None or ind.section_id != section_id:
            raise Stale(t("revise_not_open"))
        code, what = ind.code, f"{ind.code} — {ind.name}"
    elif section_id is not None:
        section = ctx.s.get(Section, section_id)
        if section is None:
            raise Stale(t("revise_not_open"))
        code, what = section.code, section.name
    ctx.edit_pressed(buttons=[])
    ctx.update_conversation(
        stage="note", target={"section": section_id, "indicator": indicator_id, "code": code}
    )
    ctx.reply(t("revise_note_ask", what=what))


@router.action("revise_done")
def act_revise_done(ctx: Ctx, tok: Pressed) -> None:
    """[Selesai]: record the corrections and reopen what they name."""
    conv, rnd = _revise_conv(ctx)
    if not conv.data.get("items"):
        raise UserError(t("revise_nothing"))
    ctx.edit_pressed(buttons=[])
    _finish_revision(ctx, rnd)


def _sections(ctx: Ctx, rnd: CollectionRound) -> list[Section]:
    return [s.section for s in submissions(ctx.s, rnd)]


def parse_revision(
    text: str, sections: dict[str, Section], indicators: dict[str, Indicator]
) -> list[Item]:
    """Typed lines "KODE: catatan", for whoever prefers typing to the buttons: a section code
    reopens the section, an indicator code only that indicator; a line without a known code
    is a general note."""
    items: list[Item] = []
    by_ind = {k.lower(): v for k, v in indicators.items()}
    by_sec = {k.lower(): v for k, v in sections.items()}
    for raw in text.splitlines():
        line = raw.strip(" -•\t")
        if not line:
            continue
        m = re.match(r"^([\w.-]+)\s*[:\-–]\s*(.+)$", line)
        code = m.group(1).lower() if m else ""
        comment = m.group(2).strip() if m else line
        ind, sec = by_ind.get(code), by_sec.get(code)
        if ind is not None:
            items.append(
                {
                    "section": ind.section_id,
                    "indicator": ind.id,
                    "code": ind.code,
                    "comment": comment,
                }
            )
        elif sec is not None:
            items.append(
                {"section": sec.id, "indicator": None, "code": sec.code, "comment": comment}
            )
        else:
            items.append({"section": None, "indicator": None, "code": "", "comment": line})
    return items


@router.conversation("revise")
def on_revise(ctx: Ctx) -> None:
    """A note typed for the chosen section or indicator (or typed "KODE: catatan" lines)."""
    conv, rnd = _revise_conv(ctx)
    text = (ctx.msg.text or "").strip()
    if len(text) < 5:
        raise UserError(t("revise_note_short"))
    items: list[Item] = list(conv.data.get("items") or [])
    target = conv.data.get("target")
    if conv.data.get("stage") == "note" and target:
        items.append({**target, "comment": text})
    else:
        sections = {s.code: s for s in _sections(ctx, rnd)}
        indicators = {i.code: i for i in round_indicators(ctx.s, rnd)}
        items.extend(parse_revision(text, sections, indicators))
    ctx.update_conversation(stage="pick", target=None, items=items)
    _ask_pick(ctx, rnd, items)


def _finish_revision(ctx: Ctx, rnd: CollectionRound) -> None:
    """Record the meeting's corrections, end step 6, reopen exactly what was named."""
    conv = ctx.conversation()
    assert conv is not None
    meeting = _open_meeting(ctx, rnd)
    version = _version(ctx, rnd, meeting.version)
    items: list[Item] = conv.data["items"]
    ctx.end_conversation()
    ctx.s.add(
        Decision(
            report_id=version.id,
            kind="revise",
            person_id=ctx.who.id,
            at=ctx.now,
            note="\n".join(_item_line(i)[2:] for i in items),
            items=items,
        )
    )
    meeting.outcome, meeting.outcome_at, meeting.outcome_by_id = "corrections", ctx.now, ctx.who.id
    end_step(ctx.s, rnd, 6, ctx.now, ctx.who.id)
    move(rnd, RoundState.REVISION)
    version.status = "revision"
    n = len(meetings(ctx, rnd))
    deadline = ctx.cal.deadline_after(ctx.now, CORRECTION_DAYS)
    when = format_datetime_id(deadline, ctx.who.timezone)
    ctx.audit("report_revision", round_id=rnd.id, version=version.version, items=items, n=n)
    notes = "\n".join(_item_line(i) for i in items)
    reopened = _reopen(ctx, rnd, items, deadline, version.version)
    ctx.reply(
        t(
            "revise_done",
            revision=t("meeting_revision", n=n),
            sections=", ".join(reopened) or t("revise_no_sections"),
            deadline=when,
            minutes=_minutes_hint(meeting),
        )
    )
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        ctx.send(
            h.person,
            t(
                "revise_kasubag",
                revision=t("meeting_revision", n=n),
                version=version.version,
                notes=notes,
                deadline=when,
            ),
        )


def _reopen(
    ctx: Ctx, rnd: CollectionRound, items: list[Item], deadline: datetime, version: int
) -> list[str]:
    """Reopen what was named, for correction by `deadline` (one working day after the
    meeting's outcome), with reminders for it."""
    from bot.procedure.reminders import plan_correction

    by_section: dict[int, list[Item]] = {}
    for item in items:
        if item["section"] is not None:
            by_section.setdefault(item["section"], []).append(item)
    names = []
    for sub in submissions(ctx.s, rnd):
        named = by_section.get(sub.section_id)
        if not named:
            continue
        answers = answers_by_indicator(ctx.s, sub)
        who = ROLE_LABELS[Role.SEKRETARIS]
        whole = [i["comment"] for i in named if i["indicator"] is None]
        for ind_id, ans in answers.items():
            own = [i["comment"] for i in named if i["indicator"] == ind_id]
            if own or whole:
                ans.done = False
                # the indicator's own note on its prompt; the section's note once, on opening
                ans.reopen_note = t("note_by", who=who, note="; ".join(own)) if own else None
        sub.status = "returned"
        sub.fix_deadline = deadline
        sub.note = t("note_by", who=who, note="; ".join(whole)) if whole else None
        names.append(sub.section.name)
        plan_correction(ctx, rnd, sub, deadline, version)
        for h in role_holders(ctx, Role.KEPALA_SEKSI, sub.section_id):
            ctx.send(
                h.person,
                t(
                    "revise_head",
                    section=sub.section.name,
                    notes="\n".join(_item_line(i) for i in named),
                    deadline=format_datetime_id(deadline, ctx.who.timezone),
                ),
                buttons=[
                    [
                        ctx.button(
                            t("btn_fix"),
                            "form_open",
                            person=h.person,
                            reusable=True,
                            submission=sub.id,
                        )
                    ]
                ],
            )
    return names


@router.action("report_revise")
def act_revise(ctx: Ctx, tok: Pressed) -> None:
    """[Revisi] on a corrected draft: another internal meeting (Revisi ke-n, step 6)."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.SUBMITTED)
    version = _version(ctx, rnd, tok.payload["version"])
    end_step(ctx.s, rnd, 7, ctx.now, ctx.who.id)
    move(rnd, RoundState.MEETING)
    version.status = "revision"
    ctx.edit_pressed(buttons=[])
    ctx.audit("report_sent_back", round_id=rnd.id, version=version.version)
    _ask_meeting(ctx, rnd, version, ctx.me)


@router.action("report_approve")
def act_approve(ctx: Ctx, tok: Pressed) -> None:
    """[Setujui] (step 7): record the paraf — who, when, the content hash — and deliver: the
    Camat gets the chart and the final report, each section head how the round ended."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.SUBMITTED)
    version = _version(ctx, rnd, tok.payload["version"])
    label = title_for(ctx.s, ctx.me, Role.SEKRETARIS, ctx.today)
    decision = Decision(
        report_id=version.id,
        kind="approve",
        person_id=ctx.who.id,
        acting_label=label if label.startswith(("Plt", "Plh")) else None,
        at=ctx.now,
        content_hash=version.content_hash,
    )
    ctx.s.add(decision)
    move(rnd, RoundState.APPROVED)
    rnd.closed_at = ctx.now
    version.status = "approved"
    end_step(ctx.s, rnd, 7, ctx.now, ctx.who.id)
    from bot.fmt import short_hash
    from bot.procedure.reminders import cancel_round
    from bot.reports.builder import finalize_version

    finalize_version(ctx, rnd, version, decision)
    cancel_round(ctx, rnd)
    ctx.edit_pressed(buttons=[])
    ctx.audit(
        "report_approved", round_id=rnd.id, version=version.version, hash=version.content_hash
    )
    code = short_hash(version.content_hash or "")
    ctx.reply(t("approved_sek", version=version.version, code=code))
    when = format_datetime_id(ctx.now, ctx.who.timezone)
    for h in role_holders(ctx, Role.CAMAT):
        send_report(
            ctx,
            rnd,
            version,
            h.person,
            t("approved_camat", period=rnd.period_label, sek=ctx.who.name, title=label, when=when),
            final=True,
        )
    _tell_heads(ctx, rnd, version, when)
    ctx.group(
        t("approved_group", period=rnd.period_label, version=version.version, sek=ctx.who.name)
    )


def _tell_heads(ctx: Ctx, rnd: CollectionRound, version: ReportVersion, when: str) -> None:
    """Each section head hears how the round ended, with their section's capaian in the
    approved report."""
    by_name = {s["name"]: s for s in version.files.get("summary", {}).get("sections", [])}
    for sub in submissions(ctx.s, rnd):
        mine = by_name.get(sub.section.name, {})
        average = mine.get("average")
        for h in role_holders(ctx, Role.KEPALA_SEKSI, sub.section_id):
            ctx.send(
                h.person,
                t(
                    "approved_head",
                    period=rnd.period_label,
                    when=when,
                    section=sub.section.name,
                    capaian=format_percent_id(Decimal(average) if average is not None else None),
                    met=mine.get("met", 0),
                    total=mine.get("total", 0),
                ),
            )


@router.command("notulen", Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.TIM_SAKIP)
def cmd_minutes(ctx: Ctx) -> None:
    """Record the minutes (notulen) of the internal meeting, as text or a file."""
    rnd = current_round(ctx)
    meeting = latest_meeting(ctx, rnd) if rnd is not None else None
    if rnd is None or meeting is None:
        raise UserError(t("minutes_no_meeting"))
    if ctx.now < meeting.meeting_at:
        raise UserError(
            t("meeting_not_started", when=format_datetime_id(meeting.meeting_at, ctx.who.timezone))
        )
    ctx.set_conversation("notulen", round=rnd.id)
    ctx.reply(t("minutes_ask"))


MINUTES_OPEN = (
    RoundState.MEETING,
    RoundState.REVISION,
    RoundState.DRAFTED,
    RoundState.SUBMITTED,
)


def latest_meeting(ctx: Ctx, rnd: CollectionRound) -> Meeting | None:
    """The meeting whose minutes can be recorded: the round's latest, until the round is
    approved (a new meeting takes over from an earlier one)."""
    if rnd.state not in MINUTES_OPEN:
        return None
    return ctx.s.scalar(
        select(Meeting).where(Meeting.round_id == rnd.id).order_by(Meeting.id.desc()).limit(1)
    )


@router.conversation("notulen")
def on_minutes(ctx: Ctx) -> None:
    conv = ctx.conversation()
    assert conv is not None
    rnd = get_round(ctx, conv.data["round"])
    meeting = latest_meeting(ctx, rnd)
    if meeting is None:
        ctx.end_conversation()
        raise Stale(t("minutes_no_meeting"))
    f = ctx.msg.file
    if f is not None:
        ctx.core.files.check(f.name, f.size)
        if f.content is None:
            raise UserError(t("file_download_failed", reason="-"))
        stored = ctx.core.files.put(
            ctx.s,
            ctx.who.office_id,
            f.content,
            f.name,
            f.mime,
            f"{ctx.msg.channel}:{f.source_id}",
            ctx.now,
        )
        meeting.notulen_file_id = stored.id
        meeting.notulen = meeting.notulen or f.name
    else:
        text = (ctx.msg.text or "").strip()
        if len(text) < 10:
            raise UserError(t("minutes_short"))
        meeting.notulen = text
    meeting.recorded_by_id, meeting.recorded_at = ctx.who.id, ctx.now
    ctx.end_conversation()
    ctx.audit("minutes_recorded", round_id=rnd.id, meeting=meeting.id)
    ctx.reply(t("minutes_saved"))
