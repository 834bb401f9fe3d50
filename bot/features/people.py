"""Onboarding and identity: invitations, /start, /bantuan, /saya, /daftargrup, /lepasgrup."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import Ctx
from bot.errors import UserError
from bot.fmt import format_date_id, format_datetime_id
from bot.procedure.roles import ROLE_LABELS, Role, headed_sections
from bot.router import router
from bot.texts import t
from db.models import Acting, Invitation, Office, Person


def create_invitation(session: Session, person: Person, now: datetime, days: int) -> Invitation:
    """A one-time token for a Telegram deep link (`/start <token>`), valid `days` days."""
    inv = Invitation(
        office_id=person.office_id,
        person_id=person.id,
        token=secrets.token_urlsafe(16),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(inv)
    session.flush()
    return inv


def roles_text(roles: set[Role]) -> str:
    ordered = [r for r in Role if r in roles]
    return ", ".join(ROLE_LABELS[r] for r in ordered) or "-"


def bind_invitation(ctx: Ctx, token: str) -> None:
    """Link the sender's Telegram account to the invited person."""
    inv = ctx.s.scalar(
        select(Invitation).where(Invitation.token == token).with_for_update(of=Invitation)
    )
    if inv is None:
        raise UserError(t("invite_bad"))
    if ctx.known and ctx.who.id != inv.person_id:
        raise UserError(t("invite_other_account", name=ctx.who.name))
    if inv.used_at is not None:
        if ctx.known:
            welcome_back(ctx)
            return
        raise UserError(t("invite_used"))
    if inv.expires_at < ctx.now:
        tz = inv.person.office.timezone
        raise UserError(t("invite_expired", expires=format_datetime_id(inv.expires_at, tz)))
    person = inv.person
    if ctx.msg.channel == "telegram":
        person.telegram_user_id = int(ctx.msg.user_id)
    else:
        person.whatsapp_user_id = ctx.msg.user_id
        person.whatsapp_last_inbound = ctx.now
    person.preferred_channel = ctx.msg.channel
    inv.used_at = ctx.now
    ctx.take_up(person)
    ctx.audit("account_linked", channel=ctx.msg.channel, invitation=inv.id)
    ctx.reply(
        t("welcome", name=person.name, office=person.office.name, roles=roles_text(ctx.roles()))
    )


def welcome_back(ctx: Ctx) -> None:
    ctx.reply(t("welcome_back", name=ctx.who.name, roles=roles_text(ctx.roles())))


@router.stranger
def stranger_links_or_registers(ctx: Ctx) -> bool:
    """Before linking: `/start CODE` (Telegram deep link), the code typed on WhatsApp, or a
    settings admin's /daftargrup in a group."""
    msg = ctx.msg
    if msg.command == "start" and msg.args and not msg.is_group:
        bind_invitation(ctx, msg.args[0])
        return True
    code = (msg.text or "").strip()
    if msg.channel == "whatsapp" and code and " " not in code and len(code) >= 16:
        bind_invitation(ctx, code)  # WhatsApp: the invitation code typed as a message
        return True
    if msg.command == "daftargrup" and msg.is_group and ctx.is_settings_admin:
        register_group(ctx)
        return True
    if msg.command == "lepasgrup" and msg.is_group and ctx.is_settings_admin:
        release_group(ctx)
        return True
    return False


@router.command("start", where="any", light=True)
def cmd_start(ctx: Ctx) -> None:
    """Greet a known person (or bind a new invitation token)."""
    if ctx.msg.args and not ctx.msg.is_group:
        bind_invitation(ctx, ctx.msg.args[0])
    else:
        welcome_back(ctx)


@router.command("bantuan", where="any", light=True)
def cmd_help(ctx: Ctx) -> None:
    """List exactly the commands the person's roles allow."""
    have = ctx.roles()
    lines = [t("help_header", roles=roles_text(have))]
    for cmd in router.commands.values():
        if cmd.roles and not have.intersection(cmd.roles):
            continue
        if cmd.where == "group" and not ctx.msg.is_group and Role.ADMIN not in have:
            continue
        lines.append(t("help_line", command=cmd.name, help=cmd.help))
    lines.append("")
    lines.append(t("help_footer"))
    ctx.reply("\n".join(lines))


