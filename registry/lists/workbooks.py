"""The workbooks of the lists area, each a few ``Sheet`` records handed to the exporter.

The official list is the one the bureau publishes: a merged title ("2016年度慈溪市创新型
“雏鹰”企业名单"), the five columns every Cixi notice uses, thin borders, a frozen header,
an A4 print setup whose title and header rows repeat on every page, and a footnote row.
This module imports no model at load time: the export benchmark builds the same sheet
from plain tuples without an application.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from registry.excel.exporter import TEXT, Column, PrintSetup, Sheet, write_workbook

OFFICIAL_COLUMNS = (
    Column("序号", width=7, align="center"),
    Column("企业名称", width=46, wrap=True),
    Column("统一社会信用代码", width=24, number_format=TEXT, align="center"),
    Column("所在镇（街道）", width=16, align="center"),
    Column("备注", width=16, wrap=True),
)
DEFAULT_FOOTNOTE = "注：名单排名不分先后，按所在镇（街道）排列。"


def official_title(year: int, programme_name: str) -> str:
    """The title row as the bureau writes it: "2016年度慈溪市创新型“雏鹰”企业名单"."""
    return f"{year}年度{programme_name}名单"


def official_sheet(title: str, rows: Iterable[Sequence], *, sheet_title: str = "名单",
                   footnote: str | None = DEFAULT_FOOTNOTE) -> Sheet:
    """One programme's list: ``rows`` are (序号, 企业名称, 统一社会信用代码, 所在镇（街道）, 备注)."""
    return Sheet(sheet_title, OFFICIAL_COLUMNS, rows=rows, title_row=title, title_size=16,
                 borders=True, header_fill=False, footnote=footnote or None,
                 print_setup=PrintSetup(paper="A4", repeat_header=True))


def official_workbook(sheets: Sequence[Sheet], *, title: str = "") -> bytes:
    return write_workbook(sheets, title=title)
