"""The registry of what the bot understands, and the routing of one update to it.

Feature modules (`bot/features/`) register their commands, button actions and forms here;
the core calls `dispatch(ctx)` once per update. This module sits below both: it imports
neither the core nor the features, so whoever wires the bot decides which features exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.errors import UserError
from bot.roles import Role
from bot.texts import HELP, t
from db.models import ActionToken, Office

if TYPE_CHECKING:
    from bot.core import Ctx

Handler = Callable[["Ctx"], None]
ActionHandler = Callable[["Ctx", ActionToken], None]


@dataclass
class Command:
    name: str
    func: Handler
    roles: tuple[Role, ...]
    help: str
    where: str = "private"  # private | group | any


class Router:
    """Where commands, button actions and conversation kinds are registered, in one place."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.conversations: dict[str, Handler] = {}
        # what a stranger (no linked person yet) may do: link with an invitation code,
        # or, as a settings admin, register a group
        self.stranger_hooks: list[Callable[[Ctx], bool]] = []

    def command(
        self, name: str, *roles: Role, where: str = "private"
    ) -> Callable[[Handler], Handler]:
        def deco(func: Handler) -> Handler:
            self.commands[name] = Command(name, func, roles, HELP.get(name, ""), where)
            return func

        return deco

    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        def deco(func: ActionHandler) -> ActionHandler:
            self.actions[name] = func
            return func

        return deco

    def conversation(self, kind: str) -> Callable[[Handler], Handler]:
        def deco(func: Handler) -> Handler:
            self.conversations[kind] = func
            return func

        return deco

    def stranger(self, func: Callable[[Ctx], bool]) -> Callable[[Ctx], bool]:
        """A hook tried for updates from people not linked yet; True when it handled one."""
        self.stranger_hooks.append(func)
        return func


router = Router()


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
    for hook in router.stranger_hooks:
        if hook(ctx):
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
    if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
        name = "bantuan"  # a bare `/`, `/ `, `//x`: not a command name, so the help answer
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
