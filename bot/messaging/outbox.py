"""Writing to the outbox (DESIGN.md decision 3): every outgoing message is a row, written in
the same transaction as the change that causes it. Delivery lives in `bot/messaging/delivery.py`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Office, Outbox, Person

Buttons = list[list[list[str]]]  # rows of [label, token]


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
) -> Outbox | None:
    """Add a message to the outbox. With `dedupe_key`, a second identical request is a no-op."""
    if dedupe_key is not None:
        existing = session.scalar(select(Outbox).where(Outbox.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    row = Outbox(
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
    session.add(row)  # flushed with the rest of the unit of work (one INSERT for them all)
    return row


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
    )


def to_person(
    session: Session, person: Person, text: str | None, now: datetime, **kwargs: Any
) -> Outbox | None:
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
    on_commit: Callable[[list[Outbox]], None],
    take_now: Callable[[Outbox], bool] | None = None,
) -> None:
    """Call `on_commit(rows)` with the outbox rows each transaction of `db` added (pending, or
    taken), right after it commits: delivery starts without looking for them.

    `take_now(row)` true: the row is written `sending` (attempt 1) in the same INSERT, for a
    sender that starts on it at once (a reply to the update being handled) — delivery's own
    `UPDATE … RETURNING`, its commit and its thread hop are saved."""

    def before_flush(session: Session, _ctx: object, _instances: object) -> None:
        if take_now is None:
            return
        for o in session.new:
            if isinstance(o, Outbox) and o.status == "pending" and take_now(o):
                o.status, o.attempts = "sending", 1

    def after_flush(session: Session, _ctx: object) -> None:
        new = [o for o in session.new if isinstance(o, Outbox)]
        if new:
            session.info.setdefault("new_outbox", []).extend(new)

    def after_commit(session: Session) -> None:
        rows = session.info.pop("new_outbox", None)
        if rows:
            on_commit([r for r in rows if r.status in ("pending", "sending")])

    def after_rollback(session: Session) -> None:
        session.info.pop("new_outbox", None)

    event.listen(db.sessions, "before_flush", before_flush)
    event.listen(db.sessions, "after_flush", after_flush)
    event.listen(db.sessions, "after_commit", after_commit)
    event.listen(db.sessions, "after_soft_rollback", lambda s, _t: after_rollback(s))
