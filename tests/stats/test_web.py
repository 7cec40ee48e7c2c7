"""The dashboard, the Excel export, the JSON API and the CLI: same figures, local assets only."""
from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from registry.stats.services import compute
from tests.stats import history


@pytest.fixture
def built(make):
    firms = history.build(make)
    make.session.commit()
    return firms


def test_api_and_cli_print_the_same_json(app, client, login, built):
    login("viewer")
    for zone in ("all", "exclude-new-area", "new-area", "浒山街道"):
        resp = client.get("/api/stats", query_string={"year": 2016, "zone": zone})
        assert resp.status_code == 200 and resp.mimetype == "application/json"
        result = app.test_cli_runner().invoke(args=["stats", "--year", "2016", "--zone", zone, "--json"])
        assert result.exit_code == 0, result.output
        assert result.output.rstrip("\n") == resp.get_data(as_text=True)
        with app.app_context():
            assert json.loads(result.output) == compute(2016, zone)


def test_cli_without_json_prints_the_summary(app, built):
    result = app.test_cli_runner().invoke(args=["stats", "--year", "2016"])
    assert result.exit_code == 0
    assert result.output.startswith("截止2016年底，全市共有高新技术企业5家")


def test_holdings_cli_checks_and_rebuilds(app, built):
    from registry.extensions import db
    from registry.recognitions.models import ProgrammeHolding

    runner = app.test_cli_runner()
    result = runner.invoke(args=["holdings"])
    assert result.exit_code == 0 and "一致" in result.output
    with app.app_context():  # a row changed by hand, behind the hooks
        db.session.execute(ProgrammeHolding.__table__.update().values(valid_bits=0))
        db.session.commit()
    result = runner.invoke(args=["holdings"])
    assert result.exit_code == 1 and "不一致" in result.output and "--rebuild" in result.output
    result = runner.invoke(args=["holdings", "--rebuild"])
    assert result.exit_code == 0 and "已按认定记录重建" in result.output
    assert runner.invoke(args=["holdings"]).exit_code == 0


def test_summary_text_holds_the_computed_numbers(app, client, login, built):
    login("staff")
    page = client.get("/stats/?year=2016").get_data(as_text=True)
    summary = re.search(r'<textarea[^>]*id="stats-summary"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    for part in ("截止2016年底，全市共有高新技术企业5家（其中杭州湾新区2家，不含新区3家），比2011年增加2家",
                 "当年新认定（含重新认定）3家", "宁波市创新型初创企业1家", "市级创新型“雏鹰”企业1家",
                 "入库科技型中小企业3家",
                 "全市共有企业研发机构5家，其中国家级1家、省级2家、宁波市级1家、慈溪市级1家（不含新区3家）",
                 "规上企业研发机构设置率50.0%", "共培育市级科技创新团队4个（目前在培3个）",
                 "集聚副高以上人才5人（其中正高2人）", "在研项目6项", "有1个团队入选宁波市级科技创新团队"):
        assert part in summary, part
    excl = client.get("/stats/?year=2016&zone=exclude-new-area").get_data(as_text=True)
    assert "全市（不含杭州湾新区）共有高新技术企业3家，与2011年持平" in excl
    assert "（以上为不含新区数据）" in excl


def test_dashboard_uses_only_local_assets_and_carries_the_figures(app, client, login, built):
    login("viewer")
    resp = client.get("/stats/?year=2016&zone=new-area")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    refs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert refs and all(r.startswith(("/", "#", "data:")) and not r.startswith("//") for r in refs), refs
    assert "/static/vendor/echarts/echarts.min.js" in refs and "/static/stats.js" in refs
    assert "<script>" not in page.replace('<script type="application/json" id="stats-data">', "")
    block = re.search(r'<script type="application/json" id="stats-data">(.*?)</script>', page, re.S)
    payload = json.loads(block.group(1))
    with app.app_context():
        assert payload["stats"] == compute(2016, "new-area")
    assert payload["trend"]["years"] == list(range(2011, 2017))
    for asset in ("/static/vendor/echarts/echarts.min.js", "/static/stats.js", "/static/stats.css"):
        assert client.get(asset).status_code == 200, asset
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_dashboard_opens_on_the_latest_year_with_data(client, login, built):
    login("town", towns=["浒山街道"])
    page = client.get("/stats/").get_data(as_text=True)
    assert "截至2016年底" in page
    assert '<option value="2008">2008年</option>' in page


