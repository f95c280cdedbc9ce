"""Dates as Chengdu sees them: loans fall due, lessons are taught and postings close on local
days (Asia/Shanghai), not on UTC's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
"""The bureau's time zone."""


def local_today() -> date:
    """Today's date in Chengdu."""
    return datetime.now(LOCAL_TIME).date()
