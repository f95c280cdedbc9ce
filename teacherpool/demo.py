"""Deterministic generator of the demo city: Chengdu's 23 districts and their schools."""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from collections import Counter
from functools import lru_cache
from importlib import resources

from common.city import DemoCity, DemoDistrict, DemoSchool
from contracts.vocabulary import Stage

UNIT_NAMESPACE = uuid.UUID("24c41003-dde5-4011-82b7-20632161cbf7")
"""Namespace of the stable unit ids (districts and schools)."""

SCALES = {"demo": 300, "city": 4000}
"""Number of schools generated at each scale."""

ROSTER_SIZE = {"demo": 20_000, "city": 200_000}
"""Staff on the roster at each scale: about 20,000 for the demo, 200,000 for the whole city."""

DEMO_SCHOOL_CODE = "510105-S0001"
"""Code of the named demo school (九年一贯制, 青羊区) behind the demo account school.demo."""

DEMO_SCHOOL_NAME = "成都市青羊区实验学校"
"""Name of the demo school."""

_DEMO_DISTRICT_CODE = "510105"
_MIN_SCHOOLS_PER_DISTRICT = 3
_KM_PER_DEGREE_LAT = 111.0
_LAT_BOX = (30.0, 31.5)
_LON_BOX = (102.9, 105.0)

# Relative share of the city's schools; roughly follows each unit's 2023 pupil numbers.
_DISTRICT_WEIGHTS = {
    "510104": 6.0,
    "510105": 6.0,
    "510106": 7.0,
    "510107": 6.5,
    "510108": 6.5,
    "510112": 6.0,
    "510113": 3.0,
    "510114": 6.0,
    "510115": 4.0,
    "510116": 6.0,
    "510117": 5.5,
    "510118": 2.5,
    "510121": 3.5,
    "510129": 2.5,
    "510131": 1.2,
    "510181": 3.5,
    "510182": 3.5,
    "510183": 3.0,
    "510184": 3.0,
    "510185": 4.0,
    "CDGX": 6.5,
    "CDTF": 6.0,
    "CDDB": 1.2,
}
_DEFAULT_WEIGHT = 3.0

# Central units have bigger schools; counties smaller ones.
_CENTRAL_CODES = frozenset({"510104", "510105", "510106", "510107", "510108", "CDGX"})
_SIZE_SKEW = {"central": 0.6, "suburban": 1.0, "county": 1.4}

_SCATTER_KM = {"district": 8.0, "functional_zone": 8.0, "county": 20.0, "county_city": 20.0}

_KIND_SHARES = {
    "kindergarten": 0.35,
    "primary": 0.35,
    "junior": 0.13,
    "nine_year": 0.06,
    "senior": 0.035,
    "complete": 0.025,
    "vocational": 0.03,
}

_KIND_STAGES: dict[str, tuple[Stage, ...]] = {
    "kindergarten": ("kindergarten",),
    "primary": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "senior": ("senior",),
    "complete": ("junior", "senior"),
    "vocational": ("vocational",),
}

_KIND_SUFFIXES = {
    "kindergarten": ("幼儿园",),
    "primary": ("小学",),
    "junior": ("中学", "初级中学"),
    "nine_year": ("学校", "学校", "外国语学校"),
    "senior": ("高级中学", "中学"),
    "complete": ("中学",),
    "vocational": ("职业高级中学", "职业技术学校", "职业中学"),
}

# County towns have a flagship school named after the county itself (e.g. 温江中学).
_FLAGSHIP_KINDS = frozenset({"senior", "complete", "vocational"})

_ENROLMENT_RANGE = {
    "kindergarten": (150, 600),
    "primary": (600, 2600),
    "junior": (400, 1800),
    "senior": (600, 2400),
    "vocational": (800, 3000),
}

_ZONE_PREFIXES = {
    "高新区": ("成都高新区",),
    "天府新区": ("天府新区", "四川天府新区"),
    "东部新区": ("成都东部新区", "东部新区"),
}

