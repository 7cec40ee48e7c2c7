"""Demo 科技计划项目 (with their 过程跟踪) and 科技奖励, drawn from the run's RNG.

Projects go mostly to firms with R&D institutions (the stronger the institution, the
higher the plan), two or three years long, with a mid-term check, a progress milestone and
— once finished — an acceptance whose result is also on the project. Awards often crown a
finished project of the same firm. Nothing here reads the clock: everything happens by the
end of the demo's last year, and every row passes the same rules the forms apply (no
project or award before the firm was founded, end never before start).
"""
from __future__ import annotations

from datetime import date

from registry.awards.models import Award
from registry.demo.base import LAST_YEAR, Demo, money
from registry.projects.models import Project, ProjectMilestone
from registry.vocab import LEVEL_RANK

FIRST_START = 2009
#: How many projects of each level, their funding range (万元) and the share the firm leads.
PROJECTS = {"national": (16, (120, 800), 0.5), "provincial": (30, (50, 300), 0.8),
            "ningbo": (46, (30, 200), 0.85), "cixi": (60, (10, 50), 0.95)}
PLANS = {
    "national": (("国家高技术研究发展计划（863计划）", 2009, 2015), ("国家科技支撑计划", 2009, 2015),
                 ("国家重点研发计划", 2016, 2016), ("国家火炬计划", 2009, 2014),
                 ("科技型中小企业技术创新基金", 2009, 2015)),
    "provincial": (("浙江省重大科技专项", 2009, 2016), ("浙江省公益技术研究计划", 2009, 2016),
                   ("浙江省重点研发计划", 2015, 2016)),
    "ningbo": (("宁波市重大科技专项", 2009, 2016), ("宁波市工业攻关项目", 2009, 2016),
               ("宁波市科技创新2025重大专项", 2016, 2016)),
    "cixi": (("慈溪市科技计划项目", 2009, 2016), ("慈溪市重大科技专项", 2012, 2016)),
}
SUFFIXES = ("关键技术研究及产业化", "研发与示范应用", "关键共性技术攻关", "集成创新及产业化", "新产品开发",
            "工艺优化与中试")
AWARDS = {"national": (2, "国家科学技术进步奖", {"second": 1}, (2, 5)),
          "provincial": (10, "浙江省科学技术奖", {"first": 2, "second": 4, "third": 4}, (1, 3)),
          "ningbo": (18, "宁波市科学技术奖", {"first": 3, "second": 6, "third": 9}, (1, 2)),
          "cixi": (12, "慈溪市科学技术奖", {"first": 3, "second": 4, "third": 5}, (1, 1))}


def _weighted(rng, table: dict) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def _number(rng, level: str, year: int) -> str:
    n = rng.randint(1, 999)
    return {"national": f"{year}YF{rng.choice('ABCD')}{rng.randint(100, 999)}{n:03d}",
            "provincial": f"{year}C0{rng.randint(1000, 9999)}", "ningbo": f"{year}B1{n:04d}",
            "cixi": f"CK{year}{n:03d}"}[level]


def _strength(demo: Demo, plan) -> int:
    """Best institution level of the firm as 4 (国家级) … 1 (慈溪市级); 0 without one."""
    ranks = [LEVEL_RANK[i.level] for i in demo.institutions_of.get(plan, [])]
    return 5 - min(ranks) if ranks else 0


def make_projects(demo: Demo) -> list[Project]:
    rng = demo.rng
    out, taken = [], set()
    for level, (count, (low, high), lead_share) in PROJECTS.items():
        need = 4 - LEVEL_RANK[level]  # a national project wants a strong host
        weak = 0.2 if need < 2 else 0.01  # national and provincial plans go to firms with institutions
        hosts = demo.pick(demo.plans, count * 2,
                          weight=lambda p: (1 + _strength(demo, p)) ** 2 if _strength(demo, p) >= need else weak)
        for plan in hosts:
            if sum(1 for p in out if p.level == level) >= count:
                break
            first = max(FIRST_START, plan.founded.year + 1)
            last = min(LAST_YEAR, plan.last_year)
            if first > last:
                continue
            start = rng.randint(first, last)
            plans = [name for name, a, b in PLANS[level] if a <= start <= b]
            name = plan.kind.topic + rng.choice(SUFFIXES)
            if not plans or (plan.firm, name, start) in taken:
                continue
            taken.add((plan.firm, name, start))
            out.append(_project(demo, plan, level, start, rng.choice(plans), name, low, high, lead_share))
    return out


