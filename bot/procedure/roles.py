"""Roles, positions and the one server-side role check used by every command and button.

A person may hold several roles. Acting officials (Plt/Plh) hold a position's role for a date
range; while the appointment runs they receive that position's tasks instead of the holder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session, lazyload

from db.models import Acting, Person, PersonRole, Section
from db.reads import SectionRead


class Role(StrEnum):
    CAMAT = "camat"
    SEKRETARIS = "sekretaris"
    KASUBAG_PROGRAM = "kasubag_program"
    TIM_SAKIP = "tim_sakip"
    KEPALA_SEKSI = "kepala_seksi"
    ADMIN = "admin"
    # the kabupaten level (Bagian Organisasi, Inspektorat): reads the offices of its scope
    PEMANTAU = "pemantau"


ROLE_LABELS: dict[Role, str] = {
    Role.CAMAT: "Camat",
    Role.SEKRETARIS: "Sekretaris Kecamatan",
    Role.KASUBAG_PROGRAM: "Kasubag Program",
    Role.TIM_SAKIP: "Tim Penyusun SAKIP",
    Role.KEPALA_SEKSI: "Kepala Seksi",
    Role.ADMIN: "Admin",
    Role.PEMANTAU: "Pemantau Kabupaten",
}

# Positions a Plt/Plh can act for (Tim SAKIP and admin are assignments, not positions).
POSITIONS = (Role.CAMAT, Role.SEKRETARIS, Role.KASUBAG_PROGRAM, Role.KEPALA_SEKSI)


def parse_role(text: str) -> Role | None:
    try:
        return Role(text.strip().lower())
    except ValueError:
        return None


@dataclass(frozen=True)
class Holder:
    """Who holds a position today, and the label to show when acting ("Plh. Sekretaris")."""

    person: Person
    acting_label: str | None = None

    @property
    def title(self) -> str:
        return self.acting_label or self.person.position


# Built once: run on nearly every update. The acting person is not joined in (with their
# office and roles): appointments are few, and `holders` finds the person when it needs them.
_ACTING_TODAY = (
    select(Acting)
    .options(lazyload(Acting.person))
    .where(
        Acting.office_id == bindparam("office"),
        Acting.start_date <= bindparam("today"),
        Acting.end_date >= bindparam("today"),
    )
)


# A column for the query that finds the person behind an update: whether their office has any
# appointment running within a day of `day` (UTC). Every office's date is within a day of UTC's,
# so where there is none, no role check of that update needs to ask (`no_acting_near`).
ACTING_NEAR = (
    exists()
    .where(
        Acting.office_id == Person.office_id,
        Acting.start_date <= bindparam("day_after"),
        Acting.end_date >= bindparam("day_before"),
    )
    .label("acting_near")
)


def _days_around(day: date) -> tuple[date, date, date]:
    """The dates an office's today can be while it is `day` in UTC."""
    return day - timedelta(days=1), day, day + timedelta(days=1)


def acting_near_params(day: date) -> dict[str, date]:
    before, _, after = _days_around(day)
    return {"day_before": before, "day_after": after}


def no_acting_near(session: Session, office_id: int, day: date) -> None:
    """`ACTING_NEAR` said no: the office's appointments today are none, whichever of the three
    dates around `day` its own today is (no statement asks again in this unit of work)."""
    for d in _days_around(day):
        session.info.setdefault(("acting", office_id, d), [])


def _active_acting(session: Session, office_id: int, today: date) -> list[Acting]:
    """Appointments running today; read once per unit of work (every role check asks)."""
    key = ("acting", office_id, today)
    cached = session.info.get(key)
    if cached is None:
        cached = session.info[key] = list(
            session.scalars(_ACTING_TODAY, {"office": office_id, "today": today})
        )
    return cached  # type: ignore[no-any-return]


def heads(session: Session, person: Someone, section: Section | SectionRead, today: date) -> bool:
    """Whether the person heads this (already loaded) section today: as its head while no one
    acts in their place, or acting for it."""
    acting = {
        a.section_id: a.person_id
        for a in _active_acting(session, person.office_id, today)
        if a.role == Role.KEPALA_SEKSI
    }
    return section.active and acting.get(section.id, section.head_id) == person.id


