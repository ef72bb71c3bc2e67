"""`process.py` under a chosen start method, with every pool threshold at 1 (tests of the pools).

    python tests/pooldrive.py fork|spawn ARGS...       # ARGS as for process.py

Windows has only spawn; Linux defaults to fork. With the thresholds at 1 a run of the 14 bundled
samples reads and renders in worker processes, as a round of hundreds would.
"""
import multiprocessing
import sys
from pathlib import Path

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1], force=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from scorecard import reports, stages
    from scorecard.cli import main

    stages.PARALLEL_FROM = stages.SPAWN_PARALLEL_FROM = 1
    reports.PARALLEL_FROM = reports.SPAWN_PARALLEL_FROM = 1
    sys.exit(main(sys.argv[2:]))
