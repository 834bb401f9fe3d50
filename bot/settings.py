"""Settings from the environment and `.env` (pydantic-settings), validated once at start.

Every variable is documented in `.env.example`. A missing or malformed value stops the
bot with one line naming the variable (see `load_settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """The bot's configuration; one instance per process, passed explicitly."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = Field(default="", description="Token from BotFather")
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str = ""
    database_url: str = ""
    data_dir: Path = Path("./data")
    timezone: str = "Asia/Makassar"
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    invite_days: int = 7
    telegram_timeout: float = 10.0
    telegram_chat_rate: float = 1.0
    telegram_rate_limits: bool = True
    max_file_mb: int = 20
    quiet_start: str = "20:00"
    quiet_end: str = "07:00"
    work_start: str = "08:00"
    work_end: str = "16:00"
    default_section_days: int = 3
    # Webhook mode (optional): a public https address that reaches this process.
    webhook_url: str = ""
    webhook_secret: str = ""
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    # WhatsApp Cloud API (optional).
    whatsapp_token: str = ""
    whatsapp_phone_id: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    whatsapp_template_reminder: str = ""
    whatsapp_template_language: str = "id"
    whatsapp_rate: float = 80.0
    whatsapp_pair_burst: int = 45
    whatsapp_pair_seconds: float = 6.0
    whatsapp_daily_limit: int = 250
    # The web dashboard (optional): its public address, where `/dasbor` links point.
    dashboard_url: str = ""
    dashboard_session_hours: int = 8
    # Several processes on PostgreSQL: how long a claimed inbox update stays with the process
    # that claimed it before another may take it over (that process died).
    inbox_lease_seconds: float = 60.0

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            return [int(x) for x in v.replace(";", ",").split(",") if x.strip()]
        if isinstance(v, int):
            return [v]
        return v

    @field_validator("timezone")
    @classmethod
    def _valid_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("quiet_start", "quiet_end", "work_start", "work_end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        h, _, m = v.partition(":")
        if not (h.isdigit() and m.isdigit() and int(h) < 24 and int(m) < 60):
            raise ValueError(f"expected HH:MM, got {v!r}")
        return v

    @field_validator("telegram_api_url", "whatsapp_api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {v!r}")
        return v.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        """The form only (scheme, a dialect SQLAlchemy knows); reachability is checked when
        the CLI connects."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        v = v.strip()
        if not v:
            return v
        try:
            url = make_url(v)
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a database URL; expected e.g. postgresql+psycopg://user:password@host:5432/"
                "name or sqlite:///path/sakip.db"
            ) from None
        try:
            dialect = url.get_dialect()
        except NoSuchModuleError:
            raise ValueError(
                f"unknown database kind {url.drivername!r}; use postgresql+psycopg://… "
                "or sqlite:///…"
            ) from None
        if url.get_backend_name() not in ("postgresql", "sqlite"):
            raise ValueError(
                f"database kind {url.get_backend_name()!r} is not supported; use PostgreSQL "
                "(postgresql+psycopg://…) or SQLite (sqlite:///…)"
            )
        try:
            dialect.import_dbapi()
        except ImportError:
            raise ValueError(
                f"the driver for {url.drivername!r} is not installed; use "
                "postgresql+psycopg://… (psycopg 3) or sqlite:///…"
            ) from None
        return v

    @property
    def db_url(self) -> str:
        """The database URL; the embedded SQLite file in DATA_DIR by default."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'sakip.db').resolve()}"

    @property
    def telegram_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def telegram_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_id)

    def secret_values(self) -> list[str]:
        """Every secret a log line must never show (bot/logsafe.py masks them): the bot
        token (and its secret half), the WhatsApp token and secrets, the webhook secret, and
        the database password (as written and as it appears in a URL)."""
        from urllib.parse import quote

        from sqlalchemy.engine import make_url

        values = [
            self.telegram_bot_token,
            self.telegram_bot_token.partition(":")[2],
            self.whatsapp_token,
            self.whatsapp_app_secret,
            self.whatsapp_verify_token,
            self.webhook_secret,
        ]
        if self.database_url:
            password = make_url(self.database_url).password
            if password:
                values += [str(password), quote(str(password), safe="")]
        return [v for v in dict.fromkeys(values) if v]

    def require_token(self) -> None:
        """The token is needed only to run against Telegram, not for the CLI's other commands."""
        if not self.telegram_bot_token or ":" not in self.telegram_bot_token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN: missing or malformed (expected '123456:ABC...' from BotFather)"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's error into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "?"
        raise SettingsError(f"{name}: {err['msg'].removeprefix('Value error, ')}") from None
