"""The core's entry point: one call per incoming update, whatever the channel.

A channel adapter turns an update into an `Inbound`, calls `Core.handle`, and renders the
returned `Outcome` (for a button press: the short notice to show). Messages to people are
not returned: they are written to the outbox in the same transaction as the change.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.errors import UserError
from bot.files import FileRejected, FileStore
from bot.messaging import outbox
from bot.messaging.inbox import Inbox, Item, is_transient
from bot.procedure.calendar import WorkCalendar
from bot.procedure.roles import (
    ACTING_NEAR,
    NotAllowed,
    Role,
    acting_near_params,
    held_roles,
    no_acting_near,
    not_allowed,
)
from bot.router import dispatch
from bot.settings import Settings
from bot.texts import t
from db.engine import Database
from db.models import (
    ActionToken,
    AuditLog,
    Conversation,
    Office,
    Person,
    PersonRole,
    Reminder,
)
from db.plain import delete_now, insert_rows, stage_insert, stage_update
from db.reads import ConversationRead, columns, width

log = logging.getLogger(__name__)


@dataclass
class InboundFile:
    name: str
    mime: str
    size: int | None
    content: bytes | None  # None when the adapter refused to download (too large)
    source_id: str = ""
    is_photo: bool = False
    caption: str | None = None  # what the sender wrote with it


@dataclass
class Inbound:
    """One incoming update, channel-neutral."""

    channel: str
    user_id: str
    chat_id: str
    is_group: bool = False
    text: str | None = None
    command: str | None = None
    args: list[str] = field(default_factory=list)
    button: str | None = None
    button_message_id: str | None = None
    file: InboundFile | None = None
    user_name: str = ""
    chat_title: str = ""
    # a request from a page opened in Telegram (a Mini App, `router.webapp`): what the page
    # sent, its sender checked by the web app; answered to the page (`Outcome`), not in chat
    web: dict[str, Any] | None = None


@dataclass
class Outcome:
    notice: str | None = None  # shown as the button's answer (toast/alert), or sent as text
    alert: bool = False


@dataclass(slots=True)
class Who:
    """The person behind an update, as every update needs them: read with a plain statement
    (`Core.find_person`), with their office's calendar, their own roles and their open form.
    The ORM `Person` (`Ctx.me`) is loaded only where a feature asks for it."""

    id: int
    office_id: int
    name: str
    active: bool
    timezone: str  # their office's, and its extra days off: the calendar
    days_off: list[Any]
    roles: frozenset[str]
    conversation: ConversationRead | None

    @classmethod
    def of(cls, person: Person) -> Who:
        conv = person.conversation
        return cls(
            person.id,
            person.office_id,
            person.name,
            person.active,
            person.office.timezone,
            list(person.office.days_off or ()),
            frozenset(r.role for r in person.roles),
            ConversationRead(conv.person_id, conv.kind, conv.data, conv.updated_at)
            if conv
            else None,
        )


class Ctx:
    """One unit of work: the session, who is acting, and helpers to reply and record."""

    def __init__(self, core: Core, session: Session, msg: Inbound, who: Who | None):
        self.core = core
        self.s = session
        self.msg = msg
        self._who = who
        self._person: Person | None = None
        self.now: datetime = core.clock.now()
        self.outcome = Outcome()
        self._memo: dict[object, Any] = {}
        self._conv: ConversationRead | None = None
        self._conv_read = False  # `_conv` taken from `who` (or set by this update)

    @property
    def who(self) -> Who:
        """The person behind the update (the router lets only known people through)."""
        assert self._who is not None
        return self._who

    @property
    def known(self) -> bool:
        """The update comes from a person the office knows (else: a stranger, or an
        invitation being taken up)."""
        return self._who is not None

    def take_up(self, person: Person) -> None:
        """The update's sender turned out to be `person` (an invitation taken up)."""
        self._person = person
        self._who = Who.of(person)
        self._conv_read = False

    def memo(self, key: object, compute: Callable[[], Any]) -> Any:
        """Compute once per unit of work (role and permission lookups repeat within one)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # --- who and when -------------------------------------------------------------
    @property
    def me(self) -> Person:
        """`who` as an ORM object, for work that follows its relationships: loaded when
        first asked (most updates need only `who`)."""
        if self._person is None:
            self._person = self.s.get(Person, self.who.id)
        assert self._person is not None
        return self._person

    @property
    def office(self) -> Office:
        return self.me.office

    @property
    def cal(self) -> WorkCalendar:
        return self.core.calendar_for(self.who)

    @property
    def today(self) -> date:
        return self.cal.local(self.now).date()

    def roles(self) -> set[Role]:
        """Roles held today: own, acting (Plt/Plh), and admin by ADMIN_TELEGRAM_IDS."""

        who = self._who

        def compute() -> set[Role]:
            have = set()
            if who is not None and who.active:
                have = held_roles(self.s, who.id, who.office_id, who.roles, self.today)
            if self.is_settings_admin:
                have.add(Role.ADMIN)
            return have

        return set(self.memo(("roles", who.id if who else None), compute))

    @property
    def is_settings_admin(self) -> bool:
        return self.msg.channel == "telegram" and self.msg.user_id in {
            str(i) for i in self.core.settings.admin_telegram_ids
        }

    def require(self, *allowed: Role) -> set[Role]:
        """The one role check, used by every command and button: refuse unless the person
        holds one of `allowed` today."""
        have = self.roles()
        if not have.intersection(allowed):
            raise not_allowed(allowed)
        return have

    # --- talking ----------------------------------------------------------------------
    def reply(self, text: str, buttons: outbox.Buttons | None = None, **kw: Any) -> None:
        """Answer in the chat the update came from."""
        outbox.enqueue(
            self.s,
            now=self.now,
            channel=self.msg.channel,
            chat_id=self.msg.chat_id,
            text=text,
            office_id=self._who.office_id if self._who else None,
            person_id=self._who.id if self._who and not self.msg.is_group else None,
            buttons=buttons,
            **kw,
        )

    def send(self, person: Person, text: str | None, **kw: Any) -> None:
        outbox.to_person(self.s, person, text, self.now, **kw)

    def group(self, text: str, **kw: Any) -> bool:
        """Post in the office's Tim SAKIP group; False when none is registered (nothing was
        posted there: say so, and reach the people who must act one to one)."""
        return outbox.to_group(self.s, self.office, text, self.now, **kw)

    def button(
        self,
        label: str,
        action: str,
        person: Person | Who | None = None,
        reusable: bool = False,
        **payload: Any,
    ) -> list[str]:
        """A button: the label and a short opaque token naming a server-side action record."""
        token = secrets.token_urlsafe(9)
        stage_insert(
            self.s,
            ActionToken,
            token=token,
            office_id=self.who.office_id,
            action=action,
            payload=payload,
            person_id=person.id if person else None,
            reusable=reusable,
            created_at=self.now,
        )
        return [label, token]

    def edit_pressed(self, text: str | None = None, buttons: outbox.Buttons | None = None) -> bool:
        """Change the message whose button was pressed (drop or replace its buttons). The
        press names the message (its id in the chat), so nothing needs looking up. False
        where the channel has no pressed message to edit (WhatsApp)."""
        if not self.msg.button_message_id:
            return False
        outbox.enqueue(
            self.s,
            now=self.now,
            channel=self.msg.channel,
            chat_id=self.msg.chat_id,
            kind="edit",
            text=text,
            buttons=buttons,
            template={"edit_remote": self.msg.button_message_id},
            office_id=self._who.office_id if self._who else None,
            person_id=self._who.id if self._who and not self.msg.is_group else None,
        )
        return True

    def notice(self, text: str, alert: bool = False) -> None:
        self.outcome = Outcome(text, alert)

    def audit(self, action: str, round_id: int | None = None, **detail: Any) -> None:
        stage_insert(
            self.s,
            AuditLog,
            office_id=self.who.office_id,
            round_id=round_id,
            person_id=self._who.id if self._who else None,
            action=action,
            detail=_jsonable(detail),
            at=self.now,
        )

    # --- conversation (the persisted form state) ---------------------------------------
    def conversation(self) -> ConversationRead | None:
        """The person's open form (read with the person: no query of its own)."""
        if not self._conv_read:
            self._conv, self._conv_read = self.who.conversation, True
        return self._conv

    def set_conversation(self, kind: str, **data: Any) -> ConversationRead:
        conv = self.conversation()
        values = {"kind": kind, "data": _jsonable(data), "updated_at": self.now}
        if conv is None:
            (conv,) = insert_rows(self.s, ConversationRead, [{"person_id": self.who.id, **values}])
        else:
            conv = stage_update(self.s, conv, **values)
        self._conv = conv
        return conv

    def update_conversation(self, **data: Any) -> ConversationRead | None:
        """Merge `data` into the open conversation's; the conversation as it is now."""
        conv = self.conversation()
        if conv is not None:
            data = {**conv.data, **_jsonable(data)}
            conv = self._conv = stage_update(self.s, conv, data=data, updated_at=self.now)
        return conv

    def end_conversation(self) -> None:
        conv = self.conversation()
        if conv is not None:
            delete_now(self.s, conv)  # the person's `conversation` is a view-only relationship
        self._conv = None


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_jsonable(v) for v in data]
    if isinstance(data, datetime | date):
        return data.isoformat()
    if isinstance(data, int | float | str | bool) or data is None:
        return data
    return str(data)


