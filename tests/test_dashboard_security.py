"""The dashboard against an attacker from outside (issue 30): every path parameter checked
where it enters (404, never a 500), no cross-site sign-in or sign-out, the security headers
on every response, sessions that end with the rights they were opened with, no sign-in
token left in any table once its message is out, and one rule for a round's pages, files
and charts. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy import func, select

from bot.files import FileStore
from bot.office.kabupaten import import_file as import_kabupaten
from bot.office.load import import_file as import_office
from bot.office.monitoring import round_access
from bot.texts import t
from db.models import (
    Base,
    CollectionRound,
    DashboardLink,
    DashboardSession,
    Office,
    Outbox,
    Person,
)
from handlers.dashboard import dashboard_routes
from tests import flows
from tests.conftest import EXAMPLE
from tests.harness import Harness, User
from tests.kabupaten import (
    KABUPATEN,
    MONITOR_A,
    MONITOR_ALL,
    build_world,
    dashboard_server,
    sign_in_link,
)


def client(base: str) -> httpx.AsyncClient:
    """A browser stand-in; patient: a file or chart is built while it waits, on a busy host."""
    return httpx.AsyncClient(base_url=base, timeout=60)


async def sign_in(h: Harness, web: httpx.AsyncClient, base: str, user: User) -> None:
    link = await sign_in_link(h, user)
    r = await web.post(link.removeprefix(base))
    assert r.status_code == 303, r.text


def round_ids(h: Harness) -> dict[str, int]:
    with h.db.transaction() as s:
        return {
            s.get(Office, r.office_id).code: r.id  # type: ignore[union-attr]
            for r in s.scalars(select(CollectionRound))
        }


def header_problems(r: httpx.Response) -> list[str]:
    """What a dashboard response lacks of the headers every one of them must carry."""
    csp = r.headers.get("content-security-policy", "")
    want = {
        "CSP default-src 'self'": "default-src 'self'" in csp,
        "CSP frame-ancestors 'none'": "frame-ancestors 'none'" in csp,
        "X-Frame-Options DENY": r.headers.get("x-frame-options") == "DENY",
        "nosniff": r.headers.get("x-content-type-options") == "nosniff",
        "Referrer-Policy no-referrer": r.headers.get("referrer-policy") == "no-referrer",
    }
    if not r.url.path.endswith(".css"):  # everything but the stylesheet is private
        want["Cache-Control no-store"] = r.headers.get("cache-control") == "no-store"
    return [name for name, ok in want.items() if not ok]


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


# --- 1. every path parameter: malformed, out of range or huge → 404 -------------------------
BAD_PATHS = [
    "/putaran/99999999999999999999",
    "/putaran/9223372036854775808",
    "/putaran/2147483648",  # one past PostgreSQL's integer
    "/putaran/0",
    "/putaran/-1",
    "/putaran/1x",
    "/putaran/%D9%A1",  # an Arabic-Indic digit one: a digit to Python, not an id
    "/putaran/%C2%B2",  # "²"
    "/putaran/%00",
    "/putaran/{a}/laporan-v99999999999999999999.pdf",
    "/putaran/{a}/laporan-v9223372036854775808.xlsx",
    "/putaran/{a}/laporan-v0.pdf",
    "/putaran/{a}/laporan-v1.exe",
    "/putaran/{a}/laporan-v1.2.pdf",
    "/putaran/{a}/laporan-v%00.pdf",
    "/putaran/99999999999999999999/laporan-v1.pdf",
    "/putaran/99999999999999999999/arsip.zip",
    "/putaran/99999999999999999999/grafik-sections.png",
    "/putaran/{a}/grafik-%00.png",
    "/putaran/{a}/grafik-..%2f..%2fetc%2fpasswd.png",
    "/putaran/{a}/grafik-" + "x" * 3000 + ".png",
    "/grafik/rekap-2026-Q9.png",
    "/grafik/rekap-2026-Q0.png",
    "/grafik/rekap-99999.png",
    "/grafik/rekap-2026-q3.png",
    "/grafik/rekap-%00.png",
    "/kantor/%00",
    "/kantor/ASTAMBUL",
    "/kantor/" + "a" * 5000,
    "/masuk/%00",
    "/masuk/" + "A" * 5000,
    "/masuk/pendek",
]


async def test_a_malformed_or_huge_parameter_is_404_on_every_route(
    harness: Harness, caplog: pytest.LogCaptureFixture
):
    h = harness
    w = await build_world(h)
    paths = [p.format(a=round_ids(h)["astambul"]) for p in BAD_PATHS]
    async with dashboard_server(h) as base:
        for signed_in in (False, True):
            async with client(base) as web:
                if signed_in:  # a monitor who may see everything: still nothing to find
                    await sign_in(h, web, base, w.monitor_all)
                got = {p[:80]: (await web.get(p)).status_code for p in paths}
                got |= {
                    "POST " + p[:80]: (await web.post(p)).status_code
                    for p in paths
                    if p.startswith("/masuk/")
                }
                assert {k: v for k, v in got.items() if v != 404} == {}, signed_in
        async with client(base) as web:
            r = await web.get("/putaran/99999999999999999999")
            assert t("dash_not_found") in r.text and not header_problems(r)
    no_errors_logged(caplog)


# --- 3. the headers on every route ----------------------------------------------------------
def links(base: str, page: httpx.Response) -> set[str]:
    """The dashboard's own links and images on a page."""
    found = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    url = str(page.url)
    return {urljoin(url, x).removeprefix(base) for x in found if urljoin(url, x).startswith(base)}


