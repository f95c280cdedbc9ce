"""Pages of the talent area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
