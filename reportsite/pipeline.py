"""The whole pipeline, read top to bottom: load → parse → validate → charts →
render → write → search, each stage timed.

Input: the content, templates and assets directories and the output
directory. Output: a `Result` with every diagnostic and the stage timings;
the output directory is replaced only when the build succeeded.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import write as writer
from .errors import ROOT, ContentError, Diagnostics, SourcePos, display_path
from .load import load_site
from .markdown import parse_body, report_diagnostics
from .model import Site
from .render import render_site
from .validate import validate

TEMPLATES = ROOT / "templates"
ASSETS = ROOT / "assets"
CACHE = ROOT / ".cache"


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
    """The Markdown stage over every body."""
    sections = []
    for section in site.sections:
        bodies = {}
        for lang, body in section.bodies.items():
            parsed = parse_body(body.text, body.path, site.ui.get(lang, {}) or _fallback_ui())
            report_diagnostics(parsed, diags)
            bodies[lang] = replace(body, parsed=parsed)
        sections.append(replace(section, bodies=bodies))
    return replace(site, sections=tuple(sections))


def _fallback_ui() -> dict[str, str]:
    # UI strings failed to load (already reported); parsing still reports its own problems.
    return {"paragraph": "{n}", "footnote": "{label}"}


def load_and_check(content_dir: Path, diags: Diagnostics, timer: _Timer) -> Site | None:
    site = load_site(content_dir, diags)
    timer.lap("load")
    if site is None:
        return None
    load_errors = diags.errors
    site = parse_site(site, diags)
    timer.lap("markdown")
    # Cross-checks over a site with unreadable files would only echo those
    # errors (a dropped section "misses" its paragraphs): report the causes.
    if not load_errors and _complete(site):
        validate(site, diags)
        from . import status  # translation fingerprints: stale paragraphs are warnings

        status.stale_warnings(site, diags)
    timer.lap("validate")
    return site


def _complete(site: Site) -> bool:
    """Cross-checks need every section in every language and the UI strings."""
    return all(lang in s.bodies for s in site.sections for lang in site.report.languages) \
        and all(lang in site.ui for lang in site.report.languages)


def check(content_dir: Path, strict: bool = False) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    load_and_check(content_dir, diags, _Timer(result.timings))
    return result


def build(content_dir: Path, out_dir: Path, *, strict: bool = False, search: bool = True,
          templates_dir: Path = TEMPLATES, assets_dir: Path = ASSETS, cache_dir: Path | None = CACHE) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    timer = _Timer(result.timings)
    site = load_and_check(content_dir, diags, timer)
    if site is None or diags.errors or (strict and diags.warnings):
        return result
    from . import charts  # the loader is light; render_assets imports matplotlib only on a cache miss

    chart_files = charts.render_assets(list(site.charts.values()), site.report.languages, cache_dir, diags)
    timer.lap("charts")
    if diags.errors:
        return result
    files = publish(site, out_dir, chart_files, diags, timer, search=search, templates_dir=templates_dir,
                    assets_dir=assets_dir, cache_dir=cache_dir)
    if files is not None:
        result.files = len(files)
        result.pages = sum(1 for name in files if name.endswith(".html"))
        result.written = True
    return result


def publish(site: Site, out_dir: Path, chart_files: dict[str, bytes], diags: Diagnostics, timer: _Timer, *,
            search: bool, templates_dir: Path, assets_dir: Path, cache_dir: Path | None) -> dict[str, bytes] | None:
    """Render, write and index a checked site, then swap it into `out_dir`.

    The rendered files, or None (with diagnostics) when nothing was replaced.
    Shared by `build` and the live preview, which keeps the loaded site and charts between edits.
    """
    try:
        writer.check_target(out_dir)
    except writer.OutputError as exc:
        diags.error(SourcePos(display_path(out_dir)), str(exc))
        return None
    files = render_site(site, templates_dir, assets_dir, chart_files, diags)
    timer.lap("render")
    if files is None or diags.errors:
        return None
    stage = writer.stage_dir(out_dir)
    try:
        writer.write_files(files, stage)
        timer.lap("write")
        if search:
            from . import search as search_stage

            shutil.rmtree(stage / "pagefind", ignore_errors=True)  # the spare holds an older index
            search_stage.build_index(site, stage, diags, cache_dir)
            timer.lap("search")
            if diags.errors:
                writer.abort(stage)
                return None
        writer.commit(stage, out_dir)
    except BaseException:
        writer.abort(stage)
        raise
    timer.lap("write")
    return files


__all__ = ["build", "check", "publish", "Result", "ContentError"]
