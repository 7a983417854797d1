"""The validate stage: cross-checks over the whole parsed site.

Input: a `Site` whose bodies are parsed, and its `Refs`. Output:
diagnostics (nothing is changed). Checks that ids and slugs are unique,
that numbered paragraphs run 1..N once each, that every language has the
same paragraphs, figures and footnotes section by section (by number, or
by order where paragraphs have no numbers), that links, chart references,
chart sources and images resolve and are safe, and (as warnings) that each
translation keeps the quantities and glossary terms of its source.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from babel import Locale

from . import charts, textfile
from .errors import Diagnostics, SourcePos, display_path, excerpt
from .markdown import footnote_key
from .model import Block, Section, Site
from .parse import Refs
from .quantities import missing, reader
from .yamlschema import pos_of

FRAGMENT = re.compile(r"(para|fig)-(\d+)|fn-([A-Za-z0-9-]+)|p-[a-z0-9-]+")
# What an SVG image may hold: shapes, text, gradients, grouping. No script, no event handler,
# no foreign content, no link or style that could reach outside the file.
SVG_ELEMENTS = {
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "title",
    "desc",
    "metadata",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "marker",
    "image",
    "switch",
    "filter",
    "feGaussianBlur",
    "feOffset",
    "feBlend",
    "feColorMatrix",
    "feComposite",
    "feFlood",
    "feMerge",
    "feMergeNode",
    "view",
}


def english_name(tag: str) -> str:
    """A language's name in English, for messages to editors."""
    return str(Locale("en").languages.get(tag.split("-")[0], tag))


def validate(site: Site, refs: Refs, diags: Diagnostics, texts: bool = True) -> None:
    """Every check across files; texts: the text checks of each section too (`text_checks`), which
    give warnings only, so that a build may run them beside its rendering."""
    _unique_ids(site, diags)
    if site.report.numbered:
        _paragraph_sequence(site, diags)
    _languages_aligned(site, diags)
    _footnotes_unique(site, diags)
    _references(site, refs, diags)
    _charts(site, refs, diags)
    if texts:
        text_checks(site, site.sections, diags)


def text_checks(site: Site, sections: Iterable[Section], diags: Diagnostics) -> None:
    """Each translation of these sections keeps its source's quantities and glossary terms: warnings."""
    for section in sections:
        translations(site, section, diags)


def _unique_ids(site: Site, diags: Diagnostics) -> None:
    ids: dict[str, Section] = {}
    slugs: dict[str, Section] = {}
    for s in site.sections:
        if s.id in ids:
            diags.error(pos_of(s.pos, "id"), f"section id '{s.id}' is also used by {ids[s.id].yaml_path}")
        ids.setdefault(s.id, s)
        if s.slug in slugs and slugs[s.slug].id != s.id:
            diags.error(
                pos_of(s.pos, "slug" if "slug" in s.pos else "id"),
                f"slug '{s.slug}' is also used by {slugs[s.slug].yaml_path}",
            )
        slugs.setdefault(s.slug, s)


def _paragraph_sequence(site: Site, diags: Diagnostics) -> None:
    source = site.report.source.tag
    for tag in site.report.tags:
        seen: dict[int, tuple[str, int]] = {}
        expected = 1
        for section in site.sections:
            body = section.bodies.get(tag)
            if body is None or body.parsed is None:
                continue
            for block in body.parsed.blocks:
                if block.number is None:
                    continue
                n = block.number
                if n in seen:
                    diags.error(
                        SourcePos(body.path, block.line, 1),
                        f"paragraph {n} is written twice (first at {SourcePos(*seen[n], 1)})",
                    )
                    continue
                seen[n] = (body.path, block.line)
                if n != expected and tag == source:
                    diags.error(
                        SourcePos(body.path, block.line, 1),
                        f"paragraph numbers must run 1..N in reading order: expected {expected}, found {n}",
                    )
                expected = n + 1


