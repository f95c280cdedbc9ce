"""The shared vocabulary against its sources' own tables."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts import vocabulary as v

# 《义务教育课程方案（2022年版）》 课程设置: each national subject and the grades (1-9) it is
# taught in. 外语 is 英语, 日语 or 俄语 from grade 3; grades 7-9 take 科学 or 物理, 化学, 生物学;
# 艺术 is 音乐 and 美术 in grades 1-7 and a choice among five in grades 8-9.
COMPULSORY_PLAN: dict[str, range] = {
    "道德与法治": range(1, 10),
    "语文": range(1, 10),
    "数学": range(1, 10),
    "英语": range(3, 10),
    "日语": range(3, 10),
    "俄语": range(3, 10),
    "历史": range(7, 10),
    "地理": range(7, 10),
    "科学": range(1, 10),
    "物理": range(7, 10),
    "化学": range(7, 10),
    "生物学": range(7, 10),
    "信息科技": range(3, 9),
    "体育与健康": range(1, 10),
    "艺术": range(1, 10),
    "音乐": range(1, 10),
    "美术": range(1, 10),
    "舞蹈": range(8, 10),
    "戏剧": range(8, 10),
    "影视": range(8, 10),
    "劳动": range(1, 10),
    "综合实践活动": range(1, 10),
}
PRIMARY_GRADES, JUNIOR_GRADES = range(1, 7), range(7, 10)

# 《普通高中课程方案（2017年版2020年修订）》 开设科目: 外语 in six languages, 技术 as 信息技术 and
# 通用技术, 艺术 (or 音乐, 美术), plus 综合实践活动 and 劳动.
SENIOR_PLAN = {
    "语文",
    "数学",
    "英语",
    "日语",
    "俄语",
    "德语",
    "法语",
    "西班牙语",
    "思想政治",
    "历史",
    "地理",
    "物理",
    "化学",
    "生物学",
    "信息技术",
    "通用技术",
    "艺术",
    "音乐",
    "美术",
    "体育与健康",
    "综合实践活动",
    "劳动",
}

# 中等职业学校 公共基础课程标准 (教职成厅〔2020〕2号): the ten public foundation courses.
VOCATIONAL_FOUNDATION = {
    "思想政治",
    "语文",
    "历史",
    "数学",
    "英语",
    "信息技术",
    "体育与健康",
    "艺术",
    "物理",
    "化学",
}

# Outside the plans' tables, each with its own source (see contracts/vocabulary.py).
OUTSIDE_PLANS = {"学前教育", "心理健康"}

# 人社部发〔2015〕79号: 原中学高级教师 → 高级教师; 原中学一级教师, 小学高级教师 → 一级教师;
# 原中学二级教师, 小学一级教师 → 二级教师; 原中学三级教师, 小学二级教师, 小学三级教师 → 三级教师.
TITLE_CORRESPONDENCE = {
    "中学高级教师": "高级教师",
    "中学一级教师": "一级教师",
    "小学高级教师": "一级教师",
    "中学二级教师": "二级教师",
    "小学一级教师": "二级教师",
    "中学三级教师": "三级教师",
    "小学二级教师": "三级教师",
    "小学三级教师": "三级教师",
}

# 《教师资格条例》 §5: a certificate covers its own level and those below (幼儿园 excepted, see
# 《幼儿园工作规程》 §39); 高中 and 中职 certificates are interchangeable; the 中职 practice
# certificate covers practice teaching at 中职 only.
COVERAGE = {
    "kindergarten": {"kindergarten"},
    "primary": {"primary"},
    "junior": {"junior", "primary"},
    "senior": {"senior", "vocational", "junior", "primary"},
    "vocational": {"vocational", "senior", "junior", "primary"},
    "vocational_practice": {"vocational"},
}


def taught_in(stage: str) -> set[str]:
    return {s for s, stages in v.SUBJECT_STAGES.items() if stage in stages}


class TestSubjects:
    @pytest.mark.parametrize(
        ("stage", "grades"), [("primary", PRIMARY_GRADES), ("junior", JUNIOR_GRADES)]
    )
    def test_compulsory_stages_follow_the_2022_plan(self, stage: str, grades: range) -> None:
        from_plan = {s for s, taught in COMPULSORY_PLAN.items() if set(taught) & set(grades)}
        assert taught_in(stage) - OUTSIDE_PLANS == from_plan

    def test_senior_follows_the_2017_2020_plan(self) -> None:
        assert taught_in("senior") - OUTSIDE_PLANS == SENIOR_PLAN

    def test_vocational_is_the_foundation_courses_labour_and_professional_groups(self) -> None:
        professional = {s for s in taught_in("vocational") if s.endswith("类专业")}
        assert len(professional) == 19
        foundation = taught_in("vocational") - professional
        assert foundation == VOCATIONAL_FOUNDATION | {"劳动", "心理健康"}

    def test_kindergarten_has_only_its_own_subject(self) -> None:
        assert taught_in("kindergarten") == {"学前教育"}

    def test_it_is_信息科技_in_compulsory_and_信息技术_in_senior(self) -> None:
        assert v.SUBJECT_STAGES["信息科技"] == ("primary", "junior")
        assert "primary" not in v.SUBJECT_STAGES["信息技术"]

    def test_every_subject_and_stage_has_an_english_name(self) -> None:
        assert set(v.SUBJECT_NAMES_EN) == set(v.SUBJECTS)
        assert set(v.STAGE_NAMES_EN) == set(v.STAGES) == set(v.STAGE_NAMES_ZH)
        assert set(v.TITLE_NAMES_EN) == set(v.TITLES)
        assert set(v.CERTIFICATE_NAMES_EN) == set(v.CERTIFICATE_KINDS)

    def test_every_synonym_leads_to_a_subject(self) -> None:
        for name, target in v._SUBJECT_SYNONYMS.items():
            by_stage = target if isinstance(target, dict) else {}
            for stage, subject in by_stage.items():
                assert v.is_subject_in_stage(subject, stage), (name, stage)
            if isinstance(target, str):
                assert target in v.SUBJECT_STAGES, name

    @pytest.mark.parametrize(
        ("value", "stage", "subject"),
        [
            ("体育", "primary", "体育与健康"),
            ("体育", None, "体育与健康"),
            ("信息技术", "primary", "信息科技"),
            ("信息技术", "junior", "信息科技"),
            ("信息技术", "senior", "信息技术"),
            ("信息科技", "senior", "信息技术"),
            ("生物", "junior", "生物学"),
            ("政治", "senior", "思想政治"),
            ("思想品德", "junior", "道德与法治"),
            (" 语文 ", "primary", "语文"),
            ("机电", "vocational", "装备制造类专业"),
        ],
    )
    def test_synonyms_map_by_stage(self, value: str, stage: str | None, subject: str) -> None:
        assert v.normalize_subject(value, stage) == subject

    @pytest.mark.parametrize(
        ("value", "stage"),
        [("历史", "primary"), ("通用技术", "junior"), ("书法", None), ("政治", None)],
    )
    def test_unknown_or_out_of_stage_subjects_are_refused(
        self, value: str, stage: str | None
    ) -> None:
        with pytest.raises(v.UnknownTerm):
            v.normalize_subject(value, stage)


class TestTitles:
    def test_five_titles_highest_first(self) -> None:
        assert v.TITLES == ("正高级教师", "高级教师", "一级教师", "二级教师", "三级教师")
        assert [v.title_rank(t) for t in v.TITLES] == [4, 3, 2, 1, 0]

    @pytest.mark.parametrize(("old", "new"), TITLE_CORRESPONDENCE.items())
    def test_pre_2015_titles_follow_the_correspondence(self, old: str, new: str) -> None:
        assert v.normalize_title(old) == new
        assert v.normalize_title(old.removesuffix("教师")) == new

    def test_every_legacy_title_maps_onto_a_unified_one(self) -> None:
        assert set(v.LEGACY_TITLES.values()) <= set(v.TITLES)
        assert all(v.normalize_title(t) == t for t in v.TITLES)

    def test_unknown_title_is_refused(self) -> None:
        with pytest.raises(v.UnknownTerm):
            v.normalize_title("特级教师")


class TestCertificates:
    def test_coverage_follows_article_5(self) -> None:
        assert set(v.CERTIFICATE_KINDS) == set(COVERAGE)
        for level, stages in COVERAGE.items():
            for stage in v.STAGES:
                assert v.certificate_covers(level, stage) == (stage in stages), (level, stage)

    def test_senior_certificate_qualifies_for_junior_and_primary(self) -> None:
        held = [("senior", "数学")]
        assert all(v.qualified(held, s, "数学") for s in ("senior", "junior", "primary"))
        assert not v.qualified(held, "kindergarten", "学前教育")
        assert not v.qualified(held, "senior", "物理")

    def test_a_subject_is_covered_under_its_name_in_the_lower_stage(self) -> None:
        assert v.qualified([("senior", "信息技术")], "junior", "信息科技")
        assert v.qualified([("senior", "思想政治")], "primary", "道德与法治")
        assert not v.qualified([("junior", "信息科技")], "senior", "信息技术")

    def test_kindergarten_and_practice_certificates_cover_only_their_kind(self) -> None:
        assert v.qualifications([("kindergarten", "学前教育")]) == {("学前教育", "kindergarten")}
        assert v.qualifications([("vocational_practice", "装备制造类专业")]) == {
            ("装备制造类专业", "vocational")
        }

    def test_primary_certificate_does_not_reach_up(self) -> None:
        assert not v.qualified([("primary", "数学")], "junior", "数学")

    def test_unknown_levels_and_subjects_qualify_for_nothing(self) -> None:
        assert v.qualifications([("university", "数学"), ("senior", "书法")]) == frozenset()

    def test_certificate_names_a_subject_of_its_own_level(self) -> None:
        assert v.Certificate(level="junior", subject="科学").subject == "科学"
        with pytest.raises(ValidationError, match="not taught in 小学"):
            v.Certificate(level="primary", subject="物理")
        with pytest.raises(ValidationError):
            v.Certificate.model_validate({"level": "college", "subject": "数学"})

    @pytest.mark.parametrize(
        ("value", "level"),
        [("高级中学教师资格", "senior"), ("初中", "junior"), ("实习指导", "vocational_practice")],
    )
    def test_level_names_map_onto_levels(self, value: str, level: str) -> None:
        assert v.normalize_certificate_level(value) == level


class TestPydanticTypes:
    def test_subject_type_accepts_only_listed_names_and_suggests_the_listed_one(self) -> None:
        adapter = TypeAdapter(v.Subject)
        assert adapter.validate_python("体育与健康") == "体育与健康"
        with pytest.raises(ValidationError, match="did you mean '体育与健康'"):
            adapter.validate_python("体育")

    def test_title_type_suggests_the_unified_title(self) -> None:
        adapter = TypeAdapter(v.Title)
        with pytest.raises(ValidationError, match="did you mean '高级教师'"):
            adapter.validate_python("中学高级")

    def test_subject_in_stage_check(self) -> None:
        v.check_subject_in_stage("信息科技", "junior")
        v.check_subject_in_stage(None, "junior")
        with pytest.raises(ValueError, match="not taught in 高中"):
            v.check_subject_in_stage("信息科技", "senior")


class TestStages:
    def test_stages_youngest_first_with_chinese_names(self) -> None:
        assert v.STAGES == ("kindergarten", "primary", "junior", "senior", "vocational")
        assert [v.normalize_stage(v.STAGE_NAMES_ZH[s]) for s in v.STAGES] == list(v.STAGES)
        assert v.normalize_stage("普通高中") == "senior"
        with pytest.raises(v.UnknownTerm):
            v.normalize_stage("大学")
