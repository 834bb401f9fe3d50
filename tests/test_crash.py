"""Nothing lost, nothing doubled (issue 11), with real processes: `sakip-bot run` against the
fake Bot API server in a process of its own, killed with `kill -9` at seeded moments (the
fake kills the bot's pid when the n-th message request arrives or was recorded, or after a
seeded delay), then started again on the same data. Per person: every message received at
least once, at most one repeat per chat per kill and each repeat recorded (`outbox.resent`);
every press and answer took effect exactly once (round state, answers, audit log).

The full version (20 kills, a whole round, 1,000 messages) is bench/chaos.py."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.localapi.processes import BotProcess, FakeServer, ProcessOffice, bot_env
from bot.messaging import outbox
from db.engine import Database
from db.models import Answer, AuditLog, CollectionRound, Indicator, Outbox, Person, Submission
from tests import flows
from tests.conftest import TOKEN


@pytest.fixture
async def procs(db_url: str, db: Database, office: int, tmp_path: Path):
    fake = FakeServer(TOKEN)
    await fake.start()
    env = bot_env(
        fake.root,
        TOKEN,
        db_url,
        tmp_path / "data",
        TELEGRAM_RATE_LIMITS="false",
        TELEGRAM_CHAT_RATE="0",
        ADMIN_TELEGRAM_IDS="9000",
    )
    bot = BotProcess(env, tmp_path, tmp_path / "bot.log")
    h = ProcessOffice(fake, db, bot)
    await h.start()
    try:
        yield h
    finally:
        bot.stop()
        await fake.stop()


async def _dies(h: ProcessOffice, timeout: float = 60.0) -> None:
    """Until the bot's process is gone (the fake killed it)."""
    async with asyncio.timeout(timeout):
        while h.bot.alive():
            await asyncio.sleep(0.01)
    h.bot.kill()  # reap


def _check_delivery(h: ProcessOffice, received: dict[int, list[dict]], kills: int) -> None:
    """Every telegram row sent and received at least once; repeats ≤ kills per chat, and
    never more than the resends recorded for that chat."""
    with h.db.transaction() as s:
        rows = s.scalars(select(Outbox).where(Outbox.channel == "telegram")).all()
        assert rows
        per_chat: dict[int, list[Outbox]] = {}
        for r in rows:
            assert r.status == "sent", (r.id, r.status, r.error)
            per_chat.setdefault(int(r.chat_id), []).append(r)
        for chat, chat_rows in per_chat.items():
            got = received.get(chat, [])
            new = [r for r in chat_rows if r.kind != "edit"]
            texts = Counter(m["original"] or "" for m in got)
            for r in new:
                assert texts[(r.text or "")[:4096]] >= 1, (chat, r.text)
            repeats = len(got) - len(new)
            assert 0 <= repeats <= kills, (chat, repeats, [m["text"] for m in got])
            assert repeats <= sum(r.resent for r in chat_rows), (chat, repeats)


@pytest.mark.parametrize("seed", [1, 2])
async def test_fan_out_of_300_survives_kills(procs: ProcessOffice, seed: int):
    h = procs
    rng = random.Random(seed)
    now = SystemClock().now()
    with h.db.transaction() as s:
        office_id = s.scalar(select(Person.office_id))
        people = [
            Person(
                office_id=office_id,
                name=f"Penerima {i}",
                nip=f"X{i:06d}",
                telegram_user_id=500_000 + i,
                created_at=now,
            )
            for i in range(300)
        ]
        s.add_all(people)
        s.flush()
        for i, p in enumerate(people):
            outbox.to_person(s, p, f"Pesan nomor {i} untuk Penerima {i}", now)
    await h.fake.add_users([(500_000 + i, f"Penerima {i}") for i in range(300)])
    kills = 2
    moments = sorted(rng.sample(range(1, 280), kills))
    done = 0
    for k in moments:
        pid = await h.start_bot()
        await h.fake.arm_kill(pid, nth=k - done, phase=rng.choice(["before", "after"]))
        await _dies(h)
        done = k
    await h.start_bot()
    await h.settle()
    received = await h.fake.all_messages()
    assert all(received.get(500_000 + i) for i in range(300))
    _check_delivery(h, received, kills)
    assert (await h.fake.stats())["kills"] == kills


async def _kill_during(h: ProcessOffice, rng: random.Random, act, sends: int) -> None:  # type: ignore[no-untyped-def]
    """Send one update (`act`) to a running bot and kill it at a seeded moment of its
    handling: when its n-th message request arrives, or was recorded, or after a delay."""
    await h.settle()
    await h.ready()
    how = rng.choice(["before", "after", "delay"])
    if how != "delay":
        await h.fake.arm_kill(h.bot.pid, nth=rng.randint(1, sends), phase=how)
    await act()
    if how == "delay":
        await asyncio.sleep(rng.uniform(0.0, 0.4))  # a moment inside the handling
        h.bot.kill()
    await _dies(h)
    await h.start_bot()
    await h.settle()


@pytest.mark.parametrize("seed", [3, 4])
async def test_press_and_answer_survive_kills(procs: ProcessOffice, seed: int):
    h = procs
    rng = random.Random(seed)
    await h.start_bot()
    o = await flows.setup_office(h)  # type: ignore[arg-type]
    await flows.request_round(h, o)  # type: ignore[arg-type]
    await flows.form_team(h, o)  # type: ignore[arg-type]

    # (b) the Kasubag's [Setujui jadwal]: the round moves on once, the forms go out
    mid, data = await h.find_button(o.kasubag.chat, "✅ Setujui jadwal")
    await _kill_during(
        h,
        rng,
        lambda: h.fake.press(o.kasubag.id, o.kasubag.chat, message_id=mid, data=data),
        sends=4,
    )
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == "collecting"
        actions = Counter(s.scalars(select(AuditLog.action)))
        assert actions["plan_confirmed"] == 1
        assert s.scalar(select(func.count()).select_from(Submission)) == 5
    for head in o.heads.values():
        invites = [t for t in await h.texts(head) if "formulir" in t.lower() or "isi" in t.lower()]
        assert invites, await h.texts(head)
    kasubag = await h.texts(o.kasubag)
    assert 1 <= sum(t.startswith("Jadwal disetujui") for t in kasubag) <= 2

    # (c) a head's answer: saved once, as the value, and the form moves one step
    pem = o.heads["pem"]
    await h.say(pem, "/isi")
    await _kill_during(h, rng, lambda: h.fake.send_text(pem.id, "92,5"), sends=1)
    with h.db.transaction() as s:
        answers = s.execute(
            select(Indicator.code, Answer.realisation, Answer.explanation)
            .join(Indicator, Indicator.id == Answer.indicator_id)
            .where(Answer.realisation.is_not(None))
        ).all()
    assert [(a.code, a.realisation) for a in answers] == [("PEM-1", Decimal("92.5"))]
    assert answers[0].explanation != "92,5"
    received = await h.fake.all_messages()
    _check_delivery(h, received, kills=2)
    assert "Traceback" not in h.bot.log(), h.bot.log()[-3000:]
