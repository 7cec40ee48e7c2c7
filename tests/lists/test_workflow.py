"""The list workflow: building, 公示, objections, publishing (once), the frozen snapshot, amendments."""
from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import ConflictError, NotFound, ValidationError
from registry.lists import services
from registry.lists.exports import official_list_workbook
from registry.lists.models import ListAmendment, TierList
from registry.recognitions.models import Recognition
from tests.lists.builders import noticed_list

AFTER = date(2016, 12, 1)  # the 公示 of noticed_list ended on 2016-11-24


@pytest.fixture
def staff(make):
    return make.user("staff")


def cells(data: bytes):
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_publish_freezes_the_snapshot_and_creates_the_recognitions(make, staff):
    a = make.firm("慈溪市甲电器有限公司", town="周巷镇")
    b = make.firm("慈溪市乙机械有限公司", town="浒山街道")
    tier_list = noticed_list(make, staff, [a, b])
    services.publish(staff, tier_list, today=AFTER)
    make.session.commit()
    assert tier_list.status == "published" and tier_list.published_at is not None
    recs = make.session.scalars(select(Recognition).where(Recognition.tier_list_id == tier_list.id)).all()
    assert {(r.firm_id, r.year, r.document_no, r.valid_until) for r in recs} == {
        (a.id, 2016, "慈科〔2016〕58号", date(2018, 12, 31)), (b.id, 2016, "慈科〔2016〕58号", date(2018, 12, 31))}
    before = cells(official_list_workbook(tier_list))
    assert before[2][1:4] == ["慈溪市甲电器有限公司", a.uscc, "周巷镇"]

    # the firm changes afterwards: name, town — the published list does not
    a.name, a.town = "慈溪市甲智能科技有限公司", make.town("观海卫镇")
    make.session.commit()
    make.session.expire_all()
    tier_list = make.session.get(TierList, tier_list.id)
    entry = next(e for e in tier_list.entries if e.firm_id == a.id)
    assert (entry.firm_name, entry.town_name) == ("慈溪市甲电器有限公司", "周巷镇")
    assert cells(official_list_workbook(tier_list)) == before  # the same content, cell for cell


def test_publishing_is_refused_until_the_list_is_ready(make, staff):
    firm = make.firm()
    empty = services.create_list(staff, programme=make.programme("eaglet"), year=2016)
    with pytest.raises(ValidationError, match="还没有企业"):
        services.start_notice(staff, empty, notice_from=date(2016, 11, 1), notice_until=date(2016, 11, 7))
    with pytest.raises(ConflictError, match="尚未公示"):
        services.publish(staff, empty, today=AFTER)
    services.add_entry(staff, empty, firm)
    with pytest.raises(ValidationError, match="早于开始"):
        services.start_notice(staff, empty, notice_from=date(2016, 11, 7), notice_until=date(2016, 11, 1))
    services.start_notice(staff, empty, notice_from=date(2016, 11, 18), notice_until=date(2016, 11, 24))
    with pytest.raises(ConflictError, match="公示期至 2016-11-24 结束"):
        services.publish(staff, empty, today=date(2016, 11, 24))
    services.record_objection(staff, empty, firm_id=firm.id, kind="objection", received_on=date(2016, 11, 20),
                              content="研发费用归集有误")
    with pytest.raises(ConflictError, match="1条异议未处理"):
        services.publish(staff, empty, today=AFTER)
    objection = empty.objections[0]
    services.resolve_objection(staff, empty, objection.id, outcome="dismissed", resolution="经核实，数据无误")
    assert [e.firm_id for e in empty.entries] == [firm.id]
    services.publish(staff, empty, today=AFTER)
    with pytest.raises(ConflictError, match="已发布"):
        services.publish(staff, empty, today=AFTER)


def test_an_emptied_list_is_not_published(make, staff):
    firm = make.firm()
    tier_list = noticed_list(make, staff, [firm])
    services.record_objection(staff, tier_list, firm_id=firm.id, kind="withdrawal", received_on=None,
                              content="企业主动申请撤回")
    assert tier_list.entries == [] and tier_list.objections[0].outcome == "upheld"
    with pytest.raises(ValidationError, match="没有企业"):
        services.publish(staff, tier_list, today=AFTER)


def test_adding_twice_or_a_closed_firm_is_refused(make, staff):
    firm, gone = make.firm("慈溪市重复电器有限公司"), make.firm("慈溪市注销电器有限公司", status="deregistered")
    tier_list = services.create_list(staff, programme=make.programme("gazelle"), year=2016)
    services.add_entry(staff, tier_list, firm)
    with pytest.raises(ConflictError, match="已在名单中"):
        services.add_entry(staff, tier_list, firm)
    with pytest.raises(ValidationError, match="已注销"):
        services.add_entry(staff, tier_list, gone)
    added, refused = services.add_entries(staff, tier_list, [firm, gone, make.firm()])
    assert added == 1 and len(refused) == 2
    with pytest.raises(ConflictError, match="已存在"):
        services.create_list(staff, programme=make.programme("gazelle"), year=2016)
    assert len(tier_list.entries) == 2


