"""One shard of sections through the stages that need no other shard.

Input: the loaded site (bodies not yet parsed) and the ids of the shard's
sections and charts. Output, of `parse`: the shard's slim parse (what the
checks across sections read: ids, numbers, lines, labels; no text), the
diagnostics of its Markdown and of the checks that read its text, and its
chart files. Output, of `render`: the shard's pages written into the staging
directory with their manifest entries, its share of the whole-report pages
(render.Parts) and its search records.

The pipeline runs one Shard per core (workers.Pool): Markdown, the text
checks, charts, rendering and writing are most of a build's work, and each
section's share of them depends on no other section's text.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from .errors import Diagnostic, Diagnostics
from .markdown import ParsedBody, parse_body, report_diagnostics
from .model import Section, Site
from .render import Parts, Renderer, Tables, template_error
from .validate import validate_text
from .write import Writer


@dataclass(frozen=True)
class Parsed:
    slim: dict[int, dict[str, ParsedBody]]  # section index (ids may clash in bad content) -> language -> slim parse
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class Rendered:
    manifest: dict[str, str]
    written: int
    diagnostics: list[Diagnostic]


def fallback_ui() -> dict[str, str]:
    # UI strings failed to load (already reported); parsing still reports its own problems.
    return {"paragraph": "{n}", "footnote": "{label}"}


def parse_section(site: Site, section: Section, diags: Diagnostics) -> Section:
    """The Markdown stage over one section's bodies."""
    bodies = {}
    for lang, body in section.bodies.items():
        parsed = parse_body(body.text, body.path, site.ui.get(lang, {}) or fallback_ui())
        report_diagnostics(parsed, diags)
        bodies[lang] = replace(body, parsed=parsed)
    return replace(section, bodies=bodies)


def slim(parsed: ParsedBody) -> ParsedBody:
    """The parse without its HTML and text: what crosses to the parent, kept small."""
    return replace(parsed, diagnostics=(),
                   blocks=tuple(replace(b, html="", text="") for b in parsed.blocks),
                   footnotes=tuple(replace(f, html="", text="") for f in parsed.footnotes))


def split(items: list[Any], weights: list[int], shards: int) -> list[list[Any]]:
    """Contiguous runs of about equal weight: each shard's pages stay in reading order."""
    total = sum(weights) or 1
    out: list[list[Any]] = [[] for _ in range(shards)]
    done = 0
    for item, weight in zip(items, weights):
        out[min(shards - 1, done * shards // total)].append(item)
        done += weight
    return out


class Shard:
    def __init__(self, site: Site, index: int, sections: list[int], *,
                 lock: Any, templates_dir: Path, assets_dir: Path, cache_dir: Path | None):
        self.site = site
        self.index = index
        self.sections = sections  # indices into site.sections
        self.lock = lock
        self.templates_dir = templates_dir
        self.assets_dir = assets_dir
        self.cache_dir = cache_dir
        self.parsed: dict[int, Section] = {}
        self.section_diags: dict[int, list[Diagnostic]] = {}  # kept per section for the preview's re-parse

    def parse(self, check_text: bool) -> Parsed:
        diags = Diagnostics()
        for i in self.sections:
            self.reparse(i, check_text)
            diags.extend(self.section_diags[i])
        slim_bodies = {i: {lang: slim(b.parsed) for lang, b in self.parsed[i].bodies.items()}  # type: ignore[arg-type]
                       for i in self.sections}
        return Parsed(slim_bodies, diags.items)

    def records(self, tables_: Tables) -> dict[str, list[dict]]:
        """The search records of this shard's sections, per language, in reading order."""
        from .search import section_records

        site = self.site_with_mine()
        mine = [self.parsed[i] for i in self.sections]
        return {lang: [r for s in mine for r in section_records(site, s, lang, tables_[0])]
                for lang in site.report.languages}

    def reparse(self, i: int, check_text: bool) -> None:
        """Parse and text-check section i of self.site (which the preview replaces after an edit)."""
        diags = Diagnostics()
        section = self.parsed[i] = parse_section(self.site, self.site.sections[i], diags)
        if check_text:
            validate_text(self.site, section, diags)
            if self.lock is not None:
                from . import status

                status.stale_in(self.site, [section], self.lock, diags)
        self.section_diags[i] = diags.items

    def site_with_mine(self) -> Site:
        return replace(self.site, sections=tuple(self.parsed.get(i, s) for i, s in enumerate(self.site.sections)))

    def render(self, tables_: Tables, chart_heads: dict[str, bytes], stage: Path, old: dict[str, str],
               parts_dir: Path) -> Rendered:
        """chart_heads: each chart file's name and the start of its bytes (what a figure shows of it: its size)."""
        diags = Diagnostics()
        site = self.site_with_mine()
        writer = Writer(stage, old)
        parts = Parts(parts_dir, self.index)
        mine = [self.parsed[i] for i in self.sections]
        try:
            renderer = Renderer(site, self.templates_dir, self.assets_dir, chart_heads, tables_)
            for rel, data in renderer.section_pages(mine, parts):
                writer.put(rel, data)
        except TemplateError as exc:
            template_error(exc, diags)
            return Rendered({}, 0, diags.items)
        finally:
            parts.close()
        return Rendered(writer.manifest, writer.written, diags.items)


class ChartShard:
    """Every `count`-th chart from the `first`, drawn by a process of its own beside everything else.

    It reads the charts' YAML itself, so that it can start before the build has loaded anything.
    """

    def __init__(self, content_dir: Path, cache_dir: Path | None, first: int = 0, count: int = 1):
        self.content_dir = content_dir
        self.cache_dir = cache_dir
        self.first, self.count = first, count

    def draw(self) -> tuple[dict[str, bytes], list[Diagnostic]]:
        """The charts drawn (or read from the cache) in both colour schemes, with their CSV."""
        from .load import load_charts

        langs, specs = load_charts(self.content_dir)
        mine = [specs[c] for c in sorted(specs)[self.first::self.count]]
        if not mine:
            return {}, []
        from . import charts as chart_stage  # matplotlib is imported only on a cache miss

        diags = Diagnostics()
        return chart_stage.render_assets(mine, langs, self.cache_dir, diags), diags.items
