"""The registry of what the bot understands, and the routing of one update to it.

Feature modules (`bot/features/`) register their commands, button actions and forms here;
the core calls `dispatch(ctx)` once per update. This module sits below both: it imports
neither the core nor the features, so whoever wires the bot decides which features exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from bot.errors import UserError
from bot.procedure.roles import Role
from bot.texts import HELP, t
from db.models import ActionToken, Office
from db.plain import stage_update
from db.reads import TokenRead, columns

if TYPE_CHECKING:
    from bot.core import Ctx, Inbound

Handler = Callable[["Ctx"], None]
ActionHandler = Callable[["Ctx", "Pressed"], None]  # given the press


@dataclass
class Command:
    name: str
    func: Handler
    roles: tuple[Role, ...]
    help: str
    where: str = "private"  # private | group | any
    light: bool = False  # never builds a report, draws a chart or stores a file (`light`)


class Router:
    """Where commands, button actions and conversation kinds are registered, in one place."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.conversations: dict[str, Handler] = {}
        self.webapps: dict[str, Handler] = {}  # requests from a page in Telegram (Mini App)
        # what a stranger (no linked person yet) may do: link with an invitation code,
        # or, as a settings admin, register a group
        self.stranger_hooks: list[Callable[[Ctx], bool]] = []

    def command(
        self, name: str, *roles: Role, where: str = "private", light: bool = False
    ) -> Callable[[Handler], Handler]:
        def deco(func: Handler) -> Handler:
            self.commands[name] = Command(name, func, roles, HELP.get(name, ""), where, light)
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

    def webapp(self, kind: str) -> Callable[[Handler], Handler]:
        """A Mini App's request (`Inbound.web`, its `app` naming `kind`), handled as an
        update like any other."""

        def deco(func: Handler) -> Handler:
            self.webapps[kind] = func
            return func

        return deco

    def stranger(self, func: Callable[[Ctx], bool]) -> Callable[[Ctx], bool]:
        """A hook tried for updates from people not linked yet; True when it handled one."""
        self.stranger_hooks.append(func)
        return func


router = Router()


def dispatch(ctx: Ctx) -> None:
    msg = ctx.msg
    if not ctx.known:
        _stranger(ctx)
        return
    if not ctx.who.active:
        if msg.button is None and msg.web is None:
            ctx.reply(t("inactive"))
        else:
            ctx.notice(t("inactive"), alert=True)
        return
    if msg.web is not None:
        handler = router.webapps.get(str(msg.web.get("app")))
        if handler is None:
            raise UserError(t("button_unknown"))
        handler(ctx)
    elif msg.button is not None:
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
    # a kecamatan's name when the deployment serves one (a kabupaten's own office row, which
    # holds its monitors, is not one the stranger could belong to)
    offices = [
        o
        for o in ctx.s.scalars(select(Office).limit(3))
        if (o.config or {}).get("kind") != "kabupaten"
    ]
    text = t("stranger", office=offices[0].name) if len(offices) == 1 else t("stranger_generic")
    if msg.button is not None or msg.web is not None:
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


FAMILY = "*"  # an action token that stands for a family of actions (see `press`)
# a family button's seq or idx, as `family_data` writes it: ASCII digits without sign or
# leading zero, at most 8 (`str.isdigit` also takes "²", which `int` refuses)
_FAMILY_NUMBER = re.compile(r"0|[1-9][0-9]{0,7}")


@dataclass(frozen=True)
class Pressed:
    """A press of a button: its token, the action, and what the button carries (its
    token's payload; in a token family, + `seq` and `idx` from the button)."""

    token: TokenRead
    action: str
    payload: dict[str, Any]


def family_data(token: str, action: str, seq: int, idx: int | None = None) -> str:
    """Callback data of a button in a token family: `TOKEN.action.seq[.idx]` (≤ 64 bytes)."""
    parts = [token, action, str(seq)] + ([str(idx)] if idx is not None else [])
    return ".".join(parts)


def light(msg: Inbound) -> bool:
    """An update whose handling is known, before any lookup, to be light: typed text (a
    form's or another conversation's answer, or a stray line), a command registered light
    (or none: the refusal), or a press of a token family's button (the form's). No such
    step builds a report, draws a chart or stores a file; other commands and buttons, and
    files, may."""
    if msg.file is not None or msg.web is not None:  # a Mini App's may submit, or store files
        return False
    if msg.command is not None:
        cmd = router.commands.get(msg.command)
        return cmd is None or cmd.light
    return msg.button is None or "." in msg.button


# built once: every press asks. The token as a plain read (`db.reads.TokenRead`): an action
# reads its payload, and a used single-use token is staged as used.
_TOKEN = (
    select(*columns(TokenRead)).where(ActionToken.token == bindparam("token")).with_for_update()
)


def press(ctx: Ctx, data: str) -> None:
    """A button press: the token must exist, belong to this office and person, and be
    unused; the action itself then checks role and state (buttons can be old or forged).

    Most buttons carry a token of their own. A form's buttons share one reusable token
    (`FAMILY`): their data is `TOKEN.action.seq[.idx]`, the action must be one the family
    allows, and the form refuses a button of another form (its own token) or any `seq` but
    the current one — so the form's prompts write no token rows at all."""
    token, _, rest = data.partition(".")
    got = ctx.s.connection().execute(_TOKEN, {"token": token}).first()
    row = TokenRead(*got) if got is not None else None
    if row is None or row.office_id != ctx.who.office_id:
        raise UserError(t("button_unknown"))
    if row.person_id is not None and row.person_id != ctx.who.id:
        from db.models import Person

        owner = ctx.s.get(Person, row.person_id)
        raise UserError(t("button_not_yours", name=owner.name if owner else "orang lain"))
    if row.action == FAMILY:
        action, *args = rest.split(".")
        prefix = str(row.payload.get("prefix", "\0"))
        if (
            not action.startswith(prefix)
            or action not in router.actions
            or not 1 <= len(args) <= 2
            or not all(_FAMILY_NUMBER.fullmatch(a) for a in args)
        ):
            raise UserError(t("button_unknown"))
        payload = {**row.payload, "seq": int(args[0])}
        if len(args) == 2:
            payload["idx"] = int(args[1])
        router.actions[action](ctx, Pressed(row, action, payload))
        return
    if rest or row.action not in router.actions:
        raise UserError(t("button_unknown"))
    if row.used_at is not None and not row.reusable:
        raise UserError(t("button_used"))
    if not row.reusable:
        row = stage_update(ctx.s, row, used_at=ctx.now)
    router.actions[row.action](ctx, Pressed(row, row.action, row.payload))
