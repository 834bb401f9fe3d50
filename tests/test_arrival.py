"""One way for an update: recorded by intake (and only then confirmed to the channel),
handled from the inbox in a transaction that marks its row done with its effect, its replies
delivered once that commits. One person's updates run in order; an outage is tried again."""

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


def _database_fails_once(h: Harness, when: Any) -> list[int]:
    """The core's handler meets a database outage once, for the first update `when(msg,
    item)` picks; returns that item's inbox id (patched in)."""
    assert h.rt is not None
    handle, failed = h.rt.core.handle, []

    def once_unreachable(msg: Any, item: Any = None) -> Any:
        if not failed and when(msg, item):
            failed.append(item.id)
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


async def test_an_answer_is_recorded_then_handled_in_a_transaction_of_its_own(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    calls = _recorded_by_intake(h)
    replies = await h.say(head, "100")
    assert replies and replies[0].startswith("✅ PMD-1"), replies
    assert len(calls) == 1 and len(calls[0]) == 1  # intake wrote it first
    assert _realisations(h) == {"PMD-1": Decimal(100)}
    assert h.fake.unconfirmed_updates == 0  # the next getUpdates confirmed it
    with h.db.transaction() as s:
        newest = s.scalars(select(InboxUpdate).order_by(InboxUpdate.id.desc())).first()
    assert newest is not None and newest.payload["message"]["text"] == "100"
    assert newest.external_id == calls[0][0]
    assert newest.status == "done" and newest.handled_at is not None


async def test_a_persons_updates_are_recorded_together_and_handled_in_order(harness: Harness):
    h = harness
    head = await _at_the_form(h)
    assert h.rt is not None
    calls = _recorded_by_intake(h)
    first, second, third = (
        _update(h, head, 8_000_000 + n, v) for n, v in enumerate(("100", "13", "/bantuan"))
    )
    got = await h.rt.intake("telegram", [first, second, third])
    await h.settle()
    assert calls == [[first[0], second[0], third[0]]]  # one transaction for the batch
    assert [i.payload["update_id"] for i in got] == [8_000_000, 8_000_001, 8_000_002]
    assert _inbox(h, first[0], second[0], third[0]) == [("done", 0)] * 3
    # handled in the order sent: the answers to PMD-1 and PMD-2, then the help
    assert _realisations(h) == {"PMD-1": Decimal(100), "PMD-2": Decimal(13)}
    texts = h.texts(head)
    done = [n for n, t in enumerate(texts) if t.startswith(("✅ PMD-1", "⚠️ PMD-2"))]
    helped = [n for n, t in enumerate(texts) if "/isi" in t and n > done[0]]
    assert len(done) == 2 and texts[done[1]].startswith("⚠️ PMD-2"), texts[-4:]
    assert helped and helped[-1] > done[1], texts[-4:]


async def test_an_update_the_database_fails_is_tried_again_and_has_effect_once(
    harness: Harness,
):
    """A database outage while an update is handled leaves it pending in the queue; it is
    tried again like any recorded update, and takes effect once."""
    h = harness
    head = await _at_the_form(h)
    assert h.rt is not None
    h.rt.dispatcher.retry_delay = 0.01
    failed = _database_fails_once(h, lambda msg, _item: msg.text == "100")
    calls = _recorded_by_intake(h)
    replies = await h.say(head, "100")
    assert failed and failed[0] is not None  # recorded before the failed try
    assert len(calls) == 1 and len(calls[0]) == 1  # recorded once: not again by intake
    assert sum(r.startswith("✅ PMD-1") for r in replies) == 1, replies
    assert _inbox(h, calls[0][0]) == [("done", 0)]
    assert _realisations(h) == {"PMD-1": Decimal(100)}


async def test_a_handler_that_waits_holds_up_only_its_own_person(harness: Harness):
    """One person's long update keeps their next one waiting, not anyone else's."""
    assert harness.rt is not None
    release = asyncio.Event()
    handled: list[int] = []

    async def work(item: Item) -> None:
        if item.actor == "a" and item.id == 1:
            await release.wait()
        handled.append(item.id)
        item.done = True

    d = Dispatcher(harness.rt.inbox, {"telegram": work}, concurrency=2)
    d.submit([Item(n, "telegram", actor, {}) for n, actor in ((1, "a"), (2, "a"), (3, "b"))])
    async with asyncio.timeout(5):
        while 3 not in handled:
            await asyncio.sleep(0)
    assert handled == [3]  # b's went ahead; a's second waits behind a's first
    release.set()
    async with asyncio.timeout(5):
        await d.idle.wait()
    assert handled == [3, 1, 2]
