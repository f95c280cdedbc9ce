"""Alembic environment of the talent service."""

from common.migrations import run_env
from services.talent.models import TalentBase

run_env(TalentBase.metadata)
