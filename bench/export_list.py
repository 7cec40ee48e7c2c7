"""Official list export: 100,000 rows through the exporter vs openpyxl's bare write-only write.

Both steps write the same cells (title, header, N data rows, footnote) to an in-memory
.xlsx, each in its own child process so its peak memory (VmHWM, see bench/memory.py) is that step's alone;
the two alternate over several rounds and the median times are compared.

* baseline — ``Workbook(write_only=True)``, ``ws.append(values)`` per row, nothing styled;
* exporter — ``registry.lists.workbooks.official_sheet`` through ``write_workbook``: merged
             title, borders, widths, frozen header, A4 print setup, footnote, formula safety.

Targets (issue #6): exporter time ≤ 1.15 × baseline, exporter peak memory ≤ 100 MiB.
The ratio is taken on CPU time (``time.process_time``): on a shared machine the wall clock
mostly measures the neighbours. Wall-clock medians are printed beside it.

    .venv/bin/python -m bench.export_list [--rows 100000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench.memory import peak_mib

TIME_TARGET = 1.15
MEMORY_TARGET_MIB = 100
TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "宗汉街道", "坎墩街道", "周巷镇", "观海卫镇", "逍林镇",
         "新浦镇", "胜山镇", "横河镇", "匡堰镇", "长河镇", "崇寿镇", "庵东镇", "桥头镇", "附海镇",
         "掌起镇", "龙山镇", "杭州湾新区"]
TITLE = "2016年度慈溪市创新型“雏鹰”企业名单"
HEADERS = ["序号", "企业名称", "统一社会信用代码", "所在镇（街道）", "备注"]
FOOTNOTE = "注：名单排名不分先后，按所在镇（街道）排列。"


def rows(n: int):
    """Deterministic rows; a few names look like formulas, as real data sometimes does."""
    for i in range(n):
        name = f"=慈溪市基准{i:06d}电器有限公司" if i % 1000 == 0 else f"慈溪市基准{i:06d}电器有限公司"
        yield (i + 1, name, f"91330282{i + 30_000_000:08d}X{i % 10}", TOWNS[i % len(TOWNS)],
               "" if i % 7 else "由雏鹰晋级")


def step(name: str, n: int) -> dict:
    """One measured write; imports happen before the clock starts (they are not the export)."""
    from io import BytesIO

    from openpyxl import Workbook

    from registry.lists.workbooks import official_sheet, official_workbook

    t0, c0 = time.perf_counter(), time.process_time()
    if name == "baseline":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("名单")
        ws.append([TITLE])
        ws.append(HEADERS)
        for row in rows(n):
            ws.append(row)
        ws.append([FOOTNOTE])
        out = BytesIO()
        wb.save(out)
        size = len(out.getvalue())
    else:
        size = len(official_workbook([official_sheet(TITLE, rows(n), footnote=FOOTNOTE)]))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_mib()
    return {"seconds": seconds, "cpu": cpu, "peak_mib": peak, "bytes": size}


def run_child(name: str, n: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.export_list", "--child", name, "--rows", str(n)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(step(args.child, args.rows)))
        return
    results: dict[str, list[dict]] = {"baseline": [], "exporter": []}
    for r in range(args.rounds):
        order = ("baseline", "exporter") if r % 2 == 0 else ("exporter", "baseline")
        for name in order:
            results[name].append(run_child(name, args.rows))
    def median(name, key):
        return statistics.median(x[key] for x in results[name])

    base, ours = median("baseline", "cpu"), median("exporter", "cpu")
    peak = max(x["peak_mib"] for x in results["exporter"])
    base_peak = max(x["peak_mib"] for x in results["baseline"])
    ratio = ours / base
    print(f"rows: {args.rows:,}   rounds: {args.rounds} (medians; each step in its own process)")
    print(f"baseline  openpyxl write-only, bare values : {base:7.2f} s CPU  {median('baseline', 'seconds'):7.2f} s wall"
          f"   peak {base_peak:6.1f} MiB")
    print(f"exporter  official list (styled, safe)     : {ours:7.2f} s CPU  {median('exporter', 'seconds'):7.2f} s wall"
          f"   peak {peak:6.1f} MiB   file {results['exporter'][0]['bytes'] / 2**20:.1f} MiB")
    print(f"time ratio (CPU)  {ratio:5.2f} ×   target ≤ {TIME_TARGET:.2f} ×   "
          f"{'OK' if ratio <= TIME_TARGET else 'MISSED'}")
    print(f"wall ratio        {median('exporter', 'seconds') / median('baseline', 'seconds'):5.2f} ×   "
          f"(for information: wall time on a shared machine)")
    print(f"peak memory   {peak:7.1f} MiB   target ≤ {MEMORY_TARGET_MIB} MiB   "
          f"{'OK' if peak <= MEMORY_TARGET_MIB else 'MISSED'}")


if __name__ == "__main__":
    main()
