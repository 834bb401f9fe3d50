"""The section's form as a Telegram Mini App, without a browser: who may ask (Telegram's
signed initData), the same checks as the chat, one state with the chat form, [Kirim] once
however often it is sent, and a request recorded before a crash handled after it. The page
itself, in Chromium, is in test_miniapp_browser.py."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
import yaml
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.office.load import import_file
from bot.texts import t
from db.models import Answer, AuditLog, InboxUpdate, Indicator, Submission
from handlers.miniapp import InitDataRefused, check_init_data
from tests import flows
from tests.conftest import EXAMPLE, TOKEN
from tests.harness import Harness, User

# Two sections of ten indicators (a range, lower-is-better both ways), each with its head.
BIG = {"ekbang": "198412122011011013", "perek": "198501012012011014"}
UNITS = ["%", "unit", "%", "kejadian", "hari", "dokumen", "%", "kegiatan", "orang", "%"]
TARGETS = [90, 12, "80-90", 5, 3, 400, 95, 10, 250, 100]


def _section(key: str, prefix: str, name: str) -> dict:  # type: ignore[type-arg]
    indicators = []
    for n, (unit, target) in enumerate(zip(UNITS, TARGETS, strict=True), start=1):
        ind = {
            "code": f"{prefix}-{n}",
            "name": f"Indikator {name} nomor {n}",
            "unit": unit,
            "targets": {"2026": target, "2026-Q3": target},
        }
        if n == 4:
            ind["polarity"] = "lower"
        if n == 5:
            ind.update(polarity="lower", lower_method="inverse")
        indicators.append(ind)
    return {"code": key, "name": f"Seksi {name}", "head": BIG[key], "indicators": indicators}


def add_big_sections(h: Harness, tmp: Path) -> dict[str, User]:
    """The example office with two more sections of ten indicators each; their heads."""
    data = yaml.safe_load(EXAMPLE.read_text())
    for key, pos in (("ekbang", "Kasi Ekbang"), ("perek", "Kasi Perekonomian")):
        data["people"].append(
            {"nip": BIG[key], "name": f"{pos} (contoh)", "position": pos, "roles": ["kepala_seksi"]}
        )
    data["sections"].append(_section("ekbang", "EKB", "Ekonomi dan Pembangunan"))
    data["sections"].append(_section("perek", "PRK", "Perekonomian"))
    path = tmp / "office-big.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with h.db.transaction() as s:
        import_file(s, path, h.clock.now())
    return {key: h.user(nip) for key, nip in BIG.items()}


def init_data(user: User, when: float, token: str = TOKEN) -> str:
    """initData as Telegram signs it for the Mini App (core.telegram.org/bots/webapps)."""
    fields = {
        "query_id": "AAH" + secrets.token_hex(6),
        "user": json.dumps({"id": user.id, "first_name": user.name.split(",")[0]}),
        "auth_date": str(int(when)),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


@asynccontextmanager
async def web_app(h: Harness) -> AsyncIterator[str]:
    """The bot's web app (dashboard and Mini App) on 127.0.0.1; DASHBOARD_URL points there,
    so the bot's [Buka formulir] buttons open its page."""
    assert h.rt is not None
    app = Starlette(routes=h.rt.web_routes())
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    root = f"http://127.0.0.1:{port}"
    h.rt.core.settings.dashboard_url = f"{root}/dasbor"
    try:
        yield root
    finally:
        server.should_exit = True
        await task


class Page:
    """The page's requests, as its script sends them."""

    def __init__(self, h: Harness, root: str, user: User, sub: int) -> None:
        self.h, self.root, self.user, self.sub = h, root, user, sub
        self.http = httpx.AsyncClient(base_url=f"{root}/formulir/", timeout=60)

    def init(self) -> str:
        return init_data(self.user, self.h.clock.now().timestamp())

    async def open(self, init: str | None = None) -> httpx.Response:
        body = {"sub": self.sub, "initData": init or self.init()}
        return await self.http.post("api/buka", json=body)

    async def prepare(
        self, values: dict[str, str], op: str = "save", key: str | None = None, **extra: object
    ) -> dict[str, object]:
        """What a press of [Simpan] or [Kirim] sends: the page as opened, with `values`."""
        form = (await self.open()).json()["form"]
        answers = []
        for ind in form["indicators"]:
            value = values.get(ind["code"], ind["value"])
            explanation = values.get(f"{ind['code']}:why", ind["explanation"])
            answers.append({"indicator": ind["id"], "value": value, "explanation": explanation})
        body: dict[str, object] = {
            "sub": self.sub,
            "op": op,
            "key": key or secrets.token_urlsafe(12),
        }
        body.update(initData=self.init(), answers=answers, **extra)
        return body

    async def send(self, body: dict[str, object]) -> httpx.Response:
        return await self.http.post("api/simpan", json=body)

    async def save(
        self, values: dict[str, str], op: str = "save", key: str | None = None, **extra: object
    ) -> httpx.Response:
        return await self.send(await self.prepare(values, op, key, **extra))

    async def close(self) -> None:
        await self.http.aclose()


