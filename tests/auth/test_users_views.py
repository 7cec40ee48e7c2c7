"""The user administration pages through the web: admin only, one-time passwords shown
once, field-level refusals, sessions that end on deactivation or reset."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.auth.models import User


def text(resp):
    return resp.get_data(as_text=True)


def _password_on(page: str) -> str:
    return re.search(r'id="one-time-password">([^<]+)<', page).group(1)


@pytest.mark.parametrize("role", ["staff", "town", "viewer", "firm"])
def test_only_admins_reach_user_administration(client, make, login, role):
    firm = make.firm()
    target = make.user("staff", username="target")
    make.session.commit()
    login(role, towns=["浒山街道"] if role == "town" else (), firm=firm if role == "firm" else None)
    for method, url in [("GET", "/auth/users"), ("GET", "/auth/users/new"),
                        ("POST", "/auth/users/new"), ("GET", f"/auth/users/{target.id}"),
                        ("POST", f"/auth/users/{target.id}"),
                        ("POST", f"/auth/users/{target.id}/active"),
                        ("POST", f"/auth/users/{target.id}/password")]:
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_list_filters(client, make, login):
    login("admin", username="boss")
    make.user("town", username="t-one", display_name="浒山联络员", towns=["浒山街道"])
    make.user("viewer", username="leader", display_name="王局长", is_active_flag=False)
    make.session.commit()
    page = text(client.get("/auth/users"))
    assert "t-one" in page and "leader" in page and "已停用" in page and "本人" in page
    page = text(client.get("/auth/users?role=town"))
    assert "t-one" in page and "leader" not in page
    page = text(client.get("/auth/users?active=0"))
    assert "leader" in page and "t-one" not in page
    hushan = make.town("浒山街道")
    page = text(client.get(f"/auth/users?town={hushan.id}"))
    assert "t-one" in page and "boss" not in page
    page = text(client.get("/auth/users?q=局长"))
    assert "leader" in page and "t-one" not in page
    assert client.get("/auth/users?role=bogus&town=x&active=maybe&page=zz").status_code == 200


def test_create_shows_the_password_once_and_the_user_must_change_it(app, client, make, login):
    login("admin")
    town = make.town("周巷镇")
    make.session.commit()
    resp = client.post("/auth/users/new", data={
        "username": "zx-officer", "display_name": "周巷联络员", "role": "town",
        "towns": [str(town.id)], "phone": "0574-1", "firm_uscc": "", "password": ""})
    assert resp.status_code == 200, text(resp)[:2000]
    assert resp.headers["Cache-Control"] == "no-store"
    password = _password_on(text(resp))
    user = make.session.scalar(select(User).where(User.username == "zx-officer"))
    assert user.check_password(password) and user.must_change_password
    assert [t.name for t in user.towns] == ["周巷镇"]
    # the password is nowhere else: not on the user's page, not in the log
    assert password not in text(client.get(f"/auth/users/{user.id}"))
    assert password not in text(client.get("/audit/"))
    # the new user signs in and is sent to change it first
    other = app.test_client()
    other.post("/auth/login", data={"username": "zx-officer", "password": password})
    resp = other.get("/firms/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")


def test_create_refusals_are_shown_beside_their_fields(client, make, login):
    login("admin")
    make.user("staff", username="taken")
    firm = make.firm()
    make.session.commit()
    cases = [
        (dict(username="x1", role="town"), "至少负责一个镇"),
        (dict(username="x2", role="firm", firm_uscc="91330282MA2AAAAAA0"), "未找到统一社会信用代码"),
        (dict(username="x3", role="firm"), "必须填写所属企业"),
        (dict(username="x4", role="staff", firm_uscc=firm.uscc), "只有企业用户"),
        (dict(username="taken", role="staff"), "已存在"),
        (dict(username="", role="staff"), "请输入用户名"),
        (dict(username="有 空格", role="staff"), "用户名只能包含"),
        (dict(username="x5", role="staff", password="short"), "密码长度"),
        (dict(username="x6", role="superuser"), "未知的角色"),
        (dict(username="x7", role="town", towns=["abc"]), "所选镇（街道）无效"),
        (dict(username="x8", role="town", towns=["999999"]), "所选镇（街道）无效"),
    ]
    for data, message in cases:
        resp = client.post("/auth/users/new", data={"display_name": "某人", **data})
        assert resp.status_code == 200 and message in text(resp), (data, text(resp)[-3000:])
        assert 'id="one-time-password"' not in text(resp)
    assert make.session.scalar(select(User).where(User.username.like("x%"))) is None


def test_create_a_firm_user_by_uscc(client, make, login):
    login("admin")
    firm = make.firm("慈溪市账号绑定电器有限公司")
    make.session.commit()
    resp = client.post("/auth/users/new", data={"username": "", "role": "firm",
                                                "firm_uscc": firm.uscc.lower(), "display_name": ""})
    assert resp.status_code == 200 and firm.uscc in text(resp)
    user = make.session.scalar(select(User).where(User.firm_id == firm.id))
    assert user.username == firm.uscc and user.display_name == firm.name


def test_edit_and_refuse_self_demotion(client, make, login):
    me = login("admin", username="boss")
    make.user("admin", username="deputy")
    staff = make.user("staff", username="clerk", display_name="张三")
    make.session.commit()
    page = text(client.get(f"/auth/users/{staff.id}"))
    assert "张三" in page and "重置密码" in page and "停用账号" in page
    resp = client.post(f"/auth/users/{staff.id}", data={"display_name": "张三丰", "role": "viewer",
                                                        "phone": "139", "is_active": "y"})
    assert resp.status_code == 302
    make.session.expire_all()
    assert (staff.display_name, staff.role, staff.phone) == ("张三丰", "viewer", "139")
    page = text(client.get(f"/auth/users/{staff.id}"))
    assert "变更记录" in page and "张三" in page and "张三丰" in page and "只读（领导）" in page

    resp = client.post(f"/auth/users/{me.id}", data={"display_name": "我", "role": "staff",
                                                     "is_active": "y"})
    assert resp.status_code == 200 and "不能更改自己的管理员角色" in text(resp)
    resp = client.post(f"/auth/users/{me.id}", data={"display_name": "我", "role": "admin"})
    assert resp.status_code == 200 and "不能停用自己的账号" in text(resp)
    make.session.expire_all()
    assert me.role == "admin" and me.is_active
    assert "不能停用或降级自己" in text(client.get(f"/auth/users/{me.id}"))
    assert client.get("/auth/users/999999").status_code == 404
    assert client.get("/auth/users/abc").status_code == 404


def test_deactivation_ends_the_users_session(app, client, make, login):
    login("admin")
    victim = make.user("staff", username="victim", password="correct-horse-1")
    make.session.commit()
    theirs = app.test_client()
    theirs.post("/auth/login", data={"username": "victim", "password": "correct-horse-1"})
    assert theirs.get("/firms/").status_code == 200
    resp = client.post(f"/auth/users/{victim.id}/active", data={"active": "0"})
    assert resp.status_code == 302
    assert "已停用" in text(client.get(resp.headers["Location"]))
    resp = theirs.get("/firms/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    client.post(f"/auth/users/{victim.id}/active", data={"active": "1"})
    make.session.expire_all()
    assert victim.is_active


def test_reset_password_ends_the_old_session_and_forces_a_change(app, client, make, login):
    login("admin")
    victim = make.user("staff", username="victim2", password="correct-horse-1")
    make.session.commit()
    theirs = app.test_client()
    theirs.post("/auth/login", data={"username": "victim2", "password": "correct-horse-1"})
    assert theirs.get("/firms/").status_code == 200
    resp = client.post(f"/auth/users/{victim.id}/password")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    password = _password_on(text(resp))
    resp = theirs.get("/firms/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    theirs.post("/auth/login", data={"username": "victim2", "password": password})
    assert theirs.get("/firms/").headers["Location"].endswith("/auth/password")
    resp = theirs.post("/auth/password", data={"current": password, "new": "fresh-secret-77",
                                               "confirm": "fresh-secret-77"})
    assert resp.status_code == 302
    assert theirs.get("/firms/").status_code == 200  # own change keeps the session


def test_posts_need_the_csrf_token(app, make):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        admin = make.user("admin", username="csrfboss", password="correct-horse-1")
        victim = make.user("staff", username="csrfvictim")
        make.session.commit()
        c = app.test_client()
        login_page = c.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        c.post("/auth/login", data={"username": "csrfboss", "password": "correct-horse-1",
                                    "csrf_token": token})
        resp = c.post(f"/auth/users/{victim.id}/active", data={"active": "0"})
        assert resp.status_code in (302, 400)
        make.session.expire_all()
        assert victim.is_active
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert admin.id


def test_changing_the_role_drops_bindings_the_new_role_cannot_have(client, make, login):
    login("admin")
    firm = make.firm()
    officer = make.user("town", username="was-town", towns=["浒山街道", "周巷镇"])
    firm_user = make.user("firm", username="was-firm", firm=firm)
    make.session.commit()
    hushan = make.town("浒山街道")
    resp = client.post(f"/auth/users/{officer.id}", data={
        "display_name": "改任领导", "role": "viewer", "towns": [str(hushan.id)], "is_active": "y"})
    assert resp.status_code == 302
    resp = client.post(f"/auth/users/{firm_user.id}", data={
        "display_name": "改为工作人员", "role": "staff", "firm_uscc": firm.uscc, "is_active": "y"})
    assert resp.status_code == 302
    make.session.expire_all()
    assert (officer.role, officer.towns) == ("viewer", [])
    assert (firm_user.role, firm_user.firm_id) == ("staff", None)
    # an unchanged role keeps the explicit refusal
    resp = client.post(f"/auth/users/{officer.id}", data={
        "display_name": "改任领导", "role": "viewer", "towns": [str(hushan.id)], "is_active": "y"})
    assert resp.status_code == 200 and "只有镇街道联络员" in text(resp)
