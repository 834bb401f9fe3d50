"""What one update costs the database: SQL statements and commits, counted by SQLAlchemy event
listeners on the bot's engine and split by phase — intake (the inbox row), the handler's
transaction (`Core.handle`, the inbox row included: an update handled on arrival is written
by it, `Dispatcher.arrive`) and the rest (delivery: the outbox row
marked sent; the handler wrote it `sending` already). Issue 13's target: a form answer in one
transaction and at most 8 statements in the handler, so that the cost cannot creep back."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from db.models import InboxUpdate, Section, Submission
from tests import flows
from tests.harness import Harness

MAX_HANDLER_STATEMENTS = 8


def delivery_writes(c: Counts) -> list[str]:
    """Delivery's writes for the reply: the handler wrote it `sending` already, so only the
    `sent` mark is left (no `UPDATE … RETURNING` to take it first)."""
    return [s for s in c.statements["delivery"] if s.lstrip().upper().startswith("UPDATE")]


class Counts:
    """Statements and commits per phase; the statements' text, for the report."""

    def __init__(self) -> None:
        self.statements: dict[str, list[str]] = defaultdict(list)
        self.commits: dict[str, int] = defaultdict(int)
        self._phase = threading.local()

    def phase(self) -> str:
        return getattr(self._phase, "name", "delivery")

    @contextmanager
    def inside(self, name: str) -> Iterator[None]:
        self._phase.name = name
        try:
            yield
        finally:
            del self._phase.name

    def show(self, what: str) -> str:
        lines = [f"{what}:"]
        for phase, stmts in self.statements.items():
            lines.append(f"  {phase}: {len(stmts)} statements, {self.commits[phase]} commits")
            lines += [f"    {' '.join(s.split())[:140]}" for s in stmts]
        return "\n".join(lines)


@contextmanager
def counting(h: Harness) -> Iterator[Counts]:
    """Count the bot's SQL while the block runs; the phase follows the thread doing it."""
    assert h.rt is not None
    rt, c = h.rt, Counts()

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        c.statements[c.phase()].append(sql)

    def commit(_conn: Any) -> None:
        c.commits[c.phase()] += 1

    handle, record = rt.core.handle, rt.inbox.record

    def counted_handle(*args: Any, **kwargs: Any) -> Any:
        with c.inside("handler"):
            return handle(*args, **kwargs)

    def counted_record(*args: Any, **kwargs: Any) -> Any:
        with c.inside("intake"):
            return record(*args, **kwargs)

    rt.core.handle, rt.inbox.record = counted_handle, counted_record  # type: ignore[method-assign]
    for engine in rt.db.engines:
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
    try:
        yield c
    finally:
        for engine in rt.db.engines:
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "commit", commit)
        rt.core.handle, rt.inbox.record = handle, record  # type: ignore[method-assign]


async def _at_the_form(h: Harness) -> Any:
    o = await flows.setup_office(h, group=False)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await h.say(head, "/isi")
    await h.say(head, "100")  # one answer before: the counted one is not the first
    return head


