"""A constructed history with every figure worked out by hand (see ``EXPECTED``).

Firms (town, industry, 规上):
  A 浒山街道 智能家电 规上   B 周巷镇 新材料 规上     C 杭州湾新区 智能家电 规上
  D 浒山街道 新材料          E 杭州湾新区 新材料      F (no town) 智能家电 规上
  G 周巷镇 智能家电 规上, deregistered 2015-03-01
高新技术企业 (3 years): A 2008, 2011, 2014 (re-recognitions); B 2010, 2013 revoked
2014-06-30, 2016; C 2012 (explicit 2012-10-15 … 2015-10-14), 2015 (2015-11-20 … 2018-11-19);
D 2009, 2016 revoked without a date (never valid); E 2014 and 2015 (overlapping); F 2016.
科技型中小企业 (1 year): A 2015, 2016; B 2016; E 2016. 宁波初创 (3): E 2014.
雏鹰 D 2013 → 瞪羚 D 2015; 头雁 A 2016 (directly).
Institutions: I1 (A) 慈溪 2010 → 宁波 2013 → 省级 2016; I2 (A) 宁波 2012; I3 (B) 慈溪 2011,
revoked 2015; I4 (C) 省级 2014 → 国家级 2017 (after the year asked); I5 (D) 慈溪 2016;
I6 (E) 国家级 without history, first recognised 2015; I7 (F) 慈溪 2012, closed (no year).
Teams: T1 (A) 2012, 宁波 2015, 3 projects: 正高 leader, 2 副高, 1 中级, a 副高 who left in
2014, a 正高 who joins in 2017; T2 (C) 2014, 2 projects: 正高, 初级, no title; T3 (B) 2013,
exited 2015: 正高, 副高; T4 (D) 2016, 1 project: 副高.
"""
from __future__ import annotations

from datetime import date

from registry.institutions.models import RdInstitution, RdLevelChange
from registry.teams.models import Team, TeamMember
from registry.teams.titles import title_grade


def build(make) -> dict:
    s = make.session
    firms = {
        "A": make.firm("慈溪市甲电器有限公司", town="浒山街道", industry="智能家电", above_scale=True),
        "B": make.firm("慈溪市乙材料有限公司", town="周巷镇", industry="新材料", above_scale=True),
        "C": make.firm("宁波杭州湾新区丙电器有限公司", town="杭州湾新区", industry="智能家电",
                       above_scale=True),
        "D": make.firm("慈溪市丁材料有限公司", town="浒山街道", industry="新材料"),
        "E": make.firm("宁波杭州湾新区戊材料有限公司", town="杭州湾新区", industry="新材料"),
        "F": make.firm("慈溪市己电器有限公司", town=None, industry="智能家电", above_scale=True),
        "G": make.firm("慈溪市庚电器有限公司", town="周巷镇", industry="智能家电", above_scale=True,
                       status="deregistered", status_changed_on=date(2015, 3, 1)),
    }
    rec = make.recognition
    A, B, C, D, E, F = (firms[k] for k in "ABCDEF")
    for year in (2008, 2011, 2014):
        rec(A, "high_tech", year)
    rec(B, "high_tech", 2010)
    rec(B, "high_tech", 2013, status="revoked", revoked_on=date(2014, 6, 30))
    rec(B, "high_tech", 2016)
    rec(C, "high_tech", 2012, valid_from=date(2012, 10, 15), valid_until=date(2015, 10, 14))
    rec(C, "high_tech", 2015, valid_from=date(2015, 11, 20), valid_until=date(2018, 11, 19))
    rec(D, "high_tech", 2009)
    rec(D, "high_tech", 2016, status="revoked")
    rec(E, "high_tech", 2014)
    rec(E, "high_tech", 2015)
    rec(F, "high_tech", 2016)
    for firm, year in ((A, 2015), (A, 2016), (B, 2016), (E, 2016)):
        rec(firm, "tech_sme", year)
    rec(E, "nb_startup", 2014)
    rec(D, "eaglet", 2013)
    rec(D, "gazelle", 2015)
    rec(A, "lead_goose", 2016)

    def institution(firm, name, path, **kw):
        inst = RdInstitution(firm=firm, name=name, type="企业技术中心", level=path[-1][0] if path
                             else kw.pop("level"), **kw)
        previous = None
        for level, year in path:
            inst.level_changes.append(RdLevelChange(
                kind="promotion" if previous else "initial", from_level=previous, to_level=level,
                year=year))
            previous = level
        s.add(inst)

    institution(A, "甲一中心", [("cixi", 2010), ("ningbo", 2013), ("provincial", 2016)])
    institution(A, "甲二中心", [("ningbo", 2012)])
    institution(B, "乙中心", [("cixi", 2011)], status="revoked", closed_year=2015)
    institution(C, "丙中心", [("provincial", 2014), ("national", 2017)])
    institution(D, "丁中心", [("cixi", 2016)])
    institution(E, "戊中心", [], level="national", first_recognised_year=2015, recognised_year=2015)
    institution(F, "己中心", [("cixi", 2012)], status="closed")

    def team(firm, name, year, members, **kw):
        t = Team(firm=firm, name=name, recognised_year=year, **kw)
        for title, joined, left in members:
            t.members.append(TeamMember(name=f"{name}{len(t.members)}", title=title,
                                        title_grade=title_grade(title) if title else None,
                                        joined_year=joined, left_year=left))
        s.add(t)

    team(A, "甲团队", 2012, [("正高级工程师", 2012, None), ("高级工程师", 2012, None),
                           ("副教授", 2013, None), ("工程师", None, None),
                           ("高级工程师", 2012, 2014), ("研究员", 2017, None)],
         level="ningbo", ningbo_year=2015, projects_in_progress=3)
    team(C, "丙团队", 2014, [("研究员", 2014, None), ("助理工程师", 2014, None), (None, 2014, None)],
         projects_in_progress=2)
    team(B, "乙团队", 2013, [("教授", 2013, None), ("高级工程师", 2013, None)],
         status="exit", exit_year=2015, projects_in_progress=0)
    team(D, "丁团队", 2016, [("高级工程师", 2016, None)], projects_in_progress=1)
    s.flush()
    return firms


