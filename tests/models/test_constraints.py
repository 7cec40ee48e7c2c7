"""Database-level constraints hold on every backend, whatever the application code does.

Each violation is checked twice: the row with an acceptable value flushes, the same row
with the bad value raises IntegrityError naming the constraint (SQLite names CHECK
constraints but only lists the columns of a UNIQUE one), so a failure for some other
reason does not pass by accident.
"""
from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry.auth.models import User
from registry.extensions import db
from registry.firms.models import AnnualData, Firm
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.models import Recognition
from registry.teams.models import Team, TeamEvaluation, TeamMember
from tests.factories import next_uscc

_n = itertools.count(1)


def assert_rejected(session, obj, *names):
    """Flushing ``obj`` raises IntegrityError whose message names one of ``names``."""
    session.add(obj)
    with pytest.raises(IntegrityError) as err:
        session.flush()
    session.rollback()
    message = str(err.value.orig)
    assert any(name in message for name in names), message


# --- builders: one fresh, otherwise valid row per call ---------------------

def firm_row(make, **kw):
    return Firm(uscc=next_uscc(), name=f"慈溪市约束{next(_n)}有限公司", **kw)


def recognition_row(make, **kw):
    kw.setdefault("year", 2016)
    return Recognition(firm=make.firm(), programme=make.programme("high_tech"), **kw)


def institution_row(make, **kw):
    kw.setdefault("level", "cixi")
    return RdInstitution(firm=make.firm(), name=f"研发中心{next(_n)}", type="企业技术中心", **kw)


def level_change_row(make, **kw):
    inst = institution_row(make)
    kw = {"kind": "promotion", "from_level": "cixi", "to_level": "ningbo", "year": 2016, **kw}
    return RdLevelChange(institution=inst, **kw)


def team_row(make, **kw):
    return Team(firm=make.firm(), name=f"科技创新团队{next(_n)}", **kw)


def member_row(make, **kw):
    return TeamMember(team=team_row(make), name="张三", **kw)


def evaluation_row(make, **kw):
    kw.setdefault("result", "pass")
    return TeamEvaluation(team=team_row(make), year=2016, **kw)


def annual_row(make, **kw):
    kw.setdefault("year", 2016)
    return AnnualData(firm=make.firm(), **kw)


def user_row(make, **kw):
    n = next(_n)
    user = User(username=f"ck{n}", display_name=f"用户{n}", **kw)
    user.set_password("correct-horse-1")
    return user


# builder, field, acceptable value, rejected value, constraint name
CHECKS = [
    (firm_row, "status", "moved_out", "closed", "ck_firms_status"),
    (firm_row, "status", "deregistered", "注销", "ck_firms_status"),
    (firm_row, "registered_capital", Decimal("0"), Decimal("-0.01"), "ck_firms_capital_nonneg"),
    (recognition_row, "status", "revoked", "expired", "ck_recognitions_status"),
    (recognition_row, "year", 1950, 1949, "ck_recognitions_year_range"),
    (recognition_row, "year", 2200, 2201, "ck_recognitions_year_range"),
    (institution_row, "level", "national", "county", "ck_rd_institutions_level"),
    (institution_row, "level", "provincial", "省级", "ck_rd_institutions_level"),
    (institution_row, "status", "closed", "deleted", "ck_rd_institutions_status"),
    (level_change_row, "to_level", "provincial", "county", "ck_rd_level_changes_to_level"),
    (level_change_row, "from_level", None, "city", "ck_rd_level_changes_from_level"),
    (level_change_row, "kind", "demotion", "upgrade", "ck_rd_level_changes_kind"),
    (member_row, "role", "leader", "boss", "ck_team_members_role"),
    (member_row, "title_grade", "associate", "副高", "ck_team_members_title_grade"),
    (member_row, "title_grade", None, "professor", "ck_team_members_title_grade"),
    (evaluation_row, "result", "fail", "bad", "ck_team_evaluations_result"),
    (team_row, "projects_in_progress", 0, -1, "ck_teams_projects_nonneg"),
    (team_row, "level", "ningbo", "national", "ck_teams_level"),
    (annual_row, "revenue", Decimal("0"), Decimal("-1"), "ck_annual_data_revenue_nonneg"),
    (annual_row, "rd_expense", Decimal("12.5"), Decimal("-12.5"), "ck_annual_data_rd_nonneg"),
    (annual_row, "year", 1950, 1949, "ck_annual_data_year_range"),
    (annual_row, "year", 2200, 2201, "ck_annual_data_year_range"),
    (annual_row, "status", "submitted", "pending", "ck_annual_data_status"),
    (user_row, "role", "viewer", "root", "ck_users_role"),
]


