"""Who sees which office, in chat (`/rekap`) and on the web dashboard: one place, checked on
every page and every command, with the person's roles of today (as the chat checks them).

- A kabupaten monitor (`pemantau`) sees the offices of its scope (`MonitorScope`), nothing else.
- An office's people see their own office: its rounds, steps and capaian.
- Files follow the chat's roles: a round's report (PDF, XLSX) goes to those who get it in
  chat (Camat, Sekretaris, Kasubag Program, Tim SAKIP, admin), its archive ZIP to those who
  may ask `/arsip` (Camat, Sekretaris, Kasubag Program, admin); a monitor gets both for the
  offices of its scope.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import Role, roles_of
from db.models import MonitorScope, Office, Person

KIND_KABUPATEN = "kabupaten"  # Office.config["kind"] of the kabupaten's own office row


def is_kabupaten(office: Office) -> bool:
    return (office.config or {}).get("kind") == KIND_KABUPATEN


REPORT_ROLES = frozenset(
    {Role.CAMAT, Role.SEKRETARIS, Role.KASUBAG_PROGRAM, Role.TIM_SAKIP, Role.ADMIN}
)
ARCHIVE_ROLES = frozenset({Role.CAMAT, Role.SEKRETARIS, Role.KASUBAG_PROGRAM, Role.ADMIN})


def scope_ids(s: Session, person: Person) -> set[int]:
    """The offices a monitor follows (empty for anyone else)."""
    return set(s.scalars(select(MonitorScope.office_id).where(MonitorScope.person_id == person.id)))


def visible_offices(s: Session, person: Person, today: date) -> list[Office]:
    """The kecamatan offices this person may see today, by name."""
    roles = roles_of(s, person, today)
    if not roles:
        return []
    ids = scope_ids(s, person) if Role.PEMANTAU in roles else set()
    if not is_kabupaten(person.office):
        ids.add(person.office_id)
    if not ids:
        return []
    offices = s.scalars(select(Office).where(Office.id.in_(ids)).order_by(Office.name))
    return [o for o in offices if not is_kabupaten(o)]


def can_see(s: Session, person: Person, office_id: int, today: date) -> bool:
    return any(o.id == office_id for o in visible_offices(s, person, today))


def can_download(s: Session, person: Person, office_id: int, kind: str, today: date) -> bool:
    """`kind`: "report" (PDF, XLSX, charts) or "archive" (the round's ZIP)."""
    if not can_see(s, person, office_id, today):
        return False
    roles = roles_of(s, person, today)
    if Role.PEMANTAU in roles and office_id in scope_ids(s, person):
        return True
    if person.office_id != office_id:
        return False
    allowed = ARCHIVE_ROLES if kind == "archive" else REPORT_ROLES
    return bool(roles & allowed)
