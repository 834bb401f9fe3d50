"""Chaos: `sakip-bot run` killed with `kill -9` at seeded random moments through a whole round
(examples/astambul.yaml: request, team, schedule, five sections answering, acceptance,
approval) and a fan-out of 1,000 messages, restarted each time on the same data, against the
fake Bot API server in a process of its own (`python -m bot.localapi.serve`).

    python bench/chaos.py [--kills 20] [--seed 1] [--fanout 1000] [--pg-url URL]

SQLite (a temporary file) by default; PostgreSQL only with an explicit `--pg-url`, whose
schema is emptied (a benchmark never empties a database it was not given). The round is
played once without kills for reference; the chaos run must end with the same effects (audit
log actions, answers). Prints messages expected / delivered / lost / repeated (and the
repeats recorded in `outbox.resent`) and presses expected / applied / lost / doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bench.common import TOKEN, compile_project, reset_database  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.localapi.processes import BotProcess, FakeServer, ProcessOffice, bot_env  # noqa: E402
from bot.messaging import outbox  # noqa: E402
from bot.office.load import import_file  # noqa: E402
from db.engine import Database  # noqa: E402
from db.models import Answer, AuditLog, InboxUpdate, Indicator, Outbox, Person  # noqa: E402
from tests import flows  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "astambul.yaml"


class Killer:
    """Kills the bot's process at seeded random moments while the driver plays."""

    def __init__(self, h: ProcessOffice, rng: random.Random, kills: int) -> None:
        self.h, self.rng, self.left, self.done = h, rng, kills, 0

    async def run(self, mean_interval: float) -> None:
        while self.left > 0:
            # a (re)started bot is killed after it is up and polling, at a random moment
            while not self.h.bot.alive():
                await asyncio.sleep(0.01)
            with contextlib.suppress(RuntimeError):
                await self.h.ready()
            await asyncio.sleep(self.rng.uniform(0.0, 2 * mean_interval))
            if self.h.bot.alive():
                self.h.bot.kill()
                self.left -= 1
                self.done += 1


async def play(
    url: str, tmp: Path, kills: int, seed: int, fanout: int, label: str
) -> dict[str, Any]:
    reset_database(url)
    db = Database(url)
    with db.transaction() as s:
        import_file(s, EXAMPLE, SystemClock().now())
    fake = FakeServer(TOKEN)
    await fake.start()
    env = bot_env(
        fake.root,
        TOKEN,
        url,
        tmp / f"data-{label}",
        TELEGRAM_CHAT_RATE="0",
        ADMIN_TELEGRAM_IDS="9000",
    )
    bot = BotProcess(env, tmp, tmp / f"bot-{label}.log")
    h = ProcessOffice(fake, db, bot)
    await h.start()
    rng = random.Random(seed)
    t0 = time.monotonic()
    round_kills = kills - kills // 4
    fan_kills = kills // 4
    try:
        await h.start_bot()
        killer = Killer(h, rng, round_kills)
        task = asyncio.create_task(killer.run(mean_interval=0.4)) if round_kills else None
        o = await flows.setup_office(h)  # type: ignore[arg-type]
        await flows.complete_round(h, o)  # type: ignore[arg-type]
        if task is not None:
            # the round finished before every kill was used: the rest fall on the fan-out
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            fan_kills += killer.left
        done_kills = killer.done if task else 0

        # the fan-out: rows written directly, kills when the n-th request arrives / was recorded
        await fake.add_users([(700_000 + i, f"Penerima {i}") for i in range(fanout)])
        h.restart_on_death = False
        if not bot.alive():
            await h.start_bot()
        await h.ready()
        moments = sorted(rng.sample(range(1, max(2, fanout)), max(0, min(fan_kills, fanout - 2))))
        phases = [rng.choice(["before", "after"]) for _ in moments]
        if moments:
            await fake.arm_kill(bot.pid, nth=moments[0], phase=phases[0])
        now = SystemClock().now()
        with db.transaction() as s:
            office_id = s.scalar(select(Person.office_id))
            people = [
                Person(
                    office_id=office_id,
                    name=f"Penerima {i}",
                    nip=f"F{i:06d}",
                    telegram_user_id=700_000 + i,
                    created_at=now,
                )
                for i in range(fanout)
            ]
            s.add_all(people)
            s.flush()
            for i, p in enumerate(people):
                outbox.to_person(s, p, f"Pengumuman {i} untuk Penerima {i}", now)
        sent_before = 0
        for i, k in enumerate(moments):
            if i:
                await h.start_bot()
                await fake.arm_kill(bot.pid, nth=max(1, k - sent_before), phase=phases[i])
            async with asyncio.timeout(120):
                while bot.alive():
                    await asyncio.sleep(0.01)
            bot.kill()
            done_kills += 1
            sent_before = k
        h.restart_on_death = True
        await h.settle(timeout=600)
        elapsed = time.monotonic() - t0
        return await measure(h, done_kills, elapsed)
    finally:
        bot.stop()
        await fake.stop()
        db.dispose()


