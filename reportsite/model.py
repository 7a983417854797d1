"""The content model: frozen dataclasses, no I/O.

Input: nothing (types only). Output: the shapes that flow between stages.
A section is one language-neutral node holding its text in every language,
so "the English lacks paragraph 49" is a fact validation sees, never a
silent fallback to Chinese.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SourcePos

if TYPE_CHECKING:
    from .markdown import ParsedBody


@dataclass(frozen=True)
class Report:
    symbol: str
    languages: tuple[str, ...]  # the default language first
    base_url: str  # production origin, no trailing slash
    text: dict[str, dict[str, str]]  # field name -> language -> text
    notes: dict[str, dict[str, str]]  # language -> footnote label -> text (cover notes such as "*")
    path: str
    pos: dict[str, Any]

    @property
    def default_language(self) -> str:
        return self.languages[0]


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
    label: str | None  # "II.C.5"; None for an unnumbered heading
    order: int
    title: dict[str, str]
    depth: int  # 1 for chapters
    parent: str | None
    children: tuple[str, ...]
    dir: Path
    yaml_path: str
    pos: dict[str, Any]
    bodies: dict[str, Body] = field(default_factory=dict)


@dataclass(frozen=True)
class GlossaryTerm:
    zh: str
    en: str
    check: bool
    pos: SourcePos


@dataclass(frozen=True)
class Site:
    content_dir: Path
    report: Report
    ui: dict[str, dict[str, str]]
    sections: tuple[Section, ...]  # document order: a section, then its children
    charts: dict[str, Any]  # chart id -> charts.ChartSpec
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
