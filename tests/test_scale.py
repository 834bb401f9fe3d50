"""Several `sakip-bot run` processes on one PostgreSQL database (docs/design-notes.md, decision 11):
section heads answering at once through the local Bot API server (a process of its own),
each answer applied exactly once and in each person's order; a worker and the leader killed
with `kill -9` mid-run; `sakip-bot run --workers 2` restarting a process that died.

PostgreSQL only: the shared inbox and the leader lock need it (SQLite is one process)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.cluster import (
    Cluster,
    answers_for,
    answers_in_db,
    expected_answers,
    head_user_ids,
    inbox_counts,
    open_round,
)
from bot.texts import t
from db.engine import Database
from db.models import CollectionRound, InboxUpdate, Outbox, Reminder, Submission
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="several processes share one database only on PostgreSQL (set TEST_DATABASE_URL)",
)


@pytest.fixture
async def cluster(db_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    c = Cluster(db_url, tmp_path)
    await c.start_fake()
    try:
        yield c
    finally:
        await c.stop()


async def until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for work to be done (polling the database or the server), not for time."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


def heads_answer(ids: dict[int, int], heads: range) -> list[tuple[int, str]]:
    """Everyone's first message, then everyone's second...: the heads answer at once."""
    return [(ids[i], answers_for(i)[k]) for k in range(4) for i in heads]


def assert_each_answer_once_in_order(db: Database, ids: dict[int, int], heads: range) -> None:
    saved = answers_in_db(db)
    for i in heads:
        for code, value, explanation in expected_answers(i):
            assert saved.get(code) == (value, explanation), (i, code)
    with db.transaction() as s:
        rows = s.execute(
            select(InboxUpdate.actor, InboxUpdate.id, InboxUpdate.status, InboxUpdate.handled_at)
        ).all()
        replies = dict(
            s.execute(select(Outbox.chat_id, func.count()).group_by(Outbox.chat_id)).all()
        )
    assert {r.status for r in rows} == {"done"}
    assert len(rows) == 4 * len(heads)  # one row per update: none recorded twice
    for i in heads:
        mine = sorted((r for r in rows if r.actor == f"tg:{ids[i]}"), key=lambda r: r.id)
        assert len(mine) == 4
        # handled in the order sent, one after the other
        assert [r.handled_at for r in mine] == sorted(r.handled_at for r in mine)
        # one reply per update: no update had its effect twice
        assert replies[str(ids[i])] == 4


async def test_three_processes_apply_200_answers_exactly_once_in_each_persons_order(
    cluster: Cluster, db: Database
):
    heads = range(200)
    cluster.env_extra["TELEGRAM_RATE_LIMITS"] = "false"  # the bot's own capacity
    await cluster.users(open_round(cluster.db_url, len(heads)))
    for _ in range(3):
        cluster.spawn("--role", "all", "--shared")
    await cluster.wait_leader(db)
    ids = head_user_ids(db)
    await cluster.send(heads_answer(ids, heads))

    await until(lambda: inbox_counts(db).get("done", 0) == 800, 90, "800 updates handled")
    assert_each_answer_once_in_order(db, ids, heads)
    with db.transaction() as s:
        claims = s.scalars(select(InboxUpdate.attempts)).all()
    assert set(claims) == {1}  # each update claimed by one process, once
    while len(last := await cluster.messages(ids[7])) < 4:  # the leader delivers the replies
        await asyncio.sleep(0.1)
    assert "Penjelasan S7-1 tersimpan" in last[-1] and "Kendala seksi 7" in last[-1]


async def test_worker_killed_mid_run_its_updates_are_handled_by_another(
    cluster: Cluster, db: Database
):
    heads = range(60)
    cluster.env_extra.update(INBOX_LEASE_SECONDS="4", TELEGRAM_RATE_LIMITS="false")
    await cluster.users(open_round(cluster.db_url, len(heads)))
    worker = cluster.spawn("--role", "worker", "--shared")
    # the worker claims from its start: up before the leader records the first update, it
    # holds some of them (else the leader, quicker to start, could do 40 before it begins)
    running = t("cli_running", api="", db="").split(" (")[0]
    await until(lambda: running in cluster.log(worker), 60, "the worker running")
    leader = cluster.spawn("--role", "all", "--shared")
    assert (await cluster.wait_leader(db))[0] == leader
    ids = head_user_ids(db)
    await cluster.send(heads_answer(ids, heads))

    await until(lambda: inbox_counts(db).get("done", 0) >= 40, 60, "work under way")
    held = await _held_by_stopped(cluster, worker, db)
    cluster.kill9(worker)  # killed mid-run, holding `held`

    await until(lambda: inbox_counts(db).get("done", 0) == 240, 60, "every update handled")
    assert_each_answer_once_in_order(db, ids, heads)
    with db.transaction() as s:
        attempts = dict(
            s.execute(
                select(InboxUpdate.id, InboxUpdate.attempts).where(InboxUpdate.id.in_(held))
            ).all()
        )
    assert any(n > 1 for n in attempts.values()), attempts  # taken over by the leader


async def _held_by_stopped(cluster: Cluster, name: str, db: Database) -> set[int]:
    """Stop a worker (SIGSTOP) at a moment it holds leased updates: the ones still pending
    under the same lease after the others' work has gone on for a while. Tried again (the
    worker let go on, briefly) when it happened to hold none."""
    pid = cluster.procs[name].pid

    def leased() -> dict[int, object]:
        with db.transaction() as s:
            return dict(
                s.execute(
                    select(InboxUpdate.id, InboxUpdate.lease_until).where(
                        InboxUpdate.status == "pending", InboxUpdate.lease_until.is_not(None)
                    )
                ).all()
            )

    for _ in range(40):
        os.kill(pid, signal.SIGSTOP)
        before = leased()
        await asyncio.sleep(1.5)  # the leader's own claims are done; the worker's leases last 4 s
        after = leased()
        held = {i for i, lease in after.items() if before.get(i) == lease}
        if held:
            return held
        os.kill(pid, signal.SIGCONT)
        await asyncio.sleep(0.1)
    raise AssertionError("the worker never held an update when stopped")


async def test_leader_killed_another_takes_over_the_fan_out_and_a_due_reminder(
    cluster: Cluster, db: Database
):
    """Reminders to 90 heads go out at Telegram's 30 messages/s; the process sending them is
    killed part-way; another takes over the poller, delivery and scheduler, finishes the
    fan-out, and sends once a reminder that fell due while nobody led."""
    fan_out = range(90)
    cluster.env_extra["TELEGRAM_RATE_LIMITS"] = "true"
    await cluster.users(open_round(cluster.db_url, len(fan_out) + 1))
    now = datetime.now(UTC)
    with db.transaction() as s:
        rnd = s.scalar(select(CollectionRound))
        assert rnd is not None
        subs = list(s.scalars(select(Submission).order_by(Submission.id)))
        for sub in subs[: len(fan_out)]:
            s.add(_reminder(rnd, sub, "fanout", now))
    first = cluster.spawn("--role", "all", "--shared")
    assert (await cluster.wait_leader(db))[0] == first
    second = cluster.spawn("--role", "all", "--shared")
    ids = head_user_ids(db)

    async def delivered() -> int:
        got = await cluster.received()
        return sum(got.get(ids[i], 0) for i in fan_out)

    while await delivered() < 20:
        await asyncio.sleep(0.05)
    cluster.kill9(first)
    killed_at = time.monotonic()
    with db.transaction() as s:
        s.add(_reminder(rnd, subs[-1], "gap", datetime.now(UTC)))  # due while nobody leads
    name, _ = await cluster.wait_leader(db, timeout=30, besides=first)
    assert name == second and time.monotonic() - killed_at < 30

    def all_sent() -> bool:
        with db.transaction() as s:
            return not s.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.status != "sent")
            ) and not s.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.sent_at.is_(None))
            )

    await until(all_sent, 30, "the fan-out and the gap's reminder delivered")
    got = await cluster.received()
    with db.transaction() as s:
        resent = dict(s.execute(select(Outbox.chat_id, Outbox.resent)).all())
    for i in fan_out:
        # every reminder arrived; one in doubt at the kill may arrive twice, and is recorded
        assert 1 <= got.get(ids[i], 0) <= 1 + resent[str(ids[i])], i
    gap_head = ids[len(fan_out)]
    assert got.get(gap_head) == 1
    assert "Hari ini tenggat data kinerja" in (await cluster.messages(gap_head))[0]
    assert (await cluster.stats())["limit_violations"] == 0


def _reminder(rnd: CollectionRound, sub: Submission, tag: str, due: datetime) -> Reminder:
    return Reminder(
        office_id=rnd.office_id,
        round_id=rnd.id,
        key=f"remind:{rnd.id}:{sub.section_id}:{tag}",
        kind="section_due",
        due_at=due,
        payload={"sub": sub.id},
        created_at=due,
    )


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


async def test_workers_2_starts_two_processes_and_restarts_one_that_dies(
    cluster: Cluster, db: Database
):
    sup = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--workers", "2"],
        cwd=cluster.workdir,
        env=cluster.env("sakip-sup"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        await until(lambda: len(_children(sup.pid)) == 2, 30, "two processes started")
        await cluster.wait_leader(db)
        before = _children(sup.pid)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        await until(
            lambda: len(_children(sup.pid) - {victim}) == 2, 30, "the dead process replaced"
        )
        assert victim not in _children(sup.pid)
        await cluster.wait_leader(db)  # the survivors lead
    finally:
        sup.terminate()
        stderr = (await asyncio.to_thread(sup.communicate, timeout=30))[1]
    assert sup.returncode == 0
    assert f"worker {victim} ended" in stderr.decode()
