"""The bulk generator behind bench/stats.py: valid rows at any size, and statistics that
agree with the per-row validity rule on its random history."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from registry.demo.bulk import load_bulk
from registry.firms.models import AnnualData, Firm
from registry.firms.uscc import is_valid_uscc
from registry.institutions.models import RdInstitution
from registry.recognitions.models import Recognition
from registry.stats.services import compute
from registry.teams.models import Team


def test_bulk_rows_are_valid_and_counted(ctx):
    counts = load_bulk(600, 5, last_year=2016, seed=7)
    assert counts["firms"] == 600 == ctx.scalar(select(func.count()).select_from(Firm))
    assert counts["recognitions"] == ctx.scalar(select(func.count()).select_from(Recognition)) > 100
    assert counts["annual"] == ctx.scalar(select(func.count()).select_from(AnnualData)) > 1000
    assert counts["institutions"] == ctx.scalar(select(func.count()).select_from(RdInstitution)) > 50
    assert ctx.scalar(select(func.min(Recognition.year))) >= 2012
    assert all(is_valid_uscc(code) for code in ctx.scalars(select(Firm.uscc)))
    # ids were set explicitly: the ORM can still add rows afterwards (sequences moved on)
    firm = Firm(uscc="91330282MA28ABCD59", name="慈溪市追加测试有限公司")
    ctx.add(firm)
    ctx.flush()
    assert firm.id > 600


def test_bulk_history_agrees_with_the_per_row_rule(ctx):
    load_bulk(400, 6, last_year=2016, seed=11)
    got = compute(2016)
    day = date(2016, 12, 31)
    recs = ctx.scalars(select(Recognition)).all()
    for name, figures in got["programmes"].items():
        valid = {r.firm_id for r in recs if r.programme.short_name == name and r.is_valid_on(day)}
        assert figures["valid"] == len(valid), name
        assert figures["recognized"] == len({r.firm_id for r in recs
                                             if r.programme.short_name == name and r.year == 2016})
    teams = ctx.scalars(select(Team)).all()
    assert got["teams"]["cumulative"] == len(teams)
    assert sum(p["programmes"][n]["valid"] for p in got["by_town"].values()
               for n in got["programmes"]) == sum(v["valid"] for v in got["programmes"].values())


def test_cli_bulk_load_with_firms_and_years(app):
    """``flask demo --firms N --years Y``: the bulk generator, realistic names, timed."""
    from registry.firms.models import FirmName
    from registry.extensions import db

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--firms", "300", "--years", "4"])
    assert result.exit_code == 0, result.output
    assert "企业 300" in result.output and "用时" in result.output and "秒" in result.output
    with app.app_context():
        names = list(db.session.scalars(select(Firm.name)))
        assert len(names) == 300 == len(set(names))
        assert all(n.endswith(("有限公司", "厂")) and not any(c.isdigit() for c in n) for n in names)
        assert db.session.scalar(select(func.count()).select_from(FirmName)) > 5
        years = db.session.execute(select(func.min(AnnualData.year), func.max(AnnualData.year))).one()
        assert tuple(years) == (2013, 2016)
    refused = runner.invoke(args=["demo", "--firms", "10"])
    assert refused.exit_code != 0 and "--force" in refused.output