def _languages_aligned(site: Site, diags: Diagnostics) -> None:
    source = site.report.source.tag
    for section in site.sections:
        base = section.bodies.get(source)
        if base is None or base.parsed is None:
            continue
        base_numbered = {b.number: b for b in base.parsed.blocks if b.number is not None}
        base_plain = [b for b in base.parsed.blocks if b.kind == "para" and b.number is None]
        base_figs = [b.id for b in base.parsed.blocks if b.kind == "figure"]
        base_notes = [f.label for f in base.parsed.footnotes]
        for lang in site.report.targets:
            other = section.bodies.get(lang.tag)
            if other is None or other.parsed is None:
                continue
            numbered = {b.number: b for b in other.parsed.blocks if b.number is not None}
            for n, block in base_numbered.items():
                if n not in numbered:
                    before = [b.line for m, b in numbered.items() if m < n]
                    # Where the paragraph should be; a file lacking every paragraph is one problem, not a cascade.
                    if not numbered and n != min(base_numbered):
                        continue
                    what = (
                        f"paragraph {n} is missing ({base.path}:{block.line} has it)"
                        if numbered
                        else f"this file has no numbered paragraph; {base.path}:{block.line} starts with paragraph {n}"
                    )
                    diags.error(SourcePos(other.path, max(before, default=1), 1), what)
                elif len(block.items) != len(numbered[n].items):
                    diags.error(
                        SourcePos(other.path, numbered[n].line, 1),
                        f"paragraph {n} has {len(numbered[n].items)} sub-items; "
                        f"{base.path}:{block.line} has {len(block.items)}",
                    )
            for n, block in numbered.items():
                if n not in base_numbered:
                    diags.error(
                        SourcePos(other.path, block.line, 1),
                        f"paragraph {n} is not in {base.path}: each section has the same paragraphs in every language",
                    )
            plain = [b for b in other.parsed.blocks if b.kind == "para" and b.number is None]
            if len(plain) != len(base_plain):
                kind = "paragraphs" if not site.report.numbered else "unnumbered paragraphs"

                def last(blocks: list[Block]) -> str:
                    return f"the last at line {blocks[-1].line}" if blocks else "none"

                diags.error(
                    SourcePos(
                        other.path,
                        plain[min(len(plain), len(base_plain))].line
                        if len(plain) > len(base_plain)
                        else (plain[-1].line if plain else 1),
                        1,
                    ),
                    f"{len(plain)} {kind} here ({last(plain)}), {len(base_plain)} in {base.path} "
                    f"({last(base_plain)}): paragraphs are matched across languages by their order, so "
                    "each language needs the same number",
                )
            figs = [b.id for b in other.parsed.blocks if b.kind == "figure"]
            if figs != base_figs:
                line = next((b.line for b in other.parsed.blocks if b.kind == "figure"), 1)
                diags.error(
                    SourcePos(other.path, line, 1),
                    f"figures differ from {base.path}: this file places {_listed(figs)}, that one {_listed(base_figs)}",
                )
            notes = [f.label for f in other.parsed.footnotes]
            if sorted(notes) != sorted(base_notes):
                line = next((f.line for f in other.parsed.footnotes), 1)
                diags.error(
                    SourcePos(other.path, line, 1),
                    f"footnotes differ from {base.path}: this file defines "
                    f"{_listed([f'[^{n}]' for n in notes])}, that one {_listed([f'[^{n}]' for n in base_notes])}",
                )


