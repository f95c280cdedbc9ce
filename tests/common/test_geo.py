"""The one distance function: haversine, for one point or many."""

import numpy as np
import pytest

from common.geo import haversine_km
from teacherpool.demo import load_districts


def test_distance_between_two_districts_is_a_haversine_distance() -> None:
    districts = {d.name: d for d in load_districts()}
    qingyang, longquanyi = districts["青羊区"], districts["龙泉驿区"]
    km = haversine_km(qingyang.lat, qingyang.lon, longquanyi.lat, longquanyi.lon)
    assert isinstance(km, float)
    assert 15 < km < 30
    back = haversine_km(longquanyi.lat, longquanyi.lon, qingyang.lat, qingyang.lon)
    assert back == pytest.approx(km)
    assert haversine_km(30.0, 104.0, 30.0, 104.0) == 0
    assert haversine_km(30.0, 104.0, 31.0, 104.0) == pytest.approx(111.2, abs=0.5)


def test_arrays_give_each_point_the_distance_of_the_scalar_form() -> None:
    lats = np.array([30.0, 30.66, 31.0, np.nan])
    lons = np.array([104.0, 104.06, 103.5, 104.0])
    many = haversine_km(lats, lons, 30.57, 104.27)
    assert isinstance(many, np.ndarray)
    for lat, lon, km in zip(lats[:3], lons[:3], many[:3], strict=True):
        assert km == pytest.approx(haversine_km(float(lat), float(lon), 30.57, 104.27))
    assert np.isnan(many[3])
