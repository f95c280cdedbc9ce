"""Domain errors of the sharing center, each a 409 that says exactly what is in the way."""

from __future__ import annotations

from common.errors import Conflict
from services.sharing.timetable import Clash


class TimetableClash(Conflict):
    """The teacher is busy in a slot, or cannot get there in time (走教 travel included)."""

    slug = "timetable-clash"

    def __init__(self, clash: Clash) -> None:
        super().__init__(
            f"timetable clash: {clash.describe()}",
            errors=[{"field": "slots", "message": clash.describe()}],
            extra={
                "clash": {
                    "weekday": clash.weekday,
                    "period": clash.period,
                    "with": clash.other,
                    "kind": clash.kind,
                }
            },
        )


class OverWeeklyCap(Conflict):
    """The booking would take the teacher over their weekly cap of shared periods."""

    slug = "over-weekly-cap"

    def __init__(self, load: int, adding: int, cap: int) -> None:
        super().__init__(
            f"over the weekly cap: {load} shared periods booked + {adding} > cap {cap}",
            errors=[{"field": "weekly_cap", "message": f"{load} + {adding} > {cap}"}],
            extra={"load": load, "adding": adding, "cap": cap},
        )
