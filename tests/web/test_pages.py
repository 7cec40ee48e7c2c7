"""The first face: login, the firm list and the 档案 page, as each role sees them."""
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from registry.firms.models import AnnualData, FirmName
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.teams.models import Team, TeamMember

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def text(resp):
    return resp.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, app):
    resp = client.get("/firms/")
    assert resp.status_code == 302
    assert "/auth/login" in resp.headers["Location"]
    page = client.get("/auth/login")
    assert page.status_code == 200
    assert "登录" in text(page) and "用户名" in text(page)


def test_wrong_credentials_get_one_generic_message(client, make):
    make.user(username="clerk", password="correct-horse-1")
    make.session.commit()
    for username, password in [("clerk", "wrong-password"), ("nobody", "whatever-123")]:
        resp = client.post("/auth/login", data={"username": username, "password": password})
        assert resp.status_code == 200
        assert "用户名或密码错误" in text(resp)
    assert client.get("/firms/").status_code == 302


def test_login_ignores_foreign_next(client, make):
    make.user(username="clerk2", password="correct-horse-1")
    make.session.commit()
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        resp = client.post(f"/auth/login?next={target}",
                           data={"username": "clerk2", "password": "correct-horse-1"})
        assert resp.status_code == 302
        assert "evil" not in resp.headers["Location"]
        client.post("/auth/logout")
    resp = client.post("/auth/login?next=/firms/%3Fq%3Dx",
                       data={"username": "clerk2", "password": "correct-horse-1"})
    assert resp.headers["Location"].startswith("/firms/")


def test_first_login_forces_password_change(client, make):
    make.user(username="fresh", password="one-time-pass", must_change_password=True)
    make.session.commit()
    client.post("/auth/login", data={"username": "fresh", "password": "one-time-pass"})
    resp = client.get("/firms/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")
    resp = client.post("/auth/password", data={"current": "one-time-pass", "new": "a-new-secret-9",
                                               "confirm": "a-new-secret-9"})
    assert resp.status_code == 302
    assert client.get("/firms/").status_code == 200


def test_list_search_filter_and_paginate(client, login, make):
    login("staff")
    for i in range(25):
        make.firm(f"慈溪市分页{i:02d}电器有限公司", town="周巷镇")
    renamed = make.firm("宁波新名科技有限公司", town="坎墩街道", industry="新材料")
    renamed.former_names.append(FirmName(name="慈溪市旧名塑业有限公司", changed_on=date(2015, 3, 1)))
    make.recognition(renamed, "eaglet", 2016)
    make.session.commit()

    first = text(client.get("/firms/?town=%d" % make.town("周巷镇").id))
    assert "共 25 家企业" in first and "下一页" in first
    second = text(client.get("/firms/?page=2&town=%d" % make.town("周巷镇").id))
    assert second.count("慈溪市分页") == 5

    assert "宁波新名科技有限公司" in text(client.get("/firms/?q=旧名"))  # former name finds it
    assert "宁波新名科技有限公司" in text(client.get(f"/firms/?q={renamed.uscc[-8:].lower()}"))
    by_prog = text(client.get(f"/firms/?programme={make.programme('eaglet').id}&year=2016"))
    assert "共 1 家企业" in by_prog
    by_industry = text(client.get(f"/firms/?industry={make.industry('新材料').id}"))
    assert "宁波新名科技有限公司" in by_industry and "慈溪市分页" not in by_industry
    bad_year = client.get("/firms/?year=abc&page=999")
    assert bad_year.status_code == 200 and "没有符合条件的企业" in text(bad_year)


