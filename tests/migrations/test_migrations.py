"""The migration chain, run on a second fresh database of the current backend.

upgrade → reference data present → schema equals the models (a model changed without a
migration fails here) → downgrade to base leaves nothing → upgrade again works.
"""
from __future__ import annotations

import os
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.dbutil import create_database, drop_database

BACKEND = os.environ.get("REGISTRY_TEST_DB", "sqlite")

PROGRAMME_CODES = {"high_tech", "tech_sme", "nb_startup", "eaglet", "gazelle", "lead_goose"}


@pytest.fixture
def second_app():
    """An app bound to its own empty database, dropped afterwards."""
    from config import TestConfig
    from registry import create_app
    from registry.extensions import db

    url = create_database(BACKEND, tag="mig_")

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(MigrationConfig)
    try:
        with app.app_context():
            assert db.engine.url.database == sa.engine.make_url(url).database
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(url)


def table_names(db) -> set[str]:
    """The tables, without the text-search tables of migration 0005 (FTS5 on SQLite)."""
    from registry.firms.search import is_search_object

    return {name for name in sa.inspect(db.engine).get_table_names()
            if not is_search_object(name, "table")}


def search_objects(db) -> set[str]:
    """The text-search tables and indexes that exist (they are not models)."""
    from registry.firms.search import is_search_object

    found = {n for n in sa.inspect(db.engine).get_table_names() if is_search_object(n, "table")}
    # Read the catalogue directly: reflection skips expression indexes (with a warning).
    catalogue = {"sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
                 "postgresql": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
                 }.get(db.engine.dialect.name)
    if catalogue:
        with db.engine.connect() as conn:
            found |= {n for n in conn.execute(sa.text(catalogue)).scalars()
                      if is_search_object(n, "index")}
    return found


def check_reference_data(db) -> None:
    from registry.firms.models import Industry, Town
    from registry.recognitions.models import Programme

    towns = db.session.scalars(sa.select(Town)).all()
    assert len(towns) == 20
    assert len({t.name for t in towns}) == 20
    new_area = [t for t in towns if t.name == "杭州湾新区"]
    assert len(new_area) == 1 and new_area[0].zone == "new_area"
    assert all(t.zone == "cixi" for t in towns if t.name != "杭州湾新区")
    assert {"浒山街道", "周巷镇", "观海卫镇", "龙山镇"} <= {t.name for t in towns}

    industries = db.session.scalars(sa.select(Industry)).all()
    assert len(industries) == 7
    assert {i.name for i in industries} == {"智能家电", "高端机械基础件", "汽车及关键零部件",
                                           "智能装备", "新材料", "生命健康", "其他"}

    programmes = {p.code: p for p in db.session.scalars(sa.select(Programme))}
    assert set(programmes) == PROGRAMME_CODES
    assert programmes["high_tech"].validity_years == 3
    assert programmes["high_tech"].has_certificate is True
    assert programmes["tech_sme"].validity_years == 1
    ladder = sorted((p.ladder_rank, p.code) for p in programmes.values() if p.is_ladder_rung)
    assert ladder == [(1, "eaglet"), (2, "gazelle"), (3, "lead_goose")]
    db.session.remove()


def schema_differences(db) -> list:
    with db.engine.connect() as conn:
        from registry.firms.search import include_name

        mc = MigrationContext.configure(conn, opts={"compare_type": True,
                                                    "include_name": include_name})
        with warnings.catch_warnings():
            # The sort indexes of 0005 are expression indexes, which reflection skips
            # before include_name leaves them out anyway.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            return compare_metadata(mc, db.metadata)


@pytest.mark.slow
def test_upgrade_downgrade_upgrade(second_app):
    from flask_migrate import downgrade, upgrade

    from registry.extensions import db

    assert table_names(db) == set()

    upgrade()
    expected = {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
    assert table_names(db) == expected
    check_reference_data(db)
    from registry.firms.search import SORT_INDEXES

    expected_search = {"sqlite": {"firms_fts", "firm_names_fts", *SORT_INDEXES},
                       "postgresql": {"ix_firms_name_trgm", "ix_firms_uscc_trgm",
                                      "ix_firm_names_name_trgm", *SORT_INDEXES},
                       }.get(db.engine.dialect.name, set())
    assert expected_search <= search_objects(db)
    diffs = schema_differences(db)
    assert diffs == [], "models and migrations disagree; write a migration:\n" + "\n".join(
        map(repr, diffs))

    downgrade(revision="base")
    assert table_names(db) <= {"alembic_version"}
    assert search_objects(db) == set()
    with db.engine.connect() as conn:
        if "alembic_version" in table_names(db):
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 0

    upgrade()
    assert table_names(db) == expected
    check_reference_data(db)
    with db.engine.connect() as conn:
        current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert current == script_heads() and len(current) == 1


def script_heads() -> list[str]:
    """The head revision(s) of migrations/ (one, unless someone forgot to merge)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_heads()
