"""Demo R&D institutions (研发机构, with their 晋级 history) and innovation teams (团队).

Institutions follow level paths climbed one level at a time (慈溪市级 → 宁波市级 → 省级
→ 国家级), each step two to four years after the last, with the notice's 文号 shared by
everything recognised at that level in that year. Teams sit in firms with strong
institutions; members' grades come from ``registry.teams.titles.title_grade``.
"""
from __future__ import annotations

from registry.demo.base import LAST_YEAR, Demo, FirmPlan
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.teams.models import Team, TeamEvaluation, TeamMember
from registry.teams.titles import title_grade
from registry.vocab import LEVELS

# Level paths from first recognition to today, and how many institutions took each.
PATHS = (
    (("ningbo", "provincial", "national"), 1),
    (("provincial", "national"), 1),
    (("cixi", "ningbo", "provincial"), 2),
    (("ningbo", "provincial"), 5),
    (("provincial",), 8),
    (("cixi", "ningbo"), 10),
    (("ningbo",), 20),
    (("cixi",), 53),
)
# Types an institution can have at its current level, with weights.
TYPES = {
    "national": {"企业技术中心": 1},
    "provincial": {"企业技术中心": 4, "省级高新技术企业研发中心": 6, "省级企业研究院": 3,
                   "重点企业研究院": 1, "博士后工作站": 1},
    "ningbo": {"企业工程（技术）中心": 8, "企业技术中心": 2, "院士工作站": 1},
    "cixi": {"企业工程（技术）中心": 1},
}
NAMES = {
    ("national", "企业技术中心"): "{short}国家认定企业技术中心",
    ("provincial", "企业技术中心"): "浙江省{short}企业技术中心",
    ("provincial", "省级高新技术企业研发中心"): "浙江省{brand}{domain}高新技术企业研究开发中心",
    ("provincial", "省级企业研究院"): "浙江省{brand}{domain}研究院",
    ("provincial", "重点企业研究院"): "浙江省{brand}{domain}重点企业研究院",
    ("provincial", "博士后工作站"): "浙江省{short}博士后工作站",
    ("ningbo", "企业工程（技术）中心"): "宁波市{brand}{domain}工程（技术）中心",
    ("ningbo", "企业技术中心"): "宁波市{short}企业技术中心",
    ("ningbo", "院士工作站"): "宁波市{short}院士工作站",
    ("cixi", "企业工程（技术）中心"): "慈溪市{brand}{domain}工程技术中心",
}
ISSUERS = {"cixi": "慈科", "ningbo": "甬科计", "provincial": "浙科发高", "national": "发改高技"}
REVOKED_INSTITUTIONS = 2

TEAMS_PER_YEAR = {2011: 3, 2012: 3, 2013: 4, 2014: 4, 2015: 4, 2016: 4}
NINGBO_TEAMS, FAILED_TEAMS = 5, 2
LEADER_TITLES = {"正高级工程师": 4, "教授": 2, "研究员": 1, "高级工程师": 2}
CORE_TITLES = {"正高级工程师": 1, "教授": 1, "研究员": 1, "高级工程师": 4, "副教授": 2, "副研究员": 2}
MEMBER_TITLES = {"高级工程师": 3, "工程师": 4, "助理工程师": 2, "副教授": 1, "副研究员": 1, None: 1}
# Education by title: academics mostly hold doctorates, junior engineers a degree or diploma.
EDUCATION = {
    "academic": {"博士": 8, "硕士": 2},
    "senior": {"博士": 3, "硕士": 4, "本科": 3},
    "engineer": {"博士": 1, "硕士": 4, "本科": 5},
    "junior": {"硕士": 1, "本科": 6, "大专": 3},
}
ACADEMIC_TITLES = ("教授", "研究员", "副教授", "副研究员")
RESULTS = {"excellent": 25, "good": 45, "pass": 30}
COMMENTS = {"excellent": "团队建设成效显著，考核优秀。", "fail": "未完成年度目标任务，考核不合格。"}


