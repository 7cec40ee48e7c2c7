"""The 职称 → grade rule (正高 / 副高 / 中级 / 初级), in one place.

Team members' professional titles are kept as written; the bureau counts people by
grade ("集聚副高以上人才180余人"), so every form, import and demo row derives
``TeamMember.title_grade`` by calling :func:`title_grade`. The grades are the codes of
``registry.vocab.TITLE_GRADES``: ``senior`` (正高), ``associate`` (副高),
``intermediate`` (中级) and ``junior`` (初级).

Several titles contain another title as a substring (副教授 ⊃ 教授, 助理研究员 ⊃
研究员, 教授级高级工程师 ⊃ 高级工程师), so the rule is an exact table first and a few
prefix rules after it, never a substring search. A title the rule does not know gives
``None`` rather than a guess: an unknown grade is better than a wrong headcount.
"""
from __future__ import annotations

import re
import unicodedata

SENIOR, ASSOCIATE, INTERMEDIATE, JUNIOR = "senior", "associate", "intermediate", "junior"

# Exact titles (after normalisation), including common short forms.
_EXACT = {
    # 正高
    "正高级工程师": SENIOR, "教授级高级工程师": SENIOR, "研究员级高级工程师": SENIOR,
    "教授级高工": SENIOR, "正高工": SENIOR, "教授": SENIOR, "研究员": SENIOR,
    "主任医师": SENIOR, "主任药师": SENIOR, "主任技师": SENIOR, "编审": SENIOR,
    "正高": SENIOR,
    # 副高
    "高级工程师": ASSOCIATE, "高工": ASSOCIATE, "副教授": ASSOCIATE, "副研究员": ASSOCIATE,
    "副主任医师": ASSOCIATE, "副主任药师": ASSOCIATE, "副主任技师": ASSOCIATE,
    "副编审": ASSOCIATE, "副高": ASSOCIATE,
    # 中级
    "工程师": INTERMEDIATE, "讲师": INTERMEDIATE, "助理研究员": INTERMEDIATE,
    "主治医师": INTERMEDIATE, "主管药师": INTERMEDIATE, "主管技师": INTERMEDIATE,
    "经济师": INTERMEDIATE, "会计师": INTERMEDIATE, "实验师": INTERMEDIATE,
    "统计师": INTERMEDIATE, "农艺师": INTERMEDIATE, "编辑": INTERMEDIATE,
    "中级": INTERMEDIATE,
    # 初级
    "助理工程师": JUNIOR, "助工": JUNIOR, "技术员": JUNIOR, "助教": JUNIOR,
    "研究实习员": JUNIOR, "实习研究员": JUNIOR, "医师": JUNIOR, "药师": JUNIOR,
    "技师": JUNIOR, "助理经济师": JUNIOR, "助理会计师": JUNIOR, "会计员": JUNIOR,
    "助理实验师": JUNIOR, "初级": JUNIOR,
}

# What people write for "no title"; these give None like an empty cell.
_NONE = {"无", "暂无", "没有", "-", "—", "/", "无职称"}


def _normalise(title: str) -> str:
    """Half-width and without spaces: "高级 工程师" and "高级工程师" are one title."""
    return "".join(unicodedata.normalize("NFKC", title).split())


def _grade_of(text: str) -> str | None:
    if text in _EXACT:
        return _EXACT[text]
    if text.startswith(("正高级", "教授级", "研究员级")):
        return SENIOR
    if text.startswith(("副高级", "高级")):
        return ASSOCIATE  # 高级经济师, 高级会计师, 高级实验师 …
    if text.startswith("副") and _EXACT.get(text[1:]) == SENIOR:
        return ASSOCIATE  # 副编审, 副主任医师 …
    if text.startswith("助理"):
        return JUNIOR  # 助理统计师 …; 助理研究员 (中级) is in the table above
    if text.startswith("中级"):
        return INTERMEDIATE
    return None


def title_grade(title: str | None) -> str | None:
    """The grade code for a 职称 as written, or None when it is empty or not recognised.

    A parenthesised qualifier that names a grade wins over the title before it:
    "高级工程师（教授级）" is 正高, as the bureau counts it.
    """
    if title is None:
        return None
    text = _normalise(str(title))
    if not text or text in _NONE:
        return None
    match = re.fullmatch(r"(.+?)\((.+?)\)", text)
    if match:
        base, qualifier = match.groups()
        return _grade_of(qualifier) or _grade_of(qualifier + base) or _grade_of(base)
    return _grade_of(text)