_PLACES = {
    "510104": "春熙 盐市口 牛市口 督院街 书院街 合江亭 莲新 沙河 三圣 柳江 成龙 东光 攀成钢 水井坊",
    "510105": "草堂 少城 金沙 光华 府南 苏坡 文家 黄田坝 清波 蔡桥 汪家拐 西御 东坡 康河",
    "510106": "西华 茶店子 营门口 抚琴 驷马桥 荷花池 沙湾 九里堤 五块石 天回 金泉 土桥 人北 马鞍",
    "510107": "浆洗街 玉林 望江 红牌楼 簇桥 机投 晋阳 火车南站 芳草 桐梓林 金花 双楠 簇锦 川大",
    "510108": "猛追湾 府青 建设 双桥子 万年场 跳蹬河 青龙 龙潭 保和 二仙桥 八里庄 东郊 白莲池 桃蹊",
    "510112": "龙泉 大面 十陵 同安 洛带 西河 黄土 柏合 山泉 茶店 东山 驿都 平安 幸福",
    "510113": "大弯 红阳 弥牟 城厢 姚渡 清泉 龙王 福洪 祥福 人和 大同 凤凰",
    "510114": "桂湖 大丰 三河 斑竹园 新繁 清流 军屯 石板滩 木兰 泰兴 马家 龙桥 蜀龙 升庵",
    "510115": "柳城 公平 涌泉 天府 金马 和盛 永宁 万春 寿安 鱼凫 江浦 学府 光华 踏水",
    "510116": "棠湖 东升 西航港 九江 黄甲 公兴 彭镇 黄水 金桥 永安 胜利 协和 怡心 航都",
    "510117": "郫筒 犀浦 红光 团结 安德 友爱 唐昌 三道堰 古城 德源 安靖 新民场 望丛 清河",
    "510118": "五津 花源 花桥 永商 安西 兴义 宝墩 普兴 邓双 金华 文井 梨花",
    "510121": "赵镇 淮口 白果 五凤 竹篙 转龙 三星 高板 官仓 栖贤 福兴 又新",
    "510129": "晋原 安仁 新场 王泗 沙渠 悦来 花水湾 苏家 出江 韩场 蔡场 斜源",
    "510131": "鹤山 大塘 寿安 朝阳湖 西来 大兴 甘溪 成佳 复兴 光明",
    "510181": "灌口 幸福 蒲阳 聚源 青城山 玉堂 崇义 天马 石羊 龙池 安龙 胥家 奎光 李冰",
    "510182": "天彭 致和 丽春 濛阳 隆丰 九尺 丹景山 敖平 葛仙山 通济 白鹿 升平 桂花 军乐",
    "510183": "临邛 文君 羊安 牟礼 固驿 冉义 平乐 夹关 高何 天台山 桑园 前进 卧龙 宝林",
    "510184": "崇阳 三江 江源 羊马 元通 怀远 街子 白头 道明 廖家 隆兴 观胜 文井江 蜀州",
    "510185": "简城 射洪坝 东溪 石桥 平泉 禾丰 贾家 三岔 石盘 新市 养马 施家 青龙 五合",
    "CDGX": "桂溪 芳草 石羊 肖家河 中和 合作 西园 锦城 府城 新川 益州 大源 世纪城 骡马市",
    "CDTF": "华阳 正兴 煎茶 籍田 新兴 兴隆 太平 万安 麓湖 秦皇寺 白沙 永兴 南湖 鹿溪",
    "CDDB": "三岔湖 丹景 草池 高明 石板凳 玉成 福田 武庙 芦葭 董家埂 壮溪 绛溪 禾丰 踏水",
}
_COMMON_PLACES = (
    "育才 新华 东城 西城 南城 北城 花园 锦城 芙蓉 银杏 蜀都 和平 光明 人民 向阳 红星 东风 "
    "文化 翠微 桂花 海棠 玉兰 荷塘 青杠 白果 明德 博雅 弘文 启明 致远 求实 崇德 树人 嘉祥"
)

_ZH_DIGITS = "零一二三四五六七八九"


def unit_id(code: str) -> uuid.UUID:
    """Stable id of the district or school with this code."""
    return uuid.uuid5(UNIT_NAMESPACE, f"unit:{code}")


@lru_cache(maxsize=1)
def load_districts() -> tuple[DemoDistrict, ...]:
    """The 23 county-level units of Chengdu, from the packaged CSV, in file order."""
    text = resources.files("teacherpool").joinpath("data/chengdu-districts.csv").read_text("utf-8")
    return tuple(
        DemoDistrict(
            id=unit_id(row["code"]),
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
        )
        for row in csv.DictReader(io.StringIO(text))
    )


