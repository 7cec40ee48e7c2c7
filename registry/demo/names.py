"""Fictitious but Cixi-shaped names for the demo data: firms, people, phones, addresses.

Brands are two characters drawn from lists chosen to sound like a Zhejiang firm without
being one; well-known brands are excluded outright. Every name generator hands out each
value once, so firm names, former names and people's names never collide.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from registry.firms.uscc import CHARSET, make_uscc

BRAND_FIRST = "澜骁睿嘉霆晟朗启锐恒铭煦祺瑾岳钦珩璐琛洛弘淳湄瀚逸聿皓濠铂"
BRAND_SECOND = "泰丰盛禾源鑫达诚宇耀越凯川盈昊港润宏晨拓峥谦阳嵘德捷麒甬浦"
# Brands of well-known firms (in Cixi and elsewhere) that the demo must never print.
BRAND_BLACKLIST = {
    "公牛", "方太", "慈星", "卓力", "先锋", "月立", "韩电", "富佳", "德业", "环驰", "兆龙",
    "伟隆", "宏一", "新海", "日月", "爱佳", "人和", "慈兴", "宏协", "新乐", "圣龙", "博威",
    "拓普", "均胜", "帅康", "欧琳", "凯波", "星宇", "瀚森", "宁波", "泓森", "恒达", "恒丰",
    "宏达", "恒源", "鑫达", "嘉宏", "凯达", "锐达", "启德", "弘德", "恒泰", "铭泰", "晟泰",
    "盛达", "恒盛", "恒润", "洛阳", "岳阳", "淳安", "皓宇", "瀚宇", "朗诚", "睿泰", "启泰",
}


@dataclass(frozen=True)
class Kind:
    """A line of business: the word in the firm name and what the firm's work is called."""

    word: str  # in the firm name: 慈溪市澜泰<电器>有限公司
    industries: tuple[str, ...]  # 所属产业 choices, first most likely
    domain: str  # in R&D institution names
    topic: str  # in team names and 研究方向
    weight: int
    exporter: bool = False  # Cixi appliances and parts sell abroad


KINDS = (
    Kind("电器", ("智能家电",), "智能电器", "智能家电控制技术", 20, True),
    Kind("电子科技", ("智能家电", "汽车及关键零部件"), "电子控制", "嵌入式电子与物联网", 8, True),
    Kind("轴承", ("高端机械基础件",), "精密轴承", "高精度轴承设计与制造", 11, True),
    Kind("机械", ("高端机械基础件", "智能装备"), "精密机械", "精密传动与机械基础件", 9),
    Kind("汽车部件", ("汽车及关键零部件",), "汽车零部件", "汽车电子与关键零部件", 13, True),
    Kind("智能装备", ("智能装备",), "智能装备", "工业机器人与智能装备", 9),
    Kind("自动化设备", ("智能装备",), "自动化", "智能制造与自动化产线", 5),
    Kind("新材料", ("新材料",), "功能材料", "高性能复合材料", 8),
    Kind("生物科技", ("生命健康",), "生物医药", "生物医药研发", 5),
    Kind("医疗器械", ("生命健康",), "医疗器械", "医疗器械与康复设备", 4),
    Kind("塑业", ("其他", "智能家电", "其他"), "改性塑料", "高分子材料改性", 9, True),
    Kind("五金", ("高端机械基础件", "其他"), "精密五金", "精密五金成形", 8, True),
    Kind("纺织", ("其他",), "功能纺织", "功能性纺织品开发", 4, True),
)

SURNAMES = "胡陈孙王徐沈岑罗张叶施马周黄杨方朱潘鲁余毛应郑邵陆蒋钱柴华谢童励俞袁宓"
GIVEN_M = "建国伟明海军勇立新志江波峰杰斌平忠良磊刚涛鑫凯浩俊辉超文宏晓永林华军松"
GIVEN_F = "静敏丽燕芳娟红霞萍婷晓雪亚佳琳慧丹莉颖洁"
ROADS = ("兴业路", "工业大道", "新城大道", "开发大道", "环城北路", "三北大街", "孙塘路",
         "北三环路", "滨海大道", "创业路", "科技路", "园区路", "东二环路", "建设路")
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "158", "159", "187", "189")
CIXI_LANDLINE = ("63", "58", "23", "65")


class Unique:
    """Hands out each value once: ``new`` draws again until ``claim`` accepts a fresh one."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def claim(self, value: str) -> bool:
        if value in self.used:
            return False
        self.used.add(value)
        return True


class People(Unique):
    """Unique two- or three-character Chinese names."""

    def new(self) -> str:
        while True:
            given = GIVEN_M if self.rng.random() < 0.72 else GIVEN_F
            size = 1 if self.rng.random() < 0.25 else 2
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(given) for _ in range(size))
            if self.claim(name):
                return name


class Brands(Unique):
    """Unique two-character brands, never a blacklisted real one nor one in ``taken_names``."""

    def __init__(self, rng: random.Random, taken_names=()):
        super().__init__(rng)
        self.pool = [a + b for a in BRAND_FIRST for b in BRAND_SECOND
                     if a + b not in BRAND_BLACKLIST and a != b]
        rng.shuffle(self.pool)
        taken = "\n".join(sorted(taken_names))
        self.pool = [brand for brand in self.pool if brand not in taken]

    def new(self) -> str:
        while self.pool:
            brand = self.pool.pop()
            if self.claim(brand):
                return brand
        raise RuntimeError("demo brand pool exhausted")


class Usccs(Unique):
    """Valid, unique credit codes shaped like the era the firm was registered in."""

    def __init__(self, rng: random.Random, taken=()):
        super().__init__(rng)
        self.used.update(taken)

    def new(self, founded_year: int, reformed: bool) -> str:
        """``reformed``: registered after the October 2015 reform, so an MA28… body."""
        while True:
            roll = self.rng.random()
            prefix = "91330282" if roll < 0.94 else "91330201"
            if reformed:
                body = "MA28" + "".join(self.rng.choice(CHARSET) for _ in range(4))
            else:
                first = ("1" if founded_year < 1995 else "7" if founded_year < 2004
                         else "6" if founded_year < 2010 else self.rng.choice("035"))
                body = first + f"{self.rng.randrange(10_000_000):07d}"
            code = make_uscc(prefix, body)
            if self.claim(code):
                return code


def firm_name(city: str, brand: str, kind: Kind, form: str = "有限公司") -> str:
    return f"{city}{brand}{kind.word}{form}"


def phone(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
    return f"0574-{rng.choice(CIXI_LANDLINE)}{rng.randrange(1_000_000):06d}"


def address(rng: random.Random, town_name: str) -> str:
    place = f"宁波{town_name}" if town_name == "杭州湾新区" else f"慈溪市{town_name}"
    return f"{place}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
