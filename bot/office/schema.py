"""The office file's schema and its whole-file validation (for `sakip-bot office import`).

Every entry is validated on its own, so one bad entry does not hide the errors of the
others; then the cross-references (heads, acting officials, duplicates) and, given a
database session, the identities other offices already hold. Each error is one line
naming the entry and the field (`people[3].nip: must be 18 digits`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    field_validator,
)
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.procedure.roles import POSITIONS, Role
from db.models import Office, Person

BIGINT_MAX = 2**63 - 1
TARGET_LEN = 64  # IndicatorTarget.target


class OfficeFileError(Exception):
    """The file is not valid; each error names the entry and the field, on one line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


def _printable(v: str) -> str:
    """No control characters (NUL is refused by PostgreSQL) and no lone surrogates."""
    for ch in v:
        if ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise ValueError(f"contains a control character (U+{ord(ch):04X})")
    return v


_PRINTABLE = AfterValidator(_printable)


def _nip(v: object) -> object:
    return str(v).replace(" ", "") if isinstance(v, int | str) and not isinstance(v, bool) else v


def _nip_digits(v: str) -> str:
    if not re.fullmatch(r"\d{18}", v):
        raise ValueError("must be 18 digits")
    return v


# Strings within their column's size (db/models.py), without control characters.
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _PRINTABLE
]
Str200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _PRINTABLE]
Str64 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), _PRINTABLE]
LongText = Annotated[str, StringConstraints(strip_whitespace=True), _PRINTABLE]
LongName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), _PRINTABLE]


Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    _PRINTABLE,
    AfterValidator(lambda v: _code(v)),
]
Nip = Annotated[str, BeforeValidator(_nip), AfterValidator(_nip_digits)]
NipRef = Annotated[str, BeforeValidator(_nip)]


