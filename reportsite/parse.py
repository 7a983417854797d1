"""The parse stage: every text of a loaded site to its inline tree.

Input: a `Site` from the load stage. Output: the same site with each body
parsed (markdown.parse_body), the cover fields and cover notes parsed as
inline Markdown, and the parser's diagnostics; plus `Refs`, the table of
where every paragraph, figure and note lives, which rendering, search,
the PDF and the citations read instead of searching the tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from .config import position
from .errors import Diagnostics
from .markdown import footnote_key, parse_body, parse_inline
from .model import Inlines, Link, NoteRef, Section, Site, Span


def parse_section(site: Site, section: Section, diags: Diagnostics) -> Section:
    bodies = {}
    for tag, body in section.bodies.items():
        parsed = parse_body(body.text, body.path, section.id, site.report.numbered)
        diags.extend(parsed.diagnostics)
        bodies[tag] = replace(body, parsed=replace(parsed, diagnostics=()))
    return replace(section, bodies=bodies)


def parse_cover(site: Site, diags: Diagnostics) -> Site:
    report = site.report
    cover = []
    for f in report.cover:
        content: dict[str, Inlines] = {}
        for tag, text in f.text.items():
            content[tag], found = parse_inline(text, f.pos.path, f.pos.line)
            diags.extend(found)
        cover.append(replace(f, content=content))
    notes: dict[str, dict[str, Inlines]] = {}
    for tag, by_label in report.notes.items():
        notes[tag] = {}
        for label, text in by_label.items():
            notes[tag][label], found = parse_inline(text, report.path)
            diags.extend(found)
    # A cover note is cited in a cover field and written under notes, in each language.
    cited: dict[str, set[str]] = {}
    for f in cover:
        for tag, inlines in f.content.items():
            for ref in _note_refs(inlines):
                cited.setdefault(tag, set()).add(ref.label)
                if ref.label not in report.notes.get(tag, {}):
                    diags.error(
                        position(report, "cover", f.key, tag),
                        f"the cover cites note [^{ref.label}] but notes has none for '{tag}' in report.yaml",
                    )
    for tag, by_label in report.notes.items():
        for label in by_label:
            if label not in cited.get(tag, set()):
                diags.warning(
                    position(report, "notes", tag, label),
                    f"note '{label}' for '{tag}' is never cited on the cover: cite it as [^{label}] in a cover field",
                )
    return replace(site, report=replace(report, cover=tuple(cover), note_content=notes))


def _note_refs(nodes: Inlines) -> Iterator[NoteRef]:
    for node in nodes:
        if isinstance(node, NoteRef):
            yield node
        elif isinstance(node, (Span, Link)):
            yield from _note_refs(node.children)


def parse_site(site: Site, diags: Diagnostics) -> Site:
    site = parse_cover(site, diags)
    return replace(site, sections=tuple(parse_section(site, s, diags) for s in site.sections))


@dataclass(frozen=True)
class Refs:
    """Where things are, read from the source language's text."""

    figures: dict[str, int]  # chart id -> figure number, in reading order
    figure_section: dict[str, str]  # chart id -> section id
    para_section: dict[str, str]  # paragraph id (para-49, p-intro-2) -> section id
    numbers: dict[int, str]  # paragraph number -> section id
    notes: dict[str, str]  # footnote key -> section id ("" for the cover's notes)

    def chart_of(self, number: int) -> str | None:
        return next((c for c, n in self.figures.items() if n == number), None)


def refs(site: Site) -> Refs:
    figures: dict[str, int] = {}
    figure_section: dict[str, str] = {}
    para_section: dict[str, str] = {}
    numbers: dict[int, str] = {}
    notes: dict[str, str] = {footnote_key(label): "" for label in site.report.notes.get(site.report.source.tag, {})}
    tag = site.report.source.tag
    for section in site.sections:
        body = section.bodies.get(tag)
        if body is None or body.parsed is None:
            continue
        for block in body.parsed.blocks:
            if block.kind == "figure":
                if block.id not in figures:
                    figures[block.id] = len(figures) + 1
                    figure_section[block.id] = section.id
            else:
                para_section.setdefault(block.id, section.id)
                if block.number is not None:
                    numbers.setdefault(block.number, section.id)
        for note in body.parsed.footnotes:
            notes.setdefault(note.key, section.id)
    return Refs(figures, figure_section, para_section, numbers, notes)
