"""`/lkjip [tahun]`: the year's LKjIP chapter III (Akuntabilitas Kinerja) from the year's
approved quarterly rounds, as a DOCX to edit, an XLSX of the same numbers and a chart per
sasaran (bot/reports/lkjip_data.py computes, bot/reports/lkjip.py draws)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from sqlalchemy import select

from bot.core import Ctx
from bot.errors import UserError
from bot.procedure.roles import Role
from bot.procedure.sop import RoundState
from bot.reports.lkjip_data import QUARTERS, approved_rounds, build_files
from bot.router import router
from bot.texts import t
from db.models import CollectionRound, Office

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _default_year(ctx: Ctx) -> int:
    """The year of the newest approved quarterly round; this year when there is none."""
    newest = ctx.s.scalar(
        select(CollectionRound.period)
        .where(
            CollectionRound.office_id == ctx.who.office_id,
            CollectionRound.state == RoundState.APPROVED,
            CollectionRound.period.like("%-Q%"),
        )
        .order_by(CollectionRound.period.desc())
        .limit(1)
    )
    return int(newest[:4]) if newest else ctx.today.year


@router.command("lkjip", Role.KASUBAG_PROGRAM, Role.SEKRETARIS, Role.CAMAT)
def cmd_lkjip(ctx: Ctx) -> None:
    arg = " ".join(ctx.msg.args).strip()
    if arg and not re.fullmatch(r"(19|20)\d\d", arg):
        raise UserError(t("lkjip_bad_year", text=arg[:20]))
    year = int(arg) if arg else _default_year(ctx)
    rounds = approved_rounds(ctx.s, ctx.who.office_id, year)
    if not rounds:
        raise UserError(t("lkjip_no_rounds", year=year))
    office = ctx.s.get(Office, ctx.who.office_id)
    assert office is not None
    tmp_root = Path(ctx.core.settings.data_dir) / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    put = ctx.core.files.put_path
    with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
        files, data = build_files(ctx.s, office, year, Path(tmp), ctx.now)
        docx = put(ctx.s, office.id, files.docx, DOCX_MIME, "lkjip", ctx.now)
        xlsx = put(ctx.s, office.id, files.xlsx, XLSX_MIME, "lkjip", ctx.now)
        charts = [put(ctx.s, office.id, c, "image/png", "lkjip", ctx.now) for c in files.charts]
    missing = [q for q in QUARTERS if q not in rounds]
    ctx.reply(
        t(
            "lkjip_caption",
            year=year,
            n=len(rounds),
            missing=t("lkjip_missing", quarters=", ".join(data.missing_quarters))
            if missing
            else "",
        ),
        kind="document",
        file_id=docx.id,
    )
    ctx.reply(t("lkjip_xlsx_caption", year=year), kind="document", file_id=xlsx.id)
    for (sasaran, _rows), chart in zip(data.groups, charts, strict=True):
        ctx.reply(
            t("lkjip_chart_caption", year=year, last=year - 1, sasaran=sasaran or "-"),
            kind="photo",
            file_id=chart.id,
        )
    ctx.audit("lkjip", year=year, rounds=[r.round_id for r in data.rounds], sha256=docx.sha256)
