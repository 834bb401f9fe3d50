"""`sakip-bot` command line: run the bot, migrate the database, import an office, invite
people, appoint acting officials, export a round, and run the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import or_, select

from bot.settings import Settings, SettingsError, load_settings
from bot.texts import t


def _settings() -> Settings:
    """The settings; from here on no log line shows a token, secret or password."""
    from bot.logsafe import install_log_redaction

    try:
        settings = load_settings()
    except SettingsError as exc:
        _die(t("cli_bad_setting", error=str(exc)))
        raise  # unreachable
    install_log_redaction(settings.secret_values())
    return settings


def _die(line: str, code: int = 2) -> None:
    print(line, file=sys.stderr)
    raise SystemExit(code)


@contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached or opened ends in one line naming DATABASE_URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (SQLAlchemyError, OSError, ImportError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
        url = make_url(settings.db_url).render_as_string(hide_password=True)
        _die(t("cli_db_unreachable", url=url, error=reason[0]))


def _db(settings: Settings, auto_upgrade: bool = False):  # type: ignore[no-untyped-def]
    from db.engine import Database
    from db.migrate import is_up_to_date, upgrade

    with _database_errors(settings):
        db = Database(settings.db_url)
        if not is_up_to_date(db.engine):
            if auto_upgrade and not settings.database_url:
                upgrade(settings.db_url)  # the embedded SQLite default keeps itself current
            else:
                _die(t("cli_schema_old"))
    return db


def cmd_db(args: argparse.Namespace) -> None:
    from db.engine import make_engine
    from db.migrate import current_revision, head_revision, upgrade

    s = _settings()
    with _database_errors(s):
        if args.action == "upgrade":
            upgrade(s.db_url)
            print(t("cli_db_upgraded", rev=head_revision(s.db_url)))
        else:
            print(
                t(
                    "cli_db_current",
                    rev=current_revision(make_engine(s.db_url)) or "-",
                    head=head_revision(s.db_url),
                )
            )


def cmd_office_import(args: argparse.Namespace) -> None:
    """Import an office file; a bad file lists each error on one line, exit 1, no change."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.clock import SystemClock
    from bot.office.load import OfficeFileError, import_file

    s = _settings()
    db = _db(s, auto_upgrade=True)
    try:
        with db.transaction() as session:
            res = import_file(session, Path(args.file), SystemClock().now())
    except OfficeFileError as exc:
        if len(exc.errors) == 1:
            _die(t("cli_import_failed", file=args.file, error=exc.errors[0]), code=1)
        lines = [t("cli_import_failed_many", file=args.file, n=len(exc.errors))]
        _die("\n".join(lines + [f"  {e}" for e in exc.errors]), code=1)
        return
    except SQLAlchemyError as exc:  # the database refused what validation let through
        error = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _die(t("cli_import_db_refused", file=args.file, error=error), code=1)
        return
    if not res.changed:
        print(t("cli_import_unchanged", file=args.file))
    else:
        fmt = lambda d: ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "-"  # noqa: E731
        print(
            t("cli_import_done", file=args.file, created=fmt(res.created), updated=fmt(res.updated))
        )


def cmd_kabupaten_import(args: argparse.Namespace) -> None:
    from bot.clock import SystemClock
    from bot.office.kabupaten import import_file
    from bot.office.load import OfficeFileError

    s = _settings()
    db = _db(s, auto_upgrade=True)
    try:
        with db.transaction() as session:
            res = import_file(session, Path(args.file), SystemClock().now())
    except OfficeFileError as exc:
        _die(t("cli_import_failed", file=args.file, error=str(exc)))
        return
    if not res.changed:
        print(t("cli_import_unchanged", file=args.file))
    else:
        fmt = lambda d: ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "-"  # noqa: E731
        print(
            t("cli_import_done", file=args.file, created=fmt(res.created), updated=fmt(res.updated))
        )


def _find_person(session, query: str, office_code: str | None):  # type: ignore[no-untyped-def]
    from db.models import Office, Person

    stmt = select(Person).where(or_(Person.nip == query, Person.name.ilike(f"%{query}%")))
    if office_code:
        stmt = stmt.join(Office).where(Office.code == office_code)
    found = list(session.scalars(stmt))
    if not found:
        _die(t("cli_person_none", query=query))
    if len(found) > 1:
        _die(
            t("cli_person_many", query=query, names="; ".join(f"{p.name} ({p.nip})" for p in found))
        )
    return found[0]


