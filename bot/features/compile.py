"""Compiling a report version (end of step 4, or the corrected draft after the internal
meeting's corrections) and sending it on: the Kasubag previews it and sends it to the
Sekretaris (step 5 for the first; the paraf, step 7, for a corrected one)."""

from __future__ import annotations

from bot.core import Ctx
from bot.fmt import format_percent_id
from bot.procedure.roles import Role
from bot.procedure.rounds import (
    all_replied,
    end_step,
    move,
    open_step,
    role_holders,
    start_step,
)
from bot.procedure.sop import RoundState
from bot.reports.builder import build_version
from bot.texts import t
from db.models import CollectionRound, Person, ReportVersion, StoredFile, Submission
from db.reads import RoundRead, SubmissionRead


def end_collection(ctx: Ctx, rnd: CollectionRound | RoundRead) -> None:
    """Step 3 ends and step 4 starts (bot/procedure/sop.py): every section's reply is in, or the
    Kasubag compiles without the rest. Step 3's actor stays the Kasubag who ran it."""
    step3 = open_step(ctx.s, rnd, 3)
    if step3 is None:
        return
    end_step(ctx.s, rnd, 3, ctx.now, step3.actor_id or ctx.who.id)
    start_step(ctx.s, rnd, 4, ctx.now, ctx.cal)


def every_reply_in(
    ctx: Ctx, rnd: CollectionRound | RoundRead, sent: Submission | SubmissionRead
) -> None:
    """Called on each section's [Kirim] (`sent`, just sent): the last first reply ends
    step 3."""
    if all_replied(ctx.s, rnd.id, besides=sent.id):
        end_collection(ctx, rnd)


def compile_draft(ctx: Ctx, rnd: CollectionRound) -> ReportVersion:
    """Build version N (PDF, XLSX, charts), record it, and give it to the Kasubag."""
    first = rnd.state == RoundState.COLLECTING
    version = build_version(ctx, rnd)
    move(rnd, RoundState.DRAFTED)
    if first:
        end_collection(ctx, rnd)  # compiled before every reply was in (/kompilasi)
        end_step(ctx.s, rnd, 4, ctx.now, ctx.who.id)
        start_step(ctx.s, rnd, 5, ctx.now, ctx.cal, iteration=version.version)
    else:  # the meeting's corrections are in: the corrected draft, still step 6
        from bot.features.decision import latest_meeting
        from bot.procedure.reminders import remind_minutes

        meeting = latest_meeting(ctx, rnd)
        if meeting is not None and not meeting.notulen:
            remind_minutes(ctx, rnd, version.version)
    ctx.audit(
        "report_compiled",
        round_id=rnd.id,
        version=version.version,
        hash=version.content_hash,
        missing=version.missing,
    )
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        send_report(
            ctx,
            rnd,
            version,
            h.person,
            t(
                "compile_ready" if first else "compile_ready_corrected",
                version=version.version,
                period=rnd.period_label,
            ),
            [
                [
                    ctx.button(
                        t("btn_submit_to_sek"),
                        "report_submit",
                        person=h.person,
                        round=rnd.id,
                        version=version.version,
                    )
                ]
            ],
        )
    ctx.group(t("compile_group", version=version.version, period=rnd.period_label))
    return version


def report_caption(version: ReportVersion, rnd: CollectionRound) -> str:
    summary = version.files.get("summary", {})
    lines = [
        t("report_caption_title", period=rnd.period_label, version=version.version),
        t("report_caption_overall", capaian=format_percent_id(summary.get("overall"))),
    ]
    if summary.get("below"):
        lines.append(t("report_caption_below", sections=", ".join(summary["below"])))
    if summary.get("late"):
        lines.append(t("report_caption_late", sections=", ".join(summary["late"])))
    if version.missing:
        lines.append(t("report_caption_missing", sections=", ".join(version.missing)))
    return "\n".join(lines)


def send_report(
    ctx: Ctx,
    rnd: CollectionRound,
    version: ReportVersion,
    to: Person,
    intro: str,
    buttons: list[list[list[str]]] | None = None,
    final: bool = False,
) -> None:
    """The report as a person receives it: the chart, the PDF, the XLSX, then the text
    with the buttons (so the buttons sit under the last message)."""
    files = version.files
    caption = report_caption(version, rnd)
    ctx.send(to, caption, kind="photo", file_id=files["chart"])
    ctx.send(to, None, kind="document", file_id=files["final_pdf" if final else "pdf"])
    if not final:
        ctx.send(to, None, kind="document", file_id=files["xlsx"])
    ctx.send(to, intro, buttons=buttons)


def stored(ctx: Ctx, file_id: int) -> StoredFile:
    row = ctx.s.get(StoredFile, file_id)
    assert row is not None
    return row
