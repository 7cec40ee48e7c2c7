"""The one firm search: a fragment of the current name, of a former name, or of the USCC.

Why not just ``LIKE '%x%'``: at 100,000 firms a substring scan reads every name on every
keystroke. Each database answers through its own text index instead, behind the single
function ``firm_match``:

- **SQLite**: two external-content FTS5 tables with the ``trigram`` tokenizer
  (``firms_fts`` over firms.name/uscc, ``firm_names_fts`` over firm_names.name), kept in
  step by triggers created in migration 0005 — so ORM writes, the Excel importer's Core
  inserts, renames and the bulk demo loader all update them without knowing. A trigram
  phrase query is a substring match; it narrows the rows, and the original ``LIKE`` is
  then applied to those few rows only, so results are exactly the old ones (the trigram
  index folds case more widely than SQLite's ``LIKE``; the recheck removes the extra).
  Trigrams need three characters: one- and two-character fragments (common in Chinese:
  "电器", "甬") fall back to ``LIKE``; so does a fragment nearly every name holds
  ("有限公司"), judged from the index's own vocabulary (``firms_fts_vocab``).
- **PostgreSQL**: ``pg_trgm`` GIN indexes on the three columns (migration 0005) make the
  very same ``LIKE`` an index search (three characters and more); the three parts are
  separate SELECTs so each uses its index.
- **MariaDB/MySQL**: there is no trigram index (InnoDB FULLTEXT needs the ngram parser,
  which MariaDB lacks), so the old ``LIKE`` scan stays: correct, not fast.

Outside SQLite's FTS path the matches are probed once per page and passed on as ids
when few (``_probed``), rather than searched twice (count and rows).

The names of the search tables and indexes are listed here too, because they are not
models: Alembic's autogenerate and the schema comparison test skip them through
``is_search_object``.
"""
from __future__ import annotations

from sqlalchemy import literal_column, or_, select, table, union, union_all
from sqlalchemy.orm import aliased

from registry.extensions import db
from registry.firms.models import Firm, FirmName
from registry.firms.uscc import normalise_uscc

MIN_TRIGRAM = 3  # characters a trigram index needs; shorter fragments fall back to LIKE
SCAN_CAP = 500  # a probed fragment with at most this many matches becomes a list of ids
COMMON = 10_000  # SQLite: a fragment in more names than this is scanned, not looked up

