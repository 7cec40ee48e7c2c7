"""Every download of the lists area: official lists, 公示, the year's combined workbook,
screening results, ladder movement, 高企 expiry and missing 年报 — all through the exporter.

A published list is exported from its frozen entries only (name, code and town as they
were on the day of publication), so the same list gives the same cells for ever; a list
not yet published shows each firm as it stands now.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.excel.exporter import DATE, TEXT, Column, Sheet, write_workbook
from registry.extensions import db
from registry.lists.criteria import STATUS_LABELS, describe
from registry.lists.models import TierList, TierListEntry
from registry.lists.workbooks import official_sheet, official_title


def _batch(tier_list: TierList) -> str:
    return f"（{tier_list.batch}）" if tier_list.batch else ""


def entry_rows(tier_list: TierList, user=None) -> list[tuple]:
    """(序号, 企业名称, 统一社会信用代码, 所在镇（街道）, 备注) in list order (a town officer:
    the part of their towns): the first five columns of the list page's rows."""
    from registry.lists.services import page_rows

    return [tuple(row[:5]) for row in page_rows(user, tier_list)]


def _footnote(tier_list: TierList, count: int) -> str:
    doc = f"（{tier_list.document_no}）" if tier_list.document_no else ""
    return f"注：共{count}家企业，排名不分先后{doc}。"


def official_list_workbook(tier_list: TierList, user=None) -> bytes:
    rows = entry_rows(tier_list, user)
    title = official_title(tier_list.year, tier_list.programme.name) + _batch(tier_list)
    sheet = official_sheet(title, rows, sheet_title=tier_list.programme.short_name,
                           footnote=_footnote(tier_list, len(rows)))
    return write_workbook([sheet], title=title)


def notice_workbook(tier_list: TierList, user=None) -> bytes:
    """The 公示 attachment: the proposed list with the notice period and where to object."""
    rows = entry_rows(tier_list, user)
    title = f"{tier_list.year}年度{tier_list.programme.name}拟认定名单（公示）" + _batch(tier_list)
    period = ""
    if tier_list.notice_from and tier_list.notice_until:
        period = f"公示期：{tier_list.notice_from:%Y-%m-%d}至{tier_list.notice_until:%Y-%m-%d}。"
    footnote = (f"注：共{len(rows)}家企业，排名不分先后。{period}对公示名单有异议的，请在公示期内"
                f"以书面形式向{current_app.config['BUREAU_NAME']}反映，并提供相关证明材料。")
    return write_workbook([official_sheet(title, rows, sheet_title="公示名单", footnote=footnote)],
                          title=title)


def published_lists(year: int) -> list[TierList]:
    return list(db.session.scalars(
        select(TierList).where(TierList.year == year, TierList.status == "published")
        .options(selectinload(TierList.programme),
                 selectinload(TierList.entries).selectinload(TierListEntry.firm))
        .order_by(TierList.programme_id, TierList.batch)))


def combined_workbook(year: int, user=None) -> bytes:
    """Every list published for ``year``, one sheet per programme (batches one after another);
    a town officer gets the firms of their towns."""
    by_programme: dict[int, list[TierList]] = {}
    for t in published_lists(year):
        by_programme.setdefault(t.programme_id, []).append(t)
    sheets = []
    for lists in sorted(by_programme.values(), key=lambda ls: ls[0].programme.sort_order):
        programme, rows = lists[0].programme, []
        if user is not None and not any(entry_rows(t, user) for t in lists):
            continue
        for t in lists:
            for _n, name, uscc, town, note in entry_rows(t, user):
                remark = "；".join(x for x in (t.batch, note) if x) or None
                rows.append((len(rows) + 1, name, uscc, town, remark))
        docs = "、".join(t.document_no for t in lists if t.document_no)
        footnote = f"注：共{len(rows)}家企业，排名不分先后" + (f"（{docs}）" if docs else "") + "。"
        sheets.append(official_sheet(official_title(year, programme.name), rows,
                                     sheet_title=programme.short_name, footnote=footnote))
    if not sheets:
        sheets.append(Sheet("说明", [Column("说明", width=60)], rows=[[f"{year}年度尚无已发布的名单。"]]))
    return write_workbook(sheets, title=f"{year}年度培育名单汇总")


