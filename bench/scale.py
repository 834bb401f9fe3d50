"""Benchmark (not a test): form-answer throughput with 1, 2 and 3 `sakip-bot run --shared`
processes on one PostgreSQL database, and how long another process takes to take over the
poller, delivery and scheduler after the leader is killed (`kill -9`).

    python bench/scale.py postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale [N]

The database named on the command line is EMPTIED (its public schema dropped and migrated
again) before each run; no other database is touched. N section heads (default 200) each
send /isi, two values and an explanation at once through the local Bot API server (its own
process). "capacity" = updates handled per second with Telegram's limits off; "+ limits" =
the same with the 30 messages/s limit on, until every reply is delivered. CPU columns: the
bot processes' CPU seconds per 100 updates and the machine's busy share (2 cores here).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.cluster import Cluster, answers_for, head_user_ids, inbox_counts, open_round  # noqa: E402
from bench.common import compile_project, reset_database  # noqa: E402
from db.engine import Database  # noqa: E402


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (the same database
    server as the bot here)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm.startswith("postgres"):
                total += cpu_seconds(int(entry.name))
    return total


def machine_busy() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


async def throughput(url: str, n: int, workers: int, limits: bool) -> dict[str, float]:
    reset_database(url)
    heads = open_round(url, n)
    cluster = Cluster(url, Path(tempfile.mkdtemp()))
    cluster.env_extra["TELEGRAM_RATE_LIMITS"] = "true" if limits else "false"
    db = Database(url)
    await cluster.start_fake()
    try:
        await cluster.users(heads)
        for _ in range(workers):
            cluster.spawn("--role", "all", "--shared")
        await cluster.wait_leader(db)
        await asyncio.sleep(2.0)  # every process started and claiming
        ids = head_user_ids(db)
        total = 4 * n
        msgs = [(ids[i], answers_for(i)[k]) for k in range(4) for i in range(n)]
        cpu0 = sum(cpu_seconds(p.pid) for p in cluster.procs.values())
        busy0, all0 = machine_busy()
        pg0 = postgres_cpu()
        t0 = time.perf_counter()
        await cluster.send(msgs)
        while inbox_counts(db).get("done", 0) < total:
            await asyncio.sleep(0.05)
        handled = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) for p in cluster.procs.values()) - cpu0
        busy1, all1 = machine_busy()
        pg = postgres_cpu() - pg0
        while sum((await cluster.received()).values()) < total:
            await asyncio.sleep(0.1)
        delivered = time.perf_counter() - t0
    finally:
        await cluster.stop()
        db.dispose()
    return {
        "updates": total,
        "handled": handled,
        "rate": total / handled,
        "delivered": delivered,
        "cpu_per_100": cpu / total * 100,
        "pg_per_100": pg / total * 100,
        "busy": (busy1 - busy0) / max(1, all1 - all0),
    }


async def takeover(url: str) -> tuple[float, float]:
    """Seconds from `kill -9` of the leader until another holds the lock, and until a
    person's message sent at the kill is answered (the poller and delivery moved)."""
    reset_database(url)
    heads = open_round(url, 1)
    cluster = Cluster(url, Path(tempfile.mkdtemp()))
    db = Database(url)
    await cluster.start_fake()
    try:
        await cluster.users(heads)
        first = cluster.spawn("--role", "all", "--shared")
        await cluster.wait_leader(db)
        cluster.spawn("--role", "all", "--shared")
        await asyncio.sleep(3.0)  # the second process is up and asking for the lock
        uid = heads[0][0]
        t0 = time.perf_counter()
        cluster.kill9(first)
        await cluster.send([(uid, "/isi")])
        _, lock = await cluster.wait_leader(db, besides=first)
        while not await cluster.messages(uid):
            await asyncio.sleep(0.05)
        reply = time.perf_counter() - t0
    finally:
        await cluster.stop()
        db.dispose()
    return lock, reply


async def main(url: str, n: int) -> None:
    compile_project()
    print(f"{n} section heads, {4 * n} updates at once; PostgreSQL {url.split('@')[-1]}")
    base: float | None = None
    for limits in (False, True):
        print("\nTelegram's limits " + ("on (30 messages/s)" if limits else "off (capacity)"))
        for workers in (1, 2, 3):
            r = await throughput(url, n, workers, limits)
            if not limits and workers == 1:
                base = r["rate"]
            ratio = f"  ×{r['rate'] / base:.2f}" if base and not limits else ""
            print(
                f"  {workers} process(es): handled in {r['handled']:6.2f} s = {r['rate']:6.1f}/s"
                f"{ratio}; all replies delivered in {r['delivered']:6.2f} s;"
                f" CPU per 100 updates: bot {r['cpu_per_100']:.2f} s, PostgreSQL"
                f" {r['pg_per_100']:.2f} s; machine busy {r['busy']:.0%}"
            )
    lock, reply = await takeover(url)
    print(
        f"\nleader killed: another holds the lock after {lock:.2f} s; a message sent at the "
        f"kill answered after {reply:.2f} s"
    )


if __name__ == "__main__":
    if len(sys.argv) < 2 or not sys.argv[1].startswith("postgresql"):
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200))
