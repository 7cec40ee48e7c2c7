"""Programme settings: a new programme (专精特新) is data — added, edited, used at once —
codes are unique and fixed, and a programme in use cannot be deleted."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.errors import ConflictError, NotFound, ValidationError
from registry.recognitions.models import Programme
from registry.recognitions.programmes import (
    create_programme, delete_programme, get_programme, programme_list, update_programme, usage,
)
from registry.recognitions.services import add_recognition

ZJTX = dict(name="浙江省专精特新中小企业", short_name="专精特新", level="provincial", validity_years=3,
            has_certificate=False, is_ladder_rung=False, ladder_rank=None, sort_order=70,
            description="省经信厅认定")


def test_add_a_programme_and_use_it_without_code(ctx, make):
    admin = make.user("admin")
    programme = create_programme(admin, code=" ZJTX ", **ZJTX)
    ctx.commit()
    assert programme.code == "zjtx" and programme.level_label == "省级"
    assert programme in [p for p, _ in programme_list()]
    rec = add_recognition(make.user("staff"), make.firm(), programme=programme, year=2016)
    assert (rec.valid_from, rec.valid_until) == (date(2016, 1, 1), date(2018, 12, 31))
    entry = ctx.scalar(select(AuditLog).where(AuditLog.entity_type == "programme"))
    assert entry.action == "create" and entry.after["code"] == "zjtx"
    assert dict((p.code, n) for p, n in programme_list())["zjtx"] == 1


@pytest.mark.parametrize("code, values, field, text", [
    ("high_tech", {}, "code", "已被“高新技术企业”使用"),
    ("专精特新", {}, "code", "小写英文字母"),
    ("a", {}, "code", "2–32位"),
    ("zjtx2", {"name": "高新技术企业"}, "name", "已被其他类别使用"),
    ("zjtx3", {"name": " "}, "name", "请填写名称"),
    ("zjtx4", {"short_name": ""}, "short_name", "请填写简称"),
    ("zjtx5", {"level": "county"}, "level", "请选择级别"),
    ("zjtx6", {"validity_years": 0}, "validity_years", "1–20"),
    ("zjtx7", {"is_ladder_rung": True, "ladder_rank": None}, "ladder_rank", "梯度序位"),
    ("zjtx8", {"is_ladder_rung": True, "ladder_rank": 2}, "ladder_rank", "瞪羚"),
])
def test_programme_rules(ctx, make, code, values, field, text):
    with pytest.raises((ValidationError, ConflictError)) as err:
        create_programme(make.user("admin"), code=code, **{**ZJTX, **values})
    assert err.value.field == field and text in err.value.message


def test_edit_keeps_the_code_and_audits_changes(ctx, make):
    admin = make.user("admin")
    programme = create_programme(admin, code="zjtx", **ZJTX)
    changed = update_programme(admin, programme, code="other", **{**ZJTX, "validity_years": 5,
                                                                  "is_ladder_rung": True, "ladder_rank": 4})
    ctx.commit()
    assert set(changed) == {"validity_years", "is_ladder_rung", "ladder_rank"}
    assert programme.code == "zjtx" and programme.validity_years == 5
    entry = ctx.scalar(select(AuditLog).where(AuditLog.action == "update",
                                              AuditLog.entity_type == "programme"))
    assert entry.before == {"validity_years": 3, "is_ladder_rung": False, "ladder_rank": None}
    assert update_programme(admin, programme, **{**ZJTX, "validity_years": 5, "is_ladder_rung": True,
                                                 "ladder_rank": 4}) == []


def test_a_programme_in_use_cannot_be_deleted(ctx, make):
    admin = make.user("admin")
    high_tech = make.programme("high_tech")
    make.recognition(make.firm(), "high_tech", 2016)
    assert usage(high_tech) == {"认定记录": 1}
    with pytest.raises(ConflictError, match="已被使用（认定记录1条），不能删除"):
        delete_programme(admin, high_tech)
    unused = create_programme(admin, code="zjtx", **ZJTX)
    pid = unused.id
    delete_programme(admin, unused)
    ctx.commit()
    assert ctx.get(Programme, pid) is None
    entry = ctx.scalar(select(AuditLog).where(AuditLog.action == "delete"))
    assert entry.before["code"] == "zjtx"
    with pytest.raises(NotFound):
        get_programme(pid)
    with pytest.raises(NotFound):
        get_programme("abc")
