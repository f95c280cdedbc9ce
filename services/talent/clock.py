"""Dates as the bureau sees them: Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return datetime.now(LOCAL_ZONE).date()