def _listed(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


def _footnotes_unique(site: Site, diags: Diagnostics) -> None:
    # The whole-report page holds every footnote: their ids must not clash.
    for tag in site.report.tags:
        owners: dict[str, str] = {footnote_key(label): site.report.path for label in site.report.notes.get(tag, {})}
        for section in site.sections:
            body = section.bodies.get(tag)
            for note in body.parsed.footnotes if body and body.parsed else ():
                if note.key in owners:
                    diags.error(
                        SourcePos(body.path, note.line, 1),  # type: ignore[union-attr]
                        f"footnote [^{note.label}] is also defined in {owners[note.key]}; "
                        "footnote markers are unique across the report",
                    )
                owners.setdefault(note.key, body.path)  # type: ignore[union-attr]


def _fragment_exists(fragment: str, section: Section | None, site: Site, tag: str, refs: Refs) -> bool:
    m = FRAGMENT.fullmatch(fragment)
    if not m:
        return section is not None and fragment == section.id
    if m.group(1) == "para":
        number = int(m.group(2))
        return number in refs.numbers and (section is None or refs.numbers[number] == section.id)
    if m.group(1) == "fig":
        return 1 <= int(m.group(2)) <= len(refs.figures)
    if fragment.startswith("p-"):
        return fragment in refs.para_section and (section is None or refs.para_section[fragment] == section.id)
    key = m.group(3)
    if section is None:
        return True
    body = section.bodies.get(tag)
    return any(f.key == key for f in (body.parsed.footnotes if body and body.parsed else ()))


def _references(site: Site, refs: Refs, diags: Diagnostics) -> None:
    by_slug = {s.slug: s for s in site.sections}
    root = os.path.realpath(site.content_dir)
    for section in site.sections:
        for tag, body in section.bodies.items():
            if body.parsed is None:
                continue
            for link, pos in body.parsed.links:
                if link.external:
                    continue
                href = link.href
                if re.match(r"[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith(("/", ".")) or not href:
                    diags.error(
                        pos,
                        f"link {excerpt(href, 40)}: link to a section by its slug ('resolution-26-8'), "
                        "to a paragraph ('#para-49'), or to an http(s) address",
                    )
                    continue
                target = by_slug.get(link.slug) if link.slug else None
                if link.slug and target is None:
                    diags.error(pos, f"link to a section that does not exist: {excerpt(link.slug, 40)}")
                    continue
                fragment = link.fragment
                scope = target or (section if fragment.startswith("fn-") else None)
                if fragment and not _fragment_exists(fragment, scope, site, tag, refs):
                    diags.error(
                        pos,
                        f"link to '#{fragment[:40]}', which does not exist"
                        + (f" in section '{target.slug}'" if target else ""),
                    )
            for image, pos in body.parsed.images:
                _image(image.src, image.alt, pos, section, root, diags)


def _image(src: str, alt: str, pos: SourcePos, section: Section, root: str, diags: Diagnostics) -> None:
    if not alt.strip():
        diags.error(pos, f"image {excerpt(src, 40)} has no alt text: describe it in the brackets ![…]")
    path = section.dir / src
    if re.match(r"[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/") or ".." in Path(src).parts or not src:
        diags.error(pos, f"image {excerpt(src, 40)} must be a file in the section's folder")
        return
    if any(part.startswith(".") for part in Path(src).parts):
        # The load skips hidden names, so their links were never checked: never publish through one.
        diags.error(pos, f"image {excerpt(src, 40)} is a hidden file or in a hidden folder; it is not published")
        return
    if Path(src).suffix.lower() not in {".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif"}:
        diags.error(pos, f"image {excerpt(src, 40)}: only PNG, JPEG, SVG, WebP and GIF images are published")
        return
    problem = textfile.why_unreadable(path, root)
    if problem is not None:
        diags.error(pos, f"image {display_path(path)}: {problem}")
        return
    size = os.path.getsize(path)
    if size > textfile.MAX_MEDIA_BYTES:
        diags.error(
            pos,
            f"image {display_path(path)} is {size // (1024 * 1024)} MiB; the limit is "
            f"{textfile.MAX_MEDIA_BYTES // (1024 * 1024)} MiB per image: make it smaller",
        )
        return
    if path.suffix.lower() == ".svg":
        active = svg_problem(path.read_bytes())
        if active:
            diags.error(pos, f"image {display_path(path)} {active}; an SVG image may only draw")


def svg_problem(data: bytes) -> str | None:
    """Why an SVG may not be published: script, event handlers, foreign content, links out. None if clean."""
    try:
        root = ET.fromstring(data)  # expat refuses external entities and caps entity expansion
    except ET.ParseError as exc:
        return f"is not well-formed XML ({exc})"
    for el in root.iter():
        name = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if name not in SVG_ELEMENTS:
            return f"holds a <{name[:30]}> element"
        for attr, value in el.attrib.items():
            local = attr.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"has an event handler ({local[:30]})"
            if local == "style" or (local == "href" and not value.strip().startswith("#")):
                return f"has a {local} attribute that can reach outside the image"
    return None


def _charts(site: Site, refs: Refs, diags: Diagnostics) -> None:
    placed: dict[str, SourcePos] = {}
    source = site.report.source.tag
    for section in site.sections:
        for tag, body in section.bodies.items():
            for block in body.parsed.blocks if body.parsed else ():
                if block.kind != "figure":
                    continue
                pos = SourcePos(body.path, block.line, 1)
                if block.id not in site.charts:
                    diags.error(pos, f"unknown chart '{block.id}' (no content/charts/{block.id}.yaml)")
                elif tag == source:
                    if block.id in placed:
                        diags.error(pos, f"chart '{block.id}' is already placed at {placed[block.id]}")
                    placed.setdefault(block.id, pos)
    for chart_id, spec in site.charts.items():
        if chart_id not in placed:
            diags.warning(SourcePos(spec.path, 1, 1), f"chart '{chart_id}' is not placed in any section")
        for pid, pos in charts.source_refs(spec):
            if pid not in refs.para_section:
                diags.error(pos, f"source paragraph {pid} does not exist")


def quantity_reader(site: Site, tag: str):  # type: ignore[no-untyped-def]
    ui = site.ui.get(tag, {})
    return reader(
        tag,
        tuple(ui.get("number_words") or ()),
        tuple(ui.get("scale_joiners") or ()),
        site.report.number_grouping.get(tag, ""),
    )


def translations(site: Site, section: Section, diags: Diagnostics) -> None:
    """Each translation keeps its source's quantities and the glossary's checked terms."""
    source = site.report.source
    base = section.bodies.get(source.tag)
    if base is None or base.parsed is None:
        return
    source_reader = quantity_reader(site, source.tag)
    for lang in site.report.targets:
        other = section.bodies.get(lang.tag)
        if other is None or other.parsed is None:
            continue
        target_reader = quantity_reader(site, lang.tag)
        checked = [t for t in site.glossary if t.check and source.tag in t.terms and lang.tag in t.terms]
        theirs: dict[str, Block] = {}
        for b in other.parsed.blocks:
            if b.kind == "para":
                theirs.setdefault(b.id, b)
        compared: set[str] = set()
        src_name, name = english_name(source.tag), english_name(lang.tag)
        for block in base.parsed.blocks:
            match = theirs.get(block.id) if block.kind == "para" else None
            if match is None or block.id in compared:
                continue  # a number written twice is reported on its own; compare its first paragraphs
            compared.add(block.id)
            pos = SourcePos(other.path, match.line, 1)
            what = f"paragraph {block.number}" if block.number is not None else f"the paragraph at line {match.line}"
            lacks = missing(block.text, source_reader, match.text, target_reader)
            if lacks:
                diags.warning(
                    pos, f"{what}: the {name} lacks {', '.join(lacks)} of the {src_name} ({base.path}:{block.line})"
                )
            for term in checked:
                if term.terms[source.tag] in block.text and term.terms[lang.tag] not in match.text:
                    diags.warning(
                        pos,
                        f"{what}: the {src_name} has '{term.terms[source.tag]}' but the {name} "
                        f"lacks its glossary rendering '{term.terms[lang.tag]}'",
                    )
        notes = {f.label: f for f in other.parsed.footnotes}
        for note in base.parsed.footnotes:
            match_note = notes.get(note.label)
            if match_note is not None:
                lacks = missing(note.text, source_reader, match_note.text, target_reader)
                if lacks:
                    diags.warning(
                        SourcePos(other.path, match_note.line, 1),
                        f"footnote {note.label}: the {name} lacks {', '.join(lacks)} of the {src_name}",
                    )
