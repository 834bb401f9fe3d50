"""Route one update: strangers, commands, button presses, then the person's open form."""

from __future__ import annotations

from sqlalchemy import select

from bot.core import Ctx, UserError, router
from bot.texts import t
from db.models import ActionToken, Office


def dispatch(ctx: Ctx) -> None:
    msg = ctx.msg
    if ctx.person is None:
        _stranger(ctx)
        return
    if not ctx.person.active:
        ctx.reply(t("inactive")) if msg.button is None else ctx.notice(t("inactive"), alert=True)
        return
    if msg.button is not None:
        press(ctx, msg.button)
    elif msg.command is not None:
        run_command(ctx, msg.command)
    elif msg.is_group:
        return  # ordinary talk in the team group is not addressed to the bot
    else:
        conv = ctx.conversation()
        handler = router.conversations.get(conv.kind) if conv else None
        if handler is not None:
            handler(ctx)
        elif msg.file is not None:
            ctx.reply(t("unexpected_file", name=msg.file.name))
        else:
            hint = "" if not ctx.roles() else ", atau tekan tombol pada pesan terakhir"
            ctx.reply(t("unexpected_text", hint=hint))


def _stranger(ctx: Ctx) -> None:
    msg = ctx.msg
    if msg.command == "start" and msg.args and not msg.is_group:
        from bot.features.people import bind_invitation

        bind_invitation(ctx, msg.args[0])
        return
    code = (msg.text or "").strip()
    if msg.channel == "whatsapp" and code and " " not in code and len(code) >= 16:
        from bot.features.people import bind_invitation

        bind_invitation(ctx, code)  # WhatsApp: the invitation code typed as a message
        return
    if msg.command == "daftargrup" and msg.is_group and ctx.is_settings_admin:
        from bot.features.people import register_group

        register_group(ctx)
        return
    if msg.is_group and msg.command is None:
        return
    offices = list(ctx.s.scalars(select(Office).limit(2)))
    text = t("stranger", office=offices[0].name) if len(offices) == 1 else t("stranger_generic")
    if msg.button is not None:
        ctx.notice(text, alert=True)
    else:
        ctx.reply(text)


def run_command(ctx: Ctx, name: str) -> None:
    cmd = router.commands.get(name)
    if cmd is None:
        raise UserError(t("unknown_command", command=name))
    if cmd.where == "private" and ctx.msg.is_group:
        raise UserError(t("private_only"))
    if cmd.where == "group" and not ctx.msg.is_group:
        raise UserError(t("group_only"))
    if cmd.roles:
        ctx.require(*cmd.roles)
    cmd.func(ctx)


def press(ctx: Ctx, token: str) -> None:
    """A button press: the token must exist, belong to this office and person, and be
    unused; the action itself then checks role and state (buttons can be old or forged)."""
    row = ctx.s.scalar(select(ActionToken).where(ActionToken.token == token).with_for_update())
    if row is None or row.office_id != ctx.me.office_id or row.action not in router.actions:
        raise UserError(t("button_unknown"))
    if row.used_at is not None and not row.reusable:
        raise UserError(t("button_used"))
    if row.person_id is not None and row.person_id != ctx.me.id:
        from db.models import Person

        owner = ctx.s.get(Person, row.person_id)
        raise UserError(t("button_not_yours", name=owner.name if owner else "orang lain"))
    if not row.reusable:
        row.used_at = ctx.now
    router.actions[row.action](ctx, row)
