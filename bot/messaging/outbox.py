"""Writing to the outbox (docs/design-notes.md, decision 3): every outgoing message is a row, written in
the same transaction as the change that causes it. Delivery lives in `bot/messaging/delivery.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Office, Outbox, Person
from db.plain import LAST, Last, constant_defaults

Buttons = list[list[list[str]]]  # rows of [label, token], or [label, WEB_APP, url]
WEB_APP = "web_app"  # a button that opens a page inside Telegram (a Mini App), not a token


def web_app_button(label: str, url: str) -> list[str]:
    """A button that opens `url` as a Telegram Mini App. Channels without Mini Apps
    (WhatsApp) leave it out (`chat_buttons`), so a message may carry it whatever its
    channel turns out to be."""
    return [label, WEB_APP, url]


def is_web_app(button: list[str]) -> bool:
    return len(button) == 3 and button[1] == WEB_APP


def chat_buttons(buttons: Buttons) -> Buttons:
    """The buttons that answer in chat: without the Mini App ones (rows left empty go)."""
    rows = [[b for b in row if not is_web_app(b)] for row in buttons]
    return [row for row in rows if row]


# `template` key: the text the row keeps once the message is out (sent, or failed), for a
# message that carries a secret (a dashboard sign-in link): it leaves with the secret, and
# the database keeps the masked text (bot/messaging/delivery.py)
KEEP_TEXT = "keep_text"


def address_of(person: Person) -> tuple[str, str] | None:
    """(channel, chat id) where a person is reached: their preferred channel when linked,
    otherwise Telegram, otherwise WhatsApp; None when not linked anywhere yet. A WhatsApp
    chat is keyed on the person's number when known, else their business-scoped user id
    (a username person): what stays put whichever identifier their last message carried."""
    wa = person.whatsapp_number or person.whatsapp_user_id
    tg = str(person.telegram_user_id) if person.telegram_user_id else None
    if person.preferred_channel == "whatsapp" and wa:
        return ("whatsapp", wa)
    if tg:
        return ("telegram", tg)
    if wa:
        return ("whatsapp", wa)
    return None


@dataclass(eq=False)
class NewMessage:
    """An outbox row this transaction writes. Its INSERT runs just before the commit, all of
    the transaction's new rows in one statement, as a plain statement: the ORM's unit of
    work cost more than the INSERT itself (see `_insert_new`). Until then it can be changed
    like a row; after the commit `id` is the row's."""

    office_id: int | None
    channel: str
    chat_id: str
    person_id: int | None
    kind: str
    text: str | None
    buttons: Buttons
    file_id: int | None
    edit_of_id: int | None
    dedupe_key: str | None
    template: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    error: str | None
    id: int | None = None


_PENDING = "outbox_pending"  # session.info: NewMessages not written yet
_WRITTEN = "new_outbox"  # session.info: written by this transaction, for `watch`'s on_commit
_TAKE_NOW = "outbox_take_now"  # session.info (set by `watch` for its database's sessions)
_COLUMNS = [f.name for f in fields(NewMessage) if f.name != "id"]
# built once; `sort_by_parameter_order`: one statement for many rows, the ids in their order
_INSERT = insert(Outbox).returning(Outbox.id, sort_by_parameter_order=True)


def enqueue(
    session: Session,
    *,
    now: datetime,
    channel: str,
    chat_id: str,
    text: str | None = None,
    office_id: int | None = None,
    person_id: int | None = None,
    kind: str = "text",
    buttons: Buttons | None = None,
    file_id: int | None = None,
    edit_of_id: int | None = None,
    dedupe_key: str | None = None,
    template: dict[str, Any] | None = None,
    status: str = "pending",
    error: str | None = None,
) -> NewMessage | None:
    """Add a message to the outbox. With `dedupe_key`, a second identical request is a no-op."""
    pending: list[NewMessage] = session.info.setdefault(_PENDING, [])
    if dedupe_key is not None:
        if any(m.dedupe_key == dedupe_key for m in pending):
            return None
        if session.scalar(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key)) is not None:
            return None
    msg = NewMessage(
        office_id=office_id,
        channel=channel,
        chat_id=chat_id,
        person_id=person_id,
        kind=kind,
        text=text,
        buttons=buttons or [],
        file_id=file_id,
        edit_of_id=edit_of_id,
        dedupe_key=dedupe_key,
        template=template or {},
        status=status,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        error=error,
    )
    pending.append(msg)
    return msg


# One row, which on PostgreSQL may carry the transaction's staged rows as `WITH` clauses:
# its parameters are prefixed (SQLAlchemy would read a bare column name as a column to set
# in those clauses too) and it carries its columns' defaults itself (SQLAlchemy gives them
# to no statement with such clauses).
_ONE_DEFAULTS = constant_defaults(Outbox, _COLUMNS)  # None: a computed one (then no `WITH`)
_ONE = (
    insert(Outbox)
    .values({c: bindparam(f"o_{c}") for c in (*_COLUMNS, *(_ONE_DEFAULTS or {}))})
    .returning(Outbox.id)
)


