"""The benches' data: a migrated database filled by ``registry.demo.bulk``, with planner
statistics as a running deployment would have them."""
from __future__ import annotations

import time


def fill(firms: int, years: int, *, last_year: int = 2016) -> str:
    """Migrate, write ``firms`` firms with ``years`` years of history up to ``last_year``,
    commit, and refresh the statistics: on PostgreSQL ``VACUUM ANALYZE``, as autovacuum
    leaves tables after a bulk load (statistics, and the visibility map that lets index-only
    scans skip the table), elsewhere ``ANALYZE``. Returns the "built in … s — counts" line.
    Call inside the application context."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from registry.demo.bulk import load_bulk
    from registry.extensions import db

    upgrade()
    start = time.perf_counter()
    counts = load_bulk(firms, years, last_year=last_year)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return (f"built in {time.perf_counter() - start:.1f} s — "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
