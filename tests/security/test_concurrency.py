"""Promise 5: no lost data under concurrency.

Staff race each other for real here: every contender runs in its own thread with its own
application context, so its own session and database connection, and they are released
together by a barrier at the moment that matters (after loading, before writing). Each
test asserts that the final state is one a serial order of the same actions could have
produced, and that every contender that did not win was told so with the registry's own
refusal (a ConflictError, shown to the clerk as it is): nothing is overwritten silently
and nothing is half applied.

Already covered elsewhere, not repeated here:
- tests/lists/test_workflow.py::test_two_clerks_publishing_the_same_list_at_once_publish_it_once
  (two threads publishing one list: it is published once, the other clerk is told);
- tests/firms/test_changes.py::test_two_sessions_racing_past_the_check_cannot_both_win and
  tests/models/test_constraints.py::test_concurrent_edit_of_a_firm_is_stale (interleaved,
  one thread: the version column makes the UPDATE conditional).
"""
from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import ConflictError, RegistryError
from registry.firms.models import Firm
from tests.conftest import BACKEND
from tests.factories import next_uscc

TIMEOUT = 120  # seconds a contender may take; generous, the machine is shared


def race(app, *contenders):
    """Run each ``contender(barrier)`` in its own thread and application context.

    A contender loads what it needs, waits at the barrier, acts and commits. Returns one
    outcome per contender, in order: ("ok", value), ("refused", RegistryError) or
    ("error", other exception)."""
    from registry.extensions import db

    barrier = threading.Barrier(len(contenders))
    outcomes: list = [None] * len(contenders)

    def run(n, contender):
        with app.app_context():
            try:
                value = contender(barrier)
                db.session.commit()
                outcomes[n] = ("ok", value)
            except RegistryError as exc:
                db.session.rollback()
                outcomes[n] = ("refused", exc)
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                db.session.rollback()
                outcomes[n] = ("error", exc)
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n, c), daemon=True) for n, c in enumerate(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert not any(t.is_alive() for t in threads), f"a contender hung: {outcomes}"
    return outcomes


def describe(outcomes) -> str:
    return "; ".join(f"{kind}: {type(v).__name__} {getattr(v, 'message', v)}" for kind, v in outcomes)


# --- two staff editing one firm ---------------------------------------------------------------

CLERK_EDITS = [
    dict(phone="0574-63111111", address="浒山街道一号", registered_capital="111"),
    dict(phone="0574-63222222", email="two@example.cn", registered_capital="222"),
    dict(phone="0574-63333333", contact_person="第三位", note="第三位科员的备注"),
]


@pytest.mark.parametrize("round_", range(3))
def test_staff_saving_one_firm_at_once_one_wins_and_the_others_are_told(app, ctx, make, round_):
    from registry.extensions import db
    from registry.firms.changes import update_firm
    from registry.firms.locking import EditConflict
    from registry.firms.services import firm_snapshot
    from registry.auth.models import User

    firm = make.firm(phone="0574-63000000", registered_capital=100)
    clerks = [make.user("staff", display_name=name) for name in ("张科员", "李科员", "王科员")]
    ctx.commit()
    fid, initial = firm.id, firm_snapshot(firm)
    clerk_ids = [c.id for c in clerks]

    def clerk(n):
        def edit(barrier):
            mine = db.session.get(Firm, fid)
            actor = db.session.get(User, clerk_ids[n])
            version, original = mine.version, firm_snapshot(mine)  # the form as loaded
            barrier.wait(timeout=TIMEOUT)
            return update_firm(actor, mine, version=version, original=original, **CLERK_EDITS[n])
        return edit

    outcomes = race(app, *(clerk(n) for n in range(3)))
    winners = [n for n, (kind, _) in enumerate(outcomes) if kind == "ok"]
    assert len(winners) == 1, describe(outcomes)
    for n, (kind, exc) in enumerate(outcomes):
        if n != winners[0]:
            assert kind == "refused" and isinstance(exc, EditConflict), describe(outcomes)
            assert "已被他人修改" in exc.message and "您的修改没有保存" in exc.message

    ctx.rollback()  # a fresh snapshot (MariaDB REPEATABLE READ)
    ctx.expire_all()
    saved = firm_snapshot(ctx.get(Firm, fid))
    edit = CLERK_EDITS[winners[0]]  # the serial outcome: the winner's edit alone, all of it
    assert {k: str(saved[k]) if k == "registered_capital" else saved[k] for k in edit} == {
        k: str(v) + (".00" if k == "registered_capital" else "") for k, v in edit.items()}
    untouched = set(initial) - set(edit)
    assert {k: saved[k] for k in untouched} == {k: initial[k] for k in untouched}, "a loser's field leaked in"
    assert ctx.get(Firm, fid).version == 2
    updates = ctx.scalars(select(AuditLog).where(AuditLog.entity_type == "firm", AuditLog.entity_id == fid,
                                                 AuditLog.action == "update")).all()
    assert [u.user_id for u in updates] == [clerk_ids[winners[0]]], "only the saved edit is in the history"


# --- two imports of overlapping workbooks at once --------------------------------------------

HEADERS = ("序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "所属产业", "联系电话", "法定代表人")


def roster(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["2016年慈溪市企业名录"])
    ws.append(list(HEADERS))
    for n, (uscc, name, phone, person) in enumerate(rows, start=1):
        ws.append([n, name, uscc, "浒山街道", "智能家电", phone, person])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def firm_state(session, codes) -> dict:
    rows = session.execute(select(Firm.uscc, Firm.name, Firm.phone, Firm.legal_representative)
                           .where(Firm.uscc.in_(list(codes)))).all()
    return {r.uscc: (r.name, r.phone, r.legal_representative) for r in rows}


def apply_rows(state: dict, rows) -> dict:
    """What importing ``rows`` after ``state`` gives: every listed field takes the file's value."""
    out = dict(state)
    for uscc, name, phone, person in rows:
        out[uscc] = (name, phone, person)
    return out


def test_two_imports_of_overlapping_workbooks_at_once_apply_whole_or_are_refused(app, ctx, make):
    from registry.excel import services
    from registry.excel.models import ImportBatch
    from registry.extensions import db
    from registry.auth.models import User

    old = [make.firm(f"慈溪市旧有{n}号电器有限公司", phone="0", legal_representative="原代表") for n in range(6)]
    clerks = [make.user("staff") for _ in range(2)]
    ctx.commit()
    clerk_ids = [c.id for c in clerks]
    shared_new = [(next_uscc(), f"慈溪市双方新增{n}号机械有限公司") for n in range(4)]
    only = [[(next_uscc(), f"慈溪市{side}方新增{n}号科技有限公司") for n in range(3)] for side in "甲乙"]

    def rows_of(side: int):
        tag = "甲乙"[side]
        rows = [(f.uscc, f.name, f"0574-6{side + 1}00000{n}", f"{tag}代表") for n, f in enumerate(old)]
        rows += [(code, name, f"0574-6{side + 1}1111{n}", f"{tag}代表") for n, (code, name) in enumerate(shared_new)]
        rows += [(code, name, f"0574-6{side + 1}2222{n}", f"{tag}代表") for n, (code, name) in enumerate(only[side])]
        return rows if side == 0 else rows[::-1]  # opposite orders: the writes cross

    books = [rows_of(0), rows_of(1)]
    codes = {r[0] for book in books for r in book}
    initial = firm_state(ctx, codes)
    staged_first = BACKEND != "sqlite"
    if not staged_first:
        print("SQLite: one writer at a time; staging a batch already takes the write lock, so the "
              "importers meet before staging (their plans still overlap) instead of between "
              "staging and confirming")

    def importer(side):
        def run(barrier):
            actor = db.session.get(User, clerk_ids[side])
            if not staged_first:
                barrier.wait(timeout=TIMEOUT)
            batch, plan = services.stage_upload(actor, roster(books[side]), f"企业名录{side}.xlsx")
            assert plan.counts()["error"] == 0, [e.as_dict() for e in plan.errors]
            if staged_first:
                barrier.wait(timeout=TIMEOUT)  # both planned against the same registry
            return services.confirm_batch(actor, batch)
        return run

    outcomes = race(app, importer(0), importer(1))
    print("import race:", describe(outcomes)[:300])
    assert all(kind in ("ok", "refused") for kind, _ in outcomes), describe(outcomes)
    won = [kind == "ok" for kind, _ in outcomes]
    assert any(won), describe(outcomes)
    for kind, exc in outcomes:
        if kind == "refused":
            assert isinstance(exc, ConflictError) and "未导入任何数据" in exc.message, describe(outcomes)

    ctx.rollback()
    final = firm_state(ctx, codes)
    if all(won):
        serial = [apply_rows(apply_rows(initial, books[0]), books[1]),
                  apply_rows(apply_rows(initial, books[1]), books[0])]
        assert final in serial, "two imports interleaved: the result is no serial order"
    else:
        winner = won.index(True)
        assert final == apply_rows(initial, books[winner]), "the winner's import is not whole"
    applied = ctx.scalars(select(ImportBatch).where(ImportBatch.status == "applied")).all()
    assert len(applied) == sum(won)
    assert {b.uploaded_by_id for b in applied} == {clerk_ids[n] for n in range(2) if won[n]}
    logged = ctx.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import"))
    assert logged == sum(b.created_count + b.updated_count for b in applied), "audit of a refused import kept"


# --- a list published while clerks still change it ------------------------------------------
# (two clerks publishing the same list at once: tests/lists/test_workflow.py, see above)

@pytest.mark.parametrize("round_", range(3))
def test_a_list_published_while_it_is_changed_freezes_exactly_the_changes_made_before(app, ctx, make, round_):
    """Publisher, a clerk adding a firm and a clerk editing an entry's note, at once.

    Serial outcomes: each change either happened before the publish (and is in the frozen
    list and its recognitions) or was refused; a published list never changes afterwards."""
    from registry.auth.models import User
    from registry.extensions import db
    from registry.lists import services
    from registry.lists.models import TierList
    from registry.recognitions.models import Recognition
    from tests.lists.builders import noticed_list

    after_notice = date(2016, 12, 1)
    staff = [make.user("staff") for _ in range(3)]
    firms = [make.firm() for _ in range(4)]
    extra = make.firm("慈溪市后来添加电器有限公司")
    tier_list = noticed_list(make, staff[0], firms)
    ctx.commit()
    list_id, extra_id, staff_ids = tier_list.id, extra.id, [s.id for s in staff]
    initial_version = tier_list.version
    noted_firm = firms[0].id

    def loaded(n):
        mine = db.session.get(TierList, list_id)
        list(mine.entries), list(mine.objections)
        return mine, db.session.get(User, staff_ids[n])

    def publisher(barrier):
        mine, actor = loaded(0)
        version = mine.version
        barrier.wait(timeout=TIMEOUT)
        services.publish(actor, mine, version=version, today=after_notice)

    def adder(barrier):
        mine, actor = loaded(1)
        firm = db.session.get(Firm, extra_id)
        firm.town, firm.industry  # loaded before the race
        barrier.wait(timeout=TIMEOUT)
        services.add_entry(actor, mine, firm)

    def noter(barrier):
        mine, actor = loaded(2)
        entry = next(e for e in mine.entries if e.firm_id == noted_firm)
        barrier.wait(timeout=TIMEOUT)
        services.update_entry_note(actor, mine, entry.id, "公示期间补充说明")

    outcomes = race(app, publisher, adder, noter)
    assert all(kind in ("ok", "refused") for kind, _ in outcomes), describe(outcomes)
    for kind, exc in outcomes:
        if kind == "refused":
            assert isinstance(exc, ConflictError), describe(outcomes)
            assert "已被他人" in exc.message or "已发布" in exc.message, describe(outcomes)
    published, added, noted = (kind == "ok" for kind, _ in outcomes)

    ctx.rollback()
    ctx.expire_all()
    final = ctx.get(TierList, list_id)
    entry_firms = {e.firm_id for e in final.entries}
    assert entry_firms == {f.id for f in firms} | ({extra_id} if added else set())
    note = next(e.note for e in final.entries if e.firm_id == noted_firm)
    assert note == ("公示期间补充说明" if noted else None)
    assert final.version == initial_version + sum((published, added, noted))  # one step per success
    if published:
        assert final.status == "published"
        recognised = set(ctx.scalars(select(Recognition.firm_id).where(Recognition.tier_list_id == list_id)))
        assert recognised == entry_firms, "the frozen list and its recognitions disagree"
        log = ctx.execute(select(AuditLog.id, AuditLog.action).where(
            AuditLog.entity_type == "tier_list", AuditLog.entity_id == list_id,
            AuditLog.action.in_(("publish", "add_entry", "update_entry")))).all()
        publish_id = next(i for i, action in log if action == "publish")
        assert all(i < publish_id for i, action in log if action != "publish"), \
            "a change was accepted after the list was published"
    else:
        assert final.status == "notice"
