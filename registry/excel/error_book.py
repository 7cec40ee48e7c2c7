"""The error workbook: what the sender gets back to fix and resend.

The rows of each uploaded sheet that failed, as the sender wrote them — their headers, in
their column order, with the raw cell values — each bad cell red with its reason as a
comment, and a last column 错误原因 with the original row number and every reason of the
row. A first line says how to fix and resend; the reader skips it, and the preview offers
to ignore the 错误原因 column when the workbook comes back. Written through the exporter.
"""
from __future__ import annotations

from typing import Any

from registry.excel import specs
from registry.excel.exporter import TEXT, Column, Sheet, write_workbook

TEXT_PARSERS = ("uscc", "phone")
ERROR_COLUMN = "错误原因"


def build(plan, *, all_rows: bool = False) -> bytes:
    """The uploaded rows that failed, as the sender wrote them (headers, column order, raw
    values), each bad cell red with its reason as a comment and a last column 错误原因.
    ``all_rows`` keeps the rows without errors too (uncoloured), for a whole-file resend."""
    by_sheet: dict[str, list] = {}
    for planned in plan.rows:
        by_sheet.setdefault(planned.parsed.sheet, []).append(planned)
    problems: dict[str, list[str]] = {}
    for err in plan.workbook.errors:
        text = (f"第{err.row}行：" if err.row else "") + err.reason
        problems.setdefault(err.sheet, []).append(text)
    sheets = []
    for parsed in plan.workbook.sheets:
        kind = specs.SHEET_KINDS.get(parsed.sheet_kind)
        planned = [p for p in by_sheet.get(parsed.name, []) if all_rows or p.errors]
        sheets.append(_error_sheet(plan.workbook.filename, parsed, kind, planned,
                                   problems.pop(parsed.name, [])))
    leftovers = [t for texts in problems.values() for t in texts]
    if leftovers or not sheets:
        sheets.append(Sheet("文件问题", [Column("问题", width=90, wrap=True)],
                            rows=[[t] for t in leftovers] or [["未发现错误。"]]))
    return write_workbook(sheets, title=f"{plan.workbook.filename} 错误清单")


def _error_sheet(filename: str, parsed, kind, planned: list, problems: list[str]) -> Sheet:
    field_of = {header: name for name, header in parsed.columns.items()}
    columns = []
    for header in parsed.headers:
        parser = _field_parser(kind, field_of.get(header))
        columns.append(Column(header, number_format=TEXT if parser in TEXT_PARSERS else None))
    columns.append(Column(ERROR_COLUMN, width=48, wrap=True))
    position = {h: i for i, h in reversed(list(enumerate(parsed.headers)))}
    reason_col = len(parsed.headers)
    rows, highlights, comments = [], {}, {}
    bad = 0
    for r, p in enumerate(planned):
        row = p.parsed
        values = [_raw(row.raw, field_of.get(h), h) for h in parsed.headers]
        reasons = []
        for err in p.errors:
            where = position.get(err.column)
            if where is not None:
                highlights[(r, where)] = "error"
                prior = comments.get((r, where))
                comments[(r, where)] = f"{prior}\n{err.reason}" if prior else err.reason
            label = f"{err.column}：" if err.column and err.column not in err.reason else ""
            reasons.append(label + err.reason)
        if reasons:
            bad += 1
            highlights[(r, reason_col)] = "error"
        prefix = f"原表第{row.row}行" + ("：" if reasons else "")
        rows.append(values + [prefix + "；".join(reasons)])
    intro = (f"本表列出《{filename}》工作表「{parsed.name}」中有错误的 {bad} 行（原表行号见最后一列）。"
             "红色单元格有误，鼠标移到单元格上可看原因。请按「错误原因」逐项改正，保存后直接上传本文件即可"
             "（本说明行会被跳过，「错误原因」列不会导入）。")
    if problems:
        intro += "\n整表问题：" + "；".join(problems)
    if not planned:
        intro = f"《{filename}》工作表「{parsed.name}」没有错误行。" + (
            "\n整表问题：" + "；".join(problems) if problems else "")
    return Sheet(parsed.name, columns, rows=rows, title_row=intro,
                 highlights=highlights, comments=comments)


def _field_parser(kind, name: str | None) -> str | None:
    if kind is None or not name:
        return None
    try:
        return kind.field(name).parser
    except KeyError:
        return None


def _raw(raw: dict, name: str | None, header: str) -> Any:
    """The cell as read: ``raw`` is keyed by field name; a column not mapped to a field
    may be kept under its header."""
    if name and name in raw:
        return raw[name]
    return raw.get(header)
