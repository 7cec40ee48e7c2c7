"""Programme holdings: the per-row rule in whole years, and the table kept in step by the
ORM hook on each kind of write (the Core paths — import, bulk demo — are checked by the
drift check every test ends with, see tests/conftest.py, and below for the importer)."""
from __future__ import annotations

import random
import threading
import time
from datetime import date, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.recognitions import holdings
from registry.recognitions.holdings import BASE_YEAR, bits, join, split, year_span
from registry.recognitions.models import Programme, ProgrammeHolding, Recognition
from registry.recognitions.programmes import FIELDS, update_programme
from registry.recognitions.services import revoke_recognition, update_recognition


def _years(value: int) -> set[int]:
    return {BASE_YEAR + i for i in range(value.bit_length()) if value >> i & 1}


def held(firm, code) -> tuple[set, set, int] | None:
    """(years in force, years recognised, first year) of the firm's holding, or None."""
    session = db.session
    pid = session.scalar(select(Programme.id).where(Programme.code == code))
    session.expire_all()
    row = session.get(ProgrammeHolding, (firm.id, pid))
    if row is None:
        return None
    return (_years(join(row.valid_bits, row.valid_late)),
            _years(join(row.recognized_bits, row.recognized_late)), row.first_year)


def test_year_span_is_the_per_row_rule_at_every_year_end(app):
    """For random rows (dates on and off 31 December, revocations with and without a
    date), in force at the end of y ⟺ first ≤ y ≤ last, as Recognition.is_valid_on says."""
    rng = random.Random(10)
    for _ in range(3000):
        year = rng.randint(1985, 2030)
        programme = Programme(validity_years=rng.choice((1, 2, 3, 5)))

        def some_day(lo, hi):
            if rng.random() < 0.3:
                return date(rng.randint(lo, hi), 12, rng.choice((30, 31)))
            return date(rng.randint(lo, hi), 1, 1) + timedelta(days=rng.randint(0, 364))

        rec = Recognition(year=year, programme=programme,
                          valid_from=some_day(year - 1, year + 1) if rng.random() < 0.6 else None,
                          status=rng.choice(("valid", "valid", "revoked")),
                          revoked_on=some_day(year, year + 4) if rng.random() < 0.7 else None)
        if rng.random() < 0.6:
            start = rec.valid_from or date(year, 1, 1)
            rec.valid_until = start + timedelta(days=rng.randint(0, 365 * 4))
        first, last = year_span(rec.year, rec.valid_from, rec.valid_until, rec.status,
                                rec.revoked_on, programme.validity_years)
        for y in range(1980, 2040):
            assert (first <= y <= last) == rec.is_valid_on(date(y, 12, 31)), (y, rec.__dict__)


def test_bits_cover_1990_to_2113_in_two_columns():
    assert bits(1990, 1992) == 0b111 and bits(1980, 1990) == 1 and bits(2000, 1999) == 0
    value = bits(2050, 2053)  # across the boundary of the two columns
    low, late = split(value)
    assert _years(low) == {2050, 2051} and late == 0b11 and join(low, late) == value
    assert max(_years(bits(2100, 2300))) == 2113 and 0 <= split(bits(1990, 2113))[1] < 2 ** 62


def test_each_orm_write_keeps_the_holding_in_step(ctx, make):
    staff = make.user("staff")
    firm = make.firm(town="浒山街道", industry="智能家电")
    assert held(firm, "high_tech") is None
    rec = make.recognition(firm, "high_tech", 2014)  # 3 years: 2014-2016
    ctx.commit()
    assert held(firm, "high_tech") == ({2014, 2015, 2016}, {2014}, 2014)

    make.recognition(firm, "high_tech", 2017, valid_until=date(2020, 6, 30))  # 2017-2019
    ctx.commit()
    assert held(firm, "high_tech") == ({2014, 2015, 2016, 2017, 2018, 2019}, {2014, 2017}, 2014)

    revoke_recognition(staff, rec, reason="弄虚作假", on=date(2016, 3, 1), version=rec.version)
    ctx.commit()
    assert held(firm, "high_tech")[0] == {2014, 2015, 2017, 2018, 2019}

    later = ctx.scalars(select(Recognition).where(Recognition.year == 2017)).one()
    update_recognition(staff, later, version=later.version, programme=make.programme("eaglet"),
                       year=2017, valid_from=date(2017, 1, 1), valid_until=date(2019, 12, 31))
    ctx.commit()
    assert held(firm, "high_tech") == ({2014, 2015}, {2014}, 2014)
    assert held(firm, "eaglet") == ({2017, 2018, 2019}, {2017}, 2017)

    ctx.delete(later)
    ctx.commit()
    assert held(firm, "eaglet") is None

    firm.town = make.town("周巷镇")  # the firm moves: its holdings follow
    ctx.commit()
    row = ctx.scalars(select(ProgrammeHolding).where(ProgrammeHolding.firm_id == firm.id)).one()
    assert row.town_id == make.town("周巷镇").id and row.industry_id == firm.industry_id
    assert holdings.drift(ctx.connection()) == []


