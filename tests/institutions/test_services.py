"""Institution rules without a request: creation, 晋级/降级 order and history, stale edits,
closing, town scope and the audit entries each change writes."""
import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import NotFound, ValidationError
from registry.institutions import services
from registry.records import StaleEdit, resolve_host_firm
from tests.institutions.builders import institution


def entries(session, entity_id):
    return list(session.scalars(select(AuditLog).where(AuditLog.entity_type == "rd_institution",
                                                       AuditLog.entity_id == entity_id)
                                .order_by(AuditLog.id)))


def test_create_writes_the_initial_step_and_an_audit_entry(make):
    staff = make.user("staff")
    firm = make.firm()
    inst = institution(make, staff, firm, level="ningbo", year=2013, document_no="甬科〔2013〕5号")
    assert (inst.level, inst.recognised_year, inst.first_recognised_year, inst.document_no) == (
        "ningbo", 2013, 2013, "甬科〔2013〕5号")
    [step] = inst.level_changes
    assert (step.kind, step.from_level, step.to_level, step.year, step.document_no) == (
        "initial", None, "ningbo", 2013, "甬科〔2013〕5号")
    [entry] = entries(make.session, inst.id)
    assert entry.action == "create" and entry.firm_id == firm.id and entry.user_id == staff.id
    assert entry.after["level"] == "ningbo" and entry.after["version"] == 1


def test_create_picks_the_firm_by_uscc_or_name(make):
    staff = make.user("staff")
    firm = make.firm("慈溪市甬丰电器有限公司")
    make.firm("慈溪市甬丰模具有限公司")
    assert resolve_host_firm(staff, firm.uscc) is firm
    assert resolve_host_firm(staff, " 慈溪市甬丰电器有限公司 ") is firm
    assert resolve_host_firm(staff, "甬丰电器") is firm
    with pytest.raises(ValidationError, match="匹配到多家企业"):
        resolve_host_firm(staff, "甬丰")
    with pytest.raises(ValidationError, match="找不到企业"):
        resolve_host_firm(staff, "不存在的公司")
    inst = services.create_institution(staff, firm_text=firm.uscc, name="甬丰研发中心",
                                       type="企业技术中心", level="cixi", year=2014, document_no="x")
    assert inst.firm is firm


@pytest.mark.parametrize("field, kw, message", [
    ("name", {"name": " "}, "请填写机构名称"),
    ("type", {"type": "研究所"}, "请选择机构类型"),
    ("level", {"level": "市级"}, "请选择级别"),
    ("year", {"year": None}, "请填写认定年份"),
    ("year", {"year": 1850}, "认定年份应在"),
])
def test_create_refuses_bad_fields_naming_the_field(make, field, kw, message):
    staff = make.user("staff")
    firm = make.firm()
    args = dict(firm_id=firm.id, name="甲中心", type="企业技术中心", level="cixi", year=2014)
    args.update(kw)
    with pytest.raises(ValidationError, match=message) as info:
        services.create_institution(staff, **args)
    assert info.value.field == field


def test_duplicate_name_in_one_firm_is_refused(make):
    staff = make.user("staff")
    firm = make.firm()
    institution(make, staff, firm, name="甲中心")
    with pytest.raises(ValidationError, match="已有名为“甲中心”"):
        institution(make, staff, firm, name="甲中心")


def test_promotions_keep_the_history_in_order(make):
    staff = make.user("staff")
    inst = institution(make, staff, level="cixi", year=2010, document_no="慈科〔2010〕1号")
    services.change_level(staff, inst, "promotion", version=inst.version, to_level="ningbo", year=2012,
                          document_no="甬科〔2012〕3号")
    services.change_level(staff, inst, "promotion", version=inst.version, to_level="national", year=2015,
                          document_no="国科〔2015〕9号")
    steps = [(c.kind, c.from_level, c.to_level, c.year, c.document_no) for c in inst.level_changes]
    assert steps == [("initial", None, "cixi", 2010, "慈科〔2010〕1号"),
                     ("promotion", "cixi", "ningbo", 2012, "甬科〔2012〕3号"),
                     ("promotion", "ningbo", "national", 2015, "国科〔2015〕9号")]
    assert (inst.level, inst.recognised_year, inst.document_no, inst.first_recognised_year) == (
        "national", 2015, "国科〔2015〕9号", 2010)
    audit = entries(make.session, inst.id)
    assert [e.action for e in audit] == ["create", "promote", "promote"]
    assert audit[1].before["level"] == "cixi" and audit[1].after["level"] == "ningbo"
    assert "宁波市级 → 国家级" in audit[2].summary


