"""The translators' round trip: XLIFF 1.2 out and back in, a TMX memory and a TBX termbase.

Input: a checked site (pipeline.load_and_check), its translations.lock, and
for `xliff import` an XLIFF file a translator returned. Output: an XLIFF,
TMX or TBX file, an OmegaT project folder, or the translations written back
into the body and YAML files with the lock updated. Every problem is a
``path:line:col`` diagnostic; nothing is written unless the whole import
applies. translate-toolkit (GPL-3.0-or-later, the `translators` extra)
reads and writes the formats; it is imported only by these commands.

Commands::

    xliff export --lang en [--missing|--stale|--all] [--section ID] -o FILE.xlf
    xliff export omegat --lang en [--missing|--stale|--all] [--section ID] -o DIR
    xliff import FILE.xlf            (or an OmegaT project folder: its target/*.xlf)
    tmx -o FILE.tmx [--lang en]
    glossary -o FILE.tbx

Units. One trans-unit per translatable text, keyed by language-neutral ids:
numbered paragraphs ``para-49`` and unnumbered ones ``p-<section>-<k>``;
sub-items ``para-6.a`` (the marker "(a) " is not translatable: it is
stripped from the unit and the target file's own marker is kept on import);
footnotes ``fn-<key>`` (the cover's notes too); ``title.<section>``,
``description.<section>`` (the body's front matter, in the target file);
``chart.<chart>.title|caption|alt|description|unit|category_label``,
``chart.<chart>.category.<i>`` and ``chart.<chart>.series.<series>`` (i from
1), ``chart.<chart>.derived.<series>.<i>`` for a derived point's note;
``cover.<key>`` and ``summary``. Units come in reading order: the report's
own texts, then each section's title, description, paragraphs with their
figures' texts where the figure stands, and footnotes.

State. A paragraph's state is the lock's (status.paragraph_states):
translated -> state="translated"; stale (the source changed since the
lock's fingerprint) or never confirmed -> "needs-review-translation"
(a note says which); no translation -> "new", with an empty <target>. The
other texts have no lock entry: "translated" when a translation exists,
else "new". --missing selects the "new" units, --stale the ones to review;
--section a section and its subsections (the report's own texts then stay
out).

Fingerprints. Each unit carries, in a context group named "<id>.reportsite"
(purpose information; OmegaT and other tools keep context groups):
x-section, x-source-fingerprint and, when it has one, x-translation-fingerprint.
The source fingerprint is status.fingerprint over the unit's source text: for
a paragraph exactly the lock's value (the paragraph's text, sub-items
included, so that a change to any sub-item makes the paragraph stale as in
the lock); for a sub-item, a footnote or a YAML text the same function over
its own plain text (a sub-item's marker included). Import refuses a
translated unit whose source fingerprint no longer matches (the source
changed since the export); a unit the file leaves exactly as exported is
not imported instead, with a warning (its translation stays to review).
The translation fingerprint is the same function
over the translation as it stood at the export (as Markdown); if the body
file's translation changed since the export and the returned target differs
from it, the unit is refused too (two people translated it), instead of
silently losing an edit.

Inline codes. Markdown never reaches the translator: emphasis is <g
ctype="italic">/<g ctype="bold">, a link <g ctype="link">, a
cross-reference (a link to a place in the report) <g ctype="x-xref">, an
image <g ctype="x-image"> around its alt text, a footnote reference <x
ctype="x-footnote-ref"/>, a line break <x ctype="lb"/>, a code span <ph
ctype="x-code">. XLIFF 1.2 has no place for a URL, so the code's target
(href, image source, note label) is restored on import from the codes of
the source and of the current translation: ids 1..n number the source's
codes in order; a code of the current translation that matches one of the
source's (the same note, the same cross-reference, the n-th link, image or
emphasis) gets its id, so a language-specific URL survives; a code only the
translation has gets id t1, t2... On import every code of the source other
than emphasis must appear exactly once, with its kind; no other code may
appear, except emphasis (<g ctype="italic|bold"> with a new id): emphasis
belongs to the language (English italicises a title that Chinese puts in
《》), so it may be dropped or added. A link may not hold another link or a
footnote reference, and an image's alt text no code; Markdown cannot say
that. Text is escaped for Markdown when written back, and each written unit
is parsed again and must give the tree the translator's target describes.

Protocol with CAT tools. The default export is standard XLIFF 1.2: the
<target> holds the current translation, its state says whether it needs
review, and import takes a target that differs from the exported
translation, or whose state the tool set to translated / signed-off / final
(or approved="yes"); a "new" or "needs-review-*" target that nobody changed
is left alone. That is what Trados, memoQ, Phrase, Okapi, Poedit and
Virtaal expect. OmegaT 3.6 cannot use it: its XLIFF filter translates the
<target> element (the "source=target" variety in its manual), skips units
without one and treats an English target as source text, and it never sets
`state`. So `xliff export omegat` writes a complete OmegaT project instead
of a bare file: every <target> is a copy of its <source> (codes included,
state="new"); the current translations of the exported units go into
tm/auto/ as a TMX keyed by unit id (OmegaT inserts them; omegat/filters.xml
sets alttransidtype=ELEMENT_ID so that two identical source paragraphs keep
their own translations, and removeTags=false so that the segment keeps all
its tags, numbered <g0>, <x1/>, <c2/> as OmegaT writes them); the
translations that need review go into tm/ (a match the translator sees but
OmegaT does not insert, so that nothing stale is accepted by default);
the glossary goes to glossary/ as TBX; the project has sentence
segmentation off (one segment per unit). The XLIFF header says which
protocol the file follows (<note from="reportsite-protocol">), and import
reads an OmegaT target still equal to its source as untranslated and any
other target as translated. OmegaT cannot carry a code the source lacks, so
the memory gives such translations without their target-only emphasis and
links, and import puts them back on the same words when the words are still
there (a note names any it could not place). What the translator does in
OmegaT is saved in the project's omegat/project_save.tmx, which tm/auto does
not override. Why a separate export rather than always copying the source
into <target>: in standard XLIFF a target is a translation, and other tools
would take a Chinese "translation" for done work; and why a whole project
rather than the file and a TMX to place by hand: the settings that make the
round trip work (no segmentation, every tag kept, id-keyed memory) are
project settings a translator should not have to get right.
tests/test_xliff.py runs OmegaT itself (headless console-translate) on such
a project and imports what it writes.

Writing back. A paragraph (a sub-item, a footnote) replaces exactly the
lines of its Markdown paragraph, keeping the file's own prefix ("49. ",
"(a) ", "[^4]: "); a paragraph the target file lacks is inserted after the
previous block of its section that it has (sub-items after the previous
sub-item, footnotes after the last footnote); a paragraph written on
several lines comes back as one line. Texts in YAML (titles, the
front matter's description, chart texts, cover fields, summary) replace
just their scalar, found by PyYAML's node marks, in the scalar's own style
when the result reads back the same (else a double-quoted scalar), so the
rest of the file keeps every byte. The new files are computed in memory,
written to a copy of the content, loaded and checked there
(pipeline.load_and_check): an import that adds an error, or whose text
would not read back as the translator wrote it, writes nothing. Then each
file is replaced atomically, translations.lock last, with the imported
paragraphs confirmed (all of a paragraph's units translated).

TMX: confirmed paragraphs (per unit: a sub-item is a unit) and every other
text with a translation, as TMX 1.4 level 1 (plain text: the inline codes
are left out, their text kept), tuid = unit id, with <prop type="x-document">
(the document symbol), "x-report" and "x-section". TBX: the
glossary as TBX (the MARTIF dialect translate-toolkit writes, which OmegaT
reads), one termEntry per entry, a note on the entries `check` verifies.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from . import __version__, status
from .errors import Diagnostic, Diagnostics, SourcePos, display_path, program
from .markdown import SUBITEM, plain
from .model import Block, Break, Code, Image, Inline, Inlines, Link, NoteRef, Section, Site, Span, Text
from .pipeline import Checked, Timer, load_and_check
from .project import Project, make
from .validate import english_name

NS = "urn:oasis:names:tc:xliff:document:1.2"
TOOL_ID = "reportsite"
PROTOCOL = "reportsite-protocol"  # <note from=...> in the XLIFF header
OMEGAT = "omegat"
DATATYPE = "x-markdown"
DONE_STATES = {"translated", "signed-off", "final"}
CHART_FIELDS = ("title", "caption", "alt", "description", "unit", "category_label")
# A CAT tool's placeholder left as text (OmegaT writes <g1> when it cannot place a tag).
TAG_AS_TEXT = re.compile(r"</?[a-z]{1,3}\d{1,3}/?>")
EMPHASIS = {"em": "italic", "strong": "bold"}
CTYPE_EMPHASIS = {v: k for k, v in EMPHASIS.items()}
OMEGAT_TOKENIZERS = {
    "zh": "LuceneSmartChineseTokenizer",
    "ja": "LuceneJapaneseTokenizer",
    "ko": "LuceneCJKTokenizer",
    "en": "LuceneEnglishTokenizer",
    "fr": "LuceneFrenchTokenizer",
    "es": "LuceneSpanishTokenizer",
    "ru": "LuceneRussianTokenizer",
    "ar": "LuceneArabicTokenizer",
    "de": "LuceneGermanTokenizer",
    "pt": "LucenePortugueseTokenizer",
    "it": "LuceneItalianTokenizer",
    "nl": "LuceneDutchTokenizer",
    "fa": "LucenePersianTokenizer",
    "hi": "LuceneHindiTokenizer",
    "th": "LuceneThaiTokenizer",
}


class UsageError(Exception):
    """A command that cannot run as given (exit 2)."""


class ToolkitMissing(Exception):
    pass


def _etree() -> Any:
    """lxml's etree (it comes with translate-toolkit)."""
    from lxml import etree  # type: ignore[import-untyped]

    return etree


def _toolkit() -> Any:
    try:
        from translate.storage import xliff as ttk_xliff
    except ImportError:
        raise ToolkitMissing(
            "translate-toolkit is not installed: pip install 'reportsite[translators]' (or translate-toolkit==3.20.4)"
        ) from None
    return ttk_xliff


# ================================================================ units


@dataclass(frozen=True)
class BodyPlace:
    """A text in a body file: a paragraph, one of its sub-items, or a footnote."""

    section: str
    kind: str  # "para", "item" or "footnote"
    block: str  # the paragraph id, or the footnote key
    item: int = -1  # the sub-item's index
    marker: str = ""  # the source's sub-item marker, "(a) "


@dataclass(frozen=True)
class YamlPlace:
    """A scalar in a YAML file (or a body file's front matter)."""

    file: Path
    keys: tuple[str | int, ...]
    front_matter: bool = False


