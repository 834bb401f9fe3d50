"""A bad or unreachable DATABASE_URL: one line naming it and what to check, exit 2, no
traceback, for every command that needs the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, TOKEN
from tests.test_cli_run import _cli

COMMANDS = {
    "run": ["run"],
    "db_upgrade": ["db", "upgrade"],
    "db_current": ["db", "current"],
    "office_import": ["office", "import", str(EXAMPLE)],
    "invite": ["invite", "198003032005011003"],
}
URLS = {
    "unknown_kind": ("foo://bar", "unknown database kind 'foo'"),
    "malformed": ("postgresql+psycopg://u:p@@host:port/x", "not a database URL"),
    "no_driver": (
        "sqlite+pysqlcipher:///x.db",
        "the driver for 'sqlite+pysqlcipher' is not installed",
    ),
    "mysql": ("mysql://u@localhost/x", "is not supported"),
    "unreachable": (
        "postgresql+psycopg://postgres:rahasia@127.0.0.1:1/x",
        "Periksa alamat server, port, nama basis data, pengguna dan sandi",
    ),
}


# The URL's form is checked with the settings, the same way for every command; reaching
# the server is tried by each command.
CASES = [(c, u) for c in COMMANDS for u in URLS if u == "unreachable" or c in ("run", "invite")]


@pytest.mark.parametrize(("command", "url_case"), CASES)
def test_bad_database_url_is_one_line_naming_it(tmp_path: Path, command: str, url_case: str):
    url, says = URLS[url_case]
    res = _cli(tmp_path, *COMMANDS[command], DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Konfigurasi salah — DATABASE_URL:") and says in lines[0]
    assert "rahasia" not in res.stderr  # the password is never printed
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_a_missing_sqlite_directory_that_cannot_be_made_is_one_line(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    res = _cli(tmp_path, "db", "upgrade", DATABASE_URL=f"sqlite:///{blocker}/sub/sakip.db")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "Traceback" not in res.stderr
