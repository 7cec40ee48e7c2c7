"""Team rules without a request: the record, members (title → grade, one leader), the
evaluation → exit rule and its correction, 宁波市级, stale edits, scope and audit."""
import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import NotFound, ValidationError
from registry.records import StaleEdit
from registry.teams import evaluations as evals
from registry.teams import members, services
from tests.institutions.builders import team as make_team

CREW = (("王建国", "教授级高级工程师", "leader"), ("李梅", "高级工程师", "core"),
        ("赵强", "副教授", "core"), ("陈晨", "工程师", "member"), ("周一", "技术员", "member"))


def audit(session, entity_type=None):
    stmt = select(AuditLog).order_by(AuditLog.id)
    if entity_type:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    return list(session.scalars(stmt))


def test_create_team_and_name_uniqueness(make):
    staff = make.user("staff")
    firm = make.firm()
    team = services.create_team(staff, firm_text=firm.uscc, name="智能家电创新团队", leader_name="王建国",
                                field="智能控制", recognised_year=2014, projects_in_progress=3)
    assert (team.level, team.status, team.firm, team.projects_in_progress) == ("cixi", "active", firm, 3)
    [entry] = audit(make.session, "team")
    assert entry.action == "create" and entry.firm_id == firm.id and entry.after["name"] == "智能家电创新团队"
    with pytest.raises(ValidationError, match="已被使用") as info:
        services.create_team(staff, firm_id=firm.id, name=" 智能家电 创新团队", leader_name="甲",
                             recognised_year=2014)
    assert info.value.field == "name"
    with pytest.raises(ValidationError, match="在研项目数应在") as info:
        services.create_team(staff, firm_id=firm.id, name="乙团队", leader_name="甲", recognised_year=2014,
                             projects_in_progress=-1)


def test_member_title_gives_its_grade_and_counts_follow(make):
    staff = make.user("staff")
    team = make_team(make, staff, members=CREW)
    grades = {m.name: m.title_grade for m in team.members}
    assert grades == {"王建国": "senior", "李梅": "associate", "赵强": "associate", "陈晨": "intermediate",
                      "周一": "junior"}
    assert services.team_stats(team) == {"members": 5, "high": 3, "senior": 1, "associate": 2}
    member = next(m for m in team.members if m.name == "陈晨")
    members.update_member(staff, member, version=team.version, name="陈晨", title="高级工程师", role="member",
                          education=None, joined_year=2013, left_year=None)
    assert member.title_grade == "associate"
    members.update_member(staff, member, version=team.version, name="陈晨", title="首席专家", role="member",
                          education=None, joined_year=2013, left_year=2016)
    assert member.title_grade is None  # unknown: no guess
    assert services.team_stats(team)["members"] == 4  # who left is not counted
    entry = audit(make.session, "team_member")[-1]
    assert entry.action == "update" and entry.before["title_grade"] == "associate"
    assert entry.after["title_grade"] is None and entry.after["team_id"] == team.id
    assert list(make.session.scalars(services.team_query(staff, services.TeamFilter()))) == [team]
    assert services.member_counts([team.id]) == {team.id: (4, 3)}
    assert services.team_totals(staff, services.TeamFilter()) == {"teams": 1, "active": 1, "members": 4,
                                                                  "high": 3, "projects": 2}
    # an exited team stays listed, but its people and projects leave the figures (as on the dashboard)
    services.exit_team(staff, team, version=team.version, year=2016, reason="考核不合格")
    assert services.team_totals(staff, services.TeamFilter()) == {"teams": 1, "active": 0, "members": 0,
                                                                  "high": 0, "projects": 0}


def test_one_leader_per_team(make):
    staff = make.user("staff")
    team = make_team(make, staff, members=CREW[:2])
    assert team.leader_name == "王建国"
    with pytest.raises(ValidationError, match="已有带头人“王建国”") as info:
        members.add_member(staff, team, version=team.version, name="新人", title="工程师", role="leader")
    assert info.value.field == "role"
    leader = next(m for m in team.members if m.role == "leader")
    with pytest.raises(ValidationError, match="带头人不能直接改为其他角色"):
        members.update_member(staff, leader, version=team.version, name="王建国", title=None, role="core")
    with pytest.raises(ValidationError, match="不能删除带头人"):
        members.remove_member(staff, leader, version=team.version)
    with pytest.raises(ValidationError, match="团队中已有成员"):
        members.add_member(staff, team, version=team.version, name="李 梅", role="member")
    # The leader changes through the team record: the named member becomes leader, the old one core.
    services.update_team(staff, team, version=team.version, name=team.name, leader_name="李梅",
                         field=team.field, recognised_year=team.recognised_year, projects_in_progress=2)
    roles = {m.name: m.role for m in team.members}
    assert roles == {"王建国": "core", "李梅": "leader"} and team.leader_name == "李梅"
    with pytest.raises(ValidationError, match="不在团队现有成员中") as info:
        services.update_team(staff, team, version=team.version, name=team.name, leader_name="外人",
                             field=None, recognised_year=2013, projects_in_progress=2)
    assert info.value.field == "leader_name"