async def test_security_headers_and_no_store_on_every_route(harness: Harness):
    h = harness
    w = await build_world(h)
    assert h.rt is not None
    settings = h.rt.core.settings
    files = FileStore(settings.data_dir, settings.max_file_mb * 1_048_576)
    mount = dashboard_routes(h.db, settings, h.clock, files)[0]
    patterns = {r.path: r.path_regex for r in mount.routes}  # type: ignore[attr-defined]
    seen: dict[str, int] = {}
    async with dashboard_server(h) as base, client(base) as web:

        def check(r: httpx.Response) -> None:
            assert r.status_code < 500, (r.url, r.status_code)
            assert not header_problems(r), (r.url, r.status_code, header_problems(r))
            path = r.url.path.removeprefix("/dasbor")
            for pattern, regex in patterns.items():
                if regex.match(path):
                    seen[pattern] = seen.get(pattern, 0) + 1

        check(await web.get("/"))  # 401: signed out
        check(await web.get("/tidak-ada"))  # the router's own 404
        check(await web.delete("/"))  # the router's own 405
        link = (await sign_in_link(h, w.monitor_all)).removeprefix(base)
        check(await web.get(link))  # the sign-in page
        r = await web.post(link)
        check(r)
        # every page, file and image the dashboard links to, as a monitor who sees them all
        todo, done = {"/"}, set()
        while todo:
            path = todo.pop()
            done.add(path)
            r = await web.get(path)
            check(r)
            if r.headers.get("content-type", "").startswith("text/html"):
                todo |= links(base, r) - done
        rb = round_ids(h)["martapura"]
        check(await web.get(f"/putaran/{rb}/arsip.zip"))  # refused: the round is not approved
        check(await web.post("/keluar"))
    assert set(seen) == set(patterns), set(patterns) - set(seen)
    files = [p for p in done if p.endswith((".pdf", ".xlsx", ".png", ".zip"))]
    assert {Path(p).suffix for p in files} == {".pdf", ".xlsx", ".png", ".zip"}, files


