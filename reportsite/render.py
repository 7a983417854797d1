"""The render stage: a valid, parsed site to the bytes of every page and file.

Input: the site, its `Refs`, the theme (through the project's lookup) and
the stages' products it shows (chart images, PDF sizes, citations).
Output: a stream of (path relative to the site root, bytes), one entry per
output file, from the page kinds of `pages.py`. Nothing is written here.

Templates get small view dicts made here, never the model. Jinja runs with
autoescape and StrictUndefined; HTML made by code (text, contents) enters a
template as Markup once, built by code that escapes every text.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.units import format_unit
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from . import charts, htmltext, labels
from .errors import Diagnostics, SourcePos, display_path
from .languages import Language
from .model import Block, Link, Section, Site
from .parse import Refs
from .project import Project
from .typography import Quotes, smart
from .urls import Figure, Pair, Target, output_path, pairs, url_for

PUBLISHED_ASSETS = (".css", ".js", ".svg", ".ico", ".png", ".woff2")
SIZE_MARK, SIZE_END = "@@pdf-size:", "@@"  # a PDF's size, until it is known
TOC_FULL_LIMIT = 120  # sections; see Context.toc

Output = Iterator[tuple[str, bytes]]


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


@dataclass
class Products:
    """What other stages make that pages show or link to."""

    chart_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (chart, lang) -> key: names the images
    chart_images: dict[tuple[str, str], Mapping[str, bytes]] = field(default_factory=dict)  # (chart, lang) -> drawn
    pdfs: set[str] = field(default_factory=set)  # URLs of the PDFs this build makes
    pdf_sizes: dict[str, int] = field(default_factory=dict)  # URL of a PDF -> its size in bytes, once made


class Context:
    """What every page of one build shares: the site, the theme, and the parts rendered once."""

    def __init__(self, site: Site, refs: Refs, project: Project, products: Products):
        self.site = site
        self.refs = refs
        self.report = site.report
        self.project = project
        self.products = products
        self.langs = site.report.languages
        self.pairs = pairs(self.langs)
        self.env = Environment(
            loader=ChoiceLoader([_Loader(str(p), project.trusted_root(p)) for p in project.templates]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
        )
        self.asset_urls, self.asset_files = collect_assets(project, site)
        self.env.globals["asset"] = self._asset
        self.by_slug = {s.slug: s for s in site.sections}
        self.by_id = {s.id: s for s in site.sections}
        self.order = list(site.sections)
        self.index = {s.id: i for i, s in enumerate(self.order)}
        self.media: dict[str, bytes] = {}
        self._headings: dict[tuple[str, str], str] = {}
        self._quotes: dict[str, Quotes] = {}
        self._tocs = {lang.tag: self._toc_html(lang) for lang in self.langs}
        self._chapter_tocs: dict[tuple[str, str], str] = {}
        self._figures: dict[tuple[str, str, str], str] = {}
        self._chrome: dict[str, dict[str, Markup]] = {}

    def update(self, site: Site, refs: Refs) -> None:
        """Take a site whose section texts changed (titles, slugs, the tree and the refs did not).

        The preview's fast path: templates stay compiled, the contents and page chrome rendered.
        """
        self.site = site
        self.refs = refs
        self.by_slug = {s.slug: s for s in site.sections}
        self.by_id = {s.id: s for s in site.sections}
        self.order = list(site.sections)
        self._figures.clear()
        self.media.clear()

    # -- helpers -------------------------------------------------------------

    def _asset(self, name: str) -> str:
        try:
            return self.asset_urls[name]
        except KeyError:
            raise TemplateError(f"unknown asset '{name}'") from None

    def ui(self, lang: Language) -> dict[str, Any]:
        return self.site.ui[lang.tag]

    def abs_url(self, url: str) -> str:
        return self.report.base_url + url

    def quotes(self, lang: Language) -> Quotes:
        if lang.tag not in self._quotes:
            q = lang.quotes
            self._quotes[lang.tag] = Quotes(q[0], q[1], q[2], q[3], str(self.ui(lang).get("quote_space") or ""))
        return self._quotes[lang.tag]

    def typeset(self, text: str, lang: Language) -> str:
        """A plain text (a title, a caption) with the language's quotation marks and apostrophes."""
        return smart(text, self.quotes(lang))

    def heading(self, section: Section, lang: Language) -> str:
        # Every page names its neighbours, crumbs and contents by their headings: made once each.
        key = (section.id, lang.tag)
        if key not in self._headings:
            self._headings[key] = labels.heading(
                self.typeset(section.title[lang.tag], lang),
                section.label,
                self.report.scheme,
                self.ui(lang).get("headings") or {},
            )
        return self._headings[key]

    def language_name(self, lang: Language, in_lang: Language) -> str:
        """A language's name in another language, from CLDR: for "Same paragraph in Chinese"."""
        return in_lang.locale.languages.get(lang.locale.language, lang.name) if lang != in_lang else lang.name

    def file_size(self, size: int, lang: Language) -> str:
        unit, value = ("digital-megabyte", size / 1_000_000) if size >= 1_000_000 else ("digital-kilobyte", size / 1000)
        return format_unit(round(value, 1 if value < 10 else 0), unit, length="short", locale=lang.locale)

    def pdf_size(self, url: str, lang: Language) -> str:
        """A PDF's size as the page's language writes it ("1.2 MB", "1,2 Mo").

        The pages are written while the PDFs are typeset: until a PDF exists its size is a
        marker that the build replaces in the pages that hold one (pipeline.publish)."""
        if url in self.products.pdf_sizes:
            return self.file_size(self.products.pdf_sizes[url], lang)
        return f"{SIZE_MARK}{url}|{lang.tag}{SIZE_END}"

    def render(self, template: str, **view: Any) -> bytes:
        return self.env.get_template(template).render(**view).encode("utf-8")

    # -- links ---------------------------------------------------------------

    def where(self, lang: Language, page: Section | None, mode: str, suffix: str = "") -> htmltext.Where:
        """How text is written on one page: mode "section", "full" (the whole report) or "parallel"."""

        def link(node: Link) -> str:
            if node.external:
                return node.href
            target = self._target_section(node, page)
            fragment = node.fragment
            if mode == "full":
                return f"#{fragment or target.id}"
            if mode == "parallel" and target is page and fragment:
                return f"#{fragment}{'' if _row_key(fragment) else suffix}"
            if target is page and fragment:
                return f"#{fragment}"
            return url_for(target, lang) + (f"#{fragment}" if fragment else "")

        def image(src: str) -> str:
            assert page is not None
            data = (page.dir / src).read_bytes()
            name = f"media/{Path(src).stem}.{short_hash(data)}{Path(src).suffix.lower()}"
            self.media[name] = data
            return "/" + name

        return htmltext.Where(self.ui(lang), self.quotes(lang), link, image, suffix)

    def _target_section(self, node: Link, page: Section | None) -> Section:
        if node.slug:
            return self.by_slug[node.slug]
        fragment = node.fragment
        if fragment.startswith("para-") and fragment[5:].isdigit():
            return self.by_id[self.refs.numbers[int(fragment[5:])]]
        if fragment.startswith("p-"):
            return self.by_id[self.refs.para_section[fragment]]
        if fragment.startswith("fig-"):
            chart = self.refs.chart_of(int(fragment[4:]))
            return self.by_id[self.refs.figure_section[chart or ""]]
        assert page is not None  # a footnote or section fragment of this page, checked by validate
        return page

    # -- page parts ----------------------------------------------------------

    def _toc_html(self, lang: Language, roots: list[str] | None = None) -> str:
        """Nested lists of the contents below `roots` (default: the whole report)."""
        parts: list[str] = []

        def walk(ids: tuple[str, ...] | list[str]) -> None:
            parts.append("<ol>")
            for sid in ids:
                s = self.by_id[sid]
                parts.append(f'<li><a href="{url_for(s, lang)}">{html.escape(self.heading(s, lang))}</a>')
                if s.children:
                    walk(s.children)
                parts.append("</li>")
            parts.append("</ol>")

        walk(roots if roots is not None else [s.id for s in self.order if s.parent is None])
        return "".join(parts)

    def toc(self, lang: Language, current: Section | None, mark: bool = True) -> Markup:
        """The contents beside a page, its own entry marked (mark: the page is the section's).

        A report of ordinary length shows all of it. Beyond TOC_FULL_LIMIT
        sections, every page showing every entry would make the site grow
        with the square of its length: pages then show their chapter's
        contents (a figure's page, the chapter it stands in), and the home
        page keeps the whole list.
        """
        if len(self.order) <= TOC_FULL_LIMIT or current is None:
            toc = self._tocs[lang.tag]
        else:
            chapter = current
            while chapter.parent:
                chapter = self.by_id[chapter.parent]
            key = (lang.tag, chapter.id)
            if key not in self._chapter_tocs:
                self._chapter_tocs[key] = self._toc_html(lang, [chapter.id])
            toc = self._chapter_tocs[key]
        if current is not None and mark:
            url = url_for(current, lang)
            toc = toc.replace(f'<a href="{url}">', f'<a href="{url}" aria-current="page">', 1)
        return Markup(toc)

    def full_toc(self, lang: Language) -> Markup:
        # The same contents, pointing into the whole-report page.
        toc = self._tocs[lang.tag]
        for s in self.order:
            toc = toc.replace(f'href="{url_for(s, lang)}"', f'href="#{s.id}"', 1)
        return Markup(toc)

    def figure(self, chart_id: str, lang: Language, mode: str, suffix: str = "") -> str:
        key = (chart_id, lang.tag, mode + suffix)
        if key not in self._figures:
            spec = self.site.charts[chart_id]
            number = self.refs.figures[chart_id]
            ui = self.ui(lang)
            chart_lang = self.chart_language(lang)
            name, dark = charts.image_names(chart_id, lang.tag, self.products.chart_keys[(chart_id, lang.tag)])
            width, height = charts.size_px()
            section = self.by_id[self.refs.figure_section[chart_id]]
            # On the figure's own page, its source paragraphs are on another page.
            where = self.where(lang, None if mode == "page" else section, mode, suffix)
            page = url_for(Figure(chart_id), lang)
            view = {
                # In a column of a side-by-side page the row holds fig-N; the figure takes the column's suffix.
                "id": f"fig-{number}{suffix}",
                "number": number,
                "label": ui["figure"].format(n=number),
                "title": self.typeset(spec.title[lang.tag], lang),
                "caption": self.typeset(spec.caption[lang.tag], lang),
                "alt": self.typeset(spec.alt[lang.tag], lang),
                "description": self.typeset(spec.description[lang.tag], lang),
                "img": "/" + name,
                "img_dark": "/" + dark,
                "width": width,
                "height": height,
                "page": "" if mode == "page" else page,
                "csv": page + f"{chart_id}.{lang.tag}.csv",
                "table": {
                    **charts.table(spec, chart_lang),
                    "notes": charts.derived_notes(spec, lang.tag, ui["derived_note"]),
                },
                "sources": [
                    {"text": self.paragraph_name(pid, lang), "href": where.link(Link("", (), False, fragment=pid))}
                    for pid in spec.paragraphs()
                ],
            }
            self._figures[key] = self.env.get_template("figure.html").render(fig=view, ui=ui)
        return self._figures[key]

    def paragraph_name(self, pid: str, lang: Language) -> str:
        """ "Paragraph 49" for a numbered paragraph; the section's heading and the paragraph's place otherwise."""
        if pid.startswith("para-"):
            return str(self.ui(lang)["paragraph"]).format(n=pid[5:])
        section = self.by_id[self.refs.para_section[pid]]
        return f"{self.heading(section, lang)} ¶{pid.rsplit('-', 1)[1]}"

    def chart_language(self, lang: Language) -> charts.ChartLanguage:
        return charts.ChartLanguage(lang.tag, self.report.number_grouping.get(lang.tag, ""))

    def blocks(self, section: Section, lang: Language, mode: str, suffix: str = "") -> list[tuple[str, str]]:
        """(row key, html) per block of a section, figures filled in."""
        where = self.where(lang, section, mode, suffix)
        body = section.bodies[lang.tag].parsed
        assert body is not None
        out = []
        for block in body.blocks:
            if block.kind == "figure":
                out.append((f"fig-{self.refs.figures[block.id]}", self.figure(block.id, lang, mode, suffix)))
            else:
                out.append((block.id, htmltext.paragraph(block, where, id_=mode != "parallel")))
        return out

    def section_body(self, section: Section, lang: Language, mode: str) -> str:
        body = section.bodies[lang.tag].parsed
        assert body is not None
        parts = [h for _, h in self.blocks(section, lang, mode)]
        parts.append(htmltext.footnotes(body.footnotes, self.where(lang, section, mode)))
        return "".join(parts)

    def cover(self, lang: Language) -> dict[str, Any]:
        where = self.where(lang, None, "section")
        notes = self.report.note_content.get(lang.tag, {})
        from .markdown import footnote_key

        # In the order report.yaml declares them; the title (with the subtitle) is the cover's heading.
        fields = [
            {"key": f.key, "html": Markup(htmltext.inline(f.content[lang.tag], where))}
            for f in self.report.cover
            if f.key != "subtitle"
        ]
        subtitle = self.report.field("subtitle")
        return {
            "symbol": self.report.symbol,
            "fields": fields,
            "title": self.typeset(self.report.title(lang.tag), lang),
            "subtitle": self.typeset(subtitle.text[lang.tag], lang) if subtitle else "",
            "summary": self.typeset(self.report.summary.get(lang.tag, ""), lang),
            "footnotes": Markup(
                htmltext.footnotes([(label, footnote_key(label), content) for label, content in notes.items()], where)
            ),
        }

    def chrome(self, lang: Language) -> dict[str, Markup]:
        """The parts of every page of a language that no page changes, rendered once per language."""
        if lang.tag not in self._chrome:
            from . import cite

            ui = self.ui(lang)
            others = [
                {
                    "path": o.path,
                    "tag": o.html,
                    "search": o.search,
                    "dir": o.dir,
                    "name": self.language_name(o, lang),
                    "also": ui["search_also"].format(language=self.language_name(o, lang)),
                    "same": ui["search_in_language"].format(language=self.language_name(o, lang)),
                }
                for o in self.langs
                if o != lang
            ]
            view = {
                "page": {
                    "lang": lang.path,
                    "html_lang": lang.html,
                    "symbol": self.report.symbol,
                    "others_json": json.dumps(others, ensure_ascii=False, separators=(",", ":")),
                    "same_here": ui["search_in_language"].format(language=lang.name),
                    "count": json.dumps(ui["search_results"], ensure_ascii=False),
                    "languages": [o.path for o in self.langs],
                    "cite_paragraph": cite.paragraph_template(self, lang),
                    "cite_report": cite.formatted(self, lang, html_out=False),
                },
                "ui": ui,
            }
            self._chrome[lang.tag] = {
                name: Markup(self.env.get_template(f"{name.replace('_', '-')}.html").render(**view))
                for name in ("search_form", "body_attrs")
            }
        return self._chrome[lang.tag]

    def base_view(
        self,
        lang: Language,
        url: str,
        title: str,
        description: str,
        counterpart: Callable[[Language], str] | None,
        noindex: bool = False,
        meta: list[tuple[str, str]] | None = None,
        jsonld: str = "",
    ) -> dict[str, Any]:
        """What base.html needs: head metadata, the language switch, the page's own language and direction."""
        ui = self.ui(lang)
        alternates = (
            [{"hreflang": o.html, "href": self.abs_url(counterpart(o))} for o in self.langs] if counterpart else []
        )
        others = [o for o in self.langs if o != lang]
        switch = [
            {
                "href": counterpart(o) if counterpart else url_for("home", o),
                "lang": o.tag,
                "html_lang": o.html,
                "dir": o.dir,
                "name": o.name,
            }
            for o in others
        ]
        pdf = url_for(_pdf_file(self.report, lang), lang)
        return {
            "lang": lang.tag,
            "html_lang": lang.html,
            "dir": lang.dir,
            "script": lang.script,
            "ui": ui,
            "url": url,
            "title": title,
            "description": description,
            "noindex": noindex,
            "canonical": self.abs_url(url),
            "alternates": alternates,
            # Readers matching no language get the landing page, which lets them choose.
            "x_default": self.abs_url(url_for("landing")),
            "og_locale": lang.og_locale,
            "og_alternates": [o.og_locale for o in others],
            "og_image": "",
            "switch": switch,
            **self.chrome(lang),
            "home": url_for("home", lang),
            "full": url_for("full", lang),
            "site_name": self.typeset(self.report.site_name[lang.tag], lang),
            "symbol": self.report.symbol,
            "logo": self.asset_urls.get(self.report.logo, "") if self.report.logo else "",
            "brand_css": self.asset_urls.get("brand.css", ""),
            "pdf": {"href": pdf, "size": self.pdf_size(pdf, lang)} if pdf in self.products.pdfs else None,
            "meta": meta or [],
            "jsonld": Markup(jsonld) if jsonld else "",
        }

    # -- the side-by-side view -------------------------------------------------

    def parallel_rows(self, section: Section, pair: Pair) -> str:
        langs = (pair.a, pair.b)
        per_lang = {lang.tag: dict(self.blocks(section, lang, "parallel", f"-{lang.path}")) for lang in langs}
        rows = []
        for key in per_lang[pair.a.tag]:
            cells = [
                {
                    "lang": lang.html,
                    "dir": lang.dir,
                    "script": lang.script,
                    "html": Markup(per_lang[lang.tag].get(key, "")),
                }
                for lang in langs
            ]
            rows.append({"id": key if _row_key(key) else f"{section.id}-{key}", "heading": False, "cells": cells})
        notes = []
        for lang in langs:
            body = section.bodies[lang.tag].parsed
            assert body is not None
            notes.append(
                {
                    "lang": lang.html,
                    "dir": lang.dir,
                    "script": lang.script,
                    "html": Markup(
                        htmltext.footnotes(body.footnotes, self.where(lang, section, "parallel", f"-{lang.path}"))
                    ),
                }
            )
        if any(n["html"] for n in notes):
            rows.append({"id": f"{section.id}-notes", "heading": False, "cells": notes})
        return self.env.get_template("parallel-rows.html").render(rows=rows)

    def parallel_heading_row(self, section: Section, pair: Pair) -> str:
        row = {
            "id": section.id,
            "heading": True,
            "level": min(section.depth + 1, 6),
            "cells": [
                {
                    "lang": lang.html,
                    "dir": lang.dir,
                    "script": lang.script,
                    "html": Markup(html.escape(self.heading(section, lang))),
                }
                for lang in (pair.a, pair.b)
            ],
        }
        return self.env.get_template("parallel-rows.html").render(rows=[row])


