"""No secret in any log: at DEBUG, python-telegram-bot and httpx log request URLs with the
bot token; every record any logger makes shows `***` instead, exceptions included."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logsafe import install_log_redaction, remove_log_redaction
from bot.settings import Settings, load_settings
from tests import flows
from tests.conftest import TOKEN
from tests.harness import Harness


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        fmt = logging.Formatter("%(name)s %(message)s")
        return [fmt.format(r) for r in self.records]


@pytest.fixture
def debug_logs() -> Iterator[Capture]:
    root = logging.getLogger()
    capture, level = Capture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
        remove_log_redaction()


async def test_no_token_in_any_log_record_while_the_bot_runs(
    settings, clock, office, db, debug_logs
):
    install_log_redaction(settings.secret_values())
    factory = logging.getLogRecordFactory()
    install_log_redaction(settings.secret_values())  # idempotent: wrapped once
    assert logging.getLogRecordFactory() is factory
    h = Harness(settings, clock, db, TOKEN)
    await h.start()
    try:
        o = await flows.setup_office(h)
        await h.say(o.camat, "/start")
        await h.say(o.kasubag, "/status")
        assert "Drs. Ahmad Fauzi" in h.last(o.camat)  # the bot answered
        assert h.texts(o.kasubag)
    finally:
        await h.stop()
    texts = debug_logs.texts()
    assert len(texts) > 20  # the bot did log at DEBUG
    secret_half = TOKEN.partition(":")[2]
    assert not [t for t in texts if TOKEN in t or secret_half in t]
    assert any("/bot***/" in t for t in texts), "request URLs are still logged, masked"


def test_every_secret_is_masked_in_messages_arguments_and_exceptions(tmp_path, debug_logs):
    s: Settings = load_settings(
        _env_file=None,
        telegram_bot_token="987654:AAH-secret-token",
        whatsapp_token="EAAG-wa-token",
        whatsapp_app_secret="app-secret-42",
        whatsapp_verify_token="verify-me-please",
        webhook_secret="hook-secret-77",
        database_url="postgresql+psycopg://sakip:p%40ss%2Fw0rd@db.example:5432/sakip",
        data_dir=tmp_path,
    )
    values = s.secret_values()
    assert {"987654:AAH-secret-token", "AAH-secret-token", "p@ss/w0rd", "p%40ss%2Fw0rd"} <= set(
        values
    )
    install_log_redaction(values)
    log = logging.getLogger("some.library")
    log.debug("GET https://api.telegram.org/bot%s/getMe", "987654:AAH-secret-token")
    log.info("wa %(token)s / %(secret)s", {"token": "EAAG-wa-token", "secret": "app-secret-42"})
    log.warning("verify=verify-me-please hook=hook-secret-77")
    try:
        raise RuntimeError("cannot connect to postgresql://sakip:p%40ss%2Fw0rd@db.example/x")
    except RuntimeError:
        log.exception("database p@ss/w0rd down")
    handler_made = logging.makeLogRecord(
        {"msg": "made elsewhere EAAG-wa-token", "levelno": logging.WARNING}
    )
    logging.getLogger().handle(handler_made)
    joined = "\n".join(debug_logs.texts())
    for secret in values:
        assert secret not in joined, secret
    assert "https://api.telegram.org/bot***/getMe" in joined
    assert "wa *** / ***" in joined and "sakip:***@db.example" in joined
    assert "made elsewhere ***" in joined