def submission(h: Harness, section_code: str) -> Submission:
    from db.models import Section

    with h.db.transaction() as s:
        sub = s.scalar(
            select(Submission)
            .join(Section)
            .where(Section.code == section_code)
            .order_by(Submission.id.desc())
        )
        assert sub is not None
        s.expunge(sub)
        return sub


def answers(h: Harness, sub_id: int) -> dict[str, Answer]:
    with h.db.transaction() as s:
        rows = s.execute(
            select(Indicator.code, Answer).join(Indicator).where(Answer.submission_id == sub_id)
        ).all()
        s.expunge_all()
        return {code: a for code, a in rows}


ALL_MET = {f"EKB-{n}": v for n, v in enumerate(
    ["92", "12", "85", "4", "3", "410", "96", "10", "260", "100"], start=1
)}  # fmt: skip


# --- who is asking ------------------------------------------------------------------------------


def test_init_data_signed_with_the_bot_token_names_its_user():
    user = User(4242, "Kasi Contoh")
    assert check_init_data(init_data(user, 1_000_000), TOKEN, 1_000_060)["id"] == 4242


@pytest.mark.parametrize(
    "case",
    ["other token", "changed user", "no hash", "twice", "expired", "future", "empty"],
)
def test_init_data_forged_or_old_is_refused(case: str):
    user = User(4242, "Kasi Contoh")
    raw = init_data(user, 1_000_000, token="999:OTHER" if case == "other token" else TOKEN)
    now = 1_000_060.0
    if case == "changed user":
        raw = raw.replace("4242", "4243")
    elif case == "no hash":
        raw = "&".join(p for p in raw.split("&") if not p.startswith("hash="))
    elif case == "twice":
        raw += "&auth_date=1000001"
    elif case == "expired":
        now += 13 * 3600
    elif case == "future":
        now -= 3600
    elif case == "empty":
        raw = ""
    with pytest.raises(InitDataRefused) as exc:
        check_init_data(raw, TOKEN, now)
    expected = "sheet_auth_expired" if case in ("expired", "future") else "sheet_auth_failed"
    assert str(exc.value) == t(expected)


# --- one state with the chat --------------------------------------------------------------------


