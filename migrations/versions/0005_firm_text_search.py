"""firm text search: trigram indexes for name, former-name and USCC fragments; sort
indexes for deep pages of the firm list (issue #10)

SQLite: two external-content FTS5 tables with the trigram tokenizer — ``firms_fts``
(name, uscc of firms) and ``firm_names_fts`` (name of firm_names), a vocabulary view
``firms_fts_vocab`` of the first — and triggers on
firms and firm_names that keep them in step on every write path (ORM, Core bulk
inserts, renames, cascaded deletes). PostgreSQL: the pg_trgm extension (created if it
does not exist yet) and GIN trigram indexes on the same three columns. MariaDB/MySQL
has no trigram index: nothing is created there and the search stays a LIKE scan.

Sort indexes (SQLite and PostgreSQL; MariaDB has no expression index): the firm list sorted
by founding date or registered capital orders by ``(column IS NULL), column, name, id``
(empty values last in both directions); an index on exactly those terms, one per
direction, lets a deep page walk the index instead of sorting 100,000 rows; the default
sort by name has one too. Each carries the list's simple filter columns after id.

None of these objects is a model; ``registry.firms.search.is_search_object`` keeps them
out of autogenerate and the schema comparison.

Note for later migrations on SQLite: ``batch_alter_table('firms')`` or
``('firm_names')`` recreates the table and drops its triggers and its expression indexes
(reflection cannot see them); such a migration must recreate them (the statements below)
and rebuild the FTS tables (``INSERT INTO firms_fts(firms_fts) VALUES ('rebuild')``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SQLITE_TABLES = (
    "CREATE VIRTUAL TABLE firms_fts USING fts5("
    "name, uscc, content='firms', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE firm_names_fts USING fts5("
    "name, content='firm_names', content_rowid='id', tokenize='trigram')",
    # How many firms hold each trigram: the search skips the index for a fragment that
    # nearly every name contains ("有限公司"), where a scan is cheaper.
    "CREATE VIRTUAL TABLE firms_fts_vocab USING fts5vocab('firms_fts', 'row')",
)

SQLITE_TRIGGERS = {
    "firms_fts_ai": "AFTER INSERT ON firms BEGIN "
    "INSERT INTO firms_fts(rowid, name, uscc) VALUES (new.id, new.name, new.uscc); END",
    "firms_fts_ad": "AFTER DELETE ON firms BEGIN "
    "INSERT INTO firms_fts(firms_fts, rowid, name, uscc) VALUES ('delete', old.id, old.name, old.uscc); END",
    "firms_fts_au": "AFTER UPDATE OF id, name, uscc ON firms BEGIN "
    "INSERT INTO firms_fts(firms_fts, rowid, name, uscc) VALUES ('delete', old.id, old.name, old.uscc); "
    "INSERT INTO firms_fts(rowid, name, uscc) VALUES (new.id, new.name, new.uscc); END",
    "firm_names_fts_ai": "AFTER INSERT ON firm_names BEGIN "
    "INSERT INTO firm_names_fts(rowid, name) VALUES (new.id, new.name); END",
    "firm_names_fts_ad": "AFTER DELETE ON firm_names BEGIN "
    "INSERT INTO firm_names_fts(firm_names_fts, rowid, name) VALUES ('delete', old.id, old.name); END",
    "firm_names_fts_au": "AFTER UPDATE OF id, name ON firm_names BEGIN "
    "INSERT INTO firm_names_fts(firm_names_fts, rowid, name) VALUES ('delete', old.id, old.name); "
    "INSERT INTO firm_names_fts(rowid, name) VALUES (new.id, new.name); END",
}

PG_INDEXES = {
    "ix_firms_name_trgm": ("firms", "name"),
    "ix_firms_uscc_trgm": ("firms", "uscc"),
    "ix_firm_names_name_trgm": ("firm_names", "name"),
}


#: The list's simple filters, carried at the end of each sort index so that a filtered deep
#: page is still read from the index alone (they follow id, so they never change its order).
FILTER_COLUMNS = "status, town_id, industry_id, above_scale"
#: name → (column, direction) of the firm-list sort indexes; None: by name only.
SORT_INDEXES = {
    "ix_firms_name_sort": (None, "ASC"),
    "ix_firms_founded_sort": ("founded_on", "ASC"),
    "ix_firms_founded_sort_desc": ("founded_on", "DESC"),
    "ix_firms_capital_sort": ("registered_capital", "ASC"),
    "ix_firms_capital_sort_desc": ("registered_capital", "DESC"),
}


def create_sqlite_triggers():
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TABLES:
            op.execute(statement)
        create_sqlite_triggers()
        # Index what is already there (an upgrade of a filled database).
        op.execute("INSERT INTO firms_fts(firms_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO firm_names_fts(firm_names_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
    if dialect in ("sqlite", "postgresql"):
        for name, (column, direction) in SORT_INDEXES.items():
            terms = f"({column} IS NULL), {column} {direction}, " if column else ""
            op.execute(f"CREATE INDEX {name} ON firms ({terms}name, id, {FILTER_COLUMNS})")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        for name in SORT_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS firms_fts_vocab")
        op.execute("DROP TABLE IF EXISTS firm_names_fts")
        op.execute("DROP TABLE IF EXISTS firms_fts")
    elif dialect == "postgresql":
        # The extension stays: other databases or objects on the server may use it.
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