def build_city(scale: str = "demo", seed: int = 2023) -> DemoCity:
    """Generate the demo city at a scale from SCALES; the same (scale, seed) gives the same city."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(SCALES)}")
    rng = random.Random(seed)  # noqa: S311 deterministic demo data, not a secret
    districts = load_districts()
    counts = _apportion(
        SCALES[scale] - _MIN_SCHOOLS_PER_DISTRICT * len(districts),
        {d.code: _DISTRICT_WEIGHTS.get(d.code, _DEFAULT_WEIGHT) for d in districts},
    )
    kinds = _deal_kinds(
        rng, districts, {d.code: counts[d.code] + _MIN_SCHOOLS_PER_DISTRICT for d in districts}
    )
    used_keys: set[tuple[str, str]] = {(_DEMO_DISTRICT_CODE, "实验学校")}
    used_names: set[str] = {DEMO_SCHOOL_NAME}
    schools: list[DemoSchool] = []
    for district in districts:
        kind_counts = Counter(kinds[district.code])
        for n, kind in enumerate(kinds[district.code], start=1):
            code = f"{district.code}-S{n:04d}"
            if code == DEMO_SCHOOL_CODE:
                name = DEMO_SCHOOL_NAME
            else:
                name = _school_name(rng, district, kind, kind_counts[kind], used_keys, used_names)
            stages = _KIND_STAGES[kind]
            lat, lon = _scatter(rng, district)
            schools.append(
                DemoSchool(
                    id=unit_id(code),
                    code=code,
                    name=name,
                    district_code=district.code,
                    district_id=district.id,
                    stages=stages,
                    lat=lat,
                    lon=lon,
                    enrolment=_enrolment(rng, district, stages),
                )
            )
    return DemoCity(districts=districts, schools=tuple(schools), demo_school_code=DEMO_SCHOOL_CODE)


def _apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split total by weight, largest remainder first, ties in dict order."""
    weight_sum = sum(weights.values())
    exact = {key: total * w / weight_sum for key, w in weights.items()}
    shares = {key: math.floor(x) for key, x in exact.items()}
    by_remainder = sorted(exact, key=lambda key: exact[key] - shares[key], reverse=True)
    for key in by_remainder[: total - sum(shares.values())]:
        shares[key] += 1
    return shares


def _deal_kinds(
    rng: random.Random, districts: tuple[DemoDistrict, ...], sizes: dict[str, int]
) -> dict[str, list[str]]:
    """School kinds per district: the city-wide mix exact, every district with a 幼儿园 and 小学."""
    remaining = _apportion(sum(sizes.values()), _KIND_SHARES)
    fixed: dict[str, list[str]] = {d.code: ["kindergarten", "primary"] for d in districts}
    fixed[_DEMO_DISTRICT_CODE].insert(0, "nine_year")
    for kinds in fixed.values():
        for kind in kinds:
            remaining[kind] -= 1
    pool = [kind for kind, count in remaining.items() for _ in range(count)]
    rng.shuffle(pool)
    dealt: dict[str, list[str]] = {}
    for district in districts:
        own = fixed[district.code]
        take = sizes[district.code] - len(own)
        own_rest, pool = own + pool[:take], pool[take:]
        if district.code == _DEMO_DISTRICT_CODE:
            # The demo school keeps the first code, S0001, at every scale and seed.
            head, tail = own_rest[:1], own_rest[1:]
            rng.shuffle(tail)
            dealt[district.code] = head + tail
        else:
            rng.shuffle(own_rest)
            dealt[district.code] = own_rest
    return dealt


def _short_name(name: str) -> str:
    """District name without its 区/县/市 ending: 青羊区 → 青羊, 天府新区 → 天府."""
    for ending in ("新区", "区", "县", "市"):
        if name.endswith(ending) and len(name) - len(ending) >= 2:
            return name[: -len(ending)]
    return name


