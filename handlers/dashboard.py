"""The read-only web dashboard (Starlette, server-rendered HTML that works on a phone and a
desktop): the offices a person may see, each round's SOP steps against the standard, capaian
per section and indicator, late sections, the report PDFs/XLSX and the archive ZIP.

Sign-in without passwords: `/dasbor` in chat gives a one-time link (10 minutes, used once);
opening it and pressing "Masuk" starts a session (cookie, DASHBOARD_SESSION_HOURS). Every
page and file checks, with the person's roles of today, what they may see (bot/office/monitoring.py);
a change of those rights ends the person's sessions (`end_dashboard_access`).
The numbers come from `report_data` and the charts from the same code as the chat's.

Hardening, after OWASP's cheat sheets for a session-cookie web app behind a reverse proxy:
every path parameter is checked where it enters (a malformed or out-of-range one is 404,
never a database error); "Masuk" and "Keluar" refuse a browser's cross-site POST (the
Sec-Fetch-Site / Origin check against DASHBOARD_URL's origin: login CSRF); every response
carries a Content-Security-Policy of `default-src 'self'` (the stylesheet is a file, no
inline style or script), refuses framing, `nosniff`, no referrer (the sign-in URL holds the
token) and `Cache-Control: no-store` (every page and file is private).

`dashboard_routes(db, settings, clock, files)` returns the routes (mounted at /dasbor); the
bot's web app mounts them next to the webhooks.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.clock import Clock
from bot.files import FileStore
from bot.fmt import format_datetime_id, format_number_id
from bot.office.monitoring import RoundAccess, RoundRight, can_see, round_access, visible_offices
from bot.procedure.capaian import category
from bot.procedure.roles import ROLE_LABELS, Role, roles_of
from bot.procedure.sop import STATE_TEXT
from bot.reports.rekap_data import build_rekap, default_period, label, periods_of, round_data
from bot.settings import Settings
from bot.texts import t
from db.engine import Database
from db.models import (
    CollectionRound,
    DashboardLink,
    DashboardSession,
    Office,
    Person,
    ReportVersion,
    StoredFile,
)

PREFIX = "/dasbor"
COOKIE = "sakip_dasbor"
TEMPLATES = Path(__file__).parent / "dashboard_templates"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a path parameter may be; anything else names nothing (404) and never reaches the
# database. Ids are the database's integer (PostgreSQL `integer`); a larger one would not
# even convert (an OverflowError, a 500).
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")  # secrets.token_urlsafe(24) is 32 of these
_CODE = re.compile(r"[a-z0-9_-]{1,64}")  # an office code (bot/office/schema.py)
_CHART = re.compile(r"[a-z0-9_]{1,64}")  # a report chart's name (bot/reports/charts.py)
_PERIOD = re.compile(r"[0-9]{4}(-Q[1-4])?")  # "2026" or "2026-Q3"
_EXTS = {"pdf": "application/pdf", "xlsx": XLSX}

# On every dashboard response (OWASP HTTP Headers cheat sheet). The pages load nothing from
# elsewhere and have no inline style or script; `frame-ancestors` and X-Frame-Options keep
# Masuk and Keluar from being framed (clickjacking); no referrer: a sign-in page's URL
# holds its token.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def db_id(text: str) -> int | None:
    """A path's id as the database's integer; None when malformed or out of range."""
    if not _DIGITS.fullmatch(text):
        return None
    n = int(text)
    return n if 1 <= n <= MAX_ID else None


def origin_of(url: str) -> str:
    """ "https://Bot.Example:443/dasbor" → "https://bot.example" (as a browser's Origin)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


class SecurityHeaders:
    """ASGI middleware around the dashboard's routes: `SECURITY_HEADERS` on every response
    (refusals, 404s and 405s of the router too), HSTS when the public address is HTTPS, and
    `Cache-Control: no-store` unless the response says otherwise (only the stylesheet does)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if self.settings.dashboard_url.startswith("https://"):
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _pct(x: Decimal | None) -> str:
    return "-" if x is None else f"{format_number_id(x)}%"


def _cls(x: Decimal | None) -> str:
    """The colour rule of the charts: below target red, met green, no data grey."""
    if x is None:
        return "none"
    return "good" if x >= 100 else "bad"


class Dashboard:
    """The dashboard's pages; one instance per web app."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, files: FileStore) -> None:
        from bot.core import Core

        self.db, self.settings, self.clock, self.files = db, settings, clock, files
        self.calendar_for = Core(db, settings, clock).calendar_for
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
        self.env.globals.update(t=t, pct=_pct, cls=_cls, num=format_number_id, root=PREFIX)
        self.env.globals["state_text"] = lambda s: STATE_TEXT.get(s, s)
        self.css = (TEMPLATES / "dasbor.css").read_bytes()

    # --- rendering ----------------------------------------------------------------------
    def page(
        self, name: str, status: int = 200, person: Person | None = None, **ctx: Any
    ) -> HTMLResponse:
        roles = ""
        if person is not None:
            have = roles_of(ctx.pop("_s"), person, self._today(person)) if "_s" in ctx else set()
            roles = ", ".join(ROLE_LABELS[r] for r in Role if r in have)
        html = self.env.get_template(name).render(person=person, roles=roles, **ctx)
        return HTMLResponse(html, status_code=status)

    def message(self, heading: str, text: str, status: int, **ctx: Any) -> HTMLResponse:
        return self.page("message.html", status, heading=heading, text=text, **ctx)

    def refuse(self) -> HTMLResponse:
        return self.message(t("dash_refused_title"), t("dash_forbidden"), 403)

    def not_found(self) -> HTMLResponse:
        """A path parameter that names nothing: malformed, or out of the database's range."""
        return self.message(t("dash_not_found_title"), t("dash_not_found"), 404)

    def no_route(self, _: Request, exc: Exception) -> Response:
        """The router's own answers, as pages (with the headers of every response): no
        such page (404), or a method the page does not take (405, with its `Allow`)."""
        if getattr(exc, "status_code", 404) != 405:
            return self.not_found()
        page = self.message(t("dash_refused_title"), t("dash_bad_method"), 405)
        page.headers.update(getattr(exc, "headers", None) or {})
        return page

    def stylesheet(self, _: Request) -> Response:
        return Response(self.css, media_type="text/css", headers={"Cache-Control": "no-cache"})

    def _today(self, person: Person) -> Any:
        return self.calendar_for(person.office).local(self.clock.now()).date()

    def _when(self, person: Person) -> Any:
        tz = person.office.timezone
        return lambda dt: format_datetime_id(dt, tz) if dt else "-"

    # --- sessions -----------------------------------------------------------------------
    def signed_in(self, request: Request, s: Session) -> Person | None:
        """The person of a live session whose account is still active; None otherwise."""
        secret = request.cookies.get(COOKIE)
        if not secret:
            return None
        row = s.scalar(
            select(DashboardSession).where(DashboardSession.secret_hash == _hash(secret))
        )
        now = self.clock.now()
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        person = s.get(Person, row.person_id)
        return person if person is not None and person.active else None

    def need_sign_in(self) -> HTMLResponse:
        return self.message(t("dash_sign_in_title"), t("dash_need_sign_in"), 401)

    def cross_site(self, request: Request) -> bool:
        """A browser's POST sent from another site (OWASP CSRF cheat sheet: verify the
        origin with standard headers). Sec-Fetch-Site, where the browser sends it, says
        so itself; else the Origin (or the Referer) must be the dashboard's public origin,
        DASHBOARD_URL's, not the Host a reverse proxy forwards. A request with none of the
        three is no browser's (every current browser sends Origin on a POST): no forgery."""
        site = request.headers.get("sec-fetch-site")
        if site is not None:
            return site not in ("same-origin", "none")
        origin = request.headers.get("origin")
        if origin is None:
            referer = request.headers.get("referer")
            if referer is None:
                return False
            origin = origin_of(referer)
        public = self.settings.dashboard_url or str(request.base_url)
        return origin.lower() != origin_of(public)

    def refuse_cross_site(self) -> HTMLResponse:
        return self.message(t("dash_refused_title"), t("dash_cross_site"), 403)

    # --- sign-in ------------------------------------------------------------------------
    def _link_problem(self, link: DashboardLink | None, now: datetime) -> HTMLResponse | None:
        if link is None:
            return self.message(t("dash_refused_title"), t("dash_link_unknown"), 404)
        if link.used_at is not None:
            return self.message(t("dash_refused_title"), t("dash_link_used"), 410)
        if link.expires_at <= now:
            with self.db.transaction() as s:
                person = s.get(Person, link.person_id)
                tz = person.office.timezone if person else self.settings.timezone
            text = t("dash_link_expired", expires=format_datetime_id(link.expires_at, tz))
            return self.message(t("dash_refused_title"), text, 410)
        return None

    def sign_in_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        if not _TOKEN.fullmatch(token):
            return self.message(t("dash_refused_title"), t("dash_link_unknown"), 404)
        with self.db.transaction() as s:
            link = s.scalar(select(DashboardLink).where(DashboardLink.token == _hash(token)))
            problem = self._link_problem(link, self.clock.now())
            if problem is not None or link is None:
                return problem or self.refuse()
            person = s.get(Person, link.person_id)
            name = person.name if person else "-"
        # a page with a button, not a sign-in on GET: chat apps fetch links for previews
        return self.message(
            t("dash_sign_in_title"),
            t("dash_sign_in_text", name=name),
            200,
            confirm_action=f"{PREFIX}/masuk/{token}",
        )

    def sign_in(self, request: Request) -> Response:
        token = request.path_params["token"]
        if not _TOKEN.fullmatch(token):
            return self.message(t("dash_refused_title"), t("dash_link_unknown"), 404)
        if self.cross_site(request):
            return self.refuse_cross_site()
        now = self.clock.now()
        with self.db.transaction() as s:
            link = s.scalar(
                select(DashboardLink).where(DashboardLink.token == _hash(token)).with_for_update()
            )
            problem = self._link_problem(link, now)
            if problem is not None or link is None:
                return problem or self.refuse()
            # single use, also against two presses at once: only one UPDATE finds it unused
            claimed = s.execute(
                update(DashboardLink)
                .where(DashboardLink.id == link.id, DashboardLink.used_at.is_(None))
                .values(used_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return self.message(t("dash_refused_title"), t("dash_link_used"), 410)
            person = s.get(Person, link.person_id)
            if person is None or not visible_offices(s, person, self._today(person)):
                return self.message(t("dash_refused_title"), t("dash_no_offices"), 403)
            secret = secrets.token_urlsafe(32)
            hours = self.settings.dashboard_session_hours
            s.add(
                DashboardSession(
                    secret_hash=_hash(secret),
                    person_id=link.person_id,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        response.set_cookie(
            COOKIE,
            secret,
            max_age=hours * 3600,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=self.settings.dashboard_url.startswith("https://"),
        )
        return response

    def sign_out(self, request: Request) -> Response:
        if self.cross_site(request):
            return self.refuse_cross_site()
        secret = request.cookies.get(COOKIE)
        if secret:
            with self.db.transaction() as s:
                s.execute(
                    update(DashboardSession)
                    .where(DashboardSession.secret_hash == _hash(secret))
                    .values(ended_at=self.clock.now())
                )
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # --- pages --------------------------------------------------------------------------
    def home(self, request: Request) -> Response:
        with self.db.transaction() as s:
            person = self.signed_in(request, s)
            if person is None:
                return self.need_sign_in()
            today = self._today(person)
            offices = visible_offices(s, person, today)
            if not offices:
                return self.message(t("dash_refused_title"), t("dash_no_offices"), 403)
            ids = [o.id for o in offices]
            periods = periods_of(s, ids)
            period = request.query_params.get("periode") or default_period(s, ids, today)
            if period not in periods:
                period = default_period(s, ids, today)
            rekap = build_rekap(s, offices, period, self.calendar_for, self.clock.now())
            return self.page(
                "home.html",
                person=person,
                _s=s,
                rekap=rekap,
                period=period,
                period_label=label(period),
                periods=[(p, label(p)) for p in periods],
            )

    def office(self, request: Request) -> Response:
        code = request.path_params["code"]
        if not _CODE.fullmatch(code):
            return self.not_found()
        with self.db.transaction() as s:
            person = self.signed_in(request, s)
            if person is None:
                return self.need_sign_in()
            office = s.scalar(select(Office).where(Office.code == code))
            if office is None or not can_see(s, person, office.id, self._today(person)):
                return self.refuse()
            rounds = s.scalars(
                select(CollectionRound)
                .where(CollectionRound.office_id == office.id)
                .order_by(CollectionRound.id.desc())
            ).all()
            return self.page(
                "office.html",
                person=person,
                _s=s,
                office=office,
                rounds=rounds,
                when=self._when(person),
            )

    def _round(
        self, request: Request, s: Session, need: RoundRight = "page"
    ) -> tuple[Person, CollectionRound, RoundAccess] | Response:
        """The signed-in person, the round of the path and what they may have of it (the
        one rule of bot/office/monitoring.py), when that includes `need`; else the answer: 404,
        401 or 403."""
        round_id = db_id(request.path_params["round_id"])
        if round_id is None:
            return self.not_found()
        person = self.signed_in(request, s)
        if person is None:
            return self.need_sign_in()
        rnd = s.get(CollectionRound, round_id)
        if rnd is None:
            return self.refuse()
        access = round_access(s, person, rnd.office_id, self._today(person))
        if not (access.page and getattr(access, need)):
            return self.refuse()
        return person, rnd, access

    def round(self, request: Request) -> Response:
        with self.db.transaction() as s:
            found = self._round(request, s)
            if isinstance(found, Response):
                return found
            person, rnd, access = found
            office = s.get(Office, rnd.office_id)
            assert office is not None
            data = round_data(s, rnd, self.calendar_for(office), self.clock.now())
            versions = s.scalars(
                select(ReportVersion)
                .where(ReportVersion.round_id == rnd.id)
                .order_by(ReportVersion.version.desc())
            ).all()
            latest = versions[0] if versions else None
            # the report's charts are the report's: shown to whom its files are
            charts = sorted(latest.files.get("charts") or {}) if latest and access.report else []
            return self.page(
                "round.html",
                person=person,
                _s=s,
                office=office,
                rnd=rnd,
                data=data,
                late=[sec.name for sec in data.sections if sec.late_working_days > 0],
                versions=versions,
                charts=charts,
                may_download=access.report,
                may_archive=rnd.state == "approved" and access.archive,
                when=self._when(person),
                # the step's time in its SOP unit, the figure the PDF and /status show
                duration=lambda st: st.used_text or "-",
                category=category,
            )

    def _send_stored(self, s: Session, file_id: int | None, name: str, mime: str) -> Response:
        row = s.get(StoredFile, file_id) if file_id else None
        if row is None:
            return self.refuse()
        content = self.files.absolute(row).read_bytes()
        return Response(
            content,
            media_type=mime,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def report_file(self, request: Request) -> Response:
        number, ext = db_id(request.path_params["version"]), request.path_params["ext"]
        if number is None or ext not in _EXTS:
            return self.not_found()
        with self.db.transaction() as s:
            found = self._round(request, s, "report")
            if isinstance(found, Response):
                return found
            rnd = found[1]
            version = s.scalar(
                select(ReportVersion).where(
                    ReportVersion.round_id == rnd.id, ReportVersion.version == number
                )
            )
            if version is None:
                return self.refuse()
            final = version.files.get(f"final_{ext}")
            file_id = final or version.files.get(ext)
            period = rnd.period.replace("-", "_").lower()
            name = f"laporan_{period}_v{version.version}{'_final' if final else ''}.{ext}"
            return self._send_stored(s, file_id, name, _EXTS[ext])

    def chart_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not _CHART.fullmatch(name):
            return self.not_found()
        with self.db.transaction() as s:
            found = self._round(request, s, "report")
            if isinstance(found, Response):
                return found
            rnd = found[1]
            version = s.scalar(
                select(ReportVersion)
                .where(ReportVersion.round_id == rnd.id)
                .order_by(ReportVersion.version.desc())
            )
            charts = (version.files.get("charts") or {}) if version else {}
            file_id = charts.get(name)
            row = s.get(StoredFile, file_id) if file_id else None
            if row is None:
                return self.refuse()
            return Response(self.files.absolute(row).read_bytes(), media_type="image/png")

    def archive(self, request: Request) -> Response:
        from bot.reports.archive import ArchiveError, build_zip

        with self.db.transaction() as s:
            found = self._round(request, s, "archive")
            if isinstance(found, Response):
                return found
            rnd = found[1]
            tmp_root = Path(self.settings.data_dir) / "tmp"
            tmp_root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
                out = Path(tmp) / "arsip.zip"
                try:
                    build_zip(s, Path(self.settings.data_dir), rnd, out, self.clock.now())
                except ArchiveError as exc:
                    return self.message(t("dash_refused_title"), str(exc), 409)
                content = out.read_bytes()
        name = f"arsip_{rnd.period.replace('-', '_')}_putaran{rnd.id}.zip"
        return Response(
            content,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def rekap_chart(self, request: Request) -> Response:
        period = request.path_params["period"]
        if not _PERIOD.fullmatch(period):
            return self.not_found()
        with self.db.transaction() as s:
            person = self.signed_in(request, s)
            if person is None:
                return self.need_sign_in()
            offices = visible_offices(s, person, self._today(person))
            if not offices:
                return self.refuse()
            rekap = build_rekap(s, offices, period, self.calendar_for, self.clock.now())
        from bot.reports.rekap import rekap_chart  # matplotlib: loaded once someone may see it

        tmp_root = Path(self.settings.data_dir) / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
            path = rekap_chart(rekap, label(period), Path(tmp) / "rekap.png")
            return Response(path.read_bytes(), media_type="image/png")


def dashboard_routes(
    db: Database, settings: Settings, clock: Clock, files: FileStore
) -> list[BaseRoute]:
    """The dashboard's routes, mounted at /dasbor (DASHBOARD_URL points here)."""
    d = Dashboard(db, settings, clock, files)
    # parameters are plain strings here, checked by each page (`db_id` and the patterns
    # above): Starlette's `int` takes any number of digits. An app of its own, so that its
    # router's 404 and 405 are answered inside `SecurityHeaders` too.
    app = Starlette(
        routes=[
            Route("/", d.home),
            Route("/dasbor.css", d.stylesheet),
            Route("/masuk/{token}", d.sign_in_page, methods=["GET"]),
            Route("/masuk/{token}", d.sign_in, methods=["POST"]),
            Route("/keluar", d.sign_out, methods=["POST"]),
            Route("/kantor/{code}", d.office),
            Route("/putaran/{round_id}", d.round),
            Route("/putaran/{round_id}/laporan-v{version}.{ext}", d.report_file),
            Route("/putaran/{round_id}/grafik-{name}.png", d.chart_file),
            Route("/putaran/{round_id}/arsip.zip", d.archive),
            Route("/grafik/rekap-{period}.png", d.rekap_chart),
        ],
        middleware=[Middleware(SecurityHeaders, settings=settings)],
        exception_handlers={404: d.no_route, 405: d.no_route},
    )
    return [Mount(PREFIX, app=app)]
