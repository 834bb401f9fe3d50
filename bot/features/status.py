"""/status: the open round's step, each section's state with deadline and lateness, the SOP
timeline, and (for the Kasubag, Sekretaris and admin) messages that could not be delivered."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.core import Ctx
from bot.features.form import STATUS_TEXT
from bot.fmt import format_datetime_id, format_percent_id
from bot.procedure.roles import Role, headed_sections
from bot.procedure.rounds import open_rounds, submissions
from bot.procedure.sop import STEPS, RoundState, state_text, step_record
from bot.router import router
from bot.texts import t
from db.models import CollectionRound, Meeting, Outbox, Person, ReportVersion, RoundStep

ICON = {
    "not_started": "⚪",
    "in_progress": "🟡",
    "submitted": "🔵",
    "returned": "🟠",
    "accepted": "🟢",
}


def round_status(ctx: Ctx, rnd: CollectionRound) -> str:
    tz = ctx.who.timezone
    mine = {s.id for s in headed_sections(ctx.s, ctx.who, ctx.today)}
    corrected = ctx.s.scalar(select(Meeting.id).where(Meeting.round_id == rnd.id).limit(1))
    state = state_text(rnd.state, corrected is not None)
    lines = [t("status_header", period=rnd.period_label, state=state)]
    subs = submissions(ctx.s, rnd)
    subs.sort(key=lambda sub: sub.section_id not in mine)  # a head sees their own first
    if subs:
        lines.append("")
        lines.append(t("status_sections"))
    for sub in subs:
        late_at = sub.first_submitted_at if sub.status in ("submitted", "accepted") else ctx.now
        late = ctx.cal.working_days_late(sub.deadline, late_at or ctx.now)
        lines.append(
            t(
                "status_section",
                icon=ICON.get(sub.status, "•"),
                section=sub.section.name,
                status=STATUS_TEXT[sub.status],
                deadline=format_datetime_id(sub.deadline, tz),
                late=t("status_late", days=late) if late else "",
                mine=t("status_mine") if sub.section_id in mine else "",
            )
        )
    lines.append("")
    lines.extend(step_lines(ctx, rnd))
    return "\n".join(lines)


def step_lines(ctx: Ctx, rnd: CollectionRound) -> list[str]:
    """The SOP's seven steps in order, each once, against its standard: done (on time or
    late, with the time used in the step's own unit), running, or not yet started."""
    tz = ctx.who.timezone
    runs = ctx.s.scalars(select(RoundStep).where(RoundStep.round_id == rnd.id)).all()
    record = {r.number: r for r in step_record(runs, ctx.cal)}
    lines = [t("status_steps")]
    for number, sop in STEPS.items():
        r = record.get(number)
        if r is None:
            state = t("status_step_waiting")
        elif r.ended_at is None and ctx.now < r.started_at:
            state = t("status_step_scheduled", when=format_datetime_id(r.started_at, tz))
        elif r.ended_at is None:
            state = t("status_step_running", due=format_datetime_id(r.due_at, tz)) + (
                t("status_step_overdue") if ctx.now > r.due_at else ""
            )
        else:
            done = t("status_step_on_time") if r.on_time else t("status_step_late")
            state = f"{done} ({r.used_text})"
        if r is not None and number == 6 and r.runs > 1:
            state += t("status_step_revisions", n=r.runs)
        lines.append(
            t("status_step", n=number, name=sop.name, standard=sop.standard_text, state=state)
        )
    return lines


def last_round(ctx: Ctx) -> str:
    """No round running: the last finished one (when approved, its average capaian) and
    where its report is, as far as the person may open it."""
    rnd = ctx.s.scalar(
        select(CollectionRound)
        .where(CollectionRound.office_id == ctx.who.office_id, CollectionRound.open_key.is_(None))
        .order_by(CollectionRound.closed_at.desc().nulls_last(), CollectionRound.id.desc())
        .limit(1)
    )
    if rnd is None:
        return t("status_no_round")
    when = format_datetime_id(rnd.closed_at or rnd.created_at, ctx.who.timezone)
    lines = [t("status_no_round")]
    approved = ctx.s.scalar(
        select(ReportVersion).where(
            ReportVersion.round_id == rnd.id, ReportVersion.status == "approved"
        )
    )
    if rnd.state == RoundState.APPROVED and approved is not None:
        overall = approved.files.get("summary", {}).get("overall")
        lines.append(
            t(
                "status_last_approved",
                period=rnd.period_label,
                when=when,
                version=approved.version,
                capaian=format_percent_id(Decimal(str(overall)) if overall is not None else None),
            )
        )
    else:
        lines.append(t("status_last_cancelled", period=rnd.period_label, when=when))
    if rnd.state == RoundState.APPROVED:
        lines.append("")
        lines.extend(step_lines(ctx, rnd))
        lines.append("")
    have = ctx.roles()
    for command, key in (("arsip", "status_point_archive"), ("laporan", "status_point_report")):
        if have & set(router.commands[command].roles):
            lines.append(t(key))
    return "\n".join(lines)


def undelivered(ctx: Ctx) -> str | None:
    rows = ctx.s.scalars(
        select(Outbox)
        .where(Outbox.office_id == ctx.who.office_id, Outbox.status.in_(["failed", "uncertain"]))
        .order_by(Outbox.id.desc())
        .limit(10)
    ).all()
    if not rows:
        return None
    lines = [t("status_undelivered", n=len(rows))]
    for row in rows:
        who = ctx.s.get(Person, row.person_id) if row.person_id else None
        lines.append(
            t(
                "status_undelivered_line",
                who=who.name if who else row.chat_id,
                when=format_datetime_id(row.created_at, ctx.who.timezone),
                error=row.error or row.status,
            )
        )
    return "\n".join(lines)


@router.command("status", where="any")
def cmd_status(ctx: Ctx) -> None:
    """Where the open round stands, per role."""
    rounds = open_rounds(ctx.s, ctx.who.office_id)
    parts = [round_status(ctx, r) for r in rounds] or [last_round(ctx)]
    if ctx.roles() & {Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.ADMIN}:
        extra = undelivered(ctx)
        if extra:
            parts.append(extra)
    ctx.reply("\n\n".join(parts))
