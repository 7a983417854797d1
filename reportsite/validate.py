"""The validate stage: cross-checks over the whole parsed site.

Input: a `Site` whose bodies are parsed. Output: diagnostics (nothing is
changed). Checks that ids and slugs are unique, that paragraph numbers run
1..N once each, that every language has the same paragraphs, figures and
footnotes section by section, that links, chart references, chart sources
and images resolve, and (as warnings) that each English paragraph carries
the quantities and glossary terms of its Chinese paragraph.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import Diagnostics, SourcePos, display_path
from .markdown import Block, footnote_key
from .model import Section, Site
from .quantities import missing_in_english
from .yamlschema import pos_of

FRAGMENT = re.compile(r"(para|fig)-(\d+)|fn-([A-Za-z0-9-]+)")
LABEL_DEPTH = {1: r"[IVXLCDM]+", 2: r"[IVXLCDM]+\.[A-Z]", 3: r"[IVXLCDM]+\.[A-Z]\.\d{1,2}"}


def figure_numbers(site: Site) -> dict[str, int]:
    """Chart id -> figure number, in the default language's reading order."""
    numbers: dict[str, int] = {}
    lang = site.report.default_language
    for section in site.sections:
        body = section.bodies.get(lang)
        if body is None or body.parsed is None:
            continue
        for block in body.parsed.blocks:
            if block.kind == "figure" and block.key not in numbers:
                numbers[block.key] = len(numbers) + 1
    return numbers


def paragraph_sections(site: Site) -> dict[int, Section]:
    lang = site.report.default_language
    out: dict[int, Section] = {}
    for section in site.sections:
        body = section.bodies.get(lang)
        for block in (body.parsed.blocks if body and body.parsed else ()):
            if block.kind == "para":
                out.setdefault(block.number, section)
    return out


def validate(site: Site, diags: Diagnostics) -> None:
    validate_global(site, diags)
    for section in site.sections:
        validate_text(site, section, diags)


def validate_global(site: Site, diags: Diagnostics) -> None:
    """The checks across sections. They read ids, numbers, lines and labels,
    never the text, so they run on a slim parse (see shard.slim)."""
    _unique_ids(site, diags)
    _labels(site, diags)
    _paragraph_sequence(site, diags)
    _languages_aligned(site, diags)
    _footnotes_unique(site, diags)
    _references(site, diags)
    _charts(site, diags)


def validate_text(site: Site, section: Section, diags: Diagnostics) -> None:
    """The checks that read one section's text: each runs where that section was parsed."""
    _quantities_and_terms(site, section, diags)


def _unique_ids(site: Site, diags: Diagnostics) -> None:
    ids: dict[str, Section] = {}
    slugs: dict[str, Section] = {}
    for s in site.sections:
        if s.id in ids:
            diags.error(pos_of(s.pos, "id"), f"section id '{s.id}' is also used by {ids[s.id].yaml_path}")
        ids.setdefault(s.id, s)
        if s.slug in slugs and slugs[s.slug].id != s.id:
            diags.error(pos_of(s.pos, "slug" if "slug" in s.pos else "id"),
                        f"slug '{s.slug}' is also used by {slugs[s.slug].yaml_path}")
        slugs.setdefault(s.slug, s)


def _labels(site: Site, diags: Diagnostics) -> None:
    by_id = {s.id: s for s in site.sections}
    for s in site.sections:
        if s.label is None:
            continue
        expected = LABEL_DEPTH.get(s.depth)
        if expected and not re.fullmatch(expected, s.label):
            diags.warning(pos_of(s.pos, "label"), f"label '{s.label}' does not fit a section at depth {s.depth}")
        parent = by_id.get(s.parent or "")
        if parent is not None and parent.label and not s.label.startswith(parent.label + "."):
            diags.warning(pos_of(s.pos, "label"), f"label '{s.label}' does not continue its parent's '{parent.label}'")


def _paragraph_sequence(site: Site, diags: Diagnostics) -> None:
    for lang in site.report.languages:
        seen: dict[int, tuple[str, int]] = {}  # a SourcePos only for what is reported: this loop sees every paragraph
        expected = 1
        for section in site.sections:
            body = section.bodies.get(lang)
            if body is None or body.parsed is None:
                continue
            for block in body.parsed.blocks:
                if block.kind != "para":
                    continue
                n = block.number
                if n in seen:
                    diags.error(SourcePos(body.path, block.line, 1),
                                f"paragraph {n} is written twice (first at {SourcePos(*seen[n], 1)})")
                    continue
                seen[n] = (body.path, block.line)
                if n != expected and lang == site.report.default_language:
                    diags.error(SourcePos(body.path, block.line, 1),
                                f"paragraph numbers must run 1..N in reading order: expected {expected}, found {n}")
                expected = n + 1


