"""Sample portal records for the access matrix (tests/web/test_access_matrix.py SAMPLES)."""
from __future__ import annotations


def sample_change(make, firm) -> int:
    from registry.portal.models import FirmChangeRequest

    req = FirmChangeRequest(firm_id=firm.id, firm_version=firm.version, status="pending",
                            changes={"legal_representative": {"old": None, "new": "矩阵法人"}})
    make.session.add(req)
    make.session.flush()
    return req.id


def sample_proposal(make, firm) -> int:
    from registry.portal.models import MemberChangeProposal
    from tests.institutions.builders import _sample_team

    prop = MemberChangeProposal(firm_id=firm.id, team_id=_sample_team(make, firm, "丁").id, kind="add",
                                status="pending", data={"name": "矩阵新成员", "title": None,
                                                        "role": "member", "education": None,
                                                        "joined_year": None, "left_year": None})
    make.session.add(prop)
    make.session.flush()
    return prop.id


def sample_annual(make, firm) -> int:
    from decimal import Decimal

    from registry.firms.models import AnnualData

    ad = AnnualData(firm_id=firm.id, year=2015, revenue=Decimal("1000"), rd_expense=Decimal("50"),
                    employees=100, status="submitted")
    make.session.add(ad)
    make.session.flush()
    return ad.id


def sample_notice(make, firm) -> int:
    from registry.portal.notices import notify

    notice = notify(firm.id, "change_returned", "矩阵通知", "退回")
    make.session.flush()
    return notice.id
