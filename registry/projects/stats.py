"""Project figures for the statistics service: "近五年累计承担国家科技计划项目82项，其中在研X项".

One GROUP BY over projects joined to their firms, per (town, level), with conditional
counts; the zone applies as everywhere in ``registry.stats``: ``town_ids`` in SQL when the
zone allows it, and ``keep`` (``stats.services.cell_filter``) on each town's cell.

The window is 近五年 = the five years Y-4..Y. A project counts as *undertaken* in the
window when it started in it. It is *in progress* at the end of Y when it started by then
and is either still 在研 or was closed (acceptance year, else end year) after Y; a closed
project without either year counts as closed. ``running`` counts every project in
progress at the end of Y whenever it started; ``in_progress`` only those undertaken in
the window (the "其中在研" of the bureau's sentence).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from registry.extensions import db
from registry.firms.models import Firm
from registry.projects.models import Project
from registry.vocab import LEVELS

WINDOW_YEARS = 5
KEYS = ("undertaken_5y", "lead_5y", "in_progress", "completed_5y", "running")


def window(year: int) -> tuple[int, int]:
    return year - WINDOW_YEARS + 1, year


def _closed_year():
    return func.coalesce(Project.acceptance_year, Project.end_year)


def project_cells(year: int, town_ids):
    """(town_id, level, undertaken, lead, in_progress, completed, running, funding) rows."""
    lo, hi = window(year)
    P = Project
    in_window = and_(P.start_year >= lo, P.start_year <= hi)
    active = or_(P.status == "in_progress", _closed_year() > year)
    completed = and_(P.status == "completed", or_(_closed_year().is_(None), _closed_year() <= year))
    stmt = (select(Firm.town_id, P.level, func.count(case((in_window, P.id))),
                   func.count(case((and_(in_window, P.role == "lead"), P.id))),
                   func.count(case((and_(in_window, active), P.id))),
                   func.count(case((and_(in_window, completed), P.id))),
                   func.count(case((active, P.id))),
                   func.coalesce(func.sum(case((in_window, P.funding), else_=0)), 0))
            .join(Firm, Firm.id == P.firm_id).where(P.start_year <= year).group_by(Firm.town_id, P.level))
    if town_ids is not None:
        stmt = stmt.where(Firm.town_id.in_(town_ids))
    return db.session.execute(stmt).all()


def firm_cells(year: int, town_ids):
    """(town_id, distinct firms that started a project in the window)."""
    lo, hi = window(year)
    stmt = (select(Firm.town_id, func.count(func.distinct(Project.firm_id)))
            .join(Firm, Firm.id == Project.firm_id)
            .where(Project.start_year >= lo, Project.start_year <= hi).group_by(Firm.town_id))
    if town_ids is not None:
        stmt = stmt.where(Firm.town_id.in_(town_ids))
    return db.session.execute(stmt).all()


def project_figures(year: int, town_ids, keep) -> dict:
    """The ``projects`` entry of the statistics JSON (see the README)."""
    levels = {code: dict.fromkeys(KEYS, 0) | {"funding_5y": Decimal(0)} for code in LEVELS}
    for town_id, level, *counts, funding in project_cells(year, town_ids):
        if not keep(town_id) or level not in levels:
            continue
        scope = levels[level]
        for key, n in zip(KEYS, counts):
            scope[key] += int(n)
        scope["funding_5y"] += Decimal(funding or 0)
    total = dict.fromkeys(KEYS, 0) | {"funding_5y": Decimal(0)}
    for scope in levels.values():
        for key in total:
            total[key] += scope[key]
    firms = sum(int(n) for town_id, n in firm_cells(year, town_ids) if keep(town_id))
    lo, hi = window(year)
    out = {"window": {"from": lo, "to": hi}}
    for code, scope in (*levels.items(), ("total", total)):
        out[code] = {k: (round(float(v), 2) if k == "funding_5y" else v) for k, v in scope.items()}
    out["firms_5y"] = firms
    return out


def summary_sentence(stats: dict) -> str:
    """"近五年（2012—2016年）累计承担国家科技计划项目82项（其中牵头…），其中在研X项 …"."""
    p, a = stats.get("projects"), stats.get("awards")
    parts = []
    if p:
        n, lo, hi = p["national"], p["window"]["from"], p["window"]["to"]
        text = (f"近五年（{lo}—{hi}年）累计承担国家科技计划项目{n['undertaken_5y']}项"
                f"（其中牵头{n['lead_5y']}项），其中在研{n['in_progress']}项、结题{n['completed_5y']}项；"
                f"承担省级科技计划项目{p['provincial']['undertaken_5y']}项、宁波市级{p['ningbo']['undertaken_5y']}项、"
                f"慈溪市级{p['cixi']['undertaken_5y']}项，共{p['firms_5y']}家企业承担，"
                f"获资助经费{p['total']['funding_5y']:.2f}万元")
        parts.append(text)
    if a:
        t = a["total"]
        parts.append(f"近五年获得省级以上科技奖励{a['provincial_and_above_5y']}项（其中国家级{a['national']['won_5y']}项，"
                     f"省级{a['provincial']['won_5y']}项），当年获奖{t['in_year']}项")
    return "；".join(parts) + "。" if parts else ""


ARCHIVE_COLUMNS = ("级别", "近五年承担项目（项）", "其中牵头", "其中在研", "近五年结题", "年末在研（全部）",
                   "近五年资助经费（万元）", "近五年获奖（项）", "当年获奖", "近五年第一完成单位", "累计获奖")


def archive_sheet(stats: dict, title: str):
    """The statistics workbook's sheet of project and award figures, one row per level."""
    from registry.excel.exporter import Column, Sheet

    p, a = stats["projects"], stats["awards"]
    rows = []
    for code, label in (*LEVELS.items(), ("total", "合计")):
        pp, aa = p[code], a[code]
        rows.append([label, pp["undertaken_5y"], pp["lead_5y"], pp["in_progress"], pp["completed_5y"],
                     pp["running"], pp["funding_5y"], aa["won_5y"], aa["in_year"], aa["first_rank_5y"],
                     aa["cumulative"]])
    rows.append(["承担项目企业（家）", p["firms_5y"]])
    rows.append(["省级以上科技奖励（近五年，项）", a["provincial_and_above_5y"]])
    columns = [Column(ARCHIVE_COLUMNS[0], width=28)] + [
        Column(h, number_format="0.00" if "经费" in h else "0") for h in ARCHIVE_COLUMNS[1:]]
    return Sheet("计划项目与奖励", columns, rows, title_row=title)
