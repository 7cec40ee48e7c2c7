"""Award pages for each role: list and filters, the form and its refusals, editing under the
lock, deletion, the 档案 page, and the Excel export read back cell by cell."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.awards.models import Award
from tests.projects.builders import award


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def two(make):
    staff = make.user("staff")
    here = award(make, staff, make.firm("慈溪市浒山丙电器有限公司", town="浒山街道"), project_name="丙控制器成果",
                 award="国家科学技术进步奖", grade="second", year=2014, firm_rank=3, note="+SUM(A1)")
    there = award(make, staff, make.firm("慈溪市周巷丁电器有限公司", town="周巷镇"), project_name="丁电机成果",
                  award="宁波市科技进步奖", grade="first", year=2016)
    make.session.commit()
    return here, there


def test_list_filters_detail_profile(client, login, two):
    here, there = two
    login("staff")
    page = text(client.get("/awards/"))
    assert "丙控制器成果" in page and "丁电机成果" in page and "国家级 1 项" in page
    page = text(client.get("/awards/?level=ningbo&year=2016"))
    assert "丁电机成果" in page and "丙控制器成果" not in page
    page = text(client.get("/awards/?grade=second&q=浒山丙"))
    assert "丙控制器成果" in page and "丁电机成果" not in page
    assert client.get("/awards/?year=x&grade=bogus&page=50").status_code == 200
    page = text(client.get(f"/awards/{here.id}"))
    assert "第3完成单位" in page and "二等奖" in page and "新增科技奖励" in page
    page = text(client.get(f"/firms/{here.firm_id}"))
    assert "丙控制器成果" in page and "国家科学技术进步奖" in page


def test_form_refusals_and_save(client, login, make):
    login("staff")
    firm = make.firm("慈溪市奖励表单电器有限公司", founded_on=date(2011, 6, 1))
    make.session.commit()
    data = {"firm": firm.name, "project_name": "节能电机", "award": "浙江省科学技术奖", "level": "", "grade": "third",
            "year": "2009", "firm_rank": "1"}
    resp = client.post("/awards/new", data=data)
    assert resp.status_code == 400 and "获奖年份（2009年）早于企业成立年份（2011年" in text(resp)
    resp = client.post("/awards/new", data=dict(data, year="2015", grade="fourth"))
    assert resp.status_code == 400 and "未知的奖励等级" in text(resp)
    resp = client.post("/awards/new", data=dict(data, year="2015", award="优秀创新奖"))
    assert resp.status_code == 400 and "无法从奖项名称“优秀创新奖”判断级别" in text(resp)
    assert make.session.scalar(select(Award.id)) is None
    assert client.post("/awards/new", data=dict(data, year="2015")).status_code == 302
    a = make.session.scalar(select(Award))
    assert (a.level, a.grade, a.year) == ("provincial", "third", 2015)
    form = dict(data, year="2015", grade="second", version=str(a.version))
    assert client.post(f"/awards/{a.id}/edit", data=form).status_code == 302
    resp = client.post(f"/awards/{a.id}/edit", data=dict(form, grade="first"))
    assert resp.status_code == 400 and "已被他人修改" in text(resp)
    make.session.expire_all()
    assert client.post(f"/awards/{a.id}/delete", data={"version": str(make.session.get(Award, a.id).version)}).status_code == 302
    make.session.expire_all()
    assert make.session.get(Award, a.id) is None


def test_roles(app, client, login, make, two):
    here, there = two
    login("town", towns=["周巷镇"])
    assert "丙控制器成果" not in text(client.get("/awards/"))
    assert client.get(f"/awards/{here.id}").status_code == 404
    assert client.get(f"/awards/{there.id}/edit").status_code == 200
    viewer = app.test_client()
    user = make.user("viewer", password="correct-horse-1")
    make.session.commit()
    viewer.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
    assert viewer.get(f"/awards/{here.id}").status_code == 200
    assert viewer.post(f"/awards/{here.id}/delete", data={"version": "1"}).status_code == 403


def test_export_cell_by_cell(client, login, two):
    here, _ = two
    login("staff")
    book = load_workbook(io.BytesIO(client.get("/awards/export.xlsx").data))
    ws = book["科技奖励"]
    assert "科技奖励（共2项" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["序号", "获奖项目", "企业名称", "统一社会信用代码", "奖项", "级别", "等级",
                                        "获奖年份", "完成单位排名", "备注"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert rows == [
        [1, "丁电机成果", "慈溪市周巷丁电器有限公司", there_uscc(two), "宁波市科技进步奖", "宁波市级", "一等奖", 2016, 1, None],
        [2, "丙控制器成果", "慈溪市浒山丙电器有限公司", here.firm.uscc, "国家科学技术进步奖", "国家级", "二等奖", 2014, 3,
         "+SUM(A1)"],
    ]
    assert ws["J4"].data_type == "s" and ws["D3"].number_format == "@"


def there_uscc(two):
    return two[1].firm.uscc
