"""The evidence stage of a run (CONTRACT §13): find each department's evidence beside its workbook,
read and type every file (in the worker pool, each content once: the ledger remembers what a
SHA-256 was found to be), judge them against the rules and earlier rounds, and file the counted
ones into the round's binder.

    outcome = gather(rules, input_dir, placed, ledger, round_name, workers)   # None: no evidence
    binder = file_binder(outcome, stage, rules)                               # index -> path in it
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from contextlib import closing
from dataclasses import asdict, replace
from pathlib import Path

from ..base import settings
from ..base.pools import MAX_WORKERS, Pool, parallel_from
from ..base.text import safe_filename
from ..evidence.find import TooLarge, find_evidence, is_evidence_path
from ..evidence.inspect import Inspection, inspect
from ..evidence.judge import Earlier, Outcome, Read, judge
from ..reports.evidence_doc import THUMB_PX, THUMBS
from ..rules import EvidenceSettings, Rules

logger = logging.getLogger(__name__)

BINDER = "佐证材料"
PARALLEL_FROM = int(settings.get("read_pool_from"))
SPAWN_PARALLEL_FROM = int(settings.get("read_pool_from_spawn"))

__all__ = ["BINDER", "evidence_paths", "gather", "file_binder", "without_answered_text_warnings"]


def evidence_paths(paths, input_dir: Path) -> set[Path]:
    """The files that are evidence (in a 佐证材料 folder, or a 佐证 zip): never read as workbooks."""
    return {p for p in paths if is_evidence_path(p, input_dir)}


def gather(rules: Rules, input_dir: Path, placed, ledger, round_name: str, workers: int = 1) -> Outcome | None:
    """Every evidence file of the round judged; None when the round has no evidence file and the
    rules no `evidence:` block (summary.json then has no `evidence`)."""
    from ..intake.validation import ACCEPTED

    workbooks = {p.checked.path: p.checked.department for p in placed
                 if p.checked.department and p.checked.path is not None}
    spellings = {}
    for d in rules.departments:
        for spelling in (d.name, *d.aliases):
            spellings[spelling] = d.name
    sources, warnings = find_evidence(input_dir, workbooks, spellings, [i.code for i in rules.indicators],
                                      max_members=rules.limits.max_members,
                                      max_total=int(rules.evidence.max_total_mb * 1024 * 1024))
    for w in warnings:
        logger.warning("%s", w)
    if not sources and rules.evidence == EvidenceSettings():
        return None
    reads = _read_all(sources, int(rules.evidence.max_file_mb * 1024 * 1024), ledger, workers)
    chosen = {p.checked.department: p.checked for p in placed if p.status == ACCEPTED}
    scores, texts = {}, {}
    for dept, c in chosen.items():
        for e in c.entries:
            if e.score is not None:
                scores[(dept, e.indicator)] = e.score
                texts[(dept, e.indicator)] = bool((e.evidence or "").strip())
    outcome = judge(rules, reads, scores=scores, texts=texts, earlier=_elsewhere(ledger, round_name))
    _keep(ledger, round_name, outcome, reads)
    thumbs = {r.sha256: r.inspection.thumbnail for r in reads
              if r.sha256 and r.inspection is not None and r.inspection.thumbnail}
    return replace(outcome, thumbnails=thumbs)


def _read_all(sources, max_file: int, ledger, workers: int) -> list[Read]:
    """Each source read (bounded) and typed; a content typed before (the ledger's evidence_seen,
    under the same code) is not typed again."""
    reads: list[Read | None] = [None] * len(sources)
    todo = []
    for n, s in enumerate(sources):
        if s.problem or s.size > max_file:
            reads[n] = Read(s)
        else:
            todo.append(n)
    known = _seen(ledger)
    jobs = [(sources[n], max_file) for n in todo]
    if workers > 1 and len(jobs) >= parallel_from(PARALLEL_FROM, SPAWN_PARALLEL_FROM):
        size = max(1, min(16, len(jobs) // (workers * 4)))
        with Pool(min(workers, MAX_WORKERS), _set_known, (known,)) as pool:
            done = [r for chunk in pool.map(_read_chunk, [jobs[k:k + size] for k in range(0, len(jobs), size)])
                    for r in chunk]
    else:
        _set_known(known)
        done = [_read_one(s, m) for s, m in jobs]
    for n, r in zip(todo, done):
        reads[n] = r
    _remember(ledger, [r for r in done if r.sha256 and r.inspection is not None and r.sha256 not in known])
    return reads


_KNOWN: dict[str, Inspection] = {}      # set once per worker (_set_known), not sent with every file


def _set_known(known: dict[str, Inspection]) -> None:
    _KNOWN.clear()
    _KNOWN.update(known)


def _read_chunk(jobs) -> list[Read]:
    return [_read_one(s, m) for s, m in jobs]


def _read_one(source, max_file: int) -> Read:
    try:
        data = source.read(max_file)
    except TooLarge:
        return Read(source, problem="evidence.too_large", reason="解压或读取后的大小超过单个文件的上限")
    except OSError as exc:
        return Read(source, problem="evidence.unreadable", reason=f"读取失败（{exc.strerror or exc}）")
    sha = hashlib.sha256(data).hexdigest()
    seen = _KNOWN.get(sha)
    return Read(source, sha, seen if seen is not None else inspect(source.path, data, thumb_px=THUMB_PX))


# --- the ledger's evidence tables (added like the outbox's: CREATE TABLE IF NOT EXISTS) ---

_TABLES = """
CREATE TABLE IF NOT EXISTS evidence_seen (sha256 TEXT NOT NULL, code TEXT NOT NULL, record TEXT NOT NULL,
                                          PRIMARY KEY (sha256, code));