@dataclass
class Unit:
    id: str
    kind: str  # para, item, footnote, title, description, chart, cover, summary
    section: str  # section id; "" for the report's own texts
    para: str | None  # the paragraph (lock entry) a paragraph or sub-item belongs to
    markdown: bool  # inline Markdown (codes possible) or plain text
    source: Inlines
    target: Inlines | None  # the current translation
    fingerprint: str  # of the source text
    source_pos: SourcePos
    target_pos: SourcePos | None
    place: BodyPlace | YamlPlace
    state: str = "new"  # translated, needs-review-translation, new
    review: str = ""  # stale, unconfirmed

    @property
    def source_text(self) -> str:
        return plain(self.source)

    @property
    def translation_fingerprint(self) -> str:
        return status.fingerprint(to_markdown(self.target)) if self.target else ""


def _strip_marker(item: Inlines) -> tuple[str, Inlines]:
    """A sub-item's marker ("(a) ") and its text without it."""
    if item and isinstance(item[0], Text):
        m = SUBITEM.match(item[0].text)
        if m:
            rest = item[0].text[m.end() :]
            return m.group(0), ((Text(rest),) if rest else ()) + item[1:]
    return "", item


def item_ids(block: Block) -> list[str]:
    """The unit ids of a paragraph's sub-items: para-6.a from the marker "(a)", else para-6.3 by position."""
    ids: list[str] = []
    for i, item in enumerate(block.items):
        m = re.match(r"\(([^)]+)\)", _strip_marker(item)[0])
        uid = f"{block.id}.{m.group(1) if m else i + 1}"
        ids.append(uid if uid not in ids else f"{block.id}.{i + 1}")
    return ids


def _plain_inlines(text: str) -> Inlines:
    return (Text(text),) if text else ()


class YamlFiles:
    """Raw text, composed nodes and scalar positions of the YAML files (and front matters) units live in."""

    def __init__(self) -> None:
        self.cache: dict[tuple[Path, bool], tuple[str, int, Any] | None] = {}

    def node(self, place: YamlPlace) -> tuple[str, int, yaml.Node] | None:
        """(raw text, offset of the YAML in it, scalar node) or None when there is no such scalar."""
        key = (place.file, place.front_matter)
        if key not in self.cache:
            self.cache[key] = _compose(place.file, place.front_matter)
        found = self.cache[key]
        if found is None:
            return None
        raw, offset, root = found
        node = _walk(root, place.keys)
        return (raw, offset, node) if isinstance(node, yaml.ScalarNode) else None

    def pos(self, place: YamlPlace) -> SourcePos:
        found = self.node(place)
        shown = display_path(place.file)
        if found is None:
            return SourcePos(shown, 1, 1)
        raw, offset, node = found
        index = offset + node.start_mark.index
        line = raw.count("\n", 0, index) + 1
        return SourcePos(shown, line, index - (raw.rfind("\n", 0, index) + 1) + 1)


def _read_raw(path: Path) -> str:
    text = path.read_bytes().decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def _front_matter_span(raw: str) -> tuple[int, int] | None:
    """Start and end offsets of a body file's front matter (between the '---' lines)."""
    first = raw.find("\n")
    if first < 0 or raw[:first].rstrip() != "---":
        return None
    start = first + 1
    pos = start
    while pos <= len(raw):
        end = raw.find("\n", pos)
        line = raw[pos : end if end >= 0 else len(raw)]
        if line.rstrip() in ("---", "..."):
            return start, pos
        if end < 0:
            return None
        pos = end + 1
    return None


def _compose(path: Path, front_matter: bool) -> tuple[str, int, Any] | None:
    try:
        raw = _read_raw(path)
    except (OSError, UnicodeDecodeError):
        return None
    offset, text = 0, raw
    if front_matter:
        span = _front_matter_span(raw)
        if span is None:
            return None
        offset, text = span[0], raw[span[0] : span[1]]
    try:
        # The pure-Python composer: its marks count characters, as str slicing does.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return raw, offset, root


def _walk(node: Any, keys: Sequence[str | int]) -> Any:
    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if 0 <= key < len(node.value) else None
        else:
            return None
    return node


def _subtree(site: Site, section_id: str) -> set[str]:
    ids = {section_id}
    for s in site.sections:  # document order: a parent comes before its children
        if s.parent in ids:
            ids.add(s.id)
    return ids


def catalogue(checked: Checked, lang: str, lock: status.Lock | None, yaml_files: YamlFiles | None = None) -> list[Unit]:
    """Every translatable text of the report for target language `lang`, in reading order."""
    site = checked.site
    refs = checked.refs
    yf = yaml_files or YamlFiles()
    report = site.report
    src = report.source.tag
    content = site.content_dir
    units: list[Unit] = []

    def yaml_unit(
        uid: str,
        kind: str,
        section: str,
        file: Path,
        keys_src: tuple[str | int, ...],
        keys_tgt: tuple[str | int, ...],
        source: str,
        target: str | None,
        markdown: bool = False,
        src_tree: Inlines | None = None,
        tgt_tree: Inlines | None = None,
        front_matter: bool = False,
        src_file: Path | None = None,
    ) -> None:
        s_tree = src_tree if src_tree is not None else _plain_inlines(source)
        t_tree = tgt_tree if tgt_tree is not None else (_plain_inlines(target) if target else None)
        place = YamlPlace(file, keys_tgt, front_matter)
        src_place = YamlPlace(src_file or file, keys_src, front_matter)
        units.append(
            Unit(
                uid,
                kind,
                section,
                None,
                markdown,
                s_tree,
                t_tree or None,
                status.fingerprint(plain(s_tree)),
                yf.pos(src_place),
                yf.pos(place) if t_tree else None,
                place,
                "translated" if t_tree else "new",
            )
        )

    # -- the report's own texts
    report_yaml = content / "report.yaml"
    for f in report.cover:
        if src in f.text:
            yaml_unit(
                f"cover.{f.key}",
                "cover",
                "",
                report_yaml,
                ("cover", f.key, src),
                ("cover", f.key, lang),
                f.text[src],
                f.text.get(lang),
                True,
                f.content.get(src, ()),
                f.content.get(lang),
            )
    if src in report.summary:
        yaml_unit(
            "summary",
            "summary",
            "",
            report_yaml,
            ("summary", src),
            ("summary", lang),
            report.summary[src],
            report.summary.get(lang),
        )
    from .markdown import footnote_key

    for label, text in report.notes.get(src, {}).items():
        yaml_unit(
            f"fn-{footnote_key(label)}",
            "footnote",
            "",
            report_yaml,
            ("notes", src, label),
            ("notes", lang, label),
            text,
            report.notes.get(lang, {}).get(label),
            True,
            report.note_content.get(src, {}).get(label, ()),
            report.note_content.get(lang, {}).get(label),
        )

    chart_files = {}
    chart_dir = content / "charts"
    if chart_dir.is_dir():
        chart_files = {display_path(p): p for p in chart_dir.iterdir() if p.suffix == ".yaml"}
    placed: set[str] = set()

    def chart_units(chart_id: str, section: str) -> None:
        spec = site.charts.get(chart_id)
        if spec is None or chart_id in placed or spec.path not in chart_files:
            return
        placed.add(chart_id)
        file = chart_files[spec.path]
        for name in CHART_FIELDS:
            texts: dict[str, str] = getattr(spec, name)
            if src in texts and texts[src]:
                yaml_unit(
                    f"chart.{chart_id}.{name}",
                    "chart",
                    section,
                    file,
                    (name, src),
                    (name, lang),
                    texts[src],
                    texts.get(lang),
                )
        for i, cat in enumerate(spec.categories.get(src, ())):
            tgt = spec.categories.get(lang, ())
            yaml_unit(
                f"chart.{chart_id}.category.{i + 1}",
                "chart",
                section,
                file,
                ("categories", src, i),
                ("categories", lang, i),
                cat,
                tgt[i] if i < len(tgt) else None,
            )
        for n, series in enumerate(spec.series):
            yaml_unit(
                f"chart.{chart_id}.series.{series.id}",
                "chart",
                section,
                file,
                ("series", n, "label", src),
                ("series", n, "label", lang),
                series.label.get(src, ""),
                series.label.get(lang),
            )
            for j, point in enumerate(series.points):
                if point.derived and point.derived.get(src):
                    keys = ("series", n, "points", j, "derived")
                    yaml_unit(
                        f"chart.{chart_id}.derived.{series.id}.{j + 1}",
                        "chart",
                        section,
                        file,
                        (*keys, src),
                        (*keys, lang),
                        point.derived[src],
                        point.derived.get(lang),
                    )

    # -- sections
    states: dict[str, status.ParagraphState] = {
        s.id: s for s in status.paragraph_states(site, lock or {}) if s.lang == lang
    }
    for section in site.sections:
        sbody = section.bodies.get(src)
        tbody = section.bodies.get(lang)
        yaml_unit(
            f"title.{section.id}",
            "title",
            section.id,
            section.dir / "section.yaml",
            ("title", src),
            ("title", lang),
            section.title.get(src, ""),
            section.title.get(lang),
        )
        if sbody is not None:
            tfile = section.dir / f"body.{lang}.md"
            yaml_unit(
                f"description.{section.id}",
                "description",
                section.id,
                tfile,
                ("description",),
                ("description",),
                sbody.description,
                tbody.description if tbody else None,
                front_matter=True,
                src_file=section.dir / f"body.{src}.md",
            )
        if sbody is None or sbody.parsed is None:
            continue
        tparsed = tbody.parsed if tbody is not None else None
        theirs: dict[str, Block] = {}
        for b in tparsed.blocks if tparsed else ():
            theirs.setdefault(b.id, b)
        tpath = tbody.path if tbody else display_path(section.dir / f"body.{lang}.md")
        seen: set[str] = set()
        for block in sbody.parsed.blocks:
            if block.kind == "figure":
                chart_units(block.id, section.id)
                continue
            if block.id in seen:
                continue
            seen.add(block.id)
            st = states.get(block.id)
            pstate = st.state if st else "missing"
            xstate = {
                "translated": "translated",
                "stale": "needs-review-translation",
                "unconfirmed": "needs-review-translation",
            }.get(pstate, "new")
            review = pstate if pstate in ("stale", "unconfirmed") else ""
            match = theirs.get(block.id)
            units.append(
                Unit(
                    block.id,
                    "para",
                    section.id,
                    block.id,
                    True,
                    block.content,
                    match.content if match is not None else None,
                    status.fingerprint(block.text),
                    SourcePos(sbody.path, block.line, 1),
                    SourcePos(tpath, match.line, 1) if match else None,
                    BodyPlace(section.id, "para", block.id),
                    xstate if match is not None else "new",
                    review,
                )
            )
            for i, (item, item_id) in enumerate(zip(block.items, item_ids(block))):
                marker, item_text = _strip_marker(item)
                titem = match.items[i] if match is not None and i < len(match.items) else None
                tline = match.item_lines[i] if titem is not None and match is not None else 0
                units.append(
                    Unit(
                        item_id,
                        "item",
                        section.id,
                        block.id,
                        True,
                        item_text,
                        _strip_marker(titem)[1] if titem is not None else None,
                        status.fingerprint(plain(item)),
                        SourcePos(sbody.path, block.item_lines[i], 1),
                        SourcePos(tpath, tline, 1) if titem else None,
                        BodyPlace(section.id, "item", block.id, i, marker),
                        xstate if titem is not None else "new",
                        review if titem is not None else "",
                    )
                )
        tnotes = {n.key: n for n in (tparsed.footnotes if tparsed else ())}
        for note in sbody.parsed.footnotes:
            tn = tnotes.get(note.key)
            units.append(
                Unit(
                    f"fn-{note.key}",
                    "footnote",
                    section.id,
                    None,
                    True,
                    note.content,
                    tn.content if tn is not None else None,
                    status.fingerprint(note.text),
                    SourcePos(sbody.path, note.line, 1),
                    SourcePos(tpath, tn.line, 1) if tn else None,
                    BodyPlace(section.id, "footnote", note.key),
                    "translated" if tn is not None else "new",
                )
            )
    for chart_id in site.charts:  # charts no section places
        chart_units(chart_id, refs.figure_section.get(chart_id, ""))
    # Empty translations are no translations.
    for u in units:
        if u.target is not None and not plain(u.target).strip() and not any(not isinstance(n, Text) for n in u.target):
            u.target, u.target_pos, u.state, u.review = None, None, "new", ""
    return units