def _insert_new(session: Session) -> Last | None:
    """The transaction's new messages, in one INSERT, written last before it commits
    (`db.plain.LAST`; on PostgreSQL a single row carries the staged rows with it). A message
    only names rows that exist already (a stored file, an original by their ids). With
    `watch(take_now=…)`, a message its process will send at once is written `sending`
    (attempt 1) in the same INSERT."""
    if session.in_nested_transaction():
        return None  # a savepoint's release: the outer commit writes them
    new: list[NewMessage] | None = session.info.pop(_PENDING, None)
    if not new:
        return None
    take_now = session.info.get(_TAKE_NOW)
    if take_now is not None:
        for m in new:
            if m.status == "pending" and take_now(m):
                m.status, m.attempts = "sending", 1

    def done(ids: list[Any]) -> None:
        for m, row_id in zip(new, ids, strict=True):
            m.id = row_id
        session.info.setdefault(_WRITTEN, []).extend(new)

    if len(new) == 1 and _ONE_DEFAULTS is not None:
        row = {**_ONE_DEFAULTS, **{c: getattr(new[0], c) for c in _COLUMNS}}
        return Last(_ONE, {f"o_{c}": v for c, v in row.items()}, done, one_row=True)
    return Last(_INSERT, [{c: getattr(m, c) for c in _COLUMNS} for m in new], done)


LAST.append(_insert_new)


@event.listens_for(Session, "after_soft_rollback")
def _forget_new(session: Session, _previous: object) -> None:
    if not session.in_transaction():  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)
        session.info.pop(_WRITTEN, None)


def copy(session: Session, row: Outbox, *, now: datetime, channel: str, chat_id: str) -> None:
    """Queue the same message again, to `chat_id` on `channel` (a reroute or a resend)."""
    enqueue(
        session,
        now=now,
        channel=channel,
        chat_id=chat_id,
        text=row.text,
        office_id=row.office_id,
        person_id=row.person_id,
        kind=row.kind,
        buttons=row.buttons,
        file_id=row.file_id,
        template={k: v for k, v in (row.template or {}).items() if k == KEEP_TEXT},
    )


def mask(row: Outbox) -> None:
    """A row done with (failed, rerouted): keep its `KEEP_TEXT`, not a text with a secret."""
    row.text = (row.template or {}).get(KEEP_TEXT, row.text)


def to_person(
    session: Session, person: Person, text: str | None, now: datetime, **kwargs: Any
) -> NewMessage | None:
    """Queue a message for a person on their channel; an unlinked person's message is kept
    as failed with the reason, so it shows up in /status instead of vanishing."""
    addr = address_of(person)
    if addr is None:
        return enqueue(
            session,
            now=now,
            channel="none",
            chat_id="-",
            text=text,
            office_id=person.office_id,
            person_id=person.id,
            status="failed",
            error="belum terhubung ke bot",
            **kwargs,
        )
    return enqueue(
        session,
        now=now,
        channel=addr[0],
        chat_id=addr[1],
        text=text,
        office_id=person.office_id,
        person_id=person.id,
        **kwargs,
    )


def to_group(session: Session, office: Office, text: str, now: datetime, **kwargs: Any) -> bool:
    """Queue a message for the office's Tim SAKIP group. WhatsApp has no bot groups: people
    who use WhatsApp get the announcement one to one. False when no group is registered."""
    for person in session.scalars(
        select(Person).where(
            Person.office_id == office.id,
            Person.active.is_(True),
            Person.preferred_channel == "whatsapp",
        )
    ):
        to_person(session, person, text, now, **kwargs)
    if office.group_chat_id is None:
        return False
    enqueue(
        session,
        now=now,
        channel="telegram",
        chat_id=str(office.group_chat_id),
        text=text,
        office_id=office.id,
        **kwargs,
    )
    return True


def watch(
    db: Database,
    on_commit: Callable[[list[NewMessage]], None],
    take_now: Callable[[NewMessage], bool] | None = None,
) -> None:
    """Call `on_commit(messages)` with the outbox rows each transaction of `db` wrote (pending,
    or taken), right after it commits: delivery starts without looking for them.

    `take_now(message)` true: the row is written `sending` (attempt 1) in the same INSERT,
    for a sender that starts on it at once (a reply to the update being handled) —
    delivery's own `UPDATE … RETURNING`, its commit and its thread hop are saved."""
    if take_now is not None:
        db.sessions.configure(info={_TAKE_NOW: take_now})

    def after_commit(session: Session) -> None:
        rows = session.info.pop(_WRITTEN, None)
        if rows:
            on_commit([r for r in rows if r.status in ("pending", "sending")])

    event.listen(db.sessions, "after_commit", after_commit)
