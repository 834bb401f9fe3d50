"""Plain writes for the rows every update changes (a form's answer and its conversation;
audit entries, button tokens and outbox messages): one `UPDATE … WHERE pk = …` per row, one
`INSERT` per table for new rows, built once per table and set of columns and written by one
explicit call, `write_staged`, at the end of the transaction (`Database.transaction` makes
it just before the commit), instead of through the ORM's unit of work.

Why: for a typed form value the unit of work's flush (the dirty answer, the conversation,
their attribute history, the dependency sort) cost about a quarter of the handler, more than
the statements it runs. `stage_update` sets the new values on the loaded object as its
committed state (the unit of work sees nothing to do) and remembers them; `write_staged`
writes each staged row once, with every value staged for it.

`stage_insert` does the same for rows nobody reads back in the transaction that writes them
(the audit log, a button's token, an outbox message): written in one INSERT per table, the
new ids handed to `on_id` where the caller needs them (the outbox's delivery does).

The rule that keeps this safe: SQL run later in the same transaction sees the row as it was
until the end, so stage only rows the transaction reads from memory from then on. A row
the session is about to insert (pending) is simply changed; the insert carries the values.
`write_staged` runs the unit of work's flush first, so staged rows may name rows it writes.

One path on both databases, in one order: the unit of work's flush, the new rows table by
table (in the order their tables were first staged), then the changed rows.

Rows read with plain statements instead of as ORM objects have types of their own
(`db.reads`, frozen): `stage_update` writes a change to one as to a loaded object and gives
back the changed copy, `delete_now` deletes it by its key.

`insert_rows` and `delete_now` are for rows the transaction goes on using: new rows written
at once in one `INSERT … RETURNING` (they come back as plain reads with their ids), a row
deleted at once by its key (a loaded object is forgotten by the session).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import is_dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, insert, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Delete, Update

from db.reads import columns

# session.info: {id(obj) or (model, key): (ORM object or None, model, {attribute: value})}
_STAGED = "plain_staged"
_NEW = "plain_new"  # session.info: {model: [(row values, on_id)]}
_BUILT: dict[tuple[type, tuple[str, ...]], tuple[Update, tuple[str, ...]]] = {}
_DELETES: dict[type, tuple[Delete, tuple[str, ...]]] = {}


R = TypeVar("R")


def _is_read(obj: Any) -> bool:
    """A plain read (`db.reads`): a frozen dataclass naming its model."""
    return is_dataclass(obj) and hasattr(obj, "model")


def stage_update(session: Session, obj: R, **values: Any) -> R:
    """Change a row in the database at the end of the transaction (`write_staged`); what
    the transaction sees from then on is what this returns. A loaded ORM object is changed
    in memory as its committed state (the unit of work sees nothing to do) and returned; a
    plain read (frozen) comes back as a copy with the change."""
    staged = session.info.setdefault(_STAGED, {})
    if _is_read(obj):
        read: Any = obj
        pk = _by_key(read.model)[0]
        key = (read.model, tuple(getattr(read, k) for k in pk))
        staged.setdefault(key, (None, read.model, {}))[2].update(values)
        changed: R = replace(read, **values)
        return changed
    state = inspect(obj)
    if not state.persistent:
        for name, value in values.items():
            setattr(obj, name, value)
        return obj
    for name, value in values.items():
        set_committed_value(obj, name, value)
    staged.setdefault(id(obj), (obj, type(obj), {}))[2].update(values)
    return obj


def stage_insert(
    session: Session, model: type, on_id: Callable[[Any], None] | None = None, **values: Any
) -> None:
    """A new row, written with the transaction's other new rows of its table at the end of
    the transaction (`write_staged`), its id then handed to `on_id`. Every row of a table
    must name the same columns."""
    session.info.setdefault(_NEW, {}).setdefault(model, []).append((values, on_id))


def insert_rows(session: Session, read: type[R], rows: list[dict[str, Any]]) -> list[R]:
    """New rows of `read`'s model written now in one `INSERT … RETURNING`, back as `read`s
    (ids known, in no particular order), for a transaction that goes on reading them but
    needs no ORM object. Every row must name the same columns."""
    if not rows:
        return []
    model: Any = read  # (a type is hashable; mypy's view of a TypeVar's type is not)
    return [read(*r) for r in session.connection().execute(_returning(model), rows)]


@functools.cache
def _returning(read: Any) -> Any:
    return insert(read.model).returning(*columns(read))


def delete_now(session: Session, obj: Any) -> None:
    """Delete a row with one plain `DELETE … WHERE pk = …`, now, and forget it (a loaded
    object leaves the session): the unit of work's delete (cascades, relationship
    bookkeeping, its flush) cost more than the statement. Only for rows nothing else in the
    session refers to by relationship."""
    if _is_read(obj):
        _delete_by_key(session, obj.model, obj)
        return
    state = inspect(obj)
    if not state.persistent:
        if state.pending:
            session.expunge(obj)
        return
    _delete_by_key(session, type(obj), obj)
    session.expunge(obj)


def _delete_by_key(session: Session, cls: type, obj: Any) -> None:
    built = _DELETES.get(cls)
    if built is None:
        pk, where = _by_key(cls)
        built = _DELETES[cls] = (delete(cls).where(*where), pk)
    stmt, pk = built
    staged = session.info.get(_STAGED)
    if staged:
        staged.pop(id(obj), None)
        staged.pop((cls, tuple(getattr(obj, k) for k in pk)), None)
    session.connection().execute(stmt, {f"pk_{k}": getattr(obj, k) for k in pk})


def _statement(cls: type, keys: tuple[str, ...]) -> tuple[Update, tuple[str, ...]]:
    built = _BUILT.get((cls, keys))
    if built is None:
        pk, where = _by_key(cls)
        stmt = update(cls).where(*where).values({k: bindparam(f"v_{k}") for k in keys})
        built = _BUILT[(cls, keys)] = (stmt, pk)
    return built


def _by_key(cls: type, prefix: str = "") -> tuple[tuple[str, ...], list[Any]]:
    """A model's primary-key attributes, and the WHERE clauses naming one row by them
    (parameters `<prefix>pk_<attribute>`)."""
    mapper: Any = inspect(cls)
    pk = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    return pk, [getattr(cls, k) == bindparam(f"{prefix}pk_{k}") for k in pk]


def _staged_rows(session: Session) -> list[tuple[type, tuple[str, ...], dict[str, Any]]]:
    """The staged updates still to write: (model, changed attributes, the row's values)."""
    staged = session.info.pop(_STAGED, None) or {}
    out = []
    for key, (obj, model, values) in staged.items():
        if obj is not None and (inspect(obj).deleted or inspect(obj).detached):
            continue
        keys = tuple(sorted(values))
        _, pk = _statement(model, keys)
        row = {f"v_{k}": values[k] for k in keys}
        if obj is not None:
            row.update({f"pk_{k}": getattr(obj, k) for k in pk})
        else:  # a plain read's: (model, its key's values)
            row.update({f"pk_{k}": v for k, v in zip(pk, key[1], strict=True)})
        out.append((model, keys, row))
    return out


def write_staged(session: Session) -> None:
    """Write what the transaction staged: the unit of work's pending changes, then the new
    rows (one INSERT per table; with RETURNING where someone waits for the ids), then the
    changed rows. Called once, at the end of the transaction, before its commit."""
    session.flush()
    new: dict[type, list[tuple[dict[str, Any], Callable[[Any], None] | None]]]
    new = session.info.pop(_NEW, None) or {}
    updates = _staged_rows(session)
    if not new and not updates:
        return
    conn = session.connection()
    for model, rows in new.items():
        values = [r for r, _ in rows]
        callbacks = [c for _, c in rows]
        if not any(callbacks):
            conn.execute(_insert(model, False), values)
            continue
        ids = conn.execute(_insert(model, True), values).scalars().all()
        for on_id, row_id in zip(callbacks, ids, strict=True):
            if on_id is not None:
                on_id(row_id)
    for model, keys, row in updates:
        conn.execute(_statement(model, keys)[0], row)


@functools.cache  # built once per table: SQLAlchemy then reuses its compiled form
def _insert(model: type, returning: bool) -> Any:
    """An INSERT of a table's rows; with `returning`, their ids back in the rows' order."""
    stmt = insert(model)
    if not returning:
        return stmt
    mapper: Any = inspect(model)
    return stmt.returning(*mapper.primary_key, sort_by_parameter_order=True)
