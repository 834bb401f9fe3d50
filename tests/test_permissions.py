"""The permission matrix, generated from the router: every command × every role that must not
have it, a stranger, and the wrong chat; every button kind × another person, another office,
an already used token, a token of a finished round, and random data; and the form's buttons
across two rounds (round 1's on round 2's form). Each must be refused with a clear Indonesian
answer and change nothing (every table compared). Driven through the core directly
(tests/coresim.py); the harness covers a few of the same refusals end to end.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.procedure.roles import Role, roles_of
from bot.router import FAMILY, family_data, router
from bot.settings import Settings
from bot.texts import t
from bot.tools.simulation import GROUP_ID, User
from db.engine import Database
from db.models import ActionToken, CollectionRound, Office, Outbox, Person
from tests import flows
from tests.coresim import CoreSim, diff, snapshot
from tests.flows import NIP
from tests.harness import Harness
from tests.test_form_buttons import forged_form_buttons, sent_form_buttons

MARTAPURA = Path(__file__).resolve().parents[1] / "examples" / "martapura.yaml"
ADMIN_NIP = "199212122020121012"
INTERNAL = t("internal_error")
# buttons that stay valid after the round: the archive download of a finished round
STAYS_VALID = {"archive_zip"}


class Matrix:
    def __init__(self, sim: CoreSim, db: Database) -> None:
        self.sim, self.db = sim, db
        self.n = self.refused = 0
        self.failures: list[str] = []

    def _check(self, label: str, act: object) -> None:
        self.n += 1
        before = snapshot(self.db)
        mark = self.sim._max_id()
        refusals = len(self.sim.core.refused)
        notice = act() if callable(act) else None  # type: ignore[operator]
        new = [m.text for chat in self._chats(mark) for m in self.sim.sent(chat, after=mark)]
        texts = [*new, *([notice] if notice else [])]
        refused = len(self.sim.core.refused) > refusals or any(
            x.startswith("Mohon maaf, bot ini khusus") or x.startswith("Maaf, bot ini")
            for x in texts
        )
        changed = diff(before, snapshot(self.db))
        clear = bool(texts) and all(x.strip() and INTERNAL not in x for x in texts)
        if refused and clear and not changed:
            self.refused += 1
        else:
            self.failures.append(f"{label}: refused={refused} changed={changed} {texts[:2]}")

    def _chats(self, after: int) -> list[int]:
        with self.db.transaction() as s:
            return sorted(
                {int(c) for c in s.scalars(select(Outbox.chat_id).where(Outbox.id > after))}
            )

    def say(self, label: str, user: User, text: str, chat: int | None = None) -> None:
        self._check(label, lambda: self.sim.say_now(user, text, chat) and None)

    def press(self, label: str, user: User, token: str, chat: int | None = None) -> None:
        self._check(label, lambda: self.sim.press_token(user, token, chat))


@pytest.fixture
def world(
    settings: Settings, clock: FakeClock, db: Database, office: int
) -> tuple[CoreSim, flows.Office, dict[str, User]]:
    from bot.office.load import import_file

    with db.transaction() as s:
        import_file(s, MARTAPURA, clock.now())
    sim = CoreSim(settings, clock, db)
    o = asyncio.run(flows.setup_office(sim))  # type: ignore[arg-type]
    other = {k: sim.user(v[:-4] + str(int(v[-4:]) + 500)) for k, v in NIP.items()}
    other["admin"] = sim.user("199212122020121512")
    return sim, o, other


def _holders(sim: CoreSim, o: flows.Office) -> dict[Role, User]:
    admin = sim.user(ADMIN_NIP)
    return {
        Role.CAMAT: o.camat,
        Role.SEKRETARIS: o.sek,
        Role.KASUBAG_PROGRAM: o.kasubag,
        Role.TIM_SAKIP: o.tim[0],
        Role.KEPALA_SEKSI: o.heads["pem"],
        Role.ADMIN: admin,
    }


def _roles(sim: CoreSim, user: User) -> set[Role]:
    with sim.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.telegram_user_id == user.id))
        assert p is not None
        return roles_of(s, p, sim.clock.now().date())


def test_permission_matrix(
    world: tuple[CoreSim, flows.Office, dict[str, User]], db: Database
) -> None:
    sim, o, other = world
    m = Matrix(sim, db)
    run = asyncio.run
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    holders = _holders(sim, o)
    stranger = sim.stranger()

    # --- every command ----------------------------------------------------------------------
    for cmd in router.commands.values():
        text = f"/{cmd.name}"
        for role, user in holders.items():
            if cmd.roles and not _roles(sim, user) & set(cmd.roles):
                chat = GROUP_ID if cmd.where == "group" else None
                m.say(f"{text} by {role}", user, text, chat)
        m.say(f"{text} by a stranger", stranger, text)
        m.say(f"{text} by a stranger in the group", stranger, text, GROUP_ID)
        allowed = next(
            (u for u in holders.values() if not cmd.roles or _roles(sim, u) & set(cmd.roles)),
            None,
        )
        if allowed is not None and cmd.where == "private":
            m.say(f"{text} in the group", allowed, text, GROUP_ID)
        if allowed is not None and cmd.where == "group":
            m.say(f"{text} in private", allowed, text)

    # --- every button kind: play a whole round with a revision, keeping each kind's tokens ---
    run(flows.fill_all(sim, o))  # type: ignore[arg-type]
    sim.press_now(o.kasubag, "📤 Ajukan ke Sekretaris")
    sim.press_now(o.sek, "Rapat pukul")
    sim.clock.advance(hours=1)  # type: ignore[attr-defined]
    sim.press_now(o.sek, "✏️ Ada koreksi")
    sim.press_now(o.sek, "📁 Seksi Pemerintahan")
    sim.press_now(o.sek, "PEM-1")
    sim.say_now(o.sek, "mohon periksa kembali angkanya")
    sim.press_now(o.sek, "✅ Selesai")
    with db.transaction() as s:
        tokens = {
            tok.action: (tok.token, tok.person_id, tok.reusable, tok.used_at is not None)
            for tok in s.scalars(select(ActionToken).order_by(ActionToken.id))
        }
        used = {
            tok.action: tok.token
            for tok in s.scalars(
                select(ActionToken).where(
                    ActionToken.used_at.is_not(None), ActionToken.reusable.is_(False)
                )
            )
        }
        owners = {
            p.id: User(p.telegram_user_id, p.name)
            for p in s.scalars(select(Person).where(Person.telegram_user_id.is_not(None)))
        }
    # the form's buttons share one token family (TOKEN.action.seq[.idx]): each of its
    # actions, and the step reminders' buttons (made only when a step runs late), get a
    # button of their own to press
    with db.transaction() as s:
        family = s.scalars(select(ActionToken).where(ActionToken.action == FAMILY)).first()
        assert family is not None
        fam_owner = family.person_id
        for name in router.actions:
            if name.startswith("form_") and name != "form_open":
                tokens[name] = (family_data(family.token, name, 1, 0), fam_owner, True, False)
        rnd = s.scalars(select(CollectionRound)).first()
        assert rnd is not None
        for name, role in (("team_open", Role.SEKRETARIS), ("plan_open", Role.KASUBAG_PROGRAM)):
            owner = next(p for p in s.scalars(select(Person)) if role in {r.role for r in p.roles})
            tok = secrets.token_urlsafe(9)
            s.add(
                ActionToken(
                    token=tok,
                    office_id=rnd.office_id,
                    action=name,
                    payload={"round": rnd.id},
                    person_id=owner.id,
                    reusable=True,
                    created_at=sim.clock.now(),
                )
            )
            tokens[name] = (tok, owner.id, True, False)
    tokens.pop(FAMILY, None)
    kinds = sorted(set(router.actions))
    missing = [k for k in kinds if k not in tokens]
    for kind, (token, owner_id, _reusable, _) in sorted(tokens.items()):
        owner = owners.get(owner_id) if owner_id else None
        someone_else = next(u for u in holders.values() if owner is None or u.id != owner.id)
        if owner is not None:
            m.press(f"{kind} by another person", someone_else, token)
        m.press(f"{kind} by another office", other["camat"], token)
        m.press(f"{kind} by another office's head", other["pem"], token)
        m.press(f"{kind} by a stranger", stranger, token)
        if kind in used:
            presser = owner or someone_else
            m.press(f"{kind} already used", presser, used[kind])
    for _ in range(20):
        m.press("random data", o.camat, secrets.token_urlsafe(secrets.choice([1, 9, 40])))
    m.press("empty data", o.kasubag, "")

    # --- tokens of a finished round ---------------------------------------------------------
    sim.say_now(o.kasubag, "/notulen")
    sim.say_now(o.kasubag, "Rapat membahas perbaikan data PEM-1, disepakati angka baru.")
    run(flows.fill_section(sim, o.heads["pem"], ["95"]))  # type: ignore[arg-type]
    run(flows.accept(sim, o))  # type: ignore[arg-type]
    sim.press_now(o.kasubag, "📤 Ajukan ke Sekretaris")
    sim.press_now(o.sek, "✏️ Revisi")  # a second meeting, Revisi ke-2, with no corrections
    sim.press_now(o.sek, "Rapat pukul")
    sim.clock.advance(hours=1)  # type: ignore[attr-defined]
    sim.press_now(o.sek, "✅ Tanpa koreksi")
    sim.press_now(o.sek, "✅ Setujui")
    with db.transaction() as s:
        unused = {
            tok.action: (tok.token, tok.person_id)
            for tok in s.scalars(select(ActionToken).where(ActionToken.used_at.is_(None)))
            if tok.action not in STAYS_VALID
        }
    for kind, (token, owner_id) in sorted(unused.items()):
        presser = owners.get(owner_id) if owner_id else o.kasubag
        m.press(f"{kind} of a finished round", presser or o.kasubag, token)

    # --- the archive of the finished round: its button refused to anyone of another office ----
    sim.say_now(o.kasubag, "/arsip")
    _, archive = sim.find_button(o.kasubag.chat, "⬇️ ZIP")
    for who in (other["kasubag"], other["camat"], other["admin"], stranger):
        m.press("archive_zip by another office or a stranger", who, archive)
    missing.remove("archive_zip")

    # --- another office's person gets nothing of this office ----------------------------------
    for text in ("/status", "/laporan", "/arsip", "/isi", "/notulen", "/kompilasi"):
        for who in (other["camat"], other["kasubag"], other["pem"], other["admin"]):
            sim.say_now(who, text)
    with db.transaction() as s:
        mine = s.scalar(select(Office).where(Office.name.like("%Astambul%")))
        assert mine is not None
        leaked = [
            r.text
            for r in s.scalars(
                select(Outbox).where(Outbox.chat_id.in_([str(u.id) for u in other.values()]))
            )
            if "Astambul" in (r.text or "") or r.office_id == mine.id
        ]
    assert leaked == [], leaked[:3]

    print(
        f"permission matrix: {m.n} combinations, {m.refused} refused "
        f"({len(kinds)} button kinds, {len(missing)} not reached: {missing})"
    )
    assert m.failures == [], "\n".join(m.failures)
    assert m.refused == m.n


def test_form_buttons_across_two_rounds(
    world: tuple[CoreSim, flows.Office, dict[str, User]], db: Database
) -> None:
    """The form's buttons share one token per form, and `seq` starts again at 1 in each new
    form. Every form button the bot sent in round 1 (TW II), pressed by its own head while
    the round-2 form (TW III) is open — at its first prompt, and at its summary — and round
    1's token with round 2's seq for every form action, is refused and changes nothing;
    round 2's own buttons work, up to each section's form being sent."""
    sim, o, other = world
    m = Matrix(sim, db)
    run = asyncio.run
    run(flows.complete_round(sim, o, "TW 2 2026"))  # type: ignore[arg-type]
    sent = {key: sent_form_buttons(sim, head) for key, head in o.heads.items()}
    run(flows.start_collection(sim, o))  # type: ignore[arg-type]
    works = 0

    def own(head: User, label: str) -> None:
        nonlocal works
        before, refusals = snapshot(db), len(sim.core.refused)
        assert sim.press_now(head, label) is None, label
        assert len(sim.core.refused) == refusals, (label, sim.core.refused[-1:])
        assert diff(before, snapshot(db)) != [], label
        works += 1

    def round_1(key: str, head: User, where: str) -> None:
        _, data = sim.find_button(head.chat, "📄" if where == "first prompt" else "Ubah 1")
        token, _, seq, *_ = data.split(".")
        old_token = sent[key][0].split(".")[0]
        assert token != old_token
        for data in sent[key] + forged_form_buttons(old_token, int(seq), indicators=5):
            m.press(f"{key}'s round-1 {data.split('.', 1)[1]} on round 2's {where}", head, data)
        for who in (o.heads["pmd" if key == "pem" else "pem"], other["pem"]):
            m.press(f"{key}'s round-1 button by another head, round 2", who, sent[key][0])

    for key, head in o.heads.items():
        assert sent[key], key
        sim.say_now(head, "/isi")
        assert "indikator 1 dari" in sim.last(head)
        round_1(key, head, "first prompt")
        own(head, "📄 Ringkasan")
        round_1(key, head, "summary")
        own(head, "Ubah 1")
        for value in flows.VALUES[key]:
            run(flows.answer(sim, head, value))  # type: ignore[arg-type]
        assert "Ringkasan" in sim.last(head)
        own(head, "📤 Kirim")
        assert sim.last(head).startswith("✅"), sim.last(head)
        run(flows.accept(sim, o))  # type: ignore[arg-type]
    print(f"form buttons across two rounds: {m.n} refused presses, {works} own presses worked")
    assert m.failures == [], "\n".join(m.failures)
    assert m.refused == m.n and works == 3 * len(o.heads)


async def test_refusals_end_to_end(harness: Harness, db: Database, clock: FakeClock) -> None:
    """A few of the matrix's cells through the real Telegram client: the alert on a button of
    another office, another person's button, the wrong chat, and a role the person lacks."""
    from bot.office.load import import_file

    h = harness
    with db.transaction() as s:
        import_file(s, MARTAPURA, clock.now())
    o = await flows.setup_office(h)
    other_camat = h.user("197001011990011501")
    await flows.request_round(h, o)
    before = snapshot(db)
    mid, data = h.find_button(o.sek.chat, "💾 Simpan tim")
    assert await h.press_data(other_camat, o.sek.chat, mid, data) == t("button_unknown")
    assert (await h.press_data(o.kasubag, o.sek.chat, mid, data) or "").startswith(
        "Mohon maaf, tombol ini ditujukan untuk"
    )
    assert await h.say(o.camat, "/minta", chat=GROUP_ID) == [t("private_only")]
    replies = await h.say(o.heads["pem"], "/kompilasi")
    assert replies and replies[0].startswith("Maaf, perintah atau tombol ini hanya untuk")
    assert diff(before, snapshot(db)) == []
