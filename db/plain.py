"""Plain writes for the rows every update changes (a form's answer and its conversation;
audit entries and button tokens): one `UPDATE … WHERE pk = …` per row, one `INSERT` per
table for new rows, built once per table and set of columns and run on the session's
connection just before the commit, instead of through the ORM's unit of work.

Why: for a typed form value the unit of work's flush (the dirty answer, the conversation,
their attribute history, the dependency sort) cost about a quarter of the handler, more than
the statements it runs. `stage_update` sets the new values on the loaded object as its
committed state (the unit of work sees nothing to do) and remembers them; `_write_staged`
writes each staged row once, with every value staged for it, when the session commits.

`stage_insert` does the same for rows nobody reads back in the transaction that writes them
(the audit log, a button's token): written in one INSERT per table before the commit.

The rule that keeps this safe: SQL run later in the same transaction sees the row as it was
until the commit, so stage only rows the transaction reads from memory from then on. A row
the session is about to insert (pending) is simply changed; the insert carries the values.
Staged rows only name rows that exist already (ids are known only once a row is written), so
they go before the unit of work's last flush.

`insert_now` and `delete_now` are for rows whose objects the transaction goes on using: new
rows written at once in one `INSERT … RETURNING` (the objects come back with their ids, part
of the session), a row deleted at once by its key and its object forgotten.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, event, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Delete, ReturningInsert, Update

_STAGED = "plain_staged"  # session.info: {id(obj): (obj, {attribute: value})}
_NEW = "plain_new"  # session.info: {model: [row values]}
_BUILT: dict[tuple[type, tuple[str, ...]], tuple[Update, tuple[str, ...]]] = {}
_DELETES: dict[type, tuple[Delete, tuple[str, ...]]] = {}
_INSERTS: dict[type, ReturningInsert[Any]] = {}


def stage_update(session: Session, obj: Any, **values: Any) -> None:
    """Change a loaded row now in memory, and in the database just before the commit."""
    state = inspect(obj)
    if not state.persistent:
        for key, value in values.items():
            setattr(obj, key, value)
        return
    for key, value in values.items():
        set_committed_value(obj, key, value)
    staged = session.info.setdefault(_STAGED, {})
    staged.setdefault(id(obj), (obj, {}))[1].update(values)


def stage_insert(session: Session, model: type, **values: Any) -> None:
    """A new row, written with the transaction's other new rows of its table just before the
    commit. Every row of a table must name the same columns."""
    session.info.setdefault(_NEW, {}).setdefault(model, []).append(values)


def insert_now(session: Session, model: type, rows: list[dict[str, Any]]) -> list[Any]:
    """New rows written now in one `INSERT … RETURNING`, as objects of the session (ids
    known), without the unit of work's flush. Every row must name the same columns."""
    if not rows:
        return []
    stmt = _INSERTS.get(model)
    if stmt is None:
        stmt = _INSERTS[model] = insert(model).returning(model)
    return list(session.scalars(stmt, rows))


def delete_now(session: Session, obj: Any) -> None:
    """Delete a loaded row with one plain `DELETE … WHERE pk = …`, now, and forget the object:
    the unit of work's delete (cascades, relationship bookkeeping, its flush) cost more than
    the statement. Only for rows nothing else in the session refers to by relationship."""
    state = inspect(obj)
    if not state.persistent:
        if state.pending:
            session.expunge(obj)
        return
    cls = type(obj)
    built = _DELETES.get(cls)
    if built is None:
        pk, where = _by_key(cls)
        built = _DELETES[cls] = (delete(cls).where(*where), pk)
    stmt, pk = built
    staged = session.info.get(_STAGED)
    if staged:
        staged.pop(id(obj), None)
    session.connection().execute(stmt, {f"pk_{k}": getattr(obj, k) for k in pk})
    session.expunge(obj)


def _statement(cls: type, keys: tuple[str, ...]) -> tuple[Update, tuple[str, ...]]:
    built = _BUILT.get((cls, keys))
    if built is None:
        pk, where = _by_key(cls)
        stmt = update(cls).where(*where).values({k: bindparam(f"v_{k}") for k in keys})
        built = _BUILT[(cls, keys)] = (stmt, pk)
    return built


def _by_key(cls: type) -> tuple[tuple[str, ...], list[Any]]:
    """A model's primary-key attributes, and the WHERE clauses naming one row by them
    (parameters `pk_<attribute>`)."""
    mapper: Any = inspect(cls)
    pk = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    return pk, [getattr(cls, k) == bindparam(f"pk_{k}") for k in pk]


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outer commit writes them
    new = session.info.pop(_NEW, None)
    for model, rows in (new or {}).items():
        session.connection().execute(insert(model), rows)
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return
    conn = session.connection()
    for obj, values in staged.values():
        if inspect(obj).deleted or inspect(obj).detached:
            continue
        keys = tuple(sorted(values))
        stmt, pk = _statement(type(obj), keys)
        params = {f"v_{k}": values[k] for k in keys}
        params.update({f"pk_{k}": getattr(obj, k) for k in pk})
        conn.execute(stmt, params)


@event.listens_for(Session, "after_soft_rollback")
def _forget_staged(session: Session, _previous: object) -> None:
    if not session.in_transaction():
        session.info.pop(_STAGED, None)
        session.info.pop(_NEW, None)
