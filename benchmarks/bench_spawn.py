"""Where a process pool starts to pay, under fork (Linux) and spawn (Windows' only start method).

    .venv/bin/python benchmarks/bench_spawn.py                       # N = 60, 120, 240, 480
    .venv/bin/python benchmarks/bench_spawn.py --sizes 100 200 --methods spawn

For each N (bench_scale's generated departments, kept in --workdir) and start method, a fresh
process runs the whole pipeline twice into fresh output folders: once with one worker (no pool),
once with --workers (default 2) and the pool thresholds set to 1 (a pool whatever the size). The
two stages that can pool are timed apart: read+validate (stages.PARALLEL_FROM /
SPAWN_PARALLEL_FROM) and reports (reports.PARALLEL_FROM / SPAWN_PARALLEL_FROM). A pool is worth
it from the smallest N where its time is below one worker's. Figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STAGES = ("read+validate", "reports")


def child(method: str, rules_path: str, inp: str, workers: int) -> dict:
    import multiprocessing

    multiprocessing.set_start_method(method, force=True)
    from scorecard import pipeline, reports, stages
    from scorecard.rules import load_rules

    rules = load_rules(Path(rules_path))
    times = {}
    for label, n in (("one", 1), ("pool", workers)):
        if n > 1:
            stages.PARALLEL_FROM = stages.SPAWN_PARALLEL_FROM = 1
            reports.PARALLEL_FROM = reports.SPAWN_PARALLEL_FROM = 1
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            result = pipeline.run(rules, Path(inp), Path(out), workers=n, force=True)
            times[label] = {**{s: result.timings.get(s, 0.0) for s in STAGES}, "total": time.perf_counter() - start}
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 120, 240, 480])
    parser.add_argument("--methods", nargs="+", default=["fork", "spawn"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scorecard-bench"))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, rules_path, inp, workers = args.child
        print(json.dumps(child(method, rules_path, inp, int(workers))))
        return 0
    from bench_scale import generate

    print(f"{'N':>5} {'method':<6} " + " ".join(f"{s + ' 1 / pool':>22}" for s in STAGES + ("total",)), flush=True)
    for n in args.sizes:
        rules_path, inp = generate(n, args.workdir)
        for method in args.methods:
            p = subprocess.run([sys.executable, __file__, "--child", method, str(rules_path), str(inp),
                                str(args.workers)], capture_output=True, text=True, check=True)
            t = json.loads(p.stdout.strip().splitlines()[-1])
            cells = [f"{t['one'][s]:9.2f} / {t['pool'][s]:6.2f} s" for s in STAGES + ("total",)]
            print(f"{n:>5} {method:<6} " + " ".join(f"{c:>22}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
