"""The one function that makes URLs, and where each URL's file is.

Input: a page's target (a section, a figure, a page name) and its language
or language pair. Output: the site-absolute URL. Templates and stages never
build a URL by concatenation; `tests/test_units.py` checks this with a table.

Every language's pages live under its own segment with the same ASCII slugs
(/en/land/, /fr/land/), so that switching language keeps the reader's place.
"""

from __future__ import annotations

from dataclasses import dataclass

from .languages import Language
from .model import Section


@dataclass(frozen=True)
class Pair:
    """Two languages side by side, in the report's order; the report's first pair has the short URL."""

    a: Language
    b: Language
    default: bool

    @property
    def prefix(self) -> str:
        return "/parallel/" if self.default else f"/parallel/{self.a.path}-{self.b.path}/"

    @property
    def key(self) -> str:
        return f"{self.a.tag}-{self.b.tag}"


@dataclass(frozen=True)
class Figure:
    chart: str  # chart id


@dataclass(frozen=True)
class File:
    """A download: the PDF, a citation file, a figure's data. name: the file's name."""

    name: str
    folder: str = ""  # under the language's folder: "figures/<id>", "cite"


Target = Section | Figure | File | str


def url_for(target: Target, lang: Language | Pair | None = None) -> str:
    """The site-absolute URL of a page or file.

    target: a Section; a Figure; a File; "landing"; "home", "full", "404" (per language or pair);
    lang: a Language, or a Pair for side-by-side pages.
    """
    if isinstance(lang, Pair):
        if isinstance(target, Section):
            return f"{lang.prefix}{target.slug}/"
        if target == "full":
            return f"{lang.prefix}full/"
        if isinstance(target, File):
            return f"/parallel/{target.name}"
        raise ValueError(f"no side-by-side URL for {target!r}")
    if target == "landing":
        return "/"
    if target == "404" and lang is None:
        return "/404.html"
    if lang is None:
        raise ValueError(f"{target!r} needs a language")
    if isinstance(target, Section):
        return f"/{lang.path}/{target.slug}/"
    if isinstance(target, Figure):
        return f"/{lang.path}/figures/{target.chart}/"
    if isinstance(target, File):
        return f"/{lang.path}/{target.folder + '/' if target.folder else ''}{target.name}"
    if target == "home":
        return f"/{lang.path}/"
    if target == "full":
        return f"/{lang.path}/full/"
    if target == "404":
        return f"/{lang.path}/404.html"
    if target == "figures":
        return f"/{lang.path}/figures/"
    raise ValueError(f"no URL for {target!r}")


def output_path(url: str) -> str:
    """The file, relative to the site root, that serves `url`."""
    path = url.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path


def pairs(languages: tuple[Language, ...]) -> list[Pair]:
    """Every two languages of the report, in its order; the first is the source with the first translation."""
    out: list[Pair] = []
    for i, a in enumerate(languages):
        for b in languages[i + 1 :]:
            out.append(Pair(a, b, default=not out))
    return out