def _languages_aligned(site: Site, diags: Diagnostics) -> None:
    default = site.report.default_language
    for section in site.sections:
        base = section.bodies.get(default)
        if base is None or base.parsed is None:
            continue
        base_paras = {b.number: b for b in base.parsed.blocks if b.kind == "para"}
        base_figs = [b.key for b in base.parsed.blocks if b.kind == "figure"]
        base_notes = [f.label for f in base.parsed.footnotes]
        base_items = {b.number: b.items for b in base.parsed.blocks if b.kind == "para"}
        for lang in site.report.languages[1:]:
            other = section.bodies.get(lang)
            if other is None or other.parsed is None:
                continue
            paras = {b.number: b for b in other.parsed.blocks if b.kind == "para"}
            for n, block in base_paras.items():
                if n not in paras:
                    before = [b.line for m, b in paras.items() if m < n]
                    diags.error(SourcePos(other.path, max(before, default=1), 1),
                                f"paragraph {n} is missing ({base.path}:{block.line} has it)")
                elif base_items[n] != paras[n].items:
                    diags.error(SourcePos(other.path, paras[n].line, 1),
                                f"paragraph {n} has {paras[n].items} sub-items; "
                                f"{base.path}:{block.line} has {base_items[n]}")
            for n, block in paras.items():
                if n not in base_paras:
                    diags.error(SourcePos(other.path, block.line, 1),
                                f"paragraph {n} is not in {base.path}: each section has the same paragraphs in every language")
            figs = [b.key for b in other.parsed.blocks if b.kind == "figure"]
            if figs != base_figs:
                line = next((b.line for b in other.parsed.blocks if b.kind == "figure"), 1)
                diags.error(SourcePos(other.path, line, 1),
                            f"figures differ from {base.path}: this file places {_listed(figs)}, "
                            f"that one {_listed(base_figs)}")
            notes = [f.label for f in other.parsed.footnotes]
            if sorted(notes) != sorted(base_notes):
                line = next((f.line for f in other.parsed.footnotes), 1)
                diags.error(SourcePos(other.path, line, 1),
                            f"footnotes differ from {base.path}: this file defines "
                            f"{_listed([f'[^{n}]' for n in notes])}, that one {_listed([f'[^{n}]' for n in base_notes])}")


