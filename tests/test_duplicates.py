"""The same update twice has effect once (issue 11): a polling re-delivery, the Telegram
webhook called twice with one body, a button pressed twice (two callback queries, same data).
The WhatsApp webhook called twice (`FakeWhatsApp.resend_last`) is in
tests/test_whatsapp.py::test_button_that_does_not_fit_and_duplicate_delivery.

And Bot API faults on 20% of the calls (429 with retry_after, 500, 502, timeouts, connection
resets): every message delivered, in order per chat, and after a 429 the next request to that
chat comes no sooner than `retry_after`."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from bot.core import Inbound
from bot.messaging import outbox
from bot.messaging.inbox import Item
from db.models import (
    Answer,
    AuditLog,
    Conversation,
    InboxUpdate,
    Indicator,
    Outbox,
    Person,
    Submission,
)
from handlers.web import create_app
from tests import flows
from tests.harness import Harness


def _answers(h: Harness) -> dict[str, tuple[Decimal | None, str | None]]:
    with h.db.transaction() as s:
        rows = s.execute(
            select(Indicator.code, Answer.realisation, Answer.explanation).join(
                Indicator, Indicator.id == Answer.indicator_id
            )
        ).all()
    return {r.code: (r.realisation, r.explanation) for r in rows if r.realisation is not None}


async def test_press_twice_redelivery_and_webhook_twice_take_effect_once(harness: Harness, caplog):
    h = harness
    o = await flows.setup_office(h)
    await flows.request_round(h, o)
    await flows.form_team(h, o)

    # a button pressed twice: two callback queries with the same data
    caplog.set_level(logging.INFO)
    mid, data = h.find_button(o.kasubag.chat, "✅ Setujui jadwal")
    n_answers = len(h.fake.callback_answers)
    q1 = h.fake.press_button(o.kasubag.id, o.kasubag.chat, mid, data)
    q2 = h.fake.press_button(o.kasubag.id, o.kasubag.chat, mid, data)
    await h.settle()
    with h.db.transaction() as s:
        assert Counter(s.scalars(select(AuditLog.action)))["plan_confirmed"] == 1
    assert sum(t.startswith("Jadwal disetujui") for t in h.texts(o.kasubag)) == 1
    answered = {a.query_id for a in h.fake.callback_answers[n_answers:]}
    assert answered == {q1, q2}  # the duplicate is answered too, quietly
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "too old" not in caplog.text

    # polling re-delivery: the answer comes again with the same update id
    pem = o.heads["pem"]
    await h.say(pem, "/isi")
    await h.say(pem, "92,5")
    seen = len(h.texts(pem))
    assert h.fake.redeliver(1)
    await h.settle()
    assert len(h.texts(pem)) == seen
    assert _answers(h) == {"PEM-1": (Decimal("92.5"), None)}

    # the Telegram webhook called twice with one body (Telegram retries a slow answer)
    assert h.rt is not None
    settings = h.rt.settings.model_copy(update={"webhook_secret": "rahasia"})
    app = create_app(
        settings, telegram_receive=h.rt.telegram.receive, whatsapp=None, health=lambda: {}
    )
    update = {
        "update_id": 7_000_001,
        "message": {
            "message_id": 9_001,
            "from": h.fake.users[pem.id],
            "chat": {"id": pem.id, "type": "private", "first_name": "x"},
            "date": 1_800_000_000,
            "text": "6",
        },
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot"
    ) as web:
        headers = {"x-telegram-bot-api-secret-token": "rahasia"}
        for _ in range(2):
            assert (await web.post("/telegram", json=update, headers=headers)).status_code == 200
    await h.settle()
    got = _answers(h)
    assert got["PEM-2"] == (Decimal("6"), None)
    assert set(got) == {"PEM-1", "PEM-2"}  # the repeat did not answer PEM-3
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_faults_on_a_fifth_of_the_calls_delay_but_lose_nothing(harness: Harness):
    h = harness
    assert h.rt is not None
    heads = [h.user(nip) for nip in (flows.NIP[k] for k in flows.SECTIONS)]
    h.fake.inject_faults(
        0.2,
        kinds=("429", "500", "502", "timeout", "reset"),
        seed=11,
        retry_after=1,
        timeout_seconds=h.rt.settings.telegram_timeout + 1,
    )
    with h.db.transaction() as s:
        for user in heads:
            p = s.scalar(select(Person).where(Person.telegram_user_id == user.id))
            assert p is not None
            for i in range(12):
                outbox.to_person(s, p, f"Pesan {i + 1} untuk {user.id}", h.clock.now())
    h.rt.delivery.wake()
    await h.settle()
    for user in heads:
        assert h.texts(user) == [f"Pesan {i + 1} untuk {user.id}" for i in range(12)]
    errors = h.fake.stats["errors"]
    assert {"fault_429", "fault_500", "fault_502", "fault_timeout", "fault_reset"} <= set(errors)
    assert h.fake.retry_gaps
    for gap in h.fake.retry_gaps:
        assert gap["gap"] >= gap["retry_after"] - 0.05, gap


@pytest.mark.parametrize(
    ("recorded", "press"),
    [(False, False), (True, False), (False, True)],
    ids=["arriving", "recorded", "arriving-kirim"],
)
async def test_an_update_another_worker_handled_first_changes_nothing(
    harness: Harness, recorded: bool, press: bool
):
    """Two workers with one update (a lease ran out while the first was still at it): the
    one whose inbox mark finds the row no longer pending rolls back all it did. The mark is
    the last thing written (on PostgreSQL with the answer and the reply, in one statement;
    for a [Kirim], whose two messages are written after it, with the submission's change):
    nothing of the answer, the form's state, the submission or the messages may be left."""
    h = harness
    assert h.rt is not None
    o = await flows.setup_office(h, group=False)
    await flows.start_collection(h, o)
    head = o.heads["pmd"]
    if press:
        await flows.fill_section(h, head, ["100", "13", "2", "100"], submit=False)
        mid, data = h.find_button(head.chat, "📤 Kirim")
        msg = Inbound(
            "telegram", str(head.id), str(head.chat), button=data, button_message_id=str(mid)
        )
    else:
        await h.say(head, "/isi")
        msg = Inbound("telegram", str(head.id), str(head.id), text="13")
    now = h.clock.now()
    with h.db.transaction() as s:  # the other worker's: done
        row = InboxUpdate(
            channel="telegram",
            external_id="990001",
            actor=f"telegram:{head.id}",
            payload={},
            status="done",
            attempts=1,
            received_at=now,
            handled_at=now,
        )
        s.add(row)
        s.flush()
        row_id = row.id

    def state() -> tuple[object, ...]:
        with h.db.transaction() as s:
            return (
                s.scalars(select(Answer.realisation).order_by(Answer.id)).all(),
                s.scalars(select(Conversation.data)).all(),
                s.scalars(select(Submission.status).order_by(Submission.id)).all(),
                s.scalar(select(func.count()).select_from(Outbox)),
                s.scalar(select(func.count()).select_from(InboxUpdate)),
                s.scalar(select(func.count()).select_from(AuditLog)),
            )

    before = state()
    item = Item(row_id if recorded else None, "telegram", f"telegram:{head.id}", {})
    item.external_id = "990001"
    outcome = await asyncio.to_thread(h.rt.core.handle, msg, item)
    assert outcome.notice is None and not item.done
    assert item.id == (row_id if recorded else None)
    assert state() == before
    # and the same as an update of its own takes effect
    if press:
        await h.press(head, "📤 Kirim")
        assert "dikirim ke Kasubag" in h.last(head), h.last(head)
        assert state()[2] != before[2]
    else:
        assert (await h.say(head, "13"))[0].startswith("⚠️ PMD-1")
        assert state()[0] != before[0]
