"""Institution pages for each role: list, filters, Excel export, create, edit (stale),
promote, close; town officers outside their towns get 404, leaders 403 on POST."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditLog
from registry.institutions.models import RdInstitution
from tests.institutions.builders import institution


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def two(make):
    staff = make.user("staff")
    here = institution(make, staff, make.firm("慈溪市浒山甲电器有限公司", town="浒山街道"), name="甲企业技术中心",
                       level="ningbo", year=2013, document_no="甬科〔2013〕5号")
    there = institution(make, staff, make.firm("慈溪市周巷乙电器有限公司", town="周巷镇"), name="乙工程中心",
                        level="cixi", year=2012)
    make.session.commit()
    return here, there


def test_staff_list_filter_and_detail(client, login, two):
    here, there = two
    login("staff")
    page = text(client.get("/institutions/"))
    assert "甲企业技术中心" in page and "乙工程中心" in page and "导出Excel" in page and "新增研发机构" in page
    page = text(client.get("/institutions/?level=ningbo"))
    assert "甲企业技术中心" in page and "乙工程中心" not in page
    page = text(client.get("/institutions/?q=周巷乙"))
    assert "乙工程中心" in page and "甲企业技术中心" not in page
    assert client.get("/institutions/?town=abc&level=bogus&page=99").status_code == 200
    page = text(client.get(f"/institutions/{here.id}"))
    assert "级别变动记录" in page and "甬科〔2013〕5号" in page and "晋级" in page
    assert client.get("/institutions/999999").status_code == 404
    assert client.get("/institutions/abc").status_code == 404
    assert client.get("/institutions/99999999999999").status_code == 404


def test_town_officer_sees_and_edits_only_their_towns(client, login, two):
    here, there = two
    login("town", towns=["浒山街道"])
    page = text(client.get("/institutions/"))
    assert "甲企业技术中心" in page and "乙工程中心" not in page
    assert client.get(f"/institutions/{there.id}").status_code == 404
    assert client.get(f"/institutions/{there.id}/edit").status_code == 404
    resp = client.post(f"/institutions/{there.id}/promote",
                       data={"to_level": "national", "year": 2015, "document_no": "x", "version": 1})
    assert resp.status_code == 404
    resp = client.post(f"/institutions/{here.id}/promote",
                       data={"to_level": "provincial", "year": 2015, "document_no": "浙科〔2015〕1号",
                             "version": here.version})
    assert resp.status_code == 302
    # creating for a firm elsewhere: by id → 404, by name → refused on the field
    assert client.get(f"/institutions/new?firm_id={there.firm_id}").status_code == 404
    resp = client.post("/institutions/new", data={"firm": "慈溪市周巷乙电器有限公司", "name": "丙中心",
                                                  "type": "企业技术中心", "level": "cixi", "year": 2015})
    assert resp.status_code == 400 and "找不到企业" in text(resp)


def test_viewer_reads_but_cannot_change(client, login, two):
    here, _ = two
    login("viewer")
    page = text(client.get(f"/institutions/{here.id}"))
    assert "甲企业技术中心" in page and "编辑</a>" not in page
    assert "新增研发机构" not in text(client.get("/institutions/"))
    for url in (f"/institutions/{here.id}/edit", f"/institutions/{here.id}/promote",
                f"/institutions/{here.id}/close", "/institutions/new"):
        assert client.post(url, data={}).status_code == 403
    assert client.get("/institutions/export.xlsx").status_code == 200


def test_firm_user_has_no_access(client, login, two, make):
    here, _ = two
    login("firm", firm=here.firm)
    assert client.get("/institutions/").status_code == 403
    assert client.get(f"/institutions/{here.id}").status_code == 403


def test_create_promote_and_close_through_the_pages(client, login, make):
    firm = make.firm("慈溪市新建电器有限公司")
    make.session.commit()
    login("staff")
    resp = client.post("/institutions/new", data={"firm": firm.uscc, "name": "新建企业工程（技术）中心",
                                                  "type": "企业工程（技术）中心", "level": "cixi", "year": 2014,
                                                  "document_no": "慈科〔2014〕3号"})
    assert resp.status_code == 302, text(resp)
    inst = make.session.scalar(select(RdInstitution).where(RdInstitution.name == "新建企业工程（技术）中心"))
    assert inst.firm_id == firm.id and inst.level_changes[0].document_no == "慈科〔2014〕3号"
    # bad level change: lower level offered for a promotion is not a valid choice
    resp = client.post(f"/institutions/{inst.id}/promote", data={"to_level": "cixi", "year": 2015,
                                                                 "document_no": "x", "version": 1})
    assert resp.status_code == 400 and "新级别与当前级别（慈溪市级）相同" in text(resp)
    resp = client.post(f"/institutions/{inst.id}/promote", data={"to_level": "ningbo", "year": "二〇一五",
                                                                 "document_no": "x", "version": 1})
    assert resp.status_code == 400 and "请填写整数" in text(resp) and "Not a valid" not in text(resp)
    resp = client.post(f"/institutions/{inst.id}/promote", data={"to_level": "ningbo", "year": 2013,
                                                                 "document_no": "甬科〔2013〕1号", "version": 1})
    assert resp.status_code == 400 and "不能早于上一次级别变动（2014年）" in text(resp)
    resp = client.post(f"/institutions/{inst.id}/promote", data={"to_level": "ningbo", "year": 2016,
                                                                 "document_no": "甬科〔2016〕1号", "version": 1})
    assert resp.status_code == 302
    page = text(client.get(f"/institutions/{inst.id}"))
    assert "甬科〔2016〕1号" in page and "宁波市级" in page
    resp = client.post(f"/institutions/{inst.id}/close", data={"status": "revoked", "year": 2016,
                                                               "reason": "", "version": 2})
    assert resp.status_code == 400 and "请填写原因" in text(resp)
    resp = client.post(f"/institutions/{inst.id}/close", data={"status": "revoked", "year": 2016,
                                                               "reason": "绩效评价不合格", "version": 2})
    assert resp.status_code == 302
    make.session.expire_all()
    assert make.session.get(RdInstitution, inst.id).status == "revoked"
    actions = list(make.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == inst.id,
                                                                      AuditLog.entity_type == "rd_institution")
                                        .order_by(AuditLog.id)))
    assert actions == ["create", "promote", "revoke"]


def test_a_stale_edit_is_shown_not_saved(client, login, two, make):
    here, _ = two
    login("staff")
    loaded, kind = here.version, here.type
    form = text(client.get(f"/institutions/{here.id}/edit"))
    assert f'name="version" type="hidden" value="{loaded}"' in form
    ok = client.post(f"/institutions/{here.id}/edit", data={"name": "甲研究院", "type": kind, "version": loaded})
    assert ok.status_code == 302
    stale = client.post(f"/institutions/{here.id}/edit", data={"name": "甲工程中心", "type": kind,
                                                               "version": loaded})
    page = text(stale)
    assert stale.status_code == 400 and "已被他人修改" in page and "甲研究院" in page
    assert 'value="甲工程中心"' in page  # the clerk's input is kept
    assert f'name="version" type="hidden" value="{loaded + 1}"' in page  # a second save is a choice
    make.session.expire_all()
    assert make.session.get(RdInstitution, here.id).name == "甲研究院"


def test_excel_export_holds_the_filtered_rows_and_history(client, login, two):
    here, there = two
    login("town", towns=["浒山街道"])
    resp = client.get("/institutions/export.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["研发机构", "晋级记录"]
    rows = list(book["研发机构"].iter_rows(values_only=True))
    assert "共1家" in rows[0][0]
    assert rows[1][:4] == ("序号", "研发机构名称", "依托企业", "统一社会信用代码")
    assert rows[2][1:4] == ("甲企业技术中心", "慈溪市浒山甲电器有限公司", here.firm.uscc)
    assert rows[2][6:10] == ("宁波市级", 2013, 2013, "甬科〔2013〕5号")
    assert len(rows) == 3  # the other town's institution is not exported
    history = list(book["晋级记录"].iter_rows(values_only=True))
    assert history[1] == ("甲企业技术中心", "慈溪市浒山甲电器有限公司", "认定", None, "宁波市级", 2013,
                          "甬科〔2013〕5号", None)


def test_export_neutralises_formulas(client, login, make):
    staff = make.user("staff")
    institution(make, staff, name="=HYPERLINK(\"http://x\")")
    make.session.commit()
    login("staff")
    book = load_workbook(io.BytesIO(client.get("/institutions/export.xlsx?q=HYPERLINK").data))
    cell = book["研发机构"]["B3"]
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"


def test_an_empty_new_form_names_every_missing_field(client, login):
    login("staff")
    page = text(client.post("/institutions/new", data={}))
    for message in ("请填写依托企业的统一社会信用代码或名称", "请填写机构名称", "请选择机构类型", "请选择级别",
                    "请填写认定年份"):
        assert message in page


def test_a_stale_edit_keeps_what_others_saved_in_fields_the_clerk_left_alone(client, login, two, make):
    here, _ = two
    login("staff")
    loaded, name, kind = here.version, here.name, here.type
    client.post(f"/institutions/{here.id}/edit", data={"name": "甲研究院", "type": kind, "version": loaded})
    page = text(client.post(f"/institutions/{here.id}/edit", data={"name": name, "type": kind, "note": "我的备注",
                                                                   "version": loaded}))
    assert 'value="甲研究院"' in page and "我的备注" in page  # merged: their name, my note