def test_an_upheld_objection_removes_the_firm(make, staff):
    a, b = make.firm(), make.firm()
    tier_list = noticed_list(make, staff, [a, b])
    with pytest.raises(ValidationError, match="不在名单中"):
        services.record_objection(staff, tier_list, firm_id=make.firm().id, kind="objection",
                                  received_on=None, content="x")
    services.record_objection(staff, tier_list, firm_id=a.id, kind="objection", received_on=None,
                              content="存在失信记录")
    services.resolve_objection(staff, tier_list, tier_list.objections[0].id, outcome="upheld",
                               resolution="异议成立")
    with pytest.raises(ConflictError, match="已处理"):
        services.resolve_objection(staff, tier_list, tier_list.objections[0].id, outcome="dismissed",
                                   resolution="再议")
    assert [e.firm_id for e in tier_list.entries] == [b.id]
    with pytest.raises(ConflictError, match="正在公示"):
        services.remove_entry(staff, tier_list, tier_list.entries[0].id)


def test_a_published_list_changes_only_through_recorded_amendments(make, staff):
    a, b, c = make.firm(), make.firm(), make.firm()
    tier_list = noticed_list(make, staff, [a, b])
    services.publish(staff, tier_list, today=AFTER)
    for attempt in (lambda: services.add_entry(staff, tier_list, c),
                    lambda: services.remove_entry(staff, tier_list, tier_list.entries[0].id),
                    lambda: services.update_list(staff, tier_list, title="改标题")):
        with pytest.raises(ConflictError, match="已发布"):
            attempt()
    with pytest.raises(ValidationError, match="更正原因"):
        services.amend(staff, tier_list, kind="add", firm=c, reason=" ")
    services.amend(staff, tier_list, kind="add", firm=c, reason="漏报增补", document_no="慈科〔2016〕60号",
                   today=date(2016, 12, 20))
    services.amend(staff, tier_list, kind="remove", firm=a, reason="提供虚假材料", today=date(2016, 12, 20))
    services.amend(staff, tier_list, kind="correct", firm=b, reason="名称笔误",
                   changes={"firm_name": "慈溪市更正后名称有限公司"})
    make.session.commit()
    assert sorted(e.firm_id for e in tier_list.entries) == sorted([b.id, c.id])
    assert next(e for e in tier_list.entries if e.firm_id == b.id).firm_name == "慈溪市更正后名称有限公司"
    recs = {r.firm_id: r for r in make.session.scalars(select(Recognition).where(Recognition.tier_list_id == tier_list.id))}
    assert recs[a.id].status == "revoked" and recs[a.id].revoke_reason == "提供虚假材料"
    assert recs[c.id].status == "valid"
    kinds = make.session.scalars(select(ListAmendment.kind).where(ListAmendment.tier_list_id == tier_list.id)).all()
    assert sorted(kinds) == ["add", "correct", "remove"]


def test_every_change_is_audited(make, staff):
    firm = make.firm()
    tier_list = noticed_list(make, staff, [firm])
    services.publish(staff, tier_list, today=AFTER)
    actions = make.session.scalars(select(AuditLog.action).where(AuditLog.user_id == staff.id)).all()
    assert {"create", "add_entry", "notice", "publish"} <= set(actions)
    assert make.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "recognition", AuditLog.firm_id == firm.id)) == 1


def test_a_stale_version_is_refused(make, staff):
    tier_list = noticed_list(make, staff, [make.firm()])
    with pytest.raises(ConflictError, match="他人修改"):
        services.publish(staff, tier_list, version=tier_list.version - 1, today=AFTER)


def test_foreign_ids_are_not_found(make, staff):
    for bad in ("abc", -1, 0, 2**40, 999999):
        with pytest.raises(NotFound):
            services.get_list_for(staff, bad)
    tier_list = services.create_list(staff, programme=make.programme("eaglet"), year=2016)
    firm_user = make.user("firm", firm=make.firm())
    with pytest.raises(NotFound):
        services.get_list_for(firm_user, tier_list.id)


