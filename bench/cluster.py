"""Several `sakip-bot run` processes on one PostgreSQL database, the local Bot API server in
a process of its own, and a synthetic office whose round is at SOP step 4 (the section heads
answer). Used by tests/test_scale.py and bench/scale.py.

Each bot process gets PGAPPNAME=sakip-<n>, so PostgreSQL says which one holds the leader lock
(`Cluster.leader()`); processes are killed by their pid (`kill -9` in the crash tests).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from bench.common import TOKEN, nip, office_yaml
from bot.localapi.processes import bot_env
from bot.messaging.leader import LOCK_KEY
from bot.office.load import import_office, parse
from bot.procedure.sop import RoundState
from db.engine import Database
from db.models import (
    Answer,
    CollectionRound,
    InboxUpdate,
    Indicator,
    Person,
    RoundStep,
    Section,
    Submission,
)

ROOT = Path(__file__).resolve().parents[1]


def answers_for(i: int) -> list[str]:
    """What head i sends, in order: /isi, one value per indicator, the explanation the last
    (below-target) value asks for. The values differ per head so a mix-up shows."""
    return ["/isi", f"9{i % 10},5", "88", f"Kendala seksi {i}"]


def expected_answers(i: int) -> list[tuple[str, str, str | None]]:
    """(indicator code, realisation, explanation) the database must hold for head i."""
    return [
        (f"S{i}-0", f"9{i % 10}.5000", None),
        (f"S{i}-1", "88.0000", f"Kendala seksi {i}"),
    ]


def open_round(db_url: str, n_heads: int) -> list[tuple[int, str]]:
    """Import an office of n sections (two indicators each) with a round at SOP step 4 (the
    forms sent, written as rows: driving 200 forms through the bot takes half a minute);
    return the heads as Telegram users [(user id, name)], linked in the database."""
    now = datetime.now(UTC)
    db = Database(db_url)
    heads: list[tuple[int, str]] = []
    with db.transaction() as s:
        office_id = import_office(s, parse(office_yaml(n_heads, indicators=2)), now).office_id
        people = {p.nip: p for p in s.scalars(select(Person))}
        for p in people.values():
            p.telegram_user_id = 100_000 + p.id
        rnd = CollectionRound(
            office_id=office_id,
            period="2026-Q3",
            period_label="Triwulan III 2026",
            state=RoundState.COLLECTING,
            open_key=1,
            requested_by_id=people[nip("100")].id,
            indicator_ids=list(s.scalars(select(Indicator.id))),
            team_ids=[people[nip("102")].id],
            created_at=now,
        )
        s.add(rnd)
        s.flush()
        for step, ended in ((1, True), (2, True), (3, False)):
            s.add(
                RoundStep(
                    round_id=rnd.id,
                    step=step,
                    started_at=now,
                    due_at=now + timedelta(days=3),
                    ended_at=now if ended else None,
                    actor_id=people[nip("102")].id,
                )
            )
        for section in s.scalars(select(Section).order_by(Section.id)):
            s.add(
                Submission(
                    round_id=rnd.id,
                    section_id=section.id,
                    status="not_started",
                    deadline=now + timedelta(days=3),
                )
            )
        for i in range(n_heads):
            p = people[nip(f"2{i:05d}")]
            heads.append((100_000 + p.id, p.name))
    db.dispose()
    return heads


def answers_in_db(db: Database) -> dict[str, tuple[str, str | None]]:
    """Indicator code → (realisation, explanation) of every answer saved."""
    with db.transaction() as s:
        rows = s.execute(
            select(Indicator.code, Answer.realisation, Answer.explanation)
            .join(Answer, Answer.indicator_id == Indicator.id)
            .join(Submission, Submission.id == Answer.submission_id)
        ).all()
    return {code: (f"{value:.4f}" if value is not None else "", expl) for code, value, expl in rows}


def inbox_counts(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        rows = s.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
        ).all()
    return {status: n for status, n in rows}


def head_user_ids(db: Database) -> dict[int, int]:
    """Head index → Telegram user id."""
    with db.transaction() as s:
        rows = s.execute(
            select(Section.code, Person.telegram_user_id).join(Person, Person.id == Section.head_id)
        ).all()
    return {int(code[1:]): int(uid) for code, uid in rows if uid}


@dataclass
class Cluster:
    """The fake Bot API server and bot processes around one PostgreSQL database."""

    db_url: str
    workdir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    fake: subprocess.Popen[bytes] | None = None
    root: str = ""
    control: httpx.AsyncClient | None = None
    _n: int = 0

    async def start_fake(self) -> None:
        self.fake = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "fake_server.py"), TOKEN, "1000000"],
            stdout=subprocess.PIPE,
        )
        assert self.fake.stdout is not None
        port = int(await asyncio.to_thread(self.fake.stdout.readline))
        self.root = f"http://127.0.0.1:{port}"
        self.control = httpx.AsyncClient(base_url=self.root, timeout=30)

    def env(self, name: str) -> dict[str, str]:
        env = bot_env(
            self.root,
            TOKEN,
            self.db_url,
            self.workdir / "data",
            TELEGRAM_CHAT_RATE="0",
            TELEGRAM_TIMEOUT="10",
            PGAPPNAME=name,
            PYTHONPATH=str(ROOT),
        )
        env.update(self.env_extra)
        return env

    def spawn(self, *args: str, name: str | None = None) -> str:
        """Start `sakip-bot run ARGS` (default `--role all --shared`); return its name."""
        self._n += 1
        name = name or f"sakip-{self._n}"
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (kept by the process)
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", *(args or ("--role", "all", "--shared"))],
            cwd=self.workdir,
            env=self.env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return name

    def kill9(self, name: str) -> None:
        proc = self.procs[name]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def leader(self, db: Database) -> str | None:
        """The PGAPPNAME of the process holding the leader lock, if any. Advisory locks are
        per database: another sakip-bot database on the same server has a leader of its own."""
        with db.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = :hi AND l.objid = :lo AND l.database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"hi": LOCK_KEY >> 32, "lo": LOCK_KEY & 0xFFFFFFFF},
            ).scalar()

    async def wait_leader(
        self, db: Database, timeout: float = 90.0, besides: str | None = None
    ) -> tuple[str, float]:
        """The process holding the leader lock; with `besides`, one other than that (a process
        just killed: PostgreSQL may not have noticed its connection is gone yet)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            name = await asyncio.to_thread(self.leader, db)
            if name and name != besides:
                return name, time.monotonic() - t0
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no process took the leader lock in {timeout} s")

    async def users(self, users: list[tuple[int, str]]) -> None:
        assert self.control is not None
        (await self.control.post("/_control/users", json=users)).raise_for_status()

    async def send(self, messages: list[tuple[int, str]]) -> None:
        assert self.control is not None
        (await self.control.post("/_control/send", json=messages)).raise_for_status()

    async def messages(self, chat: int) -> list[str]:
        assert self.control is not None
        res = await self.control.get("/_control/messages", params={"chat": chat})
        return list(res.json())

    async def received(self) -> dict[int, int]:
        assert self.control is not None
        return {int(k): v for k, v in (await self.control.get("/_control/received")).json().items()}

    async def stats(self) -> dict[str, Any]:
        assert self.control is not None
        return dict((await self.control.get("/_control/stats")).json())

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                await asyncio.to_thread(proc.wait, 20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.control is not None:
            await self.control.aclose()
        if self.fake is not None:
            self.fake.terminate()
            self.fake.wait()