async def test_a_typed_form_value_is_one_transaction_of_at_most_8_statements(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    with counting(h) as c:
        replies = await h.say(head, "13")
    assert replies and replies[0].startswith("⚠️ PMD-2"), replies
    print(c.show("typed value"))
    assert c.commits["handler"] == 1, c.show("typed value")
    assert len(c.statements["handler"]) <= MAX_HANDLER_STATEMENTS, c.show("typed value")
    # and no transaction before it: handled on arrival, its inbox row written with its effect
    assert set(c.commits) == {"handler", "delivery"}, c.show("typed value")
    assert sum("INSERT INTO inbox" in q for q in c.statements["handler"]) == 1
    assert len(delivery_writes(c)) == 1 and "sent_at" in delivery_writes(c)[0], c.show("typed")
    # no Plt/Plh appointment in the office: the role checks asked nothing of their own
    acting = [q for q in c.statements["handler"] if q.startswith("SELECT acting.")]
    assert not acting, c.show("typed value")
    # the person and the open form, then the inbox row, the answer, the form's state and
    # the reply: on PostgreSQL (a round trip each) those four in one statement
    writes = 1 if h.db.engine.dialect.name == "postgresql" else 4
    assert len(c.statements["handler"]) == 2 + writes, c.show("typed value")


async def test_a_pressed_form_button_is_one_transaction_of_at_most_8_statements(
    harness: Harness,
):
    h = harness
    head = await _at_the_form(h)
    with counting(h) as c:
        await h.press(head, "⏭️ Isi nanti")
    assert "indikator 3 dari 4" in h.last(head), h.last(head)
    print(c.show("button press"))
    assert c.commits["handler"] == 1, c.show("button press")
    assert set(c.commits) == {"handler", "delivery"}, c.show("button press")
    assert len(c.statements["handler"]) <= MAX_HANDLER_STATEMENTS, c.show("button press")
    assert len(delivery_writes(c)) == 1 and "sent_at" in delivery_writes(c)[0], c.show("press")


async def test_opening_the_form_reads_the_round_once(harness: Harness):
    """/isi finds the open round and locks it in the same statement (shared, as an answer
    does); opening the form does not read it again."""
    h = harness
    o = await flows.setup_office(h, group=False)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    with counting(h) as c:
        await h.say(head, "/isi")
    assert "indikator 1 dari 4" in h.last(head), h.last(head)
    rounds = [q for q in c.statements["handler"] if "FROM collection_round" in q]
    assert len(rounds) == 1, c.show("/isi")
    if h.db.engine.dialect.name == "postgresql":
        assert "FOR SHARE" in rounds[0], c.show("/isi")


async def test_kirim_writes_its_staged_rows_and_inbox_mark_in_one_statement_on_postgresql(
    harness: Harness,
):
    """[Kirim] writes two messages (the head's summary edited, the Kasubag's notice), which
    cannot carry the other writes: on PostgreSQL the inbox mark, the audit entry and the
    submission's change go in one `WITH … SELECT` of their own; SQLite writes each."""
    h = harness
    o = await flows.setup_office(h, group=False)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await flows.fill_section(h, head, ["100", "13", "2", "100"], submit=False)
    with counting(h) as c:
        await h.press(head, "📤 Kirim")
    print(c.show("[Kirim]"))
    assert "dikirim ke Kasubag" in h.last(head), h.last(head)
    assert "PMD" in h.last(o.kasubag), h.last(o.kasubag)
    assert c.commits["handler"] == 1, c.show("[Kirim]")
    handler = c.statements["handler"]
    writes = [
        q for q in handler if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH"))
    ]
    merged = [q for q in writes if q.startswith("WITH")]
    if h.db.engine.dialect.name == "postgresql":
        assert len(merged) == 1, c.show("[Kirim]")
        for part in ("INSERT INTO inbox", "INSERT INTO audit_log", "UPDATE submission"):
            assert part in merged[0], c.show("[Kirim]")
        # a SELECT of their own, giving back the inbox row's id
        assert " ".join(merged[0].split()).endswith("SELECT (SELECT claim.id FROM claim) AS anon_1")
    else:
        assert not merged, c.show("[Kirim]")
        for part in ("INSERT INTO inbox", "INSERT INTO audit_log", "UPDATE submission"):
            assert sum(q.startswith(part) for q in writes) == 1, c.show("[Kirim]")
    with h.db.transaction() as s:
        status = s.scalar(
            select(Submission.status)
            .join(Section, Section.id == Submission.section_id)
            .where(Section.code == "pmd")
        )
        inbox = s.scalars(select(InboxUpdate.status).order_by(InboxUpdate.id.desc())).first()
    assert status == "submitted" and inbox == "done"