async def test_start_in_chat_finish_in_the_app_then_kirim_once(harness: Harness, tmp_path: Path):
    """The head answers two indicators in chat; the page shows them, saves the rest (a
    second device sees the draft), and [Kirim] twice with one key submits once: one
    Kasubag notice, one audit entry, the summary in the chat."""
    h = harness
    heads = add_big_sections(h, tmp_path)
    o = await flows.setup_office(h)
    async with web_app(h) as root:
        await flows.start_collection(h, o)
        head = heads["ekbang"]
        assert "🧾 Buka formulir" in h.fake.last(head.chat).buttons  # beside [Isi sekarang]
        await h.say(head, "/isi")
        assert "🧾 Buka formulir" in h.buttons(head)
        await flows.answer(h, head, "92")
        await flows.answer(h, head, "10", "Dua usaha belum mendaftar ulang.")
        sub = submission(h, "ekbang").id
        page = Page(h, root, head, sub)
        form = (await page.open()).json()["form"]
        by_code = {i["code"]: i for i in form["indicators"]}
        assert len(by_code) == 10 and by_code["EKB-1"]["value"] == "92"
        assert by_code["EKB-2"]["explanation"] == "Dua usaha belum mendaftar ulang."
        assert by_code["EKB-2"]["done"] and not by_code["EKB-3"]["done"]

        # a draft of five more; the other device (a second page) sees it
        draft = {k: ALL_MET[k] for k in ("EKB-3", "EKB-4", "EKB-5", "EKB-6", "EKB-7")}
        got = await page.save(draft)
        assert got.status_code == 200, got.text
        assert got.json()["message"] == t("sheet_saved", n=5)
        other = Page(h, root, head, sub)
        seen = {i["code"]: i["value"] for i in (await other.open()).json()["form"]["indicators"]}
        assert seen["EKB-5"] == "3" and seen["EKB-8"] == ""

        # a value below target without explanation: saved as a draft, but not submittable
        got = await page.save({"EKB-8": "7"}, op="submit")
        assert got.status_code == 409
        assert got.json()["message"].startswith("Belum dapat dikirim: EKB-8, EKB-9, EKB-10")
        rest = {"EKB-8": "7", "EKB-8:why": "Cuaca buruk, dua kegiatan ditunda.", "EKB-9": "260"}
        rest["EKB-10"] = "100"
        key = secrets.token_urlsafe(12)
        # the same press sent twice at once (a double tap, a retried request): one body
        body = await page.prepare(rest, op="submit", key=key)
        first, again = await asyncio.gather(page.send(body), page.send(body))
        assert first.status_code == again.status_code == 200, (first.text, again.text)
        closed = t("form_closed", section="Seksi Ekonomi dan Pembangunan", status="")
        assert first.json()["closed"].startswith(closed.rstrip("."))
        await h.settle()
        await other.close()
        await page.close()

    assert submission(h, "ekbang").status == "submitted"
    got_answers = answers(h, sub)
    assert got_answers["EKB-8"].explanation == "Cuaca buruk, dua kegiatan ditunda."
    assert all(a.done for a in got_answers.values())
    notices = [m.text or "" for m in h.fake.messages(o.kasubag.chat)]
    assert sum("Data Seksi Ekonomi dan Pembangunan" in m for m in notices) == 1
    with h.db.transaction() as s:
        audits = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "section_submitted")
        )
    assert audits == 1
    summary = h.last(head)
    assert summary.startswith("📄 Ringkasan Seksi Ekonomi dan Pembangunan")
    assert "EKB-8" in summary and "Cuaca buruk" in summary and "dikirim ke Kasubag" in summary
    # the chat form ended with it: its old buttons say so, /isi says the section is in
    assert "sudah dikirim" in (await h.say(head, "/isi"))[-1]


async def test_refused_as_the_chat_refuses(harness: Harness, tmp_path: Path):
    """Another person's section, a bad value, an unconfirmed odd value, a section already
    accepted: refused in Indonesian, nothing changed."""
    h = harness
    heads = add_big_sections(h, tmp_path)
    o = await flows.setup_office(h)
    async with web_app(h) as root:
        await flows.start_collection(h, o)
        sub = submission(h, "ekbang").id
        stranger = Page(h, root, heads["perek"], sub)
        got = await stranger.open()
        assert got.status_code == 403
        assert got.json()["error"] == t(
            "form_not_your_section", section="Seksi Ekonomi dan Pembangunan"
        )
        page = Page(h, root, heads["ekbang"], sub)
        got = await page.save({"EKB-1": "sembilan puluh"})
        assert got.status_code == 409 and got.json()["message"].startswith("EKB-1: Jawaban harus")
        got = await page.save({"EKB-1": "200"})  # capaian 222%: to be confirmed first
        assert got.status_code == 409 and "tidak seperti biasanya" in got.json()["message"]
        assert all(a.realisation is None for a in answers(h, sub).values())  # nothing kept
        got = await page.save({**ALL_MET, "EKB-2": "10", "EKB-2:why": "Ada kendala."}, "submit")
        assert got.status_code == 200, got.text
        await h.settle()
        await flows.accept(h, o)
        got = await page.open()
        assert got.status_code == 403
        assert got.json()["error"].endswith("sudah diterima.")
        await stranger.close()
        await page.close()


