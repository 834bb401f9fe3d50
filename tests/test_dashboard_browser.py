"""The dashboard in a real browser: the system's headless Chromium driven by Playwright.
Sign in by the one-time link, see two offices, open a round, download its PDF; a reused or
expired link is refused. Screenshots are kept under test-artifacts/ (phone and desktop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness import Harness
from tests.kabupaten import build_world, dashboard_server, sign_in_link

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)",
)


async def test_dashboard_in_a_real_browser(harness: Harness):
    from playwright.async_api import async_playwright

    h = harness
    w = await build_world(h)
    ARTIFACTS.mkdir(exist_ok=True)
    async with dashboard_server(h), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            desk = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await desk.new_page()
            link = await sign_in_link(h, w.monitor_all)
            await page.goto(link)
            await page.click("#masuk")
            offices = page.locator("#offices tbody tr")
            assert await offices.count() == 2
            text = await page.locator("#offices").inner_text()
            assert "Kecamatan Astambul" in text and "Kecamatan Martapura" in text
            assert "Seksi Pelayanan Umum" in text  # late in Martapura
            await page.locator("img.chart").evaluate("img => img.decode()")
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            await (
                page.locator("#offices tbody tr", has_text="Astambul")
                .get_by_role("link", name="Buka")
                .click()
            )
            steps = await page.locator("#steps").inner_text()
            assert "Membentuk tim" in steps and "30 menit" in steps
            assert "Seksi Pemerintahan" in await page.locator("#sections").inner_text()
            await page.screenshot(path=str(ARTIFACTS / "dashboard_round.png"), full_page=True)
            async with page.expect_download() as info:
                await page.locator("#berkas a", has_text="PDF").first.click()
            download = await info.value
            saved = ARTIFACTS / download.suggested_filename
            await download.save_as(saved)
            assert saved.read_bytes()[:5] == b"%PDF-"
            assert download.suggested_filename.endswith("_final.pdf")

            # a phone: the same pages, narrow
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
            )
            mobile = await phone.new_page()
            await mobile.goto(await sign_in_link(h, w.monitor_a))
            await mobile.click("#masuk")
            assert await mobile.locator("#offices tbody tr").count() == 1  # Astambul only
            await mobile.locator("img.chart").evaluate("img => img.decode()")
            await mobile.screenshot(path=str(ARTIFACTS / "dashboard_phone.png"), full_page=True)

            # the used link again, in a fresh browser: refused
            other = await (await browser.new_context()).new_page()
            await other.goto(link)
            assert "sudah dipakai" in await other.locator("main").inner_text()
            assert await other.locator("#masuk").count() == 0
            # an expired link: refused
            late = await sign_in_link(h, w.monitor_all)
            h.clock.advance(minutes=11)
            await other.goto(late)
            assert "kedaluwarsa" in await other.locator("main").inner_text()
            await other.screenshot(path=str(ARTIFACTS / "dashboard_expired.png"))
        finally:
            await browser.close()