CREATE TABLE IF NOT EXISTS evidence_files (round TEXT NOT NULL, department TEXT NOT NULL, file TEXT NOT NULL,
                                           sha256 TEXT NOT NULL, dhash TEXT, PRIMARY KEY (round, department, file));
"""


def _conn(ledger):
    conn = ledger.connect()
    conn.executescript(_TABLES)
    return conn


def _typing_code() -> str:
    """What a cached type depends on: the code that typed it (evidence/inspect.py, imagehash.py)."""
    from ..evidence import imagehash, inspect as typing

    digest = hashlib.sha256()
    for module in (typing, imagehash):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def _seen(ledger) -> dict[str, Inspection]:
    with closing(_conn(ledger)) as conn:
        rows = conn.execute("SELECT sha256, record FROM evidence_seen WHERE code = ?", (_typing_code(),)).fetchall()
    return {sha: Inspection(**json.loads(record)) for sha, record in rows}


def _remember(ledger, reads: list[Read]) -> None:
    if not reads:
        return
    code = _typing_code()
    with closing(_conn(ledger)) as conn, conn:
        conn.executemany("INSERT OR REPLACE INTO evidence_seen (sha256, code, record) VALUES (?, ?, ?)",
                         [(r.sha256, code, json.dumps({k: v for k, v in asdict(r.inspection).items() if k != "thumbnail"},
                                                      ensure_ascii=False)) for r in reads])


def _elsewhere(ledger, round_name: str) -> list[Earlier]:
    with closing(_conn(ledger)) as conn:
        rows = conn.execute("SELECT round, department, file, sha256, dhash FROM evidence_files WHERE round != ? "
                            "ORDER BY round, department, file", (round_name,)).fetchall()
    return [Earlier(*row) for row in rows]


def _keep(ledger, round_name: str, outcome: Outcome, reads) -> None:
    """This round's readable files, for the rounds after it (duplicates and near copies)."""
    with closing(_conn(ledger)) as conn, conn:
        conn.execute("DELETE FROM evidence_files WHERE round = ?", (round_name,))
        conn.executemany("INSERT OR REPLACE INTO evidence_files (round, department, file, sha256, dhash) "
                         "VALUES (?, ?, ?, ?, ?)",
                         [(round_name, j.department, j.file, j.sha256, j.dhash) for j in outcome.files
                          if j.sha256 and j.counted])


def without_answered_text_warnings(placed, outcome: Outcome | None):
    """A workbook's evidence.missing (nothing in its 佐证材料 column) is answered by a counted file
    of that indicator; and each department's evidence findings go with its submission (the
    accepted one, else its latest)."""
    if outcome is None:
        return placed
    from ..intake.validation import ACCEPTED

    shown = {(j.department, j.indicator) for j in outcome.files if j.counted}
    latest: dict[str, int] = {}
    for n, p in enumerate(placed):
        d = p.checked.department
        if d and (p.status == ACCEPTED or d not in latest):
            latest[d] = n
    out = list(placed)
    for dept, n in latest.items():
        c = out[n].checked
        cells = {e.refs.get("evidence"): e.indicator for e in c.entries if e.refs}
        kept = tuple(f for f in c.findings
                     if not (f.rule == "evidence.missing" and (dept, cells.get(f.cell)) in shown))
        extra = tuple(replace(f, file=c.file) for f in outcome.findings.get(dept, ()))
        if kept != c.findings or extra:
            out[n] = replace(out[n], checked=replace(c, findings=kept + extra))
    return out


def file_binder(outcome: Outcome | None, stage: Path, rules: Rules) -> dict[int, str]:
    """output/<round>/佐证材料/<项目编号 项目名>/<指标编号 指标名>/<部门>_<file name>: each counted file,
    hard-linked where the file system allows (else copied; a zip member written out). Returns the
    path of each filed file relative to the round folder, by its index in outcome.files."""
    if outcome is None:
        return {}
    if outcome.thumbnails:              # made while typing, for 佐证材料目录.docx (and the next run)
        (stage / THUMBS).mkdir(parents=True, exist_ok=True)
        for sha, data in outcome.thumbnails.items():
            (stage / THUMBS / f"{sha}.jpg").write_bytes(data)
    filed: dict[int, str] = {}
    used: dict[Path, set[str]] = {}
    for n, j in enumerate(outcome.files):
        if not j.counted or not j.indicator:
            continue
        ind = rules.indicator(j.indicator)
        item = next((it for it in rules.items if it.code == ind.item), None)
        folder = (stage / BINDER / safe_filename(f"{ind.item} {item.name if item else ind.item_name}")
                  / safe_filename(f"{ind.code} {ind.name}"))
        folder.mkdir(parents=True, exist_ok=True)
        name = _unique(f"{j.department}_{j.file.rsplit('/', 1)[-1]}", used.setdefault(folder, set()))
        target = folder / name
        _put(j.source, target)
        filed[n] = target.relative_to(stage).as_posix()
    return filed


def _unique(name: str, used: set[str]) -> str:
    """safe_filename(name), made unique among `used` (case-blind) before its extension: 照片（2）.jpg."""
    name = safe_filename(name)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, k = name, 2
    while candidate.lower() in used:
        candidate, k = f"{stem}（{k}）{dot}{ext}", k + 1
    used.add(candidate.lower())
    return candidate


def _put(source, target: Path) -> None:
    if source.member is None:
        try:
            os.link(source.origin, target, follow_symlinks=False)
            return
        except OSError:
            shutil.copyfile(source.origin, target, follow_symlinks=False)
            return
    target.write_bytes(source.read(max(source.size, 1) * 2 + 1024))