def screening_workbook(screening, programme_names: dict) -> bytes:
    cset = screening.criteria_set
    columns = [Column("序号", width=7), Column("企业名称", width=40), Column("统一社会信用代码", number_format=TEXT, width=22),
               Column("所在镇（街道）", width=14), Column("筛选结论", width=10)]
    for c in screening.criteria:
        columns.append(Column(f"{c.label}（{c.role_label}）", width=max(14, min(40, len(c.label) * 2 + 10)),
                              note=describe(c.kind, c.params or {}, programme_names), wrap=True))
        columns.append(Column("判定", width=9))
    rows, highlights = [], {}
    for r, row in enumerate(screening.rows):
        values = [r + 1, row.facts.name, row.facts.uscc, row.facts.town_name, row.result_label]
        for i, o in enumerate(row.outcomes):
            values += [o.value, STATUS_LABELS[o.status]]
            if o.status != "pass":
                highlights[(r, 6 + 2 * i)] = "error" if o.status == "fail" else "required"
        rows.append(values)
    title = (f"{cset.year}年度{cset.programme.short_name}资格筛选（依据{cset.data_year}年度数据，"
             f"共{len(rows)}家）")
    return write_workbook([Sheet("资格筛选", columns, rows=rows, title_row=title, highlights=highlights)],
                          title=title)


def ladder_workbook(ladder) -> bytes:
    columns = [Column("序号", width=7), Column("变动", width=14), Column("企业名称", width=40),
               Column("统一社会信用代码", number_format=TEXT, width=22), Column("所在镇（街道）", width=14),
               Column("原梯队", width=12), Column("现梯队", width=12)]
    rows = [(n, m.label, m.firm.name, m.firm.uscc, m.firm.town.name if m.firm.town else None, m.before,
             m.after) for n, m in enumerate(ladder.moves, start=1)]
    counts = "，".join(f"{label}{ladder.counts[k]}家" for k, label in _labels().items())
    title = f"{ladder.year}年度创新型企业梯队变动（{counts}）"
    return write_workbook([Sheet("梯队变动", columns, rows=rows, title_row=title)], title=title)


def _labels():
    from registry.lists.ladder import MOVES

    return MOVES


def expiring_workbook(year: int, items) -> bytes:
    columns = [Column("序号", width=7), Column("企业名称", width=40),
               Column("统一社会信用代码", number_format=TEXT, width=22), Column("所在镇（街道）", width=14),
               Column("证书编号", number_format=TEXT, width=18), Column("认定年度", width=10),
               Column("有效期至", number_format=DATE, width=12), Column("证书编号核对", width=30, wrap=True)]
    rows = [(n, e.firm.name, e.firm.uscc, e.firm.town.name if e.firm.town else None,
             e.recognition.certificate_no, e.recognition.year, e.recognition.valid_until, e.problem or "正确")
            for n, e in enumerate(items, start=1)]
    title = f"高新技术企业证书{year + 1}年到期名单（需重新认定，共{len(rows)}家）"
    return write_workbook([Sheet("到期提醒", columns, rows=rows, title_row=title)], title=title)


def missing_reports_workbook(year: int, items) -> bytes:
    columns = [Column("序号", width=7), Column("企业名称", width=40),
               Column("统一社会信用代码", number_format=TEXT, width=22), Column("所在镇（街道）", width=14),
               Column("联系人", width=10), Column("联系电话", number_format=TEXT, width=14),
               Column("证书编号", number_format=TEXT, width=18), Column("提示", width=30, wrap=True)]
    rows = [(n, m.firm.name, m.firm.uscc, m.firm.town.name if m.firm.town else None, m.firm.contact_person,
             m.firm.phone, m.recognition.certificate_no,
             f"{year - 1}、{year}年度连续未报，可能被取消资格" if m.missed_before else f"{year}年度年报未报")
            for n, m in enumerate(items, start=1)]
    title = f"高新技术企业{year}年度年报未报名单（应于{year + 1}年5月31日前报送，共{len(rows)}家）"
    return write_workbook([Sheet("年报未报", columns, rows=rows, title_row=title)], title=title)
