"""SOP steps 5–7: the Kasubag submits the draft; the Sekretaris approves it (paraf, step 7)
or sends it back for revision (step 6: the meeting, reopened sections, minutes)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.core import Ctx
from bot.errors import Stale, UserError
from bot.features.compile import send_report
from bot.fmt import format_date_long_id, format_datetime_id, format_time_id
from bot.roles import ROLE_LABELS, Role, title_for
from bot.rounds import (
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
from bot.router import Pressed, router
from bot.sop import RoundState, meeting_slot
from bot.texts import t
from db.models import CollectionRound, Decision, Indicator, Meeting, ReportVersion, Section


def _version(ctx: Ctx, rnd: CollectionRound, number: int) -> ReportVersion:
    latest = ctx.s.scalar(
        select(ReportVersion)
        .where(ReportVersion.round_id == rnd.id)
        .order_by(ReportVersion.version.desc())
    )
    if latest is None or latest.version != number:
        raise Stale(t("report_old_version", version=number, latest=latest.version if latest else 0))
    return latest


@router.action("report_submit")
def act_submit(ctx: Ctx, tok: Pressed) -> None:
    """[Ajukan ke Sekretaris] (step 5): the Sekretaris receives the report with buttons."""
    ctx.require(Role.KASUBAG_PROGRAM)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.DRAFTED)
    version = _version(ctx, rnd, tok.payload["version"])
    move(rnd, RoundState.SUBMITTED)
    version.status, version.submitted_at = "submitted", ctx.now
    end_step(ctx.s, rnd, 5, ctx.now, ctx.who.id)
    start_step(ctx.s, rnd, 7, ctx.now, ctx.cal, iteration=version.version)
    ctx.edit_pressed(buttons=[])
    ctx.audit("report_submitted", round_id=rnd.id, version=version.version)
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
            [
                [
                    ctx.button(
                        t("btn_approve"),
                        "report_approve",
                        person=h.person,
                        round=rnd.id,
                        version=version.version,
                    ),
                    ctx.button(
                        t("btn_revise"),
                        "report_revise",
                        person=h.person,
                        round=rnd.id,
                        version=version.version,
                    ),
                ]
            ],
        )


@router.action("report_approve")
def act_approve(ctx: Ctx, tok: Pressed) -> None:
    """[Setujui] (step 7): record the paraf — who, when, the content hash — and deliver."""
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
    from bot.reminders import cancel_round
    from bot.report_builder import finalize_version

    finalize_version(ctx, rnd, version, decision)
    cancel_round(ctx, rnd)
    ctx.edit_pressed(buttons=[])
    ctx.audit(
        "report_approved", round_id=rnd.id, version=version.version, hash=version.content_hash
    )
    ctx.reply(t("approved_sek", version=version.version, hash=version.content_hash))
    for h in role_holders(ctx, Role.CAMAT):
        send_report(
            ctx,
            rnd,
            version,
            h.person,
            t(
                "approved_camat",
                period=rnd.period_label,
                sek=ctx.who.name,
                title=label,
                when=format_datetime_id(ctx.now, ctx.who.timezone),
            ),
            final=True,
        )
    ctx.group(
        t("approved_group", period=rnd.period_label, version=version.version, sek=ctx.who.name)
    )


@router.action("report_revise")
def act_revise(ctx: Ctx, tok: Pressed) -> None:
    """[Revisi]: ask what to correct, per section or indicator."""
    ctx.require(Role.SEKRETARIS)
    rnd = get_round(ctx, tok.payload["round"])
    expect(rnd, RoundState.SUBMITTED)
    version = _version(ctx, rnd, tok.payload["version"])
    codes = [f"{s.code}" for s in _sections(ctx, rnd)]
    ind_codes = [i.code for i in round_indicators(ctx.s, rnd)]
    ctx.set_conversation("revise", round=rnd.id, version=version.version, stage="note")
    ctx.reply(
        t("revise_ask", sections=", ".join(codes), example=ind_codes[0] if ind_codes else "-")
    )


def _sections(ctx: Ctx, rnd: CollectionRound) -> list[Section]:
    return [s.section for s in submissions(ctx.s, rnd)]


def parse_revision(
    text: str, sections: dict[str, Section], indicators: dict[str, Indicator]
) -> list[dict[str, Any]]:
    """Lines "KODE: komentar": a section code reopens the section, an indicator code only that
    indicator; a line without a known code is a general note."""
    items = []
    for raw in text.splitlines():
        line = raw.strip(" -•\t")
        if not line:
            continue
        m = re.match(r"^([\w.-]+)\s*[:\-–]\s*(.+)$", line)
        code = m.group(1).lower() if m else ""
        comment = m.group(2).strip() if m else line
        ind = {k.lower(): v for k, v in indicators.items()}.get(code)
        sec = {k.lower(): v for k, v in sections.items()}.get(code)
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
    conv = ctx.conversation()
    assert conv is not None
    rnd = get_round(ctx, conv.data["round"])
    expect(rnd, RoundState.SUBMITTED)
    text = (ctx.msg.text or "").strip()
    if conv.data["stage"] == "note":
        if len(text) < 5:
            raise UserError(t("revise_note_short"))
        sections = {s.code: s for s in _sections(ctx, rnd)}
        indicators = {i.code: i for i in round_indicators(ctx.s, rnd)}
        items = parse_revision(text, sections, indicators)
        default = meeting_slot(ctx.now, ctx.cal)
        ctx.update_conversation(stage="meeting", items=items, slot=default.isoformat())
        label = _slot_text(ctx, default)
        ctx.reply(
            t("revise_meeting_ask", time=label),
            buttons=[
                [
                    ctx.button(
                        t("btn_meeting_default", time=label),
                        "revise_meeting",
                        person=ctx.who,
                        round=rnd.id,
                        at=default.isoformat(),
                    )
                ]
            ],
        )
        return
    m = re.fullmatch(r"(\d{1,2})[.:](\d{2})", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise UserError(t("revise_bad_time", text=text))
    # a typed time is on the proposed meeting's day (today, or the next working day)
    day = datetime.fromisoformat(conv.data.get("slot") or ctx.now.isoformat())
    local = ctx.cal.local(day).replace(
        hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0
    )
    if local < ctx.cal.local(ctx.now):
        raise UserError(t("revise_past_time", text=text))
    _finish_revision(ctx, rnd, local.astimezone(ctx.now.tzinfo))


def _slot_text(ctx: Ctx, when: datetime) -> str:
    """ "10.00 WITA" today, or "08.00 WITA, Selasa 24 November 2026" on another day."""
    tz = ctx.who.timezone
    if ctx.cal.local(when).date() == ctx.today:
        return format_time_id(when, tz)
    return f"{format_time_id(when, tz)}, {format_date_long_id(ctx.cal.local(when).date())}"


@router.action("revise_meeting")
def act_meeting(ctx: Ctx, tok: Pressed) -> None:
    conv = ctx.conversation()
    if conv is None or conv.kind != "revise" or conv.data.get("stage") != "meeting":
        raise Stale(t("revise_not_open"))
    rnd = get_round(ctx, conv.data["round"])
    expect(rnd, RoundState.SUBMITTED)
    ctx.edit_pressed(buttons=[])
    _finish_revision(ctx, rnd, datetime.fromisoformat(tok.payload["at"]))


def _finish_revision(ctx: Ctx, rnd: CollectionRound, meeting_at: datetime) -> None:
    """Record the decision, call the meeting, reopen exactly what was named."""
    ctx.require(Role.SEKRETARIS)
    conv = ctx.conversation()
    assert conv is not None
    version = _version(ctx, rnd, conv.data["version"])
    items: list[dict[str, Any]] = conv.data["items"]
    ctx.end_conversation()
    ctx.s.add(
        Decision(
            report_id=version.id,
            kind="revise",
            person_id=ctx.who.id,
            at=ctx.now,
            note="\n".join(i["comment"] for i in items),
            items=items,
        )
    )
    move(rnd, RoundState.REVISION)
    version.status = "revision"
    end_step(ctx.s, rnd, 7, ctx.now, ctx.who.id)
    start_step(ctx.s, rnd, 6, meeting_at, ctx.cal, iteration=version.version)
    ctx.s.add(Meeting(round_id=rnd.id, version=version.version, meeting_at=meeting_at))
    ctx.audit("report_revision", round_id=rnd.id, version=version.version, items=items)
    tz = ctx.who.timezone
    notes = "\n".join(f"• {i['code'] + ': ' if i['code'] else ''}{i['comment']}" for i in items)
    minutes = t("minutes_until", next=version.version + 1)
    ctx.group(
        t(
            "meeting_group",
            sek=ctx.who.name,
            version=version.version,
            period=rnd.period_label,
            when=format_datetime_id(meeting_at, tz),
            notes=notes,
        )
        + "\n"
        + minutes
    )
    reopened = _reopen(ctx, rnd, items, ctx.cal.deadline_after(meeting_at, 1), version.version)
    ctx.reply(
        t(
            "revise_done",
            version=version.version,
            sections=", ".join(reopened) or t("revise_no_sections"),
        )
    )
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        ctx.send(
            h.person,
            t(
                "revise_kasubag",
                version=version.version,
                notes=notes,
                when=format_datetime_id(meeting_at, tz),
            )
            + "\n"
            + minutes,
        )


def _reopen(
    ctx: Ctx,
    rnd: CollectionRound,
    items: list[dict[str, Any]],
    deadline: datetime,
    version: int,
) -> list[str]:
    """Reopen what was named, for correction by `deadline` (one working day after the
    meeting), with reminders for it."""
    from bot.reminders import plan_correction

    by_section: dict[int, list[dict[str, Any]]] = {}
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
        sub.note = t("note_by", who=who, note="; ".join(whole)) if whole else None
        names.append(sub.section.name)
        plan_correction(ctx, rnd, sub, deadline, version)
        for h in role_holders(ctx, Role.KEPALA_SEKSI, sub.section_id):
            lines = "\n".join(f"• {i['code']}: {i['comment']}" for i in named)
            ctx.send(
                h.person,
                t(
                    "revise_head",
                    section=sub.section.name,
                    notes=lines,
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


@router.command("notulen", Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.TIM_SAKIP)
def cmd_minutes(ctx: Ctx) -> None:
    """Record the minutes (notulen) of the revision meeting, as text or a file."""
    rnd = current_round(ctx)
    if rnd is None or latest_meeting(ctx, rnd) is None:
        raise UserError(t("minutes_no_meeting"))
    ctx.set_conversation("notulen", round=rnd.id)
    ctx.reply(t("minutes_ask"))


MINUTES_OPEN = (RoundState.REVISION, RoundState.DRAFTED, RoundState.SUBMITTED)


def latest_meeting(ctx: Ctx, rnd: CollectionRound) -> Meeting | None:
    """The meeting whose minutes can be recorded: the round's latest, until the Sekretaris
    decides on the version it led to (approval closes the round; a new revision calls a new
    meeting)."""
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
    end_step(ctx.s, rnd, 6, ctx.now, ctx.who.id)
    ctx.audit("minutes_recorded", round_id=rnd.id, meeting=meeting.id)
    ctx.reply(t("minutes_saved"))
