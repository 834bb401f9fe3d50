"""Benchmark (not a test): the Mini App's page on a phone. Its weight (the HTML, CSS and its
own script as served, before compression and gzipped; Telegram's telegram-web-app.js is not
ours and not counted) and, in the system's Chromium on a 360-px screen, the first paint and
the moment a ten-indicator section is on screen (the form read from the bot), over 5 loads.
Targets: weight under 60 KB, first paint under 1 s.

    python bench/bench_miniapp.py
"""

from __future__ import annotations

import asyncio
import gzip
import json
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bench.common import TOKEN, fresh_database, nip, office_yaml, settings_for  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.office.load import import_file  # noqa: E402
from bot.tools.simulation import Simulation  # noqa: E402
from db.engine import Database  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
LOADS = 5


def signed(user_id: int, when: float) -> str:
    """initData as Telegram signs it (the bench plays Telegram's app)."""
    import hashlib
    import hmac
    from urllib.parse import urlencode

    fields = {"auth_date": str(int(when)), "user": json.dumps({"id": user_id, "first_name": "K"})}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def open_round(sim: Simulation) -> None:
    """Step 1 to 3 by the bench office's people: the section's form goes out."""
    camat, sek, kasubag = (sim.user(nip(n)) for n in ("100", "101", "102"))
    await sim.say(camat, "/minta")
    await sim.press(camat, "Triwulan III 2026")
    await sim.press(camat, "Lanjut")
    await sim.press(camat, "3 hari kerja")
    await sim.press(camat, "✅ Kirim")
    await sim.press(sek, "💾 Simpan tim")
    await sim.press(kasubag, "✅ Setujui jadwal")


async def main() -> None:
    from playwright.async_api import async_playwright

    url = fresh_database("sqlite")
    settings = settings_for(url)
    clock = FakeClock(datetime(2026, 11, 23, tzinfo=UTC))
    db = Database(url)
    office = Path(tempfile.mkdtemp()) / "office.yaml"
    office.write_text(office_yaml(1, indicators=10))
    with db.transaction() as s:
        import_file(s, office, clock.now())
    sim = Simulation(settings, clock, db, TOKEN)
    await sim.start()
    assert sim.rt is not None
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=sim.rt.web_routes()),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    root = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    sim.rt.core.settings.dashboard_url = f"{root}/dasbor"  # where [Buka formulir] points
    head = sim.user(nip("200000"))
    await open_round(sim)
    page_url = sim.fake.web_app_url(head.chat, "🧾 Buka formulir")

    async with httpx.AsyncClient() as http:
        parts = {
            name: (await http.get(f"{root}/formulir/{name}")).content
            for name in ("", "app.css", "app.js")
        }
    raw = sum(len(b) for b in parts.values())
    packed = sum(len(gzip.compress(b)) for b in parts.values())

    paints, shown = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(LOADS):
            ctx = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
            await ctx.route(
                "https://telegram.org/**",
                lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
            )
            init = signed(head.id, clock.now().timestamp())
            app = {"initData": init, "themeParams": {}}
            await ctx.add_init_script(
                f"window.Telegram = {{WebApp: Object.assign({json.dumps(app)}, "
                "{ready() {}, expand() {}, onEvent() {}, close() {}})};"
                # the moment the tenth indicator is in the page, noted by the page itself
                "new MutationObserver(() => { if (!window.shownAt && "
                "document.querySelectorAll('.ind').length >= 10) "
                "window.shownAt = performance.now(); })"
                ".observe(document, {childList: true, subtree: true});"
            )
            page = await ctx.new_page()
            await page.goto(page_url)
            await page.locator(".ind").nth(9).wait_for()
            got = await page.evaluate(
                """() => ({
                  paint: performance.getEntriesByName('first-contentful-paint')[0].startTime,
                  shown: window.shownAt,
                })"""
            )
            paints.append(got["paint"])
            shown.append(got["shown"])
            await ctx.close()
        await browser.close()
    server.should_exit = True
    await serving
    await sim.stop()
    db.dispose()

    def ms(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.0f} ms, max {max(xs):.0f} ms"

    print("Mini App page (a section of 10 indicators), Chromium, 360 px:")
    print(
        f"  weight: HTML {len(parts['']) / 1024:.1f} KB + CSS {len(parts['app.css']) / 1024:.1f}"
        f" KB + own JS {len(parts['app.js']) / 1024:.1f} KB = {raw / 1024:.1f} KB "
        f"({packed / 1024:.1f} KB gzipped); target < 60 KB: {'ok' if raw < 60 * 1024 else 'OVER'}"
    )
    print(
        f"  first paint: {ms(paints)} over {LOADS} loads; target < 1 s: "
        f"{'ok' if max(paints) < 1000 else 'OVER'}"
    )
    print(f"  section on screen (form read from the bot): {ms(shown)}")


if __name__ == "__main__":
    asyncio.run(main())
