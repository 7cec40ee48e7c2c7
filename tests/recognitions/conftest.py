"""Programmes are reference data the suite keeps between tests: remove the ones a test
added (and whatever refers to them) so each test starts with the six seeded programmes."""
from __future__ import annotations

import pytest

SEEDED = ("high_tech", "tech_sme", "nb_startup", "eaglet", "gazelle", "lead_goose")


@pytest.fixture(autouse=True)
def _drop_added_programmes(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from sqlalchemy import delete, select

    from registry.extensions import db
    from registry.recognitions.models import Programme, Recognition

    with app.app_context():
        db.session.rollback()
        added = select(Programme.id).where(Programme.code.not_in(SEEDED))
        with db.engine.begin() as conn:
            ids = [row[0] for row in conn.execute(added)]
            if ids:
                conn.execute(delete(Recognition).where(Recognition.programme_id.in_(ids)))
                conn.execute(delete(Programme).where(Programme.id.in_(ids)))
        db.session.remove()
