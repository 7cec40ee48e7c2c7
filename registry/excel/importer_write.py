"""Writing a plan: Core bulk statements in the caller's transaction, and the audit entries.

Inserts and updates go out as ``executemany`` in batches of WRITE_CHUNK rows, updates
grouped by the set of columns they change; on PostgreSQL large batches use COPY. The
audit log gets one entry per record created or changed, written in batches as well.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Iterable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.sql import sqltypes

from registry.excel.importer_base import AUDIT, FIRMS, NewFirm, chunks, name_key, plain
from registry.excel.types import PlannedRow
from registry.extensions import db
from registry.recognitions import holdings
from registry.timeutil import utcnow

WRITE_CHUNK = 5000  # rows per executemany: bounds the memory the parameter lists take
AUDIT_CHUNK = 2000  # audit entries (with their before/after dicts) held before writing
COPY_FROM = 1000  # PostgreSQL: batches this large are written with COPY


def _plain_dict(values: dict) -> dict:
    return {k: plain(v) for k, v in values.items()}


class Writer:
    """Bulk statements in the caller's transaction, and the audit entries they owe."""

    def __init__(self, actor, batch):
        self.session = db.session
        self.user_id = getattr(actor, "id", None)
        self.batch_id = batch.id
        self.prefix = f"导入批次#{batch.id}："
        self.now = utcnow()
        self.audit: list[dict] = []  # pending entries, written every AUDIT_CHUNK
        self.written = 0  # audit entries logged in all
        self.firm_ids: dict[str, int] = {}
        self.holders: set[int] = set()  # firms whose programme holdings need recomputing

    def insert(self, table, rows: list[dict]) -> None:
        """One executemany; on PostgreSQL a large batch goes through COPY instead, which is
        several times faster than row-by-row INSERTs there (same transaction either way)."""
        if not rows:
            return
        connection = self.session.connection()
        if table is holdings.REC:  # lock the firms first, as the ORM's writers do
            firms = {row["firm_id"] for row in rows}
            holdings.lock_firms(connection, firms)
            self.holders |= firms
        if len(rows) >= COPY_FROM and connection.dialect.name == "postgresql":
            _copy(connection, table, rows)
        else:
            self.session.execute(table.insert(), rows)

    def update(self, table, updates: Iterable[tuple[int, dict]], *, touch: bool = False) -> None:
        """Set each record's changed columns; one executemany per set of columns and per
        WRITE_CHUNK records (the parameter lists of 50,000 updates are not held at once)."""
        groups: dict[tuple, list[dict]] = defaultdict(list)
        if table is holdings.REC:
            updates = [(i, v) for i, v in updates if v]
            self._lock_holders([i for i, _ in updates])
        for record_id, values in updates:
            if not values:
                continue
            if table is holdings.FIRMS and {"town_id", "industry_id"} & values.keys():
                self.holders.add(record_id)
            params = {"b_id": record_id}
            for column, value in values.items():
                params["v_" + column] = value
            if touch:
                params["v_updated_at"] = self.now
            columns = tuple(sorted(values))
            group = groups[columns]
            group.append(params)
            if len(group) >= WRITE_CHUNK:
                self._update(table, columns, group, touch)
                groups[columns] = []
        for columns, params in groups.items():
            if params:
                self._update(table, columns, params, touch)

    def _update(self, table, columns: tuple, params: list[dict], touch: bool) -> None:
        setters = {c: bindparam("v_" + c) for c in columns}
        if touch:
            setters["updated_at"] = bindparam("v_updated_at")
        if "version" in table.c:
            setters["version"] = table.c.version + 1
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(setters)
        self.session.execute(stmt, params)

    def create_firms(self, rows: Iterable[PlannedRow]) -> None:
        """Insert the firms the rows need (once per code), learn their ids, audit them.

        The ids come from one query for the ids above the largest before the insert
        (ids only grow), filtered to the codes inserted here.
        """
        wanted: dict[str, NewFirm] = {}
        for prow in rows:
            firm = prow.new_firm
            if firm is not None and firm.uscc not in wanted:
                wanted[firm.uscc] = firm
        if not wanted:
            return
        before = self.session.scalar(select(func.max(FIRMS.c.id))) or 0
        now = self.now
        defaults = {"status": "active", "status_changed_on": None, "note": None,
                    "created_at": now, "updated_at": now, "version": 1}
        for chunk in chunks(wanted.values(), WRITE_CHUNK):
            rows_ = []
            for firm in chunk:
                columns = firm._asdict()
                if columns["above_scale"] is None:
                    columns["above_scale"] = False
                columns.update(defaults)
                rows_.append(columns)
            self.insert(FIRMS, rows_)
        stmt = select(FIRMS.c.id, FIRMS.c.uscc).where(FIRMS.c.id > before)
        ids = self.firm_ids
        for firm_id, code in self.session.execute(stmt):
            firm = wanted.get(code)
            if firm is not None:
                ids[firm.uscc] = firm_id  # the batch's own string: the fetched copy goes
        for code, firm in wanted.items():
            firm_id = ids[code]
            after = {k: v for k, v in zip(NewFirm._fields, firm) if v is not None}
            self.log("firm", firm_id, firm_id, "新增企业 " + firm.name, None, after)

    def insert_new(self, table, new: list[PlannedRow], key: tuple[str, ...],
                   names: tuple[str, ...] = ()) -> None:
        """Insert the new records (their ``writes``, stamped with this batch) and set each
        row's ``entity_id`` from the ids read back by ``key``: the record's unique columns,
        those in ``names`` compared as ``name_key`` does (full-width, spacing)."""
        if not new:
            return
        self.insert(table, [dict(r.writes, import_batch_id=self.batch_id, created_at=self.now, version=1)
                            for r in new])

        def keyed(values) -> tuple:
            return tuple(name_key(values[c]) if c in names else values[c] for c in key)

        stmt = select(table.c.id, *[table.c[c] for c in key]).where(table.c.import_batch_id == self.batch_id)
        ids = {keyed(dict(zip(key, rest))): record_id for record_id, *rest in self.session.execute(stmt)}
        for r in new:
            r.entity_id = ids[keyed(r.writes)]

    def ids_by(self, table, column, keys: Iterable) -> dict:
        out = {}
        for chunk in chunks(sorted(set(keys))):
            for record_id, key in self.session.execute(
                    select(table.c.id, column).where(column.in_(chunk))):
                out[key] = record_id
        return out

    def firm_id(self, prow: PlannedRow) -> int:
        return prow.firm_id if prow.firm_id is not None else self.firm_ids[prow.uscc]

    def log(self, entity_type: str, entity_id: int | None, firm_id: int | None, summary: str,
            before: dict | None, after: dict | None) -> None:
        text = self.prefix + summary
        self.audit.append({
            "at": self.now, "user_id": self.user_id, "action": "import",
            "entity_type": entity_type, "entity_id": entity_id, "firm_id": firm_id,
            "summary": text if len(text) <= 255 else text[:254] + "…",
            "before": _plain_dict(before) if before else None,
            "after": _plain_dict(after) if after else None,
        })
        self.written += 1
        if len(self.audit) >= AUDIT_CHUNK:
            self.flush_audit()

    def _lock_holders(self, recognition_ids: list[int]) -> None:
        """Lock the firms of recognitions about to change, and note them for the refresh."""
        rec, firms = holdings.REC, set()
        for chunk in chunks(sorted(recognition_ids)):
            firms.update(self.session.scalars(select(rec.c.firm_id).where(rec.c.id.in_(chunk))))
        holdings.lock_firms(self.session.connection(), firms)
        self.holders |= firms

    def refresh_holdings(self) -> None:
        """Bring the programme holdings of the firms written to up to date (Core writes
        pass the ORM's flush hook by)."""
        holdings.refresh(self.session.connection(), self.holders)
        self.holders = set()

    def flush_audit(self) -> None:
        self.insert(AUDIT, self.audit)
        self.audit = []


def _copy(connection, table, rows: list[dict]) -> None:
    """COPY … FROM STDIN through psycopg, in the session's transaction. JSON columns are
    serialised the way SQLAlchemy's JSON type does (json.dumps; None is JSON null)."""
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, sqltypes.JSON)}
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    statement = f"COPY {connection.dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])


