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
    chart_files: dict[str, bytes]


@dataclass(frozen=True)
class Rendered:
    manifest: dict[str, str]
    written: int
    diagnostics: list[Diagnostic]
    records: dict[str, list[dict]] | None  # language -> search records, in reading order


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
    def __init__(self, site: Site, index: int, sections: list[int], chart_ids: list[str], *,
                 lock: Any, templates_dir: Path, assets_dir: Path, cache_dir: Path | None):
        self.site = site
        self.index = index
        self.sections = sections  # indices into site.sections
        self.chart_ids = chart_ids
        self.lock = lock
        self.templates_dir = templates_dir
        self.assets_dir = assets_dir
        self.cache_dir = cache_dir
        self.parsed: dict[int, Section] = {}
        self.section_diags: dict[int, list[Diagnostic]] = {}  # kept per section for the preview's re-parse

    def parse(self, check_text: bool, charts: bool) -> Parsed:
        diags = Diagnostics()
        for i in self.sections:
            self.reparse(i, check_text)
            diags.extend(self.section_diags[i])
        chart_files: dict[str, bytes] = {}
        if charts and self.chart_ids:
            from . import charts as chart_stage  # matplotlib is imported only on a cache miss

            chart_files = chart_stage.render_assets([self.site.charts[c] for c in self.chart_ids],
                                                    self.site.report.languages, self.cache_dir, diags)
        slim_bodies = {i: {lang: slim(b.parsed) for lang, b in self.parsed[i].bodies.items()}  # type: ignore[arg-type]
                       for i in self.sections}
        return Parsed(slim_bodies, diags.items, chart_files)

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

    def render(self, tables_: Tables, chart_files: dict[str, bytes], stage: Path, old: dict[str, str],
               parts_dir: Path, records: bool) -> Rendered:
        diags = Diagnostics()
        site = self.site_with_mine()
        writer = Writer(stage, old)
        parts = Parts(parts_dir, self.index)
        mine = [self.parsed[i] for i in self.sections]
        try:
            renderer = Renderer(site, self.templates_dir, self.assets_dir, chart_files, tables_)
            for rel, data in renderer.section_pages(mine, parts):
                writer.put(rel, data)
        except TemplateError as exc:
            template_error(exc, diags)
            return Rendered({}, 0, diags.items, None)
        finally:
            parts.close()
        found = None
        if records:
            from .search import section_records

            found = {lang: [r for s in mine for r in section_records(site, s, lang, renderer.figures)]
                     for lang in site.report.languages}
        return Rendered(writer.manifest, writer.written, diags.items, found)
