"""The reader's compact rows (tuples behind dict-like views) behave like the dicts they
replace, the streamed rows keep vertical merges and offset columns, and the planned rows
come back in workbook order."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from registry.excel.importer import _in_workbook_order
from registry.excel.types import NEW, ParsedRow, ParsedSheet, ParsedWorkbook, PlannedRow
from tests.excel.test_reader_shapes import CODES, read, xlsx


def roster_rows():
    rows = [
        [None, "慈溪市企业名录"],
        [None, "序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "注册资本（万元）", "经营范围"],
        [None, 1, "甲公司", CODES[0], "浒山街道", 100, "家电"],
        [None, 2, "乙公司", CODES[1], None, "1,200", None],
        [None, 3, "丙公司", CODES[2], None, None, "模具"],
        [None, 4, "丁公司", CODES[3], "周巷镇", 100.0, None],
    ]
    # the town of 甲 merged down over 乙 and 丙; the sheet's used range starts at column B
    return xlsx({"名录": rows}, {"名录": ["E3:E5"]})


def test_streamed_rows_fill_vertical_merges_in_offset_columns():
    sheet = read(roster_rows()).sheets[0]
    assert [r.row for r in sheet.rows] == [3, 4, 5, 6]
    assert [r.values["town"] for r in sheet.rows] == ["浒山街道", "浒山街道", "浒山街道", "周巷镇"]
    assert [r.values["registered_capital"] for r in sheet.rows] == [100, 1200, None, 100]
    # equal whole numbers share one Decimal
    assert sheet.rows[0].values["registered_capital"] is sheet.rows[3].values["registered_capital"]


def test_values_view_reads_and_writes_like_a_dict():
    sheet = read(roster_rows()).sheets[0]
    row = sheet.rows[2]
    assert not hasattr(row, "__dict__")
    values = row.values
    assert values == {"name": "丙公司", "uscc": CODES[2], "town": "浒山街道", "registered_capital": None}
    assert dict(values) == values and len(values) == 4 and list(values)[0] == "name"
    assert "registered_capital" in values and "seq" not in values and values.get("seq", "-") == "-"
    with pytest.raises(KeyError):
        values["seq"]
    values["registered_capital"] = Decimal(5)  # written through to the row
    values["note"] = "x"  # a key without a slot
    assert row.values["registered_capital"] == 5 and row.values["note"] == "x"
    del row.values["note"]
    assert "note" not in row.values
    assert sheet.rows[1].values["registered_capital"] == 1200  # other rows untouched


def test_raw_view_hands_back_cells_as_written():
    sheet = read(roster_rows()).sheets[0]
    first, second, third = sheet.rows[:3]
    assert second.raw["registered_capital"] == "1,200" and second.raw_cell("registered_capital") == "1,200"
    assert third.raw["registered_capital"] is None  # a blank field cell reads as None
    assert first.raw["序号"] == 1 and first.raw["经营范围"] == "家电"  # columns no field reads, by header
    assert "经营范围" not in second.raw and second.raw.get("经营范围") is None  # blank: absent
    assert dict(third.raw) == {"name": "丙公司", "uscc": CODES[2], "town": "浒山街道",
                               "registered_capital": None, "序号": 3, "经营范围": "模具"}


def test_hand_built_rows_take_plain_dicts():
    row = ParsedRow("S", 2, {"name": "甲"}, {"name": " 甲 "})
    assert row.values == {"name": "甲"} and row.raw == {"name": " 甲 "} and row.raw_cell("name") == " 甲 "
    assert row.errors == [] and row.context == {} and row.ok


def test_reader_errors_are_added_to_the_row_alone():
    rows = [["企业名称", "统一社会信用代码", "成立日期"], ["甲公司", CODES[0], date(2010, 1, 1)], [None, CODES[1], None]]
    sheet = read(xlsx({"名录": rows})).sheets[0]
    ok, bad = sheet.rows
    assert ok.ok and not ok.errors
    assert [e.reason for e in bad.errors] == ["企业名称不能为空"]


def test_planned_rows_come_back_in_workbook_order():
    def sheet(name, numbers):
        out = ParsedSheet(name, "firms", 1, {}, [], [], {})
        out.rows = [ParsedRow(name, n, {}, {}) for n in numbers]
        return out

    a, b = sheet("A", [2, 3, 4]), sheet("B", [2, 3])
    book = ParsedWorkbook("x.xlsx", "0" * 64, "firms", sheets=[a, b])
    in_order = [PlannedRow(r, NEW) for r in a.rows + b.rows]
    assert _in_workbook_order(book, in_order) is in_order  # nothing to sort
    shuffled = [in_order[i] for i in (3, 0, 4, 2, 1)]
    assert _in_workbook_order(book, shuffled) == in_order