def cmd_invite(args: argparse.Namespace) -> None:
    from bot.clock import SystemClock
    from bot.features.people import create_invitation

    s = _settings()
    db = _db(s, auto_upgrade=True)
    username = s.telegram_bot_username or _bot_username(s)
    with db.transaction() as session:
        person = _find_person(session, args.person, args.office)
        inv = create_invitation(session, person, SystemClock().now(), s.invite_days)
        print(t("cli_invite", name=person.name, days=s.invite_days))
        if username:
            print(f"https://t.me/{username}?start={inv.token}")
        else:  # the code still works: /start CODE on Telegram, or the code on WhatsApp
            print(t("cli_no_username", token=inv.token), file=sys.stderr)
        print(t("cli_invite_code", token=inv.token))


def _bot_username(s: Settings) -> str | None:
    """Ask the Bot API (getMe) for the bot's username when it is not configured."""
    import httpx

    try:
        s.require_token()
        r = httpx.get(f"{s.telegram_base_url}{s.telegram_bot_token}/getMe", timeout=10)
        return str(r.json()["result"]["username"])
    except Exception:
        return None


def cmd_acting(args: argparse.Namespace) -> None:
    from bot.clock import SystemClock
    from bot.procedure.roles import POSITIONS, Role
    from db.models import Acting, AuditLog, Section

    s = _settings()
    db = _db(s, auto_upgrade=True)
    if args.role not in {r.value for r in POSITIONS}:
        _die(t("cli_acting_role", role=args.role, roles=", ".join(r.value for r in POSITIONS)))
    with db.transaction() as session:
        person = _find_person(session, args.person, args.office)
        section_id = None
        if args.role == Role.KEPALA_SEKSI:
            section_id = session.scalar(
                select(Section.id).where(
                    Section.office_id == person.office_id, Section.code == (args.section or "")
                )
            )
            if section_id is None:
                _die(t("cli_acting_section", section=args.section or "-"))
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
        if end < start:
            _die(t("cli_acting_dates"))
        session.add(
            Acting(
                office_id=person.office_id,
                role=args.role,
                section_id=section_id,
                person_id=person.id,
                kind=args.kind,
                start_date=start,
                end_date=end,
            )
        )
        session.add(
            AuditLog(
                office_id=person.office_id,
                action="acting_appointed",
                detail={
                    "person": person.id,
                    "role": args.role,
                    "start": args.start,
                    "end": args.end,
                    "kind": args.kind,
                },
                at=SystemClock().now(),
            )
        )
        print(
            t(
                "cli_acting_done",
                kind=args.kind,
                name=person.name,
                role=args.role,
                start=args.start,
                end=args.end,
            )
        )


def cmd_run(args: argparse.Namespace) -> None:
    s = _settings()
    try:
        s.require_token()
    except SettingsError as exc:
        _die(t("cli_bad_setting", error=str(exc)))
    if s.whatsapp_enabled and not s.whatsapp_app_secret:
        _die(
            t(
                "cli_bad_setting",
                error="WHATSAPP_APP_SECRET: required when WhatsApp is on "
                "(every webhook call's signature is checked with it)",
            )
        )
    if s.whatsapp_enabled and not s.whatsapp_template_reminder:
        print(t("cli_wa_no_template"), file=sys.stderr)
    _db(s, auto_upgrade=True).dispose()
    workers = int(getattr(args, "workers", 1) or 1)
    shared = bool(getattr(args, "shared", False)) or workers > 1 or args.role != "all"
    if shared and not s.db_url.startswith("postgresql"):
        _die(t("cli_shared_needs_postgres"))
    if workers > 1:
        from bot.supervisor import supervise

        raise SystemExit(supervise(workers, args.role))
    from bot.app import Runtime

    rt = Runtime(s, role=args.role, shared=shared)
    print(t("cli_running", api=s.telegram_api_url, db=s.db_url.split("@")[-1]), flush=True)
    if s.webhook_url or s.whatsapp_enabled or s.dashboard_url:
        serve(rt)
    else:
        asyncio.run(_run_until_signal(rt))