# Statements run on every update are built once: SQLAlchemy then reuses their cache key and
# compiled form instead of rebuilding both per execution (bindparam carries the values). The
# person behind an update is read as plain rows, one per role they hold (usually one or two),
# with their office's calendar, their open form, and whether their office has a Plt/Plh
# appointment around today: mostly not, and then the role checks need no statement of their
# own. As ORM objects (a person, an office, roles, a form) the same read cost three times as
# much, and most updates use only these columns.
_P, _O, _R, _C = Person.__table__, Office.__table__, PersonRole.__table__, Conversation.__table__
_CONV = -width(ConversationRead)  # where the conversation starts in a row of `_PERSON`
_PERSON = (
    select(
        _P.c.id,
        _P.c.office_id,
        _P.c.name,
        _P.c.active,
        _O.c.timezone,
        _O.c.days_off,
        _R.c.role,
        ACTING_NEAR,
        *columns(ConversationRead),  # the last columns (NULL: no open conversation)
    )
    .join(_O, _O.c.id == _P.c.office_id)
    .outerjoin(_R, _R.c.person_id == _P.c.id)
    .outerjoin(_C, _C.c.person_id == _P.c.id)
)
_PERSON_BY_TELEGRAM = _PERSON.where(_P.c.telegram_user_id == bindparam("uid"))
_PERSON_BY_WHATSAPP = _PERSON.where(
    (_P.c.whatsapp_user_id == bindparam("uid")) | (_P.c.whatsapp_number == bindparam("uid"))
)


