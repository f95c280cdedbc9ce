"""Alembic environment of the gateway."""

from common.migrations import run_env
from gateway.models import GatewayBase

run_env(GatewayBase.metadata)