def test_detail_page_shows_the_whole_record(client, login, make):
    login("staff")
    firm = make.firm("慈溪市档案测试电器有限公司", registered_capital=Decimal("1200.50"))
    make.recognition(firm, "high_tech", 2016, certificate_no="GR201633100026",
                     issued_on=date(2016, 11, 30))
    inst = RdInstitution(firm=firm, name="宁波市档案智能电器工程（技术）中心", type="企业工程（技术）中心",
                         level="ningbo", recognised_year=2015)
    make.session.add(inst)
    inst.level_changes = [RdLevelChange(kind="initial", to_level="cixi", year=2012),
                          RdLevelChange(kind="promotion", from_level="cixi", to_level="ningbo",
                                        year=2015, document_no="甬科〔2015〕8号")]
    team = Team(firm=firm, name="档案智能控制创新团队", leader_name="胡建国", recognised_year=2014,
                projects_in_progress=2)
    make.session.add(team)
    team.members = [TeamMember(name="胡建国", title="正高级工程师", title_grade="senior", role="leader")]
    firm.annual_data.append(AnnualData(year=2016, revenue=Decimal("10000"), rd_expense=Decimal("450")))
    make.session.add_all([inst, team])
    make.session.commit()

    page = text(client.get(f"/firms/{firm.id}"))
    for expected in ["慈溪市档案测试电器有限公司", firm.uscc, "1,200.50 万元", "GR201633100026",
                     "2016-11-30", "宁波市档案智能电器工程（技术）中心", "晋级", "甬科〔2015〕8号",
                     "档案智能控制创新团队", "胡建国", "正高级工程师", "4.50%", "10,000.00"]:
        assert expected in page, expected


def test_foreign_or_malformed_ids_are_404_in_chinese(client, login):
    login("staff")
    for path in ["/firms/999999", "/firms/abc", "/firms/1%20OR%201=1"]:
        resp = client.get(path)
        assert resp.status_code == 404
        assert "不存在" in text(resp)


def test_town_officer_sees_only_their_towns(client, login, make):
    mine = make.firm("慈溪市本镇电器有限公司", town="周巷镇")
    other = make.firm("慈溪市外镇电器有限公司", town="龙山镇")
    make.session.commit()
    login("town", towns=["周巷镇"])
    listing = text(client.get("/firms/"))
    assert "慈溪市本镇电器有限公司" in listing and "慈溪市外镇电器有限公司" not in listing
    assert client.get(f"/firms/{mine.id}").status_code == 200
    assert client.get(f"/firms/{other.id}").status_code == 404


def test_firm_user_sees_only_its_firm(client, login, make):
    own = make.firm("慈溪市自家电器有限公司")
    other = make.firm("慈溪市别家电器有限公司")
    make.session.commit()
    login("firm", firm=own)
    assert client.get("/").headers["Location"].endswith("/portal/")  # the portal is their landing page
    assert client.get(f"/firms/{own.id}").status_code == 200
    assert client.get(f"/firms/{other.id}").status_code == 404
    assert client.get("/firms/").status_code == 403


def test_pages_load_nothing_from_outside(client, login, make):
    firm = make.firm()
    make.session.commit()
    for path in ["/auth/login"]:
        assert not EXTERNAL.search(text(client.get(path)))
    login("staff")
    for path in ["/firms/", f"/firms/{firm.id}", "/auth/password", "/firms/404404"]:
        body = text(client.get(path))
        assert not EXTERNAL.search(body), path
        assert "/static/vendor/bootstrap/bootstrap.min.css" in body


def test_vendor_assets_are_served_locally(client):
    vendor = Path(__file__).resolve().parents[2] / "registry" / "static" / "vendor"
    if not (vendor / "bootstrap" / "bootstrap.min.css").exists():
        pytest.skip("front-end assets not installed: run `make assets` (make test does)")
    for name in ["bootstrap.min.css", "bootstrap.bundle.min.js"]:
        resp = client.get(f"/static/vendor/bootstrap/{name}")
        assert resp.status_code == 200 and len(resp.data) > 10_000
    assert client.get("/static/app.css").status_code == 200


