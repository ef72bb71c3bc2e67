"""Word reports (docxtpl) and the Excel gap list, rendered from the summary dict (docs/summary.md).

Nothing here computes a score: `build_context` (report_context.py) only formats the summary's
numbers, and those of analysis.py, and writes the sentences a reader needs (the verdict, where
the points are lost, what to do next, by whom and when); the templates only loop and test over
that context. The parts all documents share are built once per run (report_context.Shared), so a
department's report costs the same in a round of 10 or 1,000 departments. After rendering, a
table column empty in every row is dropped (docstyle.drop_empty_columns). Department reports and
问题清单.docx render through docxrender (the template opened and compiled once per process, the
package docxtpl would write); the summary report, with its charts, through docxtpl. write_reports
returns a manifest (Report records) for the mailer. Everything a department typed reaches the template as a context value
in an autoescaping, StrictUndefined Jinja environment, so it is shown literally and a template
that asks for something the context lacks fails loudly (ReportError) instead of printing nothing.

Templates: templates_dir/<name> when it exists, else the packaged default in templates/.
Checking a user-edited template folder before a run lives in templatecheck.py; it renders
through this module's build_context, make_environment and _read_template, so a check and a
real render cannot disagree about what a template may use.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError
from lxml.etree import XMLSyntaxError

from .. import PACKAGE_TEMPLATES
from ..base import settings
from . import charts, docfinish, docxrender
from ..base import pools, stopping
from ..base.codekey import code_version
from .docxrender import CompilingEnvironment, Template as _Template
from ..base.errors import ReportError  # noqa: F401 (raised here, imported from here by callers)
from ..office.gaplist import write_gap_xlsx
from .rendercache import RenderCache, content_key
from .department import department_context
from .context import TOP_GAPS, Shared, clean, gap_groups, verdict_sentence  # noqa: F401 (public)
from .summary import summary_context
from . import units as unit_docs
from ..base.text import unique_filename

SUMMARY_TEMPLATE = "汇总报告.docx"
DEPARTMENT_TEMPLATE = "部门报告.docx"
GAPLIST_TEMPLATE = "问题清单.docx"
TEMPLATE_NAMES = (SUMMARY_TEMPLATE, DEPARTMENT_TEMPLATE, GAPLIST_TEMPLATE)
DEFAULT_TEMPLATES = PACKAGE_TEMPLATES
DEPARTMENT_DIR = "部门报告"
GAPLIST_XLSX = "问题清单.xlsx"
logger = logging.getLogger(__name__)
CHART_WIDTH = Mm(150)
# Reader kinds of the manifest write_reports returns (for the mailer).
DEPARTMENT, LEADERS, OFFICE, RETURNED = "department", "leaders", "office", "returned"
# What python-docx/docxtpl raise for a template file that is not a usable .docx package.
_BROKEN_TEMPLATE = (PackageNotFoundError, KeyError, XMLSyntaxError, zipfile.BadZipFile)


# ---------------------------------------------------------------- environment and templates

def make_environment(undefined=StrictUndefined) -> Environment:
    return CompilingEnvironment(undefined=undefined, autoescape=True)


def template_path(name: str, templates_dir: Path | None = None) -> Path:
    """templates_dir/name when the user provides it, else the packaged default."""
    if templates_dir is not None:
        candidate = Path(templates_dir) / name
        if candidate.is_file():
            return candidate
    return DEFAULT_TEMPLATES / name


def _read_template(name: str, templates_dir: Path | None) -> bytes:
    path = template_path(name, templates_dir)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(name, f"找不到或无法读取模板文件 {path}（{exc.strerror}）") from exc
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReportError(name, f"模板文件 {path} 不是有效的 Word（.docx）文件，请用 Word 另存为 .docx")
    return data


# ---------------------------------------------------------------- context

def build_context(template: str, summary: dict, tpl: DocxTemplate | None = None,
                  department: str | None = None, *, chart_font: str | None = charts.AUTO,
                  shared: Shared | None = None) -> dict:
    """The context a template is rendered with. The same function serves real renders and
    templatecheck.template_problems. template is one of TEMPLATE_NAMES; department is needed for
    部门报告; shared: report_context.Shared(summary), built once per run (built here otherwise)."""
    shared = shared or Shared(summary)
    context = dict(shared.common)
    if template == SUMMARY_TEMPLATE:
        context.update(_summary_part(shared, tpl, chart_font))
    elif template == DEPARTMENT_TEMPLATE:
        context["dept"] = clean(department_context(shared, department))
    elif template == GAPLIST_TEMPLATE:
        context["gap_groups"] = gap_groups(shared)
    else:
        raise ValueError(f"unknown template {template!r}")
    return context


def _summary_part(shared: Shared, tpl, chart_font) -> dict:
    """The summary report's context plus its two charts (pictures need the template object)."""
    part = summary_context(shared)
    summary = shared.summary
    unit, items = summary.get("unit", {}), summary.get("items", [])
    ranked = shared.ranked
    chart_ranking, caption = charts.pick_departments(ranked)
    ref = (summary["pass_score"] / unit["max"]) if summary.get("pass_score") and unit.get("max") else None
    labels = [f"{i.get('code', '')} {i.get('name', '')}" for i in items] + [d["name"] for d in chart_ranking]
    font = charts.resolve_font(chart_font, labels)
    part["chart_departments_caption"] = caption
    if not font:
        logger.warning("no Chinese font for the charts (install fonts-noto-cjk): labels are numbers, "
                       "and the report says so under the charts")
        part["chart_note"] = ("注：本机未安装中文字体，图中以数字代替名称：图1的数字依次对应测评项目一至末项，"
                              "图2的数字对应附件排名表的“名次”。")
    if tpl is not None:
        item_png = charts.item_chart(items, ref=ref, font=font, titled=False)
        part["chart_items"] = InlineImage(tpl, io.BytesIO(item_png), width=CHART_WIDTH)
        if chart_ranking:
            dept_png = charts.department_chart(chart_ranking, ref=ref, font=font, titled=False)
            part["chart_departments"] = InlineImage(tpl, io.BytesIO(dept_png), width=CHART_WIDTH)
    return part


