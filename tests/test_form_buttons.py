"""The form's buttons are bound to their own form and parsed strictly.

All of a form's buttons share one reusable token (`TOKEN.action.seq[.idx]`, bot/router.py);
`seq` starts again at 1 in each new form. A button of an earlier form (the previous round's,
pressed while the next round's form is open) is refused as stale and changes nothing, at
every stage of the new form; the new form's own buttons work. Malformed data of every shape
(non-ASCII digits, signs, huge numbers, missing or extra parts, an indicator past the end,
an action the open prompt did not offer) gets a clear Indonesian refusal, never the internal
error, and changes nothing. Driven through the core (tests/coresim.py) on the test database
(SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.router import family_data, router
from bot.settings import Settings
from bot.texts import t
from bot.tools.simulation import User
from db.engine import Database
from db.models import Outbox
from tests import flows
from tests.coresim import CoreSim, diff, snapshot

OLD_BUTTON = t("form_old_button")
REFUSALS = {OLD_BUTTON, t("button_unknown")}
# every action of the form's token family, and whether its button names an indicator
FORM_ACTIONS = {
    "form_confirm": False,
    "form_reenter": False,
    "form_keep": False,
    "form_keep_explain": False,
    "form_add_explain": True,
    "form_later": False,
    "form_summary": False,
    "form_edit": True,
    "form_submit": False,
}
PEM_INDICATORS = 3  # PEM-1..3 in examples/astambul.yaml


@pytest.fixture
def world(
    settings: Settings, clock: FakeClock, db: Database, office: int
) -> tuple[CoreSim, flows.Office]:
    sim = CoreSim(settings, clock, db)
    return sim, asyncio.run(flows.setup_office(sim))  # type: ignore[arg-type]


def test_the_family_is_every_form_action() -> None:
    """The table above follows the router: a new form button gets its cases here too."""
    family = {name for name in router.actions if name.startswith("form_")} - {"form_open"}
    assert family == set(FORM_ACTIONS)


def _prompt(sim: CoreSim, user: User) -> dict[str, str]:
    """The buttons of the form's latest prompt in the person's chat: `action[.idx]` → data."""
    for m in reversed(sim.shown(user.chat)):
        found = {}
        for data in (b[1] for row in m.buttons for b in row if b[1].count(".") >= 2):
            _token, action, _seq, *idx = data.split(".")
            found[".".join([action, *idx])] = data
        if found:
            return found
    raise LookupError("no form prompt")


def sent_form_buttons(sim: CoreSim, user: User) -> list[str]:
    """Every form button the bot sent to the person so far (messages and edits)."""
    with sim.db.transaction() as s:
        rows = s.scalars(select(Outbox.buttons).where(Outbox.chat_id == str(user.chat))).all()
    data = [b[1] for buttons in rows for row in buttons or [] for b in row]
    return sorted({d for d in data if d.count(".") >= 2})


def _token_and_seq(sim: CoreSim, user: User) -> tuple[str, int]:
    data = next(iter(_prompt(sim, user).values()))
    token, _, seq, *_ = data.split(".")
    return token, int(seq)


def forged_form_buttons(token: str, seq: int, indicators: int = PEM_INDICATORS) -> list[str]:
    """A button of every form action under `token` at `seq`, for every indicator."""
    out = []
    for action, with_idx in FORM_ACTIONS.items():
        idxs = range(indicators) if with_idx else [None]
        out += [family_data(token, action, seq, idx) for idx in idxs]
    return out


def _all_refused(sim: CoreSim, user: User, presses: list[str], texts: set[str]) -> None:
    """Each press is refused with one of `texts` as its alert, and nothing changes."""
    before = snapshot(sim.db)
    for data in presses:
        refusals = len(sim.core.refused)
        notice = sim.press_token(user, data)
        assert len(sim.core.refused) == refusals + 1, data
        assert notice in texts, (data, notice)
    assert diff(before, snapshot(sim.db)) == []


def _works(sim: CoreSim, user: User, key: str) -> None:
    """The prompt's own button `key` is accepted and moves the form on."""
    data = _prompt(sim, user)[key]
    before = snapshot(sim.db)
    refusals = len(sim.core.refused)
    assert sim.press_token(user, data) is None, key
    assert len(sim.core.refused) == refusals, (key, sim.core.refused[-1:])
    assert diff(before, snapshot(sim.db)) != [], key