# ================================================================ inline codes

CodeKey = tuple[Any, ...]


def _codes(tree: Inlines) -> list[tuple[CodeKey, Inline]]:
    """The code-bearing nodes of a tree in document order (pre-order), each with a key that finds its
    counterpart in another language: the same note, the same cross-reference, else the n-th of its kind."""
    out: list[tuple[CodeKey, Inline]] = []
    counts: dict[CodeKey, int] = {}

    def visit(nodes: Inlines) -> None:
        for n in nodes:
            if isinstance(n, Text):
                continue
            if isinstance(n, Span):
                base: CodeKey = (n.kind,)
            elif isinstance(n, Link):
                base = ("link",) if n.external else ("xref", n.href)
            elif isinstance(n, NoteRef):
                base = ("fn", n.key)
            elif isinstance(n, Image):
                base = ("img",)
            elif isinstance(n, Code):
                base = ("code", n.text)
            else:
                base = ("br",)
            k = counts[base] = counts.get(base, 0) + 1
            out.append(((*base, k), n))
            if isinstance(n, (Span, Link)):
                visit(n.children)

    visit(tree)
    return out


@dataclass
class CodeMap:
    """The codes a unit's target may use, by id, and the ids each tree's codes get."""

    nodes: dict[str, Inline]  # id -> node whose attributes (href, src, label, text) are restored
    source_ids: list[str]  # in the source's document order
    target_ids: list[str]  # in the current translation's document order
    target_only: set[str]  # codes only the current translation has

    def required(self) -> list[str]:
        """Source codes the target must keep: all but emphasis."""
        return [i for i in self.source_ids if not isinstance(self.nodes[i], Span)]


def code_map(source: Inlines, target: Inlines | None) -> CodeMap:
    src = _codes(source)
    ids = {key: str(n + 1) for n, (key, _) in enumerate(src)}
    nodes: dict[str, Inline] = {ids[key]: node for key, node in src}
    target_ids: list[str] = []
    target_only: set[str] = set()
    extra = 0
    for key, node in _codes(target or ()):
        if key in ids:
            cid = ids[key]
        else:
            extra += 1
            cid = f"t{extra}"
            target_only.add(cid)
        nodes[cid] = node  # the translation's own href or image source wins
        target_ids.append(cid)
    return CodeMap(nodes, [ids[k] for k, _ in src], target_ids, target_only)


def _element(node: Inline) -> tuple[str, str]:
    """The XLIFF element and ctype of a code."""
    if isinstance(node, Span):
        return "g", EMPHASIS[node.kind]
    if isinstance(node, Link):
        return "g", "link" if node.external else "x-xref"
    if isinstance(node, Image):
        return "g", "x-image"
    if isinstance(node, NoteRef):
        return "x", "x-footnote-ref"
    if isinstance(node, Break):
        return "x", "lb"
    return "ph", "x-code"


def describe(node: Inline) -> str:
    if isinstance(node, Span):
        return "emphasis" if node.kind == "em" else "strong emphasis"
    if isinstance(node, Link):
        return f"the link to {node.href}" if node.external else f"the cross-reference to {node.href}"
    if isinstance(node, Image):
        return f"the image {node.src}"
    if isinstance(node, NoteRef):
        return f"the footnote reference [^{node.label}]"
    if isinstance(node, Break):
        return "the line break"
    if isinstance(node, Code):
        return f"the code `{node.text}`"
    return "a code"


def _code_span(text: str) -> str:
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = (
        " "
        if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip())
        else ""
    )
    return f"{fence}{pad}{text}{pad}{fence}"


def to_placeables(nodes: Inlines, ids: Iterator[str], xp: Any) -> list[Any]:
    """The inline tree as translate-toolkit placeables (<g>, <x/>, <ph>), ids taken in document order."""
    out: list[Any] = []
    for n in nodes:
        if isinstance(n, Text):
            out.append(n.text)
            continue
        cid = next(ids)
        element, ctype = _element(n)
        if isinstance(n, (Span, Link)):
            out.append(xp.G(id=cid, xml_attrib={"ctype": ctype}, sub=to_placeables(n.children, ids, xp)))
        elif isinstance(n, Image):
            out.append(xp.G(id=cid, xml_attrib={"ctype": ctype}, sub=[n.alt] if n.alt else []))
        elif isinstance(n, Code):
            out.append(xp.Ph(id=cid, xml_attrib={"ctype": ctype}, sub=[_code_span(n.text)]))
        else:
            out.append(xp.X(id=cid, xml_attrib={"ctype": ctype}))
    return out


def omegat_segment(nodes: Inlines, ids: Iterator[str], shortcuts: dict[str, tuple[str, int]]) -> str:
    """A text as OmegaT shows it: its tags as <g0>…</g0>, <x1/>, <c2/>, numbered in source order.

    Codes without a shortcut (only the translation has them) are left out, their text kept.
    """
    out: list[str] = []
    for n in nodes:
        if isinstance(n, Text):
            out.append(n.text)
            continue
        cid = next(ids)
        sc = shortcuts.get(cid)
        inner = ""
        if isinstance(n, (Span, Link)):
            inner = omegat_segment(n.children, ids, shortcuts)
        elif isinstance(n, Image):
            inner = n.alt
        if sc is None:
            out.append(inner)
        elif isinstance(n, (Span, Link, Image)):
            out.append(f"<{sc[0]}{sc[1]}>{inner}</{sc[0]}{sc[1]}>")
        else:
            out.append(f"<{sc[0]}{sc[1]}/>")
    return "".join(out)


def omegat_shortcuts(source: Inlines, cmap: CodeMap) -> dict[str, tuple[str, int]]:
    """OmegaT's tag names for a source's codes: the element's letter (a <ph>'s from its ctype after 'x-'),
    and a number counting tags in order from 0."""
    out: dict[str, tuple[str, int]] = {}
    for n, cid in enumerate(cmap.source_ids):
        element, ctype = _element(cmap.nodes[cid])
        letter = element if element != "ph" else (ctype[2:3] if ctype.startswith("x-") else ctype[:1]) or "p"
        out[cid] = (letter, n)
    return out


# ================================================================ XLIFF files


def _classes() -> tuple[Any, Any, Any, Any]:
    """translate-toolkit's XLIFF classes, made to write XLIFF 1.2 (its skeleton is 1.1)."""
    ttk_xliff = _toolkit()
    from translate.storage.placeables import StringElem
    from translate.storage.placeables import xliff as xp

    class Xliff12Unit(ttk_xliff.xliffunit):  # type: ignore[misc, name-defined]
        namespace = NS  # else every new unit declares the 1.1 namespace again

    class Xliff12File(ttk_xliff.xlifffile):  # type: ignore[misc, name-defined]
        UnitClass = Xliff12Unit
        namespace = NS
        XMLskeleton = f"""<?xml version="1.0" ?>
<xliff version="1.2" xmlns="{NS}">
<file original="NoName" source-language="en" datatype="plaintext">
<body>
</body>
</file>
</xliff>"""

        def serialize(self, out: Any) -> None:
            etree = _etree()

            etree.cleanup_namespaces(self.document.getroot())
            super().serialize(out)

    return Xliff12File, Xliff12Unit, StringElem, xp


def _section_note(site: Site, section_id: str, src: str, lang: str) -> str:
    if not section_id:
        return "the report's cover and notes (report.yaml)"
    section = site.section(section_id)
    label = site.report.scheme.write(section.label) + " " if section.label else ""
    return f"{label}{section.title.get(src, '')} / {section.title.get(lang, '')} [{section_id}]"