def _choice(rng, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def make_institutions(demo: Demo) -> list[RdInstitution]:
    """About 100 institutions: 国家级 2, 省级 15, 宁波市级 30, the rest 慈溪市级."""
    rng, rows, hosts, docs = demo.rng, [], {}, {}
    alive = [p for p in demo.plans if p.alive(LAST_YEAR) and p.rev(LAST_YEAR) > 0]
    for path, count in PATHS:
        top = path[-1]
        for _ in range(count):
            years = [rng.randint(2011, LAST_YEAR) if len(path) > 1 else
                     rng.randint(2004 if top != "cixi" else 2008, LAST_YEAR)]
            for _step in path[1:]:
                years.insert(0, years[0] - rng.randint(2, 4))
            plan = _host(demo, alive, hosts, path, years[0])
            kind = _choice(rng, TYPES[top])
            if top == "provincial" and len(path) > 1:
                kind = rng.choice(("企业技术中心", "省级高新技术企业研发中心"))
            elif plan in hosts:  # a national centre's firm adds a provincial 研究院
                kind = rng.choice(("省级企业研究院", "重点企业研究院"))
            name = NAMES[(top, kind)].format(short=plan.brand + plan.kind.word, brand=plan.brand,
                                             domain=plan.kind.domain)
            inst = RdInstitution(firm=plan.firm, name=name, type=kind, level=top, status="active",
                                 first_recognised_year=years[0], recognised_year=years[-1])
            previous = None
            for level, year in zip(path, years):
                if (level, year) not in docs:  # one notice per level and year
                    docs[(level, year)] = demo.docs.next(ISSUERS[level], year)
                inst.level_changes.append(RdLevelChange(
                    kind="promotion" if previous else "initial", from_level=previous, to_level=level,
                    year=year, document_no=docs[(level, year)],
                    note=f"由{LEVELS[previous]}晋级为{LEVELS[level]}" if previous else None))
                previous = level
            inst.document_no = inst.level_changes[-1].document_no
            hosts.setdefault(plan, []).append(inst)
            plan.busy = True
            rows.append(inst)
    for inst in demo.pick([i for i in rows if i.level == "cixi" and i.recognised_year <= 2013],
                          REVOKED_INSTITUTIONS):
        inst.status, inst.closed_year = "revoked", rng.randint(2015, LAST_YEAR)
        inst.note = "年度绩效评价不合格，撤销认定。"
    demo.institutions_of = hosts
    return rows


def _host(demo: Demo, alive: list[FirmPlan], hosts: dict, path: tuple,
          first_year: int) -> FirmPlan:
    """A firm old and strong enough for the level; a national host may add a 省级 研究院."""
    level = path[-1]

    def strong(p):
        return p.rev(LAST_YEAR) >= 2000 and bool(p.ht_years)

    if level in ("national", "provincial"):
        pool = [p for p in alive if strong(p) and (level == "provincial" or not p.new_area)]
        weight = lambda p: 1 + p.rev(LAST_YEAR) / 20_000  # noqa: E731
    elif level == "ningbo":
        pool = [p for p in alive if p.rev(LAST_YEAR) >= 800]
        weight = lambda p: 3 if strong(p) or p.firm.above_scale else 1  # noqa: E731
    else:
        pool = alive
        weight = lambda p: 2 if p.firm.above_scale or p.ht_years else 1  # noqa: E731
    national = [p for p in hosts if len(hosts[p]) == 1 and hosts[p][0].level == "national"]
    if path == ("provincial",) and national and demo.rng.random() < 0.5:
        return national[0]
    old_enough = [p for p in alive if p not in hosts and p.founded.year <= first_year - 2]
    ok = {id(p) for p in old_enough}
    return demo.pick([p for p in pool if id(p) in ok] or old_enough, 1, weight)[0]


def make_teams(demo: Demo) -> list[Team]:
    """22 teams recognised 2011–2016, preferring firms with the strongest institutions."""
    rng, teams = demo.rng, []
    institutions = demo.institutions_of
    rank = {"national": 4, "provincial": 4, "ningbo": 2, "cixi": 1}
    for year, count in TEAMS_PER_YEAR.items():
        pool = [p for p in demo.plans if p.alive(LAST_YEAR) and p.age(year) >= 3
                and all(t.firm is not p.firm for t in teams)
                and (p in institutions or year in p.ht_years)]
        best = lambda p: max([rank[i.level] for i in institutions.get(p, [])] or [0.5])  # noqa: E731
        for plan in demo.pick(pool, count, best):
            plan.busy = True
            teams.append(_team(demo, plan, year))
    _evaluate(demo, teams)
    return teams


def _team(demo: Demo, plan: FirmPlan, year: int) -> Team:
    rng = demo.rng
    team = Team(firm=plan.firm, name=f"{plan.brand}{plan.kind.topic}创新团队",
                field=plan.kind.topic, level="cixi", recognised_year=year,
                projects_in_progress=rng.randint(1, 4), status="active")
    size = rng.randint(5, 9)
    roles = ["leader"] + ["core"] * rng.randint(2, 3)
    roles += ["member"] * (size - len(roles))
    for role in roles:
        title = _choice(rng, LEADER_TITLES if role == "leader" else CORE_TITLES if role == "core"
                        else MEMBER_TITLES)
        joined = year if role == "leader" or rng.random() < 0.8 else rng.randint(year, LAST_YEAR)
        left = (rng.randint(joined + 1, LAST_YEAR) if role != "leader" and joined < LAST_YEAR
                and rng.random() < 0.1 else None)
        background = ("academic" if title in ACADEMIC_TITLES
                      else "senior" if title in ("正高级工程师", "高级工程师")
                      else "engineer" if title == "工程师" else "junior")
        team.members.append(TeamMember(
            name=demo.people.new(), title=title, title_grade=title_grade(title), role=role,
            education=_choice(rng, EDUCATION[background]), joined_year=joined, left_year=left))
    team.leader_name = team.members[0].name
    return team


def _evaluate(demo: Demo, teams: list[Team]) -> None:
    """Yearly 考核 from the year after recognition; a 不合格 ends the team (动态管理)."""
    rng = demo.rng
    failing = demo.pick([t for t in teams if t.recognised_year <= 2014], FAILED_TEAMS)
    for team in failing:
        team.status, team.exit_year = "exit", rng.randint(team.recognised_year + 1, LAST_YEAR)
        team.exit_reason, team.projects_in_progress = "年度考核不合格，按动态管理规定退出培育。", 0
    for team in demo.pick([t for t in teams if t.status == "active" and t.recognised_year <= 2015],
                          NINGBO_TEAMS):
        team.level, team.ningbo_year = "ningbo", rng.randint(team.recognised_year + 1, LAST_YEAR)
        team.projects_in_progress += 1
    for team in teams:
        for year in range(team.recognised_year + 1, (team.exit_year or LAST_YEAR) + 1):
            result = "fail" if year == team.exit_year else _choice(rng, RESULTS)
            team.evaluations.append(TeamEvaluation(year=year, result=result,
                                                   comment=COMMENTS.get(result)))
