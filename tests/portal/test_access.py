"""Object-level security of the portal: a firm user never reads or changes another firm's
data — not by a URL id, not by an id or a firm field slipped into a POST body — cannot
reach the bureau's pages, and cannot approve anything (its own requests least of all)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.errors import NotFound, ValidationError
from registry.firms.models import AnnualData, Firm
from registry.portal import members as member_svc
from registry.portal import services as svc
from registry.portal.models import FirmChangeRequest, MemberChangeProposal
from tests.institutions.builders import _sample_team
from tests.portal import builders

PASSWORD = "correct-horse-1"


@pytest.fixture
def two_firms(app, make):
    theirs = make.firm("慈溪市他家保密电器有限公司", town="周巷镇")
    mine = make.firm("慈溪市本家测试电器有限公司")
    team = _sample_team(make, theirs, "戊")
    ids = {"change_id": builders.sample_change(make, theirs),
           "proposal_id": builders.sample_proposal(make, theirs),
           "annual_id": builders.sample_annual(make, theirs),
           "notice_id": builders.sample_notice(make, theirs),
           "team_id": team.id, "member_id": team.members[1].id}
    user = make.user("firm", username=mine.uscc, password=PASSWORD, firm=mine)
    make.session.commit()
    client = app.test_client()
    assert client.post("/auth/login", data={"username": mine.uscc, "password": PASSWORD}).status_code == 302
    return theirs, mine, user, ids, client


def test_every_portal_route_refuses_another_firms_ids(app, two_firms):
    theirs, mine, user, ids, client = two_firms
    secrets = {theirs.name, theirs.uscc, "矩阵新成员", "矩阵通知"}
    tried = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or not any(a.endswith("_id") for a in rule.arguments):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", str(ids[arg] if arg in ids else 1))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            tried += 1
            resp = client.open(url, method=method, data={"version": "1", "name": "x", "reason": "x"})
            assert resp.status_code in (403, 404), f"{method} {url}: {resp.status_code}"
            body = resp.get_data(as_text=True)
            assert not [s for s in secrets if s in body], f"{method} {url} shows a secret"
    assert tried >= 10


def test_ids_in_post_bodies_are_ignored(app, make, two_firms):
    """The firm is the account's, never the form's: a firm_id / hidden id in the body
    changes nothing of the other firm."""
    theirs, mine, user, ids, client = two_firms
    before = (theirs.contact_person, theirs.phone)
    resp = client.post("/portal/profile", data={"version": mine.version, "firm_id": theirs.id, "id": theirs.id,
                                                "contact_person": "入侵者", "phone": "110"})
    assert resp.status_code == 302
    make.session.expire_all()
    assert (make.session.get(Firm, theirs.id).contact_person, make.session.get(Firm, theirs.id).phone) == before
    assert make.session.get(Firm, mine.id).contact_person == "入侵者"

    resp = client.post("/portal/annual/edit?year=2025&firm_id=%d" % theirs.id,
                       data={"firm_id": theirs.id, "revenue": "1", "version": ""})
    make.session.expire_all()
    assert make.session.scalar(select(AnnualData).where(AnnualData.firm_id == theirs.id,
                                                        AnnualData.year == 2025)) is None

    resp = client.post("/portal/profile/request", data={
        "version": mine.version, "firm_id": theirs.id, "name": "篡改名称有限公司", "uscc": mine.uscc})
    make.session.expire_all()
    reqs = make.session.scalars(select(FirmChangeRequest).where(FirmChangeRequest.firm_id == theirs.id)).all()
    assert all(r.changes.get("name", {}).get("new") != "篡改名称有限公司" for r in reqs)


def test_firm_users_cannot_reach_the_bureaus_pages(app, two_firms):
    theirs, mine, user, ids, client = two_firms
    for url in ["/portal/review/", f"/portal/review/changes/{ids['change_id']}",
                f"/portal/review/annual/{ids['annual_id']}", f"/portal/review/proposals/{ids['proposal_id']}",
                "/portal/accounts/", "/portal/accounts/bulk", "/firms/", "/audit/", "/excel/"]:
        assert client.get(url).status_code == 403, url
    resp = client.post(f"/portal/review/changes/{ids['change_id']}", data={"decision": "approve", "version": "1"})
    assert resp.status_code == 403


def test_nobody_approves_their_own_request_and_firms_approve_nothing(ctx, make):
    firm = make.firm("慈溪市自审测试有限公司")
    firm_user = make.user("firm", firm=firm)
    staff = make.user("staff")
    req = svc.request_change(firm_user, version=firm.version, values={"legal_representative": "赵六"})
    with pytest.raises(ValidationError, match="工作人员"):
        svc.approve_change(firm_user, req, version=req.version)
    req.submitted_by_id = staff.id  # as if a staff member had filed it
    with pytest.raises(ValidationError, match="自己提交"):
        svc.approve_change(staff, req, version=req.version)


def test_fetch_helpers_scope_firm_users_to_their_firm(ctx, make):
    a, b = make.firm("慈溪市甲方测试有限公司"), make.firm("慈溪市乙方测试有限公司")
    user_a = make.user("firm", firm=a)
    change = ctx.get(FirmChangeRequest, builders.sample_change(make, b))
    prop = ctx.get(MemberChangeProposal, builders.sample_proposal(make, b))
    with pytest.raises(NotFound):
        svc.get_change_for(user_a, change.id)
    with pytest.raises(NotFound):
        member_svc.get_proposal_for(user_a, prop.id)
    with pytest.raises(NotFound):
        svc.get_change_for(user_a, "99999999999999")
    for viewer_role in ("viewer", "town"):
        other = make.user(viewer_role, towns=["浒山街道"] if viewer_role == "town" else ())
        with pytest.raises(NotFound):
            svc.get_change_for(other, change.id)


def test_the_dossier_page_links_staff_to_pending_portal_requests(app, make, login, client):
    firm = make.firm("慈溪市档案链接测试有限公司")
    change_id = builders.sample_change(make, firm)
    make.session.commit()
    login("staff")
    page = client.get(f"/firms/{firm.id}").get_data(as_text=True)
    assert f"/portal/review/changes/{change_id}" in page
