"""The whole build, read top to bottom: load → parse → validate → render (with charts, title cards,
search and PDFs beside it) → write → swap, each stage timed.

Input: a project (content, theme, cache) and an output directory. Output: a
`Result` with every diagnostic and the stage timings; the output directory
is replaced only when the build succeeded, in one step.

The stages are functions over data; only `load` reads the content and only
`write` touches the output (and the worker processes that write their share
of it into the same staging directory). What runs beside the rest runs on
standard executors: one pool of forked worker processes (`Workers`) draws the
charts and title cards and typesets the PDFs; a long report's section pages
render in a second pool forked with the render context (`SectionPages`); the
search index is built in a thread, since Pagefind is a program of its own.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import inputs, status, write
from .errors import Diagnostic, Diagnostics, SourcePos, display_path
from .languages import Language
from .model import Section, Site
from .parse import Refs, parse_site
from .parse import refs as find_refs
from .project import Project
from .status import Lock
from .urls import Pair
from .validate import text_checks, validate

if TYPE_CHECKING:
    from .charts import Drawn  # only for hints: the charts module is imported when there are charts to draw


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


class Timer:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


@dataclass
class Checked:
    site: Site
    refs: Refs
    file_diags: list[Diagnostic] = field(default_factory=list)  # of reading and parsing each file
    check_diags: list[Diagnostic] = field(default_factory=list)  # of the checks across files
    checkable: bool = False  # the checks across files can run: every file read, no error so far
    crossed: bool = False  # the checks across files have run
    texts_checked: bool = False  # the text checks of each section have run (their warnings are above)


def cross_check(site: Site, refs: Refs, texts: bool = True) -> list[Diagnostic]:
    """The checks across files, and stale translations: what an edit of any file can change anywhere.

    texts: with the text checks of every section (warnings); a build runs them with each section's pages.
    """
    found, lock = structure_checks(site, refs)
    for section in site.sections:
        found += section_checks(site, section, lock, texts)
    return found


def structure_checks(site: Site, refs: Refs) -> tuple[list[Diagnostic], Lock | None]:
    """The checks of how files fit together (ids, numbering, alignment, links, charts), and the lock file
    (read, with its own problems)."""
    diags = Diagnostics()
    validate(site, refs, diags, texts=False)
    return diags.items, status.lock_for_checks(site, diags)


def section_checks(site: Site, section: Section, lock: Lock | None, texts: bool = True) -> list[Diagnostic]:
    """What only a section's own text decides: its stale translations and (texts) its text checks."""
    diags = Diagnostics()
    if texts:
        text_checks(site, [section], diags)
    if lock is not None:
        status.stale_in(site, [section], lock, diags)
    return diags.items


def load_and_check(
    project: Project, diags: Diagnostics, timer: Timer, texts: bool = True, cross: bool = True
) -> Checked | None:
    """Load, parse and validate; None when the content cannot be read at all.

    texts: run the text checks of each section now; without, the build runs them as it renders
    the section (`publish`), on both cores. cross: run the checks across files (the preview runs
    them itself, section by section, to redo only an edited section's); `checkable` says they can run.
    """
    from .load import load_site

    before = len(diags.items)
    site = load_site(project, diags)
    timer.lap("load")
    if site is None:
        return None
    site = parse_site(site, diags)
    refs = find_refs(site)
    timer.lap("parse")
    checked = Checked(site, refs, diags.items[before:])
    # Checks across files over a site with unreadable files would only echo those
    # errors (a dropped section "misses" its paragraphs): report the causes.
    if os.path.realpath(project.content) == os.path.realpath(project.root / "content"):
        # netlify.toml builds the project's own content: its language rules must match that report's
        from .deploy import check_netlify

        found = check_netlify(project.root, site.report.languages)
        checked.file_diags += found
        diags.extend(found)
    checked.checkable = not diags.errors and _complete(site)
    if checked.checkable and cross:
        checked.check_diags = cross_check(site, refs, texts)
        checked.crossed, checked.texts_checked = True, texts
        diags.extend(checked.check_diags)
    timer.lap("validate")
    return checked