def zeros_by_year(first: int, last: int) -> dict:
    return {str(y): 0 for y in range(first, last + 1)}


#: zone → the figures for 2016 (programmes keyed by code; the test maps codes to names).
EXPECTED_2016 = {
    "all": {
        "programmes": {"high_tech": (3, 6, 5), "tech_sme": (3, 3, 3), "nb_startup": (0, 1, 1),
                       "eaglet": (0, 1, 0), "gazelle": (0, 1, 1), "lead_goose": (1, 1, 1)},
        "high_tech_valid_by_year": {"2008": 1, "2009": 2, "2010": 3, "2011": 3, "2012": 3,
                                    "2013": 3, "2014": 3, "2015": 3, "2016": 5},
        "rd_institutions": {"国家级": 1, "省级": 2, "宁波市级": 1, "慈溪市级": 1, "total": 5},
        "rd_institution_rate": 0.5,
        "teams": {"cumulative": 4, "active": 3, "ningbo_level": 1, "members": 8,
                  "senior_members": 5, "zhenggao": 2, "fugao": 3, "projects_in_progress": 6},
    },
    "exclude-new-area": {
        "programmes": {"high_tech": (3, 4, 3), "tech_sme": (2, 2, 2), "nb_startup": (0, 0, 0),
                       "eaglet": (0, 1, 0), "gazelle": (0, 1, 1), "lead_goose": (1, 1, 1)},
        "high_tech_valid_by_year": {"2008": 1, "2009": 2, "2010": 3, "2011": 3, "2012": 2,
                                    "2013": 2, "2014": 1, "2015": 1, "2016": 3},
        "rd_institutions": {"国家级": 0, "省级": 1, "宁波市级": 1, "慈溪市级": 1, "total": 3},
        "rd_institution_rate": 0.3333,
        "teams": {"cumulative": 3, "active": 2, "ningbo_level": 1, "members": 5,
                  "senior_members": 4, "zhenggao": 1, "fugao": 3, "projects_in_progress": 4},
    },
    "new-area": {
        "programmes": {"high_tech": (0, 2, 2), "tech_sme": (1, 1, 1), "nb_startup": (0, 1, 1),
                       "eaglet": (0, 0, 0), "gazelle": (0, 0, 0), "lead_goose": (0, 0, 0)},
        "high_tech_valid_by_year": {"2008": 0, "2009": 0, "2010": 0, "2011": 0, "2012": 1,
                                    "2013": 1, "2014": 2, "2015": 2, "2016": 2},
        "rd_institutions": {"国家级": 1, "省级": 1, "宁波市级": 0, "慈溪市级": 0, "total": 2},
        "rd_institution_rate": 1.0,
        "teams": {"cumulative": 1, "active": 1, "ningbo_level": 0, "members": 3,
                  "senior_members": 1, "zhenggao": 1, "fugao": 0, "projects_in_progress": 2},
    },
}
