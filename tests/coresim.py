"""The office driven through the core alone: `Core.handle(Inbound(...))` in a real database,
with what the bot sends read back from the outbox. The same moves as the harness (`say`,
`press`, `last`, `buttons`), so `tests/flows.py` plays the procedure on it too, but without
HTTP or event loop in between: fast enough for thousands of fuzz and permission examples.

`refused` collects the texts of every refusal (`Core._refuse`), so a test can tell a clear
refusal (which must change nothing) from an accepted input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select, text

import bot.features  # noqa: F401  (registers commands, buttons and forms on the router)
from bot.clock import Clock
from bot.core import Core, Inbound, InboundFile, Item, Outcome
from bot.settings import Settings
from bot.tools.simulation import GROUP_ID, User
from db.engine import Database
from db.models import Outbox, Person

BOT_USERNAME = "sakip_test_bot"
# what a refusal or a successful action may write besides the change itself
LOG_TABLES = {"outbox", "inbox", "audit_log", "alembic_version"}


class SpyCore(Core):
    """The real core, noting each refusal's text."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.refused: list[str] = []

    def _refuse(self, msg: Inbound, text: str, item: Item | None = None) -> Outcome:
        self.refused.append(text)
        return super()._refuse(msg, text, item)


@dataclass
class Shown:
    """A message as the person sees it now (edits applied)."""

    id: int
    chat_id: str
    text: str
    buttons: list[list[list[str]]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [b[0] for row in self.buttons for b in row]


class CoreSim:
    """People acting on the core directly; the harness's interface, synchronous inside."""

    def __init__(self, settings: Settings, clock: Clock, db: Database) -> None:
        self.clock, self.db = clock, db
        self.core = SpyCore(db, settings, clock, bot_username=BOT_USERNAME)
        self.admin = User(9000, "Admin Telegram")
        self.groups: set[int] = set()

    # --- people -----------------------------------------------------------------------------
    def person(self, nip: str) -> Person:
        with self.db.transaction() as s:
            p = s.scalar(select(Person).where(Person.nip == nip))
            assert p is not None, nip
            return p

    def user(self, nip: str, link: bool = True) -> User:
        with self.db.transaction() as s:
            p = s.scalar(select(Person).where(Person.nip == nip))
            assert p is not None, nip
            uid = 100_000 + p.id
            if link:
                p.telegram_user_id = uid
            return User(uid, p.name, nip)

    def stranger(self, uid: int = 777, name: str = "Orang Asing") -> User:
        return User(uid, name)

    def group(self, members: list[User], chat_id: int = GROUP_ID, title: str = "Tim SAKIP") -> int:
        self.groups.add(chat_id)
        return chat_id

    # --- acting -----------------------------------------------------------------------------
    def inbound(self, user: User, text: str, chat: int | None = None) -> Inbound:
        """What the Telegram adapter makes of a typed text (handlers/telegram.py)."""
        from handlers.telegram import parse_command

        chat_id = chat if chat is not None else user.chat
        msg = Inbound(
            channel="telegram",
            user_id=str(user.id),
            chat_id=str(chat_id),
            is_group=chat_id < 0,
            user_name=user.name,
            chat_title="Tim SAKIP" if chat_id < 0 else "",
        )
        if text.startswith("/"):
            parsed = parse_command(text, BOT_USERNAME)
            if parsed is None and chat_id < 0:
                msg.text = None  # another bot's command in a group: the adapter drops it
            else:
                msg.command, msg.args = parsed or ("", [])
        else:
            msg.text = text
        return msg

    def handle(self, msg: Inbound) -> Outcome:
        return self.core.handle(msg)

    def say_now(self, user: User, text: str, chat: int | None = None) -> list[str]:
        chat_id = chat if chat is not None else user.chat
        before = self._max_id()
        msg = self.inbound(user, text, chat)
        if msg.command is None and msg.text is None:
            return []
        self.core.handle(msg)
        return [m.text for m in self.sent(chat_id, after=before)]

    async def say(self, user: User, text: str, chat: int | None = None) -> list[str]:
        return self.say_now(user, text, chat)

    async def send_file(
        self, user: User, content: bytes, name: str, mime: str, photo: bool = False
    ) -> list[str]:
        before = self._max_id()
        self.core.handle(
            Inbound(
                channel="telegram",
                user_id=str(user.id),
                chat_id=str(user.chat),
                file=InboundFile(name, mime, len(content), content, "f1", is_photo=photo),
            )
        )
        return [m.text for m in self.sent(user.chat, after=before)]

    def press_token(
        self, user: User, token: str, chat: int | None = None, message_id: str | None = None
    ) -> str | None:
        chat_id = chat if chat is not None else user.chat
        out = self.core.handle(
            Inbound(
                channel="telegram",
                user_id=str(user.id),
                chat_id=str(chat_id),
                is_group=chat_id < 0,
                button=token,
                button_message_id=message_id,
                user_name=user.name,
            )
        )
        return out.notice

    def find_button(self, chat: int, label: str) -> tuple[str | None, str]:
        for m in reversed(self.shown(chat)):
            for row in m.buttons:
                for b in row:
                    if b[0].startswith(label):
                        return None, b[1]
        visible = [b for m in self.shown(chat) for b in m.labels]
        raise LookupError(f"no button {label!r} in chat {chat}; visible: {visible[-12:]}")

    def press_now(self, user: User, label: str, chat: int | None = None) -> str | None:
        chat_id = chat if chat is not None else user.chat
        _, token = self.find_button(chat_id, label)
        return self.press_token(user, token, chat_id)

    async def press(self, user: User, label: str, chat: int | None = None) -> str | None:
        return self.press_now(user, label, chat)

    async def settle(self) -> None:
        return None

    # --- reading ----------------------------------------------------------------------------
    def _max_id(self) -> int:
        with self.db.transaction() as s:
            return s.scalar(select(Outbox.id).order_by(Outbox.id.desc()).limit(1)) or 0

    def sent(self, chat: int, after: int = 0) -> list[Shown]:
        """New rows to the chat after outbox id `after` (messages and edits)."""
        with self.db.transaction() as s:
            rows = s.scalars(
                select(Outbox)
                .where(Outbox.chat_id == str(chat), Outbox.id > after)
                .order_by(Outbox.id)
            ).all()
            return [Shown(r.id, r.chat_id, r.text or "", r.buttons or []) for r in rows]

    def shown(self, chat: int) -> list[Shown]:
        """The chat as the person sees it: messages in order, edits applied in place."""
        with self.db.transaction() as s:
            rows = s.scalars(
                select(Outbox).where(Outbox.chat_id == str(chat)).order_by(Outbox.id)
            ).all()
            by_id: dict[int, Shown] = {}
            order: list[Shown] = []
            for r in rows:
                if r.kind == "edit" and r.edit_of_id in by_id:
                    target = by_id[r.edit_of_id]
                    if r.text:
                        target.text = r.text
                    target.buttons = r.buttons or []
                    continue
                m = Shown(r.id, r.chat_id, r.text or "", r.buttons or [])
                by_id[r.id] = m
                order.append(m)
            return order

    def texts(self, user_or_chat: User | int) -> list[str]:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        return [m.text for m in self.shown(chat)]

    def last(self, user_or_chat: User | int) -> str:
        texts = self.texts(user_or_chat)
        return texts[-1] if texts else ""

    def buttons(self, user_or_chat: User | int) -> list[str]:
        chat = user_or_chat.chat if isinstance(user_or_chat, User) else user_or_chat
        msgs = [m for m in self.shown(chat) if m.buttons]
        return msgs[-1].labels if msgs else []


def snapshot(db: Database, skip: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every row of every table but the logs (outbox, inbox, audit), to compare before and
    after an input that must change nothing."""
    out: dict[str, Any] = {}
    with db.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            if table in LOG_TABLES or table in skip:
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            out[table] = sorted((tuple(map(repr, r)) for r in rows), key=repr)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [t for t in before if before[t] != after.get(t)]


class Saved:
    """Every table's rows at one moment, to put the database back between fuzz examples
    (an accepted input moves the procedure on; the next example starts where this one did)."""

    def __init__(self, db: Database) -> None:
        from db.models import Base

        self.db = db
        self.tables = Base.metadata.sorted_tables
        with db.engine.connect() as conn:
            self.rows = {
                t.name: [dict(r) for r in conn.execute(t.select()).mappings()] for t in self.tables
            }

    def restore(self) -> None:
        pg = self.db.engine.dialect.name == "postgresql"
        with self.db.engine.begin() as conn:
            # foreign keys off while the rows go back (some tables refer to each other)
            conn.execute(
                text("SET LOCAL session_replication_role = replica")
                if pg
                else text("PRAGMA defer_foreign_keys = ON")
            )
            for t in reversed(self.tables):
                conn.execute(t.delete())
            for t in self.tables:
                if self.rows[t.name]:
                    conn.execute(t.insert(), self.rows[t.name])
