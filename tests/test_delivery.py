"""The outbox against a misbehaving Bot API: 429/500/timeouts, a blocked user, a crash
between sending and recording — every message delivered once, failures reported."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, update

from bot.messaging import outbox
from db.models import Outbox, Person
from tests import flows
from tests.harness import Harness


def queue(h: Harness, people: list[Person], n: int) -> list[str]:
    texts = []
    with h.db.transaction() as s:
        for i in range(n):
            p = s.get(Person, people[i % len(people)].id)
            text = f"Pesan uji nomor {i}"
            outbox.to_person(s, p, text, h.clock.now())
            texts.append(text)
    return texts


async def test_faults_retried_and_every_message_delivered_exactly_once(harness: Harness):
    h = harness
    o = await flows.setup_office(h, group=False)
    people = [h.person(u.nip) for u in (o.camat, o.sek, *o.heads.values(), *o.tim)]
    h.rt.delivery.backoff = 0.01
    h.fake.inject_faults(
        0.3, kinds=("429", "500", "timeout"), seed=7, retry_after=1, timeout_seconds=4.0
    )
    texts = queue(h, people, 40)
    await h.settle()
    h.fake.clear_faults()
    got = Counter(m.text for p in people for m in h.fake.messages(p.telegram_user_id))
    assert sorted(got) == sorted(texts)
    assert set(got.values()) == {1}
    stats = h.fake.stats
    assert sum(v for k, v in stats["errors"].items()) > 0, stats  # faults really happened
    with h.db.transaction() as s:
        assert (
            s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status != "sent")) == 0
        )


async def test_blocked_user_is_reported_not_retried_forever(harness: Harness):
    h = harness
    o = await flows.setup_office(h, group=False)
    admin = h.user("199212122020121012")
    h.fake.block_bot(o.heads["pu"].id)
    queue(h, [h.person(o.heads["pu"].nip)], 1)
    await h.settle()
    with h.db.transaction() as s:
        row = s.scalar(select(Outbox).where(Outbox.person_id == h.person(o.heads["pu"].nip).id))
        assert row.status == "failed" and row.attempts == 1 and "memblokir" in row.error
    for who in (admin, o.kasubag):
        assert any("Norhasanah" in m and "tidak dapat dikirim" in m for m in h.texts(who))
    status = "\n".join(await h.say(o.kasubag, "/status"))
    assert "1 pesan tidak terkirim" in status and "Norhasanah" in status


async def test_a_reply_that_cannot_be_delivered_is_reported_like_any_other(harness: Harness):
    """A handler's reply is written `sending` in the handler's transaction and goes straight
    to the sender; when Telegram refuses it, the failure notice delivery writes is a message
    of its own (not a late reply to that update) and reaches the admin and the Kasubag."""
    h = harness
    o = await flows.setup_office(h, group=False)
    admin = h.user("199212122020121012")
    pu = o.heads["pu"]
    h.fake.block_bot(pu.id)
    await h.say(pu, "/isi")
    with h.db.transaction() as s:
        rows = s.scalars(select(Outbox).where(Outbox.person_id == h.person(pu.nip).id)).all()
        assert rows and {r.status for r in rows} == {"failed"}, [(r.status, r.text) for r in rows]
        assert s.scalar(select(func.count()).where(Outbox.status.in_(["pending", "sending"]))) == 0
    for who in (admin, o.kasubag):
        assert any("Norhasanah" in m and "tidak dapat dikirim" in m for m in h.texts(who))


async def test_message_in_doubt_after_a_crash_is_sent_again_once_and_recorded(harness: Harness):
    """A row left `sending` by a crash may or may not have arrived: it is sent again once
    (a repeat is harmless, a lost approval request stops the SOP) and the repeat is recorded;
    a row never attempted is simply sent."""
    h = harness
    o = await flows.setup_office(h, group=False)
    await h.stop_bot()
    with h.db.transaction() as s:
        p = s.get(Person, h.person(o.camat.nip).id)
        doubt = outbox.to_person(s, p, "Pesan yang sedang dikirim saat bot mati", h.clock.now())
        outbox.to_person(s, p, "Pesan yang belum sempat dikirim", h.clock.now())
    assert doubt is not None and doubt.id is not None
    with h.db.transaction() as s:  # as left by a crash mid-send
        s.execute(update(Outbox).where(Outbox.id == doubt.id).values(status="sending", attempts=1))
    await h.start_bot()
    await h.settle()
    assert h.texts(o.camat)[-2:] == [
        "Pesan yang sedang dikirim saat bot mati",
        "Pesan yang belum sempat dikirim",
    ]
    with h.db.transaction() as s:
        rows = {r.text: r for r in s.scalars(select(Outbox).where(Outbox.person_id == p.id))}
        again = rows["Pesan yang sedang dikirim saat bot mati"]
        assert again.status == "sent" and again.resent == 1 and again.attempts == 2
        first = rows["Pesan yang belum sempat dikirim"]
        assert first.status == "sent" and first.resent == 0 and first.attempts == 1
