"""The statistics as a workbook: an overview, then one sheet per breakdown.

Built from ``compute``'s JSON and written through ``registry.excel.exporter`` (the one door
every workbook leaves through), so the workbook holds exactly the figures the dashboard,
the API and the CLI show.
"""
from __future__ import annotations

from registry.excel.exporter import Column, Sheet, write_workbook
from registry.projects.stats import archive_sheet
from registry.vouchers.stats import finance_sheet
from registry.stats.services import TEAM_KEYS

LEVEL_NAMES = ("国家级", "省级", "宁波市级", "慈溪市级")
TEAM_LABELS = {
    "cumulative": "累计培育团队（个）", "active": "在培团队（个）", "ningbo_level": "入选宁波市级（个）",
    "members": "团队成员（人）", "senior_members": "副高以上人才（人）", "zhenggao": "正高（人）",
    "fugao": "副高（人）", "projects_in_progress": "在研项目（项）",
}
PERCENT = "0.00%"


def _title(stats: dict, label: str, what: str) -> str:
    return f"{label}{stats['year']}年{what}（截至{stats['year']}年底）"


def _breakdown_columns(stats: dict, first: str) -> list[Column]:
    cols = [Column(first, width=18)]
    for name in stats["programmes"]:
        cols += [Column(f"{name}·当年认定"), Column(f"{name}·累计"), Column(f"{name}·年末有效")]
    cols += [Column(f"研发机构·{lv}") for lv in LEVEL_NAMES]
    cols += [Column("研发机构·合计"), Column("规上企业研发机构设置率", number_format=PERCENT)]
    cols += [Column(TEAM_LABELS[k]) for k in TEAM_KEYS]
    return cols


def _breakdown_row(name: str, part: dict) -> list:
    row = [name]
    for figures in part["programmes"].values():
        row += [figures["recognized"], figures["cumulative"], figures["valid"]]
    row += [part["rd_institutions"][lv] for lv in LEVEL_NAMES]
    row += [part["rd_institutions"]["total"], part["rd_institution_rate"]]
    row += [part["teams"][k] for k in TEAM_KEYS]
    return row


def stats_workbook(stats: dict, summary: str, label: str) -> bytes:
    """Overview, programmes, 高企 by year, institutions, teams, by town, by industry."""
    progs = stats["programmes"]
    overview = [("年份", stats["year"]), ("范围", label)]
    overview += [(f"{n}（年末有效，家）", v["valid"]) for n, v in progs.items()]
    overview += [("企业研发机构（家）", stats["rd_institutions"]["total"]),
                 ("规上企业研发机构设置率", f"{stats['rd_institution_rate'] * 100:.2f}%")]
    overview += [(TEAM_LABELS[k], stats["teams"][k]) for k in TEAM_KEYS]
    overview.append(("文字摘要", summary))
    sheets = [
        Sheet("总览", [Column("指标", width=30), Column("数值", width=90, wrap=True)], overview,
              title_row=_title(stats, label, "科技统计总览")),
        Sheet("认定类别", [Column("类别", width=22), Column("当年认定（家）"), Column("累计认定（家）"),
                        Column("年末有效（家）")],
              [(n, v["recognized"], v["cumulative"], v["valid"]) for n, v in progs.items()],
              title_row=_title(stats, label, "培育与认定")),
        Sheet("高企历年", [Column("年份"), Column("年末有效高新技术企业（家）")],
              [(int(y), n) for y, n in stats["high_tech_valid_by_year"].items()],
              title_row=f"{label}历年高新技术企业（年末有效）"),
        Sheet("研发机构", [Column("级别", width=14), Column("数量（家）")],
              [(lv, stats["rd_institutions"][lv]) for lv in LEVEL_NAMES]
              + [("合计", stats["rd_institutions"]["total"]),
                 ("规上企业研发机构设置率", f"{stats['rd_institution_rate'] * 100:.2f}%")],
              title_row=_title(stats, label, "企业研发机构（按年末级别）")),
        Sheet("创新团队", [Column("指标", width=24), Column("数值")],
              [(TEAM_LABELS[k], stats["teams"][k]) for k in TEAM_KEYS],
              title_row=_title(stats, label, "科技创新团队")),
        archive_sheet(stats, _title(stats, label, "科技计划项目与科技奖励（近五年）")),
        finance_sheet(stats, _title(stats, label, "科技创新券与科技信贷")),
        Sheet("分镇街道", _breakdown_columns(stats, "镇（街道）"),
              [_breakdown_row(n, part) for n, part in stats["by_town"].items()]
              + [_breakdown_row("合计", stats)],
              title_row=_title(stats, label, "分镇（街道）统计")),
        Sheet("分产业", _breakdown_columns(stats, "所属产业"),
              [_breakdown_row(n, part) for n, part in stats["by_industry"].items()]
              + [_breakdown_row("合计", stats)],
              title_row=_title(stats, label, "分产业（“3+3”）统计")),
    ]
    return write_workbook(sheets, title=f"{label}{stats['year']}年科技统计")
