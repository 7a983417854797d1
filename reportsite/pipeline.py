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

from jinja2 import TemplateError

from . import inputs
from . import write as writer
from .errors import ROOT, ContentError, Diagnostic, Diagnostics, SourcePos, display_path
from .load import load_site
from .model import Site
from .render import Parts, Renderer, tables, template_error
from .shard import Parsed, Rendered, Shard, parse_section, split
from .validate import validate_global
from .workers import Pool

TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "assets"
CACHE = ROOT / ".cache"
MAX_JOBS = 8


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
    return replace(site, sections=tuple(parse_section(site, s, diags) for s in site.sections))


def default_jobs(site: Site) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS, len(site.sections)))


@dataclass
class Checked:
    """A loaded and checked site: `site` holds the slim parse; `pool` the shards, which hold the rest."""

    site: Site
    pool: Pool
    chart_files: dict[str, bytes]
    shards: list[Shard]
    load_diags: list[Diagnostic]  # of the load stage and the lock file
    global_diags: list[Diagnostic]  # of the checks across sections
    checks: bool


def load_and_check(content_dir: Path, diags: Diagnostics, timer: _Timer, *, jobs: int | None = None,
                   charts: bool = False, templates_dir: Path = TEMPLATES, assets_dir: Path = ASSETS,
                   cache_dir: Path | None = CACHE) -> Checked | None:
    """Load, parse and check; with `charts`, render the charts too. The caller closes `pool`."""
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
    jobs = jobs or default_jobs(site)
    weights = [sum(len(b.text) for b in s.bodies.values()) for s in site.sections]
    section_shards = split(list(range(len(site.sections))), weights, jobs)
    chart_ids = sorted(site.charts)
    shards = [Shard(site, i, ids, chart_ids[i::jobs], lock=lock, templates_dir=templates_dir,
                    assets_dir=assets_dir, cache_dir=cache_dir) for i, ids in enumerate(section_shards)]
    pool = Pool(shards)
    try:
        parsed: list[Parsed] = pool.call("parse", checks, charts)
        slim = {i: bodies for p in parsed for i, bodies in p.slim.items()}
        site = replace(site, sections=tuple(
            replace(s, bodies={lang: replace(b, parsed=slim[i][lang]) for lang, b in s.bodies.items()})
            for i, s in enumerate(site.sections)))
        chart_files: dict[str, bytes] = {}
        for p in parsed:
            diags.extend(p.diagnostics)
            chart_files.update(p.chart_files)
        timer.lap("parse")
        across = Diagnostics()
        if checks:
            validate_global(site, across)
        diags.extend(across)
        timer.lap("validate")
    except BaseException:
        pool.close()
        raise
    return Checked(site, pool, dict(sorted(chart_files.items())), shards, load_diags, across.items, checks)


def _complete(site: Site) -> bool:
    """Cross-checks need every section in every language and the UI strings."""
    return all(lang in s.bodies for s in site.sections for lang in site.report.languages) \
        and all(lang in site.ui for lang in site.report.languages)


def check(content_dir: Path, strict: bool = False, jobs: int | None = None) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    checked = load_and_check(content_dir, diags, _Timer(result.timings), jobs=jobs)
    if checked is not None:
        checked.pool.close()
    return result


def build(content_dir: Path, out_dir: Path, *, strict: bool = False, search: bool = True,
          templates_dir: Path = TEMPLATES, assets_dir: Path = ASSETS, cache_dir: Path | None = CACHE,
          jobs: int | None = None) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    timer = _Timer(result.timings)
    key = None
    if cache_dir is not None:
        key = inputs.fingerprint({"content": content_dir, "templates": templates_dir, "assets": assets_dir},
                                 {"search": search, "cwd": os.getcwd()}, cache_dir)
        last = inputs.replay(cache_dir, out_dir, key)
        timer.lap("inputs")
        if last is not None:  # the output is what this build would write: report, write nothing
            diags.extend(last[0])
            if not (strict and diags.warnings):
                result.files, result.pages, result.written = last[1]["files"], last[1]["pages"], True
            return result
        inputs.forget(cache_dir, out_dir)
    checked = load_and_check(content_dir, diags, timer, jobs=jobs, charts=True, templates_dir=templates_dir,
                             assets_dir=assets_dir, cache_dir=cache_dir)
    if checked is None:
        return result
    with checked.pool:
        if diags.errors or (strict and diags.warnings):
            return result
        manifest = publish(checked, out_dir, diags, timer, search=search, templates_dir=templates_dir,
                           assets_dir=assets_dir, cache_dir=cache_dir)
    if manifest is not None:
        result.files = len(manifest)
        result.pages = sum(1 for name in manifest if name.endswith(".html"))
        result.written = True
        if key is not None:
            inputs.record(cache_dir, out_dir, key, diags.items, {"files": result.files, "pages": result.pages})
    return result


def publish(checked: Checked, out_dir: Path, diags: Diagnostics, timer: _Timer, *, search: bool,
            templates_dir: Path, assets_dir: Path, cache_dir: Path | None) -> dict[str, str] | None:
    """Render, write and index a checked site, then swap it into `out_dir`.

    The manifest of the new output, or None (with diagnostics) when nothing was replaced.
    The shards render and write their sections' pages; this process the pages of no one section.
    """
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
        rendered: list[Rendered] = checked.pool.call("render", tables_, checked.chart_files, stage, old,
                                                      parts_dir, search)
        manifest: dict[str, str] = {}
        for r in rendered:
            diags.extend(r.diagnostics)
            manifest.update(r.manifest)
        if not diags.errors:
            own = writer.Writer(stage, old)
            try:
                renderer = Renderer(site, templates_dir, assets_dir, checked.chart_files, tables_)
                for rel, data in renderer.shared_pages(Parts(parts_dir, 0)):
                    own.put(rel, data)
            except TemplateError as exc:
                template_error(exc, diags)
            for rel, data in checked.chart_files.items():
                own.put(rel, data)
            manifest.update(own.manifest)
        timer.lap("render")
        if diags.errors:
            writer.abort(stage)
            return None
        writer.finish(stage, manifest, old)
        if search:
            from . import search as search_stage

            shutil.rmtree(stage / "pagefind", ignore_errors=True)  # the spare holds an older index
            items = [r for lang in site.report.languages
                     for r in [search_stage.summary_record(site, lang)]
                     + [x for part in rendered for x in (part.records or {}).get(lang, [])]]
            search_stage.build_index(site, stage, diags, cache_dir, items)
            timer.lap("search")
            if diags.errors:
                writer.abort(stage)
                return None
        writer.commit(stage, out_dir)
    except BaseException:
        writer.abort(stage)
        raise
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    timer.lap("write")
    return manifest


__all__ = ["build", "check", "publish", "Result", "ContentError"]
