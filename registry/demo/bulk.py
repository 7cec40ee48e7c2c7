"""A large synthetic registry written fast: N firms with Y years of history, for benchmarks.

The hand-tuned demo (``registry.demo.services``) builds ORM objects for ~400 firms; at
100,000 firms that would take minutes. Here rows are plain dicts written with Core bulk
INSERTs (COPY on PostgreSQL), a few thousand firms at a time so memory stays flat, with
explicit ids so children can point at their parents without a round trip. The shape
follows the bureau's proportions: ~10% of firms in 杭州湾新区, a quarter holding a 高企
certificate renewed every three years (some revoked), yearly 科技型中小企业 lists, the
雏鹰→瞪羚→头雁 ladder, R&D institutions promoted level by level, teams with members of
mixed titles, and one annual-data row per firm and year. One seed, one dataset.

Like every service it writes in the caller's transaction and never commits.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select, text

from registry.demo.names import BRAND_BLACKLIST, GIVEN_F, GIVEN_M, KINDS, SURNAMES, address
from registry.extensions import db
from registry.firms.models import AnnualData, Firm, FirmName, Industry, Town
from registry.firms.uscc import make_uscc
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions import holdings
from registry.recognitions.models import Programme, Recognition
from registry.teams.models import Team, TeamMember
from registry.timeutil import utcnow

CHUNK = 5000  # firms generated and written per round
LEVEL_PATH = ("cixi", "ningbo", "provincial", "national")
TITLES = (("正高级工程师", "senior"), ("高级工程师", "associate"), ("副教授", "associate"),
          ("工程师", "intermediate"), ("助理工程师", "junior"), (None, None))
TITLE_WEIGHTS = (2, 4, 1, 4, 2, 1)
# Brand characters for 100,000 distinct names (the hand-made demo's 30×30 brands are too few).
BRAND_CHARS = ("澜骁睿嘉霆晟朗启锐恒铭煦祺瑾岳钦珩璐琛洛弘淳湄瀚逸聿皓濠铂蓝杰华康安永信",
               "泰丰盛禾源鑫达诚宇耀越凯川盈昊港润宏晨拓峥谦阳嵘德捷麒甬浦顺利和光辉")
INSTITUTION_TYPES = ("企业技术中心", "企业工程（技术）中心", "企业研究院")
CITIES = (("慈溪市", 80), ("宁波", 12), ("浙江", 8))
FORMS = (("有限公司", 85), ("股份有限公司", 10), ("集团有限公司", 5))
TABLES = {name: model.__table__ for name, model in (
    ("firms", Firm), ("former", FirmName), ("recognitions", Recognition), ("annual", AnnualData),
    ("institutions", RdInstitution), ("changes", RdLevelChange), ("teams", Team),
    ("members", TeamMember))}


def load_bulk(firms: int = 100_000, years: int = 10, *, last_year: int = 2016,
              seed: int = 2016, annual: bool = True) -> dict:
    """Write ``firms`` firms with ``years`` years (up to ``last_year``) of history.

    Returns the row counts by table name. Appends to whatever the database holds.
    """
    gen = _Generator(firms, years, last_year, seed)
    counts = dict.fromkeys(TABLES, 0)
    for start in range(0, firms, CHUNK):
        rows = gen.chunk(start, min(firms, start + CHUNK), annual)
        for name, table_rows in rows.items():
            _insert(TABLES[name], table_rows)
            counts[name] += len(table_rows)
    _fix_sequences()
    holdings.rebuild(db.session.connection())  # Core inserts pass the ORM's hooks by
    return counts


class _Generator:
    def __init__(self, firms: int, years: int, last_year: int, seed: int):
        session = db.session
        self.rng = random.Random(seed)
        self.first_year, self.last_year = last_year - years + 1, last_year
        towns = list(session.scalars(select(Town).order_by(Town.sort_order)))
        self.new_area = [t.id for t in towns if t.zone == "new_area"]
        self.cixi = [t.id for t in towns if t.zone != "new_area"]
        self.industries = {i.name: i.id for i in session.scalars(select(Industry))}
        self.town_names = {t.id: t.name for t in towns}
        self.names = set(session.scalars(select(Firm.name)))
        self.kinds = (KINDS, [k.weight for k in KINDS])
        self.brands = [a + b for a in BRAND_CHARS[0] for b in BRAND_CHARS[1]
                       if a + b not in BRAND_BLACKLIST and a != b]
        self.programmes = {p.code: p.id for p in session.scalars(select(Programme))}
        self.ids = {name: (session.scalar(select(func.max(t.c.id))) or 0)
                    for name, t in TABLES.items() if name in ("firms", "institutions", "teams")}
        self.serial = self.ids["firms"]  # USCC bodies continue after what exists
        self.taken = set(session.scalars(select(Firm.uscc)))

    def chunk(self, start: int, stop: int, annual: bool) -> dict[str, list[dict]]:
        rows = {name: [] for name in TABLES}
        for _ in range(start, stop):
            self._firm(rows, annual)
        return rows

    def _uscc(self) -> str:
        while True:
            self.serial += 1
            code = make_uscc("91330282", f"3{self.serial % 10_000_000:07d}")
            if code not in self.taken:
                self.taken.add(code)
                return code

    def _name(self, kind, *, city: str | None = None, form: str | None = None) -> str:
        """A fresh firm name shaped like the demo's: 慈溪市 + brand + line of business + form."""
        rng = self.rng
        for attempt in range(100):
            brand = rng.choice(self.brands)
            if attempt >= 3:  # the two-character brands of this line are taken: a longer one
                brand += rng.choice(BRAND_CHARS[1])
            name = ((city or rng.choices(*zip(*CITIES))[0]) + brand + kind.word
                    + (form or rng.choices(*zip(*FORMS))[0]))
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("bulk demo: no free firm name")

    def _former_names(self, rows: dict, fid: int, kind, founded: date) -> None:
        """About one firm in ten was renamed once (a few twice): old names stay searchable."""
        rng = self.rng
        renames = 0 if rng.random() > 0.10 else 1 if rng.random() > 0.15 else 2
        day = date(self.last_year, 12, 31)
        for _ in range(renames):
            span = (day - founded).days
            if span < 60:
                break
            day = founded + timedelta(days=rng.randint(30, span - 1))
            old_kind = kind if rng.random() < 0.7 else rng.choice(KINDS)
            rows["former"].append({"firm_id": fid, "changed_on": day, "name": self._name(
                old_kind, city="慈溪市", form=rng.choice(("有限公司", "厂", "制品厂")))})

    def _firm(self, rows: dict, annual: bool) -> None:
        rng, first, last = self.rng, self.first_year, self.last_year
        self.ids["firms"] += 1
        fid = self.ids["firms"]
        town = rng.choice(self.new_area) if rng.random() < 0.10 else rng.choice(self.cixi)
        founded = date(rng.randint(first - 15, last), rng.randint(1, 12), rng.randint(1, 28))
        gone = rng.random() < 0.03
        revenue = rng.lognormvariate(7, 1.3)  # 万元 in the first year
        growth = rng.uniform(-0.05, 0.25)
        kind = rng.choices(*self.kinds)[0]
        industry = kind.industries[0] if rng.random() < 0.7 else rng.choice(kind.industries)
        rows["firms"].append({
            "id": fid, "uscc": self._uscc(), "name": self._name(kind),
            "town_id": town, "industry_id": self.industries[industry], "founded_on": founded,
            "registered_capital": round(rng.lognormvariate(6.5, 1.1), 2),
            "legal_representative": rng.choice(SURNAMES) + rng.choice("建国伟明海军勇立新志江波峰杰"),
            "address": address(rng, self.town_names[town]),
            "above_scale": revenue * (1 + growth) ** (last - first) >= 2000,
            "status": "deregistered" if gone else "active",
            "status_changed_on": date(rng.randint(founded.year, last), 6, 30) if gone else None,
            "created_at": None, "updated_at": None, "version": 1,
        })
        self._former_names(rows, fid, kind, founded)
        start = max(first, founded.year)
        self._recognitions(rows, fid, start)
        if annual:
            for year in range(start, last + 1):
                rev = revenue * (1 + growth) ** (year - first)
                rows["annual"].append({
                    "firm_id": fid, "year": year, "revenue": round(rev, 2),
                    "rd_expense": round(rev * rng.uniform(0.01, 0.06), 2),
                    "employees": int(10 + rev / 50), "invention_patents": rng.randint(0, 5),
                    "status": "accepted", "updated_at": None, "version": 1})
        if rng.random() < 0.20:
            self._institution(rows, fid, start, rows["firms"][-1]["name"], kind)
        if rng.random() < 0.005:
            self._team(rows, fid, start, kind)

    def _rec(self, rows, fid, code, year, until=None, revoked_on=None, issued=None):
        rows["recognitions"].append({
            "firm_id": fid, "programme_id": self.programmes[code], "year": year,
            "valid_from": issued, "valid_until": until, "issued_on": issued,
            "status": "revoked" if revoked_on else "valid", "revoked_on": revoked_on,
            "created_at": None, "version": 1})

    def _recognitions(self, rows: dict, fid: int, start: int) -> None:
        rng, last = self.rng, self.last_year
        if rng.random() < 0.25:  # 高企: certified, renewed every three years
            year = rng.randint(start, last)
            while year <= last:
                issued = date(year, rng.randint(9, 12), rng.randint(1, 28))
                until = date(year + 3, issued.month, issued.day) - timedelta(days=1)
                revoked = issued + timedelta(days=400) if rng.random() < 0.01 else None
                self._rec(rows, fid, "high_tech", year, until, revoked, issued)
                if revoked or rng.random() > 0.85:
                    break
                year += 3
        for year in range(start, last + 1):  # 科技型中小企业: a yearly list
            if rng.random() < 0.08:
                self._rec(rows, fid, "tech_sme", year, date(year, 12, 31))
        if rng.random() < 0.03:
            self._rec(rows, fid, "nb_startup", rng.randint(start, last))
        rung = rng.random()
        if rung < 0.04:  # the ladder: most 瞪羚 were 雏鹰, a few climb to 头雁
            year = rng.randint(start, last)
            self._rec(rows, fid, "eaglet", year)
            if rung < 0.012 and year + 2 <= last:
                self._rec(rows, fid, "gazelle", year + 2)
                if rung < 0.002 and year + 4 <= last:
                    self._rec(rows, fid, "lead_goose", year + 4)

    def _institution(self, rows: dict, fid: int, start: int, firm_name: str, kind) -> None:
        rng = self.rng
        self.ids["institutions"] += 1
        iid = self.ids["institutions"]
        steps = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        year, level = rng.randint(start, self.last_year), rng.randrange(2)
        path = []
        for _ in range(steps):
            if year > self.last_year or level >= len(LEVEL_PATH):
                break
            path.append((LEVEL_PATH[level], year))
            year, level = year + rng.randint(2, 4), level + 1
        closed = rng.random() < 0.02
        rows["institutions"].append({
            "id": iid, "firm_id": fid, "name": f"{firm_name}{kind.domain}{INSTITUTION_TYPES[iid % 3]}",
            "type": INSTITUTION_TYPES[iid % 3],
            "level": path[-1][0], "recognised_year": path[-1][1], "first_recognised_year": path[0][1],
            "status": "closed" if closed else "active",
            "closed_year": min(self.last_year, path[-1][1] + 1) if closed else None,
            "created_at": None, "version": 1})
        previous = None
        for level_code, year in path:
            rows["changes"].append({"institution_id": iid, "kind": "promotion" if previous else "initial",
                                    "from_level": previous, "to_level": level_code, "year": year})
            previous = level_code

    def _team(self, rows: dict, fid: int, start: int, kind) -> None:
        rng = self.rng
        self.ids["teams"] += 1
        tid = self.ids["teams"]
        year = rng.randint(start, self.last_year)
        exited = rng.random() < 0.1 and year < self.last_year
        ningbo = rng.randint(year, self.last_year) if rng.random() < 0.25 else None
        rows["teams"].append({
            "id": tid, "firm_id": fid, "name": f"{kind.topic}创新团队（{tid}）", "level": "ningbo" if ningbo else "cixi",
            "recognised_year": year, "ningbo_year": ningbo, "projects_in_progress": rng.randint(0, 4),
            "status": "exit" if exited else "active",
            "exit_year": rng.randint(year + 1, self.last_year) if exited else None,
            "created_at": None, "version": 1})
        for n in range(rng.randint(4, 9)):
            title, grade = rng.choices(TITLES, TITLE_WEIGHTS)[0]
            person = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN_M + GIVEN_F)
                                                    for _ in range(rng.randint(1, 2)))
            if n == 0:
                rows["teams"][-1]["leader_name"] = person
            rows["members"].append({"team_id": tid, "name": person, "title": title,
                                    "title_grade": grade, "role": "leader" if n == 0 else "member",
                                    "joined_year": year})


def _insert(table, rows: list[dict]) -> None:
    if not rows:
        return
    defaults = {"created_at", "updated_at"}
    now = utcnow()
    for row in rows:
        for key in defaults & row.keys():
            row[key] = now
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        db.session.execute(table.insert(), rows)


def _copy(connection, table, rows: list[dict]) -> None:
    """COPY … FROM STDIN through psycopg, in the session's transaction."""
    columns = list(rows[0])
    prep = connection.dialect.identifier_preparer
    statement = (f"COPY {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) "
                 "FROM STDIN")
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _fix_sequences() -> None:
    """PostgreSQL: explicit ids leave the serial sequences behind; move them past the max."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for table in ("firms", "rd_institutions", "teams"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
