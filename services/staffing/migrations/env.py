"""Alembic environment of the staffing service."""

from common.migrations import run_env
from services.staffing.models import StaffingBase

run_env(StaffingBase.metadata)
