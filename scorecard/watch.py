"""Drop-folder mode: look at the input folder every few seconds and run when it has changed.

Polling (not OS notifications) works the same on Windows, Linux and network shares. A change is
acted on once the folder has looked the same for two looks in a row, so a file still being
copied in is not read half-written.
"""
from __future__ import annotations

import time
from pathlib import Path

from . import console
from .fsutil import LockHeld
from .pipeline import discover, run


def snapshot(input_dir: Path, output_dir: Path) -> tuple:
    state = []
    for path in discover(input_dir, exclude=output_dir):
        try:
            st = path.stat()
        except OSError:
            continue
        state.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(state)


def watch(rules, input_dir: Path, output_dir: Path, *, interval: float = 5.0, max_runs: int | None = None,
          sleep=time.sleep, after_run=None, **run_options) -> int:
    """Run until interrupted (or `max_runs` runs, for tests). Returns the number of runs made.
    after_run(result), when given, is called after each run (e-mail delivery)."""
    console.say(f"正在监视 {input_dir}（每 {interval:g} 秒检查一次，按 Ctrl+C 停止）")
    done, last_run, previous = 0, None, None
    while max_runs is None or done < max_runs:
        current = snapshot(input_dir, output_dir)
        if current == previous and current != last_run:
            try:
                result = run(rules, input_dir, output_dir, **run_options)
                console.run_report(result.summary, result.round_dir)
                if after_run is not None:
                    after_run(result)
                last_run = current
                done += 1
            except LockHeld:
                console.say("另一个处理任务正在运行，稍后重试。")
        previous = current
        if max_runs is None or done < max_runs:
            sleep(interval)
    return done
