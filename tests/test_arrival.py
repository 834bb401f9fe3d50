"""Handled on arrival (`Dispatcher.arrive`): an update from a person with nothing else queued
is handled before it is recorded, and the transaction that handles it writes its inbox row,
so a form answer is one transaction, not two. Behind it, that person's later updates are
recorded by intake and wait their turn, in order; a heavy update (a thread's work) is
recorded first; a try that fails on the database records the update the usual way."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.messaging.inbox import Dispatcher, Item
from db.models import Answer, InboxUpdate, Indicator
from tests import flows
from tests.harness import Harness, User


async def _at_the_form(h: Harness) -> User:
    o = await flows.setup_office(h, group=False)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    await h.say(head, "/isi")
    return head


def _recorded_by_intake(h: Harness) -> list[list[str]]:
    """Every call of intake's `record`, as the external ids it wrote (patched in)."""
    assert h.rt is not None
    calls: list[list[str]] = []
    record = h.rt.inbox.record

    def counted(channel: str, entries: Any) -> Any:
        entries = list(entries)
        calls.append([ext for ext, _, _ in entries])
        return record(channel, entries)

    h.rt.inbox.record = counted  # type: ignore[method-assign]
    return calls


def _database_fails_once(h: Harness, when: Any) -> list[tuple[int | None, str]]:
    """The core's handler meets a database outage once, for the first update `when(msg,
    item)` picks; returns (inbox id, external id) of that item as it was then (patched in)."""
    assert h.rt is not None
    handle, failed = h.rt.core.handle, []

    def once_unreachable(msg: Any, item: Any = None) -> Any:
        if not failed and when(msg, item):
            failed.append((item.id, item.external_id))
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return handle(msg, item)

    h.rt.core.handle = once_unreachable  # type: ignore[method-assign]
    return failed


def _inbox(h: Harness, *external_ids: str) -> list[tuple[str, int]]:
    """(status, attempts) of these updates' inbox rows, in the order given."""
    with h.db.transaction() as s:
        rows = {
            r.external_id: (r.status, r.attempts)
            for r in s.execute(
                select(InboxUpdate.external_id, InboxUpdate.status, InboxUpdate.attempts).where(
                    InboxUpdate.external_id.in_(external_ids)
                )
            )
        }
    return [rows[e] for e in external_ids]


def _realisations(h: Harness) -> dict[str, Decimal]:
    with h.db.transaction() as s:
        return {
            code: value
            for code, value in s.execute(
                select(Indicator.code, Answer.realisation).join(
                    Indicator, Indicator.id == Answer.indicator_id
                )
            )
            if value is not None
        }


def _update(h: Harness, user: User, update_id: int, text: str) -> tuple[str, str, dict[str, Any]]:
    """A raw Telegram update as intake receives it (external id, actor, payload)."""
    payload = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": h.fake.users[user.id],
            "chat": {"id": user.id, "type": "private", "first_name": "x"},
            "date": 1_800_000_000,
            "text": text,
        },
    }
    return str(update_id), f"tg:{user.id}", payload