class Core:
    """The bot's brain, free of any channel library."""

    def __init__(
        self, db: Database, settings: Settings, clock: Clock, bot_username: str = ""
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.bot_username = bot_username
        self.files = FileStore(settings.data_dir, settings.max_file_mb * 1_048_576)
        self._calendars: dict[tuple[str, tuple[str, ...]], WorkCalendar] = {}

    def watch_reminders(self, on_commit: Callable[[dict[str, datetime | None]], None]) -> None:
        """Call `on_commit(changes)` after each transaction of this core's database that
        changed reminders: key → due time, or None once sent or cancelled (the scheduler
        brings those jobs in step)."""

        def after_commit(session: Session) -> None:
            changes = session.info.pop(_REMINDERS_CHANGED, None)
            if changes:
                on_commit(changes)

        event.listen(self.db.sessions, "after_commit", after_commit)
        event.listen(
            self.db.sessions,
            "after_soft_rollback",
            lambda session, _t: session.info.pop(_REMINDERS_CHANGED, None),
        )

    def calendar_for(self, office: Office | Who) -> WorkCalendar:
        key = (office.timezone, tuple(office.days_off or ()))
        cal = self._calendars.get(key)
        if cal is None:
            s = self.settings
            cal = WorkCalendar(
                tz=office.timezone,
                extra_days_off=[date.fromisoformat(d) for d in office.days_off or ()],
                quiet_start=_hhmm(s.quiet_start),
                quiet_end=_hhmm(s.quiet_end),
                work_start=_hhmm(s.work_start),
                work_end=_hhmm(s.work_end),
            )
            self._calendars[key] = cal
        return cal

    def find_person(self, session: Session, channel: str, user_id: str) -> Who | None:
        """The person behind an update, with their office's calendar, their roles and open
        form, and whether their office has an acting appointment around today, in one
        statement."""
        day = self.clock.now().date()
        uid: int | str
        if channel == "telegram":
            if not user_id.lstrip("-").isdigit() or len(user_id) > 18:
                return None
            stmt, uid = _PERSON_BY_TELEGRAM, int(user_id)
        else:
            stmt, uid = _PERSON_BY_WHATSAPP, user_id
        params: dict[str, object] = {"uid": uid}
        params.update(acting_near_params(day))
        rows = session.connection().execute(stmt, params).all()
        if not rows:
            return None
        r = rows[0]
        conv = ConversationRead(*r[_CONV:]) if r[_CONV] is not None else None
        roles = frozenset(x.role for x in rows if x.role is not None)
        who = Who(r.id, r.office_id, r.name, r.active, r.timezone, r.days_off, roles, conv)
        if not r.acting_near:
            no_acting_near(session, r.office_id, day)
        return who

    def handle(self, msg: Inbound, item: Item | None = None) -> Outcome:
        """Handle one update in one transaction; a refusal rolls back and answers clearly.

        With `item` (the update's inbox row), the row is marked done at the end of the same
        transaction, so the update has effect exactly once (a row another worker marked
        first rolls this one back). The transaction's staged rows and replies are written
        after it (`Database.transaction`). A database that cannot be reached raises (the
        update stays pending and is tried again); any other failure is answered.
        """
        _strip_nul(msg)
        try:
            with self.db.transaction() as s:
                ctx = Ctx(self, s, msg, self.find_person(s, msg.channel, msg.user_id))
                dispatch(ctx)
                outcome = ctx.outcome
                if item is not None and not Inbox.mark(s, item, ctx.now):
                    raise _AlreadyHandled
            if item is not None:
                item.done = True
        except _AlreadyHandled:
            return Outcome()
        except (UserError, NotAllowed, FileRejected) as exc:
            outcome = self._refuse(msg, str(exc), item)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("update failed: channel=%s chat=%s", msg.channel, msg.chat_id)
            outcome = self._refuse(msg, t("internal_error"), item)
        return outcome

    def look(self, msg: Inbound, read: Callable[[Ctx], Any]) -> Any:
        """A page's read (no update: nothing is written, nothing recorded): `read(ctx)` for
        the person behind `msg`, who must be known and active. Refusals raise as the
        features raise them (UserError, NotAllowed), for the page to show."""
        with self.db.transaction() as s:
            ctx = Ctx(self, s, msg, self.find_person(s, msg.channel, msg.user_id))
            if not ctx.known:
                raise UserError(t("stranger_generic"))
            if not ctx.who.active:
                raise UserError(t("inactive"))
            return read(ctx)

    def _refuse(self, msg: Inbound, text: str, item: Item | None = None) -> Outcome:
        """Tell the person why nothing happened: as the button's alert, or as a message."""
        answered = msg.button is not None or msg.web is not None  # not by a chat message
        outcome = Outcome(text, alert=True) if answered else Outcome()
        with self.db.transaction() as s:
            if item is not None and not Inbox.mark(s, item, self.clock.now()):
                return Outcome()
            if not answered:
                who = self.find_person(s, msg.channel, msg.user_id)
                outbox.enqueue(
                    s,
                    now=self.clock.now(),
                    channel=msg.channel,
                    chat_id=msg.chat_id,
                    text=text,
                    office_id=who.office_id if who else None,
                    person_id=who.id if who and not msg.is_group else None,
                )
        if item is not None:
            item.done = True
        return outcome


def _strip_nul(msg: Inbound) -> None:
    """NUL characters carry no meaning in anything a person types, and PostgreSQL refuses
    them in text columns: drop them before anything is looked up or stored."""

    def clean(v: str | None) -> str | None:
        return v.replace("\x00", "") if v else v

    msg.text, msg.command, msg.button = clean(msg.text), clean(msg.command), clean(msg.button)
    msg.args = [a.replace("\x00", "") for a in msg.args]
    msg.user_name, msg.chat_title = (
        msg.user_name.replace("\x00", ""),
        msg.chat_title.replace("\x00", ""),
    )
    if msg.file is not None:
        msg.file.name = msg.file.name.replace("\x00", "")
        msg.file.caption = clean(msg.file.caption)


class _AlreadyHandled(Exception):
    """Another worker finished this update first: roll this transaction back."""


_REMINDERS_CHANGED = "reminders_changed"  # session.info: key → due time, or None


def note_reminder_changes(session: Session, changes: dict[str, datetime | None]) -> None:
    """Reminders this transaction changed, for the scheduler's jobs after its commit: key →
    due time, or None when it no longer waits (sent or cancelled)."""
    session.info.setdefault(_REMINDERS_CHANGED, {}).update(changes)


@event.listens_for(Session, "after_flush")
def _note_flushed_reminders(session: Session, _ctx: Any) -> None:
    """The reminders the unit of work wrote (rows changed by a plain statement are noted by
    whoever runs it)."""
    changes = {
        o.key: o.due_at if o.sent_at is None and o.cancelled_at is None else None
        for o in (*session.new, *session.dirty)
        if isinstance(o, Reminder)
    }
    if changes:
        note_reminder_changes(session, changes)


def _hhmm(text: str) -> Any:
    from datetime import time

    h, m = text.split(":")
    return time(int(h), int(m))
