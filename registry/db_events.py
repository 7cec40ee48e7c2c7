"""Engine-level settings that must hold on every connection."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

# MariaDB's ER_CONSTRAINT_FAILED and MySQL 8's ER_CHECK_CONSTRAINT_VIOLATED: PyMySQL
# reports both as OperationalError, where SQLite and PostgreSQL say IntegrityError.
MYSQL_CHECK_VIOLATIONS = {4025, 3819}


def install_engine_events(engine: Engine) -> None:
    """SQLite enforces foreign keys only when asked to, per connection; MySQL/MariaDB
    CHECK violations are reported as IntegrityError like on the other databases."""
    if engine.dialect.name in ("mysql", "mariadb"):
        event.listen(engine, "handle_error", _check_violation_is_integrity_error, retval=True)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _check_violation_is_integrity_error(context):
    """A violated CHECK constraint is bad data, not a broken connection."""
    orig = context.original_exception
    if (isinstance(context.sqlalchemy_exception, sa_exc.OperationalError)
            and getattr(orig, "args", None) and orig.args[0] in MYSQL_CHECK_VIOLATIONS):
        return sa_exc.IntegrityError(context.statement, context.parameters, orig)
    return None