def build_xliff(checked: Checked, units: list[Unit], lang: str, protocol: str = "xliff") -> bytes:
    """One XLIFF 1.2 document for `units` (protocol "xliff": targets are the translations; "omegat":
    every target is a copy of its source)."""
    etree = _etree()

    File, UnitClass, StringElem, xp = _classes()
    site = checked.site
    report = site.report
    src = report.source.tag
    store = File(sourcelanguage=src, targetlanguage=lang)
    store.switchfile(report.id, createifmissing=True)
    filenode = store.getfilenode(report.id)
    filenode.set("datatype", DATATYPE)
    filenode.set("tool-id", TOOL_ID)
    if report.symbol:
        filenode.set("product-name", report.symbol)
    header = store.getheadernode(filenode, createifmissing=True)
    filenode.remove(header)
    filenode.insert(0, header)  # translate-toolkit appends it after <body>, which XLIFF does not allow
    etree.SubElement(
        header, f"{{{NS}}}tool", {"tool-id": TOOL_ID, "tool-name": "reportsite", "tool-version": __version__}
    )
    note = etree.SubElement(header, f"{{{NS}}}note", {"from": PROTOCOL})
    if protocol == OMEGAT:
        note.text = (
            "omegat: every target starts as a copy of its source, because OmegaT translates the target "
            "element; a target still equal to its source is untranslated. The current translations "
            "are in the project's TMX files."
        )
    else:
        note.text = (
            "xliff: each target holds the current translation; its state says whether it is translated, "
            "needs review (the source changed) or is new. Keep the inline codes."
        )
    glossary = [t for t in site.glossary if src in t.terms and lang in t.terms]
    src_name = english_name(src)
    for u in units:
        tu = UnitClass("")
        store.addunit(tu)
        tu.setid(u.id)
        cmap = code_map(u.source, u.target)
        tu.rich_source = [StringElem(to_placeables(u.source, iter(cmap.source_ids), xp))]
        if protocol == OMEGAT:
            tu.set_rich_target([StringElem(to_placeables(u.source, iter(cmap.source_ids), xp))])
            tu.set_state_n(UnitClass.statemap["new"])
        elif u.target:
            tu.set_rich_target([StringElem(to_placeables(u.target, iter(cmap.target_ids), xp))])
            tu.set_state_n(UnitClass.statemap[u.state])
        else:
            tu.set_rich_target([StringElem([""])])
            tu.set_state_n(UnitClass.statemap["new"])
        where = f"source: {u.source_pos}"
        where += f"; translation: {u.target_pos}" if u.target_pos else "; no translation yet"
        tu.addnote(f"{_section_note(site, u.section, src, lang)}; {where}", origin=TOOL_ID)
        if u.review == "stale":
            tu.addnote(f"Review: the {src_name} changed since this translation was confirmed.", origin=TOOL_ID)
        elif u.review == "unconfirmed":
            tu.addnote("Review: this translation has never been confirmed.", origin=TOOL_ID)
        text = u.source_text
        for term in glossary:
            if term.terms[src] and term.terms[src] in text:
                required = " (required: check verifies it)" if term.check else ""
                tu.addnote(f"{term.terms[src]} = {term.terms[lang]}{required}", origin="glossary")
        tu.createcontextgroup(
            f"{u.id}.location",
            [("sourcefile", u.source_pos.path), ("linenumber", str(u.source_pos.line))],
            purpose="location",
        )
        info = [("x-section", u.section or "-"), ("x-source-fingerprint", u.fingerprint)]
        if u.target:
            info.append(("x-translation-fingerprint", u.translation_fingerprint))
        tu.createcontextgroup(f"{u.id}.reportsite", info, purpose="information")
    buf = io.BytesIO()
    store.serialize(buf)
    return buf.getvalue()


def select(units: list[Unit], site: Site, which: str | None, section: str | None) -> list[Unit]:
    if section is not None:
        ids = _subtree(site, section)
        units = [u for u in units if u.section in ids]
    if which == "missing":
        return [u for u in units if u.state == "new"]
    if which == "stale":
        return [u for u in units if u.state == "needs-review-translation"]
    return units


# ================================================================ Markdown out

# Escaped: what could start emphasis, code, a link or footnote reference, an autolink or raw HTML, an
# entity, or an escape. An underscore between two letters or digits cannot: it stays as written.
_ESCAPE = re.compile(
    r"\\(?=[!-/:-@\[-`{-~]|$)|[`*\[\]]|(?<![^\W_])_|_(?![^\W_])|<(?=[A-Za-z/!?])"
    r"|&(?=#?[A-Za-z0-9]{1,32};)"
)
# What would start a block, or make a paragraph numbered or a sub-item, at the start of a line.
_LINE_START = re.compile(r"(?:[#>+=~-]|(\d{1,9})([.)])|(\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)))")


def _escape(text: str, line_start: bool) -> str:
    out = _ESCAPE.sub(lambda m: "\\" + m.group(0), text)
    if line_start:
        m = _LINE_START.match(out)
        if m:
            if m.group(1):
                out = f"{m.group(1)}\\{m.group(2)}{out[m.end() :]}"
            else:
                out = "\\" + out
    return out


def normalize_tree(nodes: Inlines) -> Inlines:
    """Adjacent texts merged, empty texts and emphasis dropped, spaces moved out of emphasis:
    the tree that Markdown can say exactly."""
    out: list[Inline] = []

    def add(node: Inline) -> None:
        if isinstance(node, Text):
            if not node.text:
                return
            if out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].text + node.text)
                return
        out.append(node)

    for n in nodes:
        if isinstance(n, Span):
            kids = normalize_tree(n.children)
            if not kids:
                continue
            lead = trail = ""
            if isinstance(kids[0], Text):
                lead = kids[0].text[: len(kids[0].text) - len(kids[0].text.lstrip())]
                kids = normalize_tree((Text(kids[0].text.lstrip()), *kids[1:]))
            if kids and isinstance(kids[-1], Text):
                t = kids[-1].text
                trail = t[len(t.rstrip()) :]
                kids = normalize_tree((*kids[:-1], Text(t.rstrip())))
            add(Text(lead))
            if kids:
                add(Span(n.kind, kids))
            add(Text(trail))
        elif isinstance(n, Link):
            add(replace(n, children=normalize_tree(n.children)))
        else:
            add(n)
    return tuple(out)


def to_markdown(nodes: Inlines | None, line_start: bool = False) -> str:
    """An inline tree as the Markdown that parses back to it (checked after writing)."""
    out: list[str] = []
    start = line_start

    def dest(url: str) -> str:
        return re.sub(r"([()\\])", r"\\\1", url)

    def render(seq: Inlines) -> None:
        nonlocal start
        for n in seq:
            if isinstance(n, Text):
                out.append(_escape(n.text, start))
            elif isinstance(n, Span):
                mark = "*" if n.kind == "em" else "**"
                out.append(mark)
                start = False
                render(n.children)
                out.append(mark)
            elif isinstance(n, Link):
                out.append("[")
                start = False
                render(n.children)
                out.append(f"]({dest(n.href)})")
            elif isinstance(n, Image):
                out.append(f"![{_escape(n.alt, False)}]({dest(n.src)})")
            elif isinstance(n, NoteRef):
                out.append(f"[^{n.label}]")
            elif isinstance(n, Code):
                out.append(_code_span(n.text))
            elif isinstance(n, Break):
                out.append("\\\n")
                start = True
                continue
            start = False

    render(nodes or ())
    return "".join(out)


# ================================================================ editing files


class EditError(Exception):
    pass


@dataclass
class TextFile:
    """A file's text as read, with what writing it back must keep: byte-order mark and line endings."""

    path: Path
    raw: str
    bom: bool
    eol: str

    @classmethod
    def read(cls, path: Path) -> TextFile:
        text = path.read_bytes().decode("utf-8")
        bom = text.startswith("\ufeff")
        if bom:
            text = text[1:]
        crlf = text.count("\r\n")
        if crlf and crlf != text.count("\n") or text.count("\r") != crlf:
            raise EditError("mixed or old Mac line endings; save the file with one kind of line ending first")
        return cls(path, text, bom, "\r\n" if crlf else "\n")

    def bytes_for(self, text: str) -> bytes:
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _scalar_candidates(original: str, node: yaml.ScalarNode, value: str, eol: str) -> Iterator[str]:
    """The new scalar in the original's style first, then double-quoted."""
    style = node.style
    if style in (">", "|") and "\n" not in value and not value.startswith((" ", "\t")):
        body = original.rstrip()
        header, _, rest = body.partition("\n")
        first = next((line for line in rest.split("\n") if line.strip()), "")
        indent = len(first) - len(first.lstrip(" "))
        width = max([len(line.rstrip("\r")) - indent for line in rest.split("\n")] + [60])
        lines = (
            textwrap.wrap(value, width=width, break_long_words=False, break_on_hyphens=False)
            if style == ">"
            else [value]
        )
        if lines:
            yield header.rstrip("\r") + eol + eol.join(" " * indent + line for line in lines)
    elif style in ('"', "'"):
        yield _dump(value, style)
    elif style is None and "\n" not in value:
        dumped = _dump(value, None)
        if not dumped.startswith(("'", '"')):
            yield dumped
    yield _dump(value, '"')


def _dump(value: str, style: str | None) -> str:
    text = yaml.dump(value, default_style=style, allow_unicode=True, width=1 << 30)
    for end in ("\n...\n", "\n"):
        if text.endswith(end):
            text = text[: -len(end)]
            break
    return text


