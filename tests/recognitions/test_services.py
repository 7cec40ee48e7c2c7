"""Recognition rules without a request: validity defaults, the overlap rule, revocation
(reason required), the optimistic lock, scope, and the audit entries."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import ConflictError, NotFound, ValidationError
from registry.firms.locking import EditConflict
from registry.firms.services import AccessDenied
from registry.recognitions.models import Recognition
from registry.recognitions.services import (
    add_recognition, default_validity, get_recognition_for, get_recognition_for_edit,
    recognition_snapshot, revoke_recognition, update_recognition,
)


def add(actor, firm, make, code="high_tech", year=2016, **kw):
    return add_recognition(actor, firm, programme=make.programme(code), year=year, **kw)


def audit(session, entity_id, action):
    return list(session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "recognition", AuditLog.entity_id == entity_id,
        AuditLog.action == action)))


def test_validity_defaults_from_the_programme(ctx, make):
    high_tech, tech_sme, eaglet = (make.programme(c) for c in ("high_tech", "tech_sme", "eaglet"))
    assert default_validity(high_tech, 2016, date(2016, 11, 30)) == (date(2016, 11, 30), date(2019, 11, 29))
    assert default_validity(tech_sme, 2016) == (date(2016, 1, 1), date(2016, 12, 31))
    assert default_validity(eaglet, 2015) == (date(2015, 1, 1), date(2017, 12, 31))
    assert default_validity(high_tech, 2016, date(2016, 2, 29)) == (date(2016, 2, 29), date(2019, 2, 27))


def test_add_fills_validity_and_writes_an_audit_entry(ctx, make):
    staff = make.user("staff")
    firm = make.firm()
    rec = add(staff, firm, make, certificate_no=" GR201633100026 ", issued_on=date(2016, 11, 30),
              batch="第一批", document_no="浙科发高〔2016〕1号")
    ctx.commit()
    assert (rec.valid_from, rec.valid_until) == (date(2016, 11, 30), date(2019, 11, 29))
    assert rec.certificate_no == "GR201633100026" and rec.status == "valid"
    (entry,) = audit(ctx, rec.id, "create")
    assert entry.firm_id == firm.id and entry.user_id == staff.id
    assert entry.after["programme"] == "高新技术企业" and entry.after["valid_until"] == "2019-11-29"
    assert "2016年高新技术企业" in entry.summary


def test_overlapping_recognitions_of_one_programme_are_refused(ctx, make):
    staff = make.user("staff")
    firm = make.firm()
    first = add(staff, firm, make, year=2014, certificate_no="GR201433100001", issued_on=date(2014, 9, 1))
    with pytest.raises(ConflictError) as err:
        add(staff, firm, make, year=2016, issued_on=date(2016, 11, 30))  # 2014-09-01..2017-08-31
    message = err.value.message
    assert "2014年“高新技术企业”" in message and "GR201433100001" in message
    assert "2014-09-01 至 2017-08-31" in message and "重叠" in message
    # right after the old one ends: fine; another programme in the same period: fine
    add(staff, firm, make, year=2017, issued_on=date(2017, 9, 1))
    add(staff, firm, make, code="tech_sme", year=2016)
    # a revoked recognition does not block
    revoke_recognition(staff, first, reason="复核不合格", on=date(2015, 3, 1), version=first.version)
    add(staff, firm, make, code="high_tech", year=2015, valid_from=date(2015, 6, 1),
        valid_until=date(2017, 5, 31))
    assert ctx.scalar(select(Recognition).where(Recognition.firm_id == firm.id,
                                                Recognition.year == 2015)) is not None


def test_overlap_counts_stored_records_without_dates_by_their_programme(ctx, make):
    staff = make.user("staff")
    firm = make.firm()
    make.recognition(firm, "eaglet", 2014)  # no dates: 2014-01-01..2016-12-31 by the programme
    with pytest.raises(ConflictError, match="2014年“雏鹰企业”"):
        add(staff, firm, make, code="eaglet", year=2016)
    add(staff, firm, make, code="eaglet", year=2017)


def test_same_year_and_certificate_clashes_are_named(ctx, make):
    staff = make.user("staff")
    firm, other = make.firm(), make.firm("慈溪市证书占用有限公司")
    rec = add(staff, firm, make, code="tech_sme", year=2016)
    revoke_recognition(staff, rec, reason="误登", on=date(2016, 5, 1), version=rec.version)
    with pytest.raises(ConflictError, match="已有2016年度“科技型中小企业”认定记录（已撤销）"):
        add(staff, firm, make, code="tech_sme", year=2016)
    add(staff, other, make, year=2016, certificate_no="GR201633100099")
    with pytest.raises(ConflictError, match="慈溪市证书占用有限公司") as err:
        add(staff, firm, make, year=2013, certificate_no="GR201633100099")
    assert err.value.field == "certificate_no"


@pytest.mark.parametrize("values, field, text", [
    (dict(programme=None), "programme_id", "请选择认定类别"),
    (dict(year=None), "year", "请填写认定年度"),
    (dict(year=1900), "year", "1950"),
    (dict(valid_from=date(2016, 5, 1), valid_until=date(2016, 4, 30)), "valid_until", "早于"),
    (dict(certificate_no="X" * 51), "certificate_no", "不能超过50个字符"),
])
def test_add_rejects_bad_values(ctx, make, values, field, text):
    firm = make.firm()
    data = dict(programme=make.programme("high_tech"), year=2016)
    data.update(values)
    with pytest.raises(ValidationError) as err:
        add_recognition(make.user("staff"), firm, **data)
    assert err.value.field == field and text in err.value.message
    assert ctx.scalar(select(Recognition).where(Recognition.firm_id == firm.id)) is None


def test_revoke_requires_a_reason_and_a_sensible_date(ctx, make):
    staff = make.user("staff")
    rec = add(staff, make.firm(), make, year=2016, issued_on=date(2016, 11, 30))
    for reason, on, field, text in [
        ("", date(2017, 1, 1), "reason", "请填写撤销原因"),
        ("   ", date(2017, 1, 1), "reason", "请填写撤销原因"),
        ("弄虚作假", None, "on", "请填写撤销日期"),
        ("弄虚作假", date.today() + timedelta(days=1), "on", "晚于今天"),
        ("弄虚作假", date(2016, 1, 1), "on", "早于有效期起"),
    ]:
        with pytest.raises(ValidationError) as err:
            revoke_recognition(staff, rec, reason=reason, on=on, version=rec.version)
        assert (err.value.field, text in err.value.message) == (field, True)
    assert rec.status == "valid"
    revoke_recognition(staff, rec, reason=" 弄虚作假 ", on=date(2017, 1, 5), version=rec.version)
    ctx.commit()
    assert (rec.status, rec.revoked_on, rec.revoke_reason) == ("revoked", date(2017, 1, 5), "弄虚作假")
    (entry,) = audit(ctx, rec.id, "revoke")
    assert entry.before["status"] == "valid" and entry.after == {
        "status": "revoked", "revoked_on": "2017-01-05", "revoke_reason": "弄虚作假"}
    with pytest.raises(ConflictError, match="已于"):
        revoke_recognition(staff, rec, reason="再次", on=date(2017, 2, 1), version=rec.version)


def test_edit_changes_fields_audits_them_and_keeps_the_overlap_rule(ctx, make):
    staff = make.user("staff")
    firm = make.firm()
    a = add(staff, firm, make, year=2013, issued_on=date(2013, 9, 1))  # until 2016-08-31
    b = add(staff, firm, make, year=2016, issued_on=date(2016, 10, 1))
    ctx.commit()
    values = dict(programme=b.programme, year=2016, issued_on=date(2016, 10, 1),
                  valid_from=b.valid_from, valid_until=b.valid_until, certificate_no="GR2016X")
    changes = update_recognition(staff, b, version=b.version, **values)
    ctx.commit()
    assert [c.field for c in changes] == ["certificate_no"]
    (entry,) = audit(ctx, b.id, "update")
    assert entry.before == {"certificate_no": None} and entry.after == {"certificate_no": "GR2016X"}
    with pytest.raises(ConflictError, match="2013年“高新技术企业”"):
        update_recognition(staff, b, version=b.version, **{**values, "valid_from": date(2016, 8, 1)})
    assert a.id


def test_stale_recognition_edit_lists_the_changes(ctx, make):
    first, second = make.user("staff", display_name="钱科员"), make.user("staff")
    rec = add(first, make.firm(), make, year=2016, issued_on=date(2016, 10, 1))
    ctx.commit()
    loaded, version = recognition_snapshot(rec), rec.version
    base = dict(programme=rec.programme, year=2016, issued_on=rec.issued_on,
                valid_from=rec.valid_from, valid_until=rec.valid_until)
    update_recognition(first, rec, version=version, original=loaded, **base, certificate_no="GR1")
    ctx.commit()
    with pytest.raises(EditConflict) as err:
        update_recognition(second, rec, version=version, original=loaded, **base, batch="第二批")
    assert "证书编号：（空） → GR1" in err.value.message and "钱科员" in err.value.message
    ctx.rollback()
    assert ctx.get(Recognition, rec.id).batch is None


def test_scope_of_recognitions_follows_the_firm(ctx, make):
    staff = make.user("staff")
    mine = add(staff, make.firm(town="周巷镇"), make)
    theirs = add(staff, make.firm(town="龙山镇"), make)
    ctx.commit()
    officer = make.user("town", towns=["周巷镇"])
    assert get_recognition_for_edit(officer, mine.id) is mine
    with pytest.raises(NotFound):
        get_recognition_for(officer, theirs.id)
    with pytest.raises(AccessDenied):
        get_recognition_for_edit(make.user("viewer"), mine.id)
    with pytest.raises(AccessDenied):
        add(make.user("viewer"), mine.firm, make, code="eaglet")
    with pytest.raises(AccessDenied):
        revoke_recognition(officer, theirs, reason="x", on=date(2017, 1, 1), version=theirs.version)
    for bad in ("abc", None, -1, 10**20, 999999):
        with pytest.raises(NotFound):
            get_recognition_for(staff, bad)
