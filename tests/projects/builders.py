"""Builders for project and award tests, and the samples of tests/web/test_access_matrix.py."""
from __future__ import annotations

from decimal import Decimal

from registry.awards.services import create_award
from registry.projects.services import create_project


def project(make, actor, firm=None, *, name="高效节能变频空调压缩机关键技术研发", plan="国家重点研发计划",
            level="national", start_year=2014, end_year=2017, funding="320", status="in_progress", **kw):
    firm = firm or make.firm()
    p = create_project(actor, firm_id=firm.id, name=name, plan=plan, level=level, start_year=start_year,
                       end_year=end_year, funding=funding, status=status, **kw)
    make.session.flush()
    return p


def award(make, actor, firm=None, *, project_name="智能家电控制器关键技术及产业化", award="浙江省科学技术奖",
          grade="second", year=2015, firm_rank=1, **kw):
    firm = firm or make.firm()
    a = create_award(actor, firm_id=firm.id, project_name=project_name, award=award, grade=grade, year=year,
                     firm_rank=firm_rank, **kw)
    make.session.flush()
    return a


# --- samples for the access matrix (no acting user there: plain rows) -------------------

def _row(make, obj):
    make.session.add(obj)
    make.session.flush()
    return obj


def sample_project(make, firm):
    from registry.projects.models import Project, ProjectMilestone

    p = Project(firm=firm, name="矩阵测试智能电机控制项目", plan="宁波市重大科技专项", level="ningbo", role="lead",
                start_year=2014, end_year=2016, funding=Decimal("150"), status="in_progress")
    p.milestones.append(ProjectMilestone(kind="midterm", title="中期检查"))
    return _row(make, p)


def sample_project_id(make, firm) -> int:
    return sample_project(make, firm).id


def sample_milestone_id(make, firm) -> int:
    from registry.projects.models import Project
    from sqlalchemy import select

    p = make.session.scalar(select(Project).where(Project.firm_id == firm.id)) or sample_project(make, firm)
    return p.milestones[0].id


def sample_award_id(make, firm) -> int:
    from registry.awards.models import Award

    return _row(make, Award(firm=firm, project_name="矩阵测试高效电机获奖项目", award="宁波市科学技术奖",
                            level="ningbo", grade="third", year=2015, firm_rank=1)).id