def _set(data: Any, keys: Sequence[str | int], value: str) -> None:
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def edit_yaml(text: str, edits: list[tuple[tuple[str | int, ...], str]], eol: str) -> str:
    """`text` with the scalars at `edits`' key paths replaced, every other character kept."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        expected = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise EditError(f"cannot read the YAML: {exc}") from None
    spans: list[tuple[int, int, yaml.ScalarNode, str, tuple[str | int, ...]]] = []
    for keys, value in edits:
        node = _walk(root, keys)
        if not isinstance(node, yaml.ScalarNode):
            raise EditError(f"no text at {'/'.join(map(str, keys))} to replace; add it by hand first")
        spans.append((node.start_mark.index, node.end_mark.index, node, value, keys))
    out = text
    for start, end, node, value, keys in sorted(spans, key=lambda s: s[0], reverse=True):
        original = out[start:end]
        trailing = original[len(original.rstrip()) :] if node.style in (">", "|") else ""
        want = yaml.load(out, Loader=_LOADER)
        _set(want, keys, value)
        for candidate in _scalar_candidates(original, node, value, eol):
            attempt = out[:start] + candidate + trailing + out[end:]
            try:
                if yaml.load(attempt, Loader=_LOADER) == want:
                    out = attempt
                    break
            except yaml.YAMLError:
                continue
        else:
            raise EditError(f"cannot write {'/'.join(map(str, keys))} as YAML that reads back the same")
        _set(expected, keys, value)
    if yaml.load(out, Loader=_LOADER) != expected:
        raise EditError("the edited YAML does not read back as expected")
    return out


def edit_front_matter(tf: TextFile, text: str, edits: list[tuple[tuple[str | int, ...], str]]) -> str:
    span = _front_matter_span(text)
    if span is None:
        raise EditError("no front matter to edit")
    return text[: span[0]] + edit_yaml(text[span[0] : span[1]], edits, tf.eol) + text[span[1] :]


@dataclass
class BodyEdit:
    """What one body file gets: texts replaced in place, blocks inserted."""

    replace: dict[tuple[str, str, int], str] = field(default_factory=dict)  # (kind, block, item) -> Markdown
    insert: dict[tuple[str, str, int], str] = field(default_factory=dict)
    front: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list)


Ranges = dict[int, tuple[int, int]]


def _ranges(body_text: str) -> tuple[Ranges, Ranges, dict[str, tuple[int, int]]]:
    """Line ranges [start, end) (0-based) of paragraphs and fences by start line, and of footnotes by key."""
    from .markdown import _md, footnote_key

    paras: dict[int, tuple[int, int]] = {}
    fences: dict[int, tuple[int, int]] = {}
    notes: dict[str, tuple[int, int]] = {}
    label: str | None = None
    for tok in _md().parse(body_text):
        if tok.type == "footnote_open":
            label = footnote_key(tok.meta["label"])
        elif tok.type == "footnote_close":
            label = None
        elif tok.type == "paragraph_open" and tok.map:
            start, end = tok.map
            if label is not None:
                s, _ = notes.get(label, (start, end))
                notes[label] = (s, end)
            else:
                paras[start] = (start, end)
        elif tok.type == "fence" and tok.map:
            fences[tok.map[0]] = (tok.map[0], tok.map[1])
    return paras, fences, notes


_NUMBER_PREFIX = re.compile(r"[ ]{0,3}\d{1,4}\.[ \u00a0\u3000]+")
_ITEM_PREFIX = re.compile(r"[ ]{0,3}\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)[ \u00a0\u3000]*")
_NOTE_PREFIX = re.compile(r"[ ]{0,3}\[\^[^\]]+\]:[ \t]*")


def edit_body(tf: TextFile, section: Section, src: str, lang: str, edit: BodyEdit) -> str:
    """The body file with `edit` applied; raises EditError."""
    text = tf.raw
    lines = text.split(tf.eol)
    body = section.bodies[lang]
    assert body.parsed is not None
    paras, fences, notes = _ranges(body.text)
    blocks: dict[str, Block] = {}
    for b in body.parsed.blocks:
        blocks.setdefault(b.id, b)
    changes: list[tuple[int, int, list[str]]] = []

    def swap(start: int, end: int, prefix_re: re.Pattern[str], markdown: str, what: str) -> None:
        if end > len(lines):
            raise EditError(f"{what}: lines {start + 1}-{end} are not in the file")
        m = prefix_re.match(lines[start])
        if m is None:
            raise EditError(f"{what}: line {start + 1} does not start as expected")
        changes.append((start, end, (m.group(0) + markdown).split("\n")))

    for (kind, block_id, item), markdown in edit.replace.items():
        what = block_id if kind != "item" else f"{block_id} sub-item {item + 1}"
        if kind == "footnote":
            rng = notes.get(block_id)
            if rng is None:
                raise EditError(f"fn-{block_id}: no such footnote in the file")
            swap(rng[0], rng[1], _NOTE_PREFIX, markdown, f"fn-{block_id}")
            continue
        block = blocks.get(block_id)
        line = (block.line if kind == "para" else block.item_lines[item]) if block else 0
        rng = paras.get(line - 1)
        if block is None or rng is None:
            raise EditError(f"{what}: not found in the file")
        if kind == "item":
            swap(rng[0], rng[1], _ITEM_PREFIX, markdown, what)
        elif block.number is not None:
            swap(rng[0], rng[1], _NUMBER_PREFIX, markdown, what)
        else:
            lead = lines[rng[0]][: len(lines[rng[0]]) - len(lines[rng[0]].lstrip(" "))]
            changes.append((rng[0], rng[1], (lead + markdown).split("\n")))

    if edit.insert:
        span = _front_matter_span(text)
        head = text.count(tf.eol, 0, span[1]) + 1 if span else 0  # the line after the closing '---'
        source = section.bodies[src]
        assert source.parsed is not None
        at = head
        pending: dict[int, list[str]] = {}
        for sblock in source.parsed.blocks:
            tblock = blocks.get(sblock.id)
            if sblock.kind == "figure":
                fr = fences.get(tblock.line - 1) if tblock is not None and tblock.kind == "figure" else None
                if fr:
                    at = fr[1]
                continue
            if tblock is None:
                key = ("para", sblock.id, -1)
                if key in edit.insert:
                    pending.setdefault(at, []).append(edit.insert[key])
                    for i in range(len(sblock.items)):
                        if ("item", sblock.id, i) in edit.insert:
                            pending[at].append(edit.insert[("item", sblock.id, i)])
                continue
            rng = paras.get(tblock.line - 1)
            if rng:
                at = rng[1]
            for i in range(len(sblock.items)):
                if i < len(tblock.items):
                    rng = paras.get(tblock.item_lines[i] - 1)
                    if rng:
                        at = rng[1]
                elif ("item", sblock.id, i) in edit.insert:
                    pending.setdefault(at, []).append(edit.insert[("item", sblock.id, i)])
        note_keys = [k for (kind, k, _) in edit.insert if kind == "footnote"]
        if note_keys:
            end = max((r[1] for r in notes.values()), default=len(lines) - (1 if lines[-1] == "" else 0))
            for note in source.parsed.footnotes:
                if note.key not in note_keys:
                    continue
                chunk = edit.insert[("footnote", note.key, -1)]
                # A definition nothing cites is not in the parse: replace it rather than add a second one.
                label = re.compile(r"[ ]{0,3}\[\^" + re.escape(note.label) + r"\]:")
                found = next((i for i, line in enumerate(lines) if label.match(line)), None)
                if found is not None:
                    stop = next((i for i in range(found + 1, len(lines)) if not lines[i].strip()), len(lines))
                    changes.append((found, stop, chunk.split("\n")))
                else:
                    pending.setdefault(end, []).append(chunk)
        for at, chunks in pending.items():
            new: list[str] = []
            for chunk in chunks:
                new += ["", *chunk.split("\n")]
            if at < len(lines) and lines[at].strip():
                new.append("")
            changes.append((at, at, new))
    changes.sort(key=lambda c: (c[0], c[0] != c[1]), reverse=True)
    last = len(lines) + 1
    for start, end, new in changes:
        if end > last:
            raise EditError(f"two edits overlap at line {start + 1}")
        lines[start:end] = new
        last = start
    out = tf.eol.join(lines)
    if edit.front:
        out = edit_front_matter(tf, out, edit.front)
    return out


# ================================================================ reading a returned XLIFF


@dataclass
class Returned:
    id: str
    line: int
    target: Any  # the <target> element, or None
    state: str | None
    approved: str | None
    context: dict[str, str]
    source: Any = None  # the <source> element


def skeleton(el: Any) -> str:
    """An inline element's text and codes (by element and id), spaces normalized: equal for a target that
    is still a copy of its source, whatever the codes restore to."""
    out: list[str] = [el.text or ""]
    for child in el:
        name = _local(child)
        if name:
            out.append(f"<{name} {child.get('id')}>{skeleton(child)}</{name}>")
        out.append(child.tail or "")
    return re.sub(r"\s+", " ", "".join(out)).strip()


@dataclass
class XliffFile:
    path: Path
    source_language: str
    target_language: str
    originals: list[str]
    protocol: str
    units: list[Returned]


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_xliff(path: Path, diags: Diagnostics) -> XliffFile | None:
    ttk = _toolkit()
    etree = _etree()

    shown = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        diags.error(SourcePos(shown, 1, 1), f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        store = ttk.xlifffile(data)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (exc.lineno or 1, 1)
        diags.error(SourcePos(shown, line or 1, col or 1), f"not well-formed XML: {exc.msg}")
        return None
    except Exception as exc:  # translate-toolkit refuses what is not XLIFF 1.x in several ways
        diags.error(SourcePos(shown, 1, 1), f"not an XLIFF 1.2 file: {exc}")
        return None
    root = store.document.getroot()
    files = [el for el in root if _local(el) == "file"]
    protocol = "xliff"
    for f in files:
        for el in f:
            if _local(el) == "header":
                for note in el:
                    if (
                        _local(note) == "note"
                        and note.get("from") == PROTOCOL
                        and (note.text or "").strip().startswith(OMEGAT)
                    ):
                        protocol = OMEGAT
    units: list[Returned] = []
    for u in store.units:
        el = u.xmlelement
        context: dict[str, str] = {}
        for group in el:
            if _local(group) == "context-group":
                for ctx in group:
                    if _local(ctx) == "context" and ctx.get("context-type"):
                        context[ctx.get("context-type")] = (ctx.text or "").strip()
        target = u.get_target_dom()
        units.append(
            Returned(
                el.get("id") or "",
                el.sourceline or 1,
                target,
                target.get("state") if target is not None else None,
                el.get("approved"),
                context,
                next((c for c in el if _local(c) == "source"), None),
            )
        )
    first = files[0] if files else root
    return XliffFile(
        path,
        first.get("source-language") or "",
        first.get("target-language") or "",
        [f.get("original") or "" for f in files],
        protocol,
        units,
    )


class TargetProblem(Exception):
    pass


def read_target(target: Any, cmap: CodeMap, markdown: bool) -> Inlines:
    """A returned <target> as an inline tree, its codes restored from `cmap`; raises TargetProblem."""
    used: dict[str, int] = {}

    def visit(el: Any, in_link: bool) -> list[Inline]:
        out: list[Inline] = []
        if el.text:
            out.append(Text(el.text))
        for child in el:
            name = _local(child)
            if not name:  # a comment or a processing instruction
                if child.tail:
                    out.append(Text(child.tail))
                continue
            if name == "mrk":  # a tool's marker (segment, term, protected): its content counts
                out.extend(visit(child, in_link))
            elif name in ("g", "x", "ph"):
                if not markdown:
                    raise TargetProblem(f'inline code <{name} id="{child.get("id")}"> in a text that has no codes')
                out.append(code(child, name, in_link))
            else:
                raise TargetProblem(f"unsupported inline element <{name}>: keep the codes as <g>, <x/> and <ph>")
            if child.tail:
                out.append(Text(child.tail))
        return out

    def code(el: Any, name: str, in_link: bool) -> Inline:
        cid = el.get("id") or ""
        ctype = el.get("ctype") or ""
        used[cid] = used.get(cid, 0) + 1
        if used[cid] > 1:
            raise TargetProblem(f"inline code {cid} appears twice; each code of the source appears once")
        node = cmap.nodes.get(cid)
        if node is None:
            if name == "g" and ctype in CTYPE_EMPHASIS:
                return Span(CTYPE_EMPHASIS[ctype], tuple(visit(el, in_link)))
            raise TargetProblem(
                f'extra inline code <{name} id="{cid}">: the source has no such code '
                '(only emphasis, <g ctype="italic|bold">, may be added)'
            )
        element, _ = _element(node)
        if element != name:
            raise TargetProblem(f"inline code {cid} ({describe(node)}) is a <{element}> in the source, a <{name}> here")
        if isinstance(node, Span):
            kind = CTYPE_EMPHASIS.get(ctype, node.kind)
            return Span(kind, tuple(visit(el, in_link)))
        if isinstance(node, Link):
            if in_link:
                raise TargetProblem(f"inline code {cid} ({describe(node)}) is placed inside another link")
            return replace(node, children=tuple(visit(el, True)))
        if isinstance(node, Image):
            kids = visit(el, in_link)
            if any(not isinstance(k, Text) for k in kids):
                raise TargetProblem(
                    f"inline code {cid} ({describe(node)}) holds other codes; its alt text can only be text"
                )
            return Image(node.src, "".join(k.text for k in kids if isinstance(k, Text)))
        if len(el) or (el.text or "").strip() and name == "x":
            raise TargetProblem(f"inline code {cid} ({describe(node)}) must stay empty")
        if isinstance(node, NoteRef) and in_link:
            raise TargetProblem(
                f"inline code {cid} ({describe(node)}) is placed inside a link, where Markdown cannot have it"
            )
        return node

    tree = visit(target, False)
    missing = [cid for cid in cmap.required() if cid not in used]
    if missing:
        what = ", ".join(f"{cid} ({describe(cmap.nodes[cid])})" for cid in missing)
        raise TargetProblem(
            f"inline code{'s' * (len(missing) > 1)} {what} missing; every code of the source must be in the translation"
        )
    return tidy(tuple(tree))


def tidy(tree: Inlines) -> Inlines:
    """Line breaks in text become spaces; leading and trailing spaces go."""

    def fix(nodes: Inlines) -> Inlines:
        out: list[Inline] = []
        for n in nodes:
            if isinstance(n, Text):
                out.append(Text(re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", n.text)))
            elif isinstance(n, (Span, Link)):
                out.append(replace(n, children=fix(n.children)))
            else:
                out.append(n)
        return tuple(out)

    nodes = list(normalize_tree(fix(tree)))
    if nodes and isinstance(nodes[0], Text):
        nodes[0] = Text(nodes[0].text.lstrip())
    if nodes and isinstance(nodes[-1], Text):
        nodes[-1] = Text(nodes[-1].text.rstrip())
    # Markdown drops the spaces around a line break.
    for i, n in enumerate(nodes):
        if isinstance(n, Break):
            if i and isinstance(nodes[i - 1], Text):
                nodes[i - 1] = Text(nodes[i - 1].text.rstrip())  # type: ignore[union-attr]
            if i + 1 < len(nodes) and isinstance(nodes[i + 1], Text):
                nodes[i + 1] = Text(nodes[i + 1].text.lstrip())  # type: ignore[union-attr]
    return normalize_tree(tuple(nodes))


def _same(a: Inlines | None, b: Inlines | None) -> bool:
    return to_markdown(normalize_tree(a or ())) == to_markdown(normalize_tree(b or ()))


def reapply(new: Inlines, current: Inlines, cmap: CodeMap) -> tuple[Inlines, list[str]]:
    """Put back on the same words the codes only the current translation has, which OmegaT cannot carry.

    Returns the tree and a message per code that could not be placed again.
    """
    if not cmap.target_only:
        return new, []
    only = {id(cmap.nodes[t]) for t in cmap.target_only}
    kept = [id(n) for _, n in _codes(current) if not isinstance(n, Span) and id(n) not in only]
    if plain(new) == plain(current) and [id(n) for _, n in _codes(new) if not isinstance(n, Span)] == kept:
        return current, []  # the translation as it was, less what OmegaT could not show
    lost: list[str] = []
    nodes = list(new)
    for _, node in _codes(current):
        if id(node) not in only:
            continue
        words = plain((node,)) if isinstance(node, (Span, Link)) else ""
        placed = False
        if words:
            for i, n in enumerate(nodes):
                if isinstance(n, Text) and words in n.text:
                    before, _, after = n.text.partition(words)
                    nodes[i : i + 1] = [Text(before), node, Text(after)]
                    placed = True
                    break
        if not placed:
            lost.append(f"{describe(node)}{f' on {words!r}' if words else ''}")
    return normalize_tree(tuple(nodes)), lost


# ================================================================ import


@dataclass
class Accepted:
    unit: Unit
    tree: Inlines
    changed: bool  # differs from the translation in the file now


@dataclass
class Plan:
    lang: str
    accepted: list[Accepted]
    confirm: list[str]  # paragraph ids
    skipped: int
    notes: list[Diagnostic]


def plan_import(checked: Checked, xf: XliffFile, lock: status.Lock, diags: Diagnostics) -> Plan | None:
    """Which units the returned file translates, checked against the content now."""
    site = checked.site
    report = site.report
    src = report.source.tag
    shown = display_path(xf.path)
    if xf.originals != [report.id]:
        diags.error(
            SourcePos(shown, 1, 1),
            f"this file is for {', '.join(map(repr, xf.originals)) or 'no report'}, "
            f"not for this report ('{report.id}'): the <file original=...> differs",
        )
    if xf.source_language != src:
        diags.error(
            SourcePos(shown, 1, 1),
            f"source-language is '{xf.source_language}'; this report's source language is '{src}'",
        )
    lang = xf.target_language
    if lang not in report.tags[1:]:
        diags.error(
            SourcePos(shown, 1, 1),
            f"target-language is '{lang}', which is not a target language of this "
            f"report ({', '.join(report.tags[1:])})",
        )
    if diags.errors:
        return None
    src_name, lang_name = english_name(src), english_name(lang)
    units = catalogue(checked, lang, lock)
    by_id = {u.id: u for u in units}
    accepted: list[Accepted] = []
    notes: list[Diagnostic] = []
    seen: set[str] = set()
    skipped = 0
    for r in xf.units:
        pos = SourcePos(shown, r.line, 1)
        if r.id in seen:
            diags.error(pos, f"{r.id}: this unit appears twice in the file")
            continue
        seen.add(r.id)
        u = by_id.get(r.id)
        if u is None:
            diags.error(
                pos,
                f"unknown unit id '{r.id}': no text of this report has it "
                "(the file was exported from another report, or the text was removed since)",
            )
            continue
        fp = r.context.get("x-source-fingerprint")
        if not fp:
            diags.error(
                pos,
                f"{r.id}: the unit has no x-source-fingerprint context; import only files that "
                f"{program()} xliff export wrote, so that a changed source can be found",
            )
            continue
        t = r.target
        if t is None or (not (t.text or "").strip() and len(t) == 0):
            skipped += 1
            continue
        cmap = code_map(u.source, u.target)
        try:
            tree = read_target(t, cmap, u.markdown)
        except TargetProblem as exc:
            diags.error(pos, f"{r.id}: {exc}")
            continue
        if not tree:
            skipped += 1
            continue
        exported = r.context.get("x-translation-fingerprint", "")
        if xf.protocol == OMEGAT:
            if r.source is not None and skeleton(t) == skeleton(r.source):  # still the copy: untranslated
                skipped += 1
                continue
            if u.target:
                tree, lost = reapply(tree, u.target, cmap)
                for what in lost:
                    notes.append(
                        Diagnostic(
                            u.target_pos or pos,
                            "warning",
                            f"{r.id}: {what}, which only the {lang_name} had, could not be placed "
                            "again (OmegaT cannot carry a code the source lacks); add it by hand",
                        )
                    )
        elif not (status.fingerprint(to_markdown(tree)) != exported or r.state in DONE_STATES or r.approved == "yes"):
            skipped += 1  # new or to review, and nobody changed it
            continue
        if fp != u.fingerprint:
            if exported and status.fingerprint(to_markdown(tree)) == exported:
                # Left as exported (its state alone says translated): nothing to write, and not confirmed.
                notes.append(
                    Diagnostic(
                        pos,
                        "warning",
                        f"{r.id}: the {src_name} source changed since the export ({u.source_pos}); the unit is "
                        "unchanged in this file, so it is not imported and its translation stays to review",
                    )
                )
                skipped += 1
                continue
            diags.error(
                pos,
                f"{r.id}: the {src_name} source changed since the export ({u.source_pos} now reads "
                f"differently: fingerprint {fp} in this file, {u.fingerprint} now); not imported: "
                "export again and translate the new text",
            )
            continue
        if u.translation_fingerprint != exported:  # someone changed the translation in the content since
            if status.fingerprint(to_markdown(tree)) == exported:
                skipped += 1  # the translator left it as exported: keep the newer text
                continue
            if not _same(tree, u.target):
                where = u.target_pos or SourcePos(display_path(site.content_dir), 0, 0)
                diags.error(
                    pos,
                    f"{r.id}: the {lang_name} at {where} changed since the export, and this target "
                    "would overwrite that edit; export again, or make the edit in the file",
                )
                continue
        found = TAG_AS_TEXT.search(plain(tree))
        if found and not TAG_AS_TEXT.search(u.source_text):
            diags.error(
                pos,
                f"{r.id}: the target has {found.group(0)!r} as text: a tag the translation tool "
                "could not place; remove it or use a code of the source",
            )
            continue
        accepted.append(Accepted(u, tree, not _same(tree, u.target)))
    ok = {a.unit.id for a in accepted}
    by_para: dict[str, list[Unit]] = {}
    for u in units:
        if u.para:
            by_para.setdefault(u.para, []).append(u)
    confirm = []
    for para, members in by_para.items():
        if not any(m.id in ok for m in members):
            continue
        if all(m.id in ok for m in members):
            confirm.append(para)
        else:
            left = [m.id for m in members if m.id not in ok]
            first = next(m for m in members if m.id in ok)
            notes.append(
                Diagnostic(
                    first.target_pos or first.source_pos,
                    "warning",
                    f"{para} is not confirmed: {', '.join(left)} not translated in this file",
                )
            )
    return Plan(lang, accepted, confirm, skipped, notes)


def _source_block(site: Site, unit: Unit) -> Block | None:
    assert isinstance(unit.place, BodyPlace)
    body = site.section(unit.place.section).bodies.get(site.report.source.tag)
    for b in body.parsed.blocks if body and body.parsed else ():
        if b.id == unit.place.block:
            return b
    return None


def new_files(checked: Checked, plan: Plan, diags: Diagnostics) -> dict[Path, bytes]:
    """Every file the import changes, with its new bytes."""
    site = checked.site
    src, lang = site.report.source.tag, plan.lang
    bodies: dict[Path, tuple[Section, BodyEdit]] = {}
    yamls: dict[Path, list[tuple[tuple[str | int, ...], str]]] = {}
    accepted_ids = {a.unit.id for a in plan.accepted}
    for a in plan.accepted:
        u = a.unit
        if not a.changed:
            continue
        place = u.place
        if isinstance(place, YamlPlace):
            value = to_markdown(a.tree) if u.markdown else plain(a.tree)
            if place.front_matter:
                section = site.section(u.section)
                bodies.setdefault(place.file, (section, BodyEdit()))[1].front.append((place.keys, value))
            else:
                yamls.setdefault(place.file, []).append((place.keys, value))
            continue
        section = site.section(place.section)
        file = section.dir / f"body.{lang}.md"
        if lang not in section.bodies:
            diags.error(
                u.source_pos, f"{u.id}: {display_path(file)} does not exist; create it with its front matter first"
            )
            continue
        edit = bodies.setdefault(file, (section, BodyEdit()))[1]
        key = (place.kind, place.block, place.item)
        block = _source_block(site, u) if place.kind != "footnote" else None
        md = to_markdown(a.tree, line_start=place.kind == "para" and block is not None and block.number is None)
        if u.target is not None:
            edit.replace[key] = md
            continue
        if place.kind == "para":
            prefix = f"{block.number}. " if block is not None and block.number is not None else ""
        elif place.kind == "item":
            prefix = place.marker.strip() + " "
            tbody = section.bodies[lang]
            has_parent = tbody.parsed is not None and any(b.id == place.block for b in tbody.parsed.blocks)
            if not has_parent and place.block not in accepted_ids:
                diags.error(
                    u.source_pos,
                    f"{u.id}: its paragraph {place.block} is not in {tbody.path} and not "
                    "translated in this file; translate the paragraph too",
                )
                continue
        else:
            sbody = section.bodies[src]
            label = next(
                (n.label for n in (sbody.parsed.footnotes if sbody.parsed else ()) if n.key == place.block), place.block
            )
            prefix = f"[^{label}]: "
        edit.insert[key] = prefix + md
        if place.kind == "para" and block is not None:
            left = [uid for uid in item_ids(block) if uid not in accepted_ids]
            if left:
                diags.error(
                    u.source_pos,
                    f"{u.id}: the paragraph cannot be added without all its sub-items "
                    f"({', '.join(left)} not translated in this file)",
                )
    out: dict[Path, bytes] = {}
    for file, (section, edit) in bodies.items():
        try:
            tf = TextFile.read(file)
            text = edit_body(tf, section, src, lang, edit)
        except (EditError, OSError, UnicodeDecodeError) as exc:
            diags.error(SourcePos(display_path(file), 1, 1), f"cannot write the translation here: {exc}")
            continue
        if text != tf.raw:
            out[file] = tf.bytes_for(text)
    for file, edits in yamls.items():
        try:
            tf = TextFile.read(file)
            text = edit_yaml(tf.raw, edits, tf.eol)
        except (EditError, OSError, UnicodeDecodeError) as exc:
            diags.error(SourcePos(display_path(file), 1, 1), f"cannot write the translation here: {exc}")
            continue
        if text != tf.raw:
            out[file] = tf.bytes_for(text)
    return out


def _key(d: Diagnostic) -> tuple[str, str, str]:
    return (d.pos.path, d.severity, d.message)


def commit(files: list[tuple[Path, bytes]]) -> None:
    """Write every file next to itself, then move each into place: each file is replaced in one step."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            tmp = path.with_name(f".{path.name}.import-{os.getpid()}")
            tmp.write_bytes(data)
            if path.exists():
                shutil.copymode(path, tmp)
            staged.append((tmp, path))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)