@pytest.mark.parametrize("kind, to_level, message", [
    ("promotion", "cixi", "相同"),
    ("promotion", "ningbo", "须高于当前级别（省级）"),
    ("demotion", "national", "须低于当前级别（省级）"),
])
def test_level_changes_must_go_the_right_way(make, kind, to_level, message):
    staff = make.user("staff")
    inst = institution(make, staff, level="provincial", year=2012)
    if to_level == "cixi":
        inst = institution(make, staff, name="乙中心", level="cixi", year=2012)
    with pytest.raises(ValidationError, match=message) as info:
        services.change_level(staff, inst, kind, version=inst.version, to_level=to_level, year=2014,
                              document_no="x")
    assert info.value.field == "to_level"


def test_a_change_cannot_precede_the_last_one_and_needs_a_document_number(make):
    staff = make.user("staff")
    inst = institution(make, staff, level="cixi", year=2012)
    services.change_level(staff, inst, "promotion", version=inst.version, to_level="ningbo", year=2014,
                          document_no="甬科〔2014〕1号")
    with pytest.raises(ValidationError, match="不能早于上一次级别变动（2014年）") as info:
        services.change_level(staff, inst, "promotion", version=inst.version, to_level="provincial",
                              year=2013, document_no="浙科〔2013〕2号")
    assert info.value.field == "year"
    with pytest.raises(ValidationError, match="请填写文号"):
        services.change_level(staff, inst, "promotion", version=inst.version, to_level="provincial",
                              year=2015, document_no="")
    step = services.change_level(staff, inst, "promotion", version=inst.version, to_level="provincial",
                                 year=2014, document_no="浙科〔2014〕2号")  # the same year is allowed
    assert step.year == 2014 and inst.level == "provincial"


def test_demotion_is_recorded_as_such(make):
    staff = make.user("staff")
    inst = institution(make, staff, level="provincial", year=2011)
    services.change_level(staff, inst, "demotion", version=inst.version, to_level="ningbo", year=2016,
                          document_no="浙科〔2016〕40号", note="绩效评价较差")
    last = inst.level_changes[-1]
    assert (last.kind, last.from_level, last.to_level, last.note) == ("demotion", "provincial", "ningbo", "绩效评价较差")
    assert inst.level == "ningbo" and inst.recognised_year == 2016
    assert entries(make.session, inst.id)[-1].action == "demote"


def test_a_stale_edit_is_refused_with_what_changed_meanwhile(make):
    alice, bob = make.user("staff", display_name="张三"), make.user("staff", display_name="李四")
    inst = institution(make, alice, name="甲中心")
    loaded = inst.version
    services.update_institution(alice, inst, version=loaded, name="甲研究院", type=inst.type)
    make.session.flush()
    with pytest.raises(StaleEdit) as info:
        services.update_institution(bob, inst, version=loaded, name="甲工程中心", type=inst.type)
    assert inst.name == "甲研究院"  # nothing overwritten
    [change] = info.value.changes
    assert change.who == "张三" and ("机构名称", "甲中心", "甲研究院") in change.fields
    assert info.value.current_version == inst.version == loaded + 1
    # A promotion by someone else also makes the edit stale, and says so.
    services.change_level(alice, inst, "promotion", version=inst.version, to_level="ningbo", year=2014,
                          document_no="甬科〔2014〕1号")
    with pytest.raises(StaleEdit) as info:
        services.update_institution(bob, inst, version=loaded + 1, name="甲工程中心", type=inst.type)
    assert ("级别", "慈溪市级", "宁波市级") in info.value.changes[0].fields


def test_an_unchanged_save_writes_nothing(make):
    staff = make.user("staff")
    inst = institution(make, staff)
    services.update_institution(staff, inst, version=inst.version, name=inst.name, type=inst.type)
    assert len(entries(make.session, inst.id)) == 1 and inst.version == 1