def test_remove_member_is_audited(make):
    staff = make.user("staff")
    team = make_team(make, staff, members=CREW[:3])
    gone = next(m for m in team.members if m.name == "赵强")
    members.remove_member(staff, gone, version=team.version)
    make.session.flush()
    assert [m.name for m in team.members] == ["王建国", "李梅"]
    entry = audit(make.session, "team_member")[-1]
    assert entry.action == "delete" and entry.before["name"] == "赵强" and entry.firm_id == team.firm_id


def test_a_failed_evaluation_takes_the_team_out_and_a_correction_restores_it(make):
    staff = make.user("staff")
    team = make_team(make, staff, year=2012)
    evals.add_evaluation(staff, team, version=team.version, year=2013, result="good")
    failed = evals.add_evaluation(staff, team, version=team.version, year=2014, result="fail",
                                  comment="未完成年度目标")
    assert (team.status, team.exit_year, team.exit_reason) == ("exit", 2014, evals.EXIT_REASON)
    exit_entry = audit(make.session, "team")[-1]
    assert exit_entry.action == "exit" and exit_entry.before["status"] == "active"
    assert exit_entry.after["status"] == "exit" and exit_entry.after["exit_year"] == 2014
    with pytest.raises(ValidationError, match="2014年退出，不能录入此后年度"):
        evals.add_evaluation(staff, team, version=team.version, year=2015, result="pass")
    with pytest.raises(ValidationError, match="2013年度已有考核结果"):
        evals.add_evaluation(staff, team, version=team.version, year=2013, result="pass")
    evals.update_evaluation(staff, failed, version=team.version, year=2014, result="pass",
                            comment="复核后合格")
    assert (team.status, team.exit_year, team.exit_reason) == ("active", None, None)
    actions = [(e.entity_type, e.action) for e in audit(make.session)][-2:]
    assert actions == [("team_evaluation", "update"), ("team", "restore")]


def test_a_correction_does_not_undo_an_exit_that_came_from_elsewhere(make):
    staff = make.user("staff")
    team = make_team(make, staff, year=2012)
    services.exit_team(staff, team, version=team.version, year=2014, reason="企业申请退出")
    ev = evals.add_evaluation(staff, team, version=team.version, year=2014, result="fail")
    assert team.exit_reason == "企业申请退出"  # already out: no second exit
    evals.update_evaluation(staff, ev, version=team.version, year=2014, result="pass")
    assert (team.status, team.exit_year, team.exit_reason) == ("exit", 2014, "企业申请退出")
    # An older failure's exit is not undone by correcting a different year.
    other = make_team(make, staff, name="乙团队", year=2012)
    evals.add_evaluation(staff, other, version=other.version, year=2013, result="fail")
    early = evals.add_evaluation(staff, other, version=other.version, year=2012, result="fail")
    evals.update_evaluation(staff, early, version=other.version, year=2012, result="good")
    assert (other.status, other.exit_year) == ("exit", 2013)


def test_deleting_the_failed_evaluation_restores_the_team(make):
    staff = make.user("staff")
    team = make_team(make, staff, year=2012)
    ev = evals.add_evaluation(staff, team, version=team.version, year=2015, result="fail")
    assert team.status == "exit"
    evals.remove_evaluation(staff, ev, version=team.version)
    assert team.status == "active" and team.evaluations == []
    assert audit(make.session, "team")[-1].action == "restore"


def test_correcting_a_result_to_fail_exits_the_team(make):
    staff = make.user("staff")
    team = make_team(make, staff, year=2012)
    ev = evals.add_evaluation(staff, team, version=team.version, year=2014, result="pass")
    evals.update_evaluation(staff, ev, version=team.version, year=2014, result="fail")
    assert (team.status, team.exit_year) == ("exit", 2014)


