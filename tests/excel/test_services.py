"""The import use cases as the web pages and the CLI call them: staging a batch, re-planning
from the stored bytes, confirming all-or-nothing, discarding, saved column maps, access."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.errors import NotFound, RegistryError
from registry.excel import importer_write, services
from registry.excel.models import ImportBatch, ImportMapping
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED, FileRefused
from registry.firms.models import Firm
from registry.recognitions.models import Recognition

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
ROSTER = "firms_roster_2016.xlsx"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_stage_upload_keeps_the_bytes_and_what_was_found(ctx, make):
    user = make.user("staff")
    data = sample("chuying_2016.xlsx")
    batch, plan = services.stage_upload(user, data, "chuying_2016.xlsx")
    assert (batch.status, batch.kind, batch.filename, batch.size, batch.uploaded_by_id) == (
        "preview", "recognitions", "chuying_2016.xlsx", len(data), user.id)
    assert batch.sha256 == hashlib.sha256(data).hexdigest() and batch.content == data
    assert (batch.programme.code, batch.year) == ("eaglet", 2016)
    # an empty registry: the list's 20 firms would be created along with their recognitions
    assert (batch.total_rows, batch.created_count, batch.error_count) == (20, 20, 0)
    summary = batch.summary
    assert summary["programme"] == "eaglet" and summary["year"] == 2016
    assert "programme" in summary["inferred"] and "year" in summary["inferred"]
    assert summary["sheets"][0]["name"] == "雏鹰企业名单" and summary["sheets"][0]["rows"] == 20
    assert summary["counts"] == plan.counts()
    assert count(ctx, Firm) == 0 and count(ctx, Recognition) == 0


def test_a_refused_file_stores_nothing(ctx):
    for data, name in [(b"", "empty.xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xlsx"),
                       (bytes(range(256)) * 20, "random.xlsx")]:
        with pytest.raises(FileRefused):
            services.stage_upload(None, data, name)
    assert count(ctx, ImportBatch) == 0


def test_load_plan_rereads_the_stored_bytes_against_the_registry_now(ctx, app):
    batch, plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    ctx.commit()
    batch_id = batch.id
    ctx.remove()  # another request, perhaps another worker: nothing kept in memory
    batch = services.get_batch_for(_staff(ctx), batch_id)
    again = services.load_plan(batch)
    assert again.counts() == plan.counts() == {NEW: 140, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
    result = services.confirm_batch(None, batch)
    ctx.commit()
    assert result[NEW] == 140 and count(ctx, Firm) == 140
    batch = ctx.get(ImportBatch, batch_id)
    assert batch.content is None and batch.status == "applied" and batch.applied_at is not None
    with pytest.raises(RegistryError, match="不再保留"):
        services.load_plan(batch)
    with pytest.raises(RegistryError, match="不能再次导入"):
        services.confirm_batch(None, batch)


def _staff(session):
    from registry.auth.models import User

    user = User(username="staff-x", display_name="工作人员", role="staff")
    session.add(user)
    session.flush()
    return user


def test_confirm_in_the_same_transaction_reuses_the_staged_plan(ctx, monkeypatch):
    batch, _plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    reads = []
    monkeypatch.setattr(services, "load_plan", lambda *a, **k: reads.append(a) or pytest.fail("re-read"))
    services.confirm_batch(None, batch)
    assert reads == [] and count(ctx, Firm) == 140


def test_a_later_confirmation_sees_what_changed_meanwhile(ctx, make):
    batch, plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    ctx.commit()
    assert plan.counts()[NEW] == 140
    # someone adds one of the firms before the preview is confirmed
    code = plan.rows[0].uscc
    make.firm(plan.rows[0].parsed.values["name"], uscc=code)
    ctx.commit()
    result = services.confirm_batch(None, ctx.get(ImportBatch, batch.id))
    ctx.commit()
    assert result[NEW] == 139 and count(ctx, Firm) == 140


def test_all_or_nothing_when_writing_fails_midway(ctx, monkeypatch):
    batch, _plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    ctx.commit()

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer_write.Writer, "flush_audit", broken)  # after the firms are inserted
    with pytest.raises(RuntimeError):
        services.confirm_batch(None, ctx.get(ImportBatch, batch.id))
    ctx.rollback()
    assert count(ctx, Firm) == 0 and count(ctx, AuditLog) == 0
    assert ctx.get(ImportBatch, batch.id).status == "preview"


def test_discard(ctx):
    batch, _plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    services.discard_batch(None, batch)
    assert (batch.status, batch.content) == ("discarded", None)
    with pytest.raises(RegistryError):
        services.confirm_batch(None, batch)
    with pytest.raises(RegistryError):
        services.discard_batch(None, batch)
    assert count(ctx, Firm) == 0


def test_reject_keeps_the_record_of_the_attempt(ctx):
    batch, plan = services.stage_upload(None, sample("firms_roster_dirty.xlsx"), "firms_roster_dirty.xlsx")
    services.reject_batch(None, batch, plan)
    assert (batch.status, batch.error_count, batch.content) == ("rejected", 8, None)
    assert count(ctx, Firm) == 0


def odd_roster(header: str = "企业规模标签") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码", "所在镇（街道）", "法定代表人", header])
    ws.append(["慈溪市映射测试有限公司", "9133028207078578XK", "周巷镇", "张三", "小微"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_saved_column_maps(ctx, make):
    user = make.user("staff")
    headers = ["企业名称", "统一社会信用代码", "所在镇（街道）", "法定代表人", "企业规模标签"]
    assert services.find_mapping("firms", headers) is None
    services.save_mapping(user, "firms", headers, {"企业规模标签": ""})
    services.save_mapping(user, "firms", headers, {"企业规模标签": "", "法定代表人": "legal_representative"})
    assert count(ctx, ImportMapping) == 1
    assert services.find_mapping("firms", [" 企业名称", "统一社会信用代码", "所在镇(街道)", "法定代表人",
                                           "企业规模标签"]) == {"企业规模标签": "", "法定代表人": "legal_representative"}
    assert services.find_mapping("teams", headers) is None
    batch, plan = services.stage_upload(user, odd_roster(), "odd.xlsx")
    assert plan.workbook.sheets[0].unmapped == []
    assert batch.options["mapping"] == {plan.workbook.sheets[0].name: {"企业规模标签": "",
                                                                       "法定代表人": "legal_representative"}}
    assert batch.summary["saved_mapping_applied"] is True
    assert services.load_plan(batch).workbook.sheets[0].unmapped == []


def test_a_mapping_given_per_sheet_or_flat(ctx):
    batch, plan = services.stage_upload(None, odd_roster("注册地"), "odd.xlsx")
    assert plan.workbook.sheets[0].unmapped == ["注册地"]
    sheet = plan.workbook.sheets[0].name
    nested = services.load_plan(batch, mapping={sheet: {"注册地": "address"}})
    assert nested.workbook.sheets[0].columns["address"] == "注册地"
    flat = services.load_plan(batch, mapping={"注册地": "address"})
    assert flat.rows[0].parsed.values["address"] == "小微"


def test_get_batch_for_is_staff_only_and_never_leaks(ctx, make):
    batch, _plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    staff, admin = make.user("staff"), make.user("admin")
    assert services.get_batch_for(staff, batch.id) is batch
    assert services.get_batch_for(admin, str(batch.id)) is batch
    firm = make.firm()
    for user in (make.user("viewer"), make.user("town", towns=["周巷镇"]), make.user("firm", firm=firm), None):
        with pytest.raises(NotFound):
            services.get_batch_for(user, batch.id)
    for bad in ("abc", "", None, -1, 0, 2**40, "1 OR 1=1", batch.id + 1000):
        with pytest.raises(NotFound):
            services.get_batch_for(staff, bad)


def test_recent_batches(ctx, make):
    first, _ = services.stage_upload(None, sample(ROSTER), ROSTER)
    second, _ = services.stage_upload(None, sample("teams.xlsx"), "teams.xlsx")
    staff = make.user("staff")
    assert services.recent_batches(staff)[:2] == [second, first]
    assert services.recent_batches(staff, limit=1) == [second]
    assert services.recent_batches(make.user("viewer")) == []


def test_a_batch_confirmed_elsewhere_meanwhile_is_not_imported_twice(ctx, app):
    from registry.extensions import db

    batch, _plan = services.stage_upload(None, sample(ROSTER), ROSTER)
    ctx.commit()
    batch = ctx.get(ImportBatch, batch.id)
    assert batch.status == "preview"
    with db.engine.begin() as other:  # another worker closes the batch first
        other.execute(ImportBatch.__table__.update().where(ImportBatch.__table__.c.id == batch.id)
                      .values(status="discarded", content=None))
    with pytest.raises(RegistryError, match="不能再次导入"):
        services.confirm_batch(None, batch)
    ctx.rollback()
    assert count(ctx, Firm) == 0
