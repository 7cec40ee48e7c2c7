"""The 职称 → grade rule: the samples' titles, the substring traps, what people type."""
import pytest

from registry.teams.titles import title_grade
from registry.vocab import TITLE_GRADES


@pytest.mark.parametrize("title, grade", [
    ("正高级工程师", "senior"), ("教授", "senior"), ("研究员", "senior"),
    ("高级工程师", "associate"), ("副教授", "associate"), ("副研究员", "associate"),
    ("工程师", "intermediate"), ("助理工程师", "junior"),
])
def test_titles_used_in_the_samples(title, grade):
    assert title_grade(title) == grade


@pytest.mark.parametrize("title, grade", [
    # A title containing a higher one is not that title.
    ("副教授", "associate"), ("副研究员", "associate"), ("助理研究员", "intermediate"),
    ("高级工程师", "associate"), ("工程师", "intermediate"), ("助理工程师", "junior"),
    # … and a qualified 高级工程师 is 正高.
    ("教授级高级工程师", "senior"), ("研究员级高级工程师", "senior"),
    ("高级工程师（教授级）", "senior"), ("高级工程师(教授级)", "senior"),
])
def test_substrings_do_not_decide(title, grade):
    assert title_grade(title) == grade


@pytest.mark.parametrize("title, grade", [
    (" 高级 工程师 ", "associate"), ("高级工程师\u3000", "associate"), ("工程师（中级）", "intermediate"),
    ("高工", "associate"), ("正高工", "senior"), ("助工", "junior"),
    ("高级经济师", "associate"), ("高级实验师", "associate"), ("正高级会计师", "senior"),
    ("主任医师", "senior"), ("副主任医师", "associate"), ("主治医师", "intermediate"),
    ("讲师", "intermediate"), ("技术员", "junior"), ("助教", "junior"),
])
def test_other_titles_and_spellings(title, grade):
    assert title_grade(title) == grade


@pytest.mark.parametrize("title", [None, "", "   ", "无", "—", "总经理", "CEO", "技术骨干"])
def test_no_or_unknown_title_gives_none(title):
    assert title_grade(title) is None


def test_grades_are_vocabulary_codes():
    titles = ["正高级工程师", "高级工程师", "工程师", "助理工程师", "副教授", "讲师", "技术员"]
    assert {title_grade(t) for t in titles} <= set(TITLE_GRADES)
