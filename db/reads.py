"""Rows read with plain statements, each as a small type of its own: the columns an update
reads (the person's open form, a pressed button's token, the open form's submission, round,
section and answers), frozen, so that a write to one is an error instead of a change lost.
Making one costs a tuple, where an ORM object costs its instance state, its identity-map
entry and the loader's row processors (about 25 µs an entity).

Each names its model (`model`): `db.plain.stage_update` writes a change to it as it writes
one to a loaded object, and gives back the read with the change; `columns(Read)` is what a
statement selects for it, in its fields' order, and `Read(*row[n : n + width(Read)])` makes
one from a row of such a statement.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from db.models import ActionToken, Answer, CollectionRound, Conversation, Section, Submission


@dataclass(frozen=True, slots=True)
class ConversationRead:
    """A person's open conversation (a form, or another command's steps)."""

    model: ClassVar[type] = Conversation
    person_id: int
    kind: str
    data: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRead:
    """A button's token: the action it stands for and what it carries."""

    model: ClassVar[type] = ActionToken
    id: int
    token: str
    office_id: int
    action: str
    payload: dict[str, Any]
    person_id: int | None
    group: str | None
    reusable: bool
    created_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnswerRead:
    """One indicator's answer in a section's reply."""

    model: ClassVar[type] = Answer
    id: int
    submission_id: int
    indicator_id: int
    realisation: Decimal | None
    explanation: str | None
    done: bool
    reopen_note: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class SectionRead:
    """A section as a form names it and checks its head."""

    model: ClassVar[type] = Section
    id: int
    name: str
    active: bool
    head_id: int | None


@dataclass(frozen=True, slots=True)
class SubmissionRead:
    """A section's reply in a round, with its section."""

    model: ClassVar[type] = Submission
    section: SectionRead  # (not a column: read with it)
    id: int
    round_id: int
    section_id: int
    deadline: datetime
    status: str
    started_at: datetime | None
    submitted_at: datetime | None
    first_submitted_at: datetime | None
    accepted_at: datetime | None
    returns: int
    note: str | None
    fix_deadline: datetime | None


@dataclass(frozen=True, slots=True)
class RoundRead:
    """A round as a form reads it: without its lists (every indicator and team member of
    the office, JSON that grows with it: `LEFT_OUT`)."""

    model: ClassVar[type] = CollectionRound
    id: int
    office_id: int
    period: str
    period_label: str
    state: str
    open_key: int | None
    requested_by_id: int
    proposed_deadline: datetime | None
    created_at: datetime
    closed_at: datetime | None


# Columns of a model that its read leaves out on purpose (every other column is read)
LEFT_OUT: dict[type, frozenset[str]] = {
    RoundRead: frozenset({"indicator_ids", "team_ids", "plan"}),
    SectionRead: frozenset({"office_id", "code", "position"}),
}


@functools.cache
def columns(read: Any) -> tuple[Any, ...]:
    """The table columns `read` is made of, in its fields' order."""
    table: Any = read.model.__table__
    return tuple(table.c[f.name] for f in fields(read) if f.name in table.c)


def width(read: Any) -> int:
    """How many columns of a row make one `read`."""
    return len(columns(read))