def acting_label(act: Acting, session: Session) -> str:
    if act.role == Role.KEPALA_SEKSI and act.section_id:
        section = session.get(Section, act.section_id)
        return f"{act.kind}. Kepala {section.name if section else 'Seksi'}"
    return f"{act.kind}. {ROLE_LABELS[Role(act.role)]}"


# A position's holders (every [Kirim] asks for the Kasubag's), built once. Their office is the
# asker's, already in the session, and their roles are not what is asked: neither is joined.
_HOLDERS = (
    select(Person)
    .join(PersonRole)
    .options(lazyload(Person.office), lazyload(Person.roles))
    .where(
        Person.office_id == bindparam("office"),
        Person.active.is_(True),
        PersonRole.role == bindparam("role"),
    )
    .order_by(Person.id)
)


def holders(
    session: Session, office_id: int, role: Role, today: date, section_id: int | None = None
) -> list[Holder]:
    """The people who receive a position's tasks today: the acting official if one is
    appointed, otherwise the active holders. Nothing goes only to a holder who is away."""
    for act in _active_acting(session, office_id, today):
        if act.role == role and (role != Role.KEPALA_SEKSI or act.section_id == section_id):
            return [Holder(act.person, acting_label(act, session))]
    if role == Role.KEPALA_SEKSI:
        section = session.get(Section, section_id) if section_id else None
        if section and section.head and section.head.active:
            return [Holder(section.head)]
        return []
    return [Holder(p) for p in session.scalars(_HOLDERS, {"office": office_id, "role": role})]


def roles_of(session: Session, person: Person, today: date) -> set[Role]:
    """Roles held by the person today, own and acting."""
    if not person.active:
        return set()
    own = [r.role for r in person.roles]
    return held_roles(session, person.id, person.office_id, own, today)


def held_roles(
    session: Session, person_id: int, office_id: int, own: Iterable[str], today: date
) -> set[Role]:
    """An active person's roles today: their own (`own`) and those they act in."""
    roles = {Role(r) for r in own}
    for act in _active_acting(session, office_id, today):
        if act.person_id == person_id:
            roles.add(Role(act.role))
    return roles


class Someone(Protocol):
    """A person as the role checks need them: a `Person`, or the `Who` of an update."""

    @property
    def id(self) -> int: ...

    @property
    def office_id(self) -> int: ...


_HEADED = (  # built once: every /isi asks
    select(Section)
    .options(lazyload(Section.head))  # the head is the person asking, or found when asked
    .where(
        Section.office_id == bindparam("office"),
        Section.active.is_(True),
        or_(
            Section.head_id == bindparam("person"),
            Section.id.in_(bindparam("acting_for", expanding=True)),
        ),
    )
    .order_by(Section.position, Section.id)
)


def headed_sections(session: Session, person: Someone, today: date) -> list[Section]:
    """Sections whose head the person is today, by holding or acting for the position."""
    acting = {
        a.section_id: a.person_id
        for a in _active_acting(session, person.office_id, today)
        if a.role == Role.KEPALA_SEKSI
    }
    acting_for = [sid for sid, who in acting.items() if who == person.id]
    params = {"office": person.office_id, "person": person.id, "acting_for": acting_for}
    return [
        s
        for s in session.scalars(_HEADED, params)
        if acting.get(s.id, s.head_id) == person.id  # not while someone acts in their place
    ]


def title_for(session: Session, person: Person, role: Role, today: date) -> str:
    """How to sign a person in a role today: "Plh. Sekretaris Kecamatan" when acting."""
    for act in _active_acting(session, person.office_id, today):
        if act.person_id == person.id and act.role == role:
            return acting_label(act, session)
    return ROLE_LABELS[role]


class NotAllowed(Exception):
    """The person lacks the role for an action; the message is for them (Indonesian)."""


def not_allowed(allowed: tuple[Role, ...]) -> NotAllowed:
    from bot.texts import t

    return NotAllowed(t("not_allowed", roles=", ".join(ROLE_LABELS[r] for r in allowed)))
