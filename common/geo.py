"""Distances on the earth's surface, for travel between schools."""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

EARTH_RADIUS_KM = 6371.0
"""Mean radius of the earth (IUGG), in km."""

Coordinate = TypeVar("Coordinate", float, np.ndarray)

# The formula's operations for one point (math: a tenth of numpy's cost on a float) and for many.
_SCALAR: tuple[Any, ...] = (math.radians, math.sin, math.cos, math.sqrt, math.asin, min)
_ARRAY: tuple[Any, ...] = (np.radians, np.sin, np.cos, np.sqrt, np.arcsin, np.minimum)


def haversine_km(lat1: Coordinate, lon1: Coordinate, lat2: float, lon2: float) -> Coordinate:
    """Great-circle (haversine) distance in km from (lat1, lon1) to (lat2, lon2).

    Takes one point as floats, or many as arrays (the sharing index ranks thousands at once).
    """
    radians, sin, cos, sqrt, asin, minimum = _ARRAY if isinstance(lat1, np.ndarray) else _SCALAR
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi = phi2 - phi1
    dlambda = radians(lon2) - radians(lon1)
    h = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlambda / 2) ** 2
    km: Coordinate = 2 * EARTH_RADIUS_KM * asin(minimum(1.0, sqrt(h)))
    return km
