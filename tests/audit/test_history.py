"""A record's history: ``entries_for`` and the ``audit/_history.html`` macro other areas include."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import render_template_string
from sqlalchemy import event

from registry.audit.services import diff, entries_for, record
from registry.extensions import db


def _entry(make, actor, firm, action="update", at=None, **kw):
    entry = record(actor, action, kw.pop("entity_type", "firm"), kw.pop("entity_id", firm.id),
                   firm_id=firm.id, **kw)
    if at is not None:
        entry.at = at
    make.session.flush()
    return entry


def test_entries_for_a_firm_newest_first_with_users_in_one_query(app, ctx, make):
    staff = make.user("staff", display_name="科技局李四")
    firm = make.firm("慈溪市历史测试电器有限公司")
    other = make.firm("慈溪市别家电器有限公司")
    t0 = datetime(2016, 5, 1, 8, 0)
    old = _entry(make, staff, firm, "create", at=t0, after={"name": firm.name})
    new = _entry(make, staff, firm, "rename", at=t0 + timedelta(days=3),
                 before={"name": "旧名"}, after={"name": firm.name})
    rec = _entry(make, None, firm, "create", at=t0 + timedelta(days=1), entity_type="recognition",
                 entity_id=99, after={"year": 2016})
    _entry(make, staff, other, "create", at=t0)
    ctx.commit()
    firm_id = firm.id
    ctx.expire_all()

    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        got = entries_for(firm_id=firm_id)
        names = [e.user.display_name if e.user else None for e in got]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [e.id for e in got] == [new.id, rec.id, old.id]
    assert names == ["科技局李四", None, "科技局李四"]
    assert len(statements) == 1

    assert [e.id for e in entries_for(entity_type="recognition", entity_id=99)] == [rec.id]
    assert [e.id for e in entries_for(firm_id=firm.id, entity_type="firm")] == [new.id, old.id]
    assert [e.id for e in entries_for(firm_id=firm.id, entity_type=("firm", "recognition"),
                                      limit=2)] == [new.id, rec.id]
    assert entries_for(firm_id=firm.id + 1000) == []


def test_diff_uses_chinese_labels_and_names(app, ctx, make):
    firm = make.firm(town="浒山街道")
    zhouxiang = make.town("周巷镇")
    entry = _entry(make, None, firm, before={"town_id": firm.town_id, "above_scale": False,
                                             "status": "active", "phone": "0574-1", "email": None},
                   after={"town_id": zhouxiang.id, "above_scale": True, "status": "moved_out",
                          "phone": "0574-1", "email": "a@b.cn", "mystery": 1})
    rows = {r.field: (r.label, r.before, r.after) for r in diff(entry)}
    assert "phone" not in rows  # unchanged fields are left out of an update
    assert rows["above_scale"] == ("规上企业", "否", "是")
    assert rows["status"] == ("状态", "在营", "迁出")
    assert rows["email"] == ("电子邮箱", "（空）", "a@b.cn")
    assert rows["mystery"][0] == "mystery"  # unknown keys are shown, never dropped
    from registry.audit.services import Names

    named = {r.field: r for r in diff(entry, Names())}
    assert (named["town_id"].label, named["town_id"].before, named["town_id"].after) == \
        ("所在镇（街道）", "浒山街道", "周巷镇")
    full = diff(entry, only_changed=False)
    assert "phone" in {r.field for r in full}


HISTORY = '{% from "audit/_history.html" import history %}{{ history(entries) }}'


def test_history_macro_shows_who_when_what_and_before_after(app, ctx, make):
    staff = make.user("staff", display_name="科技局王五")
    firm = make.firm("慈溪市宏图电器有限公司")
    _entry(make, staff, firm, "rename", at=datetime(2016, 6, 30, 17, 5),
           summary="更名：慈溪市旧图电器有限公司 → 慈溪市宏图电器有限公司",
           before={"name": "慈溪市旧图电器有限公司"}, after={"name": "慈溪市宏图电器有限公司"})
    _entry(make, None, firm, "import", at=datetime(2016, 1, 2, 1, 0), summary="导入：新增企业",
           after={"registered_capital": "500.00", "founded_on": "2010-05-12"})
    ctx.commit()
    with app.test_request_context():
        html = render_template_string(HISTORY, entries=entries_for(firm_id=firm.id))
        empty = render_template_string(HISTORY, entries=[])
    assert "科技局王五" in html and "系统" in html
    assert "2016-07-01 01:05" in html  # stored UTC, shown Beijing time
    assert "更名" in html and "导入" in html
    assert "名称" in html and "慈溪市旧图电器有限公司" in html and "→" in html
    assert "注册资本（万元）" in html and "2010-05-12" in html
    assert html.index("更名") < html.index("导入")
    assert "暂无变更记录" in empty


def test_labels_depend_on_the_kind_of_record_and_firm_ids_read_as_names(app, ctx, make):
    from registry.audit.services import Names

    old_host = make.firm("慈溪市原依托电器有限公司")
    new_host = make.firm("慈溪市新依托电器有限公司")
    entry = _entry(make, None, new_host, entity_type="team", entity_id=5,
                   before={"firm_id": old_host.id, "name": "甲团队", "level": "cixi"},
                   after={"firm_id": new_host.id, "name": "乙团队", "level": "ningbo"})
    rows = {r.field: r for r in diff(entry, Names())}
    assert (rows["firm_id"].label, rows["firm_id"].before, rows["firm_id"].after) == \
        ("依托企业", "慈溪市原依托电器有限公司", "慈溪市新依托电器有限公司")
    assert rows["name"].label == "团队名称"
    assert (rows["level"].before, rows["level"].after) == ("慈溪市级", "宁波市级")
    listed = _entry(make, None, new_host, entity_type="tier_list", entity_id=1,
                    before={"title": "旧标题"}, after={"title": "新标题"})
    assert diff(listed)[0].label == "名单标题"


def test_history_names_linked_records_in_one_query_per_table(app, ctx, make):
    """An entry's firm_id/team_id/institution_id values show as names; a page of entries
    naming many different records costs one query per table, not one per entry."""
    from registry.audit.services import Names

    staff = make.user("staff")
    firms = [make.firm(f"慈溪市名称预取{i}号电器有限公司") for i in range(6)]
    entries = [_entry(make, staff, firm, "update", before={"firm_id": firms[i - 1].id},
                      after={"firm_id": firm.id}) for i, firm in enumerate(firms)]
    stranger = _entry(make, staff, firms[0], "update", after={"firm_id": 2**31 + 5})
    ctx.commit()
    for e in entries + [stranger]:
        e.after  # noqa: B018  (reload the committed rows before counting)

    names = Names()
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        names.prefetch(entries + [stranger])
        shown = [diff(e, names)[0].after for e in entries]
        assert diff(stranger, names)[0].after == str(2**31 + 5)  # out of range: no query, as written
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert shown == [f.name for f in firms]
    assert len(statements) == 1, statements
