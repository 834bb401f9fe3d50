"""`sakip-bot office import FILE.yaml`: create or update an office from one file.

The file is validated whole before anything is written (bot/office/schema.py), and written
in one transaction: a bad file lists every error, each naming the entry and field
(`people[3].roles: unknown role 'camatt'`), and changes nothing; importing the same file
twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.office.monitoring import end_dashboard_access
from bot.office.schema import IndicatorIn, OfficeFile, OfficeFileError, parse
from db.models import Acting, Indicator, IndicatorTarget, Office, Person, PersonRole, Section


@dataclass
class ImportResult:
    office_id: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def upsert_person(
    session: Session, office_id: int, p: Any, now: datetime
) -> tuple[Person, bool, bool]:
    """A person of the file (office or kabupaten) created or brought up to date, with their
    roles: (the person, created, changed)."""
    person = session.scalar(
        select(Person).where(Person.office_id == office_id, Person.nip == p.nip)
    )
    pv: dict[str, Any] = dict(name=p.name, position=p.position, active=p.active)
    if getattr(p, "rank", ""):  # the kabupaten file's people carry no rank
        pv["rank"] = p.rank
    if p.telegram_id is not None:
        pv["telegram_user_id"] = p.telegram_id
    if p.whatsapp is not None:
        pv["whatsapp_number"] = p.whatsapp
    if p.channel is not None:
        pv["preferred_channel"] = p.channel
    created = person is None
    was_active = person is not None and person.active
    if person is None:
        person = Person(office_id=office_id, nip=p.nip, created_at=now, **pv)
        session.add(person)
        session.flush()
        changed = True
    else:
        changed = _apply(person, pv)
    have = {r.role for r in person.roles}
    if have != set(p.roles):
        person.roles[:] = [r for r in person.roles if r.role in p.roles]
        for role in p.roles:
            if role not in have:
                person.roles.append(PersonRole(role=role))
        changed = True
    if not created and (was_active and not person.active or have - set(p.roles)):
        end_dashboard_access(session, person.id, now)  # deactivated, or a role removed
    return person, created, changed


def import_office(session: Session, data: OfficeFile, now: datetime) -> ImportResult:
    """Create or update the office and everything in it; only real differences are written."""
    res = ImportResult()
    o = data.office
    office = session.scalar(select(Office).where(Office.code == o.code))
    values = dict(
        name=o.name,
        regency=o.regency,
        timezone=o.timezone,
        letterhead=list(o.letterhead),
        days_off=[d.isoformat() for d in o.days_off],
        config=dict(o.config),
    )
    if office is None:
        office = Office(code=o.code, created_at=now, **values)
        session.add(office)
        session.flush()
        res.count("office", True)
    elif _apply(office, values):
        res.count("office", False)
    res.office_id = office.id

    people: dict[str, Person] = {}
    for p in data.people:
        person, created, changed = upsert_person(session, office.id, p, now)
        if changed:
            res.count("people", created)
        people[p.nip] = person

    for pos, s in enumerate(data.sections):
        section = session.scalar(
            select(Section).where(Section.office_id == office.id, Section.code == s.code)
        )
        sv = dict(
            name=s.name, head_id=people[s.head].id if s.head else None, position=pos, active=True
        )
        if section is None:
            section = Section(office_id=office.id, code=s.code, **sv)
            session.add(section)
            session.flush()
            res.count("sections", True)
        elif _apply(section, sv):
            res.count("sections", False)
        for ipos, ind in enumerate(data.indicators.get(s.code, [])):
            _import_indicator(session, office, section, ind, ipos, res)

    for a in data.acting:
        section_id = None
        if a.section:
            section_id = session.scalar(
                select(Section.id).where(Section.office_id == office.id, Section.code == a.section)
            )
        key = dict(
            office_id=office.id,
            role=a.role,
            section_id=section_id,
            person_id=people[a.nip].id,
            start_date=a.start,
        )
        act = session.scalar(select(Acting).filter_by(**key))
        if act is None:
            session.add(Acting(kind=a.kind, end_date=a.end, **key))
            res.count("acting", True)
        elif _apply(act, dict(kind=a.kind, end_date=a.end)):
            res.count("acting", False)
    session.flush()
    return res


def _import_indicator(
    session: Session,
    office: Office,
    section: Section,
    ind: IndicatorIn,
    pos: int,
    res: ImportResult,
) -> None:
    row = session.scalar(
        select(Indicator).where(Indicator.office_id == office.id, Indicator.code == ind.code)
    )
    iv = dict(
        section_id=section.id,
        sasaran=ind.sasaran,
        name=ind.name,
        unit=ind.unit,
        polarity=ind.polarity,
        lower_method=ind.lower_method,
        aggregation=ind.aggregation,
        reference=_reference(ind),
        position=pos,
        active=True,
    )
    created = row is None
    if row is None:
        row = Indicator(office_id=office.id, code=ind.code, **iv)
        session.add(row)
        session.flush()
        changed = True
    else:
        changed = _apply(row, iv)
    existing = {t.period: t for t in row.targets}
    for period, target in ind.targets.items():
        if period not in existing:
            row.targets.append(IndicatorTarget(period=period, target=target))
            changed = True
        elif existing[period].target != target:
            existing[period].target = target
            changed = True
    if changed:
        res.count("indicators", created)


def _reference(ind: IndicatorIn) -> dict[str, Any]:
    """The indicator's LKjIP figures from the file, only the keys it gives (an unchanged file
    leaves the stored value equal, so a second import changes nothing)."""
    out: dict[str, Any] = {}
    if ind.realisations:
        out["realisations"] = dict(ind.realisations)
    if ind.renstra_target:
        out["renstra_target"] = dict(ind.renstra_target)
    return out


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (a byte-order mark is allowed), else one clear error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OfficeFileError([f"{path}: {exc.strerror}"]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise OfficeFileError(
            [f"not UTF-8 text (byte {exc.start}, line {line}): save the file as UTF-8"]
        ) from None


def import_file(session: Session, path: Path, now: datetime) -> ImportResult:
    """Validate the file whole (also against other offices' people), then import it."""
    return import_office(session, parse(read_text(path), session), now)


__all__ = ["ImportResult", "OfficeFile", "OfficeFileError", "import_file", "import_office", "parse"]