def _project(demo: Demo, plan, level, start, plan_name, name, low, high, lead_share) -> Project:
    rng = demo.rng
    end = start + rng.choice((2, 2, 3))
    p = Project(firm=plan.firm, name=name, plan=plan_name, level=level, project_no=_number(rng, level, start),
                role="lead" if rng.random() < lead_share else "participant", start_year=start, end_year=end,
                funding=money(round(rng.uniform(low, high) * 2) / 2), status="in_progress")
    p.milestones.append(ProjectMilestone(kind="milestone", title="样机（小试）完成", due_on=date(start + 1, 6, 30),
                                         done_on=_done(rng, date(start + 1, 6, 30))))
    mid = date(start + 1, 12, 15)
    done = _done(rng, mid)
    p.milestones.append(ProjectMilestone(kind="midterm", title="中期检查", due_on=mid, done_on=done,
                                         result=(_weighted(rng, {"passed": 8, "excellent": 2}) if done else None)))
    due = date(end, 12, 20)
    if end < LAST_YEAR or (end == LAST_YEAR and rng.random() < 0.5):
        if rng.random() < 0.04:
            p.status, p.note = "terminated", "企业主动申请终止，经主管部门同意"
            return p
        result = _weighted(rng, {"passed": 7, "excellent": 2, "failed": 1})
        p.milestones.append(ProjectMilestone(kind="acceptance", title="结题验收", due_on=due, done_on=due,
                                             result=result))
        p.acceptance_year, p.acceptance_result = end, result
        p.status = "completed" if result != "failed" else "in_progress"
        if result == "failed":
            p.note = "验收未通过，整改后重新申请验收"
    else:
        p.milestones.append(ProjectMilestone(kind="acceptance", title="结题验收", due_on=due))
    return p


def _done(rng, due: date) -> date | None:
    """A step due by the demo's last day was done around then; a later one not yet."""
    if due > date(LAST_YEAR, 12, 31):
        return None
    done = date(due.year, due.month, min(28, due.day))
    return done if rng.random() < 0.9 else date(due.year, due.month, 1)


def make_awards(demo: Demo, projects: list[Project]) -> list[Award]:
    rng = demo.rng
    finished = {}
    for p in projects:
        if p.status == "completed":
            finished.setdefault(p.level, []).append(p)
    out, taken = [], set()
    for level, (count, award, grades, (rank_low, rank_high)) in AWARDS.items():
        candidates = list(finished.get(level, [])) + list(finished.get("ningbo" if level == "cixi" else level, []))
        for _ in range(count * 3):
            if sum(1 for a in out if a.level == level) >= count:
                break
            if candidates and rng.random() < 0.7:
                p = rng.choice(candidates)
                firm, founded, title, year = p.firm, demo.plan_of[p.firm].founded, p.name, (p.acceptance_year or 2016) + 1
            else:
                plan = rng.choice(demo.plans)
                firm, founded, title = plan.firm, plan.founded, plan.kind.topic + rng.choice(SUFFIXES)
                year = rng.randint(2011, LAST_YEAR)
            year = min(year, LAST_YEAR, demo.plan_of[firm].last_year)
            if year < founded.year + 2 or (firm, title, award, year) in taken:
                continue
            taken.add((firm, title, award, year))
            out.append(Award(firm=firm, project_name=title, award=award, level=level, grade=_weighted(rng, grades),
                             year=year, firm_rank=rng.randint(rank_low, rank_high)))
    return out
