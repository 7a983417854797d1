"""The content model: frozen dataclasses, no I/O.

Input: nothing (types only). Output: the shapes that flow between stages.
A section is one language-neutral node holding its text in every language,
so "the English lacks paragraph 49" is a fact validation sees, never a
silent fallback to the source language. Text is kept as a small inline
tree (text, emphasis, links, footnote references…) so that each output
(HTML, Typst, XLIFF) writes it its own way and links are resolved on the
model, not by rewriting finished HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, SourcePos
from .labels import Scheme
from .languages import Language

if TYPE_CHECKING:
    from .charts import ChartSpec


# ---------------------------------------------------------------- inline text


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Break:
    """A hard line break."""


@dataclass(frozen=True)
class Span:
    kind: str  # "em" or "strong"
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    """An external link (href) or a place in the report: a section slug, a fragment, or both."""

    href: str  # as written
    children: tuple[Inline, ...]
    external: bool
    slug: str = ""  # internal: the target section's slug, "" for this page's section or a paragraph
    fragment: str = ""  # internal: para-49, fig-2, fn-1, a section id


@dataclass(frozen=True)
class NoteRef:
    label: str  # as written: "1", "*"
    key: str  # language-neutral id part: "1", "star"
    n: int  # the how-many-th reference to this note in its file (fnref-1, fnref-1-2…)


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


Inline = Text | Code | Break | Span | Link | NoteRef | Image
Inlines = tuple[Inline, ...]


# ---------------------------------------------------------------- body text


@dataclass(frozen=True)
class Block:
    kind: str  # "para" (a paragraph, numbered or not) or "figure"
    id: str  # language-neutral: para-49, p-introduction-2 (unnumbered), a chart id for figures
    number: int | None  # the paragraph's number; None when it has none
    line: int
    content: Inlines
    items: tuple[Inlines, ...] = ()  # sub-items (a), (b)… of a numbered paragraph, marker included
    item_lines: tuple[int, ...] = ()
    text: str = ""  # plain text, items included: search, quantity checks, fingerprints


@dataclass(frozen=True)
class Footnote:
    label: str
    key: str
    line: int
    content: Inlines
    text: str


@dataclass(frozen=True)
class ParsedBody:
    blocks: tuple[Block, ...]
    footnotes: tuple[Footnote, ...]
    links: tuple[tuple[Link, SourcePos], ...]
    images: tuple[tuple[Image, SourcePos], ...]
    refs: tuple[tuple[NoteRef, SourcePos], ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def paragraphs(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "para"]


@dataclass(frozen=True)
class Body:
    lang: str
    path: str  # display path
    description: str
    text: str  # the file with its front matter blanked out
    parsed: ParsedBody | None = None


@dataclass(frozen=True)
class Section:
    id: str
    slug: str
    label: tuple[int, ...] | None  # counters of a numbered section: (2, 3, 5) is II.C.5 in the UN scheme
    order: int
    title: dict[str, str]
    depth: int  # 1 for chapters
    parent: str | None
    children: tuple[str, ...]
    dir: Path
    yaml_path: str
    pos: dict[str, Any]
    bodies: dict[str, Body] = field(default_factory=dict)


# ---------------------------------------------------------------- the document


@dataclass(frozen=True)
class Text_:
    """A text in every language, with where it was written."""

    values: dict[str, str]
    pos: SourcePos


@dataclass(frozen=True)
class CoverField:
    key: str  # organization, session, title…: the theme prints each as written, in the declared order
    text: dict[str, str]
    content: dict[str, Inlines]  # the same, parsed: a cover field may cite a note ([^*])
    pos: SourcePos


@dataclass(frozen=True)
class Citation:
    author: dict[str, str]  # the issuing body or the authors, per language
    publisher: dict[str, str]
    place: dict[str, str]
    issued: str  # ISO date or year
    doi: str = ""
    isbn: str = ""
    licence: str = ""


@dataclass(frozen=True)
class Report:
    path: str  # display path of report.yaml
    pos: dict[str, Any]
    id: str  # ASCII slug for file names: hsp-ha-1-2
    symbol: str  # the document symbol; may be empty
    languages: tuple[Language, ...]  # the source language first
    base_url: str  # production origin, no trailing slash
    scheme: Scheme
    numbered: bool  # numbered paragraphs (1..N across the report)
    site_name: dict[str, str]
    organization: dict[str, str]
    accent: str
    logo: str  # a file of the project's assets, or ""
    cover: tuple[CoverField, ...]
    summary: dict[str, str]
    notes: dict[str, dict[str, str]]  # language -> footnote label -> text (cover notes such as "*")
    note_content: dict[str, dict[str, Inlines]]
    citation: Citation
    number_grouping: dict[str, str]

    @property
    def source(self) -> Language:
        return self.languages[0]

    @property
    def targets(self) -> tuple[Language, ...]:
        return self.languages[1:]

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(lang.tag for lang in self.languages)

    def lang(self, tag: str) -> Language:
        return next(lang for lang in self.languages if lang.tag == tag)

    def field(self, key: str) -> CoverField | None:
        return next((f for f in self.cover if f.key == key), None)

    def title(self, tag: str) -> str:
        title = self.field("title")
        return title.text[tag] if title else self.site_name[tag]


@dataclass(frozen=True)
class GlossaryTerm:
    terms: dict[str, str]  # language tag -> the term in that language
    check: bool
    pos: SourcePos


@dataclass(frozen=True)
class Strings:
    """A language's interface strings, and where each came from (for messages)."""

    values: dict[str, Any]
    origin: dict[str, SourcePos]


@dataclass(frozen=True)
class Site:
    content_dir: Path
    report: Report
    ui: dict[str, dict[str, Any]]  # language tag -> interface strings, theme and project merged
    sections: tuple[Section, ...]  # document order: a section, then its children
    charts: dict[str, ChartSpec]  # chart id -> spec
    glossary: tuple[GlossaryTerm, ...]

    def section(self, section_id: str) -> Section:
        return self._by_id[section_id]

    @property
    def _by_id(self) -> dict[str, Section]:
        cached = self.__dict__.get("_by_id_cache")
        if cached is None:
            cached = {s.id: s for s in self.sections}
            object.__setattr__(self, "_by_id_cache", cached)
        return cached
