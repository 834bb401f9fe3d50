"""The channels' own send limits, against the local fakes with their limits enforced:
Telegram's one message per second per private chat, WhatsApp's pair rate, and WhatsApp's
daily messaging limit for people outside their 24-hour window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.messaging import outbox
from bot.settings import Settings
from bot.texts import t
from db.engine import Database
from db.models import Outbox, Person
from tests import flows
from tests.conftest import TOKEN
from tests.harness import Harness


@asynccontextmanager
async def bot_with(
    settings: Settings, clock: FakeClock, db: Database, whatsapp: bool = False, **update: object
) -> AsyncIterator[Harness]:
    h = Harness(settings.model_copy(update=update), clock, db, TOKEN, whatsapp=whatsapp)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


def queue(h: Harness, nip: str, texts: list[str]) -> None:
    """Messages for one person, as any feature would queue them."""
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == nip))
        assert p is not None
        for text in texts:
            outbox.to_person(s, p, text, h.clock.now())
    assert h.rt is not None
    h.rt.delivery.wake()


def set_whatsapp(h: Harness, nip: str, number: str, keep_telegram: bool = False) -> None:
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == nip))
        assert p is not None
        p.whatsapp_number, p.preferred_channel = number, "whatsapp"
        if not keep_telegram:
            p.telegram_user_id = None
        name = p.name
    assert h.wa is not None
    h.wa.add_user(number, name)


async def test_telegram_private_chat_paced_to_one_per_second(
    settings: Settings, clock: FakeClock, db: Database, office: int
):
    async with bot_with(settings, clock, db, telegram_chat_rate=1.0) as h:
        h.fake.limits_enforced = True
        pem = h.user(flows.NIP["pem"])
        texts = [f"Pesan {i}" for i in range(6)]
        queue(h, flows.NIP["pem"], texts)
        await h.settle()
        assert h.texts(pem) == texts  # all of them, in order
        assert h.fake.stats["violations"]["chat"] == 0


async def test_whatsapp_pair_rate_respected(
    settings: Settings, clock: FakeClock, db: Database, office: int
):
    async with bot_with(
        settings, clock, db, whatsapp=True, whatsapp_pair_burst=2, whatsapp_pair_seconds=0.3
    ) as h:
        assert h.wa is not None
        h.wa.pair_burst, h.wa.pair_seconds, h.wa.limits_enforced = 2, 0.3, True
        set_whatsapp(h, flows.NIP["pem"], "6281100000007")
        await h.wa.send_text("6281100000007", "/status")  # opens the 24-hour window
        await h.settle()
        before = len(h.wa.texts_to("6281100000007"))
        texts = [f"Pesan {i}" for i in range(5)]
        queue(h, flows.NIP["pem"], texts)
        await h.settle()
        assert h.wa.texts_to("6281100000007")[before:] == texts
        assert h.wa.stats["limit_violations"] == 0
        assert h.wa.errors == []


async def test_whatsapp_daily_limit_defers_or_reroutes(
    settings: Settings, clock: FakeClock, db: Database, office: int
):
    """Limit 1: the first person gets the template; the second (WhatsApp only) waits until
    the 24 hours have passed; the third, also on Telegram, gets the message there."""
    async with bot_with(settings, clock, db, whatsapp=True, whatsapp_daily_limit=1) as h:
        assert h.wa is not None
        h.wa.messaging_limit, h.wa.limits_enforced = 1, True
        set_whatsapp(h, flows.NIP["pem"], "6281100000007")
        set_whatsapp(h, flows.NIP["trantib"], "6281100000008")
        pmd = h.user(flows.NIP["pmd"])
        set_whatsapp(h, flows.NIP["pmd"], "6281100000009", keep_telegram=True)

        queue(h, flows.NIP["pem"], ["Pengingat untuk Pemerintahan"])
        await h.settle()
        first = h.wa.last_to("6281100000007")
        assert first is not None and first.type == "template"
        assert first.params == ["Pengingat untuk Pemerintahan"]

        queue(h, flows.NIP["trantib"], ["Pengingat untuk Trantib"])
        queue(h, flows.NIP["pmd"], ["Pengingat untuk PMD"])
        await h.settle()
        assert h.wa.messages_to("6281100000008") == []
        assert h.wa.messages_to("6281100000009") == []
        assert h.texts(pmd) == ["Pengingat untuk PMD"]
        with h.db.transaction() as s:
            waiting = s.scalar(select(Outbox).where(Outbox.chat_id == "6281100000008"))
            assert waiting is not None and waiting.status == "pending"
            assert waiting.error == t("wa_daily_limit", limit=1)
            assert waiting.next_attempt_at == clock.now() + timedelta(hours=24)
            rerouted = s.scalar(select(Outbox).where(Outbox.chat_id == "6281100000009"))
            assert rerouted is not None and rerouted.status == "rerouted"

        clock.advance(timedelta(hours=24, minutes=1))
        await h.settle()
        later = h.wa.last_to("6281100000008")
        assert later is not None and later.type == "template"
        assert later.params == ["Pengingat untuk Trantib"]
        assert h.wa.stats["limit_violations"] == 0
