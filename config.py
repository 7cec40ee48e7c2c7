"""Configuration, driven by the environment.

The embedded default is a SQLite file under ``instance/``; ``DATABASE_URL`` selects
PostgreSQL (``postgresql+psycopg://…``) or MariaDB/MySQL (``mysql+pymysql://…``).
The secret key comes from ``SECRET_KEY``; without it a random key is generated once
and kept in ``instance/secret_key`` so sessions survive restarts. The production
config refuses to start without a real secret.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("REGISTRY_INSTANCE_DIR", BASE_DIR / "instance"))

#: Secrets that must never protect a production deployment.
WEAK_SECRETS = {"", "dev", "change-me", "secret", "test"}


def _normalise_db_url(url: str) -> str:
    """Accept the short scheme names operators tend to write and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith(("mysql://", "mariadb://")):
        url = "mysql+pymysql://" + url.split("://", 1)[1]
    if url.startswith("mysql+pymysql://") and "charset=" not in url:
        url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return url


#: Environment variable → the import limit it sets (registry.excel.container.Limits), and
#: the unit it is written in. Unset variables keep the built-in bounds.
IMPORT_LIMIT_VARIABLES = {
    "IMPORT_MAX_ROWS": ("max_rows", 1),
    "IMPORT_MAX_COLUMNS": ("max_columns", 1),
    "IMPORT_MAX_CELLS": ("max_cells", 1),
    "IMPORT_MAX_UNPACKED_MB": ("max_uncompressed_bytes", 1024 * 1024),
}


def import_limits_from(environ) -> dict:
    """The import limits the environment sets, as ``IMPORT_LIMITS`` takes them; a value
    that is not a positive whole number stops the start with the variable's name."""
    limits = {}
    for name, (field, unit) in IMPORT_LIMIT_VARIABLES.items():
        raw = (environ.get(name) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) <= 0:
            raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
        limits[field] = int(raw) * unit
    return limits


def default_database_url() -> str:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'registry.sqlite3'}"


def instance_secret_key() -> str:
    """Return the key kept in instance/, creating it (mode 0600) on first use."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    """Development / default settings; every value can be overridden from the environment."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled in by create_app
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL", "")) or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    #: Bounds on one imported workbook beyond its size: IMPORT_MAX_ROWS, IMPORT_MAX_COLUMNS,
    #: IMPORT_MAX_CELLS, IMPORT_MAX_UNPACKED_MB (see import_limits_from).
    IMPORT_LIMITS = import_limits_from(os.environ)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PER_PAGE = 20
    #: Signed-in sessions end after this long (hours); "remember me" cookies after REMEMBER_DAYS.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=float(os.environ.get("SESSION_HOURS", "8")))
    REMEMBER_COOKIE_DURATION = timedelta(days=float(os.environ.get("REMEMBER_DAYS", "7")))
    #: Sign-in rate limit: failures allowed per account and per address within the window.
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    LOGIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5"))
    LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "30"))
    #: Shared store for the rate-limit counts (the database when unset); needs `redis`.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))  # reverse proxies in front
    #: Large imports run as background jobs: an upload of IMPORT_BACKGROUND_BYTES or more is
    #: checked by a job, and a batch of IMPORT_BACKGROUND_ROWS rows or more (or one a job
    #: checked) is imported by a job. 0 sends every import to a job.
    IMPORT_BACKGROUND_BYTES = int(os.environ.get("IMPORT_BACKGROUND_BYTES", str(1024 * 1024)))
    IMPORT_BACKGROUND_ROWS = int(os.environ.get("IMPORT_BACKGROUND_ROWS", "10000"))
    #: Where jobs run: "auto" (RQ when REDIS_URL is set, else a thread), "rq" or "thread".
    IMPORT_JOBS = os.environ.get("IMPORT_JOBS", "auto")
    IMPORT_JOBS_QUEUE = os.environ.get("IMPORT_JOBS_QUEUE", "registry")  # the RQ queue's name
    #: A job whose progress has not moved for this long is taken as dead (its worker
    #: stopped); its batch may then be discarded.
    IMPORT_JOB_STALE_SECONDS = int(os.environ.get("IMPORT_JOB_STALE_SECONDS", "600"))
    #: Testing aid: add an X-Worker-Pid header to every response (which worker served it).
    WORKER_PID_HEADER = os.environ.get("WORKER_PID_HEADER", "") in ("1", "true", "yes")
    #: Name shown in the header and on exported workbooks.
    BUREAU_NAME = os.environ.get("BUREAU_NAME", "慈溪市科学技术局")
    REGISTRY_TITLE = "创新型企业培育库"


class ProductionConfig(Config):
    """Refuses weak secrets and sets the Secure cookie flags."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls, app_config) -> None:
        key = app_config.get("SECRET_KEY") or ""
        if key in WEAK_SECRETS or len(key) < 32:
            raise RuntimeError(
                "Production requires SECRET_KEY in the environment (at least 32 characters); "
                "refusing to start with a default or generated secret."
            )


class TestConfig(Config):
    """Used by the test suite; the database URL is supplied by tests/conftest.py."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-use"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_ENGINE_OPTIONS = {}


CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestConfig}


def select_config():
    """Config class named by REGISTRY_ENV (development by default)."""
    return CONFIGS[os.environ.get("REGISTRY_ENV", "development")]
