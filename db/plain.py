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

Modules register what they write last before the commit (`LAST`: the outbox's new rows,
whose ids they need back). On PostgreSQL, where each statement is a round trip, a last
single-row `INSERT … RETURNING` carries the staged rows as `WITH` clauses: one statement for
a typed value's answer, form state and reply. The staged rows cannot depend on each other
there: every clause sees the database as it was before the statement.

`Row` is a row read with a plain statement instead of as an ORM object (the person behind an
update and their open form, read on every update): its columns as attributes, and its model,
so that `stage_update` and `delete_now` write it as they write a loaded object.

`insert_rows` and `delete_now` are for rows the transaction goes on using: new rows written
at once in one `INSERT … RETURNING` (they come back as `Row`s with their ids), a row deleted
at once by its key (a loaded object is forgotten by the session).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, event, insert, inspect, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Delete, Update

_STAGED = "plain_staged"  # session.info: {id(obj): (obj, {attribute: value})}
_NEW = "plain_new"  # session.info: {model: [row values]}
_CLAIM = "plain_claim"  # session.info: the transaction's Claim
_BUILT: dict[tuple[type, tuple[str, ...]], tuple[Update, tuple[str, ...]]] = {}
_DELETES: dict[type, tuple[Delete, tuple[str, ...]]] = {}