def chart_keys(project: Project, site: Site) -> dict[tuple[str, str], str]:
    """The key of every chart's images, which names them. No drawing."""
    from . import charts

    fonts = tuple(p for p in (project.find("assets", f) for f in charts.FONTS) if p is not None)
    langs = [
        charts.ChartLanguage(lang.tag, site.report.number_grouping.get(lang.tag, "")) for lang in site.report.languages
    ]
    return {(spec.id, lang.tag): charts.cache_key(spec, lang, fonts) for spec in site.charts.values() for lang in langs}


def _complete(site: Site) -> bool:
    """Checks across files need every section in every language and the interface strings."""
    tags = site.report.tags
    return all(tag in s.bodies for s in site.sections for tag in tags) and all(tag in site.ui for tag in tags)


def check(project: Project) -> Result:
    diags = Diagnostics()
    result = Result(diags)
    load_and_check(project, diags, Timer(result.timings))
    return result


def build(
    project: Project,
    out: Path,
    *,
    strict: bool = False,
    search: bool = True,
    pdf: bool = True,
    jobs: int | None = None,
    on_wait: Callable[[str], None] = lambda message: None,
) -> Result:
    """Build the site of `project` into `out`. jobs: processes drawing the charts (default: one per core)."""
    diags = Diagnostics()
    result = Result(diags)
    timer = Timer(result.timings)
    roots = {"content": [project.content], "templates": list(project.templates), "assets": list(project.assets)}
    options = {
        "search": search,
        "pdf": pdf,
        "root": str(project.root),
        "cwd": os.getcwd(),
        "deploy": _deploy_key(project),
    }
    try:
        write.check_target(out, [project.content, *project.templates, *project.assets])
    except write.OutputError as exc:
        raise UsageError(str(exc)) from None
    key = None
    if project.cache is not None:
        key = inputs.fingerprint(roots, options, project.cache)
        last = inputs.replay(project.cache, out, key) if key else None
        timer.lap("inputs")
        if last is not None:  # the output is what this build would write: report, write nothing
            diags.extend(last[0])
            if not (strict and diags.warnings):
                result.files, result.pages, result.written = last[1]["files"], last[1]["pages"], True
            return result
        inputs.forget(project.cache, out)
    workers = Workers(jobs)
    try:
        drawing = Drawing(project, workers)
        checked = load_and_check(project, diags, timer, texts=False)
        if checked is None or diags.errors or (strict and diags.warnings):
            if checked is not None and checked.crossed:  # a failed build reports all that check would
                text_checks(checked.site, checked.site.sections, diags)
            return result
        manifest = publish(
            checked,
            project,
            out,
            diags,
            timer,
            search=search,
            pdf=pdf,
            strict=strict,
            workers=workers,
            drawing=drawing,
            on_wait=on_wait,
        )
    finally:
        workers.close()
    if manifest is not None:
        result.files = len(manifest)
        result.pages = sum(1 for name in manifest if name.endswith(".html"))
        result.written = True
        # Recorded only if no input changed while this build read them: output made from an edit
        # saved mid-build must not be replayed under the key of the files before it.
        if key is not None and project.cache is not None and key == inputs.fingerprint(roots, options, project.cache):
            inputs.record(project.cache, out, key, diags.items, {"files": result.files, "pages": result.pages})
    return result


def _deploy_key(project: Project) -> str:
    """netlify.toml's digest: `check` compares it with the report, so its warnings depend on it."""
    import hashlib

    try:
        return hashlib.sha256((project.root / "netlify.toml").read_bytes()).hexdigest()
    except OSError:
        return ""


class UsageError(Exception):
    """A command that cannot be carried out as given (exit 2), such as an output directory the build must not write."""


