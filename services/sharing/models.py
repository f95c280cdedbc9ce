"""Tables of the sharing service."""

from __future__ import annotations

from common.models import messaging_tables, new_base
from common.outbox import Outbox
from common.projections import UnitProjectionFields

SharingBase = new_base("SharingBase")
messaging = messaging_tables(SharingBase.metadata)
outbox = Outbox(messaging.outbox, service="sharing")


class Unit(SharingBase, UnitProjectionFields, table=True):  # type: ignore[call-arg]
    """A district or school as staffing announced it."""

    __tablename__ = "units"
