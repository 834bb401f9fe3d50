"""Careless and hostile input, generated (Hypothesis): free text at every question of every
form, commands, both webhooks' bodies, and update kinds the bot does not use.

The invariant, for every example: no exception escapes (no ERROR log record), the person
gets a clear answer (never the internal-error text) or nothing changes, a refusal changes
nothing (every table compared), and a normal /status still works afterwards.

The many examples drive the core directly (`tests/coresim.py`, a real database); a few run
end to end through the real python-telegram-bot Application and the ASGI webhook app.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.settings import Settings
from bot.texts import t
from bot.tools.simulation import GROUP_ID, User
from db.engine import Database
from tests import flows
from tests.coresim import CoreSim, Saved, diff, snapshot
from tests.flows import NIP
from tests.harness import Harness

INTERNAL = t("internal_error")


def fuzz_settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,  # the suite is reproducible; bench/ may run it unseeded
        database=None,
    )


# --- what people type ------------------------------------------------------------------------
NUMBERS = [
    "1e309", "-1e309", "1e-400", "-0", "-0,0", "NaN", "nan", "Infinity", "-inf", "12,5",
    "1.234,56", "1,234.56", "1.234.567", "12.5", "0", "00012", "+5", "--5", "+-3", "5-",
    "999999999999999999999999999999", "0,00001", "1 000", "12,5 %", "½", "١٢٣", "۱۲۳",
    "१२३", "１２", "−12", "1_000", "0x1F", "1e3", "١٫٥", "12;5", "12,,5", ",", ".", "-",
]  # fmt: skip
ODD = [
    "", " ", "\x00", "12\x00", "a\x00b", "\u200f١٢\u200f", "\u202eabc\u202c", "مرحبا بالعالم",
    "שלום 12", "👍", "🇮🇩 95", "\ufeff95", "95\u200b", "\n\n\n", "\t", "%s %d {0} {name}",
    "'; DROP TABLE person; --", "<b>x</b>", "*_`[", "x" * 5000, "9" * 5000, "KES-1: " + "y" * 4990,
    "PEM: ulang", "PEM-1: diperbaiki", "10.00", "25.61", "7:5", "24.00", "08.00", "13.30",
    "31 Desember 2026", "30 Februari 2027", "25-11-2026", "2026-11-25", "besok", "3",
    "Triwulan IV 2026", "Triwulan V 2026", "Tahunan 2026", "Semester I 2099", "/", "/ ", "//x",
    "/isi@otherbot", "/status@sakip_test_bot", "/STATUS", "/start x y z", "/bantuan\x00",
]  # fmt: skip
TEXTS = st.one_of(
    st.sampled_from(NUMBERS + ODD),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(NUMBERS), st.text(max_size=30)),
    st.builds(lambda n: str(n), st.integers() | st.floats(allow_nan=True)),
)
COMMANDS = st.one_of(
    st.sampled_from(
        ["/", "/ ", "//x", "/isi@otherbot", "/@", "/@sakip_test_bot", "/x@", "/\x00", "/ isi"]
    ),
    st.builds(lambda s: "/" + s, st.text(max_size=20)),
    st.builds(
        lambda c, a: f"/{c} {a}",
        st.sampled_from(
            [
                "start",
                "bantuan",
                "saya",
                "status",
                "minta",
                "isi",
                "tenggat",
                "kompilasi",
                "notulen",
                "laporan",
                "arsip",
                "rekap",
                "dasbor",
                "daftargrup",
                "lepasgrup",
            ]
        ),  # fmt: skip
        TEXTS,
    ),
)


# --- the check every example goes through -------------------------------------------------------
class Checker:
    """Send one input, then assert the invariant (see the module docstring)."""

    def __init__(self, sim: CoreSim, db: Database, caplog: pytest.LogCaptureFixture) -> None:
        self.sim, self.db, self.caplog = sim, db, caplog
        self.saved = Saved(db)
        self.base = snapshot(db)
        self.n = self.answered = self.refused = self.silent = 0

    def errors(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}" for r in self.caplog.records if r.levelno >= logging.ERROR
        ]

    def send(self, user: User, text: str, chat: int | None = None) -> list[str]:
        self.n += 1
        self.caplog.clear()
        refusals = len(self.sim.core.refused)
        replies = self.sim.say_now(user, text, chat)
        assert not self.errors(), (text[:80], self.errors())
        assert all(INTERNAL not in r for r in replies), (text[:80], replies)
        assert all(r.strip() and "Traceback" not in r for r in replies), (text[:80], replies)
        refused = len(self.sim.core.refused) > refusals
        if refused or not replies:
            # a refusal, or a silence (talk in the group, another bot's command): no change
            assert diff(self.base, snapshot(self.db)) == [], (text[:80], replies)
            self.refused += refused
            self.silent += not replies
        else:
            self.answered += 1
            self.saved.restore()  # accepted: back to the question for the next example
        return replies

    def status_still_works(self, user: User) -> None:
        self.saved.restore()
        replies = self.sim.say_now(user, "/status")
        assert replies and all(INTERNAL not in r for r in replies), replies
        assert not self.errors(), self.errors()


@pytest.fixture
def sim(settings: Settings, clock: FakeClock, db: Database, office: int) -> CoreSim:
    return CoreSim(settings, clock, db)


@pytest.fixture
def office_people(sim: CoreSim) -> flows.Office:
    return asyncio.run(flows.setup_office(sim))  # type: ignore[arg-type]


def checker(sim: CoreSim, db: Database, caplog: pytest.LogCaptureFixture) -> Iterator[Checker]:
    caplog.set_level(logging.WARNING)
    c = Checker(sim, db, caplog)
    yield c
    print(f"fuzz: {c.n} inputs, {c.answered} accepted, {c.refused} refused, {c.silent} silent")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def fuzz_question(
    sim: CoreSim,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    who: User,
    n: int,
    strategy: st.SearchStrategy[str] = TEXTS,
    expect_in_last: str | None = None,
) -> Checker:
    """Fuzz the question open for `who` now with `n` generated texts."""
    if expect_in_last is not None:
        assert expect_in_last in sim.last(who), sim.last(who)
    gen = checker(sim, db, caplog)
    c = next(gen)

    @fuzz_settings(n)
    @given(strategy)
    def one(text: str) -> None:
        c.send(who, text)

    one()
    c.status_still_works(who)
    with pytest.raises(StopIteration):
        next(gen)
    assert c.n >= n
    return c


# --- every form question ------------------------------------------------------------------------
def test_fuzz_section_head_value(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    sim.say_now(o.heads["pem"], "/isi")
    c = fuzz_question(sim, db, caplog, o.heads["pem"], 220)
    assert c.refused > 0 and c.answered > 0  # both kinds were reached


def test_fuzz_section_head_explanation(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    sim.say_now(o.heads["pem"], "/isi")
    sim.say_now(o.heads["pem"], "1")  # far below target: the explanation is required
    fuzz_question(sim, db, caplog, o.heads["pem"], 100, expect_in_last="(wajib)")


def test_fuzz_camat_request_period(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    sim.say_now(o.camat, "/minta")
    fuzz_question(sim, db, caplog, o.camat, 100)


def test_fuzz_camat_request_date(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    sim.say_now(o.camat, "/minta")
    sim.press_now(o.camat, "Triwulan III 2026")
    sim.press_now(o.camat, "Lanjut")
    fuzz_question(sim, db, caplog, o.camat, 100)


def test_fuzz_kasubag_plan_edit(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    run(flows.request_round(sim, o))  # type: ignore[arg-type]
    run(flows.form_team(sim, o))  # type: ignore[arg-type]
    sim.press_now(o.kasubag, "Ubah tenggat")
    fuzz_question(sim, db, caplog, o.kasubag, 80)


def test_fuzz_kasubag_return_note(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    run(flows.fill_section(sim, o.heads["pem"], flows.VALUES["pem"]))  # type: ignore[arg-type]
    sim.press_now(o.kasubag, "↩️ Kembalikan")
    fuzz_question(sim, db, caplog, o.kasubag, 80)


def _meeting(sim: CoreSim, o: flows.Office) -> None:
    """Up to step 6: the draft is with the Sekretaris, the meeting has started."""
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    run(flows.fill_all(sim, o))  # type: ignore[arg-type]
    sim.press_now(o.kasubag, "📤 Ajukan ke Sekretaris")
    sim.press_now(o.sek, "Rapat pukul")
    sim.clock.advance(hours=1)  # type: ignore[attr-defined]


def _correcting(sim: CoreSim, o: flows.Office) -> None:
    """The meeting's outcome: corrections, PEM-1 chosen with buttons, its note asked."""
    _meeting(sim, o)
    sim.press_now(o.sek, "✏️ Ada koreksi")
    sim.press_now(o.sek, "📁 Seksi Pemerintahan")
    sim.press_now(o.sek, "PEM-1")


