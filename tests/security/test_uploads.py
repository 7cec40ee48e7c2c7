"""Promise 1: hostile uploads are refused or handled, in bounded time and memory, with a
clear Chinese message, and nothing is written.

Every file is built here (``hostile``), none is committed. Each case is tried three ways:

* staged (read + planned, the upload's whole server-side work) in a child process, whose
  wall time (≤ 5 s) and peak RSS (≤ 300 MiB, the interpreter and the app included) are
  measured — a regression that makes calamine allocate the whole grid shows up here as a
  failed child instead of a crashed test run;
* uploaded through the web page as staff: every table's row count is the same after;
* imported with ``flask import`` (JSON report, exit code): the same.

"Handled" files (a CSV named .xlsx, a huge declared dimension, hundreds of empty sheets
next to a real one, 100,000-character cells, control and direction-override characters,
formulas outside the imported cells) are read; whatever they would import waits in a
preview batch, and rows that are wrong stay out (the CLI rejects them, writing only the
record of the attempt).
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import func, select

from registry.excel import container
from registry.excel.container import Limits
from registry.excel.models import ImportBatch
from registry.excel.reader import read_workbook
from registry.excel.types import FileRefused
from registry.extensions import db
from registry.firms.models import Firm
from tests.security import hostile

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 5.0
PEAK_MIB = 300
CJK = re.compile(r"[\u4e00-\u9fff]")
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], bytes]
    filename: str = "名录.xlsx"
    refused: str | None = None  # a part of the refusal message; None: the file is handled
    rows: int = 0  # handled: data rows read
    errors: int = 0  # handled: rows in error (wrong values stay out)


CASES = [
    Case("entity-bomb-shared-strings", lambda: hostile.entity_bomb("xl/sharedStrings.xml"), refused="DTD"),
    Case("entity-bomb-workbook", lambda: hostile.entity_bomb("xl/workbook.xml"), refused="DTD"),
    Case("entity-bomb-sheet", lambda: hostile.entity_bomb("xl/worksheets/sheet1.xml"), refused="DTD"),
    Case("entity-bomb-content-types", lambda: hostile.entity_bomb("[Content_Types].xml"), refused="DTD"),
    Case("entity-bomb-utf16", hostile.utf16_entity_bomb, refused="DTD"),
    Case("external-entity", hostile.external_entity, refused="DTD"),
    Case("zip-bomb-2gib", lambda: _bomb(False), refused="解压后过大"),
    Case("zip-bomb-lying-sizes", lambda: _bomb(True), refused="已损坏"),
    Case("zip-many-members", hostile.many_members, refused="个文件"),
    Case("legacy-xls-renamed", hostile.legacy_xls, refused="旧版 Excel（.xls）"),
    Case("zero-bytes", lambda: b"", refused="0 字节"),
    Case("random-bytes", hostile.random_bytes, refused="不是 Excel 工作簿"),
    Case("random-after-zip-magic", hostile.random_zip, refused="已损坏"),
    Case("macro-enabled", hostile.macro_workbook, "名录.xlsm", refused="宏"),
    Case("far-cell", hostile.far_cell, refused="超过上限"),
    Case("far-cell-namespaced", hostile.prefixed_far_cell, refused="超过上限"),
    Case("far-cell-leading-zeros", hostile.odd_references, refused="超过上限"),
    Case("last-row-of-the-grid", hostile.many_rows_declared, refused="超过上限"),
    Case("unreferenced-wide-row", hostile.unreferenced_wide_row, refused="列数超过上限"),
    Case("wide-and-tall", hostile.wide_and_tall, refused="使用区域过大"),
    Case("hundreds-of-empty-sheets", hostile.empty_sheets, refused="未找到可识别的表头"),
    Case("formulas-in-imported-cells", hostile.formula_workbook, refused="是公式而不是数值"),
    Case("formulas-without-cached-values", lambda: hostile.formula_workbook(cached=False),
         refused="是公式而不是数值"),
    Case("shared-formula", hostile.shared_formula_workbook, refused="是公式而不是数值"),
    Case("csv-renamed-xlsx", hostile.csv_renamed, rows=3),
    Case("huge-declared-dimension", hostile.huge_dimension, rows=3),
    Case("empty-sheets-beside-a-roster", lambda: hostile.empty_sheets(400, with_roster=True), rows=3),
    Case("100000-character-cells", hostile.long_cells, rows=3, errors=3),
    Case("long-cells-everywhere", lambda: hostile.long_cells_everywhere(columns=6, rows=6), rows=6, errors=6),
    Case("control-and-rtl-characters", hostile.control_names, "报表\u202excod.xlsx", rows=3, errors=3),
]
REFUSED = [c for c in CASES if c.refused]
HANDLED = [c for c in CASES if not c.refused]


@cache
def _bomb(lie: bool) -> bytes:
    return hostile.zip_bomb(2.0, lie=lie)


@cache
def built(case_id: str) -> bytes:
    return next(c for c in CASES if c.id == case_id).build()


def ids(cases):
    return [c.id for c in cases]


# --- bounded time and memory: the staging in a child process ---------------------------------
CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))  # a runaway fails, the machine lives
from config import TestConfig
from registry import create_app
from registry.errors import RegistryError
from registry.excel import services
from registry.extensions import db

class ChildConfig(TestConfig):
    SQLALCHEMY_DATABASE_URI = sys.argv[3]

app = create_app(ChildConfig)
data = open(sys.argv[1], "rb").read()
out = {}
with app.app_context():
    started = time.perf_counter()
    try:
        batch, plan = services.stage_upload(None, data, sys.argv[2])
        out["rows"] = len(plan.rows)
        out["errors"] = sum(1 for r in plan.rows if r.status == "error")
        out["reasons"] = sorted({e.reason for r in plan.rows for e in r.errors})
        out["sheets"] = [s.name for s in plan.workbook.sheets]
    except RegistryError as exc:
        out["refused"] = exc.message
    out["seconds"] = time.perf_counter() - started
    db.session.rollback()
# VmHWM is this process image's own peak: ru_maxrss would also carry the parent's size at
# fork (Linux keeps it across exec), i.e. the whole test run's, not the upload's.
with open("/proc/self/status") as status:
    hwm = next((ln for ln in status if ln.startswith("VmHWM:")), None)
out["peak_mib"] = (int(hwm.split()[1]) if hwm else
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
print("RESULT " + json.dumps(out, ensure_ascii=False))
"""


