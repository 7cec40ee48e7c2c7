"""Project rules through the services: creation, the refusals (years, money, vocabulary,
founding date), editing under the lock, process tracking closing a project, deletion,
scope — each with its audit trail."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import NotFound, ValidationError
from registry.records import StaleEdit
from registry.projects import services
from registry.projects.models import Project, ProjectMilestone
from tests.projects.builders import project

TODAY = date(2016, 12, 31)


def audit(session, entity, entity_id):
    return list(session.scalars(select(AuditLog).where(AuditLog.entity_type == entity,
                                                       AuditLog.entity_id == entity_id).order_by(AuditLog.id)))


def test_create_normalises_and_audits(make):
    staff = make.user("staff")
    firm = make.firm("慈溪市项目测试电器有限公司")
    p = services.create_project(staff, firm_text=firm.uscc, name="  高效  压缩机研发 ", plan="国家重点研发计划",
                                level="国家级", role="参与", start_year="2014", end_year=2017, funding="1,200.5",
                                status="在研", today=TODAY)
    assert (p.firm_id, p.name, p.level, p.role, p.start_year, p.end_year, p.funding, p.status) == (
        firm.id, "高效 压缩机研发", "national", "participant", 2014, 2017, Decimal("1200.50"), "in_progress")
    (entry,) = audit(make.session, "project", p.id)
    assert entry.action == "create" and entry.firm_id == firm.id and entry.after["funding"] == "1200.50"
    assert "国家级" in entry.summary


@pytest.mark.parametrize("change, field, words", [
    ({"funding": "-5"}, "funding", "不能为负数"),
    ({"end_year": 2013}, "end_year", "结束年份（2013年）不能早于开始年份（2014年）"),
    ({"level": "区级"}, "level", "未知的级别"),
    ({"status": "暂停"}, "status", "未知的项目状态"),
    ({"role": "旁观"}, "role", "未知的承担方式"),
    ({"acceptance_result": "良"}, "acceptance_result", "未知的验收结果"),
    ({"start_year": 2008}, "start_year", "早于企业成立年份（2010年"),
    ({"start_year": 2017}, "start_year", "1980–2016"),
    ({"name": " "}, "name", "请填写项目名称"),
    ({"plan": ""}, "plan", "请填写计划类别"),
    ({"acceptance_year": 2012}, "acceptance_year", "验收年份（2012年）不能早于开始年份"),
    ({"acceptance_result": "passed"}, "status", "状态应为“结题”"),
])
def test_bad_input_is_refused_with_a_chinese_reason(make, change, field, words):
    staff = make.user("staff")
    firm = make.firm(founded_on=date(2010, 5, 12))
    values = dict(name="压缩机研发", plan="863计划", level="national", start_year=2014, end_year=2016,
                  funding="100", status="in_progress")
    values.update(change)
    with pytest.raises(ValidationError) as caught:
        services.create_project(staff, firm_id=firm.id, today=TODAY, **values)
    assert caught.value.field == field and words in caught.value.message
    assert make.session.scalar(select(Project.id)) is None


def test_duplicate_and_out_of_scope_firm(make):
    staff = make.user("staff")
    firm = make.firm(town="周巷镇")
    project(make, staff, firm, name="同名项目", start_year=2014)
    with pytest.raises(ValidationError, match="已有2014年开始的项目"):
        project(make, staff, firm, name="同名项目", start_year=2014)
    project(make, staff, firm, name="同名项目", start_year=2015)  # another phase is another row
    officer = make.user("town", towns=["浒山街道"])
    with pytest.raises(ValidationError):
        services.create_project(officer, firm_id=firm.id, name="x", plan="y", level="cixi", start_year=2014)


def test_update_under_the_lock(make):
    staff, other = make.user("staff"), make.user("staff")
    p = project(make, staff, funding="100")
    loaded = p.version
    values = dict(name=p.name, plan=p.plan, level="provincial", role="lead", start_year=2014, end_year=2018,
                  funding="150", status="in_progress", project_no="2016YFB0100")
    services.update_project(other, p, version=loaded, **values)
    make.session.flush()
    assert (p.level, p.funding, p.version) == ("provincial", Decimal("150.00"), loaded + 1)
    entry = audit(make.session, "project", p.id)[-1]
    assert entry.action == "update" and entry.before["level"] == "national" and entry.after["level"] == "provincial"
    with pytest.raises(StaleEdit) as caught:
        services.update_project(staff, p, version=loaded, **dict(values, funding="1"))
    assert caught.value.current_version == p.version
    assert any(label == "级别" and new == "省级" for c in caught.value.changes for label, _old, new in c.fields)
    before = len(audit(make.session, "project", p.id))
    services.update_project(staff, p, version=p.version, **values)  # nothing changed: nothing written
    assert len(audit(make.session, "project", p.id)) == before


def test_tracking_and_a_passed_acceptance_closes_the_project(make):
    staff = make.user("staff")
    p = project(make, staff, start_year=2013, end_year=2016)
    services.add_milestone(staff, p, kind="milestone", title="样机试制完成", due_on=date(2014, 6, 30),
                           done_on=date(2014, 7, 2), today=TODAY)
    mid = services.add_milestone(staff, p, kind="midterm", done_on=date(2015, 3, 1), result="passed", today=TODAY)
    assert mid.title == "中期检查" and p.status == "in_progress"
    with pytest.raises(ValidationError, match="早于项目开始年份"):
        services.add_milestone(staff, p, kind="milestone", title="x", due_on=date(2012, 1, 1), today=TODAY)
    with pytest.raises(ValidationError, match="请同时填写完成日期"):
        services.add_milestone(staff, p, kind="acceptance", result="passed", today=TODAY)
    with pytest.raises(ValidationError, match="进度节点不填结果"):
        services.add_milestone(staff, p, kind="milestone", title="y", done_on=date(2015, 1, 1), result="passed",
                               today=TODAY)
    step = services.add_milestone(staff, p, kind="acceptance", due_on=date(2016, 12, 1), today=TODAY)
    assert p.status == "in_progress"
    services.update_milestone(staff, step, kind="acceptance", title="结题验收", due_on=date(2016, 12, 1),
                              done_on=date(2016, 12, 20), result="excellent", today=TODAY)
    make.session.flush()
    assert (p.status, p.acceptance_year, p.acceptance_result) == ("completed", 2016, "excellent")
    assert services.tracking_summary(p) == "跟踪 3/3 项完成，中期检查2015-03 通过，验收2016-12 优秀"
    kinds = [e.action for e in audit(make.session, "project", p.id)]
    assert kinds == ["create", "update"]
    assert len(list(make.session.scalars(select(AuditLog).where(AuditLog.entity_type == "project_milestone")))) == 4
    services.delete_milestone(staff, p.milestones[0])
    assert len(p.milestones) == 2


def test_delete_keeps_an_audit_copy(make):
    staff = make.user("staff")
    p = project(make, staff)
    services.add_milestone(staff, p, kind="midterm", today=TODAY)
    pid = p.id
    services.delete_project(staff, p, version=p.version)
    assert make.session.get(Project, pid) is None
    assert make.session.scalar(select(ProjectMilestone.id)) is None
    entry = audit(make.session, "project", pid)[-1]
    assert entry.action == "delete" and entry.before["name"] == "高效节能变频空调压缩机关键技术研发"


def test_scope_and_list_filters(make):
    staff = make.user("staff")
    here = make.firm("慈溪市浒山项目电器有限公司", town="浒山街道")
    there = make.firm("慈溪市周巷项目电器有限公司", town="周巷镇")
    a = project(make, staff, here, name="甲项目", level="national", start_year=2012, end_year=2014)
    b = project(make, staff, there, name="乙项目", level="ningbo", start_year=2015, end_year=None,
                plan="宁波市重大科技专项")
    officer = make.user("town", towns=["浒山街道"])
    firm_user = make.user("firm", firm=there)
    assert services.get_project_for(officer, a.id) is a
    for user, pid in ((officer, b.id), (firm_user, a.id)):
        with pytest.raises(NotFound):
            services.get_project_for(user, pid)
    for bad in ("abc", "0", "99999999999999", None):
        with pytest.raises(NotFound):
            services.get_project_for(staff, bad)

    def names(user, **kw):
        return [p.name for p in make.session.scalars(services.project_query(user, services.ProjectFilter(**kw)))]

    assert names(staff) == ["乙项目", "甲项目"]
    assert names(officer) == ["甲项目"]
    assert names(firm_user) == ["乙项目"]
    assert names(staff, year=2013) == ["甲项目"]
    assert names(staff, year=2016) == ["乙项目"]  # no end year: still running
    assert names(staff, level="ningbo") == ["乙项目"]
    assert names(staff, q="宁波市重大") == ["乙项目"]
    assert names(staff, q="浒山项目") == ["甲项目"]
    assert names(staff, town_id=there.town_id) == ["乙项目"]
    assert services.status_counts(staff, services.ProjectFilter()) == {"in_progress": 2}
