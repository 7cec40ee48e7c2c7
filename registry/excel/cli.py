"""``flask --app registry import FILE``: the same import as the web pages, from the shell.

The ``--json`` report is one object other tools read, so its shape is fixed:
{"kind", "programme", "status": "committed"|"dry-run"|"rejected",
 "counts": {"new", "updated", "unchanged", "error"},
 "errors": [{"sheet", "row", "column", "value", "reason"}],
 "changes": [{"sheet", "row", "uscc", "field", "old", "new"}]}.
Exit code: 0 committed or a clean dry run; 1 rows in error (nothing written); 2 the file
itself refused, or the import refused because another one wrote the same records meanwhile. Every run but a dry run leaves an ImportBatch (uploaded by 命令行).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from registry.errors import RegistryError
from registry.excel import services
from registry.excel.importer import error_count
from registry.excel.specs import PROGRAMME_LABELS
from registry.excel.types import ERROR, NEW, UNCHANGED, UPDATED
from registry.extensions import db
from registry.vocab import IMPORT_KINDS

KINDS = tuple(IMPORT_KINDS)
SHOWN = 100  # lines of errors / changes in the human report
STATUS_TEXT = {"committed": "已导入", "dry-run": "试运行（未写入任何数据）", "rejected": "已拒绝（未写入任何数据）"}


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="导入类型（默认由表头推断）")
@click.option("--programme", help="认定类别，如 高新技术企业、雏鹰（默认由标题或文件名推断）")
@click.option("--year", type=int, help="年度（默认由年度列、工作表名、标题或文件名推断）")
@click.option("--dry-run", is_flag=True, help="只检查并列出将发生的变化，不写入")
@click.option("--valid-only", is_flag=True, help="有错误行时仅导入无误的行")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@click.option("--progress/--no-progress", default=None,
              help="在标准错误输出显示读取进度（默认：终端上显示）")
@with_appcontext
def import_command(file: Path, kind, programme, year, dry_run, valid_only, as_json, progress):
    """导入 Excel/CSV 工作簿（企业名录、认定名单、研发机构、科技创新团队、年度数据）。"""
    data = file.read_bytes()
    bar = ProgressLine(enabled=progress)
    try:
        batch = services.new_batch(None, data, file.name, kind=kind, programme=programme, year=year)
        plan = services.plan_batch(batch, data, progress=bar)
        db.session.add(batch)
        db.session.flush()
    except RegistryError as exc:
        bar.close()
        db.session.rollback()
        _emit(_refused(kind, programme, exc), as_json, file.name, refused=True)
        raise SystemExit(2)

    errors = error_count(plan)
    if dry_run:
        db.session.rollback()  # a dry run leaves nothing behind, not even the batch
        status, code = "dry-run", (1 if errors else 0)
    elif errors and not valid_only:
        services.reject_batch(None, batch, plan)
        db.session.commit()
        status, code = "rejected", 1
    else:
        bar.stage("读取和核对完成，正在写入…")
        try:
            services.confirm_batch(None, batch, valid_only=valid_only, plan=plan)
            db.session.commit()
        except RegistryError as exc:  # e.g. another import wrote the same firms meanwhile
            bar.close()
            db.session.rollback()
            _emit(_refused(kind, programme, exc), as_json, file.name, refused=True)
            raise SystemExit(2)
        except Exception:
            bar.close()
            db.session.rollback()
            raise
        status, code = "committed", 0
    bar.close()
    workbook = plan.workbook
    report = {"kind": workbook.kind, "programme": workbook.programme, "status": status,
              "counts": plan.counts(), "errors": [e.as_dict() for e in plan.errors],
              "changes": [c.as_dict() for c in plan.changes]}
    _emit(report, as_json, file.name, plan=plan, batch_id=None if dry_run else batch.id)
    raise SystemExit(code)


class ProgressLine:
    """Rows read / total on standard error, so ``--json`` on standard output stays one
    object. On a terminal one line is redrawn; elsewhere (``--progress`` into a log) a
    line is written every tenth of the way."""

    def __init__(self, enabled: bool | None = None):
        self.tty = sys.stderr.isatty()
        self.enabled = self.tty if enabled is None else enabled
        self._shown = -1
        self._open = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        percent = min(100, 100 * done // total)
        if self.tty:
            width = 30
            filled = width * percent // 100
            click.echo(f"\r读取 [{'#' * filled}{'.' * (width - filled)}] {done}/{total} 行 {percent}%",
                       err=True, nl=False)
            self._open = True
        elif percent // 10 > self._shown:
            self._shown = percent // 10
            click.echo(f"读取 {done}/{total} 行（{percent}%）", err=True)

    def stage(self, text: str) -> None:
        if self.enabled:
            self._end_line()
            click.echo(text, err=True)

    def close(self) -> None:
        if self.enabled:
            self._end_line()

    def _end_line(self) -> None:
        if self._open:
            click.echo("", err=True)
            self._open = False


def _refused(kind, programme, exc: RegistryError) -> dict:
    return {"kind": kind, "programme": programme, "status": "rejected",
            "counts": {NEW: 0, UPDATED: 0, UNCHANGED: 0, ERROR: 0},
            "errors": [{"sheet": "", "row": 0, "column": "", "value": "", "reason": exc.message}],
            "changes": []}


def _emit(report: dict, as_json: bool, filename: str, *, plan=None, batch_id=None,
          refused: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    echo = click.echo
    echo(f"文件：{filename}")
    if refused:
        echo(f"无法导入：{report['errors'][0]['reason']}")
        return
    workbook = plan.workbook
    line = f"类型：{IMPORT_KINDS.get(workbook.kind, workbook.kind)}"
    if workbook.programme:
        line += f"　类别：{PROGRAMME_LABELS.get(workbook.programme, workbook.programme)}"
    if workbook.year:
        line += f"　年度：{workbook.year}"
    echo(line)
    for sentence in workbook.inferred.values():
        echo(f"推断：{sentence}")
    echo("工作表：" + "，".join(f"{s.name}（{len(s.rows)}行）" for s in workbook.sheets))
    counts = report["counts"]
    echo(f"新增 {counts[NEW]}，更新 {counts[UPDATED]}，未变 {counts[UNCHANGED]}，错误 {counts[ERROR]}")
    _listing("错误", [_error_line(e) for e in report["errors"]])
    _listing("变更", [_change_line(c) for c in report["changes"]])
    status = report["status"]
    text = STATUS_TEXT[status]
    if status == "rejected":
        text = f"有 {len(report['errors'])} 处错误，{text}；请修正后重新导入，或加 --valid-only 仅导入无误的行"
    if batch_id is not None:
        text += f"（批次 #{batch_id}）"
    echo(f"结果：{text}")


def _listing(title: str, lines: list[str]) -> None:
    if not lines:
        return
    click.echo(f"{title}（{len(lines)}）：")
    for line in lines[:SHOWN]:
        click.echo("  " + line)
    if len(lines) > SHOWN:
        click.echo(f"  ……另有 {len(lines) - SHOWN} 条（用 --json 查看全部）")


def _error_line(e: dict) -> str:
    where = f"[{e['sheet']}]" + (f" 第{e['row']}行" if e["row"] else "")
    cell = f" {e['column']}" if e["column"] else ""
    value = f"“{e['value']}”" if e["value"] else ""
    return f"{where}{cell}{value}：{e['reason']}"


def _change_line(c: dict) -> str:
    code = f" {c['uscc']}" if c["uscc"] else ""
    return f"[{c['sheet']}] 第{c['row']}行{code} {c['field']}：{c['old'] or '（空）'} → {c['new'] or '（空）'}"
