"""Query filters that keep each caller to the units in their scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from common.auth import Principal


def unit_scope(principal: Principal, unit_column: Any, district_column: Any) -> ColumnElement[bool]:
    """Rows whose unit the caller may see: all city-wide, a district's own schools, one school."""
    if principal.is_city_wide:
        return true()
    if principal.role == "district_hr" and principal.district_id is not None:
        return or_(unit_column == principal.district_id, district_column == principal.district_id)
    if principal.role in ("school_admin", "teacher") and principal.unit_id is not None:
        return unit_column == principal.unit_id
    return false()
