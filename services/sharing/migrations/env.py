"""Alembic environment of the sharing service."""

from common.migrations import run_env
from services.sharing.models import SharingBase

run_env(SharingBase.metadata)
