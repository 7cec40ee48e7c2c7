"""Builders for institution and team tests (kept here: tests/factories.py is shared)."""
from __future__ import annotations

from registry.institutions.services import create_institution
from registry.teams.members import add_member
from registry.teams.services import create_team


def institution(make, actor, firm=None, *, name="慈溪市测试电器企业工程（技术）中心", level="cixi",
                year=2012, document_no="慈科〔2012〕8号", type="企业工程（技术）中心"):
    firm = firm or make.firm()
    inst = create_institution(actor, firm_id=firm.id, name=name, type=type, level=level, year=year,
                              document_no=document_no)
    make.session.flush()
    return inst


def team(make, actor, firm=None, *, name=None, leader="王建国", year=2013, members=()):
    firm = firm or make.firm()
    t = create_team(actor, firm_id=firm.id, name=name or f"{firm.name}创新团队", leader_name=leader,
                    field="智能控制", recognised_year=year, projects_in_progress=2)
    for member_name, title, role in members:
        add_member(actor, t, version=t.version, name=member_name, title=title, role=role)
    make.session.flush()
    return t


# --- samples for tests/web/test_access_matrix.py (no acting user there: plain rows) -----

def _row(make, obj):
    make.session.add(obj)
    make.session.flush()
    return obj


def sample_institution(make, firm) -> int:
    from registry.institutions.models import RdInstitution, RdLevelChange

    inst = RdInstitution(firm=firm, name="矩阵测试企业技术中心", type="企业技术中心", level="cixi",
                         recognised_year=2014, first_recognised_year=2014, status="active")
    inst.level_changes.append(RdLevelChange(kind="initial", to_level="cixi", year=2014))
    return _row(make, inst).id


def _sample_team(make, firm, suffix: str):
    from registry.teams.models import Team, TeamEvaluation, TeamMember

    team = Team(firm=firm, name=f"{firm.name}{suffix}创新团队", leader_name="王建国", recognised_year=2013,
                level="cixi", status="active", projects_in_progress=1)
    team.members.append(TeamMember(name="王建国", title="高级工程师", title_grade="associate", role="leader"))
    team.members.append(TeamMember(name="李梅", title="工程师", title_grade="intermediate", role="member"))
    team.evaluations.append(TeamEvaluation(year=2014, result="good"))
    return _row(make, team)


def sample_team(make, firm) -> int:
    return _sample_team(make, firm, "甲").id


def sample_member(make, firm) -> int:
    return _sample_team(make, firm, "乙").members[1].id


def sample_evaluation(make, firm) -> int:
    return _sample_team(make, firm, "丙").evaluations[0].id
