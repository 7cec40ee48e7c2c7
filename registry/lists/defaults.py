"""The criteria the registry ships for 2016: sensible defaults, not law.

Every year the bureau's notice sets its own thresholds; an admin edits the year's criteria
on the 评定条件 page (or copies last year's and changes what moved). These defaults give a
new installation something reasonable to screen with:

* 雏鹰 — young, small, already spending on R&D: 成立1–8年, 营业收入100–3000万元, 研发费用
  占比≥3%, 不在杭州湾新区 (the new area runs its own ladder), and not already a 雏鹰.
* 瞪羚 — fast growth: 成立≤12年, 营业收入2000–30000万元, 近2年复合增长率≥15%, 研发费用
  占比≥3%, 不在新区. A past 雏鹰 is not required (most 瞪羚 were one; the page can add it).
* 头雁 — the leaders: 营业收入≥2亿元, 持有有效高新技术企业证书, 研发费用占比≥3%, 不在新区.
* 高新技术企业 — the national ratios (国科发火〔2016〕32号): 研发费用占营业收入 5% / 4% / 3%
  for revenue under 5000万元 / 5000万–2亿元 / over 2亿元 (the law takes three years'
  totals; the registry checks the data year), 高新技术产品收入≥60%, 科技人员≥10%,
  registered at least one year.
* 科技型中小企业 — the national evaluation (国科发政〔2017〕115号): 职工≤500人, 营业收入≤2亿元,
  and a rubric — 科技人员占比 20分, 研发投入 50分 (the better of R&D/营业收入 and R&D/成本
  费用总额), 知识产权 30分 — passing at 60 with a non-zero 科技人员 score; 直通车 for a firm
  holding a valid 高企 certificate or a provincial-or-higher R&D institution.
"""
from __future__ import annotations

from sqlalchemy import select

from registry.audit.services import record
from registry.extensions import db
from registry.lists.models import CriteriaSet, Criterion
from registry.recognitions.models import Programme

DEFAULT_YEAR = 2016
NOT_NEW_AREA = ("location", "required", "不在杭州湾新区", {"zone": "cixi"})
RD_3 = ("rd_intensity", "required", "研发费用占营业收入比例", {"min": 3})

TECH_SME_RUBRIC = {
    "pass_mark": 60,
    "items": [
        {"label": "科技人员", "mandatory": True, "options": [
            {"metric": "tech_staff_share", "bands": [[10, 4], [15, 8], [20, 12], [25, 16], [30, 20]]}]},
        {"label": "研发投入", "mandatory": False, "options": [
            {"metric": "rd_intensity", "bands": [[2, 10], [3, 20], [4, 30], [5, 40], [6, 50]]},
            {"metric": "rd_cost_share", "bands": [[10, 10], [15, 20], [20, 30], [25, 40], [30, 50]]}]},
        {"label": "知识产权", "mandatory": False, "options": [
            {"metric": "invention_patents", "bands": [[1, 30]]},
            {"metric": "other_ip", "bands": [[1, 6], [2, 12], [3, 18], [4, 24]]}]},
    ],
}

DEFAULTS: dict[str, list[tuple]] = {
    "eaglet": [
        ("firm_age", "required", "成立年限", {"min": 1, "max": 8}),
        ("revenue", "required", "营业收入", {"min": 100, "max": 3000}),
        RD_3,
        NOT_NEW_AREA,
        ("holds_programme", "required", "未曾认定为雏鹰企业", {"programme": "eaglet", "mode": "not_held"}),
    ],
    "gazelle": [
        ("firm_age", "required", "成立年限", {"max": 12}),
        ("revenue", "required", "营业收入", {"min": 2000, "max": 30000}),
        ("revenue_growth", "required", "营业收入复合增长率", {"years": 2, "min": 15}),
        RD_3,
        NOT_NEW_AREA,
        ("holds_programme", "required", "不持有有效瞪羚认定", {"programme": "gazelle", "mode": "not_holds"}),
    ],
    "lead_goose": [
        ("revenue", "required", "营业收入", {"min": 20000}),
        ("holds_programme", "required", "持有有效高新技术企业证书", {"programme": "high_tech", "mode": "holds"}),
        RD_3,
        NOT_NEW_AREA,
        ("holds_programme", "required", "不持有有效头雁认定", {"programme": "lead_goose", "mode": "not_holds"}),
    ],
    "high_tech": [
        ("firm_age", "required", "注册成立一年以上", {"min": 1}),
        ("rd_intensity", "required", "研发费用占营业收入比例（按收入分档）",
         {"bands": [{"below": 5000, "min": 5}, {"below": 20000, "min": 4}, {"min": 3}]}),
        ("high_tech_revenue_share", "required", "高新技术产品收入占比", {"min": 60}),
        ("tech_staff_share", "required", "科技人员占比", {"min": 10}),
    ],
    "tech_sme": [
        ("employees", "required", "职工总数", {"max": 500}),
        ("revenue", "required", "年销售收入", {"max": 20000}),
        ("rubric", "required", "科技型中小企业评价", TECH_SME_RUBRIC),
        ("holds_programme", "direct", "有效期内的高新技术企业", {"programme": "high_tech", "mode": "holds"}),
        ("rd_institution", "direct", "省级及以上研发机构", {"level": "provincial"}),
    ],
}
NOTE = ("系统预置的{year}年度默认条件（参照往年通知整理，仅供参考，不是政策原文）；"
        "请按当年正式通知核对修改。")


def seed_default_criteria(actor, year: int = DEFAULT_YEAR) -> list[CriteriaSet]:
    """Write the default criteria for ``year`` for every programme that has none yet.

    Idempotent: a programme whose criteria for the year exist (edited or not) is left alone.
    The demo loader and ``flask lists seed-criteria`` call this; it flushes, never commits.
    """
    programmes = {p.code: p for p in db.session.scalars(select(Programme))}
    taken = set(db.session.scalars(select(CriteriaSet.programme_id).where(CriteriaSet.year == year)))
    made = []
    for code, rows in DEFAULTS.items():
        programme = programmes.get(code)
        if programme is None or programme.id in taken:
            continue
        cset = CriteriaSet(programme=programme, year=year, data_year=year - 1, is_default=True,
                           note=NOTE.format(year=year), updated_by_id=getattr(actor, "id", None))
        cset.criteria = [Criterion(seq=i, kind=kind, role=role, label=label, params=dict(params))
                         for i, (kind, role, label, params) in enumerate(rows, start=1)]
        db.session.add(cset)
        db.session.flush()
        record(actor, "create", "criteria_set", cset.id,
               summary=f"载入{year}年度{programme.short_name}默认评定条件",
               after={"programme": code, "year": year, "criteria": len(rows)})
        made.append(cset)
    return made