class Workers:
    """The build's worker processes: they draw the charts, then typeset the PDFs.

    Forked (they start in milliseconds with the build's modules loaded) all at once, when first
    needed. This process never runs Typst: a process forked after Typst has run in its parent
    hangs in its own compile, and the workers are forked before any does.
    """

    def __init__(self, count: int | None = None):
        self.count = count or max(1, min(len(os.sched_getaffinity(0)), 8))
        self.pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                max_workers=self.count, mp_context=multiprocessing.get_context("fork"), initializer=_quiet
            )
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _quiet() -> None:
    """In a worker: Ctrl-C and a stop are the build's to handle (it stops its workers and says one line)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# What a share of the section pages sends back: its manifest, how many files it wrote, the pages that
# show a PDF's size, its parts of the whole-report pages, its text checks' warnings.
Share = tuple[dict[str, str], int, list[str], Any, list[Diagnostic]]


class SectionPages:
    """The section pages of a large report, rendered by processes forked with the render context.

    Each renders a contiguous share of the sections and writes them into the staging directory
    itself, returning only their names and digests: pages do not cross a pipe, and the context
    is inherited, never pickled. The build's process renders the whole-report pages meanwhile.
    Below PARALLEL_PAGES pages one process is faster than forking (the real report: 84 pages).
    """

    PARALLEL_PAGES = 600
    _ctx: Any = None  # the context the forked processes inherit

    def __init__(self, pool: ProcessPoolExecutor, futures: list[Future[Share]]):
        self.pool = pool
        self.futures = futures

    @classmethod
    def start(cls, ctx: Any, stage: Path, old: dict[str, str], count: int, texts: bool) -> SectionPages | None:
        sections = list(ctx.order)
        if count < 2 or len(sections) * (len(ctx.langs) + len(ctx.pairs)) < cls.PARALLEL_PAGES:
            return None
        cls._ctx = ctx
        # The site's objects moved out of the collector's reach before the fork: a collection in a
        # process would otherwise write to every one of them, copying the pages it shares.
        gc.freeze()
        try:
            pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"), initializer=_quiet)
            share = -(-len(sections) // count)
            futures = [
                pool.submit(_render_share, i, min(i + share, len(sections)), stage, old, texts)
                for i in range(0, len(sections), share)
            ]
        finally:
            gc.unfreeze()
        cls._ctx = None  # the processes are forked: this one need not keep the reference
        return cls(pool, futures)

    def join(self, writer: write.Writer, diags: Diagnostics) -> tuple[Any, list[str]]:
        """Add the shares' files to the writer's manifest and their text checks' warnings to
        `diags`; the whole report's parts, in reading order, and the pages that show a PDF's size."""
        from .pages import Parts

        sized: list[str] = []
        parts = Parts()
        try:
            for future in self.futures:
                manifest, written, marked, share, found = future.result()
                writer.add(manifest, written)
                sized += marked
                parts.extend(share)
                diags.extend(found)
        finally:
            self.stop()
        return parts, sized

    def stop(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _render_share(start: int, end: int, stage: Path, old: dict[str, str], texts: bool) -> Share:
    """In a forked process: the pages of sections start..end, written; their manifest, count, the
    pages that show a PDF's size, the share's parts of the whole-report pages, and (texts) the
    warnings of its text checks."""
    from . import pages

    ctx = SectionPages._ctx
    writer = write.Writer(stage, old)
    marked = []
    parts = pages.Parts()
    found = Diagnostics()
    if texts:
        text_checks(ctx.site, ctx.order[start:end], found)
    for rel, data in pages.render_sections(ctx, ctx.order[start:end], parts):
        writer.put(rel, data)
        if SIZE_MARK in data:
            marked.append(rel)
    return writer.manifest, writer.written, marked, parts, found.items


class Drawing:
    """The charts, drawn by the worker processes while this one loads, checks, renders and indexes.

    The workers start drawing at the start of a build when the chart cache cannot hold every
    chart (matplotlib's import, 0.5 s, then overlaps the load); otherwise only once the load has
    found a chart the cache lacks.
    """

    def __init__(self, project: Project, workers: Workers):
        from . import charts

        self.project = project
        self.workers = workers
        self.fonts = tuple(p for p in (project.find("assets", f) for f in charts.FONTS) if p is not None)
        self.futures: list[Future[tuple[Drawn, list[Diagnostic]]]] = []
        self.found: Drawn = {}
        self.warm = False
        cache = project.cache / "charts" if project.cache else None
        try:
            wanted = sum(1 for p in (project.content / "charts").iterdir() if p.suffix == ".yaml")
            have = sum(1 for p in cache.iterdir() if p.suffix == ".png") if cache is not None and cache.is_dir() else 0
        except OSError:
            wanted, have = 0, 0
        if wanted and have < wanted:
            self._warm_up()

    def _warm_up(self) -> None:
        from . import charts

        if not self.warm:
            self.warm = True
            for _ in range(self.workers.count):
                self.workers.get().submit(charts.warm_up, self.fonts)

    def submit(self, site: Site) -> dict[tuple[str, str], str]:
        """Start drawing what the cache lacks; the key of every chart, which names its images."""
        from . import charts

        langs = [
            charts.ChartLanguage(lang.tag, site.report.number_grouping.get(lang.tag, ""))
            for lang in site.report.languages
        ]
        keys, self.found, todo = charts.cached(list(site.charts.values()), langs, self.fonts, self.project.cache)
        if todo:
            self._warm_up()
            share = -(-len(todo) // self.workers.count)
            for i in range(0, len(todo), share):
                self.futures.append(
                    self.workers.get().submit(charts.draw_charts, todo[i : i + share], self.fonts, self.project.cache)
                )
        return keys

    def result(self, diags: Diagnostics) -> Drawn:
        drawn = dict(self.found)
        for future in self.futures:
            new, found = future.result()
            drawn.update(new)
            diags.extend(found)
        return drawn


def publish(
    checked: Checked,
    project: Project,
    out: Path,
    diags: Diagnostics,
    timer: Timer,
    *,
    search: bool,
    pdf: bool,
    strict: bool = False,
    workers: Workers | None = None,
    drawing: Drawing | None = None,
    on_wait: Callable[[str], None] = lambda message: None,
) -> dict[str, str] | None:
    """Render, draw, typeset, index and write a checked site, then swap it into `out`.

    The manifest of the new output, or None (with diagnostics) when nothing was replaced.
    """
    from jinja2 import TemplateError

    from . import pages
    from .render import Context, Products, template_error

    own = workers is None
    workers = workers or Workers()
    drawing = drawing or Drawing(project, workers)
    typesetting = None
    try:
        made = Products(chart_keys=drawing.submit(checked.site))
        try:
            ctx = Context(checked.site, checked.refs, project, made)
        except TemplateError as exc:
            template_error(exc, diags)
            return None
        if pdf:
            from . import pdf as pdf_stage

            targets: list[Language | Pair] = [*ctx.langs, *ctx.pairs]
            made.pdfs = {pdf_stage.pdf_url(ctx, target) for target in targets}
            typesetting = pdf_stage.Typesetting(project.cache, workers.get)
        with ThreadPoolExecutor(max_workers=2) as executor, write.Lock(out, on_wait):
            index: Future[dict[str, bytes]] | None = None
            write.remove_leftovers(out)
            stage = write.stage_dir(out)
            shards: SectionPages | None = None
            try:
                old = write.read_manifest(stage)
                writer = write.Writer(stage, old)
                sized: list[str] = []  # pages showing a PDF's size, known once it is typeset
                from . import cards as card_stage

                todo = pages.cards(ctx)
                share = -(-len(todo) // workers.count) if todo else 1
                # Each worker writes its cards into the staging directory: 5,600 images of a long
                # report need not cross a pipe or sit in this process's memory.
                drawing_cards = [
                    workers.get().submit(card_stage.draw_cards, todo[i : i + share], project.cache, stage, old)
                    for i in range(0, len(todo), share)
                ]
                try:
                    # Forked before the search thread starts: a process forked while another
                    # thread runs inherits whatever locks that thread held.
                    texts = not checked.texts_checked
                    shards = SectionPages.start(ctx, stage, old, workers.count, texts)
                    if search:
                        from . import search as search_stage

                        records = list(search_stage.records(ctx))
                        index = executor.submit(search_stage.build_index, records, diags, project.cache)
                    if shards is None:
                        if texts:
                            text_checks(checked.site, checked.site.sections, diags)
                        rendered = pages.render_all(ctx)
                    else:  # the pages of no one section while the processes render the sections
                        rendered = pages.render_others(ctx)
                    for rel, data in rendered:
                        writer.put(rel, data)
                        if made.pdfs and SIZE_MARK in data:
                            sized.append(rel)
                    if shards is not None:
                        parts, marked = shards.join(writer, diags)
                        sized += marked
                        for rel, data in pages.render_whole(ctx, parts):
                            writer.put(rel, data)
                            if made.pdfs and SIZE_MARK in data:
                                sized.append(rel)
                    timer.lap("render")
                    made.chart_images = drawing.result(diags)
                    if drawing.futures:  # drawn now, not taken from the cache
                        timer.lap("charts")
                    if not diags.errors:
                        for rel, data in pages.render_drawn(ctx):
                            writer.put(rel, data)
                        for future in drawing_cards:
                            writer.add(*future.result())
                        if typesetting is not None:
                            _typeset(ctx, project, diags, typesetting)
                    if typesetting is not None and not diags.errors:
                        for url, data in sorted(typesetting.result(diags, TEMPLATE_NAME).items()):
                            writer.put(url.lstrip("/"), data)
                            made.pdf_sizes[url] = len(data)
                        for rel in sized if not diags.errors else []:
                            writer.patch(rel, lambda page: _sizes(page, ctx))
                        timer.lap("pdf")
                except TemplateError as exc:
                    template_error(exc, diags)
                finally:
                    # Before the staging directory may go: these processes write into it.
                    if shards is not None:
                        shards.stop()
                    for future in drawing_cards:
                        future.cancel()
                    wait(drawing_cards)
                if index is not None:
                    for rel, data in index.result().items():
                        writer.put(rel, data)
                    timer.lap("search")
                if diags.errors or (strict and diags.warnings):  # warnings: of the text checks, under --strict
                    write.abort(stage)
                    return None
                write.finish(stage, writer.manifest, old)
                write.commit(stage, out)
            except BaseException:
                write.abort(stage)
                raise
        timer.lap("write")
        return writer.manifest
    finally:
        if own:
            workers.close()


TEMPLATE_NAME = "templates/pdf/report.typ"
SIZE_MARK = b"@@pdf-size:"


def _typeset(ctx: object, project: Project, diags: Diagnostics, typesetting: object) -> None:
    """Start typesetting every PDF (the charts are drawn: the PDFs show them)."""
    from . import pdf as pdf_stage
    from .render import Context

    assert isinstance(ctx, Context) and isinstance(typesetting, pdf_stage.Typesetting)
    fonts = sorted(p for name, p in project.theme_files("assets", "fonts").items() if p.suffix in (".ttf", ".otf"))
    env = pdf_stage.environment(ctx)
    svgs = {key: images["light"] for key, images in ctx.products.chart_images.items()}
    jobs = pdf_stage.jobs(ctx, env, svgs, fonts)
    for job in jobs:
        if typesetting._cached(job) is None:
            pdf_stage.check_glyphs(job, fonts, diags)
    if not diags.errors:
        typesetting.submit(jobs, fonts[0].parent)


def _sizes(page: bytes, ctx: object) -> bytes:
    """The PDFs' sizes in place of their markers, each written as the page's language writes it."""
    import re

    from .render import Context

    assert isinstance(ctx, Context)

    def size(m: re.Match[bytes]) -> bytes:
        url, tag = m.group(1).decode(), m.group(2).decode()
        return ctx.file_size(ctx.products.pdf_sizes[url], ctx.report.lang(tag)).encode()

    return re.sub(rb"@@pdf-size:([^|@]+)\|([A-Za-z-]+)@@", size, page)


def describe(out: Path) -> SourcePos:
    return SourcePos(display_path(out))


__all__ = ["build", "check", "publish", "Result", "UsageError", "Diagnostic"]