def _listed(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


def _footnotes_unique(site: Site, diags: Diagnostics) -> None:
    # The whole-report page holds every footnote: their ids must not clash.
    for lang in site.report.languages:
        owners: dict[str, str] = {footnote_key(label): site.report.path for label in site.report.notes.get(lang, {})}
        for section in site.sections:
            body = section.bodies.get(lang)
            for note in (body.parsed.footnotes if body and body.parsed else ()):
                if note.key in owners:
                    diags.error(SourcePos(body.path, note.line, 1),
                                f"footnote [^{note.label}] is also defined in {owners[note.key]}; "
                                "footnote markers are unique across the report")
                owners.setdefault(note.key, body.path)


def _fragment_exists(fragment: str, section: Section | None, site: Site, lang: str,
                     figures: dict[str, int], paras: dict[int, Section]) -> bool:
    m = FRAGMENT.fullmatch(fragment)
    if not m:
        return section is not None and fragment == section.id
    if m.group(1) == "para":
        return int(m.group(2)) in paras and (section is None or paras[int(m.group(2))].id == section.id)
    if m.group(1) == "fig":
        return 1 <= int(m.group(2)) <= len(figures)
    key = m.group(3)
    if section is None:
        return True
    body = section.bodies.get(lang)
    return any(f.key == key for f in (body.parsed.footnotes if body and body.parsed else ()))


def _references(site: Site, diags: Diagnostics) -> None:
    by_slug = {s.slug: s for s in site.sections}
    figures = figure_numbers(site)
    paras = paragraph_sections(site)
    for section in site.sections:
        for lang, body in section.bodies.items():
            if body.parsed is None:
                continue
            for link in body.parsed.links:
                pos = SourcePos(body.path, link.line, link.col)
                href = link.target
                if re.match(r"(https?:|mailto:)", href, re.I):
                    continue
                if re.match(r"[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith(("/", ".")):
                    diags.error(pos, f"link '{href}': link to a section by its slug ('resolution-26-8'), "
                                     "to a paragraph ('#para-49'), or to an http(s) address")
                    continue
                target_slug, _, fragment = href.partition("#")
                target = by_slug.get(target_slug) if target_slug else None
                if target_slug and target is None:
                    diags.error(pos, f"link to a section that does not exist: '{target_slug}'")
                    continue
                if fragment and not _fragment_exists(fragment, target or (section if fragment.startswith("fn-") else None),
                                                     site, lang, figures, paras):
                    diags.error(pos, f"link to '#{fragment}', which does not exist"
                                     + (f" in section '{target.slug}'" if target else ""))
            for image in body.parsed.images:
                pos = SourcePos(body.path, image.line, image.col)
                if not image.extra.strip():
                    diags.error(pos, f"image '{image.target}' has no alt text: describe it in the brackets ![…]")
                src = image.target
                if re.match(r"[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/") or ".." in Path(src).parts:
                    diags.error(pos, f"image '{src}' must be a file in the section's folder")
                elif any(part.startswith(".") for part in Path(src).parts):
                    # The load skips hidden names, so their links were never checked: never publish through one.
                    diags.error(pos, f"image '{src}' is a hidden file or in a hidden folder; it is not published")
                elif not (section.dir / src).is_file():
                    diags.error(pos, f"image file not found: {display_path(section.dir / src)}")
                elif not Path(os.path.realpath(section.dir / src)).is_relative_to(os.path.realpath(site.content_dir)):
                    diags.error(pos, f"image '{src}' is a symbolic link to a file outside the content directory")


def _charts(site: Site, diags: Diagnostics) -> None:
    from . import charts

    placed: dict[str, SourcePos] = {}
    for section in site.sections:
        body = section.bodies.get(site.report.default_language)
        for lang, body in section.bodies.items():
            for block in (body.parsed.blocks if body.parsed else ()):
                if block.kind != "figure":
                    continue
                pos = SourcePos(body.path, block.line, 1)
                if block.key not in site.charts:
                    diags.error(pos, f"unknown chart '{block.key}' (no content/charts/{block.key}.yaml)")
                elif lang == site.report.default_language:
                    if block.key in placed:
                        diags.error(pos, f"chart '{block.key}' is already placed at {placed[block.key]}")
                    placed.setdefault(block.key, pos)
    paras = paragraph_sections(site)
    for chart_id, spec in site.charts.items():
        if chart_id not in placed:
            diags.warning(SourcePos(spec.path, 1, 1), f"chart '{chart_id}' is not placed in any section")
        for number, pos in charts.source_refs(spec):
            if number not in paras:
                diags.error(pos, f"source paragraph para-{number} does not exist")


def _quantities_and_terms(site: Site, section: Section, diags: Diagnostics) -> None:
    langs = site.report.languages
    if "zh" not in langs or "en" not in langs:
        return
    checked = [t for t in site.glossary if t.check]
    zh, en = section.bodies.get("zh"), section.bodies.get("en")
    if not (zh and en and zh.parsed and en.parsed):
        return
    # A number written twice is reported on its own; compare only its first paragraphs.
    en_paras: dict[int, Block] = {}
    for b in en.parsed.blocks:
        if b.kind == "para":
            en_paras.setdefault(b.number, b)
    compared: set[int] = set()
    for block in zh.parsed.blocks:
        other = en_paras.get(block.number) if block.kind == "para" else None
        if other is None or block.number in compared:
            continue
        compared.add(block.number)
        pos = SourcePos(en.path, other.line, 1)
        missing = missing_in_english(block.text, other.text)
        if missing:
            diags.warning(pos, f"paragraph {block.number}: the English lacks {', '.join(missing)} "
                               f"of the Chinese ({zh.path}:{block.line})")
        for term in checked:
            if term.zh in block.text and term.en not in other.text:
                diags.warning(pos, f"paragraph {block.number}: the Chinese has '{term.zh}' but the English "
                                   f"lacks its glossary rendering '{term.en}'")
    en_notes = {f.label: f for f in en.parsed.footnotes}
    for note in zh.parsed.footnotes:
        other_note = en_notes.get(note.label)
        if other_note is not None:
            missing = missing_in_english(note.text, other_note.text)
            if missing:
                diags.warning(SourcePos(en.path, other_note.line, 1),
                              f"footnote {note.label}: the English lacks {', '.join(missing)} of the Chinese")
