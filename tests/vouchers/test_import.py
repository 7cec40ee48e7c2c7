"""Voucher imports: classification, the budget counted in file order with the row that
crosses it in error, all-or-nothing, the re-check at write time, and a messy workbook
(title row, merged two-row header, full-width digits) read from a real .xlsx."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import RegistryError
from registry.excel.importer import apply_plan, plan_import
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED
from registry.vouchers.models import VoucherApplication
from tests.excel.test_importer import book, new_batch, reasons, sheet, statuses
from tests.vouchers.builders import application, budget

TODAY = date(2016, 12, 31)


def rows_for(firms, over=None):
    out = []
    for n, firm in enumerate(firms):
        row = {"uscc": firm.uscc, "name": firm.name, "year": 2016, "provider": "宁波大学", "purpose": "检验检测",
               "requested": Decimal("40"), "issued": Decimal("30")}
        row.update((over or {}).get(n, {}))
        out.append(row)
    return out


def test_new_rows_within_the_budget_are_written_with_audit(make):
    budget(make, 2016, "100")
    a, b = make.firm(), make.firm()
    wb = book("vouchers", sheet("vouchers", rows_for([a, b], {1: {"status": "已兑付", "redeemed": Decimal("25"),
                                                                    "redeemed_on": date(2016, 9, 1)}})))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, NEW], reasons(plan)
    apply_plan(plan, None, new_batch(make.session, "vouchers"))
    apps = make.session.scalars(select(VoucherApplication).order_by(VoucherApplication.id)).all()
    assert [(x.firm_id, x.purpose, x.status, x.issued, x.redeemed) for x in apps] == [
        (a.id, "testing", "approved", Decimal("30.00"), None), (b.id, "testing", "redeemed", Decimal("30.00"),
                                                                Decimal("25.00"))]
    assert make.session.scalar(select(func.count()).select_from(AuditLog)
                               .where(AuditLog.entity_type == "voucher_application", AuditLog.action == "import")) == 2
    # the same file again: nothing changes; a changed amount is an update with old → new
    assert statuses(plan_import(wb, today=TODAY)) == [UNCHANGED, UNCHANGED]
    again = plan_import(book("vouchers", sheet("vouchers", rows_for([a], {0: {"requested": Decimal("45")}}))),
                        today=TODAY)
    assert statuses(again) == [UPDATED]
    assert [(c.label, c.old, c.new) for c in again.changes] == [("申请金额（万元）", "40", "45")]


def test_the_row_that_crosses_the_budget_is_refused_and_nothing_is_written(make):
    budget(make, 2016, "100")
    application(make, make.firm(), requested="50", status="approved", issued="50")
    firms = [make.firm() for _ in range(3)]
    wb = book("vouchers", sheet("vouchers", rows_for(firms, {2: {"issued": Decimal("-3")}})))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW, ERROR, ERROR]
    assert reasons(plan) == [
        (3, "核发金额（万元）", "核发金额30万元超过2016年创新券预算余额20万元（预算100万元，库中及本文件此前各行已核发80万元）"),
        (4, "核发金额（万元）", "核发金额不能为负数")]
    with pytest.raises(RegistryError, match="未导入任何数据"):
        apply_plan(plan, None, new_batch(make.session, "vouchers"))
    assert make.session.scalar(select(func.count()).select_from(VoucherApplication)) == 1


def test_row_rules_and_missing_budget(make):
    budget(make, 2016, "100")
    f = make.firm()
    rows = [
        {"uscc": f.uscc, "year": 2016, "provider": "甲", "purpose": "旅游", "requested": Decimal("1")},
        {"uscc": f.uscc, "year": 2016, "provider": "乙", "purpose": "科技咨询", "requested": Decimal("10"),
         "issued": Decimal("12")},
        {"uscc": f.uscc, "year": 2016, "provider": "丙", "purpose": "科技咨询", "requested": Decimal("10"),
         "status": "已核发"},
        {"uscc": f.uscc, "year": 2015, "provider": "丁", "purpose": "科技咨询", "requested": Decimal("10"),
         "issued": Decimal("5")},
        {"uscc": f.uscc, "year": 2016, "provider": "戊", "purpose": "科技咨询", "requested": Decimal("-10")},
    ]
    plan = plan_import(book("vouchers", sheet("vouchers", rows)), today=TODAY)
    assert [r[2] for r in reasons(plan)] == [
        "券种“旅游”无法识别：应为技术合作、检验检测、科技咨询、研发设计、其他",
        "核发金额12万元不能超过申请金额10万元",
        "状态为已核发时须填写核发金额",
        "2015年尚未设定创新券预算，不能导入核发金额（请先在“科技创新券”页面设定预算）",
        "申请金额不能为负数"]


def test_a_clerk_issuing_between_preview_and_confirmation_stops_the_import(make):
    budget(make, 2016, "100")
    wb = book("vouchers", sheet("vouchers", rows_for([make.firm()], {0: {"issued": Decimal("40")}})))
    plan = plan_import(wb, today=TODAY)
    assert statuses(plan) == [NEW]
    application(make, make.firm(), requested="70", status="approved", issued="70")  # meanwhile, in the app
    with pytest.raises(RegistryError, match="已由他人核发或预算已调整"):
        apply_plan(plan, None, new_batch(make.session, "vouchers"))


def _messy_xlsx(firm) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "2016年"
    ws["A1"] = "慈溪市2016年科技创新券发放情况汇总表"
    ws.merge_cells("A1:H1")
    ws.append([])
    ws["A3"], ws["B3"], ws["C3"], ws["D3"], ws["E3"], ws["F3"] = "序号", "企业名称", "统一社会信用代码", "服务机构", "券种", "金额"
    ws["G3"] = None
    ws.merge_cells("F3:G3")
    ws["H3"] = "备注"
    for col, text in zip("ABCDE", ("序号", "企业名称", "统一社会信用代码", "服务机构", "券种")):
        ws.merge_cells(f"{col}3:{col}4")
    ws["F4"], ws["G4"] = "申请金额（万元）", "核发金额（万元）"
    ws.append([1, firm.name, firm.uscc, "中国计量大学", "检验检测", "１２．５", "１０", "全角数字"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_messy_workbook_through_the_upload_services(make):
    from registry.excel.services import confirm_batch, stage_upload

    budget(make, 2016, "100")
    firm = make.firm("慈溪市杂乱券测试电器有限公司")
    staff = make.user("staff")
    batch, plan = stage_upload(staff, _messy_xlsx(firm), "创新券.xlsx")
    assert plan.workbook.kind == "vouchers"
    assert statuses(plan) == [NEW], reasons(plan)
    confirm_batch(staff, batch)
    app = make.session.scalars(select(VoucherApplication)).one()
    assert (app.firm_id, app.year, app.provider, app.purpose, app.requested, app.issued, app.status, app.note) == (
        firm.id, 2016, "中国计量大学", "testing", Decimal("12.50"), Decimal("10.00"), "approved", "全角数字")


def test_an_exported_list_imports_back_unchanged(make):
    from registry.excel.services import stage_upload
    from registry.vouchers.export import vouchers_workbook
    from registry.vouchers.services import VoucherFilter

    budget(make, 2016, "100")
    staff = make.user("staff")
    a = application(make, make.firm(), requested="20", status="approved", issued="18.5")
    a.status, a.redeemed, a.redeemed_on = "redeemed", Decimal("18"), date(2016, 10, 1)
    application(make, make.firm(), requested="12.3", purpose="design", provider="宁波工程学院")
    application(make, make.firm(), requested="8", status="rejected")
    make.session.flush()
    data = vouchers_workbook(staff, VoucherFilter(year=2016), bureau="慈溪市科学技术局")
    _batch, plan = stage_upload(staff, data, "科技创新券_2016年.xlsx")
    assert plan.workbook.kind == "vouchers"
    assert statuses(plan) == [UNCHANGED] * 3, reasons(plan)
