"""`sakip-bot kabupaten import FILE.yaml`: the kabupaten's monitors (role `pemantau`) and the
kecamatan offices each one follows.

A monitor belongs to no kecamatan: the kabupaten is an office row of its own, of kind
"kabupaten" (`Office.config["kind"]`), that holds its people, and `MonitorScope` lists the
offices each monitor sees. The file is validated whole, every office it names must exist,
and it is written in one transaction; importing it twice changes nothing the second time.
A monitor's scope is exactly the file's list: an office taken off the list is no longer seen.

    kabupaten: {code: kab-banjar, name: Pemerintah Kabupaten Banjar}
    people:
      - {nip: "...", name: "...", position: Kepala Bagian Organisasi, offices: [astambul]}
      - {nip: "...", name: "...", position: Inspektur Pembantu, offices: semua}
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.office.load import ImportResult, upsert_person
from bot.office.monitoring import KIND_KABUPATEN, end_dashboard_access, is_kabupaten
from bot.office.schema import OfficeFileError, OfficeIn, PersonIn
from bot.procedure.roles import Role
from db.models import MonitorScope, Office

ALL_OFFICES = "semua"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KabupatenIn(OfficeIn):
    pass


class MonitorIn(PersonIn):
    # the offices this monitor follows: office codes, or "semua" (every kecamatan office)
    offices: list[str] | Literal["semua"] = Field(min_length=1)
    roles: list[str] = Field(default=[], validate_default=True)

    @field_validator("roles")
    @classmethod
    def _with_pemantau(cls, v: list[str]) -> list[str]:
        return v if Role.PEMANTAU in v else [Role.PEMANTAU.value, *v]


class KabupatenFile(_Model):
    kabupaten: KabupatenIn
    people: list[MonitorIn] = []


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def parse(text: str) -> KabupatenFile:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OfficeFileError([f"not valid YAML: {exc}"]) from None
    try:
        data = KabupatenFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        raise OfficeFileError([f"{_loc(tuple(err['loc']))}: {msg}"]) from None
    seen: dict[str, int] = {}
    for i, p in enumerate(data.people):
        if p.nip in seen:
            raise OfficeFileError([f"people[{i}].nip: '{p.nip}' also at people[{seen[p.nip]}]"])
        seen[p.nip] = i
    return data


def import_kabupaten(session: Session, data: KabupatenFile, now: datetime) -> ImportResult:
    """Create or update the kabupaten office, its monitors and their scopes."""
    res = ImportResult()
    k = data.kabupaten
    kecamatan = {
        o.code: o
        for o in session.scalars(select(Office).where(Office.code != k.code))
        if not is_kabupaten(o)
    }
    scopes: list[list[Office]] = []
    for i, p in enumerate(data.people):
        if p.offices == ALL_OFFICES:
            scopes.append(sorted(kecamatan.values(), key=lambda o: o.name))
            continue
        for j, code in enumerate(p.offices):
            if code not in kecamatan:
                known = ", ".join(sorted(kecamatan)) or "-"
                raise OfficeFileError(
                    [f"people[{i}].offices[{j}]: no kecamatan office '{code}' (known: {known})"]
                )
        scopes.append([kecamatan[c] for c in dict.fromkeys(p.offices)])

    office = session.scalar(select(Office).where(Office.code == k.code))
    if office is not None and not is_kabupaten(office):
        raise OfficeFileError([f"kabupaten.code: '{k.code}' is a kecamatan office"])
    values = dict(
        name=k.name,
        regency=k.regency or k.name,
        timezone=k.timezone,
        letterhead=list(k.letterhead),
        days_off=[d.isoformat() for d in k.days_off],
        config={**k.config, "kind": KIND_KABUPATEN},
    )
    if office is None:
        office = Office(code=k.code, created_at=now, **values)
        session.add(office)
        session.flush()
        res.count("office", True)
    elif _apply(office, values):
        res.count("office", False)
    res.office_id = office.id

    for p, scope in zip(data.people, scopes, strict=True):
        person, created, changed = upsert_person(session, office.id, p, now)
        want = {o.id for o in scope}
        rows = {
            r.office_id: r
            for r in session.scalars(
                select(MonitorScope).where(MonitorScope.person_id == person.id)
            )
        }
        for office_id, row in rows.items():
            if office_id not in want:
                session.delete(row)
        for office_id in want - rows.keys():
            session.add(MonitorScope(person_id=person.id, office_id=office_id, created_at=now))
        if not created and want != rows.keys():  # the office list changed: sign in again
            end_dashboard_access(session, person.id, now)
        changed = changed or want != rows.keys()
        if changed:
            res.count("people", created)
    session.flush()
    return res


def import_file(session: Session, path: Path, now: datetime) -> ImportResult:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OfficeFileError([f"{path}: {exc.strerror}"]) from None
    return import_kabupaten(session, parse(text), now)
