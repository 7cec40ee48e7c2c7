"""What the preview page shows of an ImportPlan: counts, one page of rows, the mapping choices.

Kept apart from the view so the view stays a few lines and the shaping is testable. Nothing
here is stored between requests: the plan is rebuilt from the batch's bytes every time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from registry.excel import specs
from registry.excel.cells import visible_name
from registry.excel.error_book import ERROR_COLUMN
from registry.excel.types import ERROR, NEW, ROW_CLASS_LABELS, UNCHANGED, UPDATED

PER_PAGE = 100
SHOW = {"all": "全部", ERROR: "错误", NEW: "新增", UPDATED: "更新", UNCHANGED: "未变"}
BADGES = {NEW: "text-bg-success", UPDATED: "text-bg-primary", UNCHANGED: "text-bg-secondary",
          ERROR: "text-bg-danger"}
#: Field names that name the record a row is about, in the order they are tried.
SUBJECT_FIELDS = ("name", "inst_name", "team_name", "member_name")
#: Per sheet kind: the field naming the row, and one that places it (shown in brackets).
SUBJECTS = {"institutions": ("inst_name", "name"), "level_changes": ("inst_name", None),
            "teams": ("team_name", "name"), "members": ("member_name", "team_name")}


@dataclass
class RowView:
    sheet: str
    row: int
    status: str
    subject: str
    uscc: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # label, old, new
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # column, value, reason
    summary: str = ""  # a new row's main values, for a glance before confirming

    @property
    def label(self) -> str:
        return ROW_CLASS_LABELS[self.status]

    @property
    def badge(self) -> str:
        return BADGES[self.status]


@dataclass
class Page:
    items: list[RowView]
    page: int
    pages: int
    total: int
    show: str


def default_show(counts: dict[str, int]) -> str:
    """Errors first when there are any: they are what the clerk must act on."""
    return ERROR if counts.get(ERROR) else "all"


def rows_page(plan, show: str, page: int) -> Page:
    """One page of the plan's rows of class ``show`` ("all" for every class)."""
    if show not in SHOW:
        show = "all"
    chosen = [r for r in plan.rows if show == "all" or r.status == show]
    pages = max(1, math.ceil(len(chosen) / PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * PER_PAGE
    kinds = {s.name: specs.SHEET_KINDS.get(s.sheet_kind) for s in plan.workbook.sheets}
    items = [_row_view(r, kinds.get(r.parsed.sheet)) for r in chosen[start:start + PER_PAGE]]
    return Page(items, page, pages, len(chosen), show)


SUMMARY_SKIP = {"seq", "uscc", *SUBJECT_FIELDS}
SUMMARY_FIELDS = 4


def _summary(values: dict, kind) -> str:
    if kind is None:
        return ""
    parts = []
    for f in kind.fields:
        value = values.get(f.name)
        if f.name in SUMMARY_SKIP or value in (None, ""):
            continue
        parts.append(f"{f.label}：{_text(value)}")
        if len(parts) == SUMMARY_FIELDS:
            break
    return "；".join(parts)


def _row_view(planned, kind=None) -> RowView:
    values, raw = planned.parsed.values, planned.parsed.raw
    subject = _subject(values, raw, kind.code if kind else "")
    uscc = planned.uscc or str(values.get("uscc") or raw.get("uscc") or "")
    return RowView(
        sheet=planned.parsed.sheet, row=planned.parsed.row, status=planned.status,
        subject=subject, uscc=uscc,
        changes=[(c.label, _text(c.old), _text(c.new)) for c in planned.changes],
        errors=[(e.column, "" if e.value and e.value in e.reason else e.value, e.reason)
                for e in planned.errors],
        summary=_summary(values, kind) if planned.status == NEW else "")


def per_sheet(mapping: dict | None, workbook) -> dict[str, dict[str, str]]:
    """A column map as {sheet name: {header: field}}; a flat {header: field} map (an older
    or hand-made one) applies to every sheet that has the header."""
    out: dict[str, dict[str, str]] = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        else:
            for sheet in workbook.sheets:
                if key in sheet.headers:
                    out.setdefault(sheet.name, {})[key] = value
    return out


def _subject(values: dict, raw: dict, kind_code: str) -> str:
    def pick(name):
        if not name:
            return ""
        value = values.get(name)
        if value in (None, ""):
            value = raw.get(name)
        return "" if value in (None, "") else visible_name(str(value))

    main, place = SUBJECTS.get(kind_code, (None, None))
    if main and pick(main):
        return pick(main) + (f"（{pick(place)}）" if pick(place) else "")
    return next((pick(f) for f in SUBJECT_FIELDS if pick(f)), "")


def mapping_sheets(plan, mapping: dict | None = None) -> list[dict[str, Any]]:
    """The sheets that have headers to map: name, kind label, the headers to show (still
    unmapped, or mapped by the user and open to revision) with a few sample values, the
    ones still pending, the fields free to choose, and the current choice."""
    mapping = per_sheet(mapping, plan.workbook)
    out = []
    for sheet in plan.workbook.sheets:
        chosen = mapping.get(sheet.name, {})
        pending = list(sheet.unmapped) + [h for h in chosen if h not in sheet.unmapped]
        if not pending:
            continue
        kind = specs.SHEET_KINDS.get(sheet.sheet_kind)
        taken = set(sheet.columns) - set(chosen.values())
        fields = [f for f in kind.fields if f.name not in taken] if kind else []
        out.append({
            "pending": [h for h in pending if h not in chosen],
            "name": sheet.name,
            "kind_label": kind.label if kind else sheet.sheet_kind,
            "fields": fields,
            "unmapped": pending,
            "samples": {h: _samples(sheet, h) for h in pending},
            "chosen": chosen,
            # our own error workbook's reason column, sent back with the fixes
            "suggest": {h: "" for h in pending if h == ERROR_COLUMN and h not in chosen},
        })
    return out


def _samples(sheet, header: str) -> list[str]:
    """First values of a column: the reader's samples for an unmapped header, else the raw
    cells of the field it is now mapped to."""
    if sheet.samples.get(header):
        return [str(v) for v in sheet.samples[header][:3]]
    name = next((f for f, h in sheet.columns.items() if h == header), None)
    if name is None:
        return []
    values = (r.raw.get(name) for r in sheet.rows)
    return [str(v) for v in values if v not in (None, "")][:3]


def sheet_summaries(plan) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, int]] = {}
    for r in plan.rows:
        per = counts.setdefault(r.parsed.sheet, {NEW: 0, UPDATED: 0, UNCHANGED: 0, ERROR: 0})
        per[r.status] += 1
    return [{"name": s.name, "kind": specs.SHEET_KINDS[s.sheet_kind].label
             if s.sheet_kind in specs.SHEET_KINDS else s.sheet_kind,
             "header_row": s.header_row, "year": s.year, "counts": counts.get(s.name, {}),
             "rows": len(s.rows)} for s in plan.workbook.sheets]


def programme_name(code: str | None, programmes) -> str:
    return next((p.name for p in programmes if p.code == code), code or "")


def flash_counts(result: dict) -> str:
    """The sentence flashed after a confirmed import (``result`` from confirm_batch)."""
    counts = result.get("counts") or result
    parts = [f"新增 {counts.get(NEW, 0)} 条", f"更新 {counts.get(UPDATED, 0)} 条",
             f"未变 {counts.get(UNCHANGED, 0)} 条"]
    text = "导入完成：" + "，".join(parts)
    created = result.get("firms_created")
    if created and created != counts.get(NEW):
        text += f"（新建企业 {created} 家）"
    if counts.get(ERROR):
        text += f"；有错误的 {counts[ERROR]} 行未导入"
    return text + "。"


def _text(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return visible_name(str(value))
