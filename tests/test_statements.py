"""What one update costs the database: SQL statements and commits, counted by SQLAlchemy event
listeners on the bot's engine and split by phase — intake (the inbox row), the handler's
transaction (`Core.handle`: its reads, the inbox row's `done` mark, then the staged rows and
replies written by `db.plain.write_staged`) and the rest (delivery: the outbox row taken,
then marked sent). The same statements on both databases. Issue 13's target: a form answer
in one transaction of the handler's, at most 8 statements, so that the cost cannot creep
back."""

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
    """Delivery's writes for the reply: the row taken (`sending`, `UPDATE … RETURNING`), then
    marked `sent`."""
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
    # recorded by intake in one statement of its own, then handled
    assert (c.commits["intake"], len(c.statements["intake"])) == (1, 1), c.show("typed value")
    assert c.statements["intake"][0].startswith("INSERT INTO inbox"), c.show("typed value")
    writes = delivery_writes(c)
    assert len(writes) == 2 and "sent_at" in writes[1], c.show("typed value")
    # no Plt/Plh appointment in the office: the role checks asked nothing of their own
    acting = [q for q in c.statements["handler"] if q.startswith("SELECT acting.")]
    assert not acting, c.show("typed value")
    # the person and the open form, the answer; then the inbox row's mark, the reply, the
    # answer and the form's state: one statement each, in this order, on both databases
    firsts = [" ".join(q.split()[:3]) for q in c.statements["handler"]]
    assert firsts == [
        "SELECT person.id, person.office_id,",
        "SELECT answer.id, answer.submission_id,",
        "UPDATE inbox SET",
        "INSERT INTO outbox",
        "UPDATE answer SET",
        "UPDATE conversation SET",
    ], c.show("typed value")


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
    assert set(c.commits) == {"intake", "handler", "delivery"}, c.show("button press")
    assert len(c.statements["handler"]) <= MAX_HANDLER_STATEMENTS, c.show("button press")
    writes = delivery_writes(c)
    assert len(writes) == 2 and "sent_at" in writes[1], c.show("button press")


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


async def test_kirim_writes_each_staged_row_once_after_the_inbox_mark_on_both_databases(
    harness: Harness,
):
    """[Kirim] writes two messages (the head's summary edited, the Kasubag's notice), an
    audit entry and the submission's change: after the inbox row's mark, one INSERT per
    table, then the changed rows — in the same order on both databases."""
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
    writes = [q for q in handler if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert not [q for q in handler if q.startswith("WITH")], c.show("[Kirim]")
    for part in ("UPDATE inbox", "INSERT INTO audit_log"):
        assert sum(q.startswith(part) for q in writes) == 1, c.show("[Kirim]")
    # the staged rows come at the end, after the inbox row's mark: the new rows, then the
    # changed ones (the form's end is deleted at once, the reminders changed at once)
    mark = next(n for n, q in enumerate(writes) if q.startswith("UPDATE inbox"))
    staged = [" ".join(q.split()[:3]) for q in writes[mark + 1 :]]
    assert staged[-1] == "UPDATE submission SET", c.show("[Kirim]")
    assert all(q.startswith("INSERT INTO") for q in staged[:-1]), c.show("[Kirim]")
    # the two messages, their ids back in order: one statement on PostgreSQL; SQLite's
    # driver returns the ids of a many-row INSERT one row at a time
    messages = 1 if h.db.engine.dialect.name == "postgresql" else 2
    assert sum(q.startswith("INSERT INTO outbox") for q in writes) == messages, c.show("[Kirim]")
    assert sum("UPDATE submission" in q for q in writes) == 1, c.show("[Kirim]")
    with h.db.transaction() as s:
        status = s.scalar(
            select(Submission.status)
            .join(Section, Section.id == Submission.section_id)
            .where(Section.code == "pmd")
        )
        inbox = s.scalars(select(InboxUpdate.status).order_by(InboxUpdate.id.desc())).first()
    assert status == "submitted" and inbox == "done"
