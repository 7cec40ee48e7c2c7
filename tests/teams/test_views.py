"""Team pages for each role: list with counts, detail, create/edit, members, evaluations
(the exit rule seen on the page), 宁波市级, Excel export; scope 404, viewer 403."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.teams.models import Team, TeamMember
from tests.institutions.builders import team as make_team

CREW = (("王建国", "教授级高级工程师", "leader"), ("李梅", "高级工程师", "core"), ("陈晨", "工程师", "member"))


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def two(make):
    staff = make.user("staff")
    here = make_team(make, staff, make.firm("慈溪市浒山甲电器有限公司", town="浒山街道"), name="甲智能控制创新团队",
                     year=2013, members=CREW)
    there = make_team(make, staff, make.firm("慈溪市周巷乙电器有限公司", town="周巷镇"), name="乙新材料创新团队",
                      year=2014, members=CREW[:1])
    make.session.commit()
    return here, there


def test_list_shows_counts_and_filters(client, login, two):
    login("staff")
    page = text(client.get("/teams/"))
    assert "甲智能控制创新团队" in page and "乙新材料创新团队" in page
    assert "共 2 个团队；在培团队现有成员 4 人（副高以上 3 人）" in page
    page = text(client.get("/teams/?year=2014"))
    assert "乙新材料创新团队" in page and "甲智能控制创新团队" not in page
    assert client.get("/teams/?year=abc&town=x&status=zz").status_code == 200


def test_detail_and_scope(client, login, two):
    here, there = two
    login("town", towns=["浒山街道"])
    page = text(client.get(f"/teams/{here.id}"))
    assert "王建国" in page and "正高" in page and "副高" in page and "添加成员" in page
    assert "乙新材料创新团队" not in text(client.get("/teams/"))
    for url in (f"/teams/{there.id}", f"/teams/{there.id}/edit", f"/teams/{there.id}/members/new",
                f"/teams/members/{there.members[0].id}/edit", "/teams/abc", "/teams/0"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/teams/members/{there.members[0].id}/delete", data={"version": 1}).status_code == 404


def test_viewer_reads_only_and_firm_user_is_kept_out(client, login, two, make):
    here, _ = two
    login("viewer")
    page = text(client.get(f"/teams/{here.id}"))
    assert "王建国" in page and "添加成员" not in page and "编辑团队" not in page
    member = here.members[1].id
    for url in (f"/teams/{here.id}/edit", f"/teams/{here.id}/members/new", f"/teams/members/{member}/delete",
                f"/teams/{here.id}/evaluations/new", f"/teams/{here.id}/ningbo", f"/teams/{here.id}/exit",
                "/teams/new"):
        assert client.post(url, data={}).status_code == 403, url
    client.post("/auth/logout")
    login("firm", firm=here.firm)
    assert client.get("/teams/").status_code == 403
    assert client.get(f"/teams/{here.id}").status_code == 403


def test_create_team_add_member_and_evaluate_through_the_pages(client, login, make):
    firm = make.firm("慈溪市新建电器有限公司")
    make.session.commit()
    login("staff")
    resp = client.post("/teams/new", data={"firm": "新建电器", "name": "新建创新团队", "leader_name": "张三",
                                           "recognised_year": 2014, "projects_in_progress": 2})
    assert resp.status_code == 302, text(resp)
    team = make.session.scalar(select(Team).where(Team.name == "新建创新团队"))
    assert team.firm_id == firm.id
    resp = client.post("/teams/new", data={"firm": firm.uscc, "name": "新建创新团队", "leader_name": "张三",
                                           "recognised_year": 2014})
    assert resp.status_code == 400 and "已被使用" in text(resp)
    resp = client.post(f"/teams/{team.id}/members/new", data={"name": "张三", "title": "高级工程师",
                                                              "role": "leader", "version": team.version})
    assert resp.status_code == 302
    make.session.expire_all()
    team = make.session.get(Team, team.id)
    assert [(m.name, m.title_grade, m.role) for m in team.members] == [("张三", "associate", "leader")]
    resp = client.post(f"/teams/{team.id}/members/new", data={"name": "李四", "role": "leader",
                                                              "version": team.version})
    assert resp.status_code == 400 and "只能有一名带头人" in text(resp)
    resp = client.post(f"/teams/{team.id}/evaluations/new", data={"year": 2015, "result": "fail",
                                                                  "version": team.version})
    assert resp.status_code == 302
    page = text(client.get(f"/teams/{team.id}"))
    assert "已退出" in page and "年度考核不合格" in page
    make.session.expire_all()
    team = make.session.get(Team, team.id)
    assert (team.status, team.exit_year) == ("exit", 2015)
    evaluation = team.evaluations[0]
    resp = client.post(f"/teams/evaluations/{evaluation.id}/edit", data={"year": 2015, "result": "pass",
                                                                         "version": team.version})
    assert resp.status_code == 302
    make.session.expire_all()
    assert make.session.get(Team, team.id).status == "active"
    actions = list(make.session.execute(select(AuditLog.entity_type, AuditLog.action)
                                        .where(AuditLog.firm_id == firm.id).order_by(AuditLog.id)))
    assert [tuple(a) for a in actions] == [("team", "create"), ("team_member", "create"),
                                           ("team_evaluation", "create"), ("team", "exit"),
                                           ("team_evaluation", "update"), ("team", "restore")]
    page = text(client.get(f"/teams/{team.id}"))
    assert "变更记录" in page and "恢复在培" in page
    assert ">version<" not in page and "慈溪市新建电器有限公司" in page  # bookkeeping hidden, firm named


def test_member_edit_and_delete(client, login, two, make):
    here, _ = two
    login("staff")
    member = next(m for m in here.members if m.name == "陈晨")
    version = here.version
    assert 'value="陈晨"' in text(client.get(f"/teams/members/{member.id}/edit"))
    resp = client.post(f"/teams/members/{member.id}/edit", data={"name": "陈晨", "title": "正高级工程师",
                                                                 "role": "core", "version": version})
    assert resp.status_code == 302
    stale = client.post(f"/teams/members/{member.id}/delete", data={"version": version})
    assert stale.status_code == 302
    make.session.expire_all()
    assert make.session.get(TeamMember, member.id).title_grade == "senior"  # stale delete refused
    fresh = make.session.get(Team, here.id).version
    assert client.post(f"/teams/members/{member.id}/delete", data={"version": fresh}).status_code == 302
    make.session.expire_all()
    assert make.session.get(TeamMember, member.id) is None


def test_ningbo_and_manual_exit(client, login, two, make):
    here, there = two
    login("staff")
    resp = client.post(f"/teams/{here.id}/ningbo", data={"year": 2012, "version": here.version})
    assert resp.status_code == 400 and "不能早于认定年份（2013年）" in text(resp)
    assert client.post(f"/teams/{here.id}/ningbo", data={"year": 2015, "version": here.version}).status_code == 302
    resp = client.post(f"/teams/{there.id}/exit", data={"year": 2016, "reason": "", "version": there.version})
    assert resp.status_code == 400 and "请填写退出原因" in text(resp)
    resp = client.post(f"/teams/{there.id}/exit", data={"year": 2016, "reason": "企业申请退出",
                                                        "version": there.version})
    assert resp.status_code == 302
    make.session.expire_all()
    assert make.session.get(Team, here.id).ningbo_year == 2015
    assert make.session.get(Team, there.id).status == "exit"


def test_excel_export_of_teams_members_and_evaluations(client, login, two):
    here, _ = two
    login("staff")
    resp = client.get("/teams/export.xlsx?status=active")
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["科技创新团队", "团队成员", "年度考核"]
    rows = list(book["科技创新团队"].iter_rows(values_only=True))
    assert "共2个" in rows[0][0]
    header = rows[1]
    first = dict(zip(header, next(r for r in rows[2:] if r[1] == "甲智能控制创新团队")))
    assert first["企业名称"] == "慈溪市浒山甲电器有限公司" and first["统一社会信用代码"] == here.firm.uscc
    assert (first["带头人"], first["认定年份"], first["成员数"], first["副高以上人数"], first["状态"]) == (
        "王建国", 2013, 3, 2, "在培")
    assert first["是否宁波市级团队"] == "否"
    members = list(book["团队成员"].iter_rows(values_only=True))
    assert members[0] == ("团队名称", "姓名", "职称", "职称等级", "角色", "学历", "加入年份", "离开年份")
    assert ("甲智能控制创新团队", "王建国", "教授级高级工程师", "正高", "带头人", None, None, None) in members
