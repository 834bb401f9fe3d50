"""`sakip-bot` as an operator runs it: settings errors in one line, the schema check, and
`sakip-bot run` polling a local Bot API server and answering /start."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from bot.localapi import FakeTelegram
from bot.localapi.whatsapp import FakeWhatsApp
from bot.settings import Settings
from db.migrate import head_revision, upgrade
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
    assert head_revision() in _cli(tmp_path, "db", "current", DATABASE_URL=url).stdout


async def _start_run(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """Import the example office, then start `sakip-bot run` as an operator would."""
    imp = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "office", "import", str(EXAMPLE), cwd=tmp_path, env=env
    )
    assert await imp.wait() == 0
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_polls_the_local_bot_api_and_answers_start(tmp_path):
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    proc = None
    try:
        env = _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.root)
        proc = await _start_run(tmp_path, env)
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


def test_whatsapp_without_app_secret_refuses_to_start(tmp_path):
    res = _cli(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, WHATSAPP_TOKEN="x", WHATSAPP_PHONE_ID="1")
    assert res.returncode == 2 and "WHATSAPP_APP_SECRET" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_env_example_documents_every_setting():
    text = (Path(__file__).parents[1] / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_with_whatsapp_serves_the_webhook(tmp_path):
    """With WhatsApp settings `sakip-bot run` serves the ASGI app: /healthz, Meta's webhook
    verification, signed messages answered through the outbox; no template: said at start."""
    tg, wa = FakeTelegram(token=TOKEN), FakeWhatsApp()
    wa.bsuid_rules = True
    await tg.start()
    await wa.start()
    port = _free_port()
    wa.set_webhook(f"http://127.0.0.1:{port}/whatsapp")
    proc = None
    try:
        env = _env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=tg.root,
            WHATSAPP_TOKEN=wa.token,
            WHATSAPP_PHONE_ID=wa.phone_id,
            WHATSAPP_APP_SECRET=wa.app_secret,
            WHATSAPP_VERIFY_TOKEN="verifikasi",
            WHATSAPP_API_URL=wa.root,
            WHATSAPP_API_VERSION=wa.version,
            LISTEN_PORT=str(port),
        )
        proc = await _start_run(tmp_path, env)
        assert proc.stderr is not None
        warning = await asyncio.wait_for(proc.stderr.readline(), 60)
        assert "WHATSAPP_TEMPLATE_REMINDER" in warning.decode()
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            health = None
            for _ in range(600):  # until the server listens (start-up, not a deadline)
                with contextlib.suppress(httpx.TransportError):
                    health = await client.get(f"{base}/healthz")
                    break
                await asyncio.sleep(0.1)
            assert health is not None and health.json() == {
                "ok": True,
                "telegram": True,
                "whatsapp": True,
            }
            q = {"hub.mode": "subscribe", "hub.verify_token": "verifikasi", "hub.challenge": "42"}
            assert (await client.get(f"{base}/whatsapp", params=q)).text == "42"
            q["hub.verify_token"] = "salah"
            assert (await client.get(f"{base}/whatsapp", params=q)).status_code == 403
        wa.add_user("6289999999999", "Orang Asing")
        await wa.send_text("6289999999999", "halo")
        reply = await wa.wait_for("6289999999999", timeout=60)
        assert "bot ini khusus untuk pegawai Kecamatan Astambul" in (reply[0].text or "")
        assert reply[0].via == "to" and wa.stats["bsuid_in_to"] == 0
    finally:
        if proc is not None and proc.returncode is None:
            proc.terminate()
            await proc.wait()
        await tg.stop()
        await wa.stop()


def test_invite_prints_the_link_or_at_least_the_code(tmp_path):
    assert _cli(tmp_path, "office", "import", str(EXAMPLE)).returncode == 0
    res = _cli(tmp_path, "invite", "198003032005011003", TELEGRAM_BOT_USERNAME="sakip_bot")
    assert res.returncode == 0, res.stderr
    link = re.search(r"https://t\.me/sakip_bot\?start=(\S+)", res.stdout)
    assert link is not None and f"Kode undangan (untuk WhatsApp): {link.group(1)}" in res.stdout
    res = _cli(tmp_path, "invite", "Muhammad Rizal")  # no username, no token: the code still
    assert res.returncode == 0, res.stderr
    code = re.search(r"Kode undangan \(untuk WhatsApp\): (\S+)", res.stdout)
    assert code is not None and f"/start {code.group(1)}" in res.stderr
    assert "t.me" not in res.stdout
