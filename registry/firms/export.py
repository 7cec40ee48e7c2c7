"""The firm list as an official-looking workbook: the current filtered results, every page.

It leaves through the one exporter (``registry.excel.exporter.write_workbook``), which
keeps the USCC and phone numbers as text, dates as dates and money as numbers with two
decimals, and neutralises anything a spreadsheet could take for a formula.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.excel.exporter import DATE, MONEY, TEXT, Column, PrintSetup, Sheet, write_workbook
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import FirmFilter, firm_query

COLUMNS = [
    Column("序号", width=6, number_format="0", align="center"),
    Column("企业名称", width=36, wrap=True),
    Column("统一社会信用代码", width=22, number_format=TEXT),
    Column("所在镇（街道）", width=14),
    Column("区域", width=12),
    Column("所属产业", width=16),
    Column("成立日期", width=12, number_format=DATE),
    Column("注册资本（万元）", width=16, number_format=MONEY),
    Column("规上", width=6, align="center"),
    Column("状态", width=10, align="center"),
    Column("法定代表人", width=12),
    Column("联系人", width=10),
    Column("联系电话", width=16, number_format=TEXT),
    Column("地址", width=36, wrap=True),
    Column("曾用名", width=30, wrap=True),
]


CHUNK = 500


def _firms(user, f: FirmFilter):
    """The matching firms in the list's order, loaded 500 at a time.

    The ids come first (one light query), then each chunk with its town, industry and
    former names: no server-side cursor, which MariaDB could not share with the loads
    of the related rows, and never every firm in memory at once."""
    ordered = firm_query(user, f).with_only_columns(Firm.id)
    ids = list(db.session.scalars(ordered))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        stmt = select(Firm).where(Firm.id.in_(chunk)).options(
            selectinload(Firm.town), selectinload(Firm.industry), selectinload(Firm.former_names))
        by_id = {firm.id: firm for firm in db.session.scalars(stmt)}
        for fid in chunk:  # the session holds unchanged rows weakly: a chunk goes when done
            yield by_id[fid]


def _rows(user, f: FirmFilter):
    for n, firm in enumerate(_firms(user, f), start=1):
        status = firm.status_label
        if firm.status != "active" and firm.status_changed_on:
            status += f"（{firm.status_changed_on:%Y-%m-%d}）"
        yield [
            n, firm.name, firm.uscc, firm.town.name if firm.town else None,
            firm.town.zone_label if firm.town else None,
            firm.industry.name if firm.industry else None, firm.founded_on, firm.registered_capital,
            "是" if firm.above_scale else "否", status, firm.legal_representative,
            firm.contact_person, firm.phone, firm.address,
            "；".join(old.name for old in firm.former_names) or None,
        ]


def export_firms(user, f: FirmFilter, *, bureau: str, conditions: list[str],
                 today: date | None = None) -> bytes:
    """The workbook of every firm ``user`` may see that matches ``f``, in the list's order."""
    today = today or date.today()
    title = f"{bureau}企业名单"
    footnote = ("筛选条件：" + ("；".join(conditions) if conditions else "全部企业")
                + f"。导出日期：{today:%Y-%m-%d}。注册资本单位：万元。数据来源：创新型企业培育库。")
    sheet = Sheet("企业名单", COLUMNS, _rows(user, f), title_row=title, title_size=16,
                  borders=True, footnote=footnote, print_setup=PrintSetup(landscape=True),
                  header_fill=False)
    return write_workbook([sheet], title=title)
