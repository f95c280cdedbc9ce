"""Domain errors of the sharing center, each a 409 naming what is in the way; common.errors maps."""

from __future__ import annotations

from datetime import date

from common.errors import Conflict
from services.sharing.timetable import Clash


class TimetableClash(Conflict):
    """The teacher is busy in a slot, or cannot get there in time (走教 travel included)."""

    slug = "timetable-clash"

    def __init__(self, clash: Clash, field: str = "body.slots") -> None:
        super().__init__(
            f"timetable clash: {clash.describe()}",
            errors=[{"field": field, "message": clash.describe()}],
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


class LessonNotYetDue(Conflict):
    """A lesson is marked given before the day it is taught."""

    slug, title = "lesson-not-yet-due", "The lesson is not yet due"

    def __init__(self, taught_on: date) -> None:
        super().__init__(
            f"the lesson is on {taught_on}, it cannot be given yet",
            extra={"taught_on": taught_on.isoformat()},
        )


class LessonSettled(Conflict):
    """The lesson is in a settlement; corrections go into a later one."""

    slug, title = "lesson-settled", "The lesson is settled"


class LiveOfferExists(Conflict):
    """The teacher already has a live offer for the request."""

    slug, title = "live-offer-exists", "A live offer exists"


class ExpiredOffer(Conflict):
    """The offer's time to answer has passed."""

    slug, title = "offer-expired", "The offer has expired"


class TeacherLeft(Conflict):
    """The teacher has left the roster."""

    slug, title = "teacher-left", "The teacher has left"


class ApplicationUnderReview(Conflict):
    """The teacher has a library application under review already."""

    slug, title = "application-under-review", "An application is under review"


class MoveAlreadyProposed(Conflict):
    """The lesson already has a move waiting for an answer."""

    slug, title = "move-already-proposed", "A move is already proposed"