@pytest.mark.parametrize("build, field, good, bad, constraint", CHECKS,
                         ids=[f"{c[4]}={c[3]}" for c in CHECKS])
def test_check_constraint(ctx, make, build, field, good, bad, constraint):
    ctx.add(build(make, **{field: good}))
    ctx.flush()
    assert_rejected(ctx, build(make, **{field: bad}), constraint)


def test_recognition_validity_must_not_end_before_it_starts(ctx, make):
    ctx.add(recognition_row(make, valid_from=date(2016, 1, 1), valid_until=date(2016, 1, 1)))
    ctx.flush()
    assert_rejected(ctx, recognition_row(make, valid_from=date(2016, 1, 1),
                                         valid_until=date(2015, 12, 31)),
                    "ck_recognitions_validity_order")


def test_firm_user_must_have_a_firm(ctx, make):
    ctx.add(user_row(make, role="firm", firm=make.firm()))
    ctx.add(user_row(make, role="staff"))  # other roles need no firm
    ctx.flush()
    assert_rejected(ctx, user_row(make, role="firm"), "ck_users_firm_user_has_firm")


# --- uniqueness -------------------------------------------------------------

def test_duplicate_uscc(ctx, make):
    first = make.firm()
    assert_rejected(ctx, Firm(uscc=first.uscc, name="另一家公司"), "uq_firms_uscc", "firms.uscc")


def test_one_recognition_per_firm_programme_and_year(ctx, make):
    firm = make.firm()
    make.recognition(firm, "high_tech", 2016)
    make.recognition(firm, "high_tech", 2017)  # another year is fine
    make.recognition(firm, "tech_sme", 2016)  # another programme is fine
    dup = Recognition(firm=firm, programme=make.programme("high_tech"), year=2016)
    assert_rejected(ctx, dup, "uq_recognitions_firm_id_programme_id_year",
                    "recognitions.firm_id, recognitions.programme_id, recognitions.year")


def test_certificate_number_unique_within_programme(ctx, make):
    make.recognition(make.firm(), "high_tech", 2016, certificate_no="GR201633000123")
    # the same number under another programme is a different certificate
    make.recognition(make.firm(), "tech_sme", 2016, certificate_no="GR201633000123")
    dup = Recognition(firm=make.firm(), programme=make.programme("high_tech"), year=2016,
                      certificate_no="GR201633000123")
    assert_rejected(ctx, dup, "uq_recognitions_programme_id_certificate_no",
                    "recognitions.programme_id, recognitions.certificate_no")


def test_many_recognitions_without_certificate_number(ctx, make):
    for _ in range(3):
        make.recognition(make.firm(), "eaglet", 2016, certificate_no=None)
    ctx.commit()
    count = ctx.scalar(select(func.count()).select_from(Recognition)
                       .where(Recognition.certificate_no.is_(None)))
    assert count == 3


def test_one_annual_data_row_per_firm_and_year(ctx, make):
    firm = make.firm()
    ctx.add_all([AnnualData(firm=firm, year=2015), AnnualData(firm=firm, year=2016)])
    ctx.flush()
    assert_rejected(ctx, AnnualData(firm=firm, year=2016), "uq_annual_data_firm_id_year",
                    "annual_data.firm_id, annual_data.year")


def test_one_team_evaluation_per_team_and_year(ctx, make):
    team = team_row(make)
    team.evaluations = [TeamEvaluation(year=2015, result="good"),
                        TeamEvaluation(year=2016, result="pass")]
    ctx.add(team)
    ctx.flush()
    assert_rejected(ctx, TeamEvaluation(team=team, year=2016, result="excellent"),
                    "uq_team_evaluations_team_id_year",
                    "team_evaluations.team_id, team_evaluations.year")


# --- foreign keys -----------------------------------------------------------

def missing_firm_id(session) -> int:
    return (session.scalar(select(func.max(Firm.id))) or 0) + 1000


