"""Tests for the deterministic demo-city generator."""

import functools
import uuid
from collections import Counter

import pytest

from common.city import DemoCity
from common.geo import haversine_km
from contracts.vocabulary import STAGE_NAMES_ZH, STAGES
from teacherpool.demo import (
    DEMO_SCHOOL_CODE,
    SCALES,
    UNIT_NAMESPACE,
    build_city,
    load_districts,
    unit_id,
)

CHENGDU_DISTRICTS = (
    "锦江区",
    "青羊区",
    "金牛区",
    "武侯区",
    "成华区",
    "龙泉驿区",
    "青白江区",
    "新都区",
    "温江区",
    "双流区",
    "郫都区",
    "新津区",
    "金堂县",
    "大邑县",
    "蒲江县",
    "都江堰市",
    "彭州市",
    "邛崃市",
    "崇州市",
    "简阳市",
    "高新区",
    "天府新区",
    "东部新区",
)

ENROLMENT_RANGE = {
    "kindergarten": (150, 600),
    "primary": (600, 2600),
    "junior": (400, 1800),
    "senior": (600, 2400),
    "vocational": (800, 3000),
}


@functools.cache
def default_city(scale: str) -> DemoCity:
    return build_city(scale)


@pytest.fixture(params=sorted(SCALES))
def city(request: pytest.FixtureRequest) -> DemoCity:
    return default_city(request.param)


def test_same_scale_and_seed_give_the_same_city() -> None:
    assert build_city("demo", seed=7) == build_city("demo", seed=7)
    assert build_city("city") == default_city("city")


def test_another_seed_gives_another_city() -> None:
    first, second = build_city("demo", seed=1), build_city("demo", seed=2)
    assert [s.code for s in first.schools] == [s.code for s in second.schools]
    assert [s.name for s in first.schools] != [s.name for s in second.schools]
    assert [(s.lat, s.lon) for s in first.schools] != [(s.lat, s.lon) for s in second.schools]


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        build_city("province")


def test_districts_are_the_23_units_of_the_csv() -> None:
    districts = load_districts()
    assert tuple(d.name for d in districts) == CHENGDU_DISTRICTS
    assert len({d.code for d in districts}) == 23
    assert {d.kind for d in districts} == {"district", "county", "county_city", "functional_zone"}
    assert all(d.id == unit_id(d.code) for d in districts)


@pytest.mark.parametrize(("scale", "schools"), [("demo", 300), ("city", 4000)])
def test_school_count_matches_the_scale(scale: str, schools: int) -> None:
    assert SCALES[scale] == schools
    assert len(default_city(scale).schools) == schools


def test_codes_names_and_ids_are_unique(city: DemoCity) -> None:
    for attribute in ("code", "name", "id"):
        values = [getattr(s, attribute) for s in city.schools]
        assert len(set(values)) == len(values), attribute
    district_ids = {d.id for d in city.districts}
    assert district_ids.isdisjoint(s.id for s in city.schools)


def test_ids_are_uuid5_of_the_code(city: DemoCity) -> None:
    for school in city.schools:
        assert school.id == uuid.uuid5(UNIT_NAMESPACE, f"unit:{school.code}")
        assert school.id.version == 5
        assert school.code.startswith(f"{school.district_code}-S")
        assert school.district_id == unit_id(school.district_code)


def test_every_district_has_at_least_three_schools(city: DemoCity) -> None:
    per_district = Counter(s.district_code for s in city.schools)
    assert set(per_district) == {d.code for d in city.districts}
    assert min(per_district.values()) >= 3


def test_central_districts_have_more_schools_than_pujiang(city: DemoCity) -> None:
    per_district = Counter(s.district_code for s in city.schools)
    pujiang = per_district[city.district_by_name("蒲江县").code]
    for name in ("金牛区", "武侯区", "高新区", "双流区"):
        assert per_district[city.district_by_name(name).code] > 2 * pujiang


def test_stage_mix_is_roughly_realistic(city: DemoCity) -> None:
    mix = Counter(s.stages for s in city.schools)
    share = {stages: count / len(city.schools) for stages, count in mix.items()}
    assert 0.30 < share[("kindergarten",)] < 0.40
    assert 0.30 < share[("primary",)] < 0.40
    assert 0.09 < share[("junior",)] < 0.16
    assert 0.04 < share[("primary", "junior")] < 0.08
    assert 0.04 < share[("senior",)] + share[("junior", "senior")] < 0.08
    assert 0.02 < share[("vocational",)] < 0.05


def test_demo_school_is_a_nine_year_school_in_qingyang(city: DemoCity) -> None:
    school = city.school_by_code(DEMO_SCHOOL_CODE)
    assert school.district_id == city.district_by_name("青羊区").id
    assert school.stages == ("primary", "junior")
    assert "青羊" in school.name


def test_demo_school_is_the_same_at_every_scale_and_seed() -> None:
    cities = [default_city(scale) for scale in SCALES] + [build_city("demo", seed=1)]
    names = {c.school_by_code(DEMO_SCHOOL_CODE).name for c in cities}
    assert len(names) == 1


def test_enrolment_has_one_realistic_number_per_stage(city: DemoCity) -> None:
    for school in city.schools:
        assert school.stages
        assert set(school.stages) <= set(STAGES)
        assert tuple(school.enrolment) == school.stages
        for stage, pupils in school.enrolment.items():
            low, high = ENROLMENT_RANGE[stage]
            assert low <= pupils <= high, (school.code, stage, pupils)


def test_central_schools_are_bigger_than_county_schools(city: DemoCity) -> None:
    def mean_primary(kinds: set[str]) -> float:
        codes = {d.code for d in city.districts if d.kind in kinds}
        sizes = [
            s.enrolment["primary"]
            for s in city.schools
            if s.district_code in codes and s.stages == ("primary",)
        ]
        return sum(sizes) / len(sizes)

    assert mean_primary({"district", "functional_zone"}) > mean_primary({"county", "county_city"})


def test_schools_lie_in_the_chengdu_box_near_their_district(city: DemoCity) -> None:
    centres = {d.code: d for d in city.districts}
    for school in city.schools:
        assert 30.0 <= school.lat <= 31.5
        assert 102.9 <= school.lon <= 105.0
        assert round(school.lat, 5) == school.lat
        centre = centres[school.district_code]
        limit = 8.5 if centre.kind in ("district", "functional_zone") else 21.0
        assert haversine_km(centre.lat, centre.lon, school.lat, school.lon) <= limit


def test_lookups_raise_key_error_for_unknown_keys(city: DemoCity) -> None:
    with pytest.raises(KeyError):
        city.district_by_name("海淀区")
    with pytest.raises(KeyError):
        city.school_by_code("000000-S0001")


def test_stage_names_cover_every_stage() -> None:
    assert tuple(STAGE_NAMES_ZH) == STAGES
    assert STAGE_NAMES_ZH["vocational"] == "中职"