def test_two_clerks_publishing_the_same_list_at_once_publish_it_once(app, make, staff):
    firms = [make.firm() for _ in range(5)]
    tier_list = noticed_list(make, staff, firms)
    make.session.commit()
    list_id, staff_id = tier_list.id, staff.id
    barrier, outcomes = threading.Barrier(2), []

    def clerk():
        from registry.auth.models import User
        from registry.extensions import db

        with app.app_context():
            try:
                mine = db.session.get(TierList, list_id)
                actor = db.session.get(User, staff_id)
                list(mine.entries), list(mine.objections)  # loaded before the race
                barrier.wait(timeout=10)
                services.publish(actor, mine, version=mine.version, today=AFTER)
                db.session.commit()
                outcomes.append("published")
            except ConflictError as exc:
                db.session.rollback()
                outcomes.append(exc.message)
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes.append(f"error: {type(exc).__name__}: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes, key=lambda o: o != "published")[0] == "published", outcomes
    assert outcomes.count("published") == 1, outcomes
    other = next(o for o in outcomes if o != "published")
    assert "已被他人发布" in other or "已发布" in other, outcomes
    make.session.rollback()  # end this session's snapshot (MariaDB REPEATABLE READ)
    assert make.session.scalar(select(func.count()).select_from(Recognition).where(
        Recognition.tier_list_id == list_id)) == 5
    assert make.session.get(TierList, list_id).status == "published"


def test_publishing_adopts_a_recognition_recorded_before(make, staff):
    firm = make.firm()
    imported = make.recognition(firm, "eaglet", 2016, document_no=None)
    tier_list = noticed_list(make, staff, [firm])
    services.publish(staff, tier_list, today=AFTER)
    assert imported.tier_list_id == tier_list.id and imported.document_no == "慈科〔2016〕58号"
    assert make.session.scalar(select(func.count()).select_from(Recognition).where(
        Recognition.firm_id == firm.id)) == 1


def test_a_firm_is_on_one_list_of_a_programme_and_year(make, staff):
    firm = make.firm("慈溪市两批电器有限公司")
    first = services.create_list(staff, programme=make.programme("eaglet"), year=2016, batch="第一批")
    second = services.create_list(staff, programme=make.programme("eaglet"), year=2016, batch="第二批")
    services.add_entry(staff, first, firm)
    with pytest.raises(ConflictError, match="已列入《2016年度慈溪市创新型“雏鹰”企业名单（第一批）》"):
        services.add_entry(staff, second, firm)
    other_year = services.create_list(staff, programme=make.programme("eaglet"), year=2017)
    services.add_entry(staff, other_year, firm)


def test_recognitions_imported_before_join_the_list_and_are_adopted(make, staff):
    a, b, claimed = make.firm("导入甲"), make.firm("导入乙"), make.firm("已属名单")
    make.recognition(a, "eaglet", 2016), make.recognition(b, "eaglet", 2016)
    make.recognition(make.firm("别的年度"), "eaglet", 2015)
    other = noticed_list(make, staff, [claimed], batch="第一批")
    services.publish(staff, other, today=AFTER)
    tier_list = services.create_list(staff, programme=make.programme("eaglet"), year=2016, batch="第二批")
    assert [f.name for f in services.imported_firms(tier_list)] == ["导入乙", "导入甲"]
    assert services.imported_count(tier_list) == 2
    services.add_entry(staff, tier_list, a)  # on the list already: no longer counted
    assert services.imported_count(tier_list) == 1
    services.remove_entry(staff, tier_list, tier_list.entries[0].id)
    added, refused = services.add_imported(staff, tier_list)
    assert (added, refused) == (2, []) and {e.source for e in tier_list.entries} == {"import"}
    with pytest.raises(ValidationError, match="没有可加入"):
        services.add_imported(staff, tier_list)
    services.start_notice(staff, tier_list, notice_from=date(2016, 11, 18), notice_until=date(2016, 11, 24))
    services.publish(staff, tier_list, today=AFTER)
    assert make.session.scalar(select(func.count()).select_from(Recognition).where(
        Recognition.tier_list_id == tier_list.id)) == 2


def test_the_page_rows_are_the_official_rows(make, staff):
    """The list page reads its firms as plain rows (``page_rows``): the same 序号, names,
    codes, towns and notes as the official workbook's ``entry_rows`` — current while a
    draft, frozen once published — and a town officer's part only."""
    from registry.lists.exports import entry_rows

    officer = make.user("town", towns=["周巷镇"])
    firms = [make.firm("慈溪市页行甲电器有限公司", town="周巷镇"),
             make.firm("慈溪市页行乙电器有限公司", town="浒山街道"),
             make.firm("慈溪市页行丙电器有限公司", town="周巷镇")]
    tier_list = noticed_list(make, staff, firms)

    def same(user):
        rows = services.page_rows(user, tier_list)
        assert [(r.n, r.name, r.uscc, r.town, r.note) for r in rows] == entry_rows(tier_list, user)
        return rows

    assert [r.name for r in same(staff)] == [f.name for f in firms]
    assert [r.name for r in same(officer)] == ["慈溪市页行甲电器有限公司", "慈溪市页行丙电器有限公司"]
    services.publish(staff, tier_list, today=AFTER)
    firms[0].name, firms[0].status = "慈溪市页行改名电器有限公司", "moved_out"
    make.session.flush()
    rows = same(staff)
    assert rows[0].name == "慈溪市页行甲电器有限公司"  # as published
    assert (rows[0].firm_status, rows[0].firm_status_label) == ("moved_out", "迁出")
    with pytest.raises(NotFound):
        services.get_list_for(make.user("town", towns=["龙山镇"]), tier_list.id, for_page=True)
    assert services.get_list_for(officer, tier_list.id, for_page=True) is tier_list
