"""The Bot API's HTTP client (handlers/telegram_http.py) through python-telegram-bot's own
`Bot`, against the local Bot API server: what arrives there, and how the transport's
failures reach delivery (as the library's `NetworkError`/`TimedOut`, which it retries)."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.localapi import FakeTelegram
from bot.messaging.delivery import Message, Retry
from handlers.telegram import TelegramSender
from handlers.telegram_http import AiohttpRequest

TOKEN = "123456:HTTP"
CHAT = 7001


@pytest.fixture
async def fake():
    f = FakeTelegram(token=TOKEN)
    await f.start()
    f.add_user(CHAT, "Kasi Umum")
    yield f
    await f.stop()


async def _bot(root: str, **kw: float) -> Bot:
    bot = Bot(TOKEN, base_url=f"{root}/bot", request=AiohttpRequest(**kw))
    await bot.initialize()
    return bot


async def test_text_with_buttons_and_a_document_arrive_as_sent(fake: FakeTelegram, tmp_path):
    pdf = b"%PDF-1.4 laporan"
    (tmp_path / "v1.pdf").write_bytes(pdf)
    bot = await _bot(fake.root)
    try:
        sender = TelegramSender(bot, 0)
        mid = await sender.send(
            Message(
                id=1,
                chat_id=str(CHAT),
                kind="text",
                text="Nilai tersimpan.",
                buttons=[[["📤 Kirim", "tok-1"], ["✏️ Ubah", "tok-2"]]],
            )
        )
        doc_id = await sender.send(
            Message(
                id=2,
                chat_id=str(CHAT),
                kind="document",
                text="Versi 1",
                buttons=[[["✅ Setujui", "tok-3"]], [["✏️ Revisi", "tok-4"]]],
                file_path=str(tmp_path / "v1.pdf"),
                file_name="Laporan SAKIP.pdf",
            )
        )
    finally:
        await bot.shutdown()
    text, sent_doc = fake.messages(CHAT)
    assert str(text.message_id) == mid
    assert text.text == "Nilai tersimpan."
    assert text.buttons == ["📤 Kirim", "✏️ Ubah"]
    assert str(sent_doc.message_id) == doc_id
    assert (sent_doc.file_name, sent_doc.content, sent_doc.text) == (
        "Laporan SAKIP.pdf",
        pdf,
        "Versi 1",
    )
    assert sent_doc.button_rows == [["✅ Setujui"], ["✏️ Revisi"]]
    # text as a JSON body (no URL-encoding of every character); a file as a multipart form
    bodies = fake.stats["bodies"]
    assert bodies["sendMessage application/json"] == 1, dict(bodies)
    assert bodies["sendDocument multipart/form-data"] == 1, dict(bodies)


async def test_telegram_errors_are_the_librarys(fake: FakeTelegram):
    bot = await _bot(fake.root)
    try:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(999_999, "halo")
        fake.inject_faults(1.0, kinds=("429",), seed=1, retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "halo")
    finally:
        fake.clear_faults()
        await bot.shutdown()


async def test_a_server_that_does_not_answer_in_time_is_a_timeout_delivery_retries(
    fake: FakeTelegram,
):
    fake.inject_faults(1.0, kinds=("timeout",), seed=1, timeout_seconds=2.0)
    bot = await _bot(fake.root, read_timeout=0.3)
    try:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "halo")
        with pytest.raises(Retry, match="timeout"):
            await TelegramSender(bot, 0).send(
                Message(id=2, chat_id=str(CHAT), kind="text", text="halo", buttons=[])
            )
    finally:
        fake.clear_faults()
        await bot.shutdown()


async def test_nobody_listening_is_a_network_error_delivery_retries():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    await bot.request.initialize()  # type: ignore[attr-defined]
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.do_api_request("sendMessage", {"chat_id": CHAT, "text": "halo"})
        with pytest.raises(Retry, match="network"):
            await TelegramSender(bot, 0).send(
                Message(id=3, chat_id=str(CHAT), kind="text", text="halo", buttons=[])
            )
    finally:
        await bot.request.shutdown()  # type: ignore[attr-defined]


async def test_a_connection_closed_without_an_answer_is_a_network_error(fake: FakeTelegram):
    fake.inject_faults(1.0, kinds=("reset",), seed=1)
    bot = await _bot(fake.root)
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.send_message(CHAT, "halo")
        fake.clear_faults()
        await bot.send_message(CHAT, "lagi")  # the pool recovers
    finally:
        fake.clear_faults()
        await bot.shutdown()
    assert [m.text for m in fake.messages(CHAT)] == ["lagi"]
