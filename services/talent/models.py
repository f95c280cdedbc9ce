"""Tables of the talent service."""

from __future__ import annotations

from common.models import messaging_tables, new_base
from common.outbox import Outbox
from common.projections import UnitProjectionFields

TalentBase = new_base("TalentBase")
messaging = messaging_tables(TalentBase.metadata)
outbox = Outbox(messaging.outbox, service="talent")


class Unit(TalentBase, UnitProjectionFields, table=True):  # type: ignore[call-arg]
    """A district or school as staffing announced it."""

    __tablename__ = "units"
