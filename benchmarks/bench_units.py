"""Units mode (CONTRACT §17) at scale: N units x 27 indicators, in 10 groups, through `process.py run`.

    .venv/bin/python benchmarks/bench_units.py --sizes 100 1000 10000

Workbooks come from bench_scale's generator (`_make`, every unit fills every indicator). Each run
is a fresh process (bench_scale.in_child-style), timed from outside; peak memory is VmHWM. Above
--documents-up-to units the department-mode Word reports are skipped as in bench_scale; the
units documents (测评结果汇总.docx, 测评结果.xlsx, one 单位反馈 per unit) are always written.
Figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
INDICATORS = 27
GROUPS = 10


def rules_text(n: int) -> str:
    lines = ["version: 1", "title: 文明单位测评", "organization: 某省文明办", "round: 规模测试", "as_of: 2026-12-31",
             "mode: units", "pass_score: 80", "bonus_cap: 5", "units:"]
    lines += [f"  - {{name: 单位{k:05d}, group: 系统{k % GROUPS:02d}, email: [u{k:05d}@example.gov.cn]}}"
              for k in range(n)]
    lines += ["items:"]
    per_item = INDICATORS // 3
    for item in range(3):
        lines += [f'  - code: "{"一二三"[item]}"', f"    name: 测评项目{item + 1}", "    indicators:"]
        for j in range(per_item):
            code = f"{item + 1}.{j + 1}"
            lines.append(f'      - {{code: "{code}", name: 指标{code}, max: 4, criteria: 标准{code}}}')
    lines += ["vetoes:", "  - {code: V1, name: 严重违纪违法}"]
    return "\n".join(lines) + "\n"


def generate(n: int, workdir: Path) -> tuple[Path, Path]:
    from concurrent.futures import ProcessPoolExecutor

    from bench_scale import _make

    base = workdir / f"units{n}"
    rules_path, inp = base / "rules.yaml", base / "input"
    if (base / ".complete").exists():
        return rules_path, inp
    inp.mkdir(parents=True, exist_ok=True)
    rules_path.write_text(rules_text(n), encoding="utf-8")
    names = [f"单位{k:05d}" for k in range(n)]
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make, [(rules_path, inp, names[k::cores]) for k in range(cores)]))
    (base / ".complete").write_text("ok")
    return rules_path, inp


def child(rules_path: str, inp: str, out: str, documents: str) -> None:
    from bench_scale import child_run, peak_mb

    from scorecard.operations import stages
    from scorecard.reports import units

    unit_docs = {}
    real = units.write_unit_documents

    def timed(summary, stage):
        start = time.perf_counter()
        written = real(summary, stage)
        unit_docs.update(seconds=time.perf_counter() - start, files=len(written))
        return written
    stages.write_unit_documents = timed
    result = child_run(Path(rules_path), Path(inp), Path(out), bool(int(documents)))
    result["unit_documents"] = unit_docs
    result["peak_mb"] = peak_mb()
    print(json.dumps(result, ensure_ascii=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scorecard-bench"))
    parser.add_argument("--documents-up-to", type=int, default=1000)
    parser.add_argument("--child", nargs=4)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    import shutil

    for n in args.sizes:
        rules_path, inp = generate(n, args.workdir)
        out = args.workdir / f"units{n}" / "output"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        p = subprocess.run([sys.executable, __file__, "--child", str(rules_path), str(inp), str(out),
                            str(int(n <= args.documents_up_to))], capture_output=True, text=True, encoding="utf-8")
        wall = time.perf_counter() - start
        if p.returncode:
            raise SystemExit(p.stderr)
        r = json.loads(p.stdout.strip().splitlines()[-1])
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        print(f"N={n}: wall {wall:.1f} s, peak {r['peak_mb']:.0f} MB; unit documents "
              f"{r['unit_documents'].get('files', 0)} in {r['unit_documents'].get('seconds', 0):.1f} s; stages: {stages}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