def _zh_number(n: int) -> str:
    """Chinese numeral for 1 ≤ n < 1000 (二十三, 一百零五)."""
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        head = "" if tens == 1 else _ZH_DIGITS[tens]
        return head + "十" + (_ZH_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        tail = ""
    elif rest < 10:
        tail = "零" + _ZH_DIGITS[rest]
    elif rest < 20:
        tail = "一" + _zh_number(rest)
    else:
        tail = _zh_number(rest)
    return _ZH_DIGITS[hundreds] + "百" + tail


@lru_cache(maxsize=64)
def _places(district_code: str) -> tuple[str, ...]:
    """Place names for school names: the district's own towns and streets, then common ones."""
    words = (_PLACES.get(district_code, "") + " " + _COMMON_PLACES).split()
    return tuple(dict.fromkeys(words))


def _prefixes(district: DemoDistrict) -> tuple[str, ...]:
    """Ways a school name may start; repeats weight the choice."""
    if district.name in _ZONE_PREFIXES:
        return _ZONE_PREFIXES[district.name]
    if district.kind == "district":
        return (district.name, district.name, f"成都市{district.name}")
    return (district.name,)


def _school_name(
    rng: random.Random,
    district: DemoDistrict,
    kind: str,
    kind_count: int,
    used_keys: set[tuple[str, str]],
    used_names: set[str],
) -> str:
    """A unique, realistic school name; the key ignores the prefix so 成都市X区Y and X区Y clash."""
    places = _places(district.code)
    prefix = rng.choice(_prefixes(district))
    suffix = rng.choice(_KIND_SUFFIXES[kind])

    def claim(core: str, name: str) -> bool:
        if (district.code, core) in used_keys or name in used_names:
            return False
        used_keys.add((district.code, core))
        used_names.add(name)
        return True

    # A county with four junior schools has no 第十八中学.
    top_ordinal = min(20, max(3, kind_count))
    core = ""
    for _ in range(12):
        roll = rng.random()
        if roll < 0.05 and kind in _FLAGSHIP_KINDS and district.kind != "functional_zone":
            core = _short_name(district.name) + suffix
            city = "成都市" if district.kind == "district" else ""
            if claim(core, city + core):
                return city + core
            continue
        if roll < 0.62:
            core = rng.choice(places) + suffix
        elif roll < 0.82:
            core = f"第{_zh_number(rng.randint(1, top_ordinal))}{suffix}"
        elif roll < 0.9:
            core = f"实验{suffix}"
        else:
            core = f"第{_zh_number(rng.randint(1, min(top_ordinal, 6)))}实验{suffix}"
        if claim(core, prefix + core):
            return prefix + core
    branch = "分园" if kind == "kindergarten" else "分校"
    for place in rng.sample(places, len(places)):
        if place not in core and claim(core + place + branch, prefix + core + place + branch):
            return prefix + core + place + branch
    n = top_ordinal + 1
    while not claim(f"第{_zh_number(n)}{suffix}", f"{prefix}第{_zh_number(n)}{suffix}"):
        n += 1
    return f"{prefix}第{_zh_number(n)}{suffix}"


def _scatter(rng: random.Random, district: DemoDistrict) -> tuple[float, float]:
    """A point uniformly inside the district's radius around its centre, kept in the city box."""
    radius = _SCATTER_KM.get(district.kind, 8.0) * math.sqrt(rng.random())
    bearing = rng.uniform(0.0, 2 * math.pi)
    lat = district.lat + radius * math.cos(bearing) / _KM_PER_DEGREE_LAT
    lon = district.lon + radius * math.sin(bearing) / (
        _KM_PER_DEGREE_LAT * math.cos(math.radians(district.lat))
    )
    lat = min(max(lat, _LAT_BOX[0]), _LAT_BOX[1])
    lon = min(max(lon, _LON_BOX[0]), _LON_BOX[1])
    return round(lat, 5), round(lon, 5)


def _enrolment(
    rng: random.Random, district: DemoDistrict, stages: tuple[str, ...]
) -> dict[str, int]:
    """Pupils per stage; one size factor per school so its stages are alike, skewed by area."""
    if district.code in _CENTRAL_CODES:
        skew = _SIZE_SKEW["central"]
    elif district.kind in ("county", "county_city"):
        skew = _SIZE_SKEW["county"]
    else:
        skew = _SIZE_SKEW["suburban"]
    size = rng.random() ** skew
    enrolment = {}
    for stage in stages:
        low, high = _ENROLMENT_RANGE[stage]
        share = 0.85 * size + 0.15 * rng.random()
        enrolment[stage] = round(low + share * (high - low))
    return enrolment