# ---------------------------------------------------------------- rendering

def _render(name: str, data: bytes, make_context, out_path: Path, env: Environment,
            patched: dict[str, str] | None = None) -> Path:
    tpl = _Template(io.BytesIO(data), patched)
    try:
        context = make_context(tpl)
        tpl.render(context, env)
    except TemplateSyntaxError as exc:
        raise ReportError(name, _syntax_message(exc)) from exc
    except TemplateError as exc:
        raise ReportError(name, f"模板使用了报告不提供的内容（{exc.message or exc}）。"
                                "请核对模板中的变量名称，可用模板检查列出全部问题。") from exc
    except _BROKEN_TEMPLATE as exc:
        raise ReportError(name, _broken_message(exc)) from exc
    docfinish.finish(tpl.docx)
    tpl.save(out_path)
    return out_path


# What makes docxrender hand a document back to docxtpl: a template it does not cover, or any
# error (docxtpl then raises it again, with its own context, as ReportError).
_FALLBACK = (docxrender.Unsupported, TemplateError, ValueError, *_BROKEN_TEMPLATE)


class _Renderer:
    """One template rendered many times (every department's report): opened and compiled once
    (docxrender.Prepared) and rendered without docxtpl, else through _render. A template from a
    user's folder is checked against docxtpl on the first document of each process: when the two
    differ, docxtpl renders the rest."""

    def __init__(self, name: str, data: bytes, env: Environment, patched: dict | None = None,
                 check: bool | None = None):
        self.name, self.data, self.env = name, data, env
        self.patched = {} if patched is None else patched
        self.check = data != _default_bytes(name) if check is None else check
        self.prepared = None

    def render(self, context: dict, out_path: Path) -> Path:
        if self.prepared is None:
            try:
                self.prepared = docxrender.Prepared(_Template(io.BytesIO(self.data), self.patched), self.env,
                                                    post=docfinish.finish)
            except _FALLBACK as exc:
                logger.debug("%s: rendered by docxtpl (%s)", self.name, exc)
                self.prepared = False
        if self.prepared:
            try:
                data = self.prepared.render(context)
            except _FALLBACK:
                data = None
            if data is not None and self.check:
                self.check = False
                exact = _render(self.name, self.data, lambda tpl: context, out_path, self.env, self.patched)
                if not docxrender.same_package(data, exact.read_bytes()):
                    logger.warning("%s: the fast renderer differs from docxtpl for this template; "
                                   "docxtpl renders it", self.name)
                    self.prepared = False
                return exact
            if data is not None:
                out_path.write_bytes(data)
                return out_path
        return _render(self.name, self.data, lambda tpl: context, out_path, self.env, self.patched)


def _default_bytes(name: str) -> bytes | None:
    try:
        return (DEFAULT_TEMPLATES / name).read_bytes()
    except OSError:
        return None


def _broken_message(exc: Exception) -> str:
    return f"模板文件无法打开或已损坏（{exc}）"


