"""The demo's Mini App scene: the bot's web app served on 127.0.0.1, and one section head
filling the whole section on the page that [Buka formulir] opens. The page's requests are
sent as its script sends them, with `initData` signed as Telegram's app signs it (the demo
has no browser; tests/test_miniapp_browser.py drives the page itself in Chromium)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette

from bot.texts import t
from bot.tools.simulation import Simulation, User


@asynccontextmanager
async def web_app(sim: Simulation) -> AsyncIterator[str]:
    """Serve the bot's web app (dashboard and Mini App); its address is the bot's public one
    meanwhile, so the form's messages offer [Buka formulir]."""
    rt = sim.rt
    assert rt is not None
    config = uvicorn.Config(
        Starlette(routes=rt.web_routes()),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    root = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    before, rt.core.settings.dashboard_url = rt.core.settings.dashboard_url, f"{root}/dasbor"
    try:
        yield root
    finally:
        rt.core.settings.dashboard_url = before
        server.should_exit = True
        await task


def init_data(sim: Simulation, user: User) -> str:
    """What Telegram's app gives the page: the user, signed with the bot's token."""
    fields = {
        "auth_date": str(int(sim.clock.now().timestamp())),
        "user": json.dumps({"id": user.id, "first_name": user.name.split(",")[0]}),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    assert sim.rt is not None
    token = sim.rt.settings.telegram_bot_token
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def fill_in_page(
    sim: Simulation, user: User, who: str, values: list[tuple[str, str]], out: TextIO
) -> None:
    """`user` presses [Buka formulir] (their last such button), types every value on the
    page, with its explanation where the page asks for one (`values`: value, explanation
    or ""), and presses [Kirim]."""
    url = sim.fake.web_app_url(user.chat, t("btn_open_sheet"))
    print(f"  👤 {who} menekan [{t('btn_open_sheet')}] — formulir Mini App terbuka", file=out)
    sub = urlsplit(url).query.removeprefix("s=")
    page = url.split("?")[0]
    init = init_data(sim, user)
    async with httpx.AsyncClient(base_url=page, timeout=60) as http:
        form = (await http.post("api/buka", json={"sub": sub, "initData": init})).json()["form"]
        answers: list[dict[str, Any]] = []
        for ind, (value, why) in zip(form["indicators"], values, strict=True):
            answers.append({"indicator": ind["id"], "value": value, "explanation": why})
            said = f" — penjelasan: \u201c{why}\u201d" if why else ""
            print(f"     {ind['code']}: {value} {ind['unit']}{said}", file=out)
        body = {"sub": sub, "op": "submit", "key": secrets.token_urlsafe(12), "answers": answers}
        got = (await http.post("api/simpan", json={**body, "initData": init})).json()
    print(f"  👤 {who} menekan [{t('sheet_submit')}] di Mini App", file=out)
    print(f"  📱 Mini App: {got.get('message')}", file=out)
    await sim.settle()
