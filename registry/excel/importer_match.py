"""Finding the stored firm a row names: by USCC, by organisation code, or by exact name.

``FirmIndex.load`` collects every key the workbook's rows carry and asks the database
once per chunk of keys; ``resolve`` then answers each row from dictionaries. A name
matches only when it identifies exactly one firm (current or former name); anything
else is a row error, never a guess.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from sqlalchemy import func, select

from registry.excel.importer_base import (
    FIRMS, FIRM_COLUMNS, FIRM_NAMES, NewFirm, chunks, column_of, fail, legacy, name_key,
    name_variants,
)
from registry.excel.types import ParsedRow, ParsedSheet, PlannedRow
from registry.extensions import db


class FirmIndex:
    """Stored firms for the keys a workbook carries, plus firms the same batch creates.

    ``full`` loads every roster column (the roster compares them); other imports only need
    id, code and name.
    """

    def __init__(self, *, full: bool = False):
        self.columns = FIRM_COLUMNS if full else (FIRMS.c.id, FIRMS.c.uscc, FIRMS.c.name)
        self.by_uscc: dict[str, Any] = {}
        self.by_id: dict[int, Any] = {}
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_org: dict[str, list[Any]] = defaultdict(list)
        self.pending: dict[str, NewFirm] = {}  # uscc → a firm this batch creates
        self.pending_by_name: dict[str, set[str]] = defaultdict(set)  # kept when names are used
        self.names_used = False

    def _keep(self, row) -> None:
        self.by_uscc[row.uscc] = row

    def load(self, rows: Iterable[ParsedRow], *, codes: bool = True) -> None:
        """One pass over the rows collecting keys, then a few IN queries per chunk.

        ``codes=False`` leaves the USCCs to ``load_codes`` (the roster loads them chunk
        by chunk, so a 100,000-row re-import never holds every stored firm at once).
        """
        usccs, names, orgs = set(), set(), set()
        for parsed in rows:
            code = parsed.values.get("uscc")
            if type(code) is str:
                usccs.add(code)
                continue
            marker = legacy(code)
            if marker is not None:
                if marker.kind == "org_code":
                    orgs.add(marker.code)
                continue
            name = parsed.values.get("name")
            if name:
                names.update(name_variants(name))
        session = db.session
        if codes:
            self.load_codes(usccs)
        for chunk in chunks(sorted(orgs)):
            stmt = select(*self.columns).where(func.substr(FIRMS.c.uscc, 9, 9).in_(chunk))
            for row in session.execute(stmt):
                self._keep(row)
                self.by_org[row.uscc[8:17]].append(row)
        if names:
            if not self.names_used:
                self.names_used = True
                for firm in self.pending.values():
                    self.pending_by_name[name_key(firm.name)].add(firm.uscc)
            self._load_names(names)

    def load_codes(self, usccs) -> None:
        for chunk in chunks(sorted(usccs)):
            for row in db.session.execute(select(*self.columns).where(FIRMS.c.uscc.in_(chunk))):
                self._keep(row)

    def forget_codes(self, usccs) -> None:
        """Drop stored firms found by these codes (firms found by name stay in ``by_id``)."""
        for code in usccs:
            self.by_uscc.pop(code, None)

    def _load_names(self, names: set[str]) -> None:
        session = db.session
        former: dict[int, list[str]] = defaultdict(list)
        named = []
        for chunk in chunks(sorted(names)):
            for row in session.execute(select(*self.columns).where(FIRMS.c.name.in_(chunk))):
                self._keep(row)
                named.append(row)
            stmt = select(FIRM_NAMES.c.firm_id, FIRM_NAMES.c.name).where(FIRM_NAMES.c.name.in_(chunk))
            for firm_id, name in session.execute(stmt):
                former[firm_id].append(name)
        for row in named:
            self.by_id[row.id] = row
        missing = [i for i in former if i not in self.by_id]
        for chunk in chunks(missing):
            for row in session.execute(select(*self.columns).where(FIRMS.c.id.in_(chunk))):
                self._keep(row)
                self.by_id[row.id] = row
        wanted = {name_key(n) for n in names}
        for row in self.by_id.values():
            key = name_key(row.name)
            if key in wanted:
                self.by_name[key].add(row.id)
        for firm_id, olds in former.items():
            for old in olds:
                key = name_key(old)
                if key in wanted:
                    self.by_name[key].add(firm_id)

    def add_pending(self, firm: NewFirm) -> NewFirm:
        """A firm the batch will create; later rows naming it (by code or name) find it."""
        existing = self.pending.get(firm.uscc)
        if existing is not None:
            return existing
        self.pending[firm.uscc] = firm
        if self.names_used:
            self.pending_by_name[name_key(firm.name)].add(firm.uscc)
        return firm

    def resolve(self, prow: PlannedRow, sheet: ParsedSheet, *, what: str = "企业"):
        """(stored firm row or None, uscc or "") for the row, or an error on the row.

        A row with a USCC the registry lacks returns (None, uscc): the caller decides
        whether the row may create the firm. Matching by name happens only when no code
        is given, and must find exactly one firm.
        """
        values = prow.parsed.values
        code = values.get("uscc")
        if type(code) is str:
            return self.by_uscc.get(code), code
        marker = legacy(code)
        if marker is not None:
            if marker.kind == "org_code":
                hits = self.by_org.get(marker.code, [])
                if len(hits) == 1:
                    return hits[0], hits[0].uscc
                if hits:
                    fail(prow, sheet, "uscc", f"组织机构代码{marker.code}对应多家企业，请填写18位统一社会信用代码")
                else:
                    fail(prow, sheet, "uscc", f"组织机构代码{marker.code}在库中找不到对应企业，"
                                              "请填写18位统一社会信用代码")
            else:
                fail(prow, sheet, "uscc", f"15位工商注册号{marker.code}无法与库中企业对应，"
                                          "请填写18位统一社会信用代码")
            return None, ""
        if any(e.column == column_of(sheet, "uscc") for e in prow.errors):
            return None, ""  # the code was there but unreadable: the reader said why
        name = values.get("name")
        if not name:
            fail(prow, sheet, "name", f"{what}名称和统一社会信用代码均为空，无法确定{what}")
            return None, ""
        key = name_key(name)
        ids = self.by_name.get(key, set())
        pending = self.pending_by_name.get(key, set())
        if len(ids) + len(pending) > 1:
            fail(prow, sheet, "name", f"名称“{name}”对应多家企业，请填写统一社会信用代码以区分")
            return None, ""
        if ids:
            row = self.by_id[next(iter(ids))]
            return row, row.uscc
        if pending:
            return None, next(iter(pending))
        fail(prow, sheet, "name", f"库中没有名为“{name}”的企业（含曾用名）；未填统一社会信用代码时"
                                  "只能匹配已有企业，请补填代码")
        return None, ""


