"""Fast rows for the exporter's write-only sheets: one style per (column, kind of value).

A data cell's look depends only on its column and the kind of value it holds, so its
style (and the style's id in the workbook) is worked out once per (column, kind) by the
exporter's slow path and then reused: each column has one ``StreamCell`` refilled for
every row, the way openpyxl's own ``append`` reuses one cell for plain values. That is
safe because ``append`` writes a row out before the next one is built. Cells with a
highlight or a comment take the slow path and get a cell of their own.

``install`` replaces the write-only sheet's ``_values_to_row`` (openpyxl 3.1 internals,
pinned in requirements.txt): everything the exporter appends is already a cell, so
openpyxl's try-assign-and-catch per cell is skipped. Should a later openpyxl drop that
hook, ``install`` leaves the sheet alone and rows go through openpyxl's own path —
slower, same workbook (tests/excel/test_exporter.py checks the cells either way).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

HOOK = "_values_to_row"
FAST = callable(getattr(WriteOnlyWorksheet, HOOK, None))


def install(ws) -> bool:
    """Use ``cells_to_row`` for this sheet's rows when openpyxl has the hook."""
    if FAST:
        setattr(ws, HOOK, cells_to_row)
    return FAST


def cells_to_row(values, row_idx):
    """Each appended value is a cell already: place it and yield it."""
    for col_idx, cell in enumerate(values, 1):
        if cell is None:
            continue
        cell.column, cell.row = col_idx, row_idx
        yield cell


class StreamCell(Cell):
    """A data cell whose style id is already known (the writer asks for it per cell)."""

    __slots__ = ("_sid",)

    @property
    def style_id(self) -> int:
        return self._sid


class StyleCache:
    """Data cells for one sheet, written fast.

    ``slow_cell(r, c, value)`` builds a fully styled cell the ordinary way; ``prepare(c,
    value)`` gives the value as Excel stores it and the key its style depends on.
    ``special`` holds the (row, column) positions that always take the slow path.
    """

    def __init__(self, ws, special: set, slow_cell: Callable, prepare: Callable):
        self.ws, self.special = ws, special
        self.slow_cell, self.prepare = slow_cell, prepare
        self.cache: dict[Any, tuple[StyleArray, int, str]] = {}
        self.cells: dict[int, StreamCell] = {}
        self.styles = ws.parent._cell_styles

    def cell(self, r: int, c: int, value: Any):
        if (r, c) in self.special:
            return self.slow_cell(r, c, value)
        value, key = self.prepare(c, value)
        known = self.cache.get(key)
        if known is None:
            model = self.slow_cell(r, c, value)
            style = StyleArray(model._style) if model._style is not None else StyleArray()
            known = self.cache[key] = (style, self.styles.add(style) if any(style) else 0,
                                       model.data_type)
        cell = self.cells.get(c)
        if cell is None:
            cell = self.cells[c] = StreamCell(self.ws, row=1, column=c + 1)  # placed on append
        cell._style, cell._sid, cell.data_type = known
        cell._value = value
        return cell
