"""Project pages for each role: list and filters, the form (with its refusals), editing
under the lock, process tracking, the 档案 page section, and the Excel export read back
cell by cell."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.projects.models import Project
from registry.projects.services import add_milestone
from tests.projects.builders import project


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def two(make):
    staff = make.user("staff")
    here = project(make, staff, make.firm("慈溪市浒山甲电器有限公司", town="浒山街道"), name="甲压缩机项目",
                   level="national", plan="国家重点研发计划", start_year=2014, end_year=2017, funding="2",
                   note="=HYPERLINK(\"http://x\")")
    add_milestone(staff, here, kind="midterm", done_on=date(2015, 9, 1), result="passed")
    there = project(make, staff, make.firm("慈溪市周巷乙电器有限公司", town="周巷镇"), name="乙电机项目",
                    level="ningbo", plan="宁波市重大科技专项", start_year=2015, end_year=2016, funding="80",
                    status="completed", acceptance_year=2016, acceptance_result="passed")
    make.session.commit()
    return here, there


def test_list_filters_detail_and_profile(client, login, two):
    here, there = two
    login("staff")
    page = text(client.get("/projects/"))
    assert "甲压缩机项目" in page and "乙电机项目" in page and "在研 1 项" in page and "结题 1 项" in page
    menu = text(client.get("/firms/"))  # the 创新档案 menu
    assert "创新档案" in menu and "/projects/" in menu and "/awards/" in menu
    page = text(client.get("/projects/?level=ningbo"))
    assert "乙电机项目" in page and "甲压缩机项目" not in page
    page = text(client.get("/projects/?status=in_progress&q=浒山甲"))
    assert "甲压缩机项目" in page and "乙电机项目" not in page
    page = text(client.get(f"/projects/?year=2017&town={here.firm.town_id}"))
    assert "甲压缩机项目" in page and "乙电机项目" not in page
    assert client.get("/projects/?year=abc&level=bogus&town=x&page=99").status_code == 200
    page = text(client.get(f"/projects/{here.id}"))
    assert "过程跟踪" in page and "中期检查" in page and "通过" in page and "新增科技计划项目" in page
    assert client.get("/projects/999999").status_code == 404
    page = text(client.get(f"/firms/{here.firm_id}"))
    assert "科技计划项目" in page and "甲压缩机项目" in page and "1/1 项完成" in page and "科技奖励" in page


def test_create_with_refusals_then_saved(client, login, make):
    login("staff")
    firm = make.firm("慈溪市表单测试电器有限公司", founded_on=date(2012, 3, 1))
    make.session.commit()
    data = {"firm": firm.uscc, "name": "新型电机研发", "plan": "宁波市重大科技专项", "level": "ningbo", "role": "lead",
            "start_year": "2014", "end_year": "2013", "funding": "-3", "status": "in_progress"}
    resp = client.post("/projects/new", data=data)
    assert resp.status_code == 400 and "资助经费不能为负数" in text(resp)
    resp = client.post("/projects/new", data=dict(data, funding="50"))
    assert resp.status_code == 400 and "结束年份（2013年）不能早于开始年份（2014年）" in text(resp)
    resp = client.post("/projects/new", data=dict(data, funding="50", end_year="2016", start_year="2011"))
    assert resp.status_code == 400 and "早于企业成立年份（2012年" in text(resp)
    resp = client.post("/projects/new", data=dict(data, funding="50", end_year="2016", level="county"))
    assert resp.status_code == 400 and "未知的级别" in text(resp)
    assert make.session.scalar(select(Project.id)) is None
    resp = client.post(f"/projects/new?firm_id={firm.id}", data=dict(data, firm="", firm_id=firm.id, funding="50",
                                                                       end_year="2016"))
    assert resp.status_code == 302
    p = make.session.scalar(select(Project))
    assert (p.firm_id, p.funding, p.end_year) == (firm.id, 50, 2016)


def test_edit_conflict_and_tracking(client, login, make, two):
    here, _ = two
    login("staff")
    form = {"name": here.name, "plan": here.plan, "level": "provincial", "role": "lead", "start_year": "2014",
            "end_year": "2017", "funding": "2", "status": "in_progress", "version": str(here.version)}
    assert client.get(f"/projects/{here.id}/edit").status_code == 200
    assert client.post(f"/projects/{here.id}/edit", data=form).status_code == 302
    resp = client.post(f"/projects/{here.id}/edit", data=dict(form, level="cixi"))  # the old version again
    assert resp.status_code == 400 and "已被他人修改" in text(resp)
    resp = client.post(f"/projects/{here.id}/milestones/new",
                       data={"kind": "acceptance", "title": "", "done_on": "2016-12-01", "result": "excellent"})
    assert resp.status_code == 302
    make.session.expire_all()
    p = make.session.get(Project, here.id)
    assert (p.status, p.acceptance_year, p.acceptance_result, p.level) == ("completed", 2016, "excellent", "provincial")
    step = p.milestones[-1]
    history = text(client.get(f"/projects/{here.id}"))
    assert "科技计划项目" in history and "验收结果" in history and "优秀" in history and "in_progress" not in history
    resp = client.post(f"/projects/milestones/{step.id}/edit",
                       data={"kind": "acceptance", "title": "结题验收", "done_on": "2016-12-01", "result": "良"})
    assert resp.status_code == 400 and "未知的验收结果" in text(resp)
    assert client.post(f"/projects/milestones/{step.id}/delete").status_code == 302
    assert client.post(f"/projects/{here.id}/delete", data={"version": str(p.version)}).status_code == 302
    make.session.expire_all()
    assert make.session.get(Project, here.id) is None


def test_town_officer_and_read_only_roles(client, login, make, two):
    here, there = two
    login("town", towns=["浒山街道"])
    page = text(client.get("/projects/"))
    assert "甲压缩机项目" in page and "乙电机项目" not in page
    assert client.get(f"/projects/{there.id}").status_code == 404
    assert client.post(f"/projects/{there.id}/delete", data={"version": "1"}).status_code == 404
    book = load_workbook(io.BytesIO(client.get("/projects/export.xlsx").data))
    assert [r[1] for r in book["科技计划项目"].iter_rows(min_row=3, values_only=True)] == ["甲压缩机项目"]


def test_firm_user_sees_own_project_read_only(app, make, two):
    here, there = two
    user = make.user("firm", firm=here.firm, password="correct-horse-1")
    make.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
    page = text(client.get(f"/projects/{here.id}"))
    assert "甲压缩机项目" in page and "编辑" not in page and "变更记录" not in page
    assert client.get(f"/projects/{there.id}").status_code == 404
    assert client.get("/projects/").status_code == 403
    assert client.post(f"/projects/{here.id}/edit", data={}).status_code == 403


def test_export_cell_by_cell(client, login, two):
    here, there = two
    login("staff")
    resp = client.get("/projects/export.xlsx?level=national")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    ws = book["科技计划项目"]
    assert "科技计划项目（共1项" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["序号", "项目名称", "企业名称", "统一社会信用代码", "项目编号", "计划类别", "级别",
                                        "承担方式", "开始年份", "结束年份", "资助经费（万元）", "项目状态", "验收年份",
                                        "验收结果", "备注"]
    row = [c.value for c in ws[3]]
    assert row == [1, "甲压缩机项目", "慈溪市浒山甲电器有限公司", here.firm.uscc, None, "国家重点研发计划", "国家级", "牵头",
                   2014, 2017, 2, "在研", None, None, '=HYPERLINK("http://x")']
    assert ws["O3"].data_type == "s"  # hostile text stays text
    assert ws.max_row == 3
    steps = book["过程跟踪"]
    assert [c.value for c in steps[2]][:5] == ["甲压缩机项目", "慈溪市浒山甲电器有限公司", here.firm.uscc, "中期检查", "中期检查"]
    assert steps["F2"].value is None and steps["G2"].value.date() == date(2015, 9, 1) and steps["H2"].value == "通过"
    assert not [c for s in book.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"]
