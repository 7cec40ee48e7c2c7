"""Award rules through the services: the level from the award's name, the refusals (year
before the firm existed, unknown grade, bad rank), duplicates, the lock, deletion, scope."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.awards import services
from registry.awards.models import Award
from registry.errors import NotFound, ValidationError
from registry.records import StaleEdit
from tests.projects.builders import award

TODAY = date(2016, 12, 31)


@pytest.mark.parametrize("name, level", [("国家科学技术进步奖", "national"), ("浙江省科学技术奖", "provincial"),
                                         ("宁波市科技进步奖", "ningbo"), ("慈溪市科学技术奖", "cixi")])
def test_level_follows_the_award_name(make, name, level):
    staff = make.user("staff")
    a = award(make, staff, award=name, grade="一等奖")
    assert (a.level, a.grade) == (level, "first")


def test_create_audits_and_level_given_wins(make):
    staff = make.user("staff")
    firm = make.firm()
    a = services.create_award(staff, firm_text=firm.name, project_name="电机控制技术", award="中国专利奖",
                              level="national", grade="特等", year=2014, firm_rank="2", today=TODAY)
    assert (a.level, a.grade, a.firm_rank) == ("national", "special", 2)
    entry = make.session.scalar(select(AuditLog).where(AuditLog.entity_type == "award"))
    assert entry.action == "create" and entry.firm_id == firm.id and "2014年中国专利奖特等奖" in entry.summary


@pytest.mark.parametrize("change, field, words", [
    ({"year": 2008}, "year", "获奖年份（2008年）早于企业成立年份（2010年，成立日期 2010-05-12）"),
    ({"grade": "优秀奖"}, "grade", "未知的奖励等级：“优秀奖”（应为特等奖、一等奖、二等奖、三等奖）"),
    ({"grade": ""}, "grade", "请选择奖励等级"),
    ({"firm_rank": 0}, "firm_rank", "完成单位排名应为正整数"),
    ({"firm_rank": "第一"}, "firm_rank", "完成单位排名应为正整数"),
    ({"award": "科技创新奖", "level": ""}, "level", "无法从奖项名称“科技创新奖”判断级别"),
    ({"level": "乡级"}, "level", "未知的级别"),
    ({"year": 2017}, "year", "1980–2016"),
])
def test_bad_input_is_refused(make, change, field, words):
    staff = make.user("staff")
    firm = make.firm(founded_on=date(2010, 5, 12))
    values = dict(project_name="智能控制器", award="浙江省科学技术奖", grade="second", year=2015, firm_rank=1)
    values.update(change)
    with pytest.raises(ValidationError) as caught:
        services.create_award(staff, firm_id=firm.id, today=TODAY, **values)
    assert caught.value.field == field and words in caught.value.message
    assert make.session.scalar(select(Award.id)) is None


def test_a_firm_without_a_founding_date_is_not_refused(make):
    staff = make.user("staff")
    a = award(make, staff, make.firm(founded_on=None), year=1995)
    assert a.year == 1995


def test_duplicate_update_lock_delete(make):
    staff = make.user("staff")
    a = award(make, staff)
    with pytest.raises(ValidationError, match="已登记2015年"):
        award(make, staff, a.firm)
    loaded = a.version
    values = dict(project_name=a.project_name, award=a.award, level="", grade="first", year=2015, firm_rank=1)
    services.update_award(staff, a, version=loaded, **values)
    make.session.flush()
    assert a.grade == "first" and a.version == loaded + 1
    with pytest.raises(StaleEdit):
        services.update_award(staff, a, version=loaded, **dict(values, grade="third"))
    aid = a.id
    services.delete_award(staff, a, version=a.version)
    assert make.session.get(Award, aid) is None
    actions = [e.action for e in make.session.scalars(select(AuditLog).where(AuditLog.entity_id == aid,
                                                                             AuditLog.entity_type == "award"))]
    assert actions == ["create", "update", "delete"]


def test_scope_and_filters(make):
    staff = make.user("staff")
    here, there = make.firm(town="浒山街道"), make.firm(town="周巷镇")
    a = award(make, staff, here, project_name="甲成果", award="国家科学技术进步奖", grade="second", year=2013)
    b = award(make, staff, there, project_name="乙成果", award="宁波市科技进步奖", grade="third", year=2015)
    officer = make.user("town", towns=["周巷镇"])
    assert services.get_award_for(officer, b.id) is b
    with pytest.raises(NotFound):
        services.get_award_for(officer, a.id)
    with pytest.raises(NotFound):
        services.get_award_for(make.user("firm", firm=there), a.id)

    def names(user, **kw):
        return [x.project_name for x in make.session.scalars(services.award_query(user, services.AwardFilter(**kw)))]

    assert names(staff) == ["乙成果", "甲成果"]
    assert names(officer) == ["乙成果"]
    assert names(staff, year=2013) == ["甲成果"]
    assert names(staff, level="national") == ["甲成果"]
    assert names(staff, grade="third") == ["乙成果"]
    assert names(staff, q="国家科学") == ["甲成果"]
    assert services.level_counts(staff, services.AwardFilter()) == {"national": 1, "ningbo": 1}