def test_fuzz_sekretaris_revision_note(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    _correcting(sim, o)
    fuzz_question(sim, db, caplog, o.sek, 80)


def test_fuzz_sekretaris_typed_corrections(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    _correcting(sim, o)
    sim.say_now(o.sek, "mohon periksa kembali angkanya")
    fuzz_question(sim, db, caplog, o.sek, 80)


def test_fuzz_minutes(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    _meeting(sim, o)
    sim.say_now(o.kasubag, "/notulen")
    fuzz_question(sim, db, caplog, o.kasubag, 60)


# --- commands, from every kind of person, in private and in the group -----------------------------
def test_fuzz_commands(
    sim: CoreSim, office_people: flows.Office, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    o = office_people
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    people = [o.camat, o.sek, o.kasubag, o.tim[0], o.heads["pem"], sim.admin, sim.stranger()]
    gen = checker(sim, db, caplog)
    c = next(gen)

    @fuzz_settings(220)
    @given(st.sampled_from(people), COMMANDS, st.booleans())
    def one(who: User, text: str, in_group: bool) -> None:
        c.send(who, text, GROUP_ID if in_group else None)

    one()
    for bare in ("/", "/ ", "//x"):  # the help answer, not "unknown command"
        replies = sim.say_now(o.camat, bare)
        assert any("/status" in r and "/minta" in r for r in replies), (bare, replies)
    c.status_still_works(o.camat)
    with pytest.raises(StopIteration):
        next(gen)


# --- end to end: one unparseable update does not stop polling ---------------------------------------
# python-telegram-bot 22 requires fields on a poll since Bot API 9.6: this one, as an
# older server or a future change could send it, cannot be parsed
UNPARSEABLE_POLL = {
    "poll": {
        "id": "5",
        "question": "Rapat jam berapa?",
        "options": [{"text": "09.00", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
}


async def test_unparseable_update_is_recorded_and_skipped_and_polling_goes_on(
    harness: Harness, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import select

    from db.models import InboxUpdate

    h = harness
    camat = h.user(NIP["camat"])
    caplog.set_level(logging.WARNING)
    bad_id = h.fake.send_update(UNPARSEABLE_POLL)
    replies = await h.say(camat, "/start")  # queued behind the bad one, in the same batch
    assert any("Ahmad Fauzi" in r for r in replies), replies
    with db.transaction() as s:
        row = s.scalar(select(InboxUpdate).where(InboxUpdate.external_id == str(bad_id)))
        assert row is not None and row.status == "skipped", row and row.status
        assert row.error and "required argument" in row.error, row.error
    warned = [r for r in caplog.records if "not understood" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING, warned
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- end to end: the webhooks and the update kinds the bot does not use ----------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
WA_SHAPED = st.builds(
    lambda entry, value, msg: {"object": "whatsapp_business_account", "entry": entry(value, msg)},
    st.sampled_from(
        [
            lambda v, m: [{"changes": [{"value": v}]}],
            lambda v, m: [{"changes": [{"value": {"messages": [m]}}]}],
            lambda v, m: [{"changes": [{"value": {"messages": [m], "contacts": [v]}}]}],
            lambda v, m: [{"changes": [{"value": {"statuses": [m]}}]}],
            lambda v, m: [{"changes": v}],
            lambda v, m: v,
        ]
    ),
    JSON,
    st.fixed_dictionaries(
        {
            "id": st.text(min_size=1, max_size=12),
            "from": st.sampled_from(["6289900000001", "x", ""]),
        },
        optional={
            "type": st.sampled_from(["text", "interactive", "button", "image", "document", "x"]),
            "text": JSON | st.fixed_dictionaries({"body": TEXTS}),
            "interactive": JSON,
            "button": JSON,
            "image": JSON,
            "document": JSON,
        },
    ),
)
TG_KINDS = [
    "message", "edited_message", "channel_post", "edited_channel_post", "business_message",
    "callback_query", "inline_query", "chosen_inline_result", "shipping_query",
    "pre_checkout_query", "poll", "poll_answer", "my_chat_member", "chat_member",
    "chat_join_request", "message_reaction", "message_reaction_count", "chat_boost",
    "removed_chat_boost", "purchased_paid_media", "deleted_business_messages",
]  # fmt: skip
TG_SHAPED = st.builds(
    lambda kind, value: {kind: value},
    st.sampled_from(TG_KINDS),
    JSON
    | st.dictionaries(
        st.sampled_from(["from", "chat", "text", "data", "message", "id", "date", "user"]),
        JSON,
        max_size=5,
    ),
)


class Live:
    """The real bot (both channels) on its own event loop, for sync Hypothesis tests; the
    ASGI app of handlers/web.py reached through httpx's ASGI transport."""

    def __init__(self, settings: Settings, clock: FakeClock, db: Database) -> None:
        from handlers.web import create_app
        from tests.conftest import TOKEN

        self.loop = asyncio.new_event_loop()
        self.db = db
        self.h = Harness(
            settings.model_copy(update={"webhook_secret": "s3cret"}),
            clock,
            db,
            TOKEN,
            whatsapp=True,
        )
        self.run(self.h.start())
        self.o: flows.Office = self.run(flows.setup_office(self.h))
        rt = self.h.rt
        assert rt is not None
        app = create_app(
            rt.settings, telegram_receive=rt.telegram.receive, whatsapp=rt.whatsapp, health=dict
        )
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bot"
        )

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async def go() -> int:
            r = await self.client.post(path, content=body, headers=headers)
            await self.h.settle()
            return r.status_code

        return self.run(go())

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self.h.stop())
        self.loop.close()


@pytest.fixture
def live(settings: Settings, clock: FakeClock, db: Database, office: int) -> Iterator[Live]:
    lv = Live(settings, clock, db)
    try:
        yield lv
    finally:
        lv.close()


def _no_change_and_status(lv: Live, caplog: pytest.LogCaptureFixture, base: dict[str, Any]) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert diff(base, snapshot(lv.db, skip={"person"})) == []
    replies = lv.run(lv.h.say(lv.o.camat, "/status"))
    assert replies and all(INTERNAL not in r for r in replies), replies


def _encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def test_fuzz_whatsapp_webhook_bodies(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    wa = live.h.wa
    assert wa is not None
    base = snapshot(live.db, skip={"person"})
    seen: dict[int, int] = {}

    @fuzz_settings(80)
    @given(st.binary(max_size=64) | JSON | WA_SHAPED)
    def one(body: Any) -> None:
        raw = _encode(body)
        sig = "sha256=" + hmac.new(wa.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        status = live.post("/whatsapp", raw, {"x-hub-signature-256": sig})
        assert status in (200, 400), (status, raw[:120])
        seen[status] = seen.get(status, 0) + 1
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, (raw[:120], errors)

    one()
    print(f"whatsapp webhook: {sum(seen.values())} bodies, answers {seen}")
    assert seen.get(400) and seen.get(200)
    _no_change_and_status(live, caplog, base)


def test_fuzz_telegram_webhook_bodies(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    base = snapshot(live.db, skip={"person"})
    ids = iter(range(10**6, 2 * 10**6))
    seen: dict[int, int] = {}

    @fuzz_settings(80)
    @given(st.binary(max_size=64) | JSON | TG_SHAPED)
    def one(body: Any) -> None:
        if isinstance(body, dict) and len(body) == 1 and next(iter(body)) in TG_KINDS:
            body = {"update_id": next(ids), **body}
        status = live.post(
            "/telegram", _encode(body), {"x-telegram-bot-api-secret-token": "s3cret"}
        )
        assert status in (200, 400), (status, body)
        seen[status] = seen.get(status, 0) + 1
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, (body, errors)

    one()
    print(f"telegram webhook: {sum(seen.values())} bodies, answers {seen}")
    assert seen.get(400) and seen.get(200)
    _no_change_and_status(live, caplog, base)


def test_fuzz_update_kinds_the_bot_does_not_use(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram update kinds from a known person, through the inbox: recorded,
    then ignored or skipped; never an error, never a change."""
    from sqlalchemy import func, select

    from db.models import InboxUpdate
    from handlers.telegram import entries

    caplog.set_level(logging.WARNING)
    camat = live.o.camat
    who = {"id": camat.id, "is_bot": False, "first_name": "Ahmad"}
    chat = {"id": camat.id, "type": "private", "first_name": "Ahmad"}
    base = snapshot(live.db, skip={"person"})
    unused = [k for k in TG_KINDS if k not in ("message", "callback_query")]
    realistic = {
        "edited_message": {"message_id": 1, "date": 0, "chat": chat, "from": who, "text": "/minta"},
        "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel"}, "text": "/minta"},
        "my_chat_member": {"chat": chat, "from": who, "date": 0, "old_chat_member": {"status": "member", "user": who}, "new_chat_member": {"status": "kicked", "user": who, "until_date": 0}},
        "chat_join_request": {"chat": {"id": GROUP_ID, "type": "group", "title": "Tim"}, "from": who, "user_chat_id": camat.id, "date": 0},
        "poll_answer": {"poll_id": "1", "user": who, "option_ids": [0]},
        "message_reaction": {"chat": chat, "message_id": 1, "user": who, "date": 0, "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]},
        "poll": UNPARSEABLE_POLL["poll"],
    }  # fmt: skip

    ids = iter(range(5 * 10**6, 6 * 10**6))

    @fuzz_settings(60)
    @given(st.sampled_from(unused), JSON, st.booleans())
    def one(kind: str, value: Any, real: bool) -> None:
        payload = realistic.get(kind, value) if real else value
        # recorded as the poller or the webhook records it, then TelegramChannel.process
        # (the polling path itself: the unparseable-update test above)
        rt = live.h.rt
        assert rt is not None
        update = {"update_id": next(ids), kind: payload}
        live.run(rt.intake("telegram", entries([update])))
        live.run(live.h.settle())
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, (kind, payload, errors)

    one()
    with live.db.transaction() as s:
        pending = s.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending")
        )
        kinds = dict(
            s.execute(select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)).all()
        )
    print(f"update kinds: inbox {kinds}")
    assert pending == 0 and kinds.get("ignored") and kinds.get("skipped")
    _no_change_and_status(live, caplog, base)
