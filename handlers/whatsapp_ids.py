"""Who a WhatsApp message is from, since 2026: one person whatever identifiers arrive.

Meta's webhooks name a person by phone number (`from`, `contacts[].wa_id`; withheld once
they adopt a username), business-scoped user id (BSUID: `from_user_id`, `contacts[].user_id`,
in every messages webhook), parent BSUID (`from_parent_user_id`, where Meta enabled it) and
username (display only). A person's chat is keyed on what stays put: the phone number when
known, else the BSUID. The Messages API takes a phone number in `to` and a BSUID in
`recipient`; `to` wins when both are given, so a BSUID never goes in `to`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from db.models import Outbox, Person

log = logging.getLogger(__name__)
_PHONE = re.compile(r"\+?\d{5,20}")


def is_phone(ident: str | None) -> bool:
    """A phone number (digits), as opposed to a BSUID (`ID.1349…`, country code first)."""
    return bool(ident) and _PHONE.fullmatch(str(ident)) is not None


def address(ident: str) -> dict[str, str]:
    """The Messages API field for an identifier: a phone number in `to`, a BSUID in
    `recipient`."""
    return {"to": ident.lstrip("+")} if is_phone(ident) else {"recipient": ident}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass
class Sender:
    """The identifiers a message arrived with."""

    phone: str | None
    bsuid: str | None
    parent: str | None
    username: str | None
    name: str

    @classmethod
    def of(cls, message: dict[str, Any], contact: dict[str, Any]) -> Sender:
        phone = _str(message.get("from")) or _str(contact.get("wa_id"))
        bsuid = _str(message.get("from_user_id")) or _str(contact.get("user_id"))
        if phone is not None and not is_phone(phone):  # a BSUID where a number belongs
            bsuid, phone = bsuid or phone, None
        profile = _dict(contact.get("profile"))
        return cls(
            phone=phone,
            bsuid=bsuid,
            parent=_str(message.get("from_parent_user_id")) or _str(contact.get("parent_user_id")),
            username=_str(profile.get("username")),
            name=_str(profile.get("name")) or "",
        )

    @property
    def key(self) -> str:
        """How an unlinked sender's chat is keyed: the number when given, else the BSUID."""
        return self.phone or self.bsuid or ""


def chat_of(person: Person) -> str | None:
    """The key of a person's WhatsApp chat: their number when known, else their BSUID."""
    return person.whatsapp_number or person.whatsapp_user_id


def person_at(s: Session, ident: str) -> Person | None:
    """The person known by a phone number, BSUID or parent BSUID."""
    if is_phone(ident):
        return find(s, Sender(ident, None, None, None, ""))
    return find(s, Sender(None, ident or None, ident or None, None, ""))


def find(s: Session, snd: Sender) -> Person | None:
    """The person a sender is: by number first, then BSUID, then parent BSUID (a BSUID stored
    in the number's place before 2026 counts too)."""
    tries: list[ColumnElement[bool]] = []
    if snd.phone:
        tries += [Person.whatsapp_number == snd.phone, Person.whatsapp_user_id == snd.phone]
    if snd.bsuid:
        tries += [Person.whatsapp_user_id == snd.bsuid, Person.whatsapp_parent_user_id == snd.bsuid]
    if snd.parent:
        tries += [Person.whatsapp_parent_user_id == snd.parent]
    for cond in tries:
        person = s.scalar(select(Person).where(cond).limit(1))
        if person is not None:
            return person
    return None


def _set_unique(s: Session, person: Person, column: str, value: str) -> bool:
    """Give `person` a unique identifier; whoever held it before (a stale record) loses it.
    A phone number held by someone else stays theirs (False)."""
    if getattr(person, column) == value:
        return True
    other = s.scalar(select(Person).where(getattr(Person, column) == value, Person.id != person.id))
    if other is not None:
        if column == "whatsapp_number":
            log.warning("whatsapp number of person %s is already person %s's", person.id, other.id)
            return False
        setattr(other, column, None)
        s.flush()
    setattr(person, column, value)
    return True


def remember(s: Session, person: Person, snd: Sender) -> None:
    """Store what is new: the BSUID when new or changed, the number when none is known, the
    parent BSUID and the username (display only)."""
    if person.whatsapp_user_id and person.whatsapp_user_id == person.whatsapp_number:
        person.whatsapp_user_id = None  # a number stored as the user id before 2026
    if snd.phone and not person.whatsapp_number:
        if person.whatsapp_user_id == snd.phone:
            person.whatsapp_user_id = None
            s.flush()
        _set_unique(s, person, "whatsapp_number", snd.phone)
    if snd.bsuid:
        _set_unique(s, person, "whatsapp_user_id", snd.bsuid)
    if snd.parent and person.whatsapp_parent_user_id != snd.parent:
        person.whatsapp_parent_user_id = snd.parent
    if snd.username and person.whatsapp_username != snd.username:
        person.whatsapp_username = snd.username[:64]


def apply_system(s: Session, message: dict[str, Any]) -> str | None:
    """A `system` webhook: the person changed their number (`user_changed_number`: new number
    and BSUID) or only their BSUID (`user_changed_user_id`). The person stays the same; their
    queued messages follow them. Returns what happened, for the log."""
    system = _dict(message.get("system"))
    kind = system.get("type")
    new_bsuid = _str(system.get("user_id"))
    previous = _str(system.get("previous_user_id")) or _str(message.get("from_user_id"))
    old_phone = _str(message.get("from"))
    old_phone = old_phone if is_phone(old_phone) else None
    if kind not in ("user_changed_number", "user_changed_user_id"):
        return f"system {kind!r} ignored"
    person = find(s, Sender(old_phone, previous, None, None, ""))
    if person is None:
        return f"system {kind}: nobody known by {old_phone or previous}"
    before = chat_of(person)
    new_phone = _str(system.get("wa_id")) if kind == "user_changed_number" else None
    if new_phone and is_phone(new_phone):
        _set_unique(s, person, "whatsapp_number", new_phone)
    if new_bsuid:
        _set_unique(s, person, "whatsapp_user_id", new_bsuid)
    after = chat_of(person)
    old_keys = {k for k in (before, old_phone, previous) if k and k != after}
    if after and old_keys:
        s.execute(
            update(Outbox)
            .where(
                Outbox.channel == "whatsapp",
                Outbox.chat_id.in_(old_keys),
                Outbox.status == "pending",
            )
            .values(chat_id=after)
        )
    return f"system {kind}: person {person.id} now reached at {after}"