def test_close_and_revoke_need_year_and_reason_and_stop_level_changes(make):
    staff = make.user("staff")
    inst = institution(make, staff, year=2012)
    with pytest.raises(ValidationError, match="请填写原因"):
        services.end_institution(staff, inst, "revoked", version=inst.version, year=2015, reason=" ")
    with pytest.raises(ValidationError, match="不能早于"):
        services.end_institution(staff, inst, "revoked", version=inst.version, year=2011, reason="绩效差")
    services.end_institution(staff, inst, "revoked", version=inst.version, year=2015, reason="年度绩效评价不合格")
    assert (inst.status, inst.closed_year) == ("revoked", 2015)
    assert "2015年撤销认定：年度绩效评价不合格" in inst.note
    entry = entries(make.session, inst.id)[-1]
    assert entry.action == "revoke" and entry.before["status"] == "active" and entry.after["status"] == "revoked"
    with pytest.raises(ValidationError, match="已撤销，不能晋级"):
        services.change_level(staff, inst, "promotion", version=inst.version, to_level="ningbo", year=2016,
                              document_no="x")
    with pytest.raises(ValidationError, match="已撤销"):
        services.end_institution(staff, inst, "closed", version=inst.version, year=2016, reason="再来")


def test_town_officers_reach_only_their_towns(make):
    staff = make.user("staff")
    mine = institution(make, staff, make.firm(town="浒山街道"), name="甲中心")
    theirs = institution(make, staff, make.firm(town="周巷镇"), name="乙中心")
    officer = make.user("town", towns=["浒山街道"])
    assert services.get_institution_for(officer, mine.id) is mine
    for bad in (theirs.id, "abc", 0, -1, 2**40, None):
        with pytest.raises(NotFound):
            services.get_institution_for(officer, bad)
    listed = list(make.session.scalars(services.institution_query(officer, services.InstitutionFilter())))
    assert listed == [mine]
    # nor can they create one for a firm elsewhere, by id or by name
    with pytest.raises(ValidationError):
        services.create_institution(officer, firm_id=theirs.firm_id, name="丙", type="企业技术中心",
                                    level="cixi", year=2014)
    with pytest.raises(ValidationError, match="找不到企业"):
        services.create_institution(officer, firm_text=theirs.firm.name, name="丙", type="企业技术中心",
                                    level="cixi", year=2014)


def test_list_filters_and_search(make):
    staff = make.user("staff")
    a = institution(make, staff, make.firm("慈溪市甲电器有限公司", town="浒山街道"), name="甲中心", level="national",
                    type="企业技术中心")
    b = institution(make, staff, make.firm("慈溪市乙电器有限公司", town="周巷镇"), name="乙研究院", level="cixi")
    services.end_institution(staff, b, "closed", version=b.version, year=2016, reason="撤并")
    F = services.InstitutionFilter

    def run(**kw):
        return [i.name for i in make.session.scalars(services.institution_query(staff, F(**kw)))]

    assert run() == ["甲中心", "乙研究院"]  # highest level first
    assert run(level="cixi") == ["乙研究院"]
    assert run(type="企业技术中心") == ["甲中心"]
    assert run(town_id=make.town("周巷镇").id) == ["乙研究院"]
    assert run(status="closed") == ["乙研究院"]
    assert run(q="甲电器") == ["甲中心"]  # by firm name
    assert run(q="研究院") == ["乙研究院"]  # by institution name
    assert run(q="100%_") == []
    assert services.level_counts(staff, F()) == {"national": 1, "cixi": 1}


@pytest.mark.parametrize("role", ["staff", "town"])
def test_pages_fetched_ids_first_walk_the_whole_list_in_order(app, make, role):
    """Each page is narrowed to the levels it falls in; page by page, the list is the
    ordered query's, with every institution once and the right total (also for a town
    officer, whose query joins the firms)."""
    staff = make.user("staff")
    user = make.user(role, towns=["浒山街道"]) if role == "town" else staff
    levels = ["cixi", "national", "ningbo", "cixi", "provincial", "ningbo", "cixi", "national"]
    for n, level in enumerate(levels):
        institution(make, staff, make.firm(f"慈溪市分页{n}电器有限公司"), name=f"分页中心{n}",
                    level=level)
    institution(make, staff, make.firm("慈溪市外镇电器有限公司", town="周巷镇"), name="外镇中心")
    f = services.InstitutionFilter()
    whole = [i.id for i in make.session.scalars(services.institution_query(user, f))]
    assert len(whole) == (len(levels) if role == "town" else len(levels) + 1)
    walked, pages = [], -(-len(whole) // 3)
    for number in range(1, pages + 2):  # one page past the end: empty
        with app.test_request_context(f"/institutions/?page={number}"):
            page = services.institution_page(user, f, per_page=3)
            assert page.total == len(whole) and page.pages == pages
            walked += [i.id for i in page.items]
    assert walked == whole