#: SQLite FTS5 tables (each with shadow tables named ``<table>_data``, ``_idx`` …).
FTS_TABLES = ("firms_fts", "firm_names_fts")
#: PostgreSQL trigram indexes.
TRGM_INDEXES = ("ix_firms_name_trgm", "ix_firms_uscc_trgm", "ix_firm_names_name_trgm")
#: Expression indexes for the firm list's sorts (SQLite, PostgreSQL), see registry.firms.listing.
SORT_INDEXES = ("ix_firms_name_sort", "ix_firms_founded_sort", "ix_firms_founded_sort_desc",
                "ix_firms_capital_sort", "ix_firms_capital_sort_desc")


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search tables and the trigram and sort indexes of migration 0005, which no
    model declares (expression and GIN indexes do not reflect reliably for comparison)."""
    if not name:
        return False
    if type_ == "table":
        return any(name == t or name.startswith(t + "_") for t in FTS_TABLES)
    if type_ == "index":
        return name in TRGM_INDEXES or name in SORT_INDEXES
    return False


def include_name(name, type_, parent_names) -> bool:
    """Alembic ``include_name`` hook: leave the search objects out of schema comparisons."""
    return not is_search_object(name, type_)


def firm_match(q: str):
    """A SQL condition: the firm's name, a former name or its USCC contains ``q``.

    ``q`` is taken literally (``%`` and ``_`` are not wildcards); the USCC part compares the
    fragment as codes are stored (upper-case, half-width, no spaces). An empty ``q``
    matches every firm, as no search does.
    """
    q = (q or "").strip()
    if not q:
        return Firm.id.is_not(None)
    code = normalise_uscc(q)
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite" and (len(q) >= MIN_TRIGRAM or len(code) >= MIN_TRIGRAM):
        if _common_on_sqlite(q):
            return _like(q, code)
        return Firm.id.in_(_sqlite_ids(q, code))
    return _probed(q, code, dialect)


def _common_on_sqlite(q: str) -> bool:
    """Would most names match? Then one scan beats collecting ~all ids from the index twice.

    The FTS5 vocabulary gives, per trigram, how many firms hold it; the rarest trigram of
    the fragment bounds the matches from above.
    """
    grams = sorted({q.lower()[i:i + 3] for i in range(len(q) - 2)})
    if not grams:
        return False
    counts = dict(db.session.execute(
        select(literal_column("term"), literal_column("doc")).select_from(table("firms_fts_vocab"))
        .where(literal_column("term").in_(grams))).all())
    return min(counts.get(g, 0) for g in grams) > COMMON


def _probed(q: str, code: str, dialect: str):
    """Find the matches once, then hand the page a list of ids — or, when there are many,
    the condition that suits the database.

    A list page needs the matches twice (its count and its rows). The probe is a UNION ALL
    of the narrow parts, cut at ``SCAN_CAP`` + 1 rows: on PostgreSQL each part is a trigram
    index search (three characters and more); elsewhere, and for shorter fragments, it
    reads the name indexes rather than whole rows. A rare fragment's few ids are passed on
    as a list. A common one ("电器", "有限公司") stops the probe early and stays a
    condition: on PostgreSQL the plain ``LIKE`` (one scan for the count, and the page
    walks the name index — the trigram index would fetch nearly every row), elsewhere
    the UNION of index scans.
    """
    found = list(db.session.scalars(_parts(q, code, union_all).limit(SCAN_CAP + 1)))
    ids = sorted(set(found))
    if len(found) <= SCAN_CAP:
        return Firm.id.in_(ids) if ids else Firm.id.is_(None)
    if dialect == "postgresql":
        return _like(q, code)
    return Firm.id.in_(_union_ids(q, code))


def _like(q: str, code: str):
    """The plain substring condition: the definition every branch must agree with."""
    former = select(FirmName.firm_id).where(FirmName.name.contains(q, autoescape=True))
    return or_(Firm.name.contains(q, autoescape=True),
               Firm.uscc.contains(code, autoescape=True),
               Firm.id.in_(former))


def _code_like(code: str) -> bool:
    """Could a stored USCC contain ``code``? Codes are upper-case ASCII letters and digits
    (validated on every write path), so a fragment with anything else — any Chinese
    character — cannot, and the USCC part of the search is left out."""
    return code.isascii() and code.isalnum()


def _parts(q: str, code: str, combine=union):
    """The three ways to match, each its own SELECT of firm ids, so each can use its index."""
    named = aliased(Firm)
    coded = aliased(Firm)
    parts = [select(named.id).where(named.name.contains(q, autoescape=True)),
             select(FirmName.firm_id).where(FirmName.name.contains(q, autoescape=True))]
    if _code_like(code):
        parts.append(select(coded.id).where(coded.uscc.contains(code, autoescape=True)))
    return combine(*parts)


def _union_ids(q: str, code: str):
    """The ids of matching firms as one UNION."""
    return _parts(q, code, union)


def _fts_phrase(column: str, text: str) -> str:
    """An FTS5 query matching ``text`` as a substring of ``column`` (literal, quoted)."""
    return f'{column} : "' + text.replace('"', '""') + '"'


def _fts_rowids(fts_table: str, column: str, text: str):
    fts = table(fts_table)
    return (select(literal_column("rowid"))
            .select_from(fts)
            .where(literal_column(fts_table).op("MATCH")(_fts_phrase(column, text))))


def _sqlite_ids(q: str, code: str):
    """FTS5 trigram lookups narrowed by the exact LIKE; LIKE alone below three characters."""
    named = aliased(Firm)
    coded = aliased(Firm)
    by_name = select(named.id).where(named.name.contains(q, autoescape=True))
    by_code = select(coded.id).where(coded.uscc.contains(code, autoescape=True))
    by_former = select(FirmName.firm_id).where(FirmName.name.contains(q, autoescape=True))
    if len(q) >= MIN_TRIGRAM:
        by_name = by_name.where(named.id.in_(_fts_rowids("firms_fts", "name", q)))
        by_former = by_former.where(FirmName.id.in_(_fts_rowids("firm_names_fts", "name", q)))
    if not _code_like(code):
        return union(by_name, by_former)
    if len(code) >= MIN_TRIGRAM:
        by_code = by_code.where(coded.id.in_(_fts_rowids("firms_fts", "uscc", code)))
    return union(by_name, by_code, by_former)