@dataclass
class ImportResult:
    code: int
    diagnostics: Diagnostics
    summary: str = ""
    written: list[Path] = field(default_factory=list)
    note: str = ""


def import_file(project: Project, path: Path) -> ImportResult:
    """Import one returned XLIFF file into `project`: all of it, or nothing."""
    diags = Diagnostics()
    checked = load_and_check(project, diags, Timer({}))
    if checked is None:
        return ImportResult(1, diags, "the content cannot be read; nothing imported")
    before = {_key(d) for d in diags.items}
    site = checked.site
    lock_file = status.lock_path(site.content_dir)
    out = Diagnostics()
    lock = status.read_lock(lock_file, out)
    if out.errors:
        return ImportResult(1, out, f"{display_path(lock_file)} has errors; fix or delete it first")
    xf = read_xliff(path, out)
    plan = plan_import(checked, xf, lock or {}, out) if xf is not None else None
    if plan is None or out.errors:
        return ImportResult(1, out, "nothing imported")
    files = new_files(checked, plan, out)
    if out.errors:
        return ImportResult(1, out, "nothing imported")
    tmp = Path(tempfile.mkdtemp(prefix="reportsite-import-"))
    try:
        content = site.content_dir
        copy = tmp / "content"
        shutil.copytree(content, copy)
        for file, data in files.items():
            (copy / file.relative_to(content)).write_bytes(data)
        trial = make(project.root, copy, None)
        real, seen = display_path(content), display_path(copy)

        def mapped(items: Iterable[Diagnostic]) -> list[Diagnostic]:
            return [
                Diagnostic(
                    SourcePos(d.pos.path.replace(seen, real, 1), d.pos.line, d.pos.col),
                    d.severity,
                    d.message.replace(seen, real),
                )
                for d in items
            ]

        d1 = Diagnostics()
        c1 = load_and_check(trial, d1, Timer({}))
        fresh = [d for d in mapped(d1.items) if d.severity == "error" and _key(d) not in before]
        if c1 is None or fresh:
            out.extend(fresh)
            return ImportResult(1, out, "the translations would add these errors; nothing imported")
        after = {u.id: u for u in catalogue(c1, plan.lang, lock)}
        for a in plan.accepted:
            if not a.changed:
                continue
            now = after.get(a.unit.id)
            same = now is not None and (
                _same(a.tree, now.target) if a.unit.markdown else plain(a.tree) == plain(now.target or ())
            )
            if not same:
                out.error(
                    a.unit.target_pos or a.unit.source_pos,
                    f"{a.unit.id}: the translation does not read back as written once it is Markdown "
                    f"({to_markdown(a.tree)[:80]!r}); rephrase the emphasis or links around it",
                )
        if out.errors:
            return ImportResult(1, out, "nothing imported")
        new_lock = dict(lock or {})
        states = {s.id: s for s in status.paragraph_states(c1.site, lock or {}) if s.lang == plan.lang}
        confirmed = 0
        for para in plan.confirm:
            st = states.get(para)
            if st is not None and st.state != "missing":
                new_lock[(para, plan.lang)] = status.LockEntry(st.section, st.source)
                confirmed += 1
        if new_lock != (lock or {}) or (lock is None and new_lock):
            status.write_lock(copy / status.LOCK_NAME, new_lock)
            files[lock_file] = (copy / status.LOCK_NAME).read_bytes()
        d2 = Diagnostics()
        load_and_check(trial, d2, Timer({}))
        warnings = [d for d in mapped(d2.items) if d.severity == "warning" and _key(d) not in before]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    order = sorted(files.items(), key=lambda kv: kv[0] == lock_file)  # the lock last
    commit(order)
    out.extend(plan.notes)
    out.extend(warnings)
    written = [f for f in files if f != lock_file]
    summary = (
        f"imported {len(plan.accepted)} unit{'s' * (len(plan.accepted) != 1)} into {len(written)} "
        f"file{'s' * (len(written) != 1)}; confirmed {confirmed} paragraph{'s' * (confirmed != 1)}"
    )
    note = (
        (
            f"{plan.skipped} unit{'s' * (plan.skipped != 1)} of {display_path(path)} not imported: untranslated, "
            "or left for review unchanged"
        )
        if plan.skipped
        else ""
    )
    return ImportResult(0, out, summary, [f for f, _ in order], note)


