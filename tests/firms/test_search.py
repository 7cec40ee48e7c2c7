"""The firm search (registry.firms.search): the same answers as a plain substring scan, on
every database, and a text index kept in step by every write path.

The reference is ``_like`` — the condition the search used before it had an index — run
over the same rows; each fragment below must find exactly the same firms through
``firm_match`` as through it.
"""
from __future__ import annotations

import os
import random
from datetime import date

import pytest
from sqlalchemy import insert, select, text, update

from registry.firms.models import Firm, FirmName
from registry.firms.search import MIN_TRIGRAM, _like, firm_match
from registry.firms.services import FirmFilter, firm_query, rename_firm

BACKEND = os.environ.get("REGISTRY_TEST_DB", "sqlite")


def matched(session, q) -> set[str]:
    return set(session.scalars(select(Firm.name).where(firm_match(q))))


def reference(session, q) -> set[str]:
    from registry.firms.uscc import normalise_uscc

    return set(session.scalars(select(Firm.name).where(_like(q.strip(), normalise_uscc(q.strip())))))


@pytest.fixture
def firms(ctx, make):
    """A few dozen firms with Chinese and Latin names, former names and edge characters."""
    made = [make.firm(name) for name in (
        "慈溪市澜泰电器有限公司", "宁波骁丰轴承有限公司", "慈溪市睿嘉汽车部件有限公司",
        "慈溪市ABC智能装备有限公司", "慈溪市abc新材料有限公司", "慈溪市百分之百电器有限公司",
        "慈溪市下划线_电器有限公司", "浙江“引号”科技有限公司", '浙江"双引"科技有限公司',
        "甬", "慈溪市甬", "慈溪市铭泰五金有限公司", "慈溪市Ωmega生物科技有限公司",
    )]
    made[0].former_names.append(FirmName(name="慈溪市旧名塑业有限公司", changed_on=date(2014, 1, 1)))
    made[1].former_names.append(FirmName(name="慈溪市骁丰机械厂", changed_on=date(2012, 5, 1)))
    made[1].former_names.append(FirmName(name="余姚骁丰轴承厂", changed_on=date(2010, 5, 1)))
    ctx.commit()
    return made


FRAGMENTS = ["电器", "电", "甬", "慈溪市", "澜泰电器", "旧名塑业", "骁丰", "余姚骁丰轴承厂",
             "abc", "ABC", "aBc智能", "ωMEGA", "Ωmega", "%", "_", "_电器", "线_电", "“引号”",
             '"双引"', '"', "有限公司", "没有这家企业", "ab", "a", " 澜泰 ", "慈 溪"]


def test_same_answers_as_a_substring_scan(ctx, firms):
    fragments = list(FRAGMENTS)
    for firm in firms[:4]:
        fragments += [firm.uscc[-8:], firm.uscc[-6:].lower(), firm.uscc[3:5], " " + firm.uscc[:12]]
    for q in fragments:
        assert matched(ctx, q) == reference(ctx, q), q
    assert matched(ctx, "澜泰电器") == {"慈溪市澜泰电器有限公司"}
    assert matched(ctx, "余姚骁丰") == {"宁波骁丰轴承有限公司"}  # former name, ≥ 3 characters
    assert matched(ctx, "骁丰") == {"宁波骁丰轴承有限公司"}  # two characters: the fallback
    assert matched(ctx, "甬") == {"甬", "慈溪市甬"}
    assert matched(ctx, firms[2].uscc[-7:].lower()) == {"慈溪市睿嘉汽车部件有限公司"}


def test_random_fragments_agree_with_the_scan(ctx, firms):
    """Every substring of a few names and codes, of every length: index or fallback alike."""
    rng = random.Random(10)
    texts = [f.name for f in firms] + [f.uscc for f in firms[:3]] + ["慈溪市旧名塑业有限公司"]
    for _ in range(120):
        source = rng.choice(texts)
        start = rng.randrange(len(source))
        q = source[start:start + rng.randint(1, 6)]
        assert matched(ctx, q) == reference(ctx, q), q


def test_empty_query_matches_everything(ctx, firms):
    assert len(matched(ctx, "  ")) == len(firms)


