"""`sakip-bot office import FILE.yaml`: create or update an office from one file.

The file is validated whole before anything is written, and written in one transaction:
a bad file names the entry and field (`people[3].roles: unknown role 'camatt'`) and changes
nothing; importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.capaian import Target
from bot.roles import POSITIONS, Role
from db.models import Acting, Indicator, IndicatorTarget, Office, Person, PersonRole, Section


class OfficeFileError(Exception):
    """The file is not valid; the message names the entry and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfficeIn(_Model):
    code: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    regency: str = ""
    timezone: str = "Asia/Makassar"
    letterhead: list[str] = []
    days_off: list[date] = []
    config: dict[str, Any] = {}

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception as exc:
            raise ValueError(f"unknown time zone '{v}'") from exc
        return v


class PersonIn(_Model):
    nip: str = Field(min_length=1)
    name: str = Field(min_length=1)
    position: str = ""
    roles: list[str] = []
    telegram_id: int | None = None
    whatsapp: str | None = None
    channel: Literal["telegram", "whatsapp"] | None = None
    active: bool = True

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, v: object) -> object:
        return str(v).replace(" ", "") if isinstance(v, int | str) else v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        valid = {r.value for r in Role}
        for r in v:
            if r not in valid:
                raise ValueError(f"unknown role '{r}' (known: {', '.join(sorted(valid))})")
        return v

    @field_validator("whatsapp", mode="before")
    @classmethod
    def _wa(cls, v: object) -> object:
        if v is None:
            return None
        digits = "".join(ch for ch in str(v) if ch.isdigit())
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        if len(digits) < 9:
            raise ValueError(f"not a phone number: '{v}'")
        return digits


class IndicatorIn(_Model):
    code: str
    name: str
    sasaran: str = ""
    unit: str = ""
    polarity: Literal["higher", "lower"] = "higher"
    lower_method: Literal["permenpan", "inverse"] = "permenpan"
    aggregation: Literal["cumulative", "latest", "average"] = "cumulative"
    targets: dict[str, str]

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, v: object) -> object:
        if not isinstance(v, dict) or not v:
            raise ValueError("at least one target, e.g. {'2026': 90}")
        out = {}
        for k, val in v.items():
            key = str(k)
            if not _valid_period(key):
                raise ValueError(f"period '{key}' must look like 2026 or 2026-Q3")
            try:
                Target.parse(str(val))
            except ValueError as exc:
                raise ValueError(f"target for {key} is not a number or range: '{val}'") from exc
            out[key] = str(val)
        return out


class SectionIn(_Model):
    code: str
    name: str
    head: str | None = None
    indicators: list[IndicatorIn] = []

    @field_validator("head", mode="before")
    @classmethod
    def _head(cls, v: object) -> object:
        return str(v).replace(" ", "") if isinstance(v, int | str) else v


class ActingIn(_Model):
    nip: str
    role: str
    section: str | None = None
    kind: Literal["Plt", "Plh"] = "Plh"
    start: date
    end: date

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, v: object) -> object:
        return str(v).replace(" ", "") if isinstance(v, int | str) else v

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v not in {r.value for r in POSITIONS}:
            raise ValueError(f"'{v}' is not a position one can act for")
        return v


class OfficeFile(_Model):
    office: OfficeIn
    people: list[PersonIn] = []
    sections: list[SectionIn] = []
    acting: list[ActingIn] = []


def _valid_period(key: str) -> bool:
    year, _, q = key.partition("-")
    return year.isdigit() and len(year) == 4 and (q == "" or q in {"Q1", "Q2", "Q3", "Q4"})


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(text: str) -> OfficeFile:
    """Validate the file; raise OfficeFileError naming the first bad entry and field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OfficeFileError(f"not valid YAML: {exc}") from None
    try:
        data = OfficeFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        raise OfficeFileError(f"{_loc(tuple(err['loc']))}: {msg}") from None
    _check_references(data)
    return data


def _check_references(data: OfficeFile) -> None:
    nips: dict[str, int] = {}
    for i, p in enumerate(data.people):
        if p.nip in nips:
            raise OfficeFileError(f"people[{i}].nip: '{p.nip}' also at people[{nips[p.nip]}]")
        nips[p.nip] = i
    codes: set[str] = set()
    ind_codes: set[str] = set()
    for i, s in enumerate(data.sections):
        if s.code in codes:
            raise OfficeFileError(f"sections[{i}].code: '{s.code}' appears twice")
        codes.add(s.code)
        if s.head is not None and s.head not in nips:
            raise OfficeFileError(f"sections[{i}].head: no person with NIP '{s.head}'")
        for j, ind in enumerate(s.indicators):
            if ind.code in ind_codes:
                raise OfficeFileError(
                    f"sections[{i}].indicators[{j}].code: '{ind.code}' appears twice"
                )
            ind_codes.add(ind.code)
    for i, a in enumerate(data.acting):
        if a.nip not in nips:
            raise OfficeFileError(f"acting[{i}].nip: no person with NIP '{a.nip}'")
        if a.role == Role.KEPALA_SEKSI and a.section not in codes:
            raise OfficeFileError(f"acting[{i}].section: no section '{a.section}'")
        if a.end < a.start:
            raise OfficeFileError(f"acting[{i}].end: before start")


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
        person = session.scalar(
            select(Person).where(Person.office_id == office.id, Person.nip == p.nip)
        )
        pv: dict[str, Any] = dict(name=p.name, position=p.position, active=p.active)
        if p.telegram_id is not None:
            pv["telegram_user_id"] = p.telegram_id
        if p.whatsapp is not None:
            pv["whatsapp_number"] = p.whatsapp
        if p.channel is not None:
            pv["preferred_channel"] = p.channel
        created = person is None
        if person is None:
            person = Person(office_id=office.id, nip=p.nip, created_at=now, **pv)
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
        for ipos, ind in enumerate(s.indicators):
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


def import_file(session: Session, path: Path, now: datetime) -> ImportResult:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OfficeFileError(f"{path}: {exc.strerror}") from None
    return import_office(session, parse(text), now)