# ================================================================ TMX, TBX and the OmegaT project

TmxEntry = tuple[str, list[tuple[str, str]], str, dict[str, str]]  # tuid, props, source, {lang: text}


def build_tmx(src: str, entries: list[TmxEntry], segtype: str = "paragraph") -> bytes:
    """A TMX 1.4 document (level 1: plain text) through translate-toolkit."""
    _toolkit()
    etree = _etree()
    from translate.storage import tmx

    targets = sorted({lang for _, _, _, texts in entries for lang in texts})
    tm = tmx.tmxfile(sourcelanguage=src, targetlanguage=targets[0] if targets else src)
    header = tm.document.getroot().find("header")
    if header is not None:
        header.attrib.update(
            {
                "creationtool": "reportsite",
                "creationtoolversion": __version__,
                "segtype": segtype,
                "o-tmf": "reportsite",
                "adminlang": "en",
                "srclang": src,
                "datatype": "plaintext",
            }
        )
    for tuid, props, source, texts in entries:
        u = tm.addsourceunit(source, src)  # type: ignore[no-untyped-call]
        for n, (lang, text) in enumerate(texts.items()):
            u.settarget(text, lang, append=n > 0)
        u.xmlelement.set("tuid", tuid)
        first_tuv = u.xmlelement.find(u.namespaced("tuv"))
        for ptype, value in props:
            p = etree.Element(u.namespaced("prop"))
            p.set("type", ptype)
            p.text = value
            first_tuv.addprevious(p)
    buf = io.BytesIO()
    tm.serialize(buf)
    return buf.getvalue()


def _flat(tree: Inlines | None) -> str:
    return re.sub(r"\s+", " ", plain(tree or ())).strip()


def memory_entries(checked: Checked, langs: Sequence[str], lock: status.Lock) -> list[TmxEntry]:
    """Confirmed paragraphs (and their sub-items) and every other text with a translation, per unit."""
    site = checked.site
    report = site.report
    per_lang = {lang: {u.id: u for u in catalogue(checked, lang, lock)} for lang in langs}
    order = list(per_lang[langs[0]].values()) if langs else []
    document = report.symbol or report.id
    entries: list[TmxEntry] = []
    for u in order:
        texts: dict[str, str] = {}
        for lang in langs:
            v = per_lang[lang].get(u.id)
            if v is None or not v.target:
                continue
            if v.para is not None and v.state != "translated":
                continue  # a paragraph counts once it is confirmed against its source
            texts[lang] = _flat(v.target)
        source = _flat(u.source)
        if texts and source:
            props = [("x-document", document), ("x-report", report.id), ("x-section", u.section or "-")]
            entries.append((u.id, props, source, texts))
    return entries


def build_tbx(site: Site) -> bytes:
    _toolkit()
    from translate.storage import tbx

    report = site.report
    src = report.source.tag
    targets = list(report.tags[1:])
    tb = tbx.tbxfile(sourcelanguage=src, targetlanguage=targets[0] if targets else src)
    for n, term in enumerate(site.glossary, 1):
        if not term.terms.get(src):
            continue
        u = tb.addsourceunit(term.terms[src])  # type: ignore[no-untyped-call]
        u.setid(f"term-{n}")
        first = True
        for lang in targets:
            if term.terms.get(lang):
                u.settarget(term.terms[lang], lang, append=not first)
                first = False
        if term.check:
            u.addnote(
                f"Required rendering: `{program()} check` warns when a paragraph has the "
                f"{english_name(src)} term but not this translation."
            )
    for p in tb.document.getroot().iter("p"):
        p.text = f"reportsite {__version__}: the glossary of {report.symbol or report.id}"
    buf = io.BytesIO()
    tb.serialize(buf)
    return buf.getvalue()


