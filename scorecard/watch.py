"""Drop-folder mode: look at the input folder every few seconds and run when it has changed.

Polling (not OS notifications) works the same on Windows, Linux and network shares. A change is
acted on once the folder (and rules.yaml) has looked the same for `settle` seconds, so a file
still being copied in is not read half-written.

Made to run unattended:
- a failed cycle is logged with its traceback and the watcher carries on; that state of the folder
  is not retried, the next change triggers a new run (a held lock or a report open in Word is
  retried at the next look, since closing Word changes nothing in the input folder);
- SIGTERM, SIGINT (Ctrl+C) and, on Windows, Ctrl+Break set a stop flag. Sleeping stops at once; a
  run in progress is stopped at its next step (through the progress callback, before the new
  round folder is swapped in) so the previous outputs stay whole. A second signal stops at once.
- `once=True`: one pass for schedulers. It runs only if the folder (or rules.yaml) differs from
  the state of the last successful watcher run, kept in `<output>/.watch-state.json`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import signal
import threading
import time
from pathlib import Path
from typing import Callable

from . import console, stopping
from .errors import LedgerBusy, Stop
from .fsutil import LockHeld, OutputBusy, atomic_write_text
from .listing import shown
from .pipeline import discover, run
from .stopping import StopRequested

logger = logging.getLogger(__name__)

STATE_FILE = ".watch-state.json"




class Stopper:
    """A stop flag set by signals; `wait` sleeps until the timeout or a stop, whichever is first."""

    SIGNALS = ("SIGTERM", "SIGINT", "SIGBREAK")

    def __init__(self):
        self.event = threading.Event()
        self.in_run = False
        self._previous = {}

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def stop(self) -> None:
        self.event.set()
        if self._previous:          # installed: seen by long loops that have no progress tick
            stopping.request()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(max(0.0, seconds))

    def check(self, *_args) -> None:
        if self.stopped:
            raise StopRequested()

    def _handler(self, signum, frame):
        if self.stopped:
            raise KeyboardInterrupt()      # asked twice: stop now
        logger.info("收到停止信号（%s），正在停止……", signal.Signals(signum).name)
        self.stop()

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        stopping.clear()
        for name in self.SIGNALS:
            sig = getattr(signal, name, None)
            if sig is not None:
                self._previous[sig] = signal.signal(sig, self._handler)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        if self._previous:
            stopping.clear()
        self._previous.clear()


def snapshot(input_dir: Path, output_dir: Path, extra: tuple[Path, ...] = ()) -> tuple:
    state = []
    for path in [*discover(input_dir, exclude=output_dir), *extra]:
        try:
            st = path.stat()
        except OSError:
            continue
        state.append((shown(path), st.st_size, st.st_mtime_ns))
    return tuple(state)


def _digest(state: tuple) -> str:
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode("utf-8")).hexdigest()


def _saved_state(output_dir: Path) -> str | None:
    try:
        return json.loads((output_dir / STATE_FILE).read_text(encoding="utf-8")).get("digest")
    except (OSError, ValueError, AttributeError):
        return None


def _save_state(output_dir: Path, state: tuple) -> None:
    try:
        atomic_write_text(output_dir / STATE_FILE, json.dumps({"digest": _digest(state), "files": len(state)}))
    except OSError as exc:
        logger.warning("无法保存监视状态 %s：%s", output_dir / STATE_FILE, exc)


def watch(rules, input_dir: Path, output_dir: Path, *, interval: float = 5.0, settle: float = 0.0,
          max_runs: int | None = None, once: bool = False, rules_path: Path | None = None,
          load_rules: Callable[[Path], object] | None = None, sleep=None, clock=time.monotonic,
          stopper: Stopper | None = None, on_result=None, on_failure=None, on_busy=None, run_fn=run,
          **run_options) -> int:
    """Run until stopped (or `max_runs` runs, or one pass with `once`). Returns the number of runs made.

    `rules_path` with `load_rules`: rules.yaml is watched too and re-read when it changes (a broken
    edit is a failed cycle: logged, the previous rules stay in force until the next change).
    `on_result(result, seconds)` is called after each run (the CLI logs its summary lines there);
    `on_failure(exc, seconds)` after each failed cycle; `on_busy(exc)` when the lock is held or the
    round folder cannot be replaced (retried at the next look; with `once`, the pass ends there).
    `sleep` replaces the interruptible wait (tests); `stopper` may be shared with the caller.
    """
    stopper = stopper or Stopper()
    if run_fn is run:                       # §3: an unreadable file younger than this is still copying
        run_options.setdefault("settle", settle)
    own_signals = not stopper._previous
    if own_signals:
        stopper.install()
    wait = sleep if sleep is not None else stopper.wait
    extra = (rules_path,) if rules_path is not None else ()
    rules_seen = _stat(rules_path)
    if once:
        say(f"检查 {input_dir} 是否有变化（单次模式，文件稳定 {settle:g} 秒后处理）")
    else:
        say(f"正在监视 {input_dir}（每 {interval:g} 秒检查一次，文件稳定 {settle:g} 秒后处理；按 Ctrl+C 停止）")
    done = 0
    last_run = None                         # the folder's state last processed (or failed on)
    saved = _saved_state(output_dir) if once else None
    previous, changed_at = None, clock()
    try:
        while not stopper.stopped and (max_runs is None or done < max_runs):
            current = snapshot(input_dir, output_dir, extra)
            if current != previous:
                changed_at = clock()
            settled = current == previous and clock() - changed_at >= settle
            if settled and current != last_run:
                if once and saved == _digest(current):
                    say("输入文件夹和规则文件自上次处理后没有变化，本次不运行。")
                    break
                new_rules = None
                if rules_path is not None and load_rules is not None and _stat(rules_path) != rules_seen:
                    rules_seen = _stat(rules_path)
                    new_rules = _reload(load_rules, rules_path, on_failure)
                    if new_rules is None:           # broken edit: wait for the next change
                        last_run = current
                        if once:
                            break
                        previous = current
                        wait(interval)
                        continue
                    rules = new_rules
                outcome = _cycle(rules, input_dir, output_dir, stopper, on_result, on_failure, on_busy, run_fn,
                                 run_options)
                if outcome == "stopped" or (outcome == "retry" and once):
                    break
                if outcome != "retry":               # a held lock or an open report: look again next time
                    # A file still being copied is read again at the next look, changed or not.
                    last_run = None if outcome == "copying" else current
                    if outcome in ("ok", "copying"):
                        done += 1
                    if outcome == "ok":             # a copying file: the next --once pass runs again
                        _save_state(output_dir, current)
                    if once:
                        break
            previous = current
            if stopper.stopped or (max_runs is not None and done >= max_runs):
                break
            wait(interval)
    finally:
        if own_signals:
            stopper.restore()
    if stopper.stopped:
        say("监视已停止。")
    return done


def _stat(path: Path | None):
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _reload(load_rules, rules_path: Path, on_failure):
    logger.info("规则文件 %s 已修改，重新读取。", rules_path)
    try:
        return load_rules(rules_path)
    except Exception as exc:  # noqa: BLE001 - a broken edit of rules.yaml must not end the watcher
        logger.error("规则文件 %s 有误，仍按修改前的规则处理；修正后将自动重新读取：%s", rules_path, exc)
        if on_failure is not None:
            on_failure(exc, 0.0)
        return None


def _cycle(rules, input_dir, output_dir, stopper, on_result, on_failure, on_busy, run_fn, run_options):
    """One run. Returns "ok", "failed", "retry" or "stopped"."""
    started = time.monotonic()
    options = dict(run_options)
    progress = options.pop("progress", None)
    options["progress"] = _ticker(progress, stopper)
    stopper.in_run = True
    say(f"检测到 {input_dir} 有变化，开始处理。")
    try:
        result = run_fn(rules, input_dir, output_dir, **options)
    except StopRequested:
        logger.warning("本次处理已中止（收到停止信号），上一次的输出保持不变。")
        return "stopped"
    except LockHeld as exc:
        say("另一个处理任务正在运行，稍后重试。")
        if on_busy is not None:
            on_busy(exc)
        return "retry"
    except LedgerBusy as exc:                   # another program holds the ledger: try again at the next look
        logger.error("%s", exc.message)
        if on_busy is not None:
            on_busy(exc)
        return "retry"
    except Stop as exc:                         # damaged ledger, full or read-only output: said in one sentence
        logger.error("%s", exc.message)
        if on_failure is not None:
            on_failure(exc, time.monotonic() - started)
        return "failed"
    except OutputBusy as exc:
        logger.error("无法替换输出文件夹 %s：其中有文件正被打开（例如 Word 中的报告）。请关闭该文件，"
                     "下一次检查时会自动重试；上一次的输出保持不变。", exc)
        if on_busy is not None:
            on_busy(exc)
        return "retry"
    except Exception as exc:  # noqa: BLE001 - the watcher's whole point: one bad cycle must not end it
        logger.exception("本次处理失败，上一次的输出保持不变；输入文件夹或规则文件下次变化时将重新处理。")
        if on_failure is not None:
            on_failure(exc, time.monotonic() - started)
        return "failed"
    finally:
        stopper.in_run = False
        if progress is not None and hasattr(progress, "close"):
            progress.close()
    if on_result is not None:
        on_result(result, time.monotonic() - started)
    else:
        console.run_report(result.summary, result.round_dir)
    copying = any(f.get("rule") == "file.incomplete" for sub in result.summary.get("submissions", [])
                  for f in sub.get("findings") or [])
    return "copying" if copying else "ok"


def say(text: str) -> None:
    """A watcher's console line, with the time: it runs for days, its lines are read afterwards."""
    console.say(f"[{dt.datetime.now():%Y-%m-%d %H:%M:%S}] {text}")


def _ticker(progress, stopper: Stopper):
    """The progress callback handed to the run: it stops the run at a step when a stop was asked for."""
    if progress is None:
        return stopper.check

    def tick(stage, done, total):
        stopper.check()
        progress(stage, done, total)
    return tick
