"""A database outage while the bot runs (issue 11): PostgreSQL stops accepting connections
and drops the open ones for a while, then comes back. The real `sakip-bot run` reaches the
database through a TCP proxy on 127.0.0.1 that the test cuts and restores. The bot does not
exit or spin, logs the outage once, keeps the updates sent meanwhile unconfirmed at the
Bot API (nothing acknowledged that was not recorded), and answers every one of them after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.localapi.processes import BotProcess, FakeServer, ProcessOffice, bot_env
from db.engine import Database
from db.models import InboxUpdate
from tests import flows
from tests.conftest import PG_URL, TOKEN

pytestmark = pytest.mark.skipif(not PG_URL, reason="a database outage is tested on PostgreSQL")

OUTAGE = 6.0  # seconds: long enough for every part of the bot to notice, short for CI


class Proxy:
    """A TCP forwarder that can drop every connection and refuse new ones (an outage)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.up = True
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._pairs: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pairs |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._pairs -= {writer, up_writer}

    def cut(self) -> None:
        self.up = False
        for w in list(self._pairs):
            w.close()
        self._pairs.clear()

    def restore(self) -> None:
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def test_bot_waits_out_a_database_outage_and_loses_nothing(
    db_url: str, db: Database, office: int, tmp_path: Path
):
    url = make_url(db_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    fake = FakeServer(TOKEN)
    await fake.start()
    env = bot_env(
        fake.root,
        TOKEN,
        via_proxy,
        tmp_path / "data",
        TELEGRAM_RATE_LIMITS="false",
        TELEGRAM_CHAT_RATE="0",
    )
    bot = BotProcess(env, tmp_path, tmp_path / "bot.log")
    h = ProcessOffice(fake, db, bot)
    await h.start()
    try:
        h.restart_on_death = False  # the bot must survive the outage by itself
        people = [h.user(flows.NIP[k]) for k in ("pem", "trantib", "pmd")]
        await h.start_bot()
        await h.ready()
        assert "Bapak/Ibu terdaftar sebagai" in " ".join(await h.say(people[0], "/start"))

        proxy.cut()
        cpu_before = _cpu_seconds(bot.pid)
        await h._flush()
        sent = [await fake.send_text(p.id, "/saya") for p in people]
        await asyncio.sleep(OUTAGE)  # the outage itself: real time passing for a real process
        cpu_used = _cpu_seconds(bot.pid) - cpu_before
        assert bot.alive(), bot.log()[-2000:]
        stats = await fake.stats()
        assert stats["unconfirmed"] == len(sent)  # not acknowledged: not recorded
        assert cpu_used < OUTAGE * 0.25, f"the bot spun during the outage: {cpu_used:.2f} s CPU"

        proxy.restore()
        await h.settle(timeout=90)
        for p in people:
            texts = await h.texts(p)
            assert sum("Nama:" in t and "NIP" in t for t in texts) == 1, texts
        with db.transaction() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.status != "done")
                )
                == 0
            )
        log = bot.log()
        assert "Traceback" not in log, log[-3000:]
        warnings = re.findall(r"^WARNING .*$", log, re.M)
        assert 1 <= len(warnings) <= 6, warnings  # said once per part that noticed, not per try
    finally:
        bot.stop()
        await fake.stop()
        await proxy.stop()
