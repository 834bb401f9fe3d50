"""The Mini App in a real browser: the system's headless Chromium (Playwright), on a phone's
360-px screen, with `window.Telegram.WebApp` as Telegram's app gives it (initData signed
with the test token; telegram.org is not reached: its script is answered empty). A head
fills a ten-indicator section with one value below target and one photo and sends it; the
database, the Kasubag's notice and the chat's summary are checked. Forged and expired
initData get nothing. The page's capaian rules are run against bot/procedure/capaian.py's, and the
interactions of the chat form and of the page are counted for the same section."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.features.form import explanation_required
from bot.fmt import NumberParseError, format_percent_id, parse_number_id
from bot.procedure.capaian import Target, compute_capaian, looks_suspicious, target_status
from bot.texts import t
from db.models import Attachment, AuditLog, StoredFile
from tests import flows
from tests.harness import Harness
from tests.test_dashboard_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.test_miniapp import add_big_sections, answers, init_data, submission, web_app

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)",
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 3000 + b"\xff\xd9"
THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}
# EKB-1..10 (targets 90, 12, 80–90, 5 lower, 3 lower inverse, 400, 95, 10, 250, 100)
VALUES = ["92", "10", "85", "4", "3", "410", "96", "10", "260", "100"]  # EKB-2 below target


def telegram_stub(init: str) -> str:
    """Telegram.WebApp as the app gives it to the page (what the page uses of it)."""
    app = {"initData": init, "themeParams": THEME, "initDataUnsafe": {}}
    return (
        f"window.Telegram = {{WebApp: Object.assign({json.dumps(app)}, {{"
        "ready() {}, expand() {}, onEvent() {}, close() { window.closedByPage = true; }"
        "})};"
    )


async def phone(browser: Any, init: str | None) -> Any:
    """A page in a 360-px phone, as Telegram's in-app browser opens it."""
    ctx = await browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    await ctx.route(
        "https://telegram.org/**",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    if init is not None:
        await ctx.add_init_script(telegram_stub(init))
    page = await ctx.new_page()
    page.on("pageerror", lambda e: print("PAGEERROR", e))
    page.on("console", lambda m: print("CONSOLE", m.text))
    return page


async def launch(pw: Any) -> Any:
    return await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)


