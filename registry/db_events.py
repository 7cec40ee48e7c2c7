"""Engine-level settings that must hold on every connection."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def install_engine_events(engine: Engine) -> None:
    """SQLite enforces foreign keys only when asked to, per connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
