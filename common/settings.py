"""Settings read from environment variables, one class per process with its own prefix."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.natsauth import generated_url, has_credentials

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "demo", "development"})


class CommonSettings(BaseSettings):
    """What every process shares: environment, NATS, the signing keys, the state folder."""

    model_config = SettingsConfigDict(env_prefix="TP_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    #: With the process's NATS user in it (`nats://staffing:…@nats:4222`; `tls://` for TLS), from
    #: a secret. Without one, the users `teacherpool up` generated under `var/nats/users/` are
    #: used (development only).
    nats_url: str = "nats://127.0.0.1:4223"
    #: The CA that signed the NATS servers' certificates, when they serve TLS.
    nats_tls_ca_file: Path | None = None
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    nats_duplicate_window_seconds: float = Field(default=120.0, gt=0)
    auth_public_key_file: Path | None = None
    auth_private_key_file: Path | None = None
    auth_issuer: str = "teacherpool-gateway"
    auth_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def public_key_path(self) -> Path:
        return self.auth_public_key_file or self.var_dir / "keys" / "gateway-ed25519.pub.pem"

    @property
    def private_key_path(self) -> Path:
        return self.auth_private_key_file or self.var_dir / "keys" / "gateway-ed25519.pem"

    @property
    def nats_users_dir(self) -> Path:
        """Where `teacherpool up` keeps the NATS users it generates for its own server."""
        return self.var_dir / "nats" / "users"

    def nats_url_for(self, service: str) -> str:
        """The NATS URL a process connects with as `service`: TP_NATS_URL when it names a
        user, else the one `teacherpool up` generated for this server (outside production:
        there a URL without a user is refused, as NATS must not be open)."""
        if has_credentials(self.nats_url):
            return self.nats_url
        if self.is_production:
            raise ValueError(
                "TP_NATS_URL must carry the process's NATS user and password in production"
                " (docs/deploy.md, 'NATS users per service')"
            )
        return generated_url(self.nats_users_dir, service, self.nats_url) or self.nats_url

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> CommonSettings:
        if self.is_production and self.auth_public_key_file is None:
            raise ValueError(
                "TP_AUTH_PUBLIC_KEY_FILE must name the gateway's public key in production"
            )
        return self


class ServiceSettings(BaseSettings):
    """Settings of one service process; subclasses set the prefix and defaults."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str]
    database_url: str
    host: str = "127.0.0.1"
    port: int
    #: The most database connections the process holds: each opened when first needed, then kept.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    consumer_batch: int = Field(default=64, ge=1, le=1000)
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    outbox_sweep_seconds: float = Field(default=2.0, gt=0)
    common: CommonSettings = Field(default_factory=CommonSettings)

    @model_validator(mode="after")
    def _production_needs_a_server_database(self) -> ServiceSettings:
        if self.common.is_production and self.database_url.startswith("sqlite"):
            raise ValueError(
                f"TP_{self.service_name.upper()}_DATABASE_URL must name PostgreSQL in production"
            )
        return self


def refuse_placeholder(name: str, value: str, common: CommonSettings) -> None:
    """Refuse a placeholder secret in production, where it would be a real hole."""
    if common.is_production and value.strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError(f"{name} is a placeholder; set a real secret in production")
