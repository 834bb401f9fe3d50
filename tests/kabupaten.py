"""Shared moves for the kabupaten tests: a second office, the kabupaten's monitors, a round
in each office, and the dashboard served on 127.0.0.1 (as the bot's web app would serve it)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.files import FileStore
from bot.office.kabupaten import import_file as import_kabupaten
from bot.office.load import import_file as import_office
from handlers.dashboard import dashboard_routes
from tests import flows
from tests.harness import Harness, User

ROOT = Path(__file__).resolve().parents[1]
SECOND = ROOT / "examples" / "martapura.yaml"
KABUPATEN = ROOT / "examples" / "banjar-kabupaten.yaml"
MONITOR_ALL = "197404042000031001"  # follows every kecamatan
MONITOR_A = "198205052006042002"  # follows Astambul only
B_NIP = {k: v[:-3] + f"{int(v[-3:]) + 500:03d}" for k, v in flows.NIP.items()}
LINK = re.compile(r"https?://\S+/masuk/\S+")


@dataclass
class World:
    a: flows.Office  # Kecamatan Astambul
    b: flows.Office  # Kecamatan Martapura
    monitor_all: User
    monitor_a: User
    stranger: User


def office_b(h: Harness) -> flows.Office:
    return flows.Office(
        camat=h.user(B_NIP["camat"]),
        sek=h.user(B_NIP["sekretaris"]),
        kasubag=h.user(B_NIP["kasubag"]),
        tim=[h.user(B_NIP[k]) for k in ("tim1", "tim2", "tim3")],
        heads={k: h.user(B_NIP[k]) for k in flows.SECTIONS},
    )


async def build_world(h: Harness, rounds: bool = True) -> World:
    """Two offices and the kabupaten; with `rounds`, an approved round in Astambul and a
    round in Martapura whose report is drafted with one section late."""
    with h.db.transaction() as s:
        import_office(s, SECOND, h.clock.now())
        import_kabupaten(s, KABUPATEN, h.clock.now())
    a = await flows.setup_office(h)
    b = office_b(h)
    w = World(a, b, h.user(MONITOR_ALL), h.user(MONITOR_A), h.stranger())
    if rounds:
        await flows.complete_round(h, a)
        await flows.request_round(h, b)
        await flows.form_team(h, b)
        await flows.confirm_plan(h, b)
        for key in ("pem", "trantib", "pmd", "kesos"):
            await flows.fill_section(h, b.heads[key], flows.VALUES[key])
            await flows.accept(h, b)
        h.clock.advance(days=5)  # Pelayanan Umum answers late
        await flows.fill_section(h, b.heads["pu"], ["70", "500", "3"])
        await flows.accept(h, b)
    return w


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def dashboard_server(h: Harness) -> AsyncIterator[str]:
    """Serve the dashboard's routes on 127.0.0.1; yield the DASHBOARD_URL and make the
    running bot's `/dasbor` links point there."""
    assert h.rt is not None
    settings = h.rt.core.settings
    files = FileStore(settings.data_dir, settings.max_file_mb * 1_048_576)
    async with serve(Starlette(routes=dashboard_routes(h.db, settings, h.clock, files))) as base:
        settings.dashboard_url = f"{base}/dasbor"
        yield settings.dashboard_url


async def sign_in_link(h: Harness, user: User) -> str:
    replies = await h.say(user, "/dasbor")
    found = LINK.search("\n".join(replies))
    assert found, replies
    return found.group(0)
