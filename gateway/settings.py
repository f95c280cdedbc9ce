"""Settings of the gateway (environment prefix TP_GATEWAY_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import CommonSettings


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TP_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite+aiosqlite:///var/gateway.db"
    #: The most database connections the process holds: each opened when first needed, then kept.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    staffing_url: str = "http://127.0.0.1:8001"
    sharing_url: str = "http://127.0.0.1:8002"
    talent_url: str = "http://127.0.0.1:8003"
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    upstream_max_connections: int = Field(default=200, ge=1)
    api_audience: str = "teacherpool-api"
    access_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=300)
    # A log-in's refresh tokens renew each other until this long after the log-in, then the
    # client logs in again (default chosen here: 30 days).
    refresh_family_max_seconds: int = Field(default=30 * 24 * 3600, ge=300)
    session_ttl_seconds: int = Field(default=8 * 3600, ge=300)
    #: The session cookie's name; over https it is sent as `__Host-<name>` with Secure.
    session_cookie: str = "tp_session"
    #: How often a live stream (SSE) re-checks that its log-in is still valid.
    stream_recheck_seconds: float = Field(default=2.0, gt=0, le=30)
    #: The token Prometheus sends (`Authorization: Bearer …`) for the gateway's /metrics; unset,
    #: /metrics answers only loopback callers that came through no proxy.
    metrics_token: str | None = Field(default=None, min_length=24)
    # Log-in throttling per account and source (defaults chosen here, to be tuned by the
    # operator): free failures in a row, then a delay doubling from the base up to the most.
    login_free_failures: int = Field(default=5, ge=1)
    login_delay_base_seconds: float = Field(default=1.0, gt=0)
    login_delay_max_seconds: float = Field(default=15 * 60.0, gt=0)
    # argon2 runs in this many threads, with at most this many checks waiting for one.
    password_hash_workers: int = Field(default=2, ge=1, le=32)
    password_hash_queue: int = Field(default=64, ge=0)
    # Peers whose X-Forwarded-For/-Proto are believed (comma-separated addresses or CIDRs, or
    # "*"): the ingress or load balancer in front of the gateway. Everyone else is the client.
    forwarded_allow_ips: str = "127.0.0.1"
    # Requests whose credentials fail, per source per minute, before the source must wait.
    rate_limit_unauthenticated_per_minute: int = Field(default=60, ge=1)
    # Refused log-ins and other refused anonymous requests are summed per actor and source
    # over this window into one audit row.
    audit_refusal_window_seconds: float = Field(default=300.0, gt=0)
    revocation_check_seconds: float = Field(default=5.0, ge=0)
    rate_limit_store: Literal["memory", "nats"] = "memory"
    rate_limit_user_per_minute: int = Field(default=1200, ge=1)
    rate_limit_key_per_minute: int = Field(default=600, ge=1)
    rate_limit_login_per_minute: int = Field(default=20, ge=1)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    consume_events: bool = True
    #: Absolute links in mails start with this.
    public_url: str = "http://127.0.0.1:8000"
    #: `file` writes each mail as an .eml under `mail_dir` (default `<var>/mail`); `smtp` sends.
    mail_backend: Literal["file", "smtp"] = "file"
    mail_dir: Path | None = None
    mail_from: str = "teacherpool <noreply@teacherpool.local>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    #: Notifications arriving within this window after the first go out as one digest.
    mail_digest_seconds: float = Field(default=60.0, ge=0)
    mail_poll_seconds: float = Field(default=1.0, gt=0)
    mail_retry_base_seconds: float = Field(default=5.0, gt=0)
    mail_retry_max_seconds: float = Field(default=900.0, gt=0)
    common: CommonSettings = Field(default_factory=CommonSettings)

    @model_validator(mode="after")
    def _production_needs_a_server_database(self) -> GatewaySettings:
        if self.common.is_production and self.database_url.startswith("sqlite"):
            raise ValueError("TP_GATEWAY_DATABASE_URL must name PostgreSQL in production")
        return self

    @property
    def https(self) -> bool:
        """Served over https (its public URL says so), or in production, which must be."""
        return self.public_url.startswith("https://") or self.common.is_production

    @property
    def session_cookie_name(self) -> str:
        """`__Host-` binds the cookie to this exact host over https, path /, no Domain."""
        return f"__Host-{self.session_cookie}" if self.https else self.session_cookie

    def upstreams(self) -> dict[str, str]:
        return {
            "staffing": self.staffing_url,
            "sharing": self.sharing_url,
            "talent": self.talent_url,
        }
