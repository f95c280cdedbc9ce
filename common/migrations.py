"""Each service's own alembic migrations: configuration, the shared env.py logic, upgrade."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, make_url
from sqlalchemy.engine import Connection

from common.db import make_engine

SERVICES = ("staffing", "sharing", "talent", "gateway")
ROOT = Path(__file__).resolve().parent.parent


def script_location(service: str) -> Path:
    if service == "gateway":
        return ROOT / "gateway" / "migrations"
    return ROOT / "services" / service / "migrations"


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location(service)))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("timezone", "UTC")
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Bring `service`'s database at `url` up to `revision` (blocking; call from a thread)."""
    database = make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:":
        # SQLite makes the file but not its folder (./var on a fresh clone).
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, url), revision)


def _configure(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = make_engine(url, pooled=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_env(metadata: MetaData) -> None:
    """The body of every service's env.py."""
    url = context.config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))
