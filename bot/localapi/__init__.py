"""Local fakes of the messaging services (Telegram Bot API, WhatsApp Cloud API)."""

from bot.localapi.telegram import CallbackAnswer, FakeTelegram, SentMessage

__all__ = ["CallbackAnswer", "FakeTelegram", "SentMessage"]