# --- 2. no cross-site sign-in or sign-out ---------------------------------------------------
async def test_a_cross_site_post_to_masuk_or_keluar_is_refused(harness: Harness):
    h = harness
    w = await build_world(h, rounds=False)

    def sessions() -> int:
        with h.db.transaction() as s:
            q = select(func.count()).where(DashboardSession.ended_at.is_(None))
            return s.scalar(q.select_from(DashboardSession)) or 0

    async with dashboard_server(h) as base, client(base) as web:
        link = (await sign_in_link(h, w.monitor_a)).removeprefix(base)
        origin = base.removesuffix("/dasbor")
        forged = [
            {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
            {"Origin": "https://evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},  # a neighbouring subdomain is another origin
            {"Origin": "null"},
            {"Referer": "https://evil.example/page"},
            {"Origin": origin.replace("127.0.0.1", "localhost")},
        ]
        for headers in forged:
            r = await web.post(link, headers=headers)
            assert r.status_code == 403 and t("dash_cross_site") in r.text, headers
            assert not header_problems(r)
        assert sessions() == 0
        # the link was not used up: the same browser signs in from the page itself
        r = await web.post(link, headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 303 and sessions() == 1
        assert (await web.get("/")).status_code == 200
        for headers in forged[:3]:
            r = await web.post("/keluar", headers=headers)
            assert r.status_code == 403 and t("dash_cross_site") in r.text
        assert sessions() == 1 and (await web.get("/")).status_code == 200
        assert (await web.post("/keluar", headers={"Origin": origin})).status_code == 303
        assert sessions() == 0 and (await web.get("/")).status_code == 401

        # behind a reverse proxy: the browser's origin is the public address (DASHBOARD_URL),
        # not the host the proxy forwards to
        assert h.rt is not None
        h.rt.core.settings.dashboard_url = "https://sakip.example.go.id/dasbor"
        link = (await sign_in_link(h, w.monitor_a)).rsplit("/dasbor", 1)[1]
        r = await web.post(link, headers={"Origin": origin})  # not the public origin
        assert r.status_code == 403
        r = await web.post(link, headers={"Origin": "https://sakip.example.go.id"})
        assert r.status_code == 303 and sessions() == 1
        cookie = r.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "max-age=31536000" in r.headers.get("strict-transport-security", "")


# --- 4. sessions end with the rights they were opened with ---------------------------------
def edited(tmp: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    out = tmp / source.name
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


async def test_deactivation_a_removed_role_or_new_offices_end_the_sessions(
    harness: Harness, tmp_path: Path
):
    h = harness
    w = await build_world(h, rounds=False)
    kasubag = flows.NIP["kasubag"]

    def live(nip: str) -> tuple[int, int]:
        """(live sessions, unused links still valid) of a person, in the database."""
        with h.db.transaction() as s:
            pid = s.scalar(select(Person.id).where(Person.nip == nip))
            now = h.clock.now()
            sessions = s.scalar(
                select(func.count())
                .select_from(DashboardSession)
                .where(DashboardSession.person_id == pid, DashboardSession.ended_at.is_(None))
            )
            links = s.scalar(
                select(func.count())
                .select_from(DashboardLink)
                .where(
                    DashboardLink.person_id == pid,
                    DashboardLink.used_at.is_(None),
                    DashboardLink.expires_at > now,
                )
            )
            return sessions or 0, links or 0

    def reimport(kind: str, path: Path) -> None:
        with h.db.transaction() as s:
            (import_kabupaten if kind == "kabupaten" else import_office)(s, path, h.clock.now())

    async with dashboard_server(h) as base:
        clients = {nip: client(base) for nip in (MONITOR_A, MONITOR_ALL)}
        clients[kasubag] = client(base)
        try:
            users = {MONITOR_A: w.monitor_a, MONITOR_ALL: w.monitor_all, kasubag: w.a.kasubag}
            for nip, web in clients.items():
                await sign_in(h, web, base, users[nip])
                assert (await web.get("/")).status_code == 200
            spare = (await sign_in_link(h, w.monitor_a)).removeprefix(base)
            assert live(MONITOR_A) == (1, 1)

            # the kabupaten file deactivates a monitor, then brings them back
            nip_a = f'nip: "{MONITOR_A}"'
            off = edited(tmp_path, KABUPATEN, nip_a, f"{nip_a}, active: false")
            reimport("kabupaten", off)
            assert live(MONITOR_A) == (0, 0)
            assert live(MONITOR_ALL) == (1, 0)  # nothing changed for the other monitor
            reimport("kabupaten", KABUPATEN)
            assert (await clients[MONITOR_A].get("/")).status_code == 401
            r = await clients[MONITOR_A].post(spare)  # issued before the deactivation
            assert r.status_code == 410 and live(MONITOR_A) == (0, 0)
            assert (await clients[MONITOR_ALL].get("/")).status_code == 200

            # a monitor's office list changes: sign in again
            fewer = edited(tmp_path, KABUPATEN, "offices: semua", "offices: [martapura]")
            reimport("kabupaten", fewer)
            assert live(MONITOR_ALL) == (0, 0)
            assert (await clients[MONITOR_ALL].get("/")).status_code == 401

            # the office file removes one of the Kasubag's roles
            roles = "roles: [kasubag_program, tim_sakip]"
            reimport("office", edited(tmp_path, EXAMPLE, roles, "roles: [tim_sakip]"))
            assert live(kasubag) == (0, 0)
            assert (await clients[kasubag].get("/")).status_code == 401
            # importing the same file again changes nothing and ends nothing
            await sign_in(h, clients[kasubag], base, w.a.kasubag)
            reimport("office", tmp_path / EXAMPLE.name)
            assert live(kasubag) == (1, 0)
        finally:
            for web in clients.values():
                await web.aclose()


# --- 5. no sign-in token at rest once its message is out ------------------------------------
def tables_holding(h: Harness, secret: str | re.Pattern[str]) -> list[str]:
    """Every table (every column, as text) whose rows contain `secret` (or match it)."""
    found = []
    with h.db.transaction() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                text = " ".join(str(value) for value in row)
                if (secret in text) if isinstance(secret, str) else secret.search(text):
                    found.append(table.name)
                    break
    return found


A_TOKEN = re.compile(r"/masuk/[A-Za-z0-9_-]{16,}")


async def test_no_table_holds_a_sign_in_token_once_its_message_is_out(harness: Harness):
    h = harness
    w = await build_world(h, rounds=False)
    async with dashboard_server(h) as base, client(base) as web:
        link = await sign_in_link(h, w.monitor_all)
        await h.settle()
        token = link.rsplit("/", 1)[1]
        assert tables_holding(h, token) == [] and tables_holding(h, A_TOKEN) == []
        assert tables_holding(h, t("dasbor_link_sent")) == ["outbox"]  # the masked copy
        # the link the person received still signs in, once
        assert (await web.post(link.removeprefix(base))).status_code == 303
        assert (await web.get("/")).status_code == 200
        assert tables_holding(h, token) == []

        # a link that could not be delivered (the monitor blocked the bot) is not kept either
        h.fake.block_bot(w.monitor_a.id)
        await h.say(w.monitor_a, "/dasbor")
        await h.settle()
        with h.db.transaction() as s:
            failed = s.scalars(select(Outbox.text).where(Outbox.status == "failed")).all()
        assert any(t("dasbor_link_sent") in (text or "") for text in failed), failed
        assert tables_holding(h, A_TOKEN) == []


# --- 6. one rule for a round's pages, files and charts --------------------------------------
async def test_one_rule_for_a_rounds_page_files_and_charts(harness: Harness):
    h = harness
    w = await build_world(h)
    ra = round_ids(h)["astambul"]
    people: dict[str, tuple[User, tuple[bool, bool, bool]]] = {
        # (page, report with its charts, archive)
        "camat A": (w.a.camat, (True, True, True)),
        "tim SAKIP A": (w.a.tim[1], (True, True, False)),
        "kasi A": (w.a.heads["pem"], (True, False, False)),
        "camat B": (w.b.camat, (False, False, False)),
        "pemantau A": (w.monitor_a, (True, True, True)),
    }
    with h.db.transaction() as s:
        office_a = s.scalar(select(Office.id).where(Office.code == "astambul"))
        assert office_a is not None
        for who, (user, want) in people.items():
            person = s.scalar(select(Person).where(Person.telegram_user_id == user.id))
            assert person is not None
            got = round_access(s, person, office_a, h.clock.now().date())
            assert (got.page, got.report, got.archive) == want, who
    async with dashboard_server(h) as base:
        for who, (user, (page, report, archive)) in people.items():
            async with client(base) as web:
                await sign_in(h, web, base, user)
                r = await web.get(f"/putaran/{ra}")
                assert (r.status_code == 200) == page, who
                charts = re.findall(r"/putaran/\d+/grafik-\w+\.png", r.text)
                assert bool(charts) == report, who
                chart = await web.get(
                    f"/putaran/{ra}/grafik-seksi.png"
                )  # the chart keys are Indonesian
                assert (chart.status_code == 200) == report, (who, chart.status_code)
                pdf = await web.get(f"/putaran/{ra}/laporan-v1.pdf")
                assert (pdf.status_code == 200) == report, who
                zip_ = await web.get(f"/putaran/{ra}/arsip.zip")
                assert (zip_.status_code == 200) == archive, who
                if report:
                    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
                    for c in charts:
                        assert (await web.get(c)).status_code == 200, c


# --- 3b. the policy in a real browser: nothing on the pages is blocked by it -------------------
async def test_pages_keep_to_their_content_security_policy_in_a_real_browser(harness: Harness):
    from tests.test_dashboard_browser import ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.async_api import async_playwright

    h = harness
    w = await build_world(h)
    ra = round_ids(h)["astambul"]
    async with dashboard_server(h) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await (await browser.new_context()).new_page()
            blocked: list[str] = []
            page.on(
                "console",
                lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
            )
            await page.goto(await sign_in_link(h, w.monitor_all))
            await page.click("#masuk")
            await page.goto(f"{base}/putaran/{ra}")
            await page.locator("img.chart").first.evaluate("img => img.decode()")
            # the stylesheet applied (the header's green), no inline style or script refused
            colour = await page.locator("header").evaluate(
                "e => getComputedStyle(e).backgroundColor"
            )
            assert colour == "rgb(20, 83, 45)" and blocked == [], (colour, blocked)
        finally:
            await browser.close()