def test_recognition_needs_an_existing_firm(ctx, make):
    ctx.add(Recognition(firm_id=make.firm().id, programme_id=make.programme().id, year=2016))
    ctx.flush()
    rec = Recognition(firm_id=missing_firm_id(ctx), programme_id=make.programme().id, year=2016)
    assert_rejected(ctx, rec, "fk_recognitions_firm_id_firms", "FOREIGN KEY constraint failed")


def test_annual_data_needs_an_existing_firm(ctx, make):
    assert_rejected(ctx, AnnualData(firm_id=missing_firm_id(ctx), year=2016),
                    "fk_annual_data_firm_id_firms", "FOREIGN KEY constraint failed")


def test_firm_with_recognitions_cannot_be_deleted_behind_the_orm(ctx, make):
    firm = make.recognition(make.firm()).firm
    ctx.commit()
    with pytest.raises(IntegrityError) as err:
        ctx.execute(delete(Firm.__table__).where(Firm.__table__.c.id == firm.id))
    ctx.rollback()
    message = str(err.value.orig)
    assert "fk_recognitions_firm_id_firms" in message or "FOREIGN KEY" in message, message
    assert ctx.get(Firm, firm.id) is not None


# --- optimistic locking -----------------------------------------------------

def test_version_counts_updates(ctx, make):
    firm = make.firm()
    ctx.commit()
    assert firm.version == 1
    firm.phone = "0574-63000001"
    ctx.commit()
    assert firm.version == 2


def test_concurrent_edit_of_a_firm_is_stale(ctx, make):
    fid = make.firm(phone="0574-63000000").id
    ctx.commit()
    other = Session(db.engine)
    try:
        mine = ctx.get(Firm, fid)
        theirs = other.get(Firm, fid)
        assert mine.version == theirs.version == 1
        mine.phone = "0574-63111111"
        theirs.phone = "0574-63222222"
        other.commit()  # the other clerk saves first
        with pytest.raises(StaleDataError):
            ctx.flush()
        ctx.rollback()
    finally:
        other.close()
    ctx.expire_all()
    saved = ctx.get(Firm, fid)
    assert (saved.phone, saved.version) == ("0574-63222222", 2)


# --- cascades ---------------------------------------------------------------

def _team_with_people(ctx, make) -> int:
    team = team_row(make)
    team.members = [TeamMember(name="李四", role="leader", title="高级工程师", title_grade="associate"),
                    TeamMember(name="王五", role="member")]
    team.evaluations = [TeamEvaluation(year=2016, result="good")]
    ctx.add(team)
    ctx.commit()
    return team.id


def _children(ctx, team_id) -> tuple[int, int]:
    members = ctx.scalar(select(func.count()).select_from(TeamMember)
                         .where(TeamMember.team_id == team_id))
    evaluations = ctx.scalar(select(func.count()).select_from(TeamEvaluation)
                             .where(TeamEvaluation.team_id == team_id))
    return members, evaluations


def test_deleting_a_team_deletes_its_members(ctx, make):
    tid = _team_with_people(ctx, make)
    keep = _team_with_people(ctx, make)
    assert _children(ctx, tid) == (2, 1)
    ctx.delete(ctx.get(Team, tid))
    ctx.commit()
    assert _children(ctx, tid) == (0, 0)
    assert _children(ctx, keep) == (2, 1)


def test_database_cascades_team_members_without_the_orm(ctx, make):
    """ON DELETE CASCADE is in the schema itself (SQLite only with foreign_keys=ON)."""
    tid = _team_with_people(ctx, make)
    ctx.execute(delete(Team.__table__).where(Team.__table__.c.id == tid))
    ctx.commit()
    assert _children(ctx, tid) == (0, 0)


def test_level_changes_go_with_their_institution(ctx, make):
    inst = institution_row(make)
    inst.level_changes = [RdLevelChange(kind="initial", to_level="cixi", year=2012),
                          RdLevelChange(kind="promotion", from_level="cixi", to_level="ningbo",
                                        year=2015)]
    ctx.add(inst)
    ctx.commit()
    iid = inst.id
    ctx.execute(delete(RdInstitution.__table__).where(RdInstitution.__table__.c.id == iid))
    ctx.commit()
    left = ctx.scalar(select(func.count()).select_from(RdLevelChange)
                      .where(RdLevelChange.institution_id == iid))
    assert left == 0