OMEGAT_PROJECT = """\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat>
    <project version="1.0">
        <source_dir>__DEFAULT__</source_dir>
        <target_dir>__DEFAULT__</target_dir>
        <tm_dir>__DEFAULT__</tm_dir>
        <glossary_dir>__DEFAULT__</glossary_dir>
        <glossary_file>__DEFAULT__</glossary_file>
        <dictionary_dir>__DEFAULT__</dictionary_dir>
        <source_lang>{src}</source_lang>
        <target_lang>{lang}</target_lang>
        <source_tok>org.omegat.tokenizer.{src_tok}</source_tok>
        <target_tok>org.omegat.tokenizer.{lang_tok}</target_tok>
        <sentence_seg>false</sentence_seg>
        <support_default_translations>true</support_default_translations>
        <remove_tags>false</remove_tags>
    </project>
</omegat>
"""

OMEGAT_FILTERS = """\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<filters removeTags="false" removeSpacesNonseg="true" preserveSpaces="true" ignoreFileContext="false">
    <filter className="org.omegat.filters3.xml.xliff.XLIFFFilter" enabled="true">
        <files sourceFilenameMask="*.xlf" targetFilenamePattern="${filename}"/>
        <option name="compatibility26" value="false"/>
        <option name="forceshortcut2f" value="false"/>
        <option name="ignoreTypeForPhTags" value="false"/>
        <option name="ignoreTypeForBptTags" value="false"/>
        <option name="alttransid" value="true"/>
        <option name="alttransidtype" value="ELEMENT_ID"/>
    </filter>
</filters>
"""

OMEGAT_README = """\
OmegaT project for {document}, {src} -> {lang}, written by `{prog} xliff export omegat`.

1. Open this folder in OmegaT (Project > Open). Do not change the project settings: sentence
   segmentation is off (one segment per paragraph) and the XLIFF filter settings in
   omegat/filters.xml keep every tag.
2. Segments whose translation is current are filled in from tm/auto/. Segments to review show
   their old translation as a match (from tm/): check it against the source, then insert it
   (Ctrl+I) or translate anew. Segments without a translation are empty.
3. Keep every tag (<g0>...</g0>, <x1/>, <c2/>): they are footnote references, links,
   emphasis and cross-references. Project > Validate Tags before you finish.
4. Project > Create Translated Documents writes target/{xlf}.
5. Give back target/{xlf} (or this whole folder); the editors run
   `{prog} xliff import target/{xlf}` (or `{prog} xliff import THIS-FOLDER`).
   A segment left equal to its source counts as untranslated.
"""


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def export_omegat(checked: Checked, units: list[Unit], lang: str, out: Path, prog: str) -> None:
    site = checked.site
    report = site.report
    src = report.source.tag
    name = f"{report.id}-{lang}"
    xlf = f"{name}.xlf"
    for sub in ("source", "target", "tm/auto", "glossary", "dictionary", "omegat"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    _write(out / "source" / xlf, build_xliff(checked, units, lang, OMEGAT))
    current: list[TmxEntry] = []
    review: list[TmxEntry] = []
    for u in units:
        if not u.target:
            continue
        cmap = code_map(u.source, u.target)
        shortcuts = omegat_shortcuts(u.source, cmap)
        entry = (
            u.id,
            [("file", xlf), ("id", u.id)],
            omegat_segment(u.source, iter(cmap.source_ids), shortcuts),
            {lang: omegat_segment(u.target, iter(cmap.target_ids), shortcuts)},
        )
        (current if u.state == "translated" else review).append(entry)
    if current:
        _write(out / "tm" / "auto" / f"{name}.tmx", build_tmx(src, current))
    if review:
        _write(out / "tm" / f"{name}-review.tmx", build_tmx(src, review))
    if site.glossary:
        _write(out / "glossary" / f"{report.id}.tbx", build_tbx(site))

    def tok(tag: str) -> str:
        return OMEGAT_TOKENIZERS.get(tag.split("-")[0].lower(), "DefaultTokenizer")

    _write(
        out / "omegat.project",
        OMEGAT_PROJECT.format(src=src, lang=lang, src_tok=tok(src), lang_tok=tok(lang)).encode("utf-8"),
    )
    _write(out / "omegat" / "filters.xml", OMEGAT_FILTERS.encode("utf-8"))
    _write(
        out / "README.txt",
        OMEGAT_README.format(document=report.symbol or report.id, src=src, lang=lang, prog=program(), xlf=xlf).encode(
            "utf-8"
        ),
    )


# ================================================================ the commands


def _print(diags: Diagnostics | Iterable[Diagnostic]) -> None:
    items = diags if isinstance(diags, Diagnostics) else Diagnostics(list(diags))
    for d in items.sorted():
        print(d, file=sys.stderr)


def _load(project: Project, prog: str) -> tuple[Checked, status.Lock] | int:
    """The checked content and its lock, or an exit code after printing why not.

    Content errors do not stop an export (a missing translation is one); a text in a file that cannot
    be read is simply not exported, and a note says so.
    """
    diags = Diagnostics()
    checked = load_and_check(project, diags, Timer({}))
    if checked is None:
        _print(diags)
        print(f"{prog}: {diags.summary()}; the content cannot be read", file=sys.stderr)
        return 1
    if diags.errors:
        print(
            f"note: the content has {diags.summary()} ({program()} check lists them); texts of files that "
            "cannot be read are left out",
            file=sys.stderr,
        )
    lock_diags = Diagnostics()
    lock = status.read_lock(status.lock_path(checked.site.content_dir), lock_diags)
    if lock_diags.errors:
        _print(lock_diags)
        return 1
    return checked, lock or {}


def _output(args: Any, what: str) -> Path:
    if args.output is None:
        raise UsageError(f"say where to write the {what}: -o FILE")
    out = Path(args.output)
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder")
    return out


def _lang(checked: Checked, args: Any) -> str:
    targets = checked.site.report.tags[1:]
    if args.lang is None:
        if len(targets) == 1:
            return targets[0]
        raise UsageError(f"say which language: --lang {'|'.join(targets) or 'TAG'}")
    if args.lang not in targets:
        raise UsageError(f"'{args.lang}' is not a target language of this report ({', '.join(targets)})")
    return str(args.lang)


def _export(project: Project, args: Any, prog: str) -> int:
    rest = args.args[1:]
    if rest not in ([], [OMEGAT]):
        raise UsageError(f"xliff export takes no argument but 'omegat', got {' '.join(rest)!r}")
    protocol = OMEGAT if rest else "xliff"
    if args.output is None:
        raise UsageError("say where to write: -o FILE (or -o FOLDER for an OmegaT project)")
    out = Path(args.output)
    if protocol == OMEGAT and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(
            f"{out} exists and is not an empty folder; an OmegaT project needs a new folder "
            "(the translator's own memory lives in an old one)"
        )
    if protocol != OMEGAT:
        out = _output(args, "XLIFF")
    loaded = _load(project, prog)
    if isinstance(loaded, int):
        return loaded
    checked, lock = loaded
    lang = _lang(checked, args)
    if args.section is not None and args.section not in {s.id for s in checked.site.sections}:
        raise UsageError(f"no section '{args.section}'")
    units = select(catalogue(checked, lang, lock), checked.site, args.which, args.section)
    counts = {s: sum(u.state == s for u in units) for s in ("translated", "needs-review-translation", "new")}
    what = (
        f"{len(units)} unit{'s' * (len(units) != 1)} ({counts['translated']} translated, "
        f"{counts['needs-review-translation']} to review, {counts['new']} new)"
    )
    if protocol == OMEGAT:
        export_omegat(checked, units, lang, out, prog)
        print(
            f"wrote an OmegaT project with {what} to {display_path(out)}/; translate it in OmegaT, create the "
            f"translated documents, then run {program()} xliff import {display_path(out)}"
        )
    else:
        _write(out, build_xliff(checked, units, lang))
        print(f"exported {what} for '{lang}' to {display_path(out)}")
    return 0


def _import(project: Project, args: Any, prog: str) -> int:
    if len(args.args) != 2:
        raise UsageError("say which file to import: xliff import FILE.xlf (or an OmegaT project folder)")
    if args.section is not None or args.which is not None or args.output is not None:
        raise UsageError("xliff import takes only the file; --section, --missing, --stale, --all and -o are for export")
    path = Path(args.args[1])
    if path.is_dir():
        found = sorted((path / "target").glob("*.xlf"))
        if len(found) != 1:
            raise UsageError(
                f"{path}/target/ holds {len(found)} .xlf files; expected the one OmegaT wrote "
                "(Project > Create Translated Documents)"
            )
        path = found[0]
    elif not path.is_file():
        raise UsageError(f"{path}: no such file")
    result = import_file(project, path)
    _print(result.diagnostics)
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    print(result.summary, file=sys.stdout if result.code == 0 else sys.stderr)
    return result.code


def _export_start(
    project: Project, args: Any, prog: str, command: str, what: str
) -> tuple[Path, tuple[Checked, status.Lock]] | int:
    """The output file and the checked content of an export with no argument; an exit code if it cannot run."""
    if args.args:
        raise UsageError(f"{command} takes no argument, got {' '.join(args.args)!r}")
    out = _output(args, what)
    loaded = _load(project, prog)
    return loaded if isinstance(loaded, int) else (out, loaded)


def _tmx_command(project: Project, args: Any, prog: str) -> int:
    started = _export_start(project, args, prog, "tmx", "TMX")
    if isinstance(started, int):
        return started
    out, (checked, lock) = started
    langs = [_lang(checked, args)] if args.lang is not None else list(checked.site.report.tags[1:])
    entries = memory_entries(checked, langs, lock)
    _write(out, build_tmx(checked.site.report.source.tag, entries))
    print(f"wrote {len(entries)} translation unit{'s' * (len(entries) != 1)} to {display_path(out)}")
    return 0


def _glossary_command(project: Project, args: Any, prog: str) -> int:
    started = _export_start(project, args, prog, "glossary", "termbase")
    if isinstance(started, int):
        return started
    out, (checked, _) = started
    _write(out, build_tbx(checked.site))
    n = sum(1 for t in checked.site.glossary if t.terms.get(checked.site.report.source.tag))
    print(f"wrote {n} term{'s' * (n != 1)} to {display_path(out)}")
    return 0


def run(project: Project, args: Any, prog: str) -> int:
    """`xliff export|import`, `tmx` and `glossary`: exit 0, 1 (content errors) or 2 (usage)."""
    command = args.command
    try:
        _toolkit()
        if command == "xliff":
            if not args.args or args.args[0] not in ("export", "import"):
                raise UsageError("say what to do: xliff export --lang TAG -o FILE, or xliff import FILE")
            return _export(project, args, prog) if args.args[0] == "export" else _import(project, args, prog)
        if command == "tmx":
            return _tmx_command(project, args, prog)
        return _glossary_command(project, args, prog)
    except ToolkitMissing as exc:
        print(f"{prog} {command}: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"{prog} {command}: {exc}", file=sys.stderr)
        return 2