async def test_an_answer_is_recorded_by_the_transaction_that_handles_it(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    calls = _recorded_by_intake(h)
    replies = await h.say(head, "100")
    assert replies and replies[0].startswith("✅ PMD-1"), replies
    assert calls == []  # no transaction of intake's own
    assert _realisations(h) == {"PMD-1": Decimal(100)}
    assert h.fake.unconfirmed_updates == 0  # the next getUpdates confirmed it
    with h.db.transaction() as s:
        newest = s.scalars(select(InboxUpdate).order_by(InboxUpdate.id.desc())).first()
    assert newest is not None and newest.payload["message"]["text"] == "100"
    assert (newest.status, newest.attempts) == ("done", 1) and newest.handled_at is not None


async def test_a_persons_later_updates_wait_recorded_behind_the_first(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    assert h.rt is not None
    calls = _recorded_by_intake(h)
    first, second, third = (
        _update(h, head, 8_000_000 + n, v) for n, v in enumerate(("100", "13", "/bantuan"))
    )
    got = await h.rt.intake("telegram", [first, second, third])
    await h.settle()
    # the first is handled on arrival; the two behind it are recorded in one transaction
    assert calls == [[second[0], third[0]]]
    assert [i.external_id or str(i.payload["update_id"]) for i in got] == [
        first[0],
        second[0],
        third[0],
    ]
    assert _inbox(h, first[0], second[0], third[0]) == [("done", 1), ("done", 0), ("done", 0)]
    # handled in the order sent: the answers to PMD-1 and PMD-2, then the help
    assert _realisations(h) == {"PMD-1": Decimal(100), "PMD-2": Decimal(13)}
    texts = h.texts(head)
    done = [n for n, t in enumerate(texts) if t.startswith(("✅ PMD-1", "⚠️ PMD-2"))]
    helped = [n for n, t in enumerate(texts) if "/isi" in t and n > done[0]]
    assert len(done) == 2 and texts[done[1]].startswith("⚠️ PMD-2"), texts[-4:]
    assert helped and helped[-1] > done[1], texts[-4:]


async def test_a_heavy_update_is_recorded_before_it_is_handled(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    calls = _recorded_by_intake(h)
    replies = await h.say(head, "/status")
    assert replies, "no answer to /status"
    assert len(calls) == 1 and len(calls[0]) == 1  # written by intake first
    assert _inbox(h, calls[0][0]) == [("done", 0)]


async def test_an_arrival_the_database_fails_is_recorded_and_handled_once(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    failed = _database_fails_once(h, lambda _msg, item: item is not None and item.id is None)
    calls = _recorded_by_intake(h)
    replies = await h.say(head, "100")
    assert len(failed) == 1
    ext = failed[0][1]
    assert calls == [[ext]]  # recorded the usual way after the failed try
    assert sum(r.startswith("✅ PMD-1") for r in replies) == 1, replies
    assert _inbox(h, ext) == [("done", 0)]
    assert _realisations(h) == {"PMD-1": Decimal(100)}


async def test_intake_does_not_wait_behind_long_work(harness: Harness):
    """With every handling slot taken by long work, an update is recorded and queued, not
    handled on arrival: intake (and the confirmation of everyone's updates) goes on."""
    assert harness.rt is not None
    release = asyncio.Event()

    async def long_work(item: Item) -> None:
        await release.wait()
        item.done = True

    d = Dispatcher(harness.rt.inbox, {"telegram": long_work}, concurrency=2)
    d.submit([Item(1, "telegram", "a", {}), Item(2, "telegram", "b", {})])
    await asyncio.sleep(0)
    assert not d.may_arrive("c")  # both slots taken
    assert not d.may_arrive("a")  # and a's next update waits behind a's first anyway
    release.set()
    async with asyncio.timeout(5):
        await d.idle.wait()
    assert d.may_arrive("a") and d.may_arrive("c")


async def test_a_heavy_arrival_that_fails_after_it_was_recorded_is_tried_again(
    harness: Harness,
):
    """A heavy update is written by intake first; if its handling then meets a database
    outage, it waits in the queue and is tried again like any recorded update."""
    h = harness
    head = await _at_the_form(h)
    assert h.rt is not None
    h.rt.dispatcher.retry_delay = 0.01
    failed = _database_fails_once(h, lambda msg, _item: msg.command == "status")
    calls = _recorded_by_intake(h)
    replies = await h.say(head, "/status")
    assert failed and failed[0][0] is not None  # recorded before the failed try
    assert len(calls) == 1 and len(calls[0]) == 1  # recorded once: not again by intake
    assert replies, "no answer to /status after the retry"
    assert _inbox(h, calls[0][0]) == [("done", 0)]
