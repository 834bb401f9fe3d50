"""Who sees which office, in chat (`/rekap`) and on the web dashboard: one place, checked on
every page and every command, with the person's roles of today (as the chat checks them).

- A kabupaten monitor (`pemantau`) sees the offices of its scope (`MonitorScope`), nothing else.
- An office's people see their own office: its rounds, steps and capaian.
- Files follow the chat's roles: a round's report (PDF, XLSX and its charts, which are the
  report's pictures) goes to those who get it in chat (Camat, Sekretaris, Kasubag Program,
  Tim SAKIP, admin), its archive ZIP to those who may ask `/arsip` (Camat, Sekretaris,
  Kasubag Program, admin); a monitor gets both for the offices of its scope.

`round_access` is that rule, once: the dashboard asks it for a round's page, for what the
page offers (files, charts) and again for each file and chart it serves. When a person's
rights shrink or change (deactivated, a role removed, a monitor's offices changed), the
office and kabupaten imports call `end_dashboard_access`: their sessions end and their unused
sign-in links expire, in the database, so a later re-activation revives neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.procedure.roles import Role, roles_of
from db.models import DashboardLink, DashboardSession, MonitorScope, Office, Person

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


RoundRight = Literal["page", "report", "archive"]


@dataclass(frozen=True)
class RoundAccess:
    """What a person may have of an office's rounds today (a field per `RoundRight`)."""

    page: bool = False  # the office's pages: its rounds, SOP steps, capaian, late sections
    report: bool = False  # the report's files: PDF, XLSX and the report's charts
    archive: bool = False  # the archive ZIP (of an approved round)


def round_access(s: Session, person: Person, office_id: int, today: date) -> RoundAccess:
    """The one rule for pages, files and charts of an office's rounds."""
    if not can_see(s, person, office_id, today):
        return RoundAccess()
    roles = roles_of(s, person, today)
    if Role.PEMANTAU in roles and office_id in scope_ids(s, person):
        return RoundAccess(page=True, report=True, archive=True)
    own = person.office_id == office_id
    return RoundAccess(
        page=True,
        report=own and bool(roles & REPORT_ROLES),
        archive=own and bool(roles & ARCHIVE_ROLES),
    )


def can_see(s: Session, person: Person, office_id: int, today: date) -> bool:
    return any(o.id == office_id for o in visible_offices(s, person, today))


def end_dashboard_access(s: Session, person_id: int, now: datetime) -> None:
    """The person's rights changed: end their live dashboard sessions and expire their
    unused sign-in links (OWASP: a change of rights ends the session; sign in again)."""
    live = (
        (DashboardSession, DashboardSession.ended_at, "ended_at"),  # a session: ended
        (DashboardLink, DashboardLink.used_at, "expires_at"),  # an unused link: expired
    )
    for model, done, stamp in live:
        s.execute(
            update(model)
            .where(model.person_id == person_id, done.is_(None), model.expires_at > now)
            .values({stamp: now})
        )
