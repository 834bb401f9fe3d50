"""/laporan (preview the current draft) and /arsip (past rounds, each as a ZIP)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.core import Ctx
from bot.errors import Stale, UserError
from bot.features.compile import send_report
from bot.fmt import format_date_id
from bot.procedure.roles import Role
from bot.procedure.rounds import current_round
from bot.procedure.sop import RoundState
from bot.reports.archive import ArchiveError, build_zip
from bot.router import Pressed, router
from bot.texts import t
from db.models import CollectionRound, ReportVersion


@router.command("laporan", Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.TIM_SAKIP)
def cmd_report(ctx: Ctx) -> None:
    """Preview the latest draft of the open round: chart, PDF, XLSX."""
    rnd = current_round(ctx)
    version = None
    if rnd is not None:
        version = ctx.s.scalar(
            select(ReportVersion)
            .where(ReportVersion.round_id == rnd.id)
            .order_by(ReportVersion.version.desc())
        )
    if rnd is None or version is None:
        raise UserError(t("report_none_yet"))
    send_report(
        ctx,
        rnd,
        version,
        ctx.me,
        t("report_preview", version=version.version, period=rnd.period_label),
    )


@router.command("arsip", Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.CAMAT, Role.ADMIN)
def cmd_archive(ctx: Ctx) -> None:
    """The list of finished rounds, each with a button for its ZIP."""
    rounds = ctx.s.scalars(
        select(CollectionRound)
        .where(
            CollectionRound.office_id == ctx.who.office_id,
            CollectionRound.state == RoundState.APPROVED,
        )
        .order_by(CollectionRound.id.desc())
        .limit(20)
    ).all()
    if not rounds:
        raise UserError(t("archive_empty"))
    lines = [t("archive_header")]
    rows = []
    for rnd in rounds:
        closed = format_date_id(ctx.cal.local(rnd.closed_at).date()) if rnd.closed_at else "-"
        lines.append(t("archive_line", period=rnd.period_label, closed=closed))
        rows.append(
            [
                ctx.button(
                    t("btn_archive", period=rnd.period_label),
                    "archive_zip",
                    person=ctx.who,
                    reusable=True,
                    round=rnd.id,
                )
            ]
        )
    ctx.reply("\n".join(lines), buttons=rows)


@router.action("archive_zip")
def act_zip(ctx: Ctx, tok: Pressed) -> None:
    ctx.require(Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.CAMAT, Role.ADMIN)
    rnd = ctx.s.get(CollectionRound, tok.payload["round"])
    if rnd is None or rnd.office_id != ctx.who.office_id:
        raise Stale(t("button_unknown"))
    data_dir = Path(ctx.core.settings.data_dir)
    tmp = data_dir / "tmp" / f"arsip_{rnd.period.replace('-', '_')}_putaran{rnd.id}.zip"
    try:
        build_zip(ctx.s, data_dir, rnd, tmp, ctx.now)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    stored = ctx.core.files.put_path(
        ctx.s, ctx.who.office_id, tmp, "application/zip", "archive", ctx.now
    )
    tmp.unlink(missing_ok=True)
    ctx.audit("archive_downloaded", round_id=rnd.id, sha256=stored.sha256)
    ctx.reply(t("archive_caption", period=rnd.period_label), kind="document", file_id=stored.id)