def test_the_workbook_holds_every_breakdown(client, login, built, ctx):
    login("staff")
    resp = client.get("/stats/export?year=2016&zone=all")
    assert resp.status_code == 200
    assert "spreadsheetml" in resp.mimetype
    wb = load_workbook(BytesIO(resp.data))
    assert wb.sheetnames == ["总览", "认定类别", "高企历年", "研发机构", "创新团队", "计划项目与奖励", "创新券与信贷",
                             "分镇街道", "分产业"]
    names = {p.code: p.short_name for p in history_programmes(ctx)}
    rows = {r[0]: r[1:] for r in wb["认定类别"].iter_rows(min_row=3, values_only=True)}
    assert rows[names["high_tech"]] == (3, 6, 5)
    years = dict(wb["高企历年"].iter_rows(min_row=3, values_only=True))
    assert years == {int(k): v for k, v in history.EXPECTED_2016["all"]["high_tech_valid_by_year"].items()}
    levels = dict(wb["研发机构"].iter_rows(min_row=3, values_only=True))
    assert levels["国家级"] == 1 and levels["合计"] == 5
    town = wb["分镇街道"]
    header = [c.value for c in town[2]]
    hushan = next(r for r in town.iter_rows(min_row=3, values_only=True) if r[0] == "浒山街道")
    assert hushan[header.index("研发机构·合计")] == 3
    assert hushan[header.index(f"{names['high_tech']}·年末有效")] == 1
    assert town.cell(row=3, column=header.index("规上企业研发机构设置率") + 1).number_format == "0.00%"
    total = next(r for r in town.iter_rows(min_row=3, values_only=True) if r[0] == "合计")
    assert total[header.index("研发机构·合计")] == 5
    industry = {r[0]: r for r in wb["分产业"].iter_rows(min_row=3, values_only=True)}
    assert industry["新材料"][header.index("累计培育团队（个）")] == 2
    overview = dict(wb["总览"].iter_rows(min_row=3, values_only=True))
    assert overview["文字摘要"].startswith("截止2016年底")


def history_programmes(ctx):
    from sqlalchemy import select

    from registry.recognitions.models import Programme

    return ctx.scalars(select(Programme)).all()


@pytest.mark.parametrize("query, message", [
    ({"year": 1989}, "1990"), ({"year": 2101}, "2100"), ({"year": "abc"}, "年份"), ({}, "年份"),
    ({"year": 2016, "zone": "火星镇"}, "未知的区域或镇（街道）"),
])
def test_bad_input_on_the_api_is_a_400_with_a_chinese_json_error(client, login, query, message):
    login("viewer")
    resp = client.get("/api/stats", query_string=query)
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    assert message in resp.get_json()["error"]


@pytest.mark.parametrize("path", ["/stats/", "/stats/export"])
@pytest.mark.parametrize("query", ["?year=1900", "?year=2016&zone=nowhere", "?year=x"])
def test_bad_input_on_pages_is_a_400(client, login, path, query):
    login("staff")
    resp = client.get(path + query)
    assert resp.status_code == 400
    assert "参数错误" in resp.get_data(as_text=True)


def test_cli_refuses_bad_input(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "--year", "2200"])
    assert result.exit_code == 2 and "1990" in result.output
    result = runner.invoke(args=["stats", "--year", "2016", "--zone", "火星镇"])
    assert result.exit_code == 2 and "未知的区域" in result.output


def test_a_year_without_data_is_zeros_on_the_api(client, login, built):
    login("viewer")
    data = client.get("/api/stats?year=1995").get_json()
    assert data["rd_institutions"]["total"] == 0 and data["high_tech_valid_by_year"] == {"1995": 0}


def test_firm_users_and_strangers_get_no_statistics(client, login, make, built):
    assert client.get("/api/stats?year=2016").status_code in (302, 401)
    login("firm", firm=built["A"])
    assert client.get("/api/stats?year=2016").status_code == 403
    assert client.get("/stats/").status_code == 403