def _code(v: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", v):
        raise ValueError("only letters, digits, '-', '_' and '.' (no spaces)")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Office.config["reminders"]: the keys bot/procedure/reminders.py reads, and their kinds.
REMINDER_KEYS = {
    "before_days": int,
    "on_due": bool,
    "late_repeat": bool,
    "escalate_kasubag": int,
    "escalate_sekretaris": int,
    "max_late": int,
}


class OfficeIn(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+$", max_length=64)]
    name: Name
    regency: Str200 = ""
    timezone: Str64 = "Asia/Makassar"
    letterhead: list[Str200] = []
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

    @field_validator("config")
    @classmethod
    def _config(cls, v: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(v, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError(
                "only text, numbers, true/false, lists and mappings (a date must be quoted)"
            ) from None
        rem = v.get("reminders", {})
        if not isinstance(rem, dict):
            raise ValueError("reminders must be a mapping, e.g. {before_days: 1}")
        for key, value in rem.items():
            kind = REMINDER_KEYS.get(key)
            if kind is None:
                raise ValueError(
                    f"reminders.{key}: unknown (known: {', '.join(sorted(REMINDER_KEYS))})"
                )
            if kind is bool and not isinstance(value, bool):
                raise ValueError(f"reminders.{key}: must be true or false")
            if kind is int and (type(value) is not int or not 0 <= value <= 365):
                raise ValueError(f"reminders.{key}: must be a whole number from 0 to 365")
        return v


Str100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), _PRINTABLE]


class PersonIn(_Model):
    nip: Nip
    name: Name
    position: Str200 = ""
    rank: Str100 = ""  # pangkat/golongan, e.g. "Pembina Tk. I (IV/b)"
    roles: list[str] = []
    telegram_id: int | None = None
    whatsapp: str | None = None
    channel: Literal["telegram", "whatsapp"] | None = None
    active: bool = True

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        valid = {r.value for r in Role}
        for r in v:
            if r not in valid:
                raise ValueError(f"unknown role '{r}' (known: {', '.join(sorted(valid))})")
        if len(set(v)) != len(v):
            raise ValueError("a role appears twice")
        return v

    @field_validator("telegram_id", mode="before")
    @classmethod
    def _tg(cls, v: object) -> object:
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ValueError("must be a whole number (the Telegram user id)")
        try:
            n = int(str(v).strip())
        except ValueError:
            raise ValueError("must be a whole number (the Telegram user id)") from None
        if not 0 < n <= BIGINT_MAX:
            raise ValueError(f"must be a positive whole number up to {BIGINT_MAX}")
        return n

    @field_validator("whatsapp", mode="before")
    @classmethod
    def _wa(cls, v: object) -> object:
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ValueError(f"not a phone number: '{v}'")
        raw = str(v).strip()
        if not re.fullmatch(r"\+?[\d\s().-]+", raw):
            raise ValueError(f"not a phone number: '{v}'")
        digits = "".join(ch for ch in raw if ch.isdigit())
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        if not 9 <= len(digits) <= 15:
            raise ValueError(f"not a phone number: '{v}' (9 to 15 digits with country code)")
        return digits


def _period_ok(key: str) -> bool:
    year, _, q = key.partition("-")
    return year.isdigit() and len(year) == 4 and (q == "" or q in {"Q1", "Q2", "Q3", "Q4"})


_TARGET = re.compile(r"(-?[\d.,]+)(?:[-–](-?[\d.,]+))?")


def check_target(raw: object, zero_allowed: bool) -> str:
    """The target as stored (text); a number or an ascending range of positive numbers."""
    from bot.fmt import NumberParseError, NumberTooLargeError, parse_number_id

    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError(f"not a number or range: '{raw}'")
    text = str(raw)
    m = _TARGET.fullmatch(text.strip().rstrip("%").replace(" ", ""))
    if not m or len(text) > TARGET_LEN:
        raise ValueError(f"not a number or range: '{raw}'")
    try:
        bounds = [parse_number_id(g) for g in m.groups() if g is not None]
    except NumberTooLargeError:
        raise ValueError(
            f"'{raw}' is too large (at most 14 digits before the decimal point)"
        ) from None
    except NumberParseError:
        raise ValueError(f"not a number or range: '{raw}'") from None
    for b in bounds:
        if b < 0 or (b == 0 and not zero_allowed):
            need = "zero or more" if zero_allowed else "more than zero (or set zero_target: true)"
            raise ValueError(f"'{raw}' must be {need}")
    if len(bounds) == 2 and bounds[1] <= bounds[0]:
        raise ValueError(f"range '{raw}' must go from low to high, e.g. 80-90")
    return text


def _number(raw: object, what: str) -> str:
    """A realisation as written ("84,5", 84.5, 1250): a number of at most 14 digits."""
    from bot.fmt import NumberParseError, NumberTooLargeError, parse_number_id

    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError(f"{what}: not a number: '{raw}'")
    try:
        parse_number_id(str(raw))
    except NumberTooLargeError:
        raise ValueError(f"{what}: '{raw}' is too large") from None
    except NumberParseError:
        raise ValueError(f"{what}: not a number: '{raw}'") from None
    return str(raw)


class IndicatorIn(_Model):
    code: Code
    name: LongName
    sasaran: LongText = ""
    unit: Str64 = ""
    polarity: Literal["higher", "lower"] = "higher"
    lower_method: Literal["permenpan", "inverse"] = "permenpan"
    aggregation: Literal["cumulative", "latest", "average"] = "cumulative"
    # a target of 0 is allowed only when the indicator says so (e.g. "no incidents")
    zero_target: bool = False
    targets: dict[str, str]
    # for the LKjIP: realisations of years before the bot ran ({"2025": 84.5}) and the
    # Renstra's end-of-period target, keyed by the Renstra's last year ({"2026": 95})
    realisations: dict[str, str] = {}
    renstra_target: dict[str, str] = {}

    @field_validator("realisations", mode="before")
    @classmethod
    def _realisations(cls, v: object) -> object:
        if not isinstance(v, dict):
            raise ValueError("a mapping of year to realisation, e.g. {'2025': 84.5}")
        out: dict[str, str] = {}
        for k, val in v.items():
            key = str(k)
            if not (key.isdigit() and len(key) == 4):
                raise ValueError(f"year '{key}' must look like 2025")
            out[key] = _number(val, f"realisation for {key}")
        return out

    @field_validator("renstra_target", mode="before")
    @classmethod
    def _renstra(cls, v: object, info: Any) -> object:
        if not isinstance(v, dict) or len(v) > 1:
            raise ValueError("one entry: the Renstra's last year and its target, e.g. {'2026': 95}")
        zero = info.data.get("zero_target") is True
        out: dict[str, str] = {}
        for k, val in v.items():
            key = str(k)
            if not (key.isdigit() and len(key) == 4):
                raise ValueError(f"year '{key}' must look like 2026")
            try:
                out[key] = check_target(val, zero)
            except ValueError as exc:
                raise ValueError(f"Renstra target for {key}: {exc}") from None
        return out

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, v: object, info: Any) -> object:
        if not isinstance(v, dict) or not v:
            raise ValueError("at least one target, e.g. {'2026': 90}")
        zero = info.data.get("zero_target") is True
        out: dict[str, str] = {}
        for k, val in v.items():
            key = str(k)
            if not _period_ok(key):
                raise ValueError(f"period '{key}' must look like 2026 or 2026-Q3")
            if key in out:
                raise ValueError(f"period '{key}' appears twice")
            try:
                out[key] = check_target(val, zero)
            except ValueError as exc:
                raise ValueError(f"target for {key}: {exc}") from None
        return out


class SectionIn(_Model):
    code: Code
    name: Name
    head: NipRef | None = None
    indicators: list[Any] = []  # validated one by one (IndicatorIn)


class ActingIn(_Model):
    nip: NipRef
    role: str
    section: Str64 | None = None
    kind: Literal["Plt", "Plh"] = "Plh"
    start: date
    end: date

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v not in {r.value for r in POSITIONS}:
            raise ValueError(f"'{v}' is not a position one can act for")
        return v


EXPECTED = "expected office:, people:, sections: and optionally acting:"


class _FileIn(_Model):
    office: Any
    people: list[Any] = []
    sections: list[Any] = []
    acting: list[Any] = []


@dataclass
class OfficeFile:
    """The validated file: every entry checked and every reference resolved."""

    office: OfficeIn
    people: list[PersonIn] = field(default_factory=list)
    sections: list[SectionIn] = field(default_factory=list)
    indicators: dict[str, list[IndicatorIn]] = field(default_factory=dict)  # by section code
    acting: list[ActingIn] = field(default_factory=list)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


M = TypeVar("M", bound=BaseModel)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    def model(self, cls: type[M], value: object, where: str) -> M | None:
        if not isinstance(value, dict):
            self.error(where, "expected a mapping (key: value)")
            return None
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            for err in exc.errors():
                msg = err["msg"].removeprefix("Value error, ")
                loc = _loc(tuple(err["loc"]))
                self.error(f"{where}.{loc}" if loc else where, msg)
            return None


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last)."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice", key_node.start_mark
                )
            seen.add(key)
        except TypeError:
            pass  # an unhashable key: the constructor names it below
    return loader.construct_mapping(node, deep=True)


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:  # 2026-13-01 looks like a date but is none
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a date ({exc})", node.start_mark
        ) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _yaml_error(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        m = exc.problem_mark
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        return f"not valid YAML at line {m.line + 1}, column {m.column + 1}: {what}"
    return "not valid YAML: " + (str(exc).splitlines() or ["?"])[0]


# An office file holds a few thousand values; YAML aliases (`*name`) can make a few lines
# stand for billions, which the checks below would then walk (an "alias bomb").
MOST_VALUES = 100_000


def _values(value: object) -> int:
    """How many values `value` stands for with every alias written out; each shared list or
    mapping is walked once, and one that contains itself counts as too many."""
    sizes: dict[int, int] = {}

    def size(v: object) -> int:
        if not isinstance(v, dict | list):
            return 1
        if id(v) not in sizes:
            sizes[id(v)] = MOST_VALUES + 1  # until counted: a list inside itself is endless
            items = [*v.keys(), *v.values()] if isinstance(v, dict) else v
            sizes[id(v)] = 1 + sum(size(x) for x in items)
        return sizes[id(v)]

    return size(value)


def load_yaml(text: str) -> object:
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
        if _values(raw) > MOST_VALUES:
            raise OfficeFileError(
                [
                    f"refused: the file's YAML aliases (*name) make it more than "
                    f"{MOST_VALUES:,} values; write the entries out instead"
                ]
            )
        return raw
    except yaml.YAMLError as exc:
        raise OfficeFileError([_yaml_error(exc)]) from None
    except RecursionError:
        raise OfficeFileError(["not valid YAML: nested too deeply"]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own complaint
        raise OfficeFileError([f"not valid YAML: {exc}".splitlines()[0]]) from None


def parse(text: str, session: Session | None = None) -> OfficeFile:
    """Validate the whole file (and, with a session, against other offices' people);
    raise OfficeFileError listing every error."""
    raw = load_yaml(text)
    if raw is None:
        raise OfficeFileError([f"the file is empty ({EXPECTED})"])
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, list) else f"one value ({str(raw)[:40]!r})"
        raise OfficeFileError([f"the file is {kind}, not keys with values ({EXPECTED})"])
    unknown = [str(key)[:40] for key in raw if key not in _FileIn.model_fields]
    if unknown:
        names = ", ".join(f"{key}:" for key in unknown[:5]) + (", …" if len(unknown) > 5 else "")
        keys = "key" if len(unknown) == 1 else "keys"
        raise OfficeFileError([f"unknown top-level {keys} {names} ({EXPECTED})"])
    c = _Checker()
    shell = c.model(_FileIn, raw, "file")
    if shell is None:
        raise OfficeFileError([e.removeprefix("file.") for e in c.errors])
    office = c.model(OfficeIn, shell.office, "office")
    people = [(i, c.model(PersonIn, p, f"people[{i}]")) for i, p in enumerate(shell.people)]
    sections = [(i, c.model(SectionIn, s, f"sections[{i}]")) for i, s in enumerate(shell.sections)]
    indicators: dict[str, list[IndicatorIn]] = {}
    ind_codes: dict[str, str] = {}
    for i, s in sections:
        if s is None:
            continue
        items = indicators.setdefault(s.code, [])
        for j, raw_ind in enumerate(s.indicators):
            where = f"sections[{i}].indicators[{j}]"
            ind = c.model(IndicatorIn, raw_ind, where)
            if ind is None:
                continue
            if ind.code in ind_codes:
                c.error(f"{where}.code", f"'{ind.code}' also at {ind_codes[ind.code]}")
            ind_codes[ind.code] = where
            items.append(ind)
    acting = [(i, c.model(ActingIn, a, f"acting[{i}]")) for i, a in enumerate(shell.acting)]
    _check_people(c, shell.people, people)
    _check_sections(c, people, sections, acting)
    if session is not None and office is not None:
        _check_database(c, session, office.code, people)
    if c.errors or office is None:
        raise OfficeFileError(c.errors)
    return OfficeFile(
        office=office,
        people=[p for _, p in people if p is not None],
        sections=[s for _, s in sections if s is not None],
        indicators=indicators,
        acting=[a for _, a in acting if a is not None],
    )


def _check_people(c: _Checker, raw: list[Any], people: list[tuple[int, PersonIn | None]]) -> None:
    firsts: dict[tuple[str, object], int] = {}
    for i, p in people:
        if p is None:
            continue
        for name, value in (
            ("nip", p.nip),
            ("telegram_id", p.telegram_id),
            ("whatsapp", p.whatsapp),
        ):
            if value is None:
                continue
            if (name, value) in firsts:
                c.error(f"people[{i}].{name}", f"'{value}' also at people[{firsts[name, value]}]")
            else:
                firsts[name, value] = i


def _check_sections(
    c: _Checker,
    people: list[tuple[int, PersonIn | None]],
    sections: list[tuple[int, SectionIn | None]],
    acting: list[tuple[int, ActingIn | None]],
) -> None:
    by_nip = {p.nip: p for _, p in people if p is not None}
    codes: dict[str, int] = {}
    for i, s in sections:
        if s is None:
            continue
        if s.code in codes:
            c.error(f"sections[{i}].code", f"'{s.code}' also at sections[{codes[s.code]}]")
        codes.setdefault(s.code, i)
        if s.head is None:
            continue
        head = by_nip.get(s.head)
        if head is None:
            c.error(f"sections[{i}].head", f"no person with NIP '{s.head}'")
        elif Role.KEPALA_SEKSI not in head.roles:
            c.error(f"sections[{i}].head", f"{head.name} ({head.nip}) lacks the role kepala_seksi")
        elif not head.active:
            c.error(f"sections[{i}].head", f"{head.name} ({head.nip}) is not active")
    for i, a in acting:
        if a is None:
            continue
        who = by_nip.get(a.nip)
        if who is None:
            c.error(f"acting[{i}].nip", f"no person with NIP '{a.nip}'")
        elif not who.active:
            c.error(f"acting[{i}].nip", f"{who.name} ({who.nip}) is not active")
        if a.role == Role.KEPALA_SEKSI and a.section not in codes:
            c.error(f"acting[{i}].section", f"no section '{a.section}'")
        if a.end < a.start:
            c.error(f"acting[{i}].end", "before start")


def _check_database(
    c: _Checker, session: Session, office_code: str, people: list[tuple[int, PersonIn | None]]
) -> None:
    """A Telegram id or WhatsApp number already held by someone else (another office, or
    another NIP) would break the unique columns: name the holder instead."""
    wanted = [(i, p) for i, p in people if p is not None and (p.telegram_id or p.whatsapp)]
    if not wanted:
        return
    tg = [p.telegram_id for _, p in wanted if p.telegram_id is not None]
    wa = [p.whatsapp for _, p in wanted if p.whatsapp is not None]
    rows = session.execute(
        select(Person.nip, Person.name, Person.telegram_user_id, Person.whatsapp_number, Office)
        .join(Office, Office.id == Person.office_id)
        .where(or_(Person.telegram_user_id.in_(tg), Person.whatsapp_number.in_(wa)))
    ).all()
    for nip, name, tg_id, wa_no, office in rows:
        for i, p in wanted:
            if office.code == office_code and nip == p.nip:
                continue
            holder = f"{name} ({nip}) of {office.name}"
            if p.telegram_id is not None and p.telegram_id == tg_id:
                c.error(f"people[{i}].telegram_id", f"'{tg_id}' already belongs to {holder}")
            if p.whatsapp is not None and p.whatsapp == wa_no:
                c.error(f"people[{i}].whatsapp", f"'{wa_no}' already belongs to {holder}")
