"""Configuration: the production secret check, DATABASE_URL normalisation, the instance
secret key and the default SQLite database. No database is touched here."""
from __future__ import annotations

import os
import stat

import pytest

import config
from config import ProductionConfig, _normalise_db_url, default_database_url, instance_secret_key
from registry import create_app

STRONG = "k3Jq9vX2mP7rT5wY8zA1bC4dE6fG0hL2nQ5sU8xZ"  # 40 characters


@pytest.fixture(autouse=True)
def isolated_instance(tmp_path, monkeypatch):
    """Point the instance folder at a temporary one and ignore the developer's env."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", folder)
    for name in ("REGISTRY_ENV", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return folder


def build(config_class, sqlite_path):
    """create_app on a throw-away SQLite URL; the engine is disposed straight away."""
    from registry.extensions import db

    class Cfg(config_class):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{sqlite_path}"

    app = create_app(Cfg)
    with app.app_context():
        db.engine.dispose()
    return app


# --- production refuses weak secrets -------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "dev", "change-me", "secret", "test",
                                    "x" * 31, STRONG[:31]],
                         ids=["missing", "empty", "dev", "change-me", "secret", "test",
                              "31-x", "31-random"])
def test_production_refuses_a_weak_or_missing_secret(tmp_path, secret):
    class Prod(ProductionConfig):
        SECRET_KEY = secret

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        build(Prod, tmp_path / "p.sqlite3")


def test_production_config_itself_refuses_to_start_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI",
                        f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with pytest.raises(RuntimeError):
        create_app(ProductionConfig)


def test_production_does_not_fall_back_to_the_instance_key(tmp_path, isolated_instance):
    """A generated key must never quietly protect production sessions."""
    instance_secret_key()  # even when one exists

    class Prod(ProductionConfig):
        SECRET_KEY = None

    with pytest.raises(RuntimeError):
        build(Prod, tmp_path / "p.sqlite3")


def test_production_named_in_overrides_is_checked_too(tmp_path):
    with pytest.raises(RuntimeError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "dev",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})


def test_production_starts_with_a_strong_secret(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = STRONG

    app = build(Prod, tmp_path / "p.sqlite3")
    assert app.config["SECRET_KEY"] == STRONG
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert not app.testing


def test_registry_env_selects_production(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    with pytest.raises(RuntimeError):
        create_app({"SECRET_KEY": "", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


# --- DATABASE_URL normalisation ------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db.example:5432/registry",
     "postgresql+psycopg://u:p@db.example:5432/registry"),
    ("postgresql://u:p@db.example/registry", "postgresql+psycopg://u:p@db.example/registry"),
    ("postgresql+psycopg://u@h/r", "postgresql+psycopg://u@h/r"),
    ("mysql://u:p@db.example:3306/registry", "mysql+pymysql://u:p@db.example:3306/registry?charset=utf8mb4"),
    ("mariadb://u:p@db.example/registry", "mysql+pymysql://u:p@db.example/registry?charset=utf8mb4"),
    ("mysql://u@h/r?ssl_ca=/etc/ca.pem", "mysql+pymysql://u@h/r?ssl_ca=/etc/ca.pem&charset=utf8mb4"),
    ("mysql+pymysql://u@h/r", "mysql+pymysql://u@h/r?charset=utf8mb4"),
    ("mysql+pymysql://u@h/r?charset=utf8mb4", "mysql+pymysql://u@h/r?charset=utf8mb4"),
    ("sqlite:////srv/registry/registry.sqlite3", "sqlite:////srv/registry/registry.sqlite3"),
    ("", ""),
])
def test_database_url_normalisation(given, expected):
    assert _normalise_db_url(given) == expected


def test_normalised_urls_name_installed_drivers():
    from sqlalchemy import create_engine

    for raw in ("postgres://u@h/r", "mariadb://u@h/r"):
        engine = create_engine(_normalise_db_url(raw))  # imports the driver, no connection
        assert engine.dialect.driver in ("psycopg", "pymysql")
        engine.dispose()


# --- the instance secret key and the default database -----------------------------

def test_instance_secret_key_is_created_once(isolated_instance):
    assert not isolated_instance.exists()
    key = instance_secret_key()
    path = isolated_instance / "secret_key"
    assert path.read_text().strip() == key
    assert len(key) == 64 and int(key, 16) >= 0
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert instance_secret_key() == key
    assert path.read_text().strip() == key


def test_instance_keys_differ_between_instances(tmp_path, monkeypatch):
    first = instance_secret_key()
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "other")
    assert instance_secret_key() != first


def test_development_app_uses_the_instance_key(tmp_path, isolated_instance):
    app = create_app({"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.db'}"})
    assert app.config["SECRET_KEY"] == (isolated_instance / "secret_key").read_text().strip()
    again = create_app({"SECRET_KEY": None,
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.db'}"})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_default_database_is_sqlite_under_the_instance_dir(isolated_instance):
    url = default_database_url()
    assert url == f"sqlite:///{isolated_instance / 'registry.sqlite3'}"
    assert isolated_instance.is_dir()


def test_app_without_database_url_uses_the_default(isolated_instance):
    from registry.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": STRONG})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{isolated_instance / 'registry.sqlite3'}")
    with app.app_context():
        assert db.engine.url.database == str(isolated_instance / "registry.sqlite3")
        db.engine.dispose()


@pytest.mark.parametrize("proxies, expected", [(0, "10.0.0.9"), (1, "203.0.113.7")])
def test_trusted_proxies_decide_where_the_client_address_comes_from(tmp_path, proxies, expected):
    """Behind one proxy the client is the last X-Forwarded-For hop; with none configured
    the header is ignored, so a client cannot choose the address its login failures count
    against."""
    from config import TestConfig
    from flask import request

    class Proxied(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite3'}"
        TRUSTED_PROXIES = proxies

    app = create_app(Proxied)
    app.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
    resp = app.test_client().get("/_addr", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                                 headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    assert resp.get_data(as_text=True) == expected
    from registry.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_import_limits_come_from_the_environment():
    from config import import_limits_from
    from registry.excel.container import Limits

    assert import_limits_from({}) == {}
    env = {"IMPORT_MAX_ROWS": "500000", "IMPORT_MAX_UNPACKED_MB": "256", "IMPORT_MAX_CELLS": " "}
    limits = Limits.from_config({"IMPORT_LIMITS": import_limits_from(env), "MAX_CONTENT_LENGTH": 2**20})
    assert (limits.max_rows, limits.max_uncompressed_bytes, limits.max_cells) == \
        (500_000, 256 * 2**20, Limits().max_cells)
    assert limits.max_file_bytes == 2**20  # the upload size still comes from MAX_UPLOAD_MB
    for bad in ("0", "-5", "1e6", "many"):
        with pytest.raises(ValueError, match="IMPORT_MAX_ROWS"):
            import_limits_from({"IMPORT_MAX_ROWS": bad})