def stage_in_child(path: Path, filename: str, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_ENV")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), filename, database_url],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert proc.returncode == 0 and line, f"child failed ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(line[len("RESULT "):])


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_staging_is_bounded_in_time_and_memory(case, app, database_url, tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(built(case.id))
    out = stage_in_child(path, case.filename, database_url)
    assert out["seconds"] <= SECONDS, out
    assert out["peak_mib"] <= PEAK_MIB, out
    if case.refused:
        assert "refused" in out, out
        assert case.refused in out["refused"] and CJK.search(out["refused"]), out
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", out["refused"]), out  # no library English
    else:
        assert "refused" not in out, out
        assert (out["rows"], out["errors"]) == (case.rows, case.errors), out
        for text in out["reasons"] + out["sheets"]:
            assert not INVISIBLE.search(text), text
            assert len(text) <= 300, text[:100]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


# --- nothing written: through the web page and the command line --------------------------
def table_counts() -> dict[str, int]:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


def upload(client, data: bytes, name: str):
    return client.post("/excel/upload", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def flashes(page: str) -> list[str]:
    return re.findall(r'<div class="alert alert-\w+" role="alert">(.*?)</div>', page, re.S)


@pytest.mark.parametrize("case", REFUSED, ids=ids(REFUSED))
def test_web_upload_refuses_and_writes_nothing(case, client, login):
    login("staff")
    before = table_counts()
    resp = upload(client, built(case.id), case.filename)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/excel/")
    messages = flashes(client.get("/excel/").get_data(as_text=True))
    assert messages and case.refused in messages[0] and CJK.search(messages[0]), messages
    db.session.rollback()
    assert table_counts() == before


@pytest.mark.parametrize("case", HANDLED, ids=ids(HANDLED))
def test_web_upload_of_handled_files_only_stages_a_preview(case, client, login):
    login("staff")
    before = table_counts()
    resp = upload(client, built(case.id), case.filename)
    assert resp.status_code == 302 and re.search(r"/excel/\d+$", resp.headers["Location"]), resp.status_code
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert not INVISIBLE.search(page)  # no override or control character reaches the page
    db.session.rollback()
    after = table_counts()
    assert after.pop("import_batches") == before.pop("import_batches") + 1
    assert after == before  # the preview holds the file; no firm, no audit entry yet
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == "preview" and not INVISIBLE.search(batch.filename)
    if case.errors:  # rows in error: confirming refuses, still nothing written
        resp = client.post(f"/excel/{batch.id}/confirm", data={})
        assert resp.status_code == 302
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 0


@pytest.fixture
def cli(app, tmp_path):
    runner = app.test_cli_runner()

    def invoke(case: Case, *args):
        path = tmp_path / case.filename
        path.write_bytes(built(case.id))
        result = runner.invoke(args=["import", str(path), "--json", *args], catch_exceptions=False)
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        return result.exit_code, json.loads(lines[-1])

    return invoke


@pytest.mark.parametrize("case", REFUSED, ids=ids(REFUSED))
def test_cli_refuses_and_writes_nothing(case, cli, ctx):
    before = table_counts()
    code, report = cli(case)
    assert code == 2 and report["status"] == "rejected"
    reason = report["errors"][0]["reason"]
    assert case.refused in reason and CJK.search(reason)
    ctx.rollback()
    assert table_counts() == before


@pytest.mark.parametrize("case", HANDLED, ids=ids(HANDLED))
def test_cli_handles_and_keeps_wrong_rows_out(case, cli, ctx):
    before = table_counts()
    if case.errors:  # a real import: rejected, only the record of the attempt is kept
        code, report = cli(case)
        assert (code, report["status"]) == (1, "rejected")
        assert report["counts"]["error"] == case.errors
        assert all(len(e["reason"]) <= 300 and not INVISIBLE.search(e["reason"] + e["value"])
                   for e in report["errors"])
        ctx.rollback()
        after = table_counts()
        assert after.pop("import_batches") == before.pop("import_batches") + 1
        assert after == before
        assert ctx.scalar(select(ImportBatch.status)) == "rejected"
    else:  # a clean file: a dry run reads it all and writes nothing at all
        code, report = cli(case, "--dry-run")
        assert (code, report["status"]) == (0, "dry-run") and report["counts"]["new"] == case.rows
        ctx.rollback()
        assert table_counts() == before


# --- upload size, set by configuration ----------------------------------------------------
def test_upload_size_comes_from_configuration(app, client, login, cli, ctx, tmp_path):
    """MAX_UPLOAD_MB → MAX_CONTENT_LENGTH bounds the web upload (413) and, through
    Limits.from_config, the same file given to the command line."""
    env = dict(os.environ, MAX_UPLOAD_MB="3", PYTHONPATH=str(ROOT))
    probe = subprocess.run([sys.executable, "-c", "import config; print(config.Config.MAX_CONTENT_LENGTH)"],
                           capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert probe.stdout.strip() == str(3 * 2**20)

    data = hostile.valid_roster(40)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = len(data) // 2
    try:
        login("staff")
        before = table_counts()
        resp = upload(client, data, "名录.xlsx")
        assert resp.status_code == 413 and "文件过大" in resp.get_data(as_text=True)
        path = tmp_path / "名录.xlsx"
        path.write_bytes(data)
        result = app.test_cli_runner().invoke(args=["import", str(path), "--json"])
        report = json.loads(result.output.strip().splitlines()[-1])
        assert result.exit_code == 2 and "文件过大" in report["errors"][0]["reason"]
        db.session.rollback()
        assert table_counts() == before
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit


def test_import_limits_from_configuration(app):
    config = {"MAX_CONTENT_LENGTH": 5 * 2**20}
    assert Limits.from_config(config).max_file_bytes == 5 * 2**20
    config["IMPORT_LIMITS"] = {"max_rows": 10, "max_uncompressed_bytes": 1000}
    limits = Limits.from_config(config)
    assert (limits.max_rows, limits.max_uncompressed_bytes, limits.max_file_bytes) == (10, 1000, 5 * 2**20)
    config["IMPORT_LIMITS"]["max_file_bytes"] = 123
    assert Limits.from_config(config).max_file_bytes == 123
    assert Limits.from_config({}) == Limits()
    saved = app.config.get("IMPORT_LIMITS")
    app.config["IMPORT_LIMITS"] = {"max_uncompressed_bytes": 2000}
    try:
        with app.app_context():
            from registry.excel import services
            with pytest.raises(FileRefused, match="解压后过大"):
                services.stage_upload(None, hostile.valid_roster(), "名录.xlsx")
            db.session.rollback()
    finally:
        app.config["IMPORT_LIMITS"] = saved


# --- the extent scan, at chunk boundaries ----------------------------------------------------
@pytest.mark.parametrize("build", [hostile.far_cell, hostile.odd_references, hostile.wide_and_tall,
                                   hostile.prefixed_far_cell, hostile.unreferenced_wide_row])
def test_extent_scan_sees_cells_cut_by_chunk_boundaries(build, monkeypatch):
    """The sheet XML is read in chunks; with 64-byte chunks every reference is cut somewhere."""
    monkeypatch.setattr(container, "_CHUNK", 64)
    with pytest.raises(FileRefused, match="超过上限|过大"):
        read_workbook(build(), "x.xlsx")
    assert len(read_workbook(hostile.valid_roster(5), "x.xlsx").sheets[0].rows) == 5


def test_regular_workbooks_pass_the_extent_scan():
    """A dense sheet as wide as the ladder's first step and as tall as the row limit allows
    (limits scaled down) is read; a third wider is not."""
    limits = {"max_rows": 300, "max_columns": 40, "max_cells": 30 * 330, "header_scan_rows": 20}
    rows = hostile.roster(299)
    rows = [r + [f"附加{c}" for c in range(25)] for r in rows]  # 30 columns
    assert len(read_workbook(hostile.workbook({"名录": rows}), "x.xlsx", limits=limits).sheets[0].rows) == 299
    with pytest.raises(FileRefused, match="使用区域过大"):
        wide = [r + ["再加一列"] * 10 for r in rows]
        read_workbook(hostile.workbook({"名录": wide}), "x.xlsx", limits=limits)
