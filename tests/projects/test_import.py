"""Importing projects (with process tracking) and awards from bureau-style workbooks:
title rows, two-row merged headers, full-width characters; every refusal on its cell;
all-or-nothing; re-importing the export changes nothing."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.awards.models import Award
from registry.errors import RegistryError
from registry.excel import reader
from registry.excel.importer import apply_plan, plan_import
from registry.excel.models import ImportBatch
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED
from registry.projects.models import Project, ProjectMilestone

TODAY = date(2016, 12, 31)


def xlsx(sheets: dict, merges: dict | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref in (merges or {}).get(name, ()):
            ws.merge_cells(ref)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan(data: bytes, filename="项目.xlsx", kind=None):
    book = reader.read_workbook(data, filename, kind=kind, today=TODAY)
    return book, plan_import(book, today=TODAY)


def apply(session, result, kind, **kw):
    batch = ImportBatch(kind=kind, filename="x.xlsx", sha256="0" * 64, size=1, content=b"x", status="preview")
    session.add(batch)
    session.flush()
    return apply_plan(result, None, batch, **kw)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def reasons(result):
    return [(e.sheet, e.row, e.column, e.reason) for e in result.errors]


@pytest.fixture
def firms(make):
    a = make.firm("慈溪市甲电器有限公司", founded_on=date(2005, 3, 1))
    b = make.firm("慈溪市乙机械有限公司", founded_on=date(2012, 8, 8))
    make.session.commit()
    return a, b


def messy_projects(a, b, *, extra=()) -> bytes:
    rows = [
        ["2016年慈溪市企业承担科技计划项目汇总表（共3项）"],
        ["序号", "项目名称", "承担单位", None, "计划类别", "级别", "开始年份", "结束年份", "资助经费（万元）", "项目状态",
         "验收结果"],
        [None, None, "名称", "统一社会信用代码", None, None, None, None, None, None, None],
        [1, "高效\u3000变频压缩机研发", "慈溪市甲电器有限公司", a.uscc, "国家重点研发计划", "国家级", "２０１４", 2017,
         "１２０万元", "在研", None],
        [2, "智能电机控制系统", None, b.uscc, "宁波市重大科技专项", "宁波市级", 2013, 2015, 80, "已结题", "通过"],
        [3, "新型材料中试", "慈溪市乙机械有限公司", None, "慈溪市科技计划项目", "市级", 2016, None, None, None, None],
        *extra,
    ]
    steps = [
        ["项目名称", "企业名称", "跟踪类型", "事项", "计划日期", "完成日期", "结果"],
        ["高效变频压缩机研发", None, "中期检查", None, date(2015, 12, 31), date(2016, 1, 10), "通过"],
        ["智能电机控制系统", "慈溪市乙机械有限公司", "验收", "结题验收", None, date(2015, 12, 20), "合格"],
    ]
    merges = ["A1:K1", "A2:A3", "B2:B3", "C2:D2", "E2:E3", "F2:F3", "G2:G3", "H2:H3", "I2:I3", "J2:J3", "K2:K3"]
    return xlsx({"科技计划项目": rows, "过程跟踪": steps}, {"科技计划项目": merges})


def test_messy_project_workbook_imports_with_its_tracking(make, firms):
    a, b = firms
    book, result = plan(messy_projects(a, b), "2016年科技计划项目.xlsx")
    assert book.kind == "projects" and [s.sheet_kind for s in book.sheets] == ["projects", "milestones"]
    assert reasons(result) == []
    assert [r.status for r in result.rows] == [NEW] * 5
    apply(make.session, result, "projects")
    projects = {p.name: p for p in make.session.scalars(select(Project))}
    assert set(projects) == {"高效变频压缩机研发", "智能电机控制系统", "新型材料中试"}
    first = projects["高效变频压缩机研发"]
    assert (first.firm_id, first.level, first.start_year, first.funding, first.status, first.role) == (
        a.id, "national", 2014, Decimal("120.00"), "in_progress", "lead")
    second = projects["智能电机控制系统"]
    assert (second.firm_id, second.status, second.acceptance_result) == (b.id, "completed", "passed")
    assert projects["新型材料中试"].level == "cixi"
    steps = {(s.project.name, s.kind): s for s in make.session.scalars(select(ProjectMilestone))}
    assert steps[("高效变频压缩机研发", "midterm")].title == "中期检查"
    assert steps[("智能电机控制系统", "acceptance")].result == "passed"
    kinds = sorted(e.entity_type for e in make.session.scalars(select(AuditLog).where(AuditLog.action == "import")))
    assert kinds == ["project"] * 3 + ["project_milestone"] * 2

    # the same file again changes nothing; an edited cell is one exact change
    _book, again = plan(messy_projects(a, b))
    assert {r.status for r in again.rows} == {UNCHANGED}
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(messy_projects(a, b)))
    wb["科技计划项目"]["I4"] = 150
    out = io.BytesIO()
    wb.save(out)
    _book, changed = plan(out.getvalue())
    assert [r.status for r in changed.rows] == [UPDATED, UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED]
    assert [(c.label, c.old, c.new) for c in changed.changes] == [("资助经费（万元）", "120", "150")]
    apply(make.session, changed, "projects")
    make.session.expire_all()
    assert make.session.get(Project, first.id).funding == Decimal("150.00")
    assert make.session.get(Project, first.id).version == 2


def test_bad_rows_are_refused_on_their_cells_and_nothing_is_written(make, firms):
    a, b = firms
    bad = [
        [4, "负数经费项目", None, a.uscc, "863计划", "国家级", 2014, 2016, -5, None, None],
        [5, "倒置年份项目", None, a.uscc, "863计划", "国家级", 2015, 2012, None, None, None],
        [6, "未知级别项目", None, a.uscc, "863计划", "区级", 2015, None, None, None, None],
        [7, "成立前项目", None, b.uscc, "863计划", "省级", 2010, None, None, None, None],
        [8, "状态不明项目", None, a.uscc, "863计划", "省级", 2015, None, None, "暂停", None],
        [9, "高效变频压缩机研发", "慈溪市甲电器有限公司", None, "国家重点研发计划", "国家级", 2014, 2017, 120, None, None],
    ]
    _book, result = plan(messy_projects(a, b, extra=bad))
    got = reasons(result)
    assert ("科技计划项目", 7, "资助经费（万元）", "资助经费不能为负数：-5") in got
    assert ("科技计划项目", 8, "结束年份", "结束年份（2012年）不能早于开始年份（2015年）") in got
    assert any(r[1] == 9 and r[2] == "级别" and "未知的级别" in r[3] for r in got)
    assert any(r[1] == 10 and r[2] == "开始年份" and "早于企业成立年份（2012年" in r[3] for r in got)
    assert ("科技计划项目", 11, "项目状态", "未知的项目状态：“暂停”（应为在研、结题、终止）") in got
    assert any(r[1] == 12 and r[2] == "项目名称" and "与第4行重复" in r[3] for r in got)
    assert len(got) == 6
    with pytest.raises(RegistryError, match="6行错误"):
        apply(make.session, result, "projects")
    assert count(make.session, Project) == 0 and count(make.session, ProjectMilestone) == 0
    apply(make.session, result, "projects", valid_only=True)
    assert count(make.session, Project) == 3 and count(make.session, ProjectMilestone) == 2


def test_tracking_rows_find_stored_projects_and_refuse_strangers(make, firms):
    a, b = firms
    apply(make.session, plan(messy_projects(a, b))[1], "projects")
    steps = [
        ["项目名称", "统一社会信用代码", "跟踪类型", "事项", "计划日期", "完成日期", "结果"],
        ["高效变频压缩机研发", a.uscc, "进度节点", "样机完成", date(2016, 6, 30), None, None],
        ["没有这个项目", None, "中期检查", None, None, date(2016, 1, 1), "通过"],
        ["智能电机控制系统", None, "进度节点", "小试", None, date(2014, 1, 1), "通过"],
        ["智能电机控制系统", None, "验收", "结题验收", None, date(2015, 12, 20), "优秀"],
        ["新型材料中试", None, "巡查", "x", None, None, None],
    ]
    _book, result = plan(xlsx({"过程跟踪": steps}), "项目跟踪.xlsx", kind="projects")
    assert [r.status for r in result.rows] == [NEW, ERROR, ERROR, UPDATED, ERROR]
    got = reasons(result)
    assert ("过程跟踪", 3, "项目名称", "项目“没有这个项目”不在本文件的科技计划项目表中，库中也没有") in got
    assert ("过程跟踪", 4, "结果", "进度节点不填结果；中期检查和验收才有结果") in got
    assert any(r[1] == 6 and r[2] == "跟踪类型" and "未知的跟踪类型" in r[3] for r in got)
    assert [(c.label, c.old, c.new) for c in result.changes] == [("结果", "通过", "优秀")]


def awards_sheet(a, b, extra=()) -> bytes:
    rows = [
        ["慈溪市企业获得科技奖励情况表"],
        ["序号", "获奖项目名称", "获奖单位", "统一社会信用代码", "奖项名称", "奖励等级", "获奖年度", "本单位排名"],
        [1, "变频压缩机关键技术", "慈溪市甲电器有限公司", a.uscc, "浙江省科学技术奖", "二等奖", "２０１５年", 1],
        [2, "电机控制系统", None, b.uscc, "国家科学技术进步奖", "二等", 2016, "２"],
        *extra,
    ]
    return xlsx({"科技奖励": rows}, {"科技奖励": ["A1:H1"]})


def test_award_workbook_imports_and_refuses_bad_rows(make, firms):
    a, b = firms
    book, result = plan(awards_sheet(a, b), "获奖.xlsx")
    assert book.kind == "awards" and reasons(result) == []
    apply(make.session, result, "awards")
    got = {x.project_name: (x.firm_id, x.level, x.grade, x.year, x.firm_rank) for x in make.session.scalars(select(Award))}
    assert got == {"变频压缩机关键技术": (a.id, "provincial", "second", 2015, 1),
                   "电机控制系统": (b.id, "national", "second", 2016, 2)}
    bad = [
        [3, "成立前获奖", None, b.uscc, "宁波市科技进步奖", "三等奖", 2011, 1],
        [4, "未知等级", None, a.uscc, "宁波市科技进步奖", "优秀奖", 2014, 1],
        [5, "无级别奖项", None, a.uscc, "科技创新奖", "一等奖", 2014, 1],
        [6, "负排名", None, a.uscc, "宁波市科技进步奖", "一等奖", 2014, -1],
        [7, "未知企业", "慈溪市不存在有限公司", None, "宁波市科技进步奖", "一等奖", 2014, 1],
    ]
    _book, result = plan(awards_sheet(a, b, extra=bad), "获奖.xlsx")
    got = reasons(result)
    assert ("科技奖励", 5, "获奖年度", "获奖年份（2011年）早于企业成立年份（2012年，成立日期 2012-08-08），请核对") in got
    assert ("科技奖励", 6, "奖励等级", "未知的奖励等级：“优秀奖”（应为特等奖、一等奖、二等奖、三等奖）") in got
    assert any(r[1] == 7 and r[2] == "级别" and "无法从奖项名称“科技创新奖”判断级别" in r[3] for r in got)
    assert any(r[1] == 8 and r[2] == "本单位排名" for r in got)
    assert any(r[1] == 9 and r[2] == "获奖单位" for r in got)
    assert [r.status for r in result.rows][:2] == [UNCHANGED, UNCHANGED]
    with pytest.raises(RegistryError):
        apply(make.session, result, "awards")
    assert count(make.session, Award) == 2


def test_exports_import_back_unchanged(client, login, make, firms):
    a, b = firms
    apply(make.session, plan(messy_projects(a, b))[1], "projects")
    apply(make.session, plan(awards_sheet(a, b), "获奖.xlsx")[1], "awards")
    make.session.commit()
    login("staff")
    for url, kind, total in (("/projects/export.xlsx", "projects", 5), ("/awards/export.xlsx", "awards", 2)):
        data = client.get(url).data
        book, result = plan(data, "导出.xlsx")
        assert book.kind == kind and reasons(result) == []
        assert len(result.rows) == total and {r.status for r in result.rows} == {UNCHANGED}


def test_through_the_upload_pages(client, login, make, firms):
    """The bureau's door: upload, preview counts, an all-or-nothing refusal, then confirm."""
    import re

    a, b = firms
    login("staff")

    def upload(data, name):
        resp = client.post("/excel/upload", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:1000]
        return resp.headers["Location"]

    def counts(path):
        page = client.get(path).get_data(as_text=True)
        return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}

    path = upload(messy_projects(a, b), "科技计划项目.xlsx")
    assert counts(path) == {"new": 5, "updated": 0, "unchanged": 0, "error": 0}
    assert client.post(path + "/confirm", data={}).status_code == 302
    assert count(make.session, Project) == 3 and count(make.session, ProjectMilestone) == 2

    bad = [[3, "成立前获奖", None, b.uscc, "宁波市科技进步奖", "三等奖", 2011, 1]]
    path = upload(awards_sheet(a, b, extra=bad), "科技奖励.xlsx")
    assert counts(path) == {"new": 2, "updated": 0, "unchanged": 0, "error": 1}
    client.post(path + "/confirm", data={})
    assert count(make.session, Award) == 0  # all or nothing
    errors = client.get(path + "/errors.xlsx")
    assert errors.status_code == 200
    client.post(path + "/confirm", data={"valid_only": "y"})
    assert count(make.session, Award) == 2
