"""Fresh throw-away databases for the test suite, on SQLite, PostgreSQL or MariaDB.

Each pytest run creates its own database (a unique name), migrates it and drops it at
the end, so runs never see each other's rows and CI always starts from empty.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SERVER_URLS = {
    "postgresql": os.environ.get(
        "REGISTRY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mysql": os.environ.get(
        "REGISTRY_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql?charset=utf8mb4"),
}
BACKENDS = ("sqlite", "postgresql", "mysql")


def server_reachable(backend: str) -> str | None:
    """None when the server answers, else the reason it does not."""
    if backend == "sqlite":
        return None
    engine = sa.create_engine(SERVER_URLS[backend], connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means "not usable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def create_database(backend: str, tag: str = "") -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    name = f"registry_test_{tag}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="registry-test-"))
        return f"sqlite:///{folder / (name + '.sqlite3')}"
    server = make_url(SERVER_URLS[backend])
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        else:
            conn.execute(sa.text(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:
            pass
        return
    backend = "postgresql" if parsed.get_backend_name() == "postgresql" else "mysql"
    engine = sa.create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        else:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
    engine.dispose()