class Row:
    """A row read with a plain statement: its columns as attributes, and the model it is a
    row of. Making one costs a dict, where an ORM object costs its instance state, its
    identity-map entry and the loader's row processors (about 25 µs an entity)."""

    def __init__(self, model: type, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.__dict__["_model"] = model
        self.__dict__["_gone"] = False

    def __getattr__(self, name: str) -> Any:  # only for attributes that are not there
        raise AttributeError(name)

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return f"Row({self._model.__name__}, {shown})"


def stage_update(session: Session, obj: Any, **values: Any) -> None:
    """Change a loaded row now in memory, and in the database just before the commit."""
    if isinstance(obj, Row):
        obj.__dict__.update(values)
    else:
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


def insert_rows(session: Session, model: type, rows: list[dict[str, Any]]) -> list[Row]:
    """New rows written now in one `INSERT … RETURNING`, back as `Row`s (ids known, in no
    particular order), for a transaction that goes on reading them but needs no ORM object.
    Every row must name the same columns."""
    if not rows:
        return []
    stmt = _ROWS.get(model)
    if stmt is None:
        table: Any = inspect(model).local_table
        stmt = _ROWS[model] = insert(model).returning(*table.c)
    return [Row(model, dict(r._mapping)) for r in session.connection().execute(stmt, rows)]


_ROWS: dict[type, Any] = {}


def delete_now(session: Session, obj: Any) -> None:
    """Delete a loaded row with one plain `DELETE … WHERE pk = …`, now, and forget the object:
    the unit of work's delete (cascades, relationship bookkeeping, its flush) cost more than
    the statement. Only for rows nothing else in the session refers to by relationship."""
    if isinstance(obj, Row):
        _delete_by_key(session, obj._model, obj)
        obj.__dict__["_gone"] = True
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


@dataclass(frozen=True)
class Last:
    """A statement a module writes last before the commit, whose result it needs back (the
    outbox's new rows and their ids): `statement` run with `params`, its result handed to
    `done`. With `one_row` (a single-row `INSERT … RETURNING`), it may carry the staged
    rows on PostgreSQL."""

    statement: Any
    params: Any  # a row's parameters, or a list of rows'
    done: Callable[[list[Any]], None]  # given the first column returned, row by row
    one_row: bool = False


# What modules above this one write last (`outbox` registers its new rows here).
LAST: list[Callable[[Session], Last | None]] = []


@dataclass(frozen=True)
class Claim:
    """A row the whole transaction depends on (the inbox row of the update it handles:
    written, or moved out of `pending`, by this transaction and no other), written at the
    commit. `statement` is a single-row `INSERT … ON CONFLICT DO NOTHING` or `UPDATE …`,
    `RETURNING` the row's id, its parameters prefixed (it may go as a `WITH` clause). No
    row back means another transaction got there first: `lost()` is raised, and the
    transaction rolls back; otherwise `won(id)`."""

    statement: Any
    params: dict[str, Any]
    won: Callable[[Any], None]
    lost: Callable[[], BaseException]


def stage_claim(session: Session, claim: Claim) -> None:
    """Write `claim` at the commit: on PostgreSQL with the transaction's last statement
    when that can carry it (a round trip less), else on its own, before the staged rows."""
    session.info[_CLAIM] = claim


def _settle(claim: Claim, row_id: Any) -> None:
    if row_id is None:
        raise claim.lost()
    claim.won(row_id)


def _staged_rows(session: Session) -> list[tuple[type, tuple[str, ...], dict[str, Any]]]:
    """The staged updates still to write: (model, changed attributes, the row's values)."""
    staged = session.info.pop(_STAGED, None) or {}
    out = []
    for obj, values in staged.values():
        if isinstance(obj, Row):
            if obj._gone:
                continue
            model = obj._model
        elif inspect(obj).deleted or inspect(obj).detached:
            continue
        else:
            model = type(obj)
        keys = tuple(sorted(values))
        _, pk = _statement(model, keys)
        row = {f"v_{k}": values[k] for k in keys}
        row.update({f"pk_{k}": getattr(obj, k) for k in pk})
        out.append((model, keys, row))
    return out


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    """Write what the transaction staged, then what modules write last. On PostgreSQL, where
    each statement is a round trip (about 50 µs of the bot's CPU), the staged rows and the
    claim go as `WITH` clauses: of a last single-row `INSERT … RETURNING` when there is
    one (a typed form value's inbox row, answer, form state and reply in one statement
    instead of four), else of one `SELECT` of their own (a [Kirim], whose two messages are
    written after them). SQLite runs them one by one (no round trips to save)."""
    if session.in_nested_transaction():
        return  # a savepoint's release: the outer commit writes them
    claim: Claim | None = session.info.pop(_CLAIM, None)
    new = session.info.pop(_NEW, None) or {}
    updates = _staged_rows(session)
    lasts = [last for last in (f(session) for f in LAST) if last is not None]
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        single = {  # (many rows: SQLAlchemy compiles such a statement on every run, which
            # costs more than the round trips it saves)
            model: rows
            for model, rows in new.items()
            if len(rows) == 1 and constant_defaults(model, rows[0]) is not None
        }
        new = {model: rows for model, rows in new.items() if model not in single}
        carrier = lasts[0] if len(lasts) == 1 and lasts[0].one_row else None
        riders = len(single) + len(updates) + (claim is not None)
        if carrier is not None and riders:
            for model, rows in new.items():
                conn.execute(insert(model), rows)
            stmt, params = _with_staged(carrier, single, updates, claim)
            rows = conn.execute(stmt, params).all()
            if claim is not None:  # its id is the last column returned
                _settle(claim, rows[0][-1])
            carrier.done([r[0] for r in rows])
            return
        if riders > 1:
            stmt, params = _with_staged(None, single, updates, claim)
            got = conn.execute(stmt, params).one()
            if claim is not None:
                _settle(claim, got[-1])
            claim, updates = None, []
        else:
            new.update(single)
    if claim is not None:
        claimed = conn.execute(claim.statement, claim.params).first()
        _settle(claim, claimed[0] if claimed is not None else None)
    for model, rows in new.items():
        conn.execute(insert(model), rows)
    for model, keys, row in updates:
        conn.execute(_statement(model, keys)[0], row)
    for last in lasts:
        last.done(list(conn.execute(last.statement, last.params).scalars()))


_WITH: dict[tuple[Any, ...], Any] = {}


def constant_defaults(model: type, given: Iterable[str]) -> dict[str, Any] | None:
    """The defaults of the columns a row leaves out, where each is a constant; None where
    one is computed. A statement's `WITH` clauses get no defaults from SQLAlchemy (nor, then,
    does the statement itself): such rows must carry them."""
    return _constant_defaults(model, frozenset(given))


@functools.cache  # per model and set of columns: asked on every commit that merges
def _constant_defaults(model: type, given: frozenset[str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    columns: dict[str, Any] = dict(inspect(model).columns.items())
    for key, col in columns.items():
        if key in given or col.default is None:
            continue
        if not col.default.is_scalar:
            return None
        out[key] = col.default.arg
    return out


def _with_staged(
    last: Last | None,
    new: dict[type, list[dict[str, Any]]],
    updates: list[tuple[type, tuple[str, ...], dict[str, Any]]],
    claim: Claim | None = None,
) -> tuple[Any, dict[str, Any]]:
    """`last` (None: a `SELECT` of their own) carrying the staged inserts (one row each),
    updates and claim as `WITH` clauses, built once per shape (which tables and columns),
    and its parameters. The claim's id comes back as the last column (NULL: it wrote
    nothing)."""
    rows = {model: {**(constant_defaults(model, r[0]) or {}), **r[0]} for model, r in new.items()}
    shape = (
        id(last.statement) if last is not None else None,
        tuple((model, tuple(row)) for model, row in rows.items()),
        tuple((model, keys) for model, keys, _ in updates),
        id(claim.statement) if claim is not None else None,
    )
    stmt = _WITH.get(shape)
    if stmt is None:
        ctes = []
        for i, (model, row) in enumerate(rows.items()):
            values: dict[str, Any] = {c: bindparam(f"n{i}_{c}") for c in row}
            ctes.append(insert(model).values(values).cte(f"n{i}"))
        for i, (model, keys, _) in enumerate(updates):
            _, where = _by_key(model, f"u{i}_")
            changes: dict[str, Any] = {k: bindparam(f"u{i}_v_{k}") for k in keys}
            ctes.append(update(model).where(*where).values(changes).cte(f"u{i}"))
        if claim is not None:
            claimed = claim.statement.cte("claim")
            ctes.append(claimed)
            got = select(claimed.c[0]).scalar_subquery()
        if last is None:
            stmt = select(got if claim is not None else literal(True)).add_cte(*ctes)
        else:
            stmt = last.statement.add_cte(*ctes)
            stmt = stmt.returning(got) if claim is not None else stmt
        _WITH[shape] = stmt
    params = dict(last.params) if last is not None else {}
    if claim is not None:
        params.update(claim.params)
    for i, row in enumerate(rows.values()):
        params.update({f"n{i}_{c}": v for c, v in row.items()})
    for i, (_, _, changed) in enumerate(updates):
        params.update({f"u{i}_{k}": v for k, v in changed.items()})
    return stmt, params


@event.listens_for(Session, "after_soft_rollback")
def _forget_staged(session: Session, _previous: object) -> None:
    if not session.in_transaction():
        session.info.pop(_STAGED, None)
        session.info.pop(_NEW, None)
        session.info.pop(_CLAIM, None)
