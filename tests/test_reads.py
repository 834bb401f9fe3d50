"""Plain reads (`db/reads.py`): each reads every column of its model but those it leaves out
on purpose, so a column added to a model is not silently missing from its read; a read is
frozen, and a staged change comes back as a changed copy and is written at the end of the
transaction."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import Office
from db.plain import stage_update
from db.reads import (
    LEFT_OUT,
    AnswerRead,
    ConversationRead,
    RoundRead,
    SectionRead,
    SubmissionRead,
    TokenRead,
    columns,
)

READS = (AnswerRead, ConversationRead, RoundRead, SectionRead, SubmissionRead, TokenRead)


@pytest.mark.parametrize("read", READS, ids=lambda r: r.__name__)
def test_a_read_has_every_column_of_its_model_but_those_it_leaves_out(read: type) -> None:
    table = read.model.__table__  # type: ignore[attr-defined]
    wanted = {c.key for c in table.c} - LEFT_OUT.get(read, frozenset())
    assert {c.key for c in columns(read)} == wanted


def test_a_read_is_frozen_and_a_staged_change_comes_back_and_is_written(
    db: Database, office: int
) -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class OfficeName:
        model = Office
        id: int
        name: str

    with db.transaction() as s:
        row = s.execute(select(Office.id, Office.name).where(Office.id == office)).one()
        read = OfficeName(*row)
        with pytest.raises(dataclasses.FrozenInstanceError):
            read.name = "lost"  # type: ignore[misc]
        changed = stage_update(s, read, name="Kecamatan Baru")
        assert (read.name, changed.name) == (row.name, "Kecamatan Baru")
        # not written yet: SQL in the same transaction still sees the row as it was
        assert s.scalar(select(Office.name).where(Office.id == office)) == row.name
    with db.transaction() as s:
        assert s.scalar(select(Office.name).where(Office.id == office)) == "Kecamatan Baru"
