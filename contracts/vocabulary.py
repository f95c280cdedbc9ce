"""The shared vocabulary: school stages (学段), curriculum subjects, teacher titles (职称) and
teacher certificates (教师资格), one list each, with the sources they come from.

Every service validates against these lists; imports map the synonyms below onto them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

Stage = Literal["kindergarten", "primary", "junior", "senior", "vocational"]
"""A school stage (学段). Codes, youngest first."""

STAGES: tuple[Stage, ...] = get_args(Stage)

STAGE_NAMES_ZH: dict[str, str] = {
    "kindergarten": "幼儿园",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
}
"""Chinese name of each stage."""

STAGE_NAMES_EN: dict[str, str] = {
    "kindergarten": "Kindergarten",
    "primary": "Primary",
    "junior": "Junior secondary",
    "senior": "Senior secondary",
    "vocational": "Vocational secondary",
}
"""English name of each stage, for the English UI."""

STAGE_GRADES: dict[str, int] = {
    "kindergarten": 3,
    "primary": 6,
    "junior": 3,
    "senior": 3,
    "vocational": 3,
}
"""Grades (years) of each stage: 六三三学制, three years of kindergarten, 中职 taken as three."""

STAGE_SYNONYMS: dict[str, Stage] = {
    **{code: code for code in STAGES},
    "幼儿园": "kindergarten",
    "小学": "primary",
    "初中": "junior",
    "高中": "senior",
    "中职": "vocational",
    "学前": "kindergarten",
    "学前教育": "kindergarten",
    "幼儿园教育": "kindergarten",
    "小学教育": "primary",
    "初级中学": "junior",
    "初中教育": "junior",
    "高级中学": "senior",
    "普通高中": "senior",
    "高中教育": "senior",
    "中等职业学校": "vocational",
    "中等职业教育": "vocational",
    "职高": "vocational",
}
"""Codes and the names a spreadsheet may use for a stage, mapped to its code."""


# Subjects, and the stages each exists in.
#
# Compulsory education (小学 grades 1-6, 初中 grades 7-9): 《义务教育课程方案（2022年版）》
# (教材〔2022〕2号), 课程设置 table. Senior secondary: 《普通高中课程方案（2017年版2020年修订）》,
# 科目设置 table; its 技术 subject is taught as 信息技术 and 通用技术. 中职: the public foundation
# courses of 《中等职业学校公共基础课程方案》(2019-2020 standards). Kindergarten has no subjects
# (《3-6岁儿童学习与发展指南》 areas are taught together) and its certificate names none, so it
# has the single subject 学前教育. 心理健康 is taught as 心理健康教育 under
# 《中小学心理健康教育指导纲要（2012年修订）》 (教基一〔2012〕15号), in every stage from primary
# up, though neither plan lists it as a subject of its own. 劳动 in 中职 follows
# 《大中小学劳动教育指导纲要（试行）》 (教材〔2020〕4号), which requires it of 职业院校 too.
# The compulsory plan lets grades 7-9 take 科学 or 物理, 化学, 生物学 and grades 8-9 choose among
# 音乐, 美术, 舞蹈, 戏剧, 影视 (grades 1-7 teach 音乐 and 美术); the senior plan has 艺术 or
# 音乐, 美术 only. 中职 professional courses (专业课), which a 中职 certificate or 实习指导
# certificate names, are listed by the 19 groups (专业大类) of 《职业教育专业目录（2021年）》
# (教职成〔2021〕2号), e.g. 装备制造类专业.
_VOCATIONAL_GROUPS: dict[str, str] = {
    "农林牧渔": "agriculture, forestry, animal husbandry and fishery",
    "资源环境与安全": "resources, environment and safety",
    "能源动力与材料": "energy, power and materials",
    "土木建筑": "civil engineering and architecture",
    "水利": "water conservancy",
    "装备制造": "equipment manufacturing",
    "生物与化工": "biology and chemical engineering",
    "轻工纺织": "light industry and textiles",
    "食品药品与粮食": "food, drugs and grain",
    "交通运输": "transport",
    "电子与信息": "electronics and information",
    "医药卫生": "medicine and health",
    "财经商贸": "finance and commerce",
    "旅游": "tourism",
    "文化艺术": "culture and arts",
    "新闻传播": "journalism and communication",
    "教育与体育": "education and sports",
    "公安与司法": "public security and justice",
    "公共管理与服务": "public administration and services",
}
_PRIMARY_JUNIOR: tuple[Stage, ...] = ("primary", "junior")
_SCHOOL: tuple[Stage, ...] = ("primary", "junior", "senior", "vocational")

SUBJECT_STAGES: dict[str, tuple[Stage, ...]] = {
    "学前教育": ("kindergarten",),
    "道德与法治": _PRIMARY_JUNIOR,
    "思想政治": ("senior", "vocational"),
    "语文": _SCHOOL,
    "数学": _SCHOOL,
    "英语": _SCHOOL,
    "日语": ("primary", "junior", "senior"),
    "俄语": ("primary", "junior", "senior"),
    "德语": ("senior",),
    "法语": ("senior",),
    "西班牙语": ("senior",),
    "历史": ("junior", "senior", "vocational"),
    "地理": ("junior", "senior"),
    "科学": _PRIMARY_JUNIOR,
    "物理": ("junior", "senior", "vocational"),
    "化学": ("junior", "senior", "vocational"),
    "生物学": ("junior", "senior"),
    "信息科技": _PRIMARY_JUNIOR,
    "信息技术": ("senior", "vocational"),
    "通用技术": ("senior",),
    "体育与健康": _SCHOOL,
    "艺术": ("primary", "junior", "senior", "vocational"),
    "音乐": ("primary", "junior", "senior"),
    "美术": ("primary", "junior", "senior"),
    "舞蹈": ("junior",),
    "戏剧": ("junior",),
    "影视": ("junior",),
    "劳动": _SCHOOL,
    "综合实践活动": ("primary", "junior", "senior"),
    "心理健康": _SCHOOL,
    **{f"{group}类专业": ("vocational",) for group in _VOCATIONAL_GROUPS},
}
"""Every subject and the stages it is taught in."""

SUBJECTS: tuple[str, ...] = tuple(SUBJECT_STAGES)

SUBJECT_NAMES_EN: dict[str, str] = {
    "学前教育": "Early childhood education",
    "道德与法治": "Morality and rule of law",
    "思想政治": "Ideology and politics",
    "语文": "Chinese",
    "数学": "Mathematics",
    "英语": "English",
    "日语": "Japanese",
    "俄语": "Russian",
    "德语": "German",
    "法语": "French",
    "西班牙语": "Spanish",
    "历史": "History",
    "地理": "Geography",
    "科学": "Science",
    "物理": "Physics",
    "化学": "Chemistry",
    "生物学": "Biology",
    "信息科技": "Information science and technology",
    "信息技术": "Information technology",
    "通用技术": "General technology",
    "体育与健康": "PE and health",
    "艺术": "Arts",
    "音乐": "Music",
    "美术": "Fine arts",
    "舞蹈": "Dance",
    "戏剧": "Drama",
    "影视": "Film and media",
    "劳动": "Labour",
    "综合实践活动": "Integrated practice",
    "心理健康": "Mental health",
    **{f"{zh}类专业": f"Vocational courses: {en}" for zh, en in _VOCATIONAL_GROUPS.items()},
}
"""English name of each subject, for the English UI."""

# Names in use before the 2022 plan, or in everyday speech, mapped per stage: 信息技术 is the
# compulsory stages' old name for 信息科技 but still the senior stage's own subject.
_SUBJECT_SYNONYMS: dict[str, str | dict[str, str]] = {
    "体育": "体育与健康",
    "体育健康": "体育与健康",
    "思想品德": "道德与法治",
    "品德与生活": "道德与法治",
    "品德与社会": "道德与法治",
    "政治": {
        "primary": "道德与法治",
        "junior": "道德与法治",
        "senior": "思想政治",
        "vocational": "思想政治",
    },
    "思想政治": {"primary": "道德与法治", "junior": "道德与法治"},
    "生物": "生物学",
    "外语": "英语",
    "心理": "心理健康",
    "心理健康教育": "心理健康",
    "劳动教育": "劳动",
    "综合实践": "综合实践活动",
    "信息技术": {"primary": "信息科技", "junior": "信息科技"},
    "信息科技": {"senior": "信息技术", "vocational": "信息技术"},
    "计算机": {"primary": "信息科技", "junior": "信息科技", "senior": "信息技术"},
    "幼教": "学前教育",
    "幼儿教育": "学前教育",
    "机电": "装备制造类专业",
    "机电技术应用": "装备制造类专业",
    "数控技术应用": "装备制造类专业",
    "汽修": "交通运输类专业",
    "汽车运用与维修": "交通运输类专业",
    "会计": "财经商贸类专业",
    "会计事务": "财经商贸类专业",
    "旅游服务与管理": "旅游类专业",
    "计算机应用": "电子与信息类专业",
    **{zh: f"{zh}类专业" for zh in _VOCATIONAL_GROUPS if zh not in SUBJECT_STAGES},
    **{f"{zh}类": f"{zh}类专业" for zh in _VOCATIONAL_GROUPS},
}

TITLES: tuple[str, ...] = ("正高级教师", "高级教师", "一级教师", "二级教师", "三级教师")
"""Teacher titles (职称) since the 2015 reform, highest first. 人社部发〔2015〕79号,
《关于深化中小学教师职称制度改革的指导意见》."""

TITLE_NAMES_EN: dict[str, str] = {
    "正高级教师": "Senior teacher, full professor level",
    "高级教师": "Senior teacher",
    "一级教师": "First-grade teacher",
    "二级教师": "Second-grade teacher",
    "三级教师": "Third-grade teacher",
}

UNTITLED = "未定职称"
"""Not yet titled: no title of the list, but a row of the period-rate table (课时补贴)."""

LEGACY_TITLES: dict[str, str] = {
    "中学高级教师": "高级教师",
    "中学高级": "高级教师",
    "中学一级教师": "一级教师",
    "中学一级": "一级教师",
    "小学高级教师": "一级教师",
    "小学高级": "一级教师",
    "中学二级教师": "二级教师",
    "中学二级": "二级教师",
    "小学一级教师": "二级教师",
    "小学一级": "二级教师",
    "中学三级教师": "三级教师",
    "中学三级": "三级教师",
    "小学二级教师": "三级教师",
    "小学二级": "三级教师",
    "小学三级教师": "三级教师",
    "小学三级": "三级教师",
    "正高级": "正高级教师",
    "高级": "高级教师",
    "一级": "一级教师",
    "二级": "二级教师",
    "三级": "三级教师",
}
"""The pre-2015 titles and short forms mapped onto the unified ones, by the correspondence in
人社部发〔2015〕79号 (原中学高级 → 高级; 中学一级, 小学高级 → 一级; 中学二级, 小学一级 → 二级;
中学三级, 小学二级 and 三级 → 三级)."""

CertificateKind = Literal[
    "kindergarten", "primary", "junior", "senior", "vocational", "vocational_practice"
]
"""Kinds of teacher certificate (教师资格), 《教师资格条例》 §5."""

CERTIFICATE_KINDS: tuple[CertificateKind, ...] = get_args(CertificateKind)

CERTIFICATE_NAMES_EN: dict[CertificateKind, str] = {
    "kindergarten": "Kindergarten teacher certificate",
    "primary": "Primary school teacher certificate",
    "junior": "Junior secondary teacher certificate",
    "senior": "Senior secondary teacher certificate",
    "vocational": "Vocational school teacher certificate",
    "vocational_practice": "Vocational school practice instructor certificate",
}

CERTIFICATE_NAMES_ZH: dict[CertificateKind, str] = {
    "kindergarten": "幼儿园教师资格",
    "primary": "小学教师资格",
    "junior": "初级中学教师资格",
    "senior": "高级中学教师资格",
    "vocational": "中等职业学校教师资格",
    "vocational_practice": "中等职业学校实习指导教师资格",
}

# 《教师资格条例》(国务院令第188号) §5: "取得教师资格的公民，可以在本级及其以下等级的各类学校和其他
# 教育机构担任教师；但是，取得中等职业学校实习指导教师资格的公民只能在中等专业学校、技工学校、
# 职业高级中学或者初级职业学校担任实习指导教师。高级中学教师资格与中等职业学校教师资格相互通用。"
# Kindergartens are left out of "below": 《幼儿园工作规程》(教育部令第39号, 2016) §39 requires a
# kindergarten teacher to hold the kindergarten certificate, which covers nothing else.
CERTIFICATE_COVERS: dict[str, frozenset[Stage]] = {
    "kindergarten": frozenset({"kindergarten"}),
    "primary": frozenset({"primary"}),
    "junior": frozenset({"junior", "primary"}),
    "senior": frozenset({"senior", "vocational", "junior", "primary"}),
    "vocational": frozenset({"vocational", "senior", "junior", "primary"}),
    "vocational_practice": frozenset({"vocational"}),
}
"""For each certificate level, the stages it qualifies its holder to teach."""

CERTIFICATE_STAGE: dict[CertificateKind, Stage] = {
    "kindergarten": "kindergarten",
    "primary": "primary",
    "junior": "junior",
    "senior": "senior",
    "vocational": "vocational",
    "vocational_practice": "vocational",
}
"""The stage whose subjects a certificate of each level names."""

_CERTIFICATE_SYNONYMS: dict[str, CertificateKind] = {
    **{kind: kind for kind in CERTIFICATE_KINDS},
    **{name: kind for kind, name in CERTIFICATE_NAMES_ZH.items()},
    **{f"{name}证": kind for kind, name in CERTIFICATE_NAMES_ZH.items()},
    **{STAGE_NAMES_ZH[stage]: stage for stage in STAGES},
    "中职实习指导": "vocational_practice",
    "实习指导": "vocational_practice",
}


class UnknownTerm(ValueError):
    """A value that is not in the vocabulary, nor a known synonym of one."""


def is_subject_in_stage(subject: str, stage: str) -> bool:
    """Whether `subject` is taught in `stage`."""
    return stage in SUBJECT_STAGES.get(subject, ())


def normalize_stage(value: str) -> Stage:
    """A stage code from a code or a Chinese name; raises UnknownTerm."""
    value = value.strip()
    try:
        return STAGE_SYNONYMS[value]
    except KeyError:
        raise UnknownTerm(f"unknown stage {value!r}") from None


def normalize_subject(value: str, stage: str | None = None) -> str:
    """The curriculum name of `value` as taught in `stage`; raises UnknownTerm.

    A synonym that depends on the stage (信息技术 is 信息科技 in compulsory education) needs the
    stage; without it, the value must already be a subject of the list.
    """
    value = value.strip()
    synonym = _SUBJECT_SYNONYMS.get(value)
    if isinstance(synonym, dict):
        if stage is not None and stage in synonym:
            value = synonym[stage]
    elif synonym is not None:
        value = synonym
    if value not in SUBJECT_STAGES:
        raise UnknownTerm(f"unknown subject {value!r}")
    if stage is not None and not is_subject_in_stage(value, stage):
        raise UnknownTerm(f"{value} is not taught in {STAGE_NAMES_ZH.get(stage, stage)}")
    return value


def subjects_for(value: str, stages: Iterable[str]) -> list[str]:
    """The listed subjects `value` stands for in any of `stages` (or in none, when it needs no
    stage); raises UnknownTerm. For rows that name a subject once for several stages."""
    found: list[str] = []
    for stage in stages:
        try:
            name = normalize_subject(value, stage)
        except UnknownTerm:
            continue
        if name not in found:
            found.append(name)
    return found or [normalize_subject(value)]


def normalize_title(value: str) -> str:
    """The unified title (2015 reform) for a current or pre-2015 title; raises UnknownTerm."""
    value = value.strip()
    if value in TITLES:
        return value
    try:
        return LEGACY_TITLES[value]
    except KeyError:
        raise UnknownTerm(f"unknown title {value!r}") from None


def normalize_certificate_level(value: str) -> CertificateKind:
    """A certificate level from its code or Chinese name; raises UnknownTerm."""
    value = value.strip()
    try:
        return _CERTIFICATE_SYNONYMS[value]
    except KeyError:
        raise UnknownTerm(f"unknown certificate level {value!r}") from None


# How a certificate's level is written at the start of its name, longest first.
_LEVEL_PREFIXES: tuple[tuple[str, CertificateKind], ...] = (
    ("中等职业学校实习指导", "vocational_practice"),
    ("中职实习指导", "vocational_practice"),
    ("中等职业学校", "vocational"),
    ("初级中学", "junior"),
    ("高级中学", "senior"),
    ("幼儿园", "kindergarten"),
    ("中职", "vocational"),
    ("小学", "primary"),
    ("初中", "junior"),
    ("高中", "senior"),
)


def parse_certificate(text: str) -> tuple[CertificateKind, str]:
    """(level, subject) from a certificate's written name, as 高中数学教师资格证 or
    初级中学教师资格（物理）; raises UnknownTerm when the level or subject is missing or unknown."""
    name = text.strip()
    for noise in ("（", "）", "(", ")", "证书", "证", "教师资格", "教师", "学科", "任教"):
        name = name.replace(noise, "")
    for prefix, level in _LEVEL_PREFIXES:
        if name.startswith(prefix):
            rest = name.removeprefix(prefix)
            if level == "kindergarten" and not rest:
                return level, "学前教育"
            if not rest:
                raise UnknownTerm(f"{text!r} names no subject")
            return level, normalize_subject(rest, CERTIFICATE_STAGE[level])
    raise UnknownTerm(f"{text!r} names no certificate level")


def title_rank(title: str) -> int:
    """0 for 三级教师 up to 4 for 正高级教师."""
    return len(TITLES) - 1 - TITLES.index(title)


def certificate_covers(level: str, stage: str) -> bool:
    """Whether a certificate of `level` qualifies its holder for `stage` (条例 §5)."""
    return stage in CERTIFICATE_COVERS.get(level, frozenset())


def name_in_stage(subject: str, stage: str) -> str | None:
    """What `subject` is called in `stage` (思想政治: 道德与法治 in 初中); None if not taught."""
    if is_subject_in_stage(subject, stage):
        return subject
    synonym = _SUBJECT_SYNONYMS.get(subject)
    if isinstance(synonym, dict) and stage in synonym:
        return synonym[stage]
    return None


def qualifications(certificates: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """The (subject, stage) pairs that (level, subject) certificates qualify their holder for.

    A certificate covers its subject in every stage its level covers, under the name the subject
    has there: a 高中 信息技术 certificate covers 信息科技 in 初中 and 小学. Levels and subjects not
    in the vocabulary (rows kept as they were found) qualify for nothing.
    """
    pairs: set[tuple[str, str]] = set()
    for level, subject in certificates:
        for stage in CERTIFICATE_COVERS.get(level, frozenset()):
            name = name_in_stage(subject, stage)
            if name is not None:
                pairs.add((name, stage))
    return frozenset(pairs)


def qualified(certificates: Iterable[tuple[str, str]], stage: str, subject: str) -> bool:
    """Whether any (level, subject) certificate qualifies for teaching `subject` in `stage`
    (the same rule as `qualifications`, without building the set: matching calls it per pair)."""
    return any(
        stage in CERTIFICATE_COVERS.get(level, ()) and name_in_stage(held, stage) == subject
        for level, held in certificates
    )


# --- pydantic types: one definition for every service's requests and events ------------------


def _hint(value: str, normalize: Callable[[str], str]) -> str:
    try:
        known = normalize(value)
    except (UnknownTerm, TypeError):
        return ""
    return f"; did you mean {known!r}?" if known != value else ""


def _check_subject(value: str) -> str:
    if value not in SUBJECT_STAGES:
        raise ValueError(f"unknown subject {value!r}{_hint(value, normalize_subject)}")
    return value


def _check_title(value: str) -> str:
    if value not in TITLES:
        raise ValueError(f"unknown title {value!r}{_hint(value, normalize_title)}")
    return value


Subject = Annotated[str, AfterValidator(_check_subject)]
"""A subject of `SUBJECTS`, exactly as listed (imports map synonyms first)."""

Title = Annotated[str, AfterValidator(_check_title)]
"""A title of `TITLES`, exactly as listed (imports map the pre-2015 ones first)."""


def _check_rate_title(value: str) -> str:
    return value if value == UNTITLED else _check_title(value)


RateTitle = Annotated[str, AfterValidator(_check_rate_title)]
"""What a period rate is for: a title, or `UNTITLED`."""


def check_subject_in_stage(subject: str | None, stage: str | None) -> None:
    """Raise ValueError when a subject is given for a stage that does not teach it."""
    if subject is not None and stage is not None and not is_subject_in_stage(subject, stage):
        raise ValueError(f"{subject} is not taught in {STAGE_NAMES_ZH.get(stage, stage)}")


def listed_terms(**terms: str | None) -> dict[str, str | None]:
    """`subject`, `stage` and `title` as an event may carry them: a value the vocabulary does not
    list (a row the vocabulary migration kept as it found it) goes as None, which consumers read
    as "unknown, keep what you have"."""
    listed: dict[str, str | None] = {}
    if "stage" in terms:
        listed["stage"] = terms["stage"] if terms["stage"] in STAGES else None
    if "subject" in terms:
        subject = terms["subject"] if terms["subject"] in SUBJECT_STAGES else None
        stage = listed.get("stage")
        listed["subject"] = (
            None if subject and stage and not is_subject_in_stage(subject, stage) else subject
        )
    if "title" in terms:
        listed["title"] = terms["title"] if terms["title"] in TITLES else None
    return listed


class StoredCertificate(BaseModel):
    """A certificate as stored: rows kept from before the vocabulary may hold unlisted values."""

    level: str
    subject: str


class Certificate(BaseModel):
    """A teacher certificate (教师资格证): its level (条例 §4) and the subject it names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: CertificateKind
    subject: Subject

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: object) -> object:
        """A certificate may be given by its written name (高中数学教师资格证)."""
        if isinstance(data, str):
            try:
                level, subject = parse_certificate(data)
            except UnknownTerm as error:
                raise ValueError(str(error)) from None
            return {"level": level, "subject": subject}
        return data

    @model_validator(mode="after")
    def _subject_of_level(self) -> Certificate:
        own = CERTIFICATE_STAGE[self.level]
        if not is_subject_in_stage(self.subject, own):
            raise ValueError(
                f"a {CERTIFICATE_NAMES_ZH[self.level]} cannot name {self.subject}, "
                f"which is not taught in {STAGE_NAMES_ZH[own]}"
            )
        return self
