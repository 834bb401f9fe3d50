"""SOP step 1: the Camat orders a collection round with a short form (/minta)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.core import Ctx
from bot.errors import UserError
from bot.fmt import format_date_long_id, format_datetime_id
from bot.messaging.outbox import address_of
from bot.procedure.roles import Role
from bot.procedure.rounds import end_step, open_rounds, role_holders, round_indicators, start_step
from bot.procedure.sop import STATE_TEXT, RoundState, parse_period, period_label, period_options
from bot.router import Pressed, router
from bot.texts import t
from db.models import CollectionRound, Indicator, Section
from db.reads import ConversationRead

MONTHS = {
    "januari": 1, "februari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
    "agustus": 8, "september": 9, "oktober": 10, "november": 11, "desember": 12,
}  # fmt: skip


def parse_date_id(text: str, today: date) -> date | None:
    """ "30/11/2026", "30-11-2026", "30 November 2026", "30/11" (this year)."""
    s = text.strip().lower()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?", s)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3) or today.year)
    else:
        m = re.fullmatch(r"(\d{1,2})\s+([a-z]+)(?:\s+(\d{4}))?", s)
        if not m or m.group(2) not in MONTHS:
            return None
        day, month, year = int(m.group(1)), MONTHS[m.group(2)], int(m.group(3) or today.year)
    try:
        return date(year, month, day)
    except ValueError:
        return None


@router.command("minta", Role.CAMAT)
def cmd_request(ctx: Ctx) -> None:
    """Open the request form: period, sections, proposed deadline, then [Kirim]/[Batal]."""
    ctx.set_conversation("request", stage="period", started=ctx.now.isoformat())
    _ask_period(ctx)


def _ask_period(ctx: Ctx) -> None:
    options = period_options(ctx.today)
    rows = [[ctx.button(period_label(p), "req_period", person=ctx.who, period=p)] for p in options]
    ctx.reply(t("req_ask_period"), buttons=rows)


@router.action("req_period")
def act_period(ctx: Ctx, tok: Pressed) -> None:
    conv = _conv(ctx, "period")
    ctx.edit_pressed(buttons=[])
    _set_period(ctx, tok.payload["period"], conv.data)


def _conv(ctx: Ctx, *stages: str) -> ConversationRead:
    conv = ctx.conversation()
    if conv is None or conv.kind != "request" or conv.data.get("stage") not in stages:
        raise UserError(t("req_not_open"))
    return conv


def _set_period(ctx: Ctx, period: str, data: dict[str, Any]) -> None:
    _set_period_check(ctx, period)
    sections = list(
        ctx.s.scalars(
            select(Section)
            .where(Section.office_id == ctx.who.office_id, Section.active.is_(True))
            .order_by(Section.position, Section.id)
        )
    )
    ctx.update_conversation(stage="sections", period=period, sections=[s.id for s in sections])
    ctx.reply(t("req_ask_sections", period=period_label(period)), buttons=_section_buttons(ctx))


def _section_buttons(ctx: Ctx) -> list[list[list[str]]]:
    conv = ctx.conversation()
    assert conv is not None
    chosen = set(conv.data.get("sections", []))
    sections = ctx.s.scalars(
        select(Section)
        .where(Section.office_id == ctx.who.office_id, Section.active.is_(True))
        .order_by(Section.position, Section.id)
    )
    rows = [
        [
            ctx.button(
                ("✅ " if s.id in chosen else "⬜ ") + s.name,
                "req_toggle",
                person=ctx.who,
                reusable=True,
                section=s.id,
            )
        ]
        for s in sections
    ]
    rows.append([ctx.button(t("btn_next"), "req_sections_done", person=ctx.who)])
    return rows


@router.action("req_toggle")
def act_toggle(ctx: Ctx, tok: Pressed) -> None:
    conv = _conv(ctx, "sections")
    chosen = set(conv.data.get("sections", []))
    chosen ^= {tok.payload["section"]}
    ctx.update_conversation(sections=sorted(chosen))
    ctx.edit_pressed(buttons=_section_buttons(ctx))


@router.action("req_sections_done")
def act_sections_done(ctx: Ctx, tok: Pressed) -> None:
    conv = _conv(ctx, "sections")
    if not conv.data.get("sections"):
        raise UserError(t("req_no_sections"))
    ctx.edit_pressed(buttons=[])
    _ask_deadline(ctx)


def _ask_deadline(ctx: Ctx) -> None:
    ctx.update_conversation(stage="deadline")
    days = ctx.core.settings.default_section_days
    options = [days, days + 2]
    rows = [
        [
            ctx.button(
                t(
                    "req_deadline_days",
                    days=d,
                    date=format_date_long_id(
                        ctx.cal.local(ctx.cal.deadline_after(ctx.now, d)).date()
                    ),
                ),
                "req_deadline",
                person=ctx.who,
                days=d,
            )
        ]
        for d in options
    ]
    ctx.reply(t("req_ask_deadline"), buttons=rows)


@router.action("req_deadline")
def act_deadline(ctx: Ctx, tok: Pressed) -> None:
    _conv(ctx, "deadline")
    ctx.edit_pressed(buttons=[])
    _summary(ctx, ctx.cal.deadline_after(ctx.now, int(tok.payload["days"])))


@router.conversation("request")
def on_text(ctx: Ctx) -> None:
    """Typed answers to the request form: a period or a date."""
    conv = ctx.conversation()
    assert conv is not None
    text = (ctx.msg.text or "").strip()
    stage = conv.data.get("stage")
    if stage == "period":
        period = parse_period(text)
        if period is None:
            raise UserError(t("req_bad_period", text=text))
        _set_period(ctx, period, conv.data)
    elif stage == "deadline":
        d = parse_date_id(text, ctx.today)
        if d is None:
            raise UserError(t("req_bad_date", text=text))
        if d <= ctx.today:
            raise UserError(t("req_past_date", date=format_date_long_id(d)))
        if not ctx.cal.is_working_day(d):
            raise UserError(t("req_not_working_day", date=format_date_long_id(d)))
        local = datetime.combine(d, ctx.cal.work_end, tzinfo=ctx.cal.zone)
        _summary(ctx, local.astimezone(ctx.now.tzinfo))
    else:
        raise UserError(t("req_use_buttons"))


def _summary(ctx: Ctx, deadline: datetime) -> None:
    conv = ctx.conversation()
    assert conv is not None
    ctx.update_conversation(stage="confirm", deadline=deadline.isoformat())
    sections = ctx.s.scalars(
        select(Section).where(Section.id.in_(conv.data["sections"])).order_by(Section.position)
    ).all()
    ctx.reply(
        t(
            "req_summary",
            period=period_label(conv.data["period"]),
            sections="\n".join(f"   – {s.name}" for s in sections),
            deadline=format_datetime_id(deadline, ctx.who.timezone),
        ),
        buttons=[
            [
                ctx.button(t("btn_send"), "req_send", person=ctx.who),
                ctx.button(t("btn_cancel"), "req_cancel", person=ctx.who),
            ]
        ],
    )


@router.action("req_cancel")
def act_cancel(ctx: Ctx, tok: Pressed) -> None:
    _conv(ctx, "confirm")
    ctx.end_conversation()
    ctx.edit_pressed(buttons=[])
    ctx.reply(t("req_cancelled"))


@router.action("req_send")
def act_send(ctx: Ctx, tok: Pressed) -> None:
    """[Kirim]: create the round, ask the Sekretaris for the team, and announce it in the
    Tim SAKIP group, or to each member one to one where no group is registered."""
    ctx.require(Role.CAMAT)
    conv = _conv(ctx, "confirm")
    data = conv.data
    _set_period_check(ctx, data["period"])
    indicators = ctx.s.scalars(
        select(Indicator.id).where(
            Indicator.office_id == ctx.who.office_id,
            Indicator.active.is_(True),
            Indicator.section_id.in_(data["sections"]),
        )
    ).all()
    rnd = CollectionRound(
        office_id=ctx.who.office_id,
        period=data["period"],
        period_label=period_label(data["period"]),
        state=RoundState.REQUESTED,
        open_key=1,
        requested_by_id=ctx.who.id,
        proposed_deadline=datetime.fromisoformat(data["deadline"]),
        indicator_ids=list(indicators),
        team_ids=[],
        created_at=ctx.now,
    )
    ctx.s.add(rnd)
    try:
        with ctx.s.begin_nested():
            ctx.s.flush()
    except IntegrityError:
        raise UserError(t("req_duplicate_race", period=rnd.period_label)) from None
    started = datetime.fromisoformat(data["started"])
    start_step(ctx.s, rnd, 1, started, ctx.cal)
    end_step(ctx.s, rnd, 1, ctx.now, ctx.who.id)
    start_step(ctx.s, rnd, 2, ctx.now, ctx.cal)
    ctx.end_conversation()
    ctx.edit_pressed(buttons=[])
    ctx.audit("round_requested", round_id=rnd.id, period=rnd.period, sections=data["sections"])
    tz = ctx.who.timezone
    n_sections = len({i.section_id for i in round_indicators(ctx.s, rnd)})
    announcement = t(
        "req_group",
        camat=ctx.who.name,
        period=rnd.period_label,
        sections=n_sections,
        indicators=len(indicators),
        deadline=format_datetime_id(rnd.proposed_deadline or ctx.now, tz),
    )
    from bot.features.team import send_team_form

    posted = ctx.group(announcement)
    sekretaris = role_holders(ctx, Role.SEKRETARIS)
    for h in sekretaris:
        send_team_form(ctx, rnd, h.person, h.title)
    if posted:
        ctx.reply(t("req_sent", period=rnd.period_label))
        return
    # no group: the Tim SAKIP hear it one to one (WhatsApp users already have, by to_group)
    told = {h.person.id for h in sekretaris}
    team = [h.person for h in role_holders(ctx, Role.TIM_SAKIP) if h.person.id not in told]
    for person in team:
        if person.preferred_channel != "whatsapp":
            ctx.send(person, announcement)
    reached = [p.name for p in team if address_of(p) is not None]
    unlinked = [p.name for p in team if address_of(p) is None]
    text = t("req_sent_direct", period=rnd.period_label, names=", ".join(reached) or "-")
    if unlinked:
        text += "\n" + t("req_unlinked", names=", ".join(unlinked))
    ctx.reply(text + "\n" + t("req_no_group"))


def _set_period_check(ctx: Ctx, period: str) -> None:
    for rnd in open_rounds(ctx.s, ctx.who.office_id):
        if rnd.period == period:
            raise UserError(
                t(
                    "req_duplicate",
                    period=period_label(period),
                    state=STATE_TEXT[rnd.state],
                    date=format_datetime_id(rnd.created_at, ctx.who.timezone),
                )
            )