def test_csrf_is_enforced_when_enabled(database_url):
    from config import TestConfig
    from registry import create_app

    class CsrfConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        WTF_CSRF_ENABLED = True

    app = create_app(CsrfConfig)
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": "x", "password": "y"})
    assert resp.status_code == 400
    page = text(client.get("/auth/login"))
    assert 'name="csrf_token"' in page
    from registry.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_security_headers_on_every_page(client):
    resp = client.get("/auth/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in text(resp)  # no inline script the CSP would block


def test_expired_and_revoked_certificates_say_so(client, login, make):
    login("staff")
    firm = make.firm("慈溪市证书状态电器有限公司")
    make.recognition(firm, "high_tech", 2012, certificate_no="GR201233100001",
                     valid_from=date(2012, 10, 13), valid_until=date(2015, 10, 12))
    make.recognition(firm, "eaglet", 2016, status="revoked", revoked_on=date(2017, 1, 5),
                     revoke_reason="弄虚作假")
    make.session.commit()
    page = text(client.get(f"/firms/{firm.id}"))
    assert "已到期" in page
    assert re.search(r"已撤销</span>\s*<span[^>]*>（弄虚作假）", page)


def test_detail_page_timeline_follows_the_ladder_and_actions_follow_the_role(client, login, make):
    firm = make.firm("慈溪市梯度成长电器有限公司", town="浒山街道")
    make.recognition(firm, "high_tech", 2015, certificate_no="GR201533100007",
                     valid_from=date(2015, 10, 1), valid_until=date(2018, 9, 30))
    make.recognition(firm, "gazelle", 2016)
    make.recognition(firm, "eaglet", 2013)
    make.recognition(firm, "lead_goose", 2016, status="revoked", revoked_on=date(2016, 12, 1),
                     revoke_reason="复核不合格")
    make.session.commit()
    login("staff")
    page = text(client.get(f"/firms/{firm.id}"))
    timeline = page[page.index('aria-label="认定时间轴"'):page.index("</table>", page.index('aria-label="认定时间轴"'))]
    rows = re.findall(r'<th scope="row"[^>]*>(.*?)</th>', timeline, re.S)
    labels = [re.sub(r"<[^>]+>|\s", "", r) for r in rows]
    assert labels == ["梯度1雏鹰企业", "梯度2瞪羚企业", "梯度3头雁企业", "高新技术企业"]
    years = re.findall(r'<th scope="col"[^>]*>(\d{4})</th>', timeline)
    assert years[0] == "2013" and years[-1] == "2018"
    assert "tl-revoked" in timeline and "tl-start" in timeline and "tl-held" in timeline
    header = page[:page.index('id="sec-profile"')]
    assert "雏鹰企业" in header and "瞪羚企业" in header and "头雁企业" not in header  # revoked rung
    for action in ("修改信息", "更名", "变更状态", "新增认定"):
        assert action in header
    assert "撤销</a>" in page

    client.post("/auth/logout")  # logging out and in again replaces the cached user
    login("viewer")
    page = text(client.get(f"/firms/{firm.id}"))
    assert "认定时间轴" in page and "修改信息" not in page and "撤销</a>" not in page
    assert "变更记录" in page


def test_dossier_links_institutions_and_teams_for_the_bureau_only(client, make, login, app):
    firm = make.firm("慈溪市档案链接电器有限公司")
    inst = RdInstitution(firm=firm, name="档案链接工程技术中心", type="企业工程（技术）中心", level="cixi")
    team = Team(firm=firm, name="档案链接创新团队")
    make.session.add_all([inst, team])
    make.session.commit()
    login("staff")
    page = text(client.get(f"/firms/{firm.id}"))
    assert f'href="/institutions/{inst.id}"' in page and f'href="/teams/{team.id}"' in page
    assert f"/institutions/new?firm_id={firm.id}" in page and f"/teams/new?firm_id={firm.id}" in page
    client.post("/auth/logout")
    login("viewer")
    page = text(client.get(f"/firms/{firm.id}"))
    assert f'href="/teams/{team.id}"' in page and "/teams/new" not in page
    client.post("/auth/logout")
    login("firm", firm=firm)
    page = text(client.get(f"/firms/{firm.id}"))
    assert "档案链接创新团队" in page and f'href="/teams/{team.id}"' not in page
