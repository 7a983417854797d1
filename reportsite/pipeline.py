"""The whole pipeline, read top to bottom: load → parse (with the text checks
and charts) → validate → render and write → search → swap, each stage timed.

Input: the content, templates and assets directories and the output
directory. Output: a `Result` with every diagnostic and the stage timings;
the output directory is replaced only when the build succeeded.

After the load, the sections are cut into one contiguous shard per core
(shard.py), each parsed, text-checked, rendered and written by a worker of
its own (workers.py). This process keeps what needs every section: the
checks across sections, on a slim parse the shards send back; the pages of
no one section; the search index; the swap.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import inputs
from . import write as writer
from .errors import ROOT, ContentError, Diagnostic, Diagnostics, SourcePos, display_path

if TYPE_CHECKING:
    from .model import Site
    from .shard import Parsed, Rendered, Shard
    from .workers import Pool

# The stages' modules (Jinja, markdown-it-py, PyYAML) are imported where they
# are first needed: a rebuild with nothing changed needs none of them.

TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "assets"
CACHE = ROOT / ".cache"
MAX_JOBS = 8
CHARTS_PER_DRAWER = 50  # charts per drawing process: each pays for its own matplotlib import


@dataclass
class Result:
    diagnostics: Diagnostics
    timings: dict[str, float] = field(default_factory=dict)
    files: int = 0
    pages: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.diagnostics.errors == 0


class _Timer:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def parse_site(site: Site, diags: Diagnostics) -> Site:
    """The Markdown stage over every body, in this process."""
    from .shard import parse_section

    return replace(site, sections=tuple(parse_section(site, s, diags) for s in site.sections))


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_jobs(site: Site) -> int:
    return max(1, min(cpus(), MAX_JOBS, len(site.sections)))


@dataclass
class Checked:
    """A loaded and checked site: `site` holds the slim parse; `pool` the shards, which hold the rest."""

    site: Site
    pool: Pool
    chart_files: dict[str, bytes] | None  # drawn by publish, kept for the preview's next edits
    shards: list[Shard]
    load_diags: list[Diagnostic]  # of the load stage and the lock file
    global_diags: list[Diagnostic]  # of the checks across sections
    checks: bool
    chart_pool: Pool | None = None  # drawing the charts, when asked to

    def close(self) -> None:
        self.pool.close()
        if self.chart_pool is not None:
            self.chart_pool.close()

    def __enter__(self) -> "Checked":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_charts(content_dir: Path, cache_dir: Path | None, jobs: int) -> Pool:
    """Processes drawing the charts from now on, beside everything else (one, or one per core for many):
    each pays for its own matplotlib import (0.5 s), which the first one makes while this process loads."""
    from .shard import ChartShard
    from .workers import Pool

    count = sum(1 for _ in (content_dir / "charts").glob("*.yaml")) if (content_dir / "charts").is_dir() else 0
    drawers = max(1, min(jobs, count // CHARTS_PER_DRAWER))
    pool = Pool([ChartShard(content_dir, cache_dir, i, drawers) for i in range(drawers)], fork=jobs > 1)
    pool.start("draw")
    return pool


def load_and_check(content_dir: Path, diags: Diagnostics, timer: _Timer, *, jobs: int | None = None,
                   chart_pool: Pool | None = None, templates_dir: Path = TEMPLATES, assets_dir: Path = ASSETS,
                   cache_dir: Path | None = CACHE) -> Checked | None:
    """Load, parse and check. The result (to be closed by the caller) takes `chart_pool` along;
    the caller closes it when there is no result."""
    from .load import load_site
    from .shard import Shard, split
    from .validate import validate_global
    from .workers import Pool

    site = load_site(content_dir, diags)
    timer.lap("load")
    if site is None:
        return None
    # Cross-checks over a site with unreadable files would only echo those
    # errors (a dropped section "misses" its paragraphs): report the causes.
    checks = not diags.errors and _complete(site)
    from . import status  # translation fingerprints: stale paragraphs are warnings

    lock = status.lock_for_checks(site, diags) if checks else None
    load_diags = list(diags.items)
    jobs = max(1, min(jobs or default_jobs(site), len(site.sections)))
    weights = [sum(len(b.text) for b in s.bodies.values()) for s in site.sections]
    section_shards = split(list(range(len(site.sections))), weights, jobs)
    shards = [Shard(site, i, ids, lock=lock, templates_dir=templates_dir, assets_dir=assets_dir,
                    cache_dir=cache_dir) for i, ids in enumerate(section_shards)]
    pool = Pool(shards)
    try:
        parsed: list[Parsed] = pool.call("parse", checks)
        slim = {i: bodies for p in parsed for i, bodies in p.slim.items()}
        site = replace(site, sections=tuple(
            replace(s, bodies={lang: replace(b, parsed=slim[i][lang]) for lang, b in s.bodies.items()})
            for i, s in enumerate(site.sections)))
        for p in parsed:
            diags.extend(p.diagnostics)
        timer.lap("parse")
        across = Diagnostics()
        if checks:
            validate_global(site, across)
        diags.extend(across)
        timer.lap("validate")
    except BaseException:
        pool.close()
        raise
    return Checked(site, pool, None, shards, load_diags, across.items, checks, chart_pool)


def _complete(site: Site) -> bool:
    """Cross-checks need every section in every language and the UI strings."""
    return all(lang in s.bodies for s in site.sections for lang in site.report.languages) \
        and all(lang in site.ui for lang in site.report.languages)


def check(content_dir: Path, strict: bool = False, jobs: int | None = None) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    checked = load_and_check(content_dir, diags, _Timer(result.timings), jobs=jobs)
    if checked is not None:
        checked.close()
    return result


def build(content_dir: Path, out_dir: Path, *, strict: bool = False, search: bool = True,
          templates_dir: Path = TEMPLATES, assets_dir: Path = ASSETS, cache_dir: Path | None = CACHE,
          jobs: int | None = None) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    timer = _Timer(result.timings)
    key = None
    roots = {"content": content_dir, "templates": templates_dir, "assets": assets_dir}
    options = {"search": search, "cwd": os.getcwd()}
    if cache_dir is not None:
        key = inputs.fingerprint(roots, options, cache_dir)
        last = inputs.replay(cache_dir, out_dir, key)
        timer.lap("inputs")
        if last is not None:  # the output is what this build would write: report, write nothing
            diags.extend(last[0])
            if not (strict and diags.warnings):
                result.files, result.pages, result.written = last[1]["files"], last[1]["pages"], True
            return result
        inputs.forget(cache_dir, out_dir)
    chart_pool = start_charts(content_dir, cache_dir, jobs or min(cpus(), MAX_JOBS))
    try:
        checked = load_and_check(content_dir, diags, timer, jobs=jobs, chart_pool=chart_pool,
                                 templates_dir=templates_dir, assets_dir=assets_dir, cache_dir=cache_dir)
    except BaseException:  # Ctrl-C during the load, say: the drawing is no longer wanted
        chart_pool.close()
        raise
    if checked is None:
        chart_pool.close()
        return result
    with checked:
        if diags.errors or (strict and diags.warnings):
            return result
        manifest = publish(checked, out_dir, diags, timer, search=search, templates_dir=templates_dir,
                           assets_dir=assets_dir, cache_dir=cache_dir)
    if manifest is not None:
        result.files = len(manifest)
        result.pages = sum(1 for name in manifest if name.endswith(".html"))
        result.written = True
        # Recorded only if no input changed while this build read them: output made from an edit
        # saved mid-build must not be replayed under the key of the files before it.
        if key is not None and key == inputs.fingerprint(roots, options, cache_dir):
            inputs.record(cache_dir, out_dir, key, diags.items, {"files": result.files, "pages": result.pages})
    return result


def publish(checked: Checked, out_dir: Path, diags: Diagnostics, timer: _Timer, *, search: bool,
            templates_dir: Path, assets_dir: Path, cache_dir: Path | None) -> dict[str, str] | None:
    """Render, write and index a checked site, then swap it into `out_dir`.

    The manifest of the new output, or None (with diagnostics) when nothing was replaced.
    The shards render and write their sections' pages; this process the pages of no one section.
    """
    from jinja2 import TemplateError

    from .render import Parts, Renderer, tables, template_error
    from .shard import ChartShard
    from .workers import Pool

    try:
        writer.check_target(out_dir)
    except writer.OutputError as exc:
        diags.error(SourcePos(display_path(out_dir)), str(exc))
        return None
    site = checked.site
    stage = writer.stage_dir(out_dir)
    parts_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.parts-", dir=out_dir.parent))
    try:
        old = writer.read_manifest(stage)
        tables_ = tables(site)
        shutil.rmtree(stage / "pagefind", ignore_errors=True)  # the spare holds an older index, or none is wanted
        if search:  # while the charts are drawn
            from . import search as search_stage

            found: list[dict[str, list[dict]]] = checked.pool.call("records", tables_)
            items = [r for lang in site.report.languages
                     for r in [search_stage.summary_record(site, lang)] + [x for f in found for x in f[lang]]]
            search_stage.build_index(site, stage, diags, cache_dir, items)
            timer.lap("search")
        if checked.chart_files is None:
            if checked.chart_pool is None:
                checked.chart_pool = Pool([ChartShard(site.content_dir, cache_dir)])
                checked.chart_pool.start("draw")
            drawn: dict[str, bytes] = {}
            for files, chart_diags in checked.chart_pool.results():
                drawn.update(files)
                diags.extend(chart_diags)
            checked.chart_files = dict(sorted(drawn.items()))
            timer.lap("charts")
        if diags.errors:
            writer.abort(stage)
            return None
        chart_files = checked.chart_files
        # A figure needs a chart file's name and size, which the first bytes of its SVG hold: not every drawing.
        heads = {name: data[:2048] if name.endswith(".svg") else b"" for name, data in chart_files.items()}
        rendered: list[Rendered] = checked.pool.call("render", tables_, heads, stage, old, parts_dir)
        manifest: dict[str, str] = {}
        for r in rendered:
            diags.extend(r.diagnostics)
            manifest.update(r.manifest)
        if not diags.errors:
            own = writer.Writer(stage, old)
            try:
                renderer = Renderer(site, templates_dir, assets_dir, heads, tables_)
                for rel, data in renderer.shared_pages(Parts(parts_dir, 0)):
                    own.put(rel, data)
            except TemplateError as exc:
                template_error(exc, diags)
            for rel, data in chart_files.items():
                own.put(rel, data)
            manifest.update(own.manifest)
        timer.lap("render")
        if diags.errors:
            writer.abort(stage)
            return None
        writer.finish(stage, manifest, old)
        writer.commit(stage, out_dir)
    except BaseException:
        writer.abort(stage)
        raise
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    timer.lap("write")
    return manifest


__all__ = ["build", "check", "publish", "Result", "ContentError"]
