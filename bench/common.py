"""Shared by the benchmarks: a synthetic office of N sections, a fresh database, settings."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import text

from bot.settings import Settings, load_settings
from db.engine import Database
from db.migrate import upgrade

TOKEN = "123456:BENCH"
START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08.00 WITA


ROOT = Path(__file__).resolve().parents[1]


def compile_project() -> None:
    """Byte-compile the project's packages, as an installed service has them (pip compiles
    what it installs; a service writes its own `__pycache__` on its first start). Without
    this, a machine with PYTHONDONTWRITEBYTECODE=1 (this one) compiles every module of the
    bot on every start, and a benchmark's start-up and first updates measure the compiler."""
    import compileall

    for pkg in ("bot", "db", "handlers", "scheduler", "bench"):
        compileall.compile_dir(ROOT / pkg, quiet=1)


def nip(short: str) -> str:
    """An 18-digit NIP (the office file requires one) for a short bench id: "100", "200003"."""
    return short.zfill(18)


def office_yaml(n_sections: int, indicators: int = 3) -> str:
    people = [
        {"nip": nip("100"), "name": "Camat Bench", "position": "Camat", "roles": ["camat"]},
        {
            "nip": nip("101"),
            "name": "Sekretaris Bench",
            "position": "Sekretaris",
            "roles": ["sekretaris"],
        },
        {
            "nip": nip("102"),
            "name": "Kasubag Bench",
            "position": "Kasubag Program",
            "roles": ["kasubag_program", "tim_sakip"],
        },
    ]
    sections = []
    for i in range(n_sections):
        head = nip(f"2{i:05d}")
        people.append(
            {"nip": head, "name": f"Kasi {i}", "position": f"Kasi {i}", "roles": ["kepala_seksi"]}
        )
        sections.append(
            {
                "code": f"s{i}",
                "name": f"Seksi {i}",
                "head": head,
                "indicators": [
                    {
                        "code": f"S{i}-{j}",
                        "name": f"Indikator {j} seksi {i}",
                        "unit": "%",
                        "targets": {"2026": 90, "2026-Q3": 90},
                    }
                    for j in range(indicators)
                ],
            }
        )
    return yaml.safe_dump(
        {
            "office": {"code": "bench", "name": "Kecamatan Bench"},
            "people": people,
            "sections": sections,
        }
    )


def reset_database(url: str) -> None:
    """Empty the database a benchmark was given explicitly and migrate it again (a SQLite
    file is removed first)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    if url.startswith("postgresql"):
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose()
    upgrade(url)


def fresh_database(kind: str, pg_url: str | None = None) -> str:
    """A migrated, empty database: a temporary SQLite file, or the PostgreSQL database given
    explicitly (`pg_url`, else BENCH_PG_URL), which is emptied. Never a default database."""
    if kind == "postgresql":
        url = pg_url or os.environ.get("BENCH_PG_URL")
        if not url:
            raise SystemExit("PostgreSQL needs a database given explicitly: --pg-url URL")
        reset_database(url)
        return url
    path = Path(tempfile.mkdtemp()) / "bench.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def settings_for(url: str, chat_rate: float = 0, limits: bool = True) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=url,
        data_dir=Path(tempfile.mkdtemp()),
        telegram_chat_rate=chat_rate,
        telegram_rate_limits=limits,
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
