"""Settings from the environment and an optional .env file (see .env.example)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from platformdirs import user_data_path
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    kneecoach_db: Path | None = None
    # postgresql://user:password@host:port/dbname: several `kneecoach run` processes share it;
    # unset, the store is the SQLite file (KNEECOACH_DB).
    kneecoach_database_url: SecretStr | None = None
    kneecoach_db_pool_max: int = 10  # connections per process (x processes < max_connections)
    # On PostgreSQL: how long the leader's lease lasts without a renewal (it renews every
    # third of it); a dead or frozen leader is replaced within about this long.
    kneecoach_leader_lease_seconds: float = Field(default=15.0, ge=1.0, le=600.0)
    kneecoach_files: Path | None = None
    kneecoach_content: Path | None = None
    kneecoach_log_level: str = "INFO"
    kneecoach_tick_seconds: float = 5.0
    # The sweep claims reminders this long before they fall due (they are sent on time).
    kneecoach_claim_ahead_seconds: float = Field(default=600.0, ge=0, le=3600)
    # Sent and missed outbox rows are forgotten after this many days.
    kneecoach_outbox_retention_days: int = Field(default=30, ge=1)
    # PostgreSQL: how long work a process has taken (an outbox row to send) stays its own;
    # past it another process takes it over (its taker died or froze) and resumes it.
    kneecoach_lease_seconds: float = Field(default=120.0, gt=0, le=3600)
    # Running as a service (README, "Self-hosting").
    kneecoach_log_format: Literal["human", "json"] = "human"
    kneecoach_metrics_port: int | None = None  # /healthz, /readyz, /metrics; off by default
    kneecoach_metrics_host: str = "127.0.0.1"
    kneecoach_shutdown_grace: float = 3.0  # seconds turns and deliveries in hand get

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None
    # Messages sent to Telegram and not yet recorded, at most: each can arrive twice after a
    # crash. 1 keeps 30 messages a second while Telegram answers within about 30 ms.
    telegram_in_flight: int = 1
    # Reminders sent with allow_paid_broadcast: up to 1000 messages a second instead of 30,
    # for 0.1 Telegram Stars a message, paid from the bot's balance. Off by default; never
    # for replies.
    telegram_paid_broadcast: bool = False

    discord_bot_token: SecretStr | None = None
    discord_application_id: str | None = None
    # Another REST base than Discord's (tests: the fake Discord); the gateway URL is then
    # asked from its GET /gateway/bot.
    discord_api_base_url: str | None = None
    # Shards 0..N-1 of the gateway, all in the process that holds it (AutoShardedClient);
    # unset: one unsharded session, which Discord allows up to 2,500 servers.
    discord_shard_count: int | None = Field(default=None, ge=1)

    def content_root(self) -> Path:
        """The content folder: KNEECOACH_CONTENT (a reviewed or translated copy), else the
        repository's content/."""
        from bot.content import default_content_root

        if self.kneecoach_content is not None:
            return self.kneecoach_content.expanduser()
        return default_content_root()

    def db_path(self) -> Path:
        """Where the SQLite file lives: KNEECOACH_DB, else the user's data directory."""
        if self.kneecoach_db is not None:
            return self.kneecoach_db.expanduser()
        return user_data_path("kneecoach", appauthor=False) / "kneecoach.db"

    def database_target(self) -> str | Path:
        """The store `kneecoach run` uses: KNEECOACH_DATABASE_URL (PostgreSQL) if set, else
        the SQLite file."""
        if self.kneecoach_database_url is not None:
            return self.kneecoach_database_url.get_secret_value()
        return self.db_path()

    def database_password(self) -> str | None:
        """The password in KNEECOACH_DATABASE_URL (masked in every log line, like a token)."""
        if self.kneecoach_database_url is None:
            return None
        return urlsplit(self.kneecoach_database_url.get_secret_value()).password

    def run_problem(self) -> str | None:
        """What stops `kneecoach run` before it starts: a webhook that several processes
        on PostgreSQL serve needs ONE secret they all check (a secret made up by each
        process would make the others refuse Telegram's posts)."""
        if (self.kneecoach_database_url is not None and self.telegram_bot_token is not None
                and self.telegram_webhook_url and self.telegram_webhook_secret is None):
            return ("set TELEGRAM_WEBHOOK_SECRET: a Telegram webhook (TELEGRAM_WEBHOOK_URL) "
                    "on PostgreSQL (KNEECOACH_DATABASE_URL) needs one secret that every "
                    "process checks (1-256 characters of A-Z, a-z, 0-9, _ and -)")
        return None

    def files_path(self) -> Path:
        """Where the terminal chat writes files: KNEECOACH_FILES, else beside the database."""
        if self.kneecoach_files is not None:
            return self.kneecoach_files.expanduser()
        return files_beside(self.db_path())


def files_beside(db_path: Path) -> Path:
    """The terminal chat's folder for the files it saves (charts, pictures, the summary, the
    export): beside the database, private to its owner, never a shared location."""
    return db_path.parent / "kneecoach-files"


def cache_beside(db_path: Path) -> Path:
    """Where rendered exercise pictures are cached: a folder under the data directory."""
    return db_path.parent / "kneecoach-cache"


def load_settings(env_file: Path | None = None) -> Settings:
    """Settings from the environment and an env file: ``env_file`` (``--env-file``), else
    ``KNEECOACH_ENV_FILE``, else ``.env`` in the current directory if there is one. The
    environment wins over the file. A file named explicitly must exist."""
    import os

    named = env_file or (Path(p) if (p := os.environ.get("KNEECOACH_ENV_FILE")) else None)
    if named is not None:
        named = named.expanduser()
        if not named.is_file():
            raise FileNotFoundError(f"no env file at {named}")
        return Settings(_env_file=named)
    return Settings()