def test_index_follows_every_write_path(ctx, make):
    """ORM insert, rename, profile update, Core insert/update/delete, cascaded delete."""
    staff = make.user("staff")
    firm = make.firm("慈溪市初始名称电器有限公司")
    ctx.commit()
    assert matched(ctx, "初始名称") == {"慈溪市初始名称电器有限公司"}

    rename_firm(staff, firm, "慈溪市改后名称电器有限公司", on=date(2016, 3, 1))
    ctx.commit()
    assert matched(ctx, "改后名称") == {"慈溪市改后名称电器有限公司"}
    assert matched(ctx, "初始名称") == {"慈溪市改后名称电器有限公司"}  # now a former name

    # Core writes, as the Excel importer and the bulk demo loader do them.
    from tests.factories import next_uscc

    code = next_uscc()
    ctx.execute(insert(Firm.__table__).values(uscc=code, name="慈溪市核心插入轴承有限公司",
                                              above_scale=False, status="active", version=1))
    new_id = ctx.scalar(select(Firm.id).where(Firm.uscc == code))
    ctx.execute(insert(FirmName.__table__).values(firm_id=new_id, name="慈溪市核心旧称厂"))
    ctx.commit()
    assert matched(ctx, "核心插入") == {"慈溪市核心插入轴承有限公司"}
    assert matched(ctx, "核心旧称") == {"慈溪市核心插入轴承有限公司"}
    assert matched(ctx, code[-9:]) == {"慈溪市核心插入轴承有限公司"}

    ctx.execute(update(Firm.__table__).where(Firm.id == new_id).values(name="慈溪市核心改名有限公司"))
    ctx.execute(update(FirmName.__table__).where(FirmName.firm_id == new_id).values(name="慈溪市另一旧称厂"))
    ctx.commit()
    assert matched(ctx, "核心插入") == set()
    assert matched(ctx, "核心旧称") == set()
    assert matched(ctx, "另一旧称") == {"慈溪市核心改名有限公司"}

    ctx.execute(FirmName.__table__.delete().where(FirmName.firm_id == new_id))
    ctx.execute(Firm.__table__.delete().where(Firm.id == new_id))
    ctx.commit()
    assert matched(ctx, "核心改名") == set() and matched(ctx, "另一旧称") == set()
    assert matched(ctx, code[-9:]) == set()

    ctx.delete(ctx.get(Firm, firm.id))  # ORM delete cascades to the former names
    ctx.commit()
    assert matched(ctx, "改后名称") == set() and matched(ctx, "初始名称") == set()
    if BACKEND == "sqlite":
        assert_fts_consistent(ctx)


def assert_fts_consistent(ctx) -> None:
    """FTS5's own check that an external-content index matches its table."""
    ctx.execute(text("INSERT INTO firms_fts(firms_fts, rank) VALUES ('integrity-check', 1)"))
    ctx.execute(text("INSERT INTO firm_names_fts(firm_names_fts, rank) VALUES ('integrity-check', 1)"))


def test_bulk_loader_rows_are_searchable(ctx, make):
    from registry.demo.bulk import load_bulk

    load_bulk(60, 3, last_year=2016, seed=7)
    ctx.commit()
    firm = ctx.scalar(select(Firm).order_by(Firm.id.desc()).limit(1))
    assert firm.name in matched(ctx, firm.name[-6:])
    assert firm.name in matched(ctx, firm.uscc[-10:])
    for old in ctx.scalars(select(FirmName).limit(5)):
        assert old.firm.name in matched(ctx, old.name[1:])
    if BACKEND == "sqlite":
        assert_fts_consistent(ctx)


@pytest.mark.skipif(BACKEND != "sqlite", reason="the FTS5 plan is SQLite's; PostgreSQL's GIN "
                    "index choice depends on its statistics")
def test_sqlite_uses_the_trigram_index(ctx, firms):
    stmt = select(Firm.id).where(firm_match("澜泰电器"))
    sql = stmt.compile(ctx.get_bind(), compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in ctx.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "firms_fts VIRTUAL TABLE" in plan and "firm_names_fts VIRTUAL TABLE" in plan, plan
    assert len("澜泰电器") >= MIN_TRIGRAM


def test_search_through_the_firm_list_query(ctx, make, firms):
    """firm_query combines the search with the scope and filters, as before."""
    officer = make.user("town", towns=["周巷镇"])
    staff = make.user("staff")
    ctx.commit()
    names = lambda user, q: {f.name for f in ctx.scalars(firm_query(user, FirmFilter(q=q)))}  # noqa: E731
    assert names(staff, "澜泰电器") == {"慈溪市澜泰电器有限公司"}
    assert names(officer, "澜泰电器") == set()  # outside the officer's town


def test_a_fragment_in_most_names_is_scanned_with_the_same_answers(ctx, firms, monkeypatch):
    """SQLite judges from the trigram vocabulary; the answers must not change with the path."""
    from registry.firms import search

    expected = reference(ctx, "有限公司")
    assert len(expected) > 5
    monkeypatch.setattr(search, "COMMON", 3)
    assert matched(ctx, "有限公司") == expected
    assert matched(ctx, "澜泰电器") == {"慈溪市澜泰电器有限公司"}  # rare: still the index
    if BACKEND == "sqlite":
        assert search._common_on_sqlite("有限公司") and not search._common_on_sqlite("澜泰电器")


def test_many_matches_take_the_condition_path_with_the_same_answers(ctx, firms, monkeypatch):
    """Past SCAN_CAP matches the probe hands on a condition instead of ids: same answers."""
    from registry.firms import search

    monkeypatch.setattr(search, "SCAN_CAP", 2)
    for q in ("有限公司", "电器", "慈溪市", "甬", firms[0].uscc[:4], "没有这家企业", "骁丰"):
        assert matched(ctx, q) == reference(ctx, q), q
