"""`sakip-bot` as an operator runs it: settings errors in one line, the schema check, and
`sakip-bot run` polling a local Bot API server and answering /start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bot.localapi import FakeTelegram
from db.migrate import upgrade
from tests.conftest import EXAMPLE, TOKEN


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "WHATSAPP_"))
    }
    env.update({"DATA_DIR": str(tmp_path / "data"), **extra})
    return env


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_malformed_setting_stops_with_one_line_naming_it(tmp_path):
    res = _cli(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TIMEZONE="Mars/Olympus")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "TIMEZONE" in lines[0] and "Traceback" not in res.stderr
    res = _cli(tmp_path, "run")
    assert res.returncode == 2 and "TELEGRAM_BOT_TOKEN" in res.stderr.strip()


def test_run_refuses_an_out_of_date_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "base")
    res = _cli(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url)
    assert res.returncode == 2 and "sakip-bot db upgrade" in res.stderr
    assert _cli(tmp_path, "db", "upgrade", DATABASE_URL=url).returncode == 0
    assert "0001" in _cli(tmp_path, "db", "current", DATABASE_URL=url).stdout


async def test_run_polls_the_local_bot_api_and_answers_start(tmp_path):
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    proc = None
    try:
        env = _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.root)
        imp = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "office", "import", str(EXAMPLE), cwd=tmp_path, env=env
        )
        assert await imp.wait() == 0
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        fake.add_user(4242, "Tamu")
        fake.send_text(4242, "/start")
        reply = await fake.wait_for(4242, timeout=60)
        assert "bot ini khusus untuk pegawai Kecamatan Astambul" in (reply[0].text or "")
        assert {c["command"] for c in fake.commands} >= {"isi", "status", "bantuan"}
    finally:
        if proc is not None and proc.returncode is None:
            proc.terminate()
            await proc.wait()
        await fake.stop()
