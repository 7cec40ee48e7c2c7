"""A large import's preview, kept as JSON in ``ImportBatch.result`` by the job that checked it.

A small batch's preview is rebuilt from its bytes on every page view (a fraction of a
second). A 100,000-row workbook takes seconds to read and check, which is why a background
job did it; re-planning it on every page view and every click of a filter would put that
cost back on the request. So the job stores what the preview page shows — counts, sheets,
inferred facts, the column-map choices, and the first KEEP rows of each class — and the
page renders the same templates from it. Confirming still re-reads the bytes and re-plans
against the registry as it is then, exactly as for a small batch.
"""
from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime
from types import SimpleNamespace

from registry.excel import preview, specs
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED
from registry.timeutil import utcnow

VERSION = 1
#: Rows kept per class (新增/更新/未变/错误): 20 pages of the preview. The error workbook
#: (downloaded) always lists every row.
KEEP = 20 * preview.PER_PAGE


def take(plan, mapping: dict | None) -> dict:
    """The JSON snapshot of ``plan``'s preview."""
    workbook = plan.workbook
    kinds = {s.name: specs.SHEET_KINDS.get(s.sheet_kind) for s in workbook.sheets}
    rows: dict[str, list] = {NEW: [], UPDATED: [], UNCHANGED: [], ERROR: []}
    for r in plan.rows:
        kept = rows[r.status]
        if len(kept) < KEEP:
            kept.append(_plain(asdict(preview._row_view(r, kinds.get(r.parsed.sheet)))))
    mapping_sheets = preview.mapping_sheets(plan, mapping)
    for s in mapping_sheets:
        s["fields"] = [[f.name, f.label] for f in s["fields"]]
    return {
        "v": VERSION, "planned_at": utcnow().isoformat(),
        "workbook": {"programme": workbook.programme, "year": workbook.year,
                     "inferred": dict(workbook.inferred),
                     "skipped_sheets": list(workbook.skipped_sheets),
                     "errors": [e.as_dict() for e in workbook.errors],
                     "sheets": [{"name": s.name, "sheet_kind": s.sheet_kind,
                                 "headers": [str(h) for h in s.headers]} for s in workbook.sheets]},
        "counts": plan.counts(),
        "sheets": preview.sheet_summaries(plan),
        "mapping": mapping_sheets,
        "rows": rows,
    }


def _plain(value):
    """Tuples → lists and dates → text, so the snapshot is plain JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def context(snap: dict, show: str | None, page: int, programmes) -> dict:
    """What the preview template needs, from a snapshot (as the view builds it from a plan)."""
    wb = workbook(snap)
    return {"plan": SimpleNamespace(workbook=wb), "counts": snap["counts"], "snapshot": snap,
            "snapshot_at": datetime.fromisoformat(snap["planned_at"]),
            "page": rows_page(snap, show or preview.default_show(snap["counts"]), page),
            "sheets": snap["sheets"], "mapping": mapping_sheets(snap),
            "programme_name": preview.programme_name(wb.programme, programmes)}


def usable(result) -> bool:
    return isinstance(result, dict) and result.get("v") == VERSION and "rows" in result


def workbook(snap: dict) -> SimpleNamespace:
    """The parts of a ParsedWorkbook the preview templates and the column-map form read."""
    wb = snap["workbook"]
    return SimpleNamespace(
        programme=wb["programme"], year=wb["year"], inferred=wb["inferred"],
        skipped_sheets=wb["skipped_sheets"], errors=wb["errors"],
        sheets=[SimpleNamespace(name=s["name"], sheet_kind=s["sheet_kind"], headers=s["headers"])
                for s in wb["sheets"]])


def mapping_sheets(snap: dict) -> list[dict]:
    """The column-map choices, fields as objects with ``name`` and ``label`` again."""
    out = []
    for s in snap["mapping"]:
        out.append({**s, "fields": [SimpleNamespace(name=n, label=label) for n, label in s["fields"]]})
    return out


def rows_page(snap: dict, show: str, page: int) -> preview.Page:
    """One page of the kept rows of class ``show``; ``total`` is the true count."""
    if show not in preview.SHOW:
        show = "all"
    counts = snap["counts"]
    if show == "all":
        kept = [r for status in (NEW, UPDATED, UNCHANGED, ERROR) for r in snap["rows"][status]]
        kept.sort(key=lambda r: (_sheet_order(snap, r["sheet"]), r["row"]))
        total = sum(counts.values())
    else:
        kept = snap["rows"][show]
        total = counts[show]
    pages = max(1, math.ceil(len(kept) / preview.PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * preview.PER_PAGE
    items = [_row(r) for r in kept[start:start + preview.PER_PAGE]]
    result = preview.Page(items, page, pages, total, show)
    result.kept = len(kept)  # fewer than total when the class has more rows than KEEP
    return result


def _sheet_order(snap: dict, name: str) -> int:
    names = [s["name"] for s in snap["workbook"]["sheets"]]
    return names.index(name) if name in names else len(names)


def _row(d: dict) -> preview.RowView:
    return preview.RowView(
        sheet=d["sheet"], row=d["row"], status=d["status"], subject=d["subject"], uscc=d["uscc"],
        changes=[tuple(c) for c in d["changes"]], errors=[tuple(e) for e in d["errors"]],
        summary=d["summary"])
