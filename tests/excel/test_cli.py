"""``flask --app registry import``: exit codes, the JSON report's fixed shape, and what is
written (or not) for a clean file, a dirty one, a dry run and a refused file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditLog
from registry.excel.models import ImportBatch
from registry.firms.models import Firm
from registry.recognitions.models import Recognition

SAMPLES = Path(__file__).resolve().parents[2] / "imports" / "samples"
REPORT_KEYS = {"kind", "programme", "status", "counts", "errors", "changes"}


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["import", *map(str, args)], catch_exceptions=False)

    return invoke


def report(result) -> dict:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output  # exactly one JSON object
    data = json.loads(lines[0])
    assert set(data) == REPORT_KEYS
    assert set(data["counts"]) == {"new", "updated", "unchanged", "error"}
    for error in data["errors"]:
        assert set(error) == {"sheet", "row", "column", "value", "reason"}
    for change in data["changes"]:
        assert set(change) == {"sheet", "row", "uscc", "field", "old", "new"}
    return data


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_clean_roster_is_committed(cli, ctx):
    result = cli(SAMPLES / "firms_roster_2016.xlsx", "--json")
    assert result.exit_code == 0
    data = report(result)
    assert (data["kind"], data["programme"], data["status"]) == ("firms", None, "committed")
    assert data["counts"] == {"new": 140, "updated": 0, "unchanged": 0, "error": 0}
    assert data["errors"] == [] and data["changes"] == []
    assert count(ctx, Firm) == 140
    batch = ctx.scalar(select(ImportBatch))
    assert (batch.status, batch.uploaded_by_id, batch.created_count) == ("applied", None, 140)
    again = report(cli(SAMPLES / "firms_roster_2016.xlsx", "--json"))
    assert again["counts"] == {"new": 0, "updated": 0, "unchanged": 140, "error": 0}
    assert count(ctx, AuditLog) == 140


def test_dirty_roster_is_rejected_with_its_eight_errors(cli, ctx):
    result = cli(SAMPLES / "firms_roster_dirty.xlsx", "--json")
    assert result.exit_code == 1
    data = report(result)
    assert data["status"] == "rejected" and data["counts"]["error"] == 8
    assert [(e["sheet"], e["row"], e["column"]) for e in data["errors"]] == [
        ("企业名录", 6, "统一社会信用代码"), ("企业名录", 9, "统一社会信用代码"), ("企业名录", 12, "统一社会信用代码"),
        ("企业名录", 15, "企业名称"), ("企业名录", 18, "所在镇（街道）"), ("企业名录", 21, "成立日期"),
        ("企业名录", 24, "注册资本（万元）"), ("企业名录", 27, "注册资本（万元）")]
    assert data["errors"][4]["value"] == "慈溪镇"
    assert count(ctx, Firm) == 0
    batch = ctx.scalar(select(ImportBatch))
    assert (batch.status, batch.error_count, batch.content) == ("rejected", 8, None)


def test_valid_only_commits_the_good_rows(cli, ctx):
    result = cli(SAMPLES / "firms_roster_dirty.xlsx", "--valid-only", "--json")
    assert result.exit_code == 0
    data = report(result)
    assert data["status"] == "committed" and data["counts"]["new"] == 17 and len(data["errors"]) == 8
    assert count(ctx, Firm) == 17
    assert ctx.scalar(select(ImportBatch)).valid_only is True


def test_dry_run_writes_nothing(cli, ctx):
    clean = cli(SAMPLES / "teams.xlsx", "--dry-run", "--json")
    # no host firms in an empty registry: every team row is an error, and so are its members
    assert clean.exit_code == 1 and report(clean)["status"] == "dry-run"
    cli(SAMPLES / "firms_roster_2016.xlsx")
    result = cli(SAMPLES / "teams.xlsx", "--dry-run", "--json")
    assert result.exit_code == 0
    data = report(result)
    assert data["status"] == "dry-run" and data["counts"]["new"] == 46
    assert count(ctx, ImportBatch) == 1  # the roster's only
    assert count(ctx, AuditLog) == 140


def test_refused_file_exits_2(cli, ctx, tmp_path):
    bad = tmp_path / "old.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048)
    result = cli(bad, "--json")
    assert result.exit_code == 2
    data = report(result)
    assert data["status"] == "rejected" and data["errors"][0]["reason"]
    assert count(ctx, ImportBatch) == 0
    human = cli(bad)
    assert human.exit_code == 2 and "无法导入" in human.output


def test_forced_kind_programme_and_year(cli, ctx):
    cli(SAMPLES / "firms_roster_2016.xlsx")
    result = cli(SAMPLES / "chuying_2016.xlsx", "--kind", "recognitions", "--programme", "瞪羚",
                 "--year", "2015", "--json")
    assert result.exit_code == 0
    data = report(result)
    assert (data["kind"], data["programme"], data["counts"]["new"]) == ("recognitions", "gazelle", 20)
    assert {(r.programme.code, r.year) for r in ctx.scalars(select(Recognition))} == {("gazelle", 2015)}


def test_changes_are_reported_with_the_excel_row(cli, ctx, tmp_path):
    from openpyxl import load_workbook

    cli(SAMPLES / "firms_roster_2016.xlsx")
    wb = load_workbook(SAMPLES / "firms_roster_2016.xlsx")
    ws = wb.active
    ws.cell(10, 7).value = 99999
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    data = report(cli(path, "--json"))
    assert data["counts"] == {"new": 0, "updated": 1, "unchanged": 139, "error": 0}
    [change] = data["changes"]
    assert (change["sheet"], change["row"], change["uscc"], change["field"], change["new"]) == (
        "企业名录", 10, ws.cell(10, 3).value, "注册资本（万元）", "99999")


def test_human_report_is_chinese(cli, ctx):
    result = cli(SAMPLES / "firms_roster_dirty.xlsx")
    assert result.exit_code == 1
    assert "新增 17，更新 0，未变 0，错误 8" in result.output
    assert "第18行 所在镇（街道）“慈溪镇”" in result.output
    assert "已拒绝" in result.output