def _syntax_message(exc: TemplateSyntaxError) -> str:
    near = " ".join(t.strip() for t in getattr(exc, "docx_context", []) if t.strip())[:120]
    detail = (exc.message or "").rstrip(". ")
    return f"模板标签语法错误：{detail}" + (f"，出错位置附近的文字：“{near}”" if near else "")


@dataclass(frozen=True)
class Report:
    """One document of a round, for the mailer: path relative to the round folder (posix),
    reader kind (department | leaders | office | returned) and the department it is for."""
    path: str
    reader: str
    department: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "reader": self.reader, "department": self.department}


PARALLEL_FROM = int(settings.get("render_pool_from"))     # departments; fewer render here (base/settings.py)
SPAWN_PARALLEL_FROM = int(settings.get("render_pool_from_spawn"))   # spawned workers: bench_spawn.py
# Gaps from which 问题清单.xlsx (~1.6 ms a gap) is worth a worker of its own even when no report
# renders there (an unchanged rerun: the office's workbooks are always written afresh).
GAP_XLSX_PARALLEL_FROM = int(settings.get("gap_xlsx_pool_from"))
SPAWN_GAP_XLSX_PARALLEL_FROM = int(settings.get("gap_xlsx_pool_from_spawn"))   # a spawned worker takes seconds


RENDER_VERSION = code_version()[:16]       # documents rendered by other code are rendered again


def _stable(summary: dict) -> dict:
    """The summary without the time of the run: what a document's content depends on."""
    return {k: v for k, v in summary.items() if k != "generated_at"}


def _department_key_base(data: bytes, shared: Shared, env: Environment) -> bytes:
    """What every department report's key shares: the template, the rendering code and the shared
    context values the template uses (hashed once per run, not once per department). Only the
    values it names count, so a change in another department (the whole gap list, the unit's total)
    does not render every department's report again. Names are what Jinja finds in the parts docxtpl
    renders, plus, to be safe, any shared key whose name occurs anywhere in the package."""
    tpl = _Template(io.BytesIO(data))
    try:
        names = set(tpl.get_undeclared_template_variables(env))
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            text = b"".join(package.read(member) for member in package.namelist()).decode("utf-8", "replace")
        names |= {k for k in shared.common if k in text}
    except (TemplateError, zlib.error, *_BROKEN_TEMPLATE):
        names = set(shared.common)          # the render reports the problem; key on everything
    used = {k: v for k, v in shared.common.items() if k in names and k != "generated_at"}
    return hashlib.sha256(data + RENDER_VERSION.encode()).digest() + content_key(b"", used).encode()


