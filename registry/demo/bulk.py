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

from registry.extensions import db
from registry.firms.models import AnnualData, Firm, Industry, Town
from registry.firms.uscc import make_uscc
from registry.institutions.models import RdInstitution, RdLevelChange
from registry.recognitions.models import Programme, Recognition
from registry.teams.models import Team, TeamMember
from registry.timeutil import utcnow

CHUNK = 5000  # firms generated and written per round
LEVEL_PATH = ("cixi", "ningbo", "provincial", "national")
TITLES = (("正高级工程师", "senior"), ("高级工程师", "associate"), ("副教授", "associate"),
          ("工程师", "intermediate"), ("助理工程师", "junior"), (None, None))
TITLE_WEIGHTS = (2, 4, 1, 4, 2, 1)
TABLES = {name: model.__table__ for name, model in (
    ("firms", Firm), ("recognitions", Recognition), ("annual", AnnualData),
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
    return counts


class _Generator:
    def __init__(self, firms: int, years: int, last_year: int, seed: int):
        session = db.session
        self.rng = random.Random(seed)
        self.first_year, self.last_year = last_year - years + 1, last_year
        towns = list(session.scalars(select(Town).order_by(Town.sort_order)))
        self.new_area = [t.id for t in towns if t.zone == "new_area"]
        self.cixi = [t.id for t in towns if t.zone != "new_area"]
        self.industries = list(session.scalars(select(Industry.id).order_by(Industry.sort_order)))
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

    def _firm(self, rows: dict, annual: bool) -> None:
        rng, first, last = self.rng, self.first_year, self.last_year
        self.ids["firms"] += 1
        fid = self.ids["firms"]
        town = rng.choice(self.new_area) if rng.random() < 0.10 else rng.choice(self.cixi)
        founded = date(rng.randint(first - 15, last), rng.randint(1, 12), rng.randint(1, 28))
        gone = rng.random() < 0.03
        revenue = rng.lognormvariate(7, 1.3)  # 万元 in the first year
        growth = rng.uniform(-0.05, 0.25)
        rows["firms"].append({
            "id": fid, "uscc": self._uscc(), "name": f"慈溪市基准{fid}科技有限公司",
            "town_id": town, "industry_id": rng.choice(self.industries), "founded_on": founded,
            "above_scale": revenue * (1 + growth) ** (last - first) >= 2000,
            "status": "deregistered" if gone else "active",
            "status_changed_on": date(rng.randint(founded.year, last), 6, 30) if gone else None,
            "created_at": None, "updated_at": None, "version": 1,
        })
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
            self._institution(rows, fid, start)
        if rng.random() < 0.005:
            self._team(rows, fid, start)

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

    def _institution(self, rows: dict, fid: int, start: int) -> None:
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
            "id": iid, "firm_id": fid, "name": f"基准研发中心{iid}", "type": "企业技术中心",
            "level": path[-1][0], "recognised_year": path[-1][1], "first_recognised_year": path[0][1],
            "status": "closed" if closed else "active",
            "closed_year": min(self.last_year, path[-1][1] + 1) if closed else None,
            "created_at": None, "version": 1})
        previous = None
        for level_code, year in path:
            rows["changes"].append({"institution_id": iid, "kind": "promotion" if previous else "initial",
                                    "from_level": previous, "to_level": level_code, "year": year})
            previous = level_code

    def _team(self, rows: dict, fid: int, start: int) -> None:
        rng = self.rng
        self.ids["teams"] += 1
        tid = self.ids["teams"]
        year = rng.randint(start, self.last_year)
        exited = rng.random() < 0.1 and year < self.last_year
        ningbo = rng.randint(year, self.last_year) if rng.random() < 0.25 else None
        rows["teams"].append({
            "id": tid, "firm_id": fid, "name": f"基准创新团队{tid}", "level": "ningbo" if ningbo else "cixi",
            "recognised_year": year, "ningbo_year": ningbo, "projects_in_progress": rng.randint(0, 4),
            "status": "exit" if exited else "active",
            "exit_year": rng.randint(year + 1, self.last_year) if exited else None,
            "created_at": None, "version": 1})
        for n in range(rng.randint(4, 9)):
            title, grade = rng.choices(TITLES, TITLE_WEIGHTS)[0]
            rows["members"].append({"team_id": tid, "name": f"成员{tid}-{n}", "title": title,
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
