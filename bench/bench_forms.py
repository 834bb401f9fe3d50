"""Benchmark (not a test): the bot's CPU time per update, against the floor.

The real bot runs in a process of its own (bench/bot_process.py: `Runtime`, as `sakip-bot run`
builds it); the local Bot API server and the simulated section heads run in this process. Each
head answers their section's form as a person does: /isi, a value per indicator (an explanation
when the bot asks for one), then [📤 Kirim]. The bot process's CPU time (utime + stime from
/proc/<pid>/stat) over the measured phase, divided by the updates handled, is the figure; a
bare python-telegram-bot echo bot (`concurrent_updates(32)`, bench/echo_bot.py) in its own
process against the same fake, measured the same way, is the floor. Telegram's limits are off.

"N people" means N heads at once; with fewer than 20 at once, 20 heads take turns (so that
the CPU figure is well above /proc's 10 ms resolution; BENCH_MIN_HEADS=80 makes that 80, for
steadier figures at one person when comparing two versions). Before the measured phase one head
answers a form (the echo bot: six messages) so that imports and caches are warm.

    python bench/bench_forms.py                           # 1, 50, 200 people on SQLite
    python bench/bench_forms.py 1 50 --pg-url postgresql+psycopg://postgres@127.0.0.1/bench
    python bench/bench_forms.py 50 --reps 1 --profile /tmp/prof   # py-spy on the bot process
    python bench/bench_forms.py 50 --path   # also the message path alone (a core that echoes)

With --path, the same runtime runs once more with a core that only says back what it got
(`BENCH_ECHO_CORE`), under the echo bot's load: what the inbox, the outbox, delivery and
the thread hand-offs cost around the handler, against the echo bot's own figure.

PostgreSQL runs only with --pg-url, and that database is emptied. SQLite uses a temp file.
Also printed: the reply latency's p50 and p95 (from a person's update reaching the fake to
the bot's answer there, every update of the measured phase), beside the echo bot's p95 as a
ratio; Bot API calls per update (the fake's counters, median over the repetitions);
SQL statements and commits per update, counted by listeners in the bot process in one more
run of each (listeners on SQLAlchemy's execution events cost the handler about 5%, which the
bot itself does not pay: the runs whose CPU is measured have none); and the most database
connections opened in a measured phase (the pool should hold them all).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    START,
    TOKEN,
    compile_project,
    fresh_database,
    nip,
    office_yaml,
    settings_for,
)
from bot.localapi import FakeTelegram  # noqa: E402
from bot.localapi.telegram import SentMessage  # noqa: E402
from bot.texts import t  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MIN_HEADS = int(os.environ.get("BENCH_MIN_HEADS", "20"))
VALUES = ("92,5", "95", "88")  # the third is below target: the bot asks for an explanation
ECHO_PER_PERSON = 6  # about as many updates as a head's form takes

ASK = t("form_ask_value")[:24]
WAJIB = "(wajib)"
SUMMARY = t("sum_header", section="", period="", deadline="").split(" ")[1]  # "Ringkasan"
SUBMITTED = "dikirim ke Kasubag"


# --- /proc --------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def started_at(pid: int) -> float:
    """Wall-clock time the process started (from /proc: boot time + start ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    btime = next(
        int(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime")
    )
    return btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")


# --- processes ------------------------------------------------------------------------------
@dataclass
class Proc:
    proc: asyncio.subprocess.Process
    log: Path
    stats_file: Path | None = None
    snaps: int = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def snapshot(self) -> dict[str, Any]:
        """Ask the bot process for its counters (SIGUSR1 → JSON file)."""
        assert self.stats_file is not None
        before = self.stats_file.stat().st_mtime_ns if self.stats_file.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(1000):
            if self.stats_file.exists() and self.stats_file.stat().st_mtime_ns != before:
                return dict(json.loads(self.stats_file.read_text()))
            await asyncio.sleep(0.01)
        raise TimeoutError("the bot process wrote no counters")


async def spawn(args: list[str], env: dict[str, str], workdir: Path, name: str) -> Proc:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=workdir, env={**os.environ, **env}, stdout=out, stderr=out
        )
    return Proc(proc, log)


async def until_polling(fake: FakeTelegram, p: Proc, timeout: float = 60) -> float:
    """Wait for the first getUpdates; seconds from the process's start to it."""
    deadline = time.monotonic() + timeout
    while fake.first_get_updates is None:
        if p.proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the process did not start polling:\n{p.log.read_text()[-3000:]}")
        await asyncio.sleep(0.01)
    return fake.first_get_updates - started_at(p.pid)


async def stop(fake: FakeTelegram, p: Proc) -> None:
    if p.proc.returncode is None:
        p.proc.terminate()
        for _ in range(100):
            fake.release_pollers()
            try:
                await asyncio.wait_for(p.proc.wait(), 0.1)
                break
            except TimeoutError:
                continue
        else:
            p.proc.kill()
            await p.proc.wait()


def api_calls(fake: FakeTelegram) -> int:
    return sum(v for k, v in fake.stats["calls"].items() if k != "getUpdates")


async def quiet(fake: FakeTelegram, seconds: float = 0.3) -> None:
    """Until the bot has made no Bot API call (but polling) for `seconds`."""
    last, since = api_calls(fake), time.monotonic()
    while time.monotonic() - since < seconds:
        await asyncio.sleep(0.05)
        if api_calls(fake) != last:
            last, since = api_calls(fake), time.monotonic()


# --- people ------------------------------------------------------------------------------
def seen(msgs: list[SentMessage]) -> int:
    return sum(1 + len(m.edits) for m in msgs)


async def act(
    fake: FakeTelegram, chat: int, do: Callable[[], object], done: Callable[[str], bool]
) -> str:
    """Do one thing as a person; wait until the bot's newest message in the chat satisfies
    `done` (a new message, or an edit that says something it did not say before)."""
    n_before, seen_before = len(fake.messages(chat)), seen(fake.messages(chat))
    sent = time.monotonic()
    do()

    def ready(msgs: list[SentMessage]) -> bool:
        if seen(msgs) <= seen_before:
            return False
        fresh = msgs[n_before:] or msgs[-1:]
        return any(done(m.text or "") for m in fresh[-1:])

    msgs = await fake.wait_chat(chat, ready, timeout=600)
    LATENCIES.append(time.monotonic() - sent)
    return msgs[-1].text or ""


# seconds from a person's update to the bot's answer, every `act` of the measured phase
LATENCIES: list[float] = []


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, nearest rank."""
    v = sorted(values)
    return v[max(0, math.ceil(q / 100 * len(v)) - 1)]


def is_prompt(text: str) -> bool:
    return ASK in text or WAJIB in text or SUMMARY in text


def find_button(fake: FakeTelegram, chat: int, label: str) -> tuple[int, str]:
    for msg in reversed(fake.messages(chat)):
        for row in (msg.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"].startswith(label):
                    return msg.message_id, button["callback_data"]
    raise LookupError(f"no button {label!r} in chat {chat}")


async def head_answers(fake: FakeTelegram, uid: int) -> int:
    """One head answers the form and sends it; the number of updates it took."""
    n = 1
    await act(fake, uid, lambda: fake.send_text(uid, "/isi"), lambda x: ASK in x)
    for value in VALUES:
        last = await act(fake, uid, lambda v=value: fake.send_text(uid, v), is_prompt)
        n += 1
        if WAJIB in last:
            await act(fake, uid, lambda: fake.send_text(uid, "Kendala cuaca."), is_prompt)
            n += 1
    mid, data = find_button(fake, uid, "📤 Kirim")
    await act(fake, uid, lambda: fake.press_button(uid, uid, mid, data), lambda x: SUBMITTED in x)
    return n + 1


async def echo_person(fake: FakeTelegram, uid: int) -> int:
    for i in range(ECHO_PER_PERSON):
        text = f"pesan {i}"
        await act(fake, uid, lambda x=text: fake.send_text(uid, x), lambda x, y=text: x == y)
    return ECHO_PER_PERSON


async def crowd(people: int, uids: list[int], one: Callable[[int], Any]) -> int:
    """`people` at once work through `uids`; the updates they sent."""
    queue = list(reversed(uids))
    total = 0

    async def worker() -> None:
        nonlocal total
        while queue:
            n = await one(queue.pop())  # not `total += await …`: that reads total first
            total += n

    await asyncio.gather(*(worker() for _ in range(people)))
    return total


# --- runs ----------------------------------------------------------------------------------
@dataclass
class Result:
    cpu_ms: float
    updates: int
    api_per_update: float
    sql_per_update: float | None = None
    commits_per_update: float | None = None
    connects: int | None = None  # database connections opened during the measured phase
    startup_s: float | None = None
    p50_ms: float = 0.0  # reply latency: from the person's update to the bot's answer
    p95_ms: float = 0.0


async def measured(
    fake: FakeTelegram,
    p: Proc,
    people: int,
    uids: list[int],
    one: Callable[[int], Any],
    profile: str | None,
) -> Result:
    counters0 = await p.snapshot() if p.stats_file else None
    calls0, cpu0 = api_calls(fake), cpu_seconds(p.pid)
    spy = None
    if profile:
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(p.pid),
            "--format",
            "raw",
            "-o",
            profile,
            "-r",
            os.environ.get("BENCH_SPY_RATE", "200"),
            "--nonblocking",
            "--gil",  # only the thread holding the GIL: where the process's Python CPU goes
        )
    LATENCIES.clear()
    updates = await crowd(people, uids, one)
    waits = list(LATENCIES)
    await quiet(fake)
    cpu1, calls1 = cpu_seconds(p.pid), api_calls(fake)
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    r = Result((cpu1 - cpu0) * 1000 / updates, updates, (calls1 - calls0) / updates)
    r.p50_ms, r.p95_ms = percentile(waits, 50) * 1000, percentile(waits, 95) * 1000
    if counters0 is not None:
        c1 = await p.snapshot()
        if c1["statements"]:  # counted (BENCH_COUNT_SQL)
            r.sql_per_update = (c1["statements"] - counters0["statements"]) / updates
            r.commits_per_update = (c1["commits"] - counters0["commits"]) / updates
        r.connects = c1["connects"] - counters0["connects"]
    return r


async def run_echo(people: int, workdir: Path) -> Result:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    heads = max(people, MIN_HEADS)
    uids = [300_000 + i for i in range(heads + 1)]
    for uid in uids:
        fake.add_user(uid, f"u{uid}")
    p = await spawn([sys.executable, str(HERE / "echo_bot.py"), fake.root], {}, workdir, "echo")
    try:
        startup = await until_polling(fake, p)
        await echo_person(fake, uids[-1])  # warm-up
        await quiet(fake)
        r = await measured(fake, p, people, uids[:-1], lambda u: echo_person(fake, u), None)
        r.startup_s = startup
        return r
    finally:
        await stop(fake, p)
        await fake.stop()


def setup_round(url: str, heads: int) -> tuple[list[int], list[int]]:
    """Office, round up to step 4 (in this process, through the in-process Simulation); the
    heads' Telegram user ids, and the Camat's, Sekretaris's and Kasubag's (who receive the
    notices a form sends: their chats must exist, as in a real office)."""
    from bot.clock import FakeClock
    from bot.office.load import import_office, parse
    from bot.tools.simulation import Simulation
    from db.engine import Database

    async def go() -> tuple[list[int], list[int]]:
        db = Database(url)
        clock = FakeClock(START)
        with db.transaction() as s:
            import_office(s, parse(office_yaml(heads)), clock.now())
        sim = Simulation(settings_for(url, limits=False), clock, db, TOKEN)
        await sim.start()
        try:
            camat, sek, kasubag = (sim.user(nip(x)) for x in ("100", "101", "102"))
            uids = [sim.user(nip(f"2{i:05d}")).id for i in range(heads)]
            await sim.say(camat, "/minta")
            await sim.press(camat, "Triwulan III 2026")
            await sim.press(camat, "Lanjut")
            await sim.press(camat, "3 hari kerja")
            await sim.press(camat, "✅ Kirim")
            await sim.press(sek, "💾 Simpan tim")
            await sim.press(kasubag, "✅ Setujui jadwal")
        finally:
            await sim.stop()
            db.dispose()
        return uids, [camat.id, sek.id, kasubag.id]

    return asyncio.run(go())


async def run_bot(
    kind: str,
    people: int,
    workdir: Path,
    pg_url: str | None,
    profile: str | None,
    path_only: bool = False,
    count_sql: bool = False,
) -> Result:
    """The bot answering forms; with `path_only`, the same runtime whose core only says back
    what it got (the echo bot's work), through the inbox, the outbox and delivery. With
    `count_sql`, its statements and commits are counted (and its CPU figure is not used)."""
    heads = max(people, MIN_HEADS)
    url = fresh_database(kind, pg_url)
    others: list[int] = []
    if path_only:
        uids = [300_000 + i for i in range(heads + 1)]
    else:
        uids, others = await asyncio.to_thread(setup_round, url, heads + 1)
    fake = FakeTelegram(token=TOKEN)
    # Telegram's update ids keep growing; the inbox drops ids it has seen (the setup's)
    fake._update_id = itertools.count(1_000_000)
    await fake.start()
    for uid in uids:
        fake.add_user(uid, f"Kasi {uid}")
    for uid in others:
        fake.add_user(uid, f"Pejabat {uid}")
    data_dir = Path(tempfile.mkdtemp(dir=workdir))
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.root,
        "DATABASE_URL": url,
        "DATA_DIR": str(data_dir),
        "TELEGRAM_CHAT_RATE": "0",
        "TELEGRAM_RATE_LIMITS": "false",
        "BENCH_CLOCK": START.isoformat(),
        "BENCH_STATS_FILE": str(data_dir / "counters.json"),
        **({"BENCH_ECHO_CORE": "1"} if path_only else {}),
        **({"BENCH_COUNT_SQL": "1"} if count_sql else {}),
    }
    p = await spawn([sys.executable, str(HERE / "bot_process.py")], env, workdir, f"bot-{kind}")
    p.stats_file = data_dir / "counters.json"
    one = echo_person if path_only else head_answers
    try:
        startup = await until_polling(fake, p)
        await one(fake, uids[-1])  # warm-up
        await quiet(fake)
        r = await measured(fake, p, people, uids[:-1], lambda u: one(fake, u), profile)
        r.startup_s = startup
        return r
    finally:
        await stop(fake, p)
        await fake.stop()


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    v = sorted(values)
    return "/".join(fmt.format(x) for x in (v[0], statistics.median(v), v[-1]))


async def main(args: argparse.Namespace) -> None:
    compile_project()
    kinds = ["sqlite"] + (["postgresql"] if args.pg_url else [])
    workdir = Path(tempfile.mkdtemp(prefix="bench-forms-"))
    print(f"bot-process CPU per update (ms), min/median/max over {args.reps} repetitions")
    print(f"(logs in {workdir})")
    for people in args.people:
        paths = [f"{k} path" for k in kinds] if args.path else []
        runs: dict[str, list[Result]] = {k: [] for k in ["echo", *kinds, *paths]}
        for rep in range(args.reps):
            runs["echo"].append(await run_echo(people, workdir))
            for kind in kinds:
                prof = f"{args.profile}-{kind}-{people}.txt" if args.profile and rep == 0 else None
                runs[kind].append(await run_bot(kind, people, workdir, args.pg_url, prof))
                if args.path:
                    pprof = prof and f"{args.profile}-{kind}-path-{people}.txt"
                    path = await run_bot(kind, people, workdir, args.pg_url, pprof, path_only=True)
                    runs[f"{kind} path"].append(path)
        counted: dict[str, Result] = {}  # one more run each, its SQL counted (not its CPU)
        for kind in kinds:
            counted[kind] = await run_bot(kind, people, workdir, args.pg_url, None, count_sql=True)
            if args.path:
                counted[f"{kind} path"] = await run_bot(
                    kind, people, workdir, args.pg_url, None, path_only=True, count_sql=True
                )
        echo_med = statistics.median(r.cpu_ms for r in runs["echo"])
        echo_p95 = statistics.median(r.p95_ms for r in runs["echo"])
        print(
            f"\n{people} people at once ({runs['echo'][0].updates} echo updates, "
            f"{runs[kinds[0]][0].updates} sakip updates per run):"
        )
        for name, rs in runs.items():
            cpu = [r.cpu_ms for r in rs]
            ratio = "" if name == "echo" else (f"  ratio ×{spread([c / echo_med for c in cpu])}")
            sql = ""
            if name in counted:
                c = counted[name]
                sql = (
                    f"  SQL/update {c.sql_per_update or 0:.1f}"
                    f"  commits/update {c.commits_per_update or 0:.2f}"
                    f"  connections opened {max(r.connects or 0 for r in [*rs, c])}"
                )
            p95 = [r.p95_ms for r in rs]
            late = "" if name == "echo" else f" ×{spread([x / echo_p95 for x in p95])}"
            print(
                f"  {name:<16} CPU/update {spread(cpu):>17} ms{ratio}"
                f"  reply p50 {spread([r.p50_ms for r in rs], '{:.0f}')} ms"
                f" p95 {spread(p95, '{:.0f}')} ms{late}"
                f"  API calls/update {statistics.median(r.api_per_update for r in rs):.2f}{sql}"
                f"  start→getUpdates {spread([r.startup_s or 0 for r in rs], '{:.2f}')} s"
            )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("people", nargs="*", type=int, default=[1, 50, 200])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--pg-url", help="a PostgreSQL database this benchmark may empty")
    ap.add_argument("--profile", help="py-spy raw profile of the first repetition to PREFIX-…")
    ap.add_argument(
        "--path",
        action="store_true",
        help="also the message path alone: the bot whose core only echoes (the echo load)",
    )
    ns = ap.parse_args()
    ns.people = ns.people or [1, 50, 200]
    asyncio.run(main(ns))
