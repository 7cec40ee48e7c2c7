"""Import speed and memory for a large firm roster, as ratios to openpyxl's bare parse.

Generates an N-row roster (default 100,000) shaped like the bureau's (title row, blank
row, header, text dates and "1,000" capitals here and there), then measures, each in its
own process so peak memory is that step's alone:

* baseline  — openpyxl read-only parse of the file, touching every cell value;
* dry run   — read + classify every row (nothing written);
* commit    — read + classify + write, into an empty database;
* re-import — the same file again (every row 未变);
* full DB   — a second roster into the now-full database: half its rows change a
              field of an existing firm, half are new firms.

Targets (issue #3): commit ≤ 0.5 × baseline, dry run ≤ 0.35 ×, re-import ≤ 0.5 ×,
peak memory ≤ 300 MiB. Times are wall-clock on a shared machine: read the ratios.

    .venv/bin/python -m bench.import_roster [--rows 100000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.memory import peak_mib

TARGETS = {"dry run": 0.35, "commit (empty DB)": 0.5, "re-import (未变)": 0.5,
           "commit (full DB)": None}
MEMORY_TARGET_MIB = 300

TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "宗汉街道", "坎墩街道", "周巷镇", "观海卫镇", "逍林镇",
         "新浦镇", "胜山镇", "横河镇", "匡堰镇", "长河镇", "崇寿镇", "庵东镇", "桥头镇", "附海镇",
         "掌起镇", "龙山镇", "杭州湾新区"]
INDUSTRIES = ["智能家电", "高端机械基础件", "汽车及关键零部件", "智能装备", "新材料", "生命健康", "其他"]
HEADERS = ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "所属产业", "成立日期",
           "注册资本（万元）", "法定代表人", "联系人", "联系电话", "是否规上企业"]


def make_roster(path: Path, rows: int, *, offset: int = 0, change_from: int | None = None) -> None:
    """Write a roster; firm i gets a deterministic valid USCC and name."""
    from openpyxl import Workbook

    from registry.firms.uscc import make_uscc

    rng = random.Random(rows + offset)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append([f"慈溪市企业名录（{rows}家，基准测试）"])
    ws.append([])
    ws.append(HEADERS)
    base = date(1995, 1, 1)
    for n in range(rows):
        i = n + offset
        founded = base + timedelta(days=(i * 37) % 7300)
        capital = 50 + (i * 13) % 5000
        if change_from is not None and n < change_from:
            capital += 1  # an existing firm whose capital changed
        ws.append([
            n + 1, f"慈溪市基准{i:06d}电器有限公司", make_uscc("91330282", f"{i + 30_000_000:08d}"),
            TOWNS[i % len(TOWNS)], INDUSTRIES[i % len(INDUSTRIES)],
            founded.strftime("%Y.%m.%d") if i % 10 == 0 else founded,
            f"{capital:,}" if i % 17 == 0 else capital,
            f"法人{i % 997}", f"联系人{i % 991}", f"138{rng.randrange(10**8):08d}",
            "是" if i % 3 == 0 else "否",
        ])
    wb.save(path)


def step(name: str, path: str, url: str) -> dict:
    """Run one measured step in this process (called in a child)."""
    t0 = time.perf_counter()
    if name == "baseline":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        cells = 0
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += sum(1 for v in row if v is not None)
        wb.close()
        extra = {"cells": cells}
    else:
        from config import TestConfig
        from registry import create_app
        from registry.excel import services
        from registry.extensions import db

        class BenchConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = url

        app = create_app(BenchConfig)
        with app.app_context():
            t0 = time.perf_counter()  # app start-up is not the import's cost
            data = Path(path).read_bytes()
            batch, plan = services.stage_upload(None, data, Path(path).name)
            counts = plan.counts()
            if name != "dry run":
                services.confirm_batch(None, batch)
            db.session.commit()
            extra = {"counts": counts}
    elapsed = time.perf_counter() - t0
    peak = peak_mib()
    return {"seconds": elapsed, "peak_mib": peak, **extra}


def run_child(name: str, path: Path, url: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.import_roster", "--child", name,
                          "--file", str(path), "--database-url", url],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"step {name!r} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", default=None)
    parser.add_argument("--file", default=None)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(step(args.child, args.file, args.database_url), ensure_ascii=False, default=str))
        return

    from flask_migrate import upgrade

    from config import TestConfig
    from registry import create_app

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    with create_app(BenchConfig).app_context():
        upgrade()
    first, second = work / "roster_a.xlsx", work / "roster_b.xlsx"
    t0 = time.perf_counter()
    make_roster(first, args.rows)
    half = args.rows // 2
    make_roster(second, args.rows, offset=half, change_from=half)
    print(f"generated two {args.rows}-row rosters in {time.perf_counter() - t0:.1f} s "
          f"({first.stat().st_size / 2**20:.1f} MiB each); database {url.split('://')[0]}")

    results = {"baseline": run_child("baseline", first, url)}
    for name, path in [("dry run", first), ("commit (empty DB)", first),
                       ("re-import (未变)", first), ("commit (full DB)", second)]:
        results[name] = run_child(name, path, url)

    base = results["baseline"]["seconds"]
    print(f"\n{'step':22} {'seconds':>8} {'× baseline':>11} {'target':>8} {'peak MiB':>9}  counts")
    for name, r in results.items():
        ratio = r["seconds"] / base
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if ratio <= target else "OVER")
        mem_flag = "" if name == "baseline" or r["peak_mib"] <= MEMORY_TARGET_MIB else " OVER"
        print(f"{name:22} {r['seconds']:8.2f} {ratio:11.2f} {('≤ %.2f' % target) if target else '':>8} "
              f"{r['peak_mib']:9.0f}{mem_flag}  {r.get('counts', '')} {verdict}")
    print(f"memory target: ≤ {MEMORY_TARGET_MIB} MiB peak per import step")


if __name__ == "__main__":
    os.environ.setdefault("REGISTRY_ENV", "testing")
    main()