def test_an_earlier_rounds_form_buttons_are_refused_on_the_next_form(
    world: tuple[CoreSim, flows.Office], caplog: pytest.LogCaptureFixture
) -> None:
    """Round 1 (TW II) is played whole; in round 2 (TW III) the head's new form opens at
    seq 1 again. At every stage of it, each form button sent in round 1, and round 1's
    token with the new form's seq for every action and indicator, is refused; then the
    stage's own button works."""
    caplog.set_level(logging.ERROR)
    sim, o = world
    pem = o.heads["pem"]
    run = asyncio.run
    run(flows.complete_round(sim, o, "TW 2 2026"))  # type: ignore[arg-type]
    old = sent_form_buttons(sim, pem)
    assert old and {d.split(".")[1] for d in old} >= {"form_later", "form_summary", "form_edit"}
    old_token = old[0].split(".")[0]
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]

    def check(stage_key: str) -> None:
        token, seq = _token_and_seq(sim, pem)
        assert token != old_token
        assert stage_key in _prompt(sim, pem), (stage_key, list(_prompt(sim, pem)))
        _all_refused(sim, pem, old + forged_form_buttons(old_token, seq), {OLD_BUTTON})

    sim.say_now(pem, "/isi")
    assert _token_and_seq(sim, pem)[1] == 1  # the state the issue found open to round 1
    check("form_later")
    _works(sim, pem, "form_later")  # value stage → PEM-2
    assert "indikator 2 dari 3" in sim.last(pem)
    check("form_summary")
    _works(sim, pem, "form_summary")  # → summary
    check("form_edit.0")
    _works(sim, pem, "form_edit.0")  # → PEM-1, no value yet
    sim.say_now(pem, "-5")  # an unusual value waits for confirmation
    check("form_reenter")
    _works(sim, pem, "form_reenter")  # → PEM-1 again
    sim.say_now(pem, "-5")
    check("form_confirm")
    _works(sim, pem, "form_confirm")  # saved; below target: the explanation is asked
    sim.say_now(pem, "Data belum lengkap dari desa.")  # → PEM-2
    sim.say_now(pem, "6")  # target reached: PEM-3 opens, with [Penjelasan PEM-2]
    check("form_add_explain.1")
    _works(sim, pem, "form_add_explain.1")  # → explain PEM-2, none needed
    check("form_keep_explain")
    _works(sim, pem, "form_keep_explain")  # [Tanpa penjelasan] → PEM-3
    sim.say_now(pem, "85")  # every indicator done → summary
    assert "Ringkasan" in sim.last(pem)
    _works(sim, pem, "form_edit.0")  # PEM-1 with its saved value
    check("form_keep")
    _works(sim, pem, "form_keep")  # → summary
    check("form_submit")
    _works(sim, pem, "form_submit")
    assert sim.last(pem).startswith("✅") and "Kasubag" in sim.last(pem)
    # once sent, no form is open: round 1's buttons and round 2's are both refused
    _all_refused(sim, pem, old + sent_form_buttons(sim, pem)[:20], {t("form_not_open"), OLD_BUTTON})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# (stage the form is in, data after "TOKEN."; {seq} is the open prompt's seq)
MALFORMED = [
    ("value", "form_later.{seq}²"),
    ("value", "form_later.²"),
    ("value", "form_later.١"),  # ARABIC-INDIC DIGIT ONE
    ("value", "form_later.１"),  # FULLWIDTH DIGIT ONE
    ("value", "form_later.-{seq}"),
    ("value", "form_later.+{seq}"),
    ("value", "form_later.0{seq}"),
    ("value", "form_later. {seq}"),
    ("value", "form_later.{seq} "),
    ("value", "form_later.{seq}\n"),
    ("value", "form_later.1_0"),
    ("value", "form_later.0"),
    ("value", "form_later.99999999"),
    ("value", "form_later.999999999"),
    ("value", "form_later.99999999999999999999999999"),
    ("value", "form_later"),
    ("value", "form_later."),
    ("value", "form_later..{seq}"),
    ("value", "form_later.{seq}."),
    ("value", "form_later.{seq}.0"),
    ("value", "form_later.{seq}.0.0"),
    ("value", "form_add_explain.{seq}"),
    ("value", "form_add_explain.{seq}.3"),
    ("value", "form_add_explain.{seq}.99999999"),
    ("value", "form_add_explain.{seq}.-1"),
    ("value", "form_add_explain.{seq}.0²"),
    ("value", "form_add_explain.{seq}.0"),  # PEM-1 has no value yet: not offered
    ("value", "form_add_explain.{seq}.1"),
    ("value", "form_confirm.{seq}"),  # no value waits for confirmation
    ("value", "form_reenter.{seq}"),
    ("value", "form_keep.{seq}"),  # no saved value to keep
    ("value", "form_keep_explain.{seq}"),
    ("value", "form_edit.{seq}.0"),  # only the summary offers it
    ("value", "form_submit.{seq}"),
    ("value", "form_open.{seq}"),
    ("value", "form_nope.{seq}"),
    ("value", "FORM_LATER.{seq}"),
    ("value", "archive_zip.{seq}"),  # an action outside the form's family
    ("value", ""),
    ("value", "."),
    ("summary", "form_edit.{seq}"),
    ("summary", "form_edit.{seq}.3"),
    ("summary", "form_edit.{seq}.99999999"),
    ("summary", "form_edit.{seq}.999999999999"),
    ("summary", "form_edit.{seq}.-1"),
    ("summary", "form_edit.{seq}.00"),
    ("summary", "form_edit.{seq}.0²"),
    ("summary", "form_edit.{seq}.0.0"),
    ("summary", "form_submit.{seq}.0"),
    ("summary", "form_later.{seq}"),
    ("summary", "form_summary.{seq}"),
    ("summary", "form_confirm.{seq}"),
    ("summary", "form_add_explain.{seq}.0"),
    ("summary", "form_keep_explain.{seq}"),
]


@pytest.mark.parametrize(("stage", "tail"), MALFORMED, ids=[f"{s}:{d!r}" for s, d in MALFORMED])
def test_malformed_form_button_data_is_refused(
    world: tuple[CoreSim, flows.Office],
    caplog: pytest.LogCaptureFixture,
    stage: str,
    tail: str,
) -> None:
    """The head's own form token with data the bot never sent: a clear Indonesian alert,
    no internal error and no ERROR logged, nothing changed; the prompt still works."""
    caplog.set_level(logging.ERROR)
    sim, o = world
    pem = o.heads["pem"]
    asyncio.run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    sim.say_now(pem, "/isi")
    if stage == "summary":
        sim.say_now(pem, "92,5")  # done; PEM-2 is left for later, so [Kirim] is not offered
        _works(sim, pem, "form_summary")
    token, seq = _token_and_seq(sim, pem)
    data = f"{token}.{tail.format(seq=seq)}" if tail else token
    _all_refused(sim, pem, [data], REFUSALS)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    _works(sim, pem, "form_summary" if stage == "value" else "form_edit.2")