async def measure(h: ProcessOffice, kills: int, elapsed: float) -> dict[str, Any]:
    received = await h.fake.all_messages()
    m = Counter[str]()
    worst = 0
    with h.db.transaction() as s:
        rows = s.scalars(select(Outbox).where(Outbox.channel == "telegram")).all()
        per_chat: dict[int, list[Outbox]] = {}
        for r in rows:
            per_chat.setdefault(int(r.chat_id), []).append(r)
        for chat, chat_rows in per_chat.items():
            got = received.get(chat, [])
            texts = Counter(x["original"] or "" for x in got)
            new = [r for r in chat_rows if r.kind != "edit"]
            for r in new:
                m["expected"] += 1
                if r.status == "sent" and texts[(r.text or "")[:4096]] >= 1:
                    m["delivered"] += 1
                else:
                    m["lost"] += 1
                    print(
                        f"lost: outbox {r.id} to {chat} ({r.status}, {r.kind}): "
                        f"{(r.text or '')[:70]!r}; the chat has {len(got)} message(s)",
                        file=sys.stderr,
                    )
            repeats = max(0, len(got) - len(new))
            m["repeated"] += repeats
            m["recorded"] += sum(r.resent for r in chat_rows)
            worst = max(worst, repeats)
        actions = Counter(s.scalars(select(AuditLog.action)))
        answers = sorted(
            (code, str(v), e)
            for code, v, e in s.execute(
                select(Indicator.code, Answer.realisation, Answer.explanation).join(
                    Indicator, Indicator.id == Answer.indicator_id
                )
            )
        )
        statuses = dict(
            s.execute(
                select(InboxUpdate.external_id, InboxUpdate.status).where(
                    InboxUpdate.channel == "telegram"
                )
            ).all()
        )
    sent = [str(uid) for _, uid in h.sent_updates]
    return {
        "kills": kills,
        "seconds": round(elapsed, 1),
        "messages": dict(m),
        "worst_repeats_per_chat": worst,
        "actions": actions,
        "answers": answers,
        "presses_expected": len(sent),
        "presses_applied": sum(statuses.get(u) == "done" for u in sent),
    }


async def main() -> None:
    compile_project()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fanout", type=int, default=1000)
    ap.add_argument("--pg-url", default="")
    ap.add_argument("--keep", default="", help="a folder for the database and bot logs")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(a.keep or d)
        tmp.mkdir(parents=True, exist_ok=True)
        ref = await play(a.pg_url or f"sqlite:///{tmp / 'ref.db'}", tmp, 0, a.seed, 0, "reference")
        url = a.pg_url or f"sqlite:///{tmp / 'chaos.db'}"
        res = await play(url, tmp, a.kills, a.seed, a.fanout, "chaos")
    doubled = sum(max(0, n - ref["actions"][k]) for k, n in res["actions"].items())
    lost_fx = sum(max(0, n - res["actions"][k]) for k, n in ref["actions"].items())
    same_answers = res["answers"] == ref["answers"]
    m = res["messages"]
    db = "PostgreSQL" if a.pg_url else "SQLite"
    print(f"chaos on {db}: {res['kills']} kills (seed {a.seed}), {res['seconds']} s")
    print(
        f"messages  expected {m.get('expected', 0)}  delivered {m.get('delivered', 0)}  "
        f"lost {m.get('lost', 0)}  repeated {m.get('repeated', 0)} "
        f"(recorded as resent {m.get('recorded', 0)}; at most {res['worst_repeats_per_chat']} "
        f"in one chat)"
    )
    applied = res["presses_applied"]
    print(
        f"presses   expected {res['presses_expected']}  applied {applied}  "
        f"lost {res['presses_expected'] - applied + lost_fx}  doubled {doubled}  "
        f"(audit log and answers {'the same as' if same_answers and not doubled and not lost_fx else 'DIFFERENT from'} the run without kills)"
    )


if __name__ == "__main__":
    asyncio.run(main())