class _Loader(FileSystemLoader):
    """Templates of one folder, never through a link that leads out of the project or the theme."""

    def __init__(self, folder: str, root: str):
        super().__init__(folder)
        self.root = root

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename or "")
        if not (real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)):
            raise TemplateError(f"template {template!r} is a link that leads out of the project")
        return source, filename, uptodate


def _row_key(key: str) -> bool:
    """Row ids that both columns share: paragraphs and figures."""
    return key.startswith(("para-", "fig-", "p-"))


def _pdf_file(report: Any, lang: Language) -> Target:
    from .urls import File

    return File(f"{report.id}.{lang.tag}.pdf")


def collect_assets(project: Project, site: Site) -> tuple[dict[str, str], dict[str, bytes]]:
    """The theme's assets (project first), named by content hash, plus the brand stylesheet from report.yaml."""
    urls: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for name, path in project.theme_files("assets").items():
        if "/" in name and not name.startswith("img/"):
            continue  # fonts and other folders are for the build, not the reader
        if Path(name).suffix not in PUBLISHED_ASSETS:
            continue
        data = path.read_bytes()
        out = f"assets/{Path(name).stem}.{short_hash(data)}{Path(name).suffix}"
        urls[name] = "/" + out
        files[out] = data
    if site.report.accent:
        data = f":root {{ --accent: {site.report.accent}; --focus: {site.report.accent}; }}\n".encode()
        out = f"assets/brand.{short_hash(data)}.css"
        urls["brand.css"] = "/" + out
        files[out] = data
    return urls, files


def template_error(exc: TemplateError, diags: Diagnostics) -> None:
    """A template's mistake, at its file and line: from the error, or from the frame Jinja ran it in."""
    lineno = getattr(exc, "lineno", None) or 0
    name = getattr(exc, "filename", None) or getattr(exc, "name", None) or ""
    if not lineno:
        tb = exc.__traceback__
        while tb is not None:  # Jinja rewrites its frames to name the template file and line
            filename = tb.tb_frame.f_code.co_filename
            if not filename.endswith(".py") and Path(filename).is_file():
                name, lineno = filename, tb.tb_lineno
            tb = tb.tb_next
    name = name or "templates"
    diags.error(
        SourcePos(display_path(name) if name != "templates" else "templates", lineno, 0 if not lineno else 1),
        f"template error: {exc.message if hasattr(exc, 'message') and exc.message else exc}",
    )


def clip(text: str, limit: int = 155) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


__all__ = ["Context", "Products", "Output", "Block", "clip", "output_path", "template_error"]