def test_ningbo_promotion(make):
    staff = make.user("staff")
    team = make_team(make, staff, year=2013)
    with pytest.raises(ValidationError, match="不能早于认定年份（2013年）"):
        services.promote_to_ningbo(staff, team, version=team.version, year=2012)
    services.promote_to_ningbo(staff, team, version=team.version, year=2015)
    assert (team.level, team.ningbo_year) == ("ningbo", 2015)
    entry = audit(make.session, "team")[-1]
    assert entry.action == "promote" and entry.before["level"] == "cixi" and entry.after["ningbo_year"] == 2015
    with pytest.raises(ValidationError, match="已于2015年入选宁波市级"):
        services.promote_to_ningbo(staff, team, version=team.version, year=2016)
    out = make_team(make, staff, name="乙团队")
    services.exit_team(staff, out, version=out.version, year=2014, reason="企业申请")
    with pytest.raises(ValidationError, match="已退出的团队不能晋级"):
        services.promote_to_ningbo(staff, out, version=out.version, year=2015)


def test_stale_team_edit_lists_member_changes_made_meanwhile(make):
    alice, bob = make.user("staff", display_name="张三"), make.user("staff", display_name="李四")
    team = make_team(make, alice, members=CREW[:1])
    loaded = team.version
    members.add_member(alice, team, version=loaded, name="新成员", title="高级工程师", role="core")
    services.update_team(alice, team, version=team.version, name=team.name, leader_name="王建国",
                         field="新方向", recognised_year=2013, projects_in_progress=5)
    make.session.flush()
    with pytest.raises(StaleEdit) as info:
        services.update_team(bob, team, version=loaded, name=team.name, leader_name="王建国", field="旧方向",
                             recognised_year=2013, projects_in_progress=1)
    assert team.field == "新方向" and team.projects_in_progress == 5
    summaries = [c.summary for c in info.value.changes]
    assert any("新增成员 新成员" in s for s in summaries)
    assert ("研究方向", "智能控制", "新方向") in info.value.changes[-1].fields
    with pytest.raises(StaleEdit):
        members.add_member(bob, team, version=loaded, name="另一人")


def test_town_scope_for_teams_members_and_evaluations(make):
    staff = make.user("staff")
    mine = make_team(make, staff, make.firm(town="浒山街道"), name="甲团队", members=CREW[:2])
    theirs = make_team(make, staff, make.firm(town="周巷镇"), name="乙团队", members=CREW[:2])
    ev = evals.add_evaluation(staff, theirs, version=theirs.version, year=2014, result="good")
    officer = make.user("town", towns=["浒山街道"])
    assert services.get_team_for(officer, mine.id) is mine
    with pytest.raises(NotFound):
        services.get_team_for(officer, theirs.id)
    with pytest.raises(NotFound):
        members.get_member_for(officer, theirs.members[0].id)
    with pytest.raises(NotFound):
        evals.get_evaluation_for(officer, ev.id)
    assert members.get_member_for(officer, mine.members[0].id).team is mine
    rows = make.session.scalars(services.team_query(officer, services.TeamFilter()))
    assert [t.name for t in rows] == ["甲团队"]


def test_team_list_filters(make):
    staff = make.user("staff")
    a = make_team(make, staff, make.firm(town="浒山街道"), name="甲团队", year=2012)
    b = make_team(make, staff, make.firm(town="周巷镇"), name="乙团队", year=2014)
    services.promote_to_ningbo(staff, a, version=a.version, year=2015)
    services.exit_team(staff, b, version=b.version, year=2016, reason="企业申请")
    F = services.TeamFilter

    def run(**kw):
        return [t.name for t in make.session.scalars(services.team_query(staff, F(**kw)))]

    assert run() == ["乙团队", "甲团队"]
    assert run(status="exit") == ["乙团队"] and run(status="active") == ["甲团队"]
    assert run(level="ningbo") == ["甲团队"]
    assert run(town_id=make.town("周巷镇").id) == ["乙团队"]
    assert run(year=2012) == ["甲团队"]
    assert run(q="王建国") == ["乙团队", "甲团队"]


def test_moving_a_team_to_another_host_is_recorded_on_both_firms(make):
    staff = make.user("staff")
    old, new = make.firm("慈溪市旧东家电器有限公司"), make.firm("慈溪市新东家电器有限公司")
    team = make_team(make, staff, old, name="迁移团队", members=CREW[:1])
    services.update_team(staff, team, version=team.version, firm_text=new.uscc, name=team.name,
                         leader_name="王建国", field=team.field, recognised_year=2013, projects_in_progress=2)
    make.session.flush()
    assert team.firm_id == new.id
    on_old = [e for e in audit(make.session, "team") if e.firm_id == old.id]
    assert on_old[-1].summary.endswith("慈溪市旧东家电器有限公司 → 慈溪市新东家电器有限公司")
    history = services.team_history(team)
    assert any(e.entity_type == "team_member" for e in history)  # written while at the old host
    assert history[0].firm_id in (old.id, new.id) and len({e.id for e in history}) == len(history)
