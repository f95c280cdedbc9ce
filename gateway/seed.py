"""The demo accounts in the gateway's database (never in production)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from common.city import DemoCity
from common.db import Database
from gateway.auth.secrets import hash_password
from gateway.auth.service import start_token_family, user_principal
from gateway.auth.tokens import ApiTokens
from gateway.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_principal
from gateway.models import User
from gateway.settings import GatewaySettings


async def seed_gateway(url: str, city: DemoCity) -> list[str]:
    """Add the demo accounts that are missing, and link a demo teacher account made before
    accounts carried their teacher; returns the usernames added."""
    db = Database(url)
    added: list[str] = []
    try:
        async with db.session() as session:
            found = {
                user.username: user
                for user in (
                    await session.execute(select(User).where(col(User.username).in_(DEMO_ACCOUNTS)))
                ).scalars()
            }
            password_hash = hash_password(DEMO_PASSWORD)
            for username in DEMO_ACCOUNTS:
                if username in found:
                    user = found[username]
                    if user.role == "teacher" and user.teacher_id is None:
                        user.teacher_id = demo_principal(username, city).teacher_id
                    continue
                principal = demo_principal(username, city)
                session.add(
                    User(
                        username=username,
                        display_name=principal.name,
                        password_hash=password_hash,
                        role=principal.role,
                        district_id=principal.district_id,
                        unit_id=principal.unit_id,
                        teacher_id=principal.teacher_id,
                    )
                )
                added.append(username)
    finally:
        await db.dispose()
    return added


async def demo_api_token(settings: GatewaySettings, username: str) -> str:
    """A gateway bearer token for a seeded demo account (for `teacherpool token`)."""
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            user = (
                await session.execute(select(User).where(col(User.username) == username))
            ).scalar_one()
            _, family = await start_token_family(session, user, settings.refresh_token_ttl_seconds)
            tokens = ApiTokens(
                settings.common,
                audience=settings.api_audience,
                ttl=settings.access_token_ttl_seconds,
            )
            return tokens.issue(user_principal(user), family.id)
    finally:
        await db.dispose()
