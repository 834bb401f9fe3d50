"""Every route of the bot's web app (handlers/web.py: the Telegram and WhatsApp webhooks,
/healthz and the dashboard), every method, as a stranger, with a bad signature (or secret,
or session cookie) and with a malformed body or parameter: a 4xx, never a 500, nothing
recorded and no error logged. The app is served by uvicorn as `sakip-bot run` serves it."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import func, select

from db.models import InboxUpdate
from handlers.web import create_app
from tests.harness import Harness
from tests.kabupaten import serve

SECRET = "rahasia-webhook"
GOOD = "good"  # the body is signed correctly / the right secret token is sent
BAD = "bad"  # a wrong signature, secret token or session cookie
NONE = "none"  # a stranger: no credentials at all

NOT_JSON = b"{not json"
NOT_AN_UPDATE = b'{"update_id": "satu"}'
WA_WRONG_SHAPE = b'{"object": "whatsapp_business_account", "entry": 5}'
A_ROUND = "/dasbor/putaran/1"
HUGE = "99999999999999999999"

# (method, path, credentials, body, expected status)
ROUTES: list[tuple[str, str, str, bytes, int]] = [
    # the health check answers anyone, and only GET
    ("GET", "/healthz", NONE, b"", 200),
    ("POST", "/healthz", NONE, b"", 405),
    ("DELETE", "/healthz", NONE, b"", 405),
    # the Telegram webhook: its secret token, then a JSON update
    ("POST", "/telegram", NONE, b"{}", 403),
    ("POST", "/telegram", BAD, b"{}", 403),
    ("POST", "/telegram", GOOD, NOT_JSON, 400),
    ("POST", "/telegram", GOOD, b"[]", 400),
    ("POST", "/telegram", GOOD, NOT_AN_UPDATE, 400),
    ("POST", "/telegram", GOOD, b"\xff\xfe", 400),
    ("GET", "/telegram", NONE, b"", 405),
    ("PUT", "/telegram", GOOD, b"{}", 405),
    # the WhatsApp webhook: the verification handshake, then signed bodies
    ("GET", "/whatsapp", NONE, b"", 403),
    ("GET", "/whatsapp?hub.mode=subscribe&hub.verify_token=salah", BAD, b"", 403),
    ("POST", "/whatsapp", NONE, b"{}", 401),
    ("POST", "/whatsapp", BAD, b"{}", 401),
    ("POST", "/whatsapp", GOOD, NOT_JSON, 400),
    ("POST", "/whatsapp", GOOD, WA_WRONG_SHAPE, 400),
    ("POST", "/whatsapp", GOOD, b"\xff\xfe", 400),
    ("DELETE", "/whatsapp", NONE, b"", 405),
    # the dashboard: signed out, a forged session, malformed parameters, wrong methods
    ("GET", "/dasbor/", NONE, b"", 401),
    ("GET", "/dasbor/", BAD, b"", 401),
    ("POST", "/dasbor/", NONE, b"", 405),
    ("GET", "/dasbor/kantor/astambul", NONE, b"", 401),
    ("GET", "/dasbor/kantor/astambul", BAD, b"", 401),
    ("GET", "/dasbor/kantor/%00", NONE, b"", 404),
    ("GET", A_ROUND, NONE, b"", 401),
    ("GET", A_ROUND, BAD, b"", 401),
    ("GET", f"/dasbor/putaran/{HUGE}", BAD, b"", 404),
    ("PUT", A_ROUND, BAD, b"", 405),
    ("GET", f"{A_ROUND}/laporan-v1.pdf", BAD, b"", 401),
    ("GET", f"{A_ROUND}/laporan-v{HUGE}.pdf", NONE, b"", 404),
    ("GET", f"{A_ROUND}/laporan-v1.exe", NONE, b"", 404),
    ("GET", f"{A_ROUND}/grafik-sections.png", BAD, b"", 401),
    ("GET", f"{A_ROUND}/grafik-%00.png", NONE, b"", 404),
    ("GET", f"{A_ROUND}/arsip.zip", BAD, b"", 401),
    ("GET", f"/dasbor/putaran/{HUGE}/arsip.zip", NONE, b"", 404),
    ("POST", f"{A_ROUND}/arsip.zip", NONE, b"", 405),
    ("GET", "/dasbor/grafik/rekap-2026-Q3.png", BAD, b"", 401),
    ("GET", "/dasbor/grafik/rekap-2026-Q9.png", NONE, b"", 404),
    ("GET", "/dasbor/masuk/" + "a" * 32, NONE, b"", 404),  # well-formed, unknown
    ("POST", "/dasbor/masuk/" + "a" * 32, NONE, b"", 404),
    ("POST", "/dasbor/masuk/%00", NONE, b"", 404),
    ("POST", "/dasbor/masuk/" + "a" * 32, BAD, b"", 403),  # cross-site (see `credentials`)
    ("DELETE", "/dasbor/masuk/" + "a" * 32, NONE, b"", 405),
    ("GET", "/dasbor/keluar", NONE, b"", 405),
    ("POST", "/dasbor/keluar", BAD, b"", 403),
    ("GET", "/dasbor/tidak-ada", NONE, b"", 404),
    ("GET", "/tidak-ada", NONE, b"", 404),
]


def credentials(h: Harness, path: str, kind: str, body: bytes) -> dict[str, str]:
    """The headers of a caller: none, wrong ones, or right ones for the route."""
    assert h.wa is not None
    if kind == NONE:
        return {}
    if path.startswith("/telegram"):
        return {"x-telegram-bot-api-secret-token": SECRET if kind == GOOD else "salah"}
    if path.startswith("/whatsapp"):
        return {"x-hub-signature-256": h.wa.sign(body) if kind == GOOD else "sha256=" + "0" * 64}
    # the dashboard: a session cookie nobody was given; a POST from another site
    return {"cookie": "sakip_dasbor=" + "x" * 43, "origin": "https://evil.example"}


def recorded(h: Harness) -> int:
    with h.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(InboxUpdate)) or 0


async def test_every_route_and_method_answers_4xx_never_500(
    wa_harness: Harness, caplog: pytest.LogCaptureFixture
):
    h = wa_harness
    assert h.rt is not None
    rt = h.rt
    app = create_app(
        rt.settings.model_copy(update={"webhook_secret": SECRET}),
        telegram_receive=rt.telegram.receive,
        whatsapp=rt.whatsapp,
        health=lambda: {"ok": True},
        extra_routes=rt.web_routes(),
    )
    before = recorded(h)
    got: dict[str, int] = {}
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as web:
        for method, path, kind, body, _ in ROUTES:
            headers = credentials(h, path, kind, body)
            r = await web.request(method, path, content=body or None, headers=headers)
            got[f"{method} {path} ({kind})"] = r.status_code
    want = {f"{m} {p} ({k})": status for m, p, k, _, status in ROUTES}
    assert got == want
    assert recorded(h) == before  # nothing refused was recorded
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
