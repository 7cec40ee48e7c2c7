"""Firm rules called directly, as views and the importer call them: create, rename,
scoped fetch and search."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import ConflictError, NotFound, ValidationError
from registry.firms.models import Firm
from registry.firms.services import (
    FirmFilter, check_unique_uscc, create_firm, firm_query, get_firm_for, rename_firm,
)
from registry.firms.uscc import make_uscc
from tests.factories import next_uscc

GOOD17 = "9133028207078578XK"


def counts(session) -> tuple[int, int]:
    """(firms, audit entries) as the session sees them, flushed rows included."""
    return (session.scalar(select(func.count()).select_from(Firm)),
            session.scalar(select(func.count()).select_from(AuditLog)))


def valid_values(make, **overrides) -> dict:
    values = dict(uscc=next_uscc(), name="慈溪市新建电器有限公司", town=make.town("周巷镇"),
                  industry=make.industry("智能家电"), founded_on=date(2012, 3, 1),
                  registered_capital="500")
    values.update(overrides)
    return values


# --- create_firm: rejections write nothing ----------------------------------

REJECTED = [
    ("check-18", dict(uscc="91330201392122743T"), "第18位", "uscc"),
    ("check-17", dict(uscc=GOOD17[:16] + "5" + GOOD17[17:]), "第17位", "uscc"),
    ("length", dict(uscc="91330282742682653"), "18位", "uscc"),
    ("forbidden-letter", dict(uscc=GOOD17[:10] + "O" + GOOD17[11:]), "第11位", "uscc"),
    ("empty-uscc", dict(uscc="  "), "不能为空", "uscc"),
    ("empty-name", dict(name=""), "企业名称不能为空", "name"),
    ("blank-name", dict(name="  \t "), "企业名称不能为空", "name"),
    ("none-name", dict(name=None), "企业名称不能为空", "name"),
    ("future-founding", dict(founded_on=date.today() + timedelta(days=1)), "晚于今天", "founded_on"),
    ("negative-capital", dict(registered_capital="-5"), "不能为负数", None),
    ("negative-decimal-capital", dict(registered_capital=Decimal("-0.01")), "不能为负数", None),
    ("chinese-capital", dict(registered_capital="三百万"), "不是有效的数字", None),
    ("nan-capital", dict(registered_capital="NaN"), "不是有效的数字", None),
    ("infinite-capital", dict(registered_capital="Infinity"), "不是有效的数字", None),
    ("capital-too-large", dict(registered_capital="1e20"), "超出范围", None),
]


@pytest.mark.parametrize("overrides, text, field", [r[1:] for r in REJECTED],
                         ids=[r[0] for r in REJECTED])
def test_create_firm_rejects_and_writes_nothing(ctx, make, overrides, text, field):
    actor = make.user("staff")
    ctx.commit()
    before = counts(ctx)
    with pytest.raises(ValidationError) as err:
        create_firm(actor, **valid_values(make, **overrides))
    assert text in err.value.message
    if field:
        assert err.value.field == field
    assert counts(ctx) == before  # nothing flushed
    ctx.rollback()  # what a view does on a RegistryError
    assert counts(ctx) == before  # nothing committed


def test_create_firm_rejects_a_founding_date_after_the_given_today(ctx, make):
    actor = make.user("staff")
    with pytest.raises(ValidationError, match="2016-06-02"):
        create_firm(actor, **valid_values(make, founded_on=date(2016, 6, 2)),
                    today=date(2016, 6, 1))
    firm = create_firm(actor, **valid_values(make, founded_on=date(2016, 6, 1)),
                       today=date(2016, 6, 1))
    assert firm.founded_on == date(2016, 6, 1)


def test_duplicate_uscc_names_the_firm_that_holds_it(ctx, make):
    actor = make.user("staff")
    existing = make.firm("慈溪市先到电器有限公司")
    ctx.commit()
    before = counts(ctx)
    typed = " " + existing.uscc.lower()[:9] + " " + existing.uscc.lower()[9:]  # as people type
    with pytest.raises(ConflictError) as err:
        create_firm(actor, **valid_values(make, uscc=typed, name="慈溪市后到电器有限公司"))
    assert "慈溪市先到电器有限公司" in err.value.message
    assert existing.uscc in err.value.message
    assert err.value.field == "uscc"
    assert counts(ctx) == before
    ctx.rollback()
    assert counts(ctx) == before


def test_check_unique_uscc_ignores_the_firm_itself(ctx, make):
    firm = make.firm()
    check_unique_uscc(firm.uscc, exclude_id=firm.id)  # editing the firm itself: no clash
    with pytest.raises(ConflictError):
        check_unique_uscc(firm.uscc, exclude_id=firm.id + 1)
    check_unique_uscc(next_uscc())


def test_valid_create_writes_one_firm_and_one_audit_entry(ctx, make):
    actor = make.user("staff")
    ctx.commit()
    firms_before, audit_before = counts(ctx)
    code = make_uscc("91330282", "MA2AB1C2")
    firm = create_firm(actor, **valid_values(make, uscc=code.lower(), name="  慈溪市合规电器有限公司 ",
                                             registered_capital="1,200.50"))
    ctx.commit()
    assert counts(ctx) == (firms_before + 1, audit_before + 1)

    ctx.expire_all()
    saved = ctx.get(Firm, firm.id)
    assert saved.uscc == code  # normalised
    assert saved.name == "慈溪市合规电器有限公司"  # trimmed
    assert saved.registered_capital == Decimal("1200.50")
    assert saved.town.name == "周巷镇" and saved.industry.name == "智能家电"
    assert (saved.status, saved.version) == ("active", 1)

    entry = ctx.scalar(select(AuditLog).order_by(AuditLog.id.desc()))
    assert (entry.action, entry.entity_type, entry.entity_id, entry.firm_id, entry.user_id) == (
        "create", "firm", firm.id, firm.id, actor.id)
    assert entry.after["uscc"] == code and entry.after["name"] == "慈溪市合规电器有限公司"
    assert entry.after["founded_on"] == "2012-03-01"
    assert Decimal(entry.after["registered_capital"]) == Decimal("1200.50")


def test_capital_may_be_left_empty(ctx, make):
    firm = create_firm(make.user("staff"), **valid_values(make, registered_capital=""))
    assert firm.registered_capital is None


# --- rename_firm and search ---------------------------------------------------

def names(session, user, **filters) -> set[str]:
    return {f.name for f in session.scalars(firm_query(user, FirmFilter(**filters)))}


def test_rename_keeps_the_old_name_searchable(ctx, make):
    staff = make.user("staff")
    firm = make.firm("慈溪市甲乙电器有限公司")
    make.firm("慈溪市无关机械有限公司")
    ctx.commit()
    audit_before = counts(ctx)[1]

    rename_firm(staff, firm, " 宁波丙丁科技股份有限公司 ", on=date(2016, 3, 1))
    ctx.commit()
    ctx.expire_all()

    firm = ctx.get(Firm, firm.id)
    assert firm.name == "宁波丙丁科技股份有限公司"
    assert [(n.name, n.changed_on) for n in firm.former_names] == [
        ("慈溪市甲乙电器有限公司", date(2016, 3, 1))]
    assert counts(ctx)[1] == audit_before + 1
    entry = ctx.scalar(select(AuditLog).where(AuditLog.action == "rename"))
    assert entry.before == {"name": "慈溪市甲乙电器有限公司"}
    assert entry.after == {"name": "宁波丙丁科技股份有限公司"}

    found = "宁波丙丁科技股份有限公司"
    assert names(ctx, staff, q="慈溪市甲乙电器有限公司") == {found}  # old name
    assert names(ctx, staff, q="甲乙") == {found}  # old-name fragment
    assert names(ctx, staff, q="丙丁科技") == {found}  # new-name fragment
    assert names(ctx, staff, q=firm.uscc[-8:]) == {found}  # USCC fragment
    assert names(ctx, staff, q=" " + firm.uscc[-6:].lower()) == {found}  # typed loosely
    assert names(ctx, staff, q="没有这家企业") == set()


def test_rename_to_the_same_or_an_empty_name(ctx, make):
    staff = make.user("staff")
    firm = make.firm("慈溪市不变电器有限公司")
    ctx.commit()
    audit_before = counts(ctx)[1]
    rename_firm(staff, firm, "慈溪市不变电器有限公司")
    with pytest.raises(ValidationError):
        rename_firm(staff, firm, "  ")
    assert firm.name == "慈溪市不变电器有限公司"
    assert firm.former_names == []
    assert counts(ctx)[1] == audit_before


def test_two_renames_keep_both_old_names(ctx, make):
    staff = make.user("staff")
    firm = make.firm("慈溪市一号有限公司")
    rename_firm(staff, firm, "慈溪市二号有限公司", on=date(2014, 1, 1))
    rename_firm(staff, firm, "慈溪市三号有限公司", on=date(2016, 1, 1))
    ctx.commit()
    assert {n.name for n in firm.former_names} == {"慈溪市一号有限公司", "慈溪市二号有限公司"}
    assert names(ctx, staff, q="一号") == names(ctx, staff, q="二号") == {"慈溪市三号有限公司"}


# --- get_firm_for: scoped fetch-or-404 ----------------------------------------

@pytest.fixture
def spread(ctx, make):
    """One firm in each of 浒山街道, 周巷镇, 杭州湾新区 and one without a town."""
    firms = {"浒山": make.firm(town="浒山街道"), "周巷": make.firm(town="周巷镇"),
             "新区": make.firm(town="杭州湾新区"), "无": make.firm(town=None)}
    ctx.commit()
    return firms


def visible(user, firms) -> set[str]:
    seen = set()
    for key, firm in firms.items():
        try:
            assert get_firm_for(user, firm.id).id == firm.id
            seen.add(key)
        except NotFound:
            pass
    return seen


def test_staff_admin_and_viewer_see_every_firm(make, spread):
    for role in ("staff", "admin", "viewer"):
        assert visible(make.user(role), spread) == {"浒山", "周巷", "新区", "无"}


def test_town_officer_sees_only_their_towns(make, spread):
    officer = make.user("town", towns=["浒山街道", "杭州湾新区"])
    assert visible(officer, spread) == {"浒山", "新区"}
    with pytest.raises(NotFound, match="企业不存在或您无权查看"):
        get_firm_for(officer, spread["周巷"].id)
    assert visible(make.user("town", towns=["周巷镇"]), spread) == {"周巷"}
    assert visible(make.user("town"), spread) == set()  # no towns assigned: nothing


def test_firm_user_sees_only_their_own_firm(make, spread):
    user = make.user("firm", firm=spread["周巷"])
    assert visible(user, spread) == {"周巷"}
    assert get_firm_for(user, str(spread["周巷"].id)).id == spread["周巷"].id


@pytest.mark.parametrize("bad_id", ["abc", "1 OR 1=1", "1; DROP TABLE firms", "", None, "1.5",
                                    "０x1", [1],
                                    "99999999999999999999", -1])
def test_malformed_id_is_not_found(make, spread, bad_id):
    with pytest.raises(NotFound):
        get_firm_for(make.user("staff"), bad_id)


def test_missing_id_is_not_found(make, spread):
    missing = max(f.id for f in spread.values()) + 1000
    with pytest.raises(NotFound):
        get_firm_for(make.user("staff"), missing)


# --- firm_query filters ---------------------------------------------------------

@pytest.fixture
def catalogue(ctx, make):
    a = make.firm("甲公司", town="浒山街道", industry="智能家电")
    b = make.firm("乙公司", town="周巷镇", industry="新材料")
    c = make.firm("丙公司", town="浒山街道", industry="新材料", status="deregistered")
    make.firm("丁公司", town="杭州湾新区", industry="智能装备", status="moved_out")
    make.recognition(a, "high_tech", 2016)
    make.recognition(b, "high_tech", 2015)
    make.recognition(b, "eaglet", 2016)
    make.recognition(c, "high_tech", 2016, status="revoked", revoked_on=date(2016, 9, 1))
    ctx.commit()


def test_firm_query_filters(ctx, make, catalogue):
    staff = make.user("staff")
    town = make.town("浒山街道").id
    material = make.industry("新材料").id
    high_tech = make.programme("high_tech").id
    assert names(ctx, staff) == {"甲公司", "乙公司", "丙公司", "丁公司"}
    assert names(ctx, staff, town_id=town) == {"甲公司", "丙公司"}
    assert names(ctx, staff, industry_id=material) == {"乙公司", "丙公司"}
    assert names(ctx, staff, town_id=town, industry_id=material) == {"丙公司"}
    assert names(ctx, staff, programme_id=high_tech) == {"甲公司", "乙公司"}  # revoked left out
    assert names(ctx, staff, programme_id=high_tech, year=2016) == {"甲公司"}
    assert names(ctx, staff, programme_id=high_tech, year=2015) == {"乙公司"}
    assert names(ctx, staff, programme_id=make.programme("eaglet").id) == {"乙公司"}
    assert names(ctx, staff, programme_id=make.programme("gazelle").id) == set()
    assert names(ctx, staff, status="active") == {"甲公司", "乙公司"}
    assert names(ctx, staff, status="deregistered") == {"丙公司"}
    assert names(ctx, staff, status="moved_out") == {"丁公司"}


def test_firm_query_filters_never_widen_the_scope(ctx, make, catalogue):
    officer = make.user("town", towns=["浒山街道"])
    assert names(ctx, officer) == {"甲公司", "丙公司"}
    assert names(ctx, officer, industry_id=make.industry("新材料").id) == {"丙公司"}
    assert names(ctx, officer, town_id=make.town("周巷镇").id) == set()
    assert names(ctx, officer, q="乙公司") == set()



def test_search_treats_percent_and_underscore_literally(ctx, make):
    from registry.firms.services import FirmFilter, firm_query

    staff = make.user("staff")
    make.firm("慈溪市百分之百电器有限公司")
    make.firm("慈溪市下划线_电器有限公司")
    found = lambda q: [f.name for f in ctx.scalars(firm_query(staff, FirmFilter(q=q)))]
    assert found("%") == []
    assert found("_") == ["慈溪市下划线_电器有限公司"]
