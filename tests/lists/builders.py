"""Extra builders for the lists tests (tests/factories.py is shared; these are ours)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from registry.firms.models import AnnualData
from registry.lists import services
from registry.lists.models import CriteriaSet, Criterion


def annual(session, firm, year, **figures) -> AnnualData:
    money = {"revenue", "rd_expense", "total_cost", "high_tech_revenue"}
    row = AnnualData(firm=firm, year=year, status=figures.pop("status", "accepted"),
                     **{k: Decimal(str(v)) if k in money and v is not None else v for k, v in figures.items()})
    session.add(row)
    session.flush()
    return row


def criteria(session, programme, year, rows, *, data_year=None) -> CriteriaSet:
    """rows: (kind, params) or (kind, params, role)."""
    cset = CriteriaSet(programme=programme, year=year, data_year=data_year or year - 1)
    cset.criteria = [Criterion(seq=i, kind=r[0], params=r[1], role=r[2] if len(r) > 2 else "required",
                               label=f"{r[0]}#{i}") for i, r in enumerate(rows, start=1)]
    session.add(cset)
    session.flush()
    return cset


def noticed_list(make, actor, firms, *, code="eaglet", year=2016, batch="", until=date(2016, 11, 24)):
    """A list in 公示 whose period has ended by 2016-12-01."""
    tier_list = services.create_list(actor, programme=make.programme(code), year=year, batch=batch,
                                     document_no="慈科〔2016〕58号")
    for firm in firms:
        services.add_entry(actor, tier_list, firm)
    services.start_notice(actor, tier_list, notice_from=date(2016, 11, 18), notice_until=until)
    return tier_list


def sample_list(make, firm) -> int:
    """The access matrix's ``list_id``: a draft list holding ``firm`` (no audit, no actor)."""
    from registry.lists.models import TierList, TierListEntry

    tier_list = TierList(programme=make.programme("eaglet"), year=2016, batch="矩阵", title="矩阵测试名单",
                         status="draft")
    tier_list.entries = [TierListEntry(firm=firm, seq=1, firm_name=firm.name, uscc=firm.uscc)]
    make.session.add(tier_list)
    make.session.flush()
    return tier_list.id
