"""The read-only web dashboard (Starlette, server-rendered HTML that works on a phone and a
desktop): the offices a person may see, each round's SOP steps against the standard, capaian
per section and indicator, late sections, the report PDFs/XLSX and the archive ZIP.

Sign-in without passwords: `/dasbor` in chat gives a one-time link (10 minutes, used once);
opening it and pressing "Masuk" starts a session (cookie, DASHBOARD_SESSION_HOURS). Every
page and file checks, with the person's roles of today, what they may see (bot/monitoring.py).
The numbers come from `report_data` and the charts from the same code as the chat's.

`dashboard_routes(db, settings, clock, files)` returns the routes (mounted at /dasbor); the
bot's web app mounts them next to the webhooks.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot.capaian import category
from bot.clock import Clock
from bot.files import FileStore
from bot.fmt import format_datetime_id, format_number_id
from bot.monitoring import can_download, can_see, visible_offices
from bot.rekap import build_rekap, default_period, label, periods_of, round_data
from bot.roles import ROLE_LABELS, Role, roles_of
from bot.settings import Settings
from bot.sop import STATE_TEXT
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
        self.secure = settings.dashboard_url.startswith("https://")

    # --- rendering ----------------------------------------------------------------------
    def page(
        self, name: str, status: int = 200, person: Person | None = None, **ctx: Any
    ) -> HTMLResponse:
        roles = ""
        if person is not None:
            have = roles_of(ctx.pop("_s"), person, self._today(person)) if "_s" in ctx else set()
            roles = ", ".join(ROLE_LABELS[r] for r in Role if r in have)
        html = self.env.get_template(name).render(person=person, roles=roles, **ctx)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def message(self, heading: str, text: str, status: int, **ctx: Any) -> HTMLResponse:
        return self.page("message.html", status, heading=heading, text=text, **ctx)

    def refuse(self) -> HTMLResponse:
        return self.message(t("dash_refused_title"), t("dash_forbidden"), 403)

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
            secure=self.secure,
        )
        return response

    def sign_out(self, request: Request) -> Response:
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
        with self.db.transaction() as s:
            person = self.signed_in(request, s)
            if person is None:
                return self.need_sign_in()
            office = s.scalar(select(Office).where(Office.code == request.path_params["code"]))
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
        self, request: Request, s: Session
    ) -> tuple[Person | None, CollectionRound | None, Response | None]:
        person = self.signed_in(request, s)
        if person is None:
            return None, None, self.need_sign_in()
        rnd = s.get(CollectionRound, request.path_params["round_id"])
        if rnd is None or not can_see(s, person, rnd.office_id, self._today(person)):
            return person, None, self.refuse()
        return person, rnd, None

    def round(self, request: Request) -> Response:
        with self.db.transaction() as s:
            person, rnd, refused = self._round(request, s)
            if refused is not None or rnd is None or person is None:
                return refused or self.refuse()
            office = s.get(Office, rnd.office_id)
            assert office is not None
            today = self._today(person)
            data = round_data(s, rnd, self.calendar_for(office), self.clock.now())
            versions = s.scalars(
                select(ReportVersion)
                .where(ReportVersion.round_id == rnd.id)
                .order_by(ReportVersion.version.desc())
            ).all()
            latest = versions[0] if versions else None
            charts = sorted((latest.files.get("charts") or {}) if latest else {})
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
                may_download=can_download(s, person, rnd.office_id, "report", today),
                may_archive=rnd.state == "approved"
                and can_download(s, person, rnd.office_id, "archive", today),
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
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    def report_file(self, request: Request) -> Response:
        with self.db.transaction() as s:
            person, rnd, refused = self._round(request, s)
            if refused is not None or rnd is None or person is None:
                return refused or self.refuse()
            if not can_download(s, person, rnd.office_id, "report", self._today(person)):
                return self.refuse()
            version = s.scalar(
                select(ReportVersion).where(
                    ReportVersion.round_id == rnd.id,
                    ReportVersion.version == request.path_params["version"],
                )
            )
            if version is None:
                return self.refuse()
            ext = request.path_params["ext"]
            if ext not in ("pdf", "xlsx"):
                return self.refuse()
            final = version.files.get(f"final_{ext}")
            file_id = final or version.files.get(ext)
            period = rnd.period.replace("-", "_").lower()
            name = f"laporan_{period}_v{version.version}{'_final' if final else ''}.{ext}"
            mime = "application/pdf" if ext == "pdf" else XLSX
            return self._send_stored(s, file_id, name, mime)

    def chart_file(self, request: Request) -> Response:
        with self.db.transaction() as s:
            person, rnd, refused = self._round(request, s)
            if refused is not None or rnd is None:
                return refused or self.refuse()
            version = s.scalar(
                select(ReportVersion)
                .where(ReportVersion.round_id == rnd.id)
                .order_by(ReportVersion.version.desc())
            )
            charts = (version.files.get("charts") or {}) if version else {}
            file_id = charts.get(request.path_params["name"])
            row = s.get(StoredFile, file_id) if file_id else None
            if row is None:
                return self.refuse()
            return Response(self.files.absolute(row).read_bytes(), media_type="image/png")

    def archive(self, request: Request) -> Response:
        from bot.archive import ArchiveError, build_zip

        with self.db.transaction() as s:
            person, rnd, refused = self._round(request, s)
            if refused is not None or rnd is None or person is None:
                return refused or self.refuse()
            if not can_download(s, person, rnd.office_id, "archive", self._today(person)):
                return self.refuse()
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
        from bot.reports.rekap import rekap_chart

        with self.db.transaction() as s:
            person = self.signed_in(request, s)
            if person is None:
                return self.need_sign_in()
            offices = visible_offices(s, person, self._today(person))
            if not offices:
                return self.refuse()
            period = request.path_params["period"]
            rekap = build_rekap(s, offices, period, self.calendar_for, self.clock.now())
        tmp_root = Path(self.settings.data_dir) / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
            path = rekap_chart(rekap, label(period), Path(tmp) / "rekap.png")
            return Response(
                path.read_bytes(), media_type="image/png", headers={"Cache-Control": "no-store"}
            )


def dashboard_routes(
    db: Database, settings: Settings, clock: Clock, files: FileStore
) -> list[BaseRoute]:
    """The dashboard's routes, mounted at /dasbor (DASHBOARD_URL points here)."""
    d = Dashboard(db, settings, clock, files)
    return [
        Mount(
            PREFIX,
            routes=[
                Route("/", d.home),
                Route("/masuk/{token}", d.sign_in_page, methods=["GET"]),
                Route("/masuk/{token}", d.sign_in, methods=["POST"]),
                Route("/keluar", d.sign_out, methods=["POST"]),
                Route("/kantor/{code}", d.office),
                Route("/putaran/{round_id:int}", d.round),
                Route(
                    "/putaran/{round_id:int}/laporan-v{version:int}.{ext:str}",
                    d.report_file,
                ),
                Route("/putaran/{round_id:int}/grafik-{name}.png", d.chart_file),
                Route("/putaran/{round_id:int}/arsip.zip", d.archive),
                Route("/grafik/rekap-{period}.png", d.rekap_chart),
            ],
        )
    ]