async def test_a_head_fills_ten_indicators_in_the_mini_app(harness: Harness, tmp_path: Path):
    from playwright.async_api import async_playwright

    h = harness
    heads = add_big_sections(h, tmp_path)
    o = await flows.setup_office(h)
    head = heads["ekbang"]
    ARTIFACTS.mkdir(exist_ok=True)
    async with web_app(h), async_playwright() as pw:
        await flows.start_collection(h, o)
        url = h.fake.web_app_url(head.chat, t("btn_open_sheet"))  # in the invitation
        browser = await launch(pw)
        try:
            page = await phone(browser, init_data(head, h.clock.now().timestamp()))
            await page.goto(url)
            cards = page.locator(".ind")
            await cards.nth(9).wait_for()
            assert await cards.count() == 10
            assert "Target Triwulan III 2026: 80–90 %" in await cards.nth(2).inner_text()
            for i, value in enumerate(VALUES):
                await cards.nth(i).locator("input[inputmode=decimal]").fill(value)
            below = cards.nth(1)
            assert await below.locator(".cap").inner_text() == (
                "→ capaian 83,33% — belum mencapai target"  # plainly, as the chat says it
            )
            # asked only where the chat asks: below target
            assert await below.locator("textarea").is_visible()
            assert not await cards.nth(0).locator("textarea").is_visible()
            await below.locator("textarea").fill("Dua usaha belum mendaftar ulang.")
            photo = cards.nth(5)
            await photo.locator("input.caption").fill("Foto rapat pembinaan")
            await photo.locator("input[type=file]").set_input_files(
                {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": JPEG}
            )
            await photo.locator("li", has_text="EKB-6_foto_").wait_for()
            # readable on a 360-px phone: nothing wider than the screen
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, width
            assert (
                await page.evaluate("getComputedStyle(document.body).backgroundColor")
                == "rgb(23, 33, 43)"
            )  # Telegram's theme colour
            await page.screenshot(path=str(ARTIFACTS / "miniapp.png"), full_page=True)
            await page.click("#kirim")
            await page.locator("#main", has_text="sudah dikirim ke Kasubag").wait_for()
            await page.screenshot(path=str(ARTIFACTS / "miniapp_sent.png"))

            # forged initData (another user's id under the old signature) and an expired one
            forged = init_data(head, h.clock.now().timestamp()).replace(str(head.id), "4242")
            bad = await phone(browser, forged)
            await bad.goto(url)
            await bad.locator("#main", has_text=t("sheet_auth_failed")).wait_for()
            assert await bad.locator(".ind").count() == 0
            old = await phone(browser, init_data(head, h.clock.now().timestamp() - 13 * 3600))
            await old.goto(url)
            await old.locator("#main", has_text=t("sheet_auth_expired")).wait_for()
            assert await old.locator(".ind").count() == 0
            outside = await phone(browser, None)  # not opened from Telegram
            await outside.goto(url)
            await outside.locator("#main", has_text=t("sheet_no_telegram")).wait_for()
        finally:
            await browser.close()
    await h.settle()

    sub = submission(h, "ekbang")
    assert sub.status == "submitted"
    got = answers(h, sub.id)
    assert [got[f"EKB-{n}"].realisation for n in range(1, 11)] == [Decimal(v) for v in VALUES]
    assert got["EKB-2"].explanation == "Dua usaha belum mendaftar ulang."
    assert all(a.done for a in got.values())
    with h.db.transaction() as s:
        files = s.execute(select(StoredFile.name, Attachment.description).join(Attachment)).all()
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert [d for _, d in files] == ["Foto rapat pembinaan"]
    assert files[0][0].startswith("EKB-6_foto_2026-11-23")
    assert actions.count("section_submitted") == 1 and "evidence_received" in actions
    notice = h.fake.last(o.kasubag.chat)
    assert notice is not None and notice.text is not None
    assert notice.text.startswith("📥 Data Seksi Ekonomi dan Pembangunan (Triwulan III 2026)")
    assert "EKB-6_foto_2026-11-23.jpg" in notice.text and "Dua usaha belum" in notice.text
    summary = h.last(head)
    assert summary.startswith("📄 Ringkasan Seksi Ekonomi dan Pembangunan")
    assert "⚠️ 10 unit / target 12 → capaian 83,33% — belum mencapai target" in summary
    assert "dikirim ke Kasubag Program" in summary


CASES = ["92,5", "1.250", "87.5", "0", "-3", "12", "10", "200", "0,005", "99,995", "3", "7"]
CASES += ["1.234.567", "2,5", "150", "14,3333", "6,66666", "Rp 1.000", "90%", " 4 ", "abc"]
CASES += ["1,2,3", "1.2.3", "", "−2", "+5", "0,0001", "100000000000000"]
TARGETS = [
    ("90", "90", "higher", "permenpan"),
    ("80", "90", "higher", "permenpan"),
    ("5", "5", "lower", "permenpan"),
    ("3", "3", "lower", "inverse"),
    ("0", "0", "higher", "permenpan"),
    ("0", "0", "lower", "permenpan"),
    ("12", "12", "higher", "permenpan"),
    ("2.5", "7.25", "lower", "permenpan"),
]


def python_rules(text: str, low: str, high: str, polarity: str, method: str) -> list[Any]:
    """What the chat says of a typed value (bot/fmt.py, bot/procedure/capaian.py, bot/features/form.py)."""
    try:
        value = parse_number_id(text)
    except NumberParseError:
        return ["not a number" if text.strip() else "empty"]
    cap = compute_capaian(value, Target(Decimal(low), Decimal(high)), polarity, method)  # type: ignore[arg-type]
    return [
        format_percent_id(cap),
        target_status(cap),
        explanation_required(cap),
        looks_suspicious(cap, value),
    ]


PAGE_RULES = """([cases, targets]) => {
  const S = window.SheetRules, out = [];
  for (const [lo, hi, pol, method] of targets) for (const text of cases) {
    const r = S.parse(text);
    if (r === undefined) { out.push(["not a number"]); continue; }
    if (r === null) { out.push(["empty"]); continue; }
    const h = S.capaian(r, S.scaled(lo), S.scaled(hi), pol, method);
    out.push([S.percent(h), S.words(h), S.required(h), S.suspicious(h, r)]);
  }
  return out;
}"""


async def test_the_pages_capaian_is_the_chats(harness: Harness, tmp_path: Path):
    """The page's capaian, words, explanation rule and unusual-value rule, for typed values
    against ranges, lower-is-better (both methods) and zero targets: as the Python's."""
    from playwright.async_api import async_playwright

    h = harness
    async with web_app(h) as root, async_playwright() as pw:
        browser = await launch(pw)
        try:
            page = await phone(browser, None)
            await page.goto(f"{root}/formulir/?s=1")
            got = await page.evaluate(PAGE_RULES, [CASES, TARGETS])
        finally:
            await browser.close()
    want = [python_rules(c, *tg) for tg in TARGETS for c in CASES]
    assert got == want


async def test_interactions_chat_form_and_mini_app(harness: Harness, tmp_path: Path):
    """Ten indicators, two explanations, two photos: what the head does and how many
    messages the chat gets, in the chat form (one section) and in the Mini App (the other).
    Counted: a message sent, a button pressed, a field filled, a file picked."""
    from playwright.async_api import async_playwright

    h = harness
    heads = add_big_sections(h, tmp_path)
    o = await flows.setup_office(h)
    values = ["92", "10", "85", "4", "3", "410", "96", "7", "260", "100"]  # 2 below target
    photos = {0, 5}

    chat_head = heads["perek"]
    async with web_app(h), async_playwright() as pw:
        await flows.start_collection(h, o)
        before = len(h.texts(chat_head))
        chat = 0
        await h.say(chat_head, "/isi")
        chat += 1
        for i, value in enumerate(values):
            if i in photos:
                await h.send_file(
                    chat_head, JPEG, "foto.jpg", "image/jpeg", photo=True, caption="Kegiatan"
                )
                chat += 1
            await h.say(chat_head, value)
            chat += 1
            if "(wajib)" in h.last(chat_head):
                await h.say(chat_head, "Kendala cuaca pada triwulan ini.")
                chat += 1
        await h.press(chat_head, "📤 Kirim")
        chat += 1
        chat_messages = len(h.texts(chat_head)) - before
        assert submission(h, "perek").status == "submitted"

        app_head = heads["ekbang"]
        before = len(h.texts(app_head))
        url = h.fake.web_app_url(app_head.chat, t("btn_open_sheet"))
        browser = await launch(pw)
        try:
            page = await phone(browser, init_data(app_head, h.clock.now().timestamp()))
            await page.goto(url)
            app = 1  # [Buka formulir]
            cards = page.locator(".ind")
            await cards.nth(9).wait_for()
            for i, value in enumerate(values):
                card = cards.nth(i)
                await card.locator("input[inputmode=decimal]").fill(value)
                app += 1
                if await card.locator("textarea").is_visible():
                    await card.locator("textarea").fill("Kendala cuaca pada triwulan ini.")
                    app += 1
                if i in photos:
                    await card.locator("input.caption").fill("Kegiatan")
                    await card.locator("input[type=file]").set_input_files(
                        {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": JPEG}
                    )
                    await card.locator("li").first.wait_for()
                    app += 2
            await page.click("#kirim")
            app += 1
            await page.locator("#main", has_text="sudah dikirim ke Kasubag").wait_for()
        finally:
            await browser.close()
    await h.settle()
    app_messages = len(h.texts(app_head)) - before
    assert submission(h, "ekbang").status == "submitted"
    print(
        f"\n10 indicators, 2 explanations, 2 photos — chat form: {chat} interactions, "
        f"{chat_messages} messages from the bot, one question at a time; Mini App: {app} "
        f"interactions (a caption is a field of its own), {app_messages} message (the "
        "summary), the whole section on one screen"
    )
    assert chat == 1 + len(values) + 2 + len(photos) + 1
    assert app == 1 + len(values) + 2 + 2 * len(photos) + 1
    assert chat_messages >= chat  # every step of the chat is answered by a message
    assert app_messages == 1  # the page answers itself; the chat gets the summary
