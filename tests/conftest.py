"""Test fixtures: one fresh, migrated database per run on the backend REGISTRY_TEST_DB names.

REGISTRY_TEST_DB is sqlite (default), postgresql or mysql; ``tests/matrix.py`` (what
``make test`` runs) runs the suite once per reachable backend. Rows written by a test are
deleted after it; the reference data seeded by the migration stays.
"""
from __future__ import annotations

import os

import pytest

from tests.dbutil import BACKENDS, create_database, drop_database, server_reachable

BACKEND = os.environ.get("REGISTRY_TEST_DB", "sqlite")
REFERENCE_TABLES = {"towns", "industries", "programmes", "alembic_version"}

if BACKEND not in BACKENDS:
    raise pytest.UsageError(f"REGISTRY_TEST_DB must be one of {BACKENDS}, not {BACKEND!r}")


def pytest_report_header(config):
    return f"registry test database backend: {BACKEND}"


@pytest.fixture(scope="session")
def database_url():
    reason = server_reachable(BACKEND)
    if reason:
        pytest.exit(f"{BACKEND} server unreachable: {reason}", returncode=3)
    url = create_database(BACKEND)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    from config import TestConfig
    from registry import create_app

    class SuiteConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    application = create_app(SuiteConfig)
    with application.app_context():
        upgrade()
    yield application
    from registry.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_rows(request):
    """After each test that used the database, delete what it wrote (children first)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from registry.extensions import db
    from registry.recognitions import holdings

    with app.app_context():
        db.session.rollback()
        with db.engine.begin() as conn:
            # every write path the test took kept the programme holdings in step
            stale = holdings.drift(conn)
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    conn.execute(table.delete())
        db.session.remove()
    assert not stale, f"programme holdings out of step with the recognitions: {stale[:5]}"


@pytest.fixture(autouse=True)
def _one_user_per_request(request):
    """Each request starts without a signed-in user cached.

    A test holds one application context, and a request reuses a pushed context, so
    Flask-Login's per-request cache (``g._login_user``) would carry one test client's user
    into another client's request. In production every request has its own context; this
    makes several clients in one test behave the same way.
    """
    if "app" not in request.fixturenames:
        yield
        return
    from flask import g, request_started

    app = request.getfixturevalue("app")

    def forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def ctx(app):
    """An application context with a clean session, for service-level tests."""
    from registry.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(ctx):
    from tests.factories import Factory

    return Factory(ctx)


@pytest.fixture
def login(client, make):
    """Log a freshly made user of ``role`` in through the real login form."""

    def _login(role="staff", **kw):
        user = make.user(role=role, password="correct-horse-1", **kw)
        make.session.commit()
        resp = client.post("/auth/login", data={"username": user.username,
                                                "password": "correct-horse-1"})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return user

    return _login


def pytest_collection_modifyitems(config, items):
    """Keep slow migration round-trips last so quick failures show first."""
    items.sort(key=lambda item: 1 if item.get_closest_marker("slow") else 0)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (migrations on a second database)")