@router.command("saya", light=True)
def cmd_whoami(ctx: Ctx) -> None:
    """Who the bot thinks I am: roles, sections, acting appointments."""
    me = ctx.me
    sections = headed_sections(ctx.s, me, ctx.today)
    acts = ctx.s.scalars(
        select(Acting).where(Acting.person_id == me.id, Acting.end_date >= ctx.today)
    ).all()
    from bot.procedure.roles import acting_label

    acting = "; ".join(
        t(
            "acting_line",
            label=acting_label(a, ctx.s),
            start=format_date_id(a.start_date),
            end=format_date_id(a.end_date),
        )
        for a in acts
    )
    ctx.reply(
        t(
            "whoami",
            name=me.name,
            nip=me.nip or "-",
            position=me.position or "-",
            office=me.office.name,
            roles=roles_text(ctx.roles()),
            sections=t("whoami_sections", sections=", ".join(s.name for s in sections))
            if sections
            else "",
            acting=t("whoami_acting", acting=acting) if acting else "",
        )
    )


@router.command("daftargrup", Role.ADMIN, where="group")
def cmd_register_group(ctx: Ctx) -> None:
    """Register this group as the office's Tim SAKIP group (admins only)."""
    register_group(ctx)


def _bound_office(ctx: Ctx) -> Office | None:
    """The office this group is the Tim SAKIP group of, if any."""
    return ctx.s.scalar(select(Office).where(Office.group_chat_id == int(ctx.msg.chat_id)))


def register_group(ctx: Ctx) -> None:
    """Bind this group to the admin's office. A group bound to another office stays bound
    until that office's admin releases it (/lepasgrup): announcements never cross offices."""
    if Role.ADMIN not in ctx.roles():
        raise UserError(t("group_register_refused"))
    if ctx.known:
        office = ctx.me.office
    else:
        offices = list(ctx.s.scalars(select(Office).order_by(Office.id)))
        by_code = {o.code: o for o in offices}
        if len(offices) == 1:
            office = offices[0]
        elif ctx.msg.args and ctx.msg.args[0] in by_code:
            office = by_code[ctx.msg.args[0]]
        else:
            raise UserError(t("group_register_which", codes=", ".join(sorted(by_code))))
    bound = _bound_office(ctx)
    if bound is not None and bound.id != office.id:
        raise UserError(t("group_bound_other", office=bound.name))
    office.group_chat_id = int(ctx.msg.chat_id)
    office.group_title = ctx.msg.chat_title
    _audit_group(ctx, office, "group_registered")
    ctx.reply(t("group_registered", title=ctx.msg.chat_title, office=office.name))


@router.command("lepasgrup", Role.ADMIN, where="group")
def cmd_release_group(ctx: Ctx) -> None:
    """Release this group from the office (admins of that office only)."""
    release_group(ctx)


def release_group(ctx: Ctx) -> None:
    if Role.ADMIN not in ctx.roles():
        raise UserError(t("group_release_refused"))
    bound = _bound_office(ctx)
    if bound is None:
        raise UserError(t("group_not_bound"))
    if ctx.known and ctx.who.office_id != bound.id:
        raise UserError(t("group_release_other", office=bound.name))
    bound.group_chat_id = None
    bound.group_title = None
    _audit_group(ctx, bound, "group_released")
    ctx.reply(t("group_released", office=bound.name))


def _audit_group(ctx: Ctx, office: Office, action: str) -> None:
    from db.models import AuditLog

    ctx.s.add(
        AuditLog(
            office_id=office.id,
            person_id=ctx.who.id if ctx.known else None,
            action=action,
            detail={"chat_id": ctx.msg.chat_id},
            at=ctx.now,
        )
    )