def test_a_new_validity_recomputes_every_holder_of_the_programme(ctx, make):
    admin = make.user("admin")
    firms = [make.firm() for _ in range(3)]
    for firm in firms:
        make.recognition(firm, "eaglet", 2015)
    ctx.commit()
    eaglet = make.programme("eaglet")
    years = eaglet.validity_years
    values = {f: getattr(eaglet, f) for f in FIELDS if f != "code"}
    try:
        update_programme(admin, eaglet, **{**values, "validity_years": years + 2})
        ctx.commit()
        for firm in firms:
            assert held(firm, "eaglet")[0] == set(range(2015, 2015 + years + 2))
    finally:  # programmes are reference data: they outlive the test
        update_programme(admin, make.programme("eaglet"), **values)
        ctx.commit()
    for firm in firms:
        assert held(firm, "eaglet")[0] == set(range(2015, 2015 + years))
    assert holdings.drift(ctx.connection()) == []


def test_a_flush_that_fails_leaves_nothing_behind(ctx, make):
    firm = make.firm()
    make.recognition(firm, "high_tech", 2014)
    ctx.commit()
    make.recognition(firm, "high_tech", 2016)
    ctx.rollback()
    assert held(firm, "high_tech") == ({2014, 2015, 2016}, {2014}, 2014)
    assert holdings.drift(ctx.connection()) == []


def test_drift_finds_a_row_changed_behind_the_hooks(ctx, make):
    firm = make.firm()
    make.recognition(firm, "high_tech", 2014)
    ctx.commit()
    ctx.execute(ProgrammeHolding.__table__.update().values(valid_bits=0))
    assert holdings.drift(ctx.connection()) != []
    assert holdings.rebuild(ctx.connection()) == 1
    assert holdings.drift(ctx.connection()) == []


def test_the_importers_core_writes_keep_holdings_in_step(ctx, make):
    """Lists (new recognitions, revocations) and a roster moving a firm to another town
    are written with Core statements, past the ORM hook: the Writer refreshes them."""
    from tests.excel.test_importer import book, run, sheet

    moved, revoked = make.firm(town="浒山街道"), make.firm()
    make.recognition(moved, "high_tech", 2014)
    make.recognition(revoked, "high_tech", 2014)
    ctx.commit()
    run(ctx, book("recognitions", sheet("recognitions", [
        {"name": moved.name, "uscc": moved.uscc, "certificate_no": "GR201733100001"},
    ], year=2017), programme="high_tech"))
    run(ctx, book("recognitions", sheet("revocations", [
        {"uscc": revoked.uscc, "reason": "发生重大安全事故", "revoked_on": date(2015, 6, 1)},
    ], name="取消资格名单", year=2014), programme="high_tech"))
    run(ctx, book("firms", sheet("firms", [
        {"name": moved.name, "uscc": moved.uscc, "town": "周巷镇"}])))
    ctx.commit()
    assert held(moved, "high_tech") == (set(range(2014, 2020)), {2014, 2017}, 2014)
    assert held(revoked, "high_tech") == ({2014}, {2014}, 2014)
    row = ctx.get(ProgrammeHolding, (moved.id, make.programme("high_tech").id))
    assert row.town_id == make.town("周巷镇").id
    assert holdings.drift(ctx.connection()) == []


TIMEOUT = 60


def test_two_clerks_adding_to_one_firm_at_once_keep_its_holding_whole(app, ctx, make):
    """Two clerks add a 高企 certificate each to the same firm at the same moment. The
    first flushes and waits before committing; the second's flush waits for the firm's
    lock, then reads the first's certificate: the holding has both, and nothing fails
    (unlocked, PostgreSQL refused the second with a duplicate key and MariaDB, reading its
    old snapshot, dropped the first's years)."""
    from registry.auth.models import User
    from registry.firms.models import Firm
    from registry.recognitions.services import add_recognition

    firm = make.firm()
    clerks = [make.user("staff").id for _ in range(2)]
    ctx.commit()
    firm_id = firm.id  # read here: the threads must not load through this session
    flushed, outcomes = threading.Event(), [None, None]

    def run(n, year):
        with app.app_context():
            try:
                actor, mine = db.session.get(User, clerks[n]), db.session.get(Firm, firm_id)
                if n == 1:
                    flushed.wait(timeout=TIMEOUT)
                add_recognition(actor, mine, programme=db.session.scalar(
                    select(Programme).where(Programme.code == "high_tech")), year=year,
                    valid_from=date(year, 1, 1), valid_until=date(year, 12, 31))
                if n == 0:
                    flushed.set()
                    time.sleep(1)  # the other clerk's flush comes while this one is open
                db.session.commit()
                outcomes[n] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes[n] = repr(exc)
                flushed.set()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n, year), daemon=True)
               for n, year in ((0, 2014), (1, 2016))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert outcomes == ["ok", "ok"], outcomes
    ctx.rollback()
    assert held(firm, "high_tech") == ({2014, 2016}, {2014, 2016}, 2014)
    assert holdings.drift(ctx.connection()) == []