def write_reports(summary: dict, out_dir: Path, templates_dir: Path | None = None, *,
                  chart_font: str | None = charts.AUTO, workers: int | None = None,
                  previous_dir: Path | None = None, alongside: Callable[[], None] | None = None,
                  refused_tracking: dict | None = None) -> list[Report]:
    """Write 汇总报告.docx, 部门报告/<部门>.docx (every department), 问题清单.docx and 问题清单.xlsx
    into out_dir (the staging round folder). chart_font: a font family or file, None for ASCII chart
    labels, or "auto". workers: processes for the department reports and the gap lists (default
    one per core; 1, or fewer than PARALLEL_FROM reports to render and GAP_XLSX_PARALLEL_FROM gaps,
    renders here). Returns the manifest: a Report per document written, plus one per annotated
    copy (退回件) the summary names that exists in out_dir.
    previous_dir: the round folder of the last run, if any: a document whose template and content
    are unchanged since then is taken from it instead of being rendered again (rendercache.py).
    alongside: the caller's own work (the pipeline's 核定表.xlsx), run once in this process while the
    pool renders, after the summary report (after every document when there is no pool; not at
    all when a document failed before it); an exception from it propagates once the pool is closed.
    Raises ReportError when a template fails."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = make_environment()
    shared = Shared(summary)           # the parts every document shares, once
    cache = RenderCache(previous_dir, out_dir)
    stable = content_key(b"", _stable(summary)).encode()      # serialised once for the three documents

    def rel(path: Path) -> str:
        return path.relative_to(out_dir).as_posix()

    def whole(name: str) -> tuple[bytes, str] | None:
        """A document made from the whole summary: (template, key) to render it, or None when the
        last run made it from the same and it was taken from there."""
        data = _read_template(name, templates_dir) if name.endswith(".docx") else b""
        key = hashlib.sha256(data + RENDER_VERSION.encode() + stable).hexdigest()
        return None if cache.reuse(name, key) else (data, key)

    # §17 units mode: each unit's 单位反馈 and the 测评结果汇总 take the place of 部门报告 and 汇总报告,
    # whose one combined total means nothing when every submitter is judged on its own.
    units_mode = bool(summary.get("units"))
    # One template read, one patched source and one compiled Jinja template for all departments.
    data, used = _read_template(DEPARTMENT_TEMPLATE, templates_dir), set()
    if units_mode:
        jobs = []
    else:
        dept_dir = out_dir / DEPARTMENT_DIR
        dept_dir.mkdir(exist_ok=True)
        jobs = [(d["name"], str(dept_dir / f"{unique_filename(d['name'], used)}.docx"))
                for d in summary.get("departments", [])]
    base = _department_key_base(data, shared, env) if jobs else b""
    summary_doc, gap_doc = None if units_mode else whole(SUMMARY_TEMPLATE), whole(GAPLIST_TEMPLATE)
    gap_path = str(out_dir / GAPLIST_TEMPLATE)
    workers = workers or os.cpu_count() or 1
    # Many departments: their reports, 问题清单.docx and 问题清单.xlsx render in a pool (the longest
    # first) while this process renders the summary report and runs `alongside`, so both cores work
    # all the time. Errors are raised in the order the documents come in (summary, departments, gap
    # lists), as when rendered one by one. A long gap list starts at once, before the keys of a
    # rerun are made here; else the pool starts when enough reports are left to render.
    pool = xlsx = None

    def start_pool() -> None:
        nonlocal pool, xlsx
        pool = _Pool(summary, shared, data, workers)
        xlsx = pool.submit(_write_gap_xlsx, str(out_dir / GAPLIST_XLSX), refused_tracking)

    try:
        parallel = pools.parallel_from(PARALLEL_FROM, SPAWN_PARALLEL_FROM)
        if workers > 1 and (len(summary.get("gaps", [])) >= pools.parallel_from(GAP_XLSX_PARALLEL_FROM,
                                                                                SPAWN_GAP_XLSX_PARALLEL_FROM)
                            or (not cache.old and len(jobs) >= parallel)):
            start_pool()
        if cache.old:       # the last run's keys: a report renders again only when its key changed
            todo = []
            for name, p in jobs:
                key = content_key(base, {"dept": clean(department_context(shared, name))})
                if not cache.reuse(rel(Path(p)), key):
                    todo.append((name, p))
        else:               # nothing to reuse: each key is made where its report renders
            todo = list(jobs)
        # §17: every unit's 单位反馈, rendered again only when its key changed (the render cache)
        feedback = unit_docs.feedback_jobs(summary, out_dir, RENDER_VERSION.encode()) if units_mode else []
        unit_todo = [j for j in feedback if not cache.reuse(rel(Path(j[1])), j[2])]
        if pool is None and workers > 1 and len(todo) + len(unit_todo) >= parallel:
            start_pool()
        if pool is not None:
            gap = pool.submit(_render_gap_document, gap_doc[0], gap_path) if gap_doc else None
            departments = pool.departments(todo, base)
            size = max(1, min(50, len(unit_todo) // (pool.workers * 4)))
            unit_futures = [pool.submit(_render_unit_feedback, unit_todo[k:k + size])
                            for k in range(0, len(unit_todo), size)]
        if units_mode:
            unit_docs.write_round_documents(summary, out_dir)
        if summary_doc:
            _render(SUMMARY_TEMPLATE, summary_doc[0],
                    lambda tpl: build_context(SUMMARY_TEMPLATE, summary, tpl, chart_font=chart_font, shared=shared),
                    out_dir / SUMMARY_TEMPLATE, env)
            cache.record(SUMMARY_TEMPLATE, summary_doc[1])
        if pool is not None:
            if alongside is not None:
                alongside()
            keys, failed = pool.result(departments)
            for future in unit_futures:
                future.result()
            late = gap.result() if gap else None
            xlsx_error = xlsx.exception()
        else:
            _init_worker(summary, data, shared)
            keys, failed = _render_departments(todo, base)
            unit_docs.render_feedback(summary, unit_todo)
    finally:
        if pool is not None:
            pool.close()
        _WORKER.clear()
    if failed:
        raise ReportError(*failed)
    for _, p in todo:
        cache.record(rel(Path(p)), keys[p])
    if pool is None:
        late = _gap_document(gap_doc[0], gap_path, summary, shared, env) if gap_doc else None
    if late:
        raise ReportError(*late)
    if gap_doc:
        cache.record(GAPLIST_TEMPLATE, gap_doc[1])
    if pool is None:
        write_gap_xlsx(summary, out_dir / GAPLIST_XLSX, refused=refused_tracking)   # never reused: the office edits it (§11)
    elif xlsx_error is not None:
        raise xlsx_error
    if units_mode:
        manifest = [Report(unit_docs.RESULT_DOC, LEADERS), Report(unit_docs.RESULT_XLSX, LEADERS)]
        manifest += [Report(rel(Path(p)), DEPARTMENT, name) for name, p, _ in feedback]
        for _, p, key in feedback:
            cache.record(rel(Path(p)), key)
    else:
        manifest = [Report(SUMMARY_TEMPLATE, LEADERS)]
    manifest += [Report(rel(Path(p)), DEPARTMENT, name) for name, p in jobs]
    manifest += [Report(GAPLIST_TEMPLATE, OFFICE), Report(GAPLIST_XLSX, OFFICE)]
    cache.save()
    for sub in summary.get("submissions", []):
        returned = sub.get("returned")
        if sub.get("status") == "rejected" and returned and (out_dir / returned).is_file():
            manifest.append(Report(Path(returned).as_posix(), RETURNED, sub.get("department")))
    if pool is None and alongside is not None:
        alongside()
    return manifest


# Department reports, here or in worker processes: each process gets Shared and the template,
# opens and compiles the template once (_Renderer), then renders its share of the departments.
_WORKER: dict = {}


def _init_worker(summary: dict, data: bytes, shared: Shared | None = None) -> None:
    _WORKER.clear()
    _WORKER.update(summary=summary, shared=shared or Shared(summary),
                   renderer=_Renderer(DEPARTMENT_TEMPLATE, data, make_environment()))


def _render_departments(jobs: list[tuple[str, str]], base: bytes) -> tuple[dict[str, str], tuple[str, str] | None]:
    """Render (department, path) jobs: the render key of each path rendered (rendercache, from
    base: _department_key_base) and (template, message) of the first ReportError, else None
    (ReportError does not pickle, so a worker returns its parts)."""
    w, keys = _WORKER, {}
    try:
        for name, path in jobs:
            stopping.check()        # SIGTERM: stop between reports (a worker process never sees the flag)
            context = build_context(DEPARTMENT_TEMPLATE, w["summary"], None, name, shared=w["shared"])
            w["renderer"].render(context, Path(path))
            keys[path] = content_key(base, {"dept": context["dept"]})
    except ReportError as exc:
        return keys, (exc.template, exc.message)
    return keys, None


def _gap_document(data: bytes, path: str, summary: dict, shared: Shared, env: Environment) -> tuple[str, str] | None:
    """问题清单.docx; (template, message) of its ReportError, else None."""
    try:
        _Renderer(GAPLIST_TEMPLATE, data, env).render(build_context(GAPLIST_TEMPLATE, summary, None, shared=shared),
                                                      Path(path))
    except ReportError as exc:
        return exc.template, exc.message
    return None


def _render_gap_document(data: bytes, path: str) -> tuple[str, str] | None:
    w = _WORKER
    return _gap_document(data, path, w["summary"], w["shared"], w["renderer"].env)


def _render_unit_feedback(jobs: list[tuple[str, str, str]]) -> None:
    """A worker's share of the 单位反馈 (§17); the units' gaps grouped once per worker."""
    w = _WORKER
    if "unit_gaps" not in w:
        w["unit_gaps"] = unit_docs.gaps_by_unit(w["summary"])
    stopping.check()            # SIGTERM: stop between chunks (a chunk is at most 50 documents)
    unit_docs.render_feedback(w["summary"], jobs, w["unit_gaps"])


def _write_gap_xlsx(path: str, refused: dict | None = None) -> None:
    write_gap_xlsx(_WORKER["summary"], Path(path), refused=refused)


class _Pool:
    """Worker processes (started at once) with the summary, Shared and the department template."""

    def __init__(self, summary: dict, shared: Shared, data: bytes, workers: int):
        self.pool = pools.Pool(workers, _init_worker, (summary, data, shared))
        self.workers = self.pool.workers

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def departments(self, jobs: list, base: bytes) -> list:
        size = max(1, min(50, len(jobs) // (self.workers * 4)))
        return [self.pool.submit(_render_departments, jobs[k:k + size], base) for k in range(0, len(jobs), size)]

    @staticmethod
    def result(futures: list) -> tuple[dict[str, str], tuple[str, str] | None]:
        """Waits for the department reports: their keys, and the first failure."""
        from concurrent.futures import TimeoutError as Pending

        keys: dict[str, str] = {}
        for future in futures:
            while True:             # a stop asked for is seen while the workers render
                stopping.check()
                try:
                    done, failed = future.result(timeout=0.2)
                    break
                except Pending:
                    continue
            keys.update(done)
            if failed:
                return keys, failed
        return keys, None

    def close(self) -> None:
        self.pool.close(cancel=True)
