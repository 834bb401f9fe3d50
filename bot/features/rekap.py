"""The kabupaten's view in chat: `/rekap [periode]` for a monitor (pemantau) — each office's
round, SOP steps against the standard, late sections, average capaian, a chart comparing the
offices and a workbook with every office's indicators; `/rekap berhenti` / `/rekap mulai`
turn the weekly digest off and on; `/dasbor` gives anyone with a role a one-time sign-in
link to the web dashboard."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.core import Ctx
from bot.errors import UserError
from bot.messaging.outbox import KEEP_TEXT
from bot.office.monitoring import visible_offices
from bot.procedure.roles import Role
from bot.procedure.sop import parse_period
from bot.reports.rekap_data import default_period, label, produce
from bot.router import router
from bot.texts import t
from db.models import DashboardLink, DigestOptOut

LINK_MINUTES = 10


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.command("rekap", Role.PEMANTAU)
def cmd_rekap(ctx: Ctx) -> None:
    """Every office of the monitor's scope at a glance, for a period."""
    arg = " ".join(ctx.msg.args).strip()
    if arg.lower() in ("berhenti", "stop"):
        if ctx.s.get(DigestOptOut, ctx.who.id) is None:
            ctx.s.add(DigestOptOut(person_id=ctx.who.id, at=ctx.now))
        ctx.audit("digest_stopped")
        ctx.reply(t("rekap_digest_stopped"))
        return
    if arg.lower() == "mulai":
        row = ctx.s.get(DigestOptOut, ctx.who.id)
        if row is not None:
            ctx.s.delete(row)
        ctx.audit("digest_started")
        ctx.reply(t("rekap_digest_started"))
        return
    offices = visible_offices(ctx.s, ctx.me, ctx.today)
    if not offices:
        raise UserError(t("rekap_no_offices"))
    if arg:
        period = parse_period(arg)
        if period is None:
            raise UserError(t("rekap_bad_period", text=arg))
    else:
        period = default_period(ctx.s, [o.id for o in offices], ctx.today)
    out = produce(
        ctx.s,
        ctx.core.files,
        ctx.core.settings.data_dir,
        ctx.who.office_id,
        offices,
        period,
        ctx.core.calendar_for,
        ctx.now,
        t("rekap_header", period=label(period), n=len(offices)),
    )
    ctx.reply(out.caption, kind="photo", file_id=out.chart_id)
    ctx.reply(t("rekap_xlsx_caption"), kind="document", file_id=out.xlsx_id)
    digest = "berhenti" if ctx.s.get(DigestOptOut, ctx.who.id) else "aktif"
    for i, text in enumerate(out.texts):
        last = i == len(out.texts) - 1
        ctx.reply(text + ("\n\n" + t("rekap_footer", digest=digest) if last else ""))
    ctx.audit("rekap", period=period, offices=[o.code for o in offices])


@router.command("dasbor")
def cmd_dashboard(ctx: Ctx) -> None:
    """A one-time link (10 minutes, single use) that signs this person in to the dashboard."""
    base = ctx.core.settings.dashboard_url
    if not base:
        raise UserError(t("dasbor_off"))
    if not visible_offices(ctx.s, ctx.me, ctx.today):
        raise UserError(t("dasbor_nothing"))
    token = secrets.token_urlsafe(24)
    ctx.s.add(
        DashboardLink(
            token=token_hash(token),
            person_id=ctx.who.id,
            created_at=ctx.now,
            expires_at=ctx.now + timedelta(minutes=LINK_MINUTES),
        )
    )
    ctx.audit("dashboard_link")
    url = f"{base.rstrip('/')}/masuk/"
    # the token leaves in the message; the outbox keeps the text without it once it is out
    ctx.reply(
        t("dasbor_link", url=url + token, minutes=LINK_MINUTES),
        template={
            KEEP_TEXT: t("dasbor_link", url=url + t("dasbor_link_sent"), minutes=LINK_MINUTES)
        },
    )