async def _run_until_signal(rt) -> None:  # type: ignore[no-untyped-def]
    """Start the runtime and keep it until SIGINT/SIGTERM, then stop it cleanly."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await rt.start()
    rt.freeze_startup_objects()
    await stop.wait()
    await rt.stop()


def serve(rt) -> None:  # type: ignore[no-untyped-def]
    """Webhook or WhatsApp mode: one ASGI app (handlers/web.py) around the runtime."""
    import contextlib

    import uvicorn

    from handlers.web import create_app

    @contextlib.asynccontextmanager
    async def lifespan(_app):  # type: ignore[no-untyped-def]
        await rt.start()
        rt.freeze_startup_objects()
        try:
            yield
        finally:
            await rt.stop()

    app = create_app(
        rt.settings,
        telegram_receive=rt.telegram.receive if rt.settings.webhook_url else None,
        whatsapp=rt.whatsapp,
        health=lambda: {
            "ok": True,
            "telegram": rt.started.is_set(),
            "whatsapp": rt.whatsapp is not None,
        },
        lifespan=lifespan,
        extra_routes=rt.web_routes(),
    )
    uvicorn.run(
        app, host=rt.settings.listen_host, port=rt.settings.listen_port, log_level="warning"
    )


def cmd_export(args: argparse.Namespace) -> None:
    from bot.reports.archive import export_round_cli

    s = _settings()
    export_round_cli(_db(s), s, args.round, Path(args.output) if args.output else None)


def cmd_lkjip(args: argparse.Namespace) -> None:
    from bot.reports.lkjip_data import lkjip_cli

    lkjip_cli(_db(_settings()), args.office, args.year, Path(args.output) if args.output else None)


def cmd_demo(args: argparse.Namespace) -> None:
    from bot.tools.demo import main as demo_main

    demo_main(Path(args.output))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sakip-bot", description=t("cli_description"))
    sub = p.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="jalankan bot")
    run.add_argument(
        "--role",
        choices=["all", "worker"],
        default="all",
        help="all: semua tugas (memimpin bila bisa); worker: hanya menangani pembaruan",
    )
    run.add_argument("--workers", type=int, default=1, help="jumlah proses (PostgreSQL)")
    run.add_argument(
        "--shared", action="store_true", help="berbagi inbox dengan proses lain (PostgreSQL)"
    )
    run.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="basis data")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=cmd_db)
    office = sub.add_parser("office", help="data kantor")
    office_sub = office.add_subparsers(dest="office_cmd", required=True)
    imp = office_sub.add_parser("import", help="impor kantor dari berkas YAML")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_office_import)
    kab = sub.add_parser("kabupaten", help="pemantau kabupaten dan kecamatan yang dipantaunya")
    kab_sub = kab.add_subparsers(dest="kabupaten_cmd", required=True)
    kab_imp = kab_sub.add_parser("import", help="impor pemantau kabupaten dari berkas YAML")
    kab_imp.add_argument("file")
    kab_imp.set_defaults(func=cmd_kabupaten_import)
    inv = sub.add_parser("invite", help="buat tautan undangan Telegram untuk pegawai")
    inv.add_argument("person", help="NIP atau nama")
    inv.add_argument("--office", help="kode kantor, jika nama sama di beberapa kantor")
    inv.set_defaults(func=cmd_invite)
    act = sub.add_parser("acting", help="tunjuk Plt/Plh untuk suatu jabatan")
    act.add_argument("person", help="NIP atau nama pejabat pelaksana")
    act.add_argument("role", help="camat | sekretaris | kasubag_program | kepala_seksi")
    act.add_argument("--section", help="kode seksi (untuk kepala_seksi)")
    act.add_argument("--kind", choices=["Plt", "Plh"], default="Plh")
    act.add_argument("--start", required=True, help="YYYY-MM-DD")
    act.add_argument("--end", required=True, help="YYYY-MM-DD")
    act.add_argument("--office")
    act.set_defaults(func=cmd_acting)
    exp = sub.add_parser("export", help="ekspor arsip satu putaran (ZIP)")
    exp.add_argument("round", type=int)
    exp.add_argument("--output")
    exp.set_defaults(func=cmd_export)
    lk = sub.add_parser(
        "lkjip", help="Bab III LKjIP setahun dari putaran yang disetujui (DOCX, XLSX)"
    )
    lk.add_argument("office", help="kode kantor, mis. astambul")
    lk.add_argument("year", type=int, help="tahun, mis. 2026")
    lk.add_argument("--output", help="folder keluaran (bawaan: lkjip_KANTOR_TAHUN)")
    lk.set_defaults(func=cmd_lkjip)
    demo = sub.add_parser("demo", help="demo satu putaran lengkap tanpa Telegram")
    demo.add_argument("--output", default="demo-output")
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
