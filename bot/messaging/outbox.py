"""Writing to the outbox (docs/design-notes.md, decision 3): every outgoing message is a row, written in
the same transaction as the change that causes it. Delivery lives in `bot/messaging/delivery.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Office, Outbox, Person
from db.plain import stage_insert

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
    """An outbox row this transaction writes. Its INSERT runs at the end of the transaction,
    all of the transaction's new rows in one statement, as a plain statement
    (`db.plain.stage_insert`): the ORM's unit of work cost more than the INSERT itself.
    Once written, `id` is the row's."""

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


_PENDING = "outbox_pending"  # session.info: this transaction's NewMessages (for dedupe_key)
_WRITTEN = "new_outbox"  # session.info: written by this transaction, for `watch`'s on_commit
_COLUMNS = [f.name for f in fields(NewMessage) if f.name != "id"]


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

    def written(row_id: int) -> None:
        msg.id = row_id
        session.info.setdefault(_WRITTEN, []).append(msg)

    stage_insert(session, Outbox, written, **{c: getattr(msg, c) for c in _COLUMNS})
    return msg


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


def watch(db: Database, on_commit: Callable[[list[NewMessage]], None]) -> None:
    """Call `on_commit(messages)` with the outbox rows each transaction of `db` wrote
    pending, right after it commits (in the committing thread): delivery starts without
    looking for them."""

    def after_commit(session: Session) -> None:
        rows = session.info.pop(_WRITTEN, None)
        if rows:
            on_commit([r for r in rows if r.status == "pending"])

    event.listen(db.sessions, "after_commit", after_commit)
