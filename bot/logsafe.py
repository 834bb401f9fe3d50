"""No secret in any log: the bot token (python-telegram-bot and httpx log request URLs that
contain it at INFO/DEBUG), the WhatsApp token and secrets, and the database password are
replaced with `***` in every log record, whichever library logs it and whichever handler
writes it.

`install_log_redaction(settings.secret_values())` wraps the log record factory, so every
record is cleaned where it is made (its message with the arguments filled in, its exception
text and stack), and adds a filter to the root logger's handlers for records made elsewhere
(`logging.makeLogRecord`). Calling it again adds secrets; it never wraps twice.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _has_secret(text: str) -> bool:
    return any(secret in text for secret in _secrets)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Fill in the message now and mask secrets in it, the exception and the stack."""
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what can be shown, masked
        message = f"{record.msg} {record.args!r}"
    if record.args or _has_secret(message):
        record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactSecrets(logging.Filter):
    """A handler filter for records that did not come through the record factory."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_FILTER = RedactSecrets()


def _factory(old: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(old(*args, **kwargs))

    make.__sakip_redacting__ = True  # type: ignore[attr-defined]
    make.__sakip_wrapped__ = old  # type: ignore[attr-defined]
    return make


def install_log_redaction(secrets: Iterable[str]) -> None:
    """Mask these secrets in every log record from now on (idempotent; secrets accumulate)."""
    global _secrets
    with _lock:
        found = {s for s in secrets if s and len(s) >= MIN_SECRET} | set(_secrets)
        _secrets = tuple(sorted(found, key=len, reverse=True))  # longest first
        current = logging.getLogRecordFactory()
        if not getattr(current, "__sakip_redacting__", False):
            logging.setLogRecordFactory(_factory(current))
        for handler in logging.getLogger().handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def remove_log_redaction() -> None:
    """Undo `install_log_redaction` (for tests that must leave logging as they found it)."""
    global _secrets
    with _lock:
        _secrets = ()
        current = logging.getLogRecordFactory()
        if getattr(current, "__sakip_redacting__", False):
            logging.setLogRecordFactory(current.__sakip_wrapped__)  # type: ignore[attr-defined]
        for handler in logging.getLogger().handlers:
            handler.removeFilter(_FILTER)