async def test_a_kirim_recorded_before_a_crash_is_handled_after_it_once(
    harness: Harness, tmp_path: Path
):
    """The request was recorded, the process died before handling it: after the restart it
    is handled once, and the page's retry (same key) finds the section sent."""
    h = harness
    heads = add_big_sections(h, tmp_path)
    o = await flows.setup_office(h)
    head = heads["ekbang"]
    async with web_app(h) as root:
        await flows.start_collection(h, o)
        sub = submission(h, "ekbang").id
        page = Page(h, root, head, sub)
        form = (await page.open()).json()["form"]
        await page.close()
    answers_ = [
        {"indicator": i["id"], "value": ALL_MET[i["code"]], "explanation": ""}
        for i in form["indicators"]
    ]
    web = {"app": "form", "op": "submit", "sub": sub, "answers": answers_}
    ext = f"{head.id}:crash-key-1"
    assert h.rt is not None
    await h.rt.stop()  # the process is gone; only its inbox row was written
    h.rt.inbox.record(
        "miniapp", [(ext, f"tg:{head.id}", {"ext": ext, "user": head.id, "web": web})]
    )
    h.rt = None
    await h.start_bot()
    await h.settle()
    assert submission(h, "ekbang").status == "submitted"
    async with web_app(h) as root:
        page = Page(h, root, head, sub)
        body = {"sub": sub, "op": "submit", "key": "crash-key-1", "answers": answers_}
        got = await page.http.post("api/simpan", json={**body, "initData": page.init()})
        assert got.status_code == 200 and got.json()["form"] is None
        await page.close()
    await h.settle()
    notices = [m.text or "" for m in h.fake.messages(o.kasubag.chat)]
    assert sum("Data Seksi Ekonomi dan Pembangunan" in m for m in notices) == 1
    with h.db.transaction() as s:
        rows = s.scalars(select(InboxUpdate.status).where(InboxUpdate.channel == "miniapp")).all()
    assert rows == ["done"]


async def test_whatsapp_keeps_the_chat_form(wa_harness: Harness):
    """A message with [Buka formulir] reaches a WhatsApp head without it (Telegram only)."""
    from bot.messaging.outbox import chat_buttons, web_app_button

    rows = [[["📝 Isi sekarang", "tok"], web_app_button("🧾 Buka formulir", "https://x/")]]
    assert chat_buttons(rows) == [[["📝 Isi sekarang", "tok"]]]
    assert chat_buttons([[web_app_button("🧾 Buka formulir", "https://x/")]]) == []
    assert wa_harness.rt is not None
    wa = wa_harness.rt.whatsapp
    assert wa is not None
    body = wa._interactive("Formulir", rows)
    assert body["type"] == "interactive"
    assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == [
        "📝 Isi sekarang"
    ]


async def test_bad_requests_are_answered_4xx(harness: Harness, tmp_path: Path):
    """Not JSON, no initData, a bad key, an unknown operation or submission, a file of a
    type the office does not take or over the limit: a clear 4xx, nothing recorded."""
    h = harness
    heads = add_big_sections(h, tmp_path)
    o = await flows.setup_office(h)
    async with web_app(h) as root:
        await flows.start_collection(h, o)
        sub = submission(h, "ekbang").id
        page = Page(h, root, heads["ekbang"], sub)
        http = page.http
        assert (await http.post("api/buka", content=b"{not json")).status_code == 400
        assert (await http.post("api/buka", json={"sub": sub})).status_code == 401
        init = page.init()
        got = await http.post(
            "api/simpan", json={"sub": sub, "op": "save", "key": "x", "initData": init}
        )
        assert got.status_code == 400
        body = {"sub": sub, "op": "hapus", "key": "k" * 12, "initData": init}
        assert (await http.post("api/simpan", json=body)).status_code == 400
        got = await http.post("api/buka", json={"sub": "99999999999999999999", "initData": init})
        assert got.status_code == 403 and got.json()["error"] == t("sheet_unknown")
        headers = {"X-Telegram-Init-Data": init, "X-Key": "k" * 12, "X-Sub": str(sub)}
        got = await http.post(
            "api/bukti", content=b"MZ", headers={**headers, "X-Name": "virus.exe"}
        )
        assert got.status_code == 415 and "virus.exe" in got.json()["error"]
        assert h.rt is not None
        h.rt.core.files.max_bytes = 1_048_576  # the office's limit, 1 MB here
        big = {**headers, "X-Name": "besar.pdf"}
        got = await http.post("api/bukti", content=b"%PDF" + b"0" * 1_048_576, headers=big)
        assert got.status_code == 413 and "1 MB" in got.json()["error"]
        await page.close()
    with h.db.transaction() as s:
        recorded = s.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.channel == "miniapp")
        )
    assert recorded == 0
