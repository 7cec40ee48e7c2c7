"""The figures as the bureau writes them in its reports, ready to copy into a document.

Modelled on the bureau's own paragraph ("截止2016年底，全市共有高新技术企业136家（不含新区
40家），比2011年增加61家；累计培育宁波创新型初创企业1084家 …"). Every number comes from
``compute``'s JSON; for the whole city the 杭州湾新区 share is taken from its by-town entry,
so "含/不含新区" needs no second computation. A programme or town missing from the
reference data simply drops its clause.
"""
from __future__ import annotations

from registry.projects.stats import summary_sentence as archive_sentence
from registry.vouchers.stats import finance_sentence
from registry.reference import programmes, towns
from registry.stats.services import ALL, EXCLUDE_NEW_AREA, NEW_AREA
from registry.vocab import ZONE_NEW_AREA

BASE_YEAR = 2011  # the bureau compares with the start of the 12th five-year plan


def _place(zone: str) -> str:
    return {ALL: "全市", EXCLUDE_NEW_AREA: "全市（不含杭州湾新区）", NEW_AREA: "杭州湾新区"}.get(zone, zone)


def _change(now: int, before: int, year: int) -> str:
    diff = now - before
    if diff > 0:
        return f"比{year}年增加{diff}家"
    if diff < 0:
        return f"比{year}年减少{-diff}家"
    return f"与{year}年持平"


def high_tech_change(stats: dict) -> dict | None:
    """{"name", "base", "diff"}: 高企 now against 2011 (or the year before), for the tile."""
    name = next((p.short_name for p in programmes() if p.code == "high_tech"), None)
    series, year = stats["high_tech_valid_by_year"], stats["year"]
    base = BASE_YEAR if year > BASE_YEAR and str(BASE_YEAR) in series else year - 1
    if name is None or str(base) not in series or str(year) not in series:
        return None
    return {"name": name, "base": base, "diff": series[str(year)] - series[str(base)]}


def summary_text(stats: dict) -> str:
    """One paragraph in the bureau's phrasing with the figures of ``stats``."""
    year, zone = stats["year"], stats["zone"]
    place = _place(zone)
    names = {p.code: p.short_name for p in programmes()}
    progs = stats["programmes"]

    def fig(code, key):
        return progs.get(names.get(code), {}).get(key)

    new_area = next((t.name for t in towns() if t.zone == ZONE_NEW_AREA), None)
    new_part = stats["by_town"].get(new_area) if zone == ALL and new_area else None
    parts = []

    high_tech = fig("high_tech", "valid")
    if high_tech is not None:
        text = f"截止{year}年底，{place}共有高新技术企业{high_tech}家"
        if new_part:
            inside = new_part["programmes"][names["high_tech"]]["valid"]
            text += f"（其中杭州湾新区{inside}家，不含新区{high_tech - inside}家）"
        series = stats["high_tech_valid_by_year"]
        base = BASE_YEAR if year > BASE_YEAR and str(BASE_YEAR) in series else year - 1
        if str(base) in series:
            text += "，" + _change(high_tech, series[str(base)], base)
        recognized = fig("high_tech", "recognized")
        parts.append(text + f"，当年新认定（含重新认定）{recognized}家")
    else:
        parts.append(f"截止{year}年底")

    ladder = []
    for code, label in (("nb_startup", "宁波市创新型初创企业"), ("eaglet", "市级创新型“雏鹰”企业"),
                        ("gazelle", "“瞪羚”企业"), ("lead_goose", "“头雁”企业")):
        n = fig(code, "cumulative")
        if n is not None:
            ladder.append(f"{label}{n}家")
    if ladder:
        parts.append("累计培育" + "，".join(ladder))
    sme = fig("tech_sme", "valid")
    if sme is not None:
        parts.append(f"入库科技型中小企业{sme}家")

    inst = stats["rd_institutions"]
    text = (f"{place}共有企业研发机构{inst['total']}家，其中国家级{inst['国家级']}家、"
            f"省级{inst['省级']}家、宁波市级{inst['宁波市级']}家、慈溪市级{inst['慈溪市级']}家")
    if new_part:
        text += f"（不含新区{inst['total'] - new_part['rd_institutions']['total']}家）"
    rate = stats["rd_institution_rate"] * 100
    text += f"，规上企业研发机构设置率{rate:.1f}%"
    if zone == EXCLUDE_NEW_AREA:
        text += "（以上为不含新区数据）"
    teams = stats["teams"]
    team_text = (f"共培育市级科技创新团队{teams['cumulative']}个（目前在培{teams['active']}个），"
                 f"集聚副高以上人才{teams['senior_members']}人（其中正高{teams['zhenggao']}人），"
                 f"在研项目{teams['projects_in_progress']}项；"
                 f"有{teams['ningbo_level']}个团队入选宁波市级科技创新团队")
    return "；".join(parts) + "。" + text + "。" + team_text + "。" + archive_sentence(stats) \
        + finance_sentence(stats)
