"""Sign-in protection: rate limits per account and per address (kept in the database, or
Redis when REDIS_URL is set), sessions that end with a password reset or deactivation —
remember-me cookies included —, session lifetime, and the password policy."""
from __future__ import annotations

import pytest

from registry.auth.passwords import check_password_policy
from registry.errors import ValidationError

PASSWORD = "correct-horse-1"


def _login(client, username, password, addr="10.0.0.1", remember=False):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data, environ_base={"REMOTE_ADDR": addr})


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(app, make):
    make.user("staff", username="target", password=PASSWORD)
    make.session.commit()
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for i in range(limit):
        assert _login(client, "target", "wrong-guess-%d" % i, addr=f"10.0.1.{i}").status_code == 200
    resp = _login(client, "target", PASSWORD, addr="10.0.2.1")
    assert resp.status_code == 429 and "登录失败次数过多" in resp.get_data(as_text=True)
    # Another account is not affected.
    make.user("staff", username="bystander", password=PASSWORD)
    make.session.commit()
    assert _login(app.test_client(), "bystander", PASSWORD, addr="10.0.3.1").status_code == 302


def test_an_address_is_limited_across_accounts(app, make):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    try:
        make.user("staff", username="innocent", password=PASSWORD)
        make.session.commit()
        client = app.test_client()
        for i in range(4):
            _login(client, f"guess{i}", "nope-nope-1", addr="10.9.9.9")
        assert _login(client, "innocent", PASSWORD, addr="10.9.9.9").status_code == 429
        assert _login(app.test_client(), "innocent", PASSWORD, addr="10.9.9.8").status_code == 302
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 30


def test_a_success_clears_the_accounts_failures(app, make):
    make.user("staff", username="forgetful2", password=PASSWORD)
    make.session.commit()
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit - 1):
        _login(client, "forgetful2", "wrong-one-1")
    assert _login(client, "forgetful2", PASSWORD).status_code == 302
    client.post("/auth/logout")
    for _ in range(limit - 1):
        _login(client, "forgetful2", "wrong-one-1")
    assert _login(client, "forgetful2", PASSWORD).status_code == 302


def test_redis_store_when_configured(app, make):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except Exception:
        pytest.skip("no Redis server")
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    app.extensions.pop("registry_redis", None)
    try:
        app.extensions.setdefault("registry_redis", redis.Redis.from_url(app.config["REDIS_URL"]))
        app.extensions["registry_redis"].flushdb()
        make.user("staff", username="redisuser", password=PASSWORD)
        make.session.commit()
        client = app.test_client()
        for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
            _login(client, "redisuser", "bad-bad-1", addr="10.1.1.1")
        assert _login(client, "redisuser", PASSWORD, addr="10.1.1.2").status_code == 429
        from registry.auth.models import LoginAttempt

        assert make.session.query(LoginAttempt).count() == 0  # nothing went to the database
        app.extensions["registry_redis"].flushdb()
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("registry_redis", None)


def test_remember_cookie_dies_with_a_password_reset(app, make):
    admin = make.user("admin", username="boss", password=PASSWORD)
    victim = make.user("staff", username="remembered", password=PASSWORD)
    make.session.commit()
    theirs = app.test_client()
    assert _login(theirs, "remembered", PASSWORD, remember=True).status_code == 302
    assert theirs.get_cookie("remember_token") is not None
    # Drop the session cookie: only the remember-me cookie is left.
    theirs.delete_cookie("session")
    assert theirs.get("/firms/").status_code == 200
    theirs.delete_cookie("session")
    boss = app.test_client()
    _login(boss, "boss", PASSWORD, addr="10.5.5.5")
    assert boss.post(f"/auth/users/{victim.id}/password").status_code == 200
    resp = theirs.get("/firms/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert admin.id


def test_get_id_carries_the_session_version(ctx, make):
    user = make.user("staff", password=PASSWORD)
    first = user.get_id()
    user.set_password("Another-pass-2")
    assert user.get_id() != first and user.get_id().startswith(f"{user.id}:")


def test_sessions_are_permanent_with_the_configured_lifetime(app, make):
    make.user("staff", username="timed", password=PASSWORD)
    make.session.commit()
    client = app.test_client()
    resp = _login(client, "timed", PASSWORD)
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")][0]
    assert "Expires=" in cookie
    assert app.permanent_session_lifetime.total_seconds() == app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()


@pytest.mark.parametrize("password, ok", [
    ("short1", False), ("alllowercase", False), ("AllLetters", False), ("12345678", False),
    ("lower-and-dash", True),
    ("Mixed1234", True), ("x" * 200 + "1", False),
])
def test_password_policy(password, ok):
    if ok:
        assert check_password_policy(password) == password
    else:
        with pytest.raises(ValidationError):
            check_password_policy(password)


def test_activation_is_rate_limited(app, make):
    firm = make.firm("慈溪市激活限速有限公司")
    make.session.commit()
    client = app.test_client()
    data = {"uscc": firm.uscc, "code": "AAAA-BBBB-CCCC", "password": "Good-pass-1", "confirm": "Good-pass-1"}
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert client.post("/auth/activate", data=data).status_code == 200
    assert client.post("/auth/activate", data=data).status_code == 429


def test_generated_passwords_always_meet_the_policy():
    from registry.auth.services import generate_password

    for _ in range(300):
        check_password_policy(generate_password())
