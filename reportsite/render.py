"""The render stage: a valid, parsed site to the bytes of every page.

Input: a valid `Site` whose sections to render are parsed (the others may
hold a slim parse, with `tables` saying where paragraphs and figures are),
the chart file names and the templates directory. Output: (path relative to
the site root, bytes) pairs for pages, assets, sitemap and robots.txt; a
whole-report page comes as [prefix, part files…, suffix], its sections' HTML
having gone to part files (`Parts`). Only the part files are written here.

Templates get small view dicts made here, never the model. Jinja runs with
autoescape and StrictUndefined. Pre-rendered HTML (Markdown output, tables
of contents) enters templates as Markup once, built by code that escapes.
"""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from .errors import ContentError, Diagnostics, SourcePos, display_path
from .i18n import LANG_TAGS, output_path, url_for
from .markdown import PLACEHOLDER, footnote_key
from .model import Section, Site
from .validate import figure_numbers, paragraph_sections

ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
CN_DIGITS = "零一二三四五六七八九"
OG_LOCALES = {"zh": "zh_CN", "en": "en_US"}
LINK = re.compile(r'(href|src)="@([^"]*)"')
# No leading \b: it keeps re from skipping ahead to a first letter (3x slower); _scope_ids checks it.
ID_ATTR = re.compile(r'(id|aria-describedby|aria-labelledby|for)="([^"]+)"')
LOCAL_HREF = re.compile(r'href="#([^"]+)"')
ROW_ID = re.compile(r"(para|fig)-\d+")
PUBLISHED_ASSETS = (".css", ".js", ".svg", ".ico", ".png")
TOC_FULL_LIMIT = 120  # sections; see Renderer.toc
SENTINEL = "\x00reportsite:body\x00"  # where a framed page's body goes (no text holds a NUL)


def roman_to_int(text: str) -> int:
    total = 0
    for ch, nxt in zip(text, text[1:] + " "):
        value = ROMAN[ch]
        total += -value if ROMAN.get(nxt, 0) > value else value
    return total


def chinese_numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十, 105 → 一百零五, 400 → 四百 (chapter numbers)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n - 10] if n > 10 else "")
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            out += CN_DIGITS[digit] + unit
        elif out and n and not out.endswith("零"):
            out += "零"
    return out


def heading_text(section: Section, lang: str) -> str:
    """The heading as the report prints it: 一、导言 / I. Introduction / A. … / 1. …"""
    title = section.title[lang]
    if not section.label:
        return title
    marker = section.label.rsplit(".", 1)[-1]
    if section.depth == 1 and lang == "zh":
        return f"{chinese_numeral(roman_to_int(marker))}、{title}"
    return f"{marker}. {title}"


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


@dataclass
class Assets:
    urls: dict[str, str]  # source name -> hashed URL
    files: dict[str, bytes]  # output path -> bytes


def collect_assets(assets_dir: Path) -> Assets:
    urls: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for path in sorted(assets_dir.iterdir()):
        if not path.is_file() or path.suffix not in PUBLISHED_ASSETS:
            continue
        data = path.read_bytes()
        name = f"assets/{path.stem}.{short_hash(data)}{path.suffix}"
        urls[path.name] = "/" + name
        files[name] = data
    return urls, files  # type: ignore[return-value]


Tables = tuple  # (chart id -> figure number, paragraph number -> section id, chart id -> section id)


def tables(site: Site) -> Tables:
    """What a page needs to know of sections parsed elsewhere: figure numbers and where paragraphs and figures are."""
    figures = {}
    lang = site.report.default_language
    for s in site.sections:
        for b in s.bodies[lang].parsed.blocks:  # type: ignore[union-attr]
            if b.kind == "figure":
                figures.setdefault(b.key, s.id)
    return figure_numbers(site), {n: s.id for n, s in paragraph_sections(site).items()}, figures


class Renderer:
    def __init__(self, site: Site, templates_dir: Path, assets_dir: Path, chart_files: dict[str, bytes],
                 tables_: Tables | None = None):
        self.site = site
        self.report = site.report
        self.langs = site.report.languages
        self.env = Environment(
            loader=FileSystemLoader(str(templates_dir)), autoescape=True, undefined=StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            # A renderer outlives no template edit (serve makes a new one), so no stat per page rendered.
            auto_reload=False,
        )
        self.asset_urls, self.asset_files = collect_assets(assets_dir)
        self.media_files: dict[str, bytes] = {}  # images of the sections rendered here
        self.env.globals["asset"] = self._asset
        self.chart_files = chart_files
        self.chart_index: dict[str, str] | None = None
        self.chapter_tocs: dict[tuple[str, str], str] = {}
        self.figure_html: dict[tuple[str, str], str] = {}
        self._blocks: dict[tuple[str, str], list[tuple[str, str]]] = {}  # the section being rendered
        self._chrome: dict[str, dict[str, Markup]] = {}
        self.update(site, tables_ or tables(site))
        self.tocs = {lang: self._toc_html(lang) for lang in self.langs}

    def update(self, site: Site, tables_: Tables) -> None:
        """Take a site whose section texts changed (titles, slugs and the tree did not): the preview's fast path.

        Templates, contents and page chrome stay compiled and rendered.
        """
        self.site = site
        self.by_slug = {s.slug: s for s in site.sections}
        self.by_id = {s.id: s for s in site.sections}
        self.order = list(site.sections)
        figures, para_ids, fig_ids = tables_
        self.figures: dict[str, int] = figures
        self.para_section = {n: self.by_id[sid] for n, sid in para_ids.items()}
        self.fig_section = {chart: self.by_id[sid] for chart, sid in fig_ids.items()}
        self.figure_html.clear()  # figure numbers may have moved
        self._blocks.clear()
        self.media_files.clear()

    # -- helpers -------------------------------------------------------------

    def _asset(self, name: str) -> str:
        try:
            return self.asset_urls[name]
        except KeyError:
            raise TemplateError(f"unknown asset '{name}'") from None

    def abs_url(self, url: str) -> str:
        return self.report.base_url + url

    def _toc_html(self, lang: str, roots: list[str] | None = None) -> str:
        """Nested lists of the contents below `roots` (default: the whole report)."""
        parts: list[str] = []

        def walk(ids: tuple[str, ...] | list[str]) -> None:
            parts.append("<ol>")
            for sid in ids:
                s = self.by_id[sid]
                parts.append(f'<li><a href="{url_for(s, lang)}">{html.escape(heading_text(s, lang))}</a>')
                if s.children:
                    walk(s.children)
                parts.append("</li>")
            parts.append("</ol>")

        walk(roots if roots is not None else [s.id for s in self.site.sections if s.parent is None])
        return "".join(parts)

    def toc(self, lang: str, current: Section | None) -> Markup:
        """The contents beside a page, its own entry marked.

        A report of ordinary length shows all of it. Beyond TOC_FULL_LIMIT
        sections, every page showing every entry would make the site grow
        with the square of its length: pages then show their chapter's
        contents, and the home page keeps the whole list.
        """
        if len(self.order) <= TOC_FULL_LIMIT or current is None:
            toc = self.tocs[lang]
        else:
            chapter = current
            while chapter.parent:
                chapter = self.by_id[chapter.parent]
            key = (lang, chapter.id)
            if key not in self.chapter_tocs:
                self.chapter_tocs[key] = self._toc_html(lang, [chapter.id])
            toc = self.chapter_tocs[key]
        if current is not None:
            url = url_for(current, lang)
            toc = toc.replace(f'<a href="{url}">', f'<a href="{url}" aria-current="page">', 1)
        return Markup(toc)

    def resolve(self, fragment: str, lang: str, page: Section | None, mode: str = "section") -> str:
        """Resolve "@" links for one page. mode "full": the whole-report page."""

        def sub(m: re.Match[str]) -> str:
            attr, target = m.group(1), m.group(2)
            if target.startswith("img:"):
                return f'{attr}="{self.media_url(page, target[4:])}"'
            slug, _, frag = html.unescape(target).partition("#")
            if slug:
                section = self.by_slug[slug]
            elif frag.startswith("para-"):
                section = self.para_section[int(frag[5:])]
            elif frag.startswith("fig-"):
                chart = next(k for k, v in self.figures.items() if v == int(frag[4:]))
                section = self.fig_section[chart]
            else:
                section = page
            if mode == "full":
                return f'{attr}="#{frag or section.id}"'
            if page is not None and section.id == page.id and frag:
                return f'{attr}="#{frag}"'
            return f'{attr}="{url_for(section, lang)}{"#" + frag if frag else ""}"'

        return LINK.sub(sub, fragment)

    def media_url(self, section: Section | None, src: str) -> str:
        data = (section.dir / src).read_bytes()  # type: ignore[union-attr]
        name = f"media/{Path(src).stem}.{short_hash(data)}{Path(src).suffix.lower()}"
        self.media_files[name] = data
        return "/" + name

    # -- page parts ----------------------------------------------------------

    def figure(self, chart_id: str, lang: str) -> str:
        key = (chart_id, lang)
        if key not in self.figure_html:
            from . import charts

            spec = self.site.charts[chart_id]
            if self.chart_index is None:
                self.chart_index = charts.asset_index(self.chart_files)
            view = charts.figure_view(spec, lang, self.figures[chart_id], self.chart_files, self.site.ui[lang],
                                      self.chart_index)
            self.figure_html[key] = self.env.get_template("figure.html").render(fig=view, ui=self.site.ui[lang])
        return self.figure_html[key]

    def blocks_html(self, section: Section, lang: str) -> list[tuple[str, str]]:
        """(row key, html) per block; figures filled in. Kept while one section's pages are made."""
        key = (section.id, lang)
        if key not in self._blocks:
            if len(self._blocks) >= 2 * len(self.langs):
                self._blocks.clear()
            self._blocks[key] = self._blocks_html(section, lang)
        return self._blocks[key]

    def _blocks_html(self, section: Section, lang: str) -> list[tuple[str, str]]:
        out = []
        text_index = 0
        for block in section.bodies[lang].parsed.blocks:  # type: ignore[union-attr]
            if block.kind == "figure":
                out.append((f"fig-{self.figures[block.key]}", self.figure(block.key, lang)))
            elif block.kind == "para":
                out.append((block.key, block.html))
            else:
                text_index += 1
                out.append((f"text-{text_index}", block.html))
        return out

    def footnotes_html(self, notes: list[tuple[str, str, str]], lang: str) -> str:
        """notes: (label, key, inner html)."""
        if not notes:
            return ""
        ui = self.site.ui[lang]
        items = []
        for label, key, inner in notes:
            back = html.escape(ui["back_to_ref"].format(label=label))
            items.append(
                f'<li id="fn-{key}"><span class="fn-mark">{html.escape(label)}</span> '
                f'<span class="fn-text">{inner}</span> '
                f'<a href="#fnref-{key}" class="fn-back" aria-label="{back}">↩\ufe0e</a></li>'
            )
        # A labelled list, not a landmark: the whole-report page holds one per section.
        return f'<div class="footnotes"><ul aria-label="{html.escape(ui["footnotes"])}">{"".join(items)}</ul></div>'

    def section_body(self, section: Section, lang: str, mode: str) -> str:
        body = section.bodies[lang]
        parts = [h for _, h in self.blocks_html(section, lang)]
        notes = [(f.label, f.key, f.html) for f in body.parsed.footnotes]  # type: ignore[union-attr]
        parts.append(self.footnotes_html(notes, lang))
        return self.resolve("".join(parts), lang, section, mode)

    def cover(self, lang: str) -> dict[str, Any]:
        text = {k: v[lang] for k, v in self.report.text.items()}
        notes = self.report.notes.get(lang, {})
        agenda = html.escape(text["agenda_item"])
        for label in notes:
            key = footnote_key(label)
            aria = html.escape(self.site.ui[lang]["footnote"].format(label=label))
            agenda = agenda.replace(
                html.escape(f"[^{label}]"),
                f'<sup class="fnref"><a href="#fn-{key}" id="fnref-{key}" role="doc-noteref" '
                f'aria-label="{aria}">{html.escape(label)}</a></sup>', 1)
        note_items = [(label, footnote_key(label), html.escape(t)) for label, t in notes.items()]
        return {
            **text,
            "symbol": self.report.symbol,
            "agenda_item": Markup(agenda),
            "footnotes": Markup(self.footnotes_html(note_items, lang)),
        }

    def chrome(self, lang: str, switch: list[dict[str, str]]) -> dict[str, Markup]:
        """The parts of every page of a language that no page changes, rendered once per language.

        Otherwise each of thousands of pages looks up and escapes the same
        twenty interface strings again.
        """
        if lang not in self._chrome:
            view = {"page": {"lang": lang, "symbol": self.report.symbol, "switch": switch}, "ui": self.site.ui[lang]}
            self._chrome[lang] = {name: Markup(self.env.get_template(f"{name.replace('_', '-')}.html").render(**view))
                                  for name in ("search_form", "body_attrs")}
        return self._chrome[lang]

    def base_view(self, lang: str, url: str, title: str, description: str, counterpart: Callable[[str], str],
                  noindex: bool = False) -> dict[str, Any]:
        ui = self.site.ui[lang]
        alternates = [{"hreflang": LANG_TAGS[code], "href": self.abs_url(counterpart(code))} for code in self.langs]
        others = [code for code in self.langs if code != lang]
        return {
            "lang": lang, "html_lang": LANG_TAGS[lang], "ui": ui, "url": url,
            "title": title, "description": description, "noindex": noindex,
            "canonical": self.abs_url(url),
            "alternates": alternates,
            # Readers matching neither language get the bilingual landing page, which lets them choose.
            "x_default": self.abs_url(url_for("landing")),
            "og_locale": OG_LOCALES.get(lang, lang), "og_alternates": [OG_LOCALES.get(c, c) for c in others],
            "switch": (switch := [{"href": counterpart(code), "lang": code, "html_lang": LANG_TAGS[code],
                                   "name": self.site.ui[code]["language_name"]} for code in others]),
            **self.chrome(lang, switch),
            "home": url_for("home", lang), "full": url_for("full", lang),
            "site_name": ui["site_name"], "symbol": self.report.symbol,
            "citation": ui["citation"], "languages": [{"code": c, "html_lang": LANG_TAGS[c],
                                                        "name": self.site.ui[c]["language_name"]} for c in self.langs],
        }

    # -- pages ---------------------------------------------------------------

    def section_pages(self, sections: list[Section], parts: "Parts") -> Iterator[tuple[str, bytes]]:
        """Each section's page in every language and its side-by-side page.

        Their share of the whole-report pages goes to `parts`, so that those
        pages are put together from the shards (shared_pages) without any
        process holding every section's HTML.
        """
        index = {s.id: i for i, s in enumerate(self.order)}
        for section in sections:
            for lang in self.langs:
                yield self.section_page(section, lang, index[section.id])
            rows = self.parallel_rows_html(section)
            yield self.parallel_page(section, rows)
            self.add_parts(section, parts, rows)
        yield from sorted(self.media_files.items())

    def add_parts(self, section: Section, parts: "Parts", rows: str | None = None) -> None:
        """A section's share of the whole-report pages; rows: its side-by-side rows, when already made."""
        for lang in self.langs:
            parts.add(f"full.{lang}", self.full_part(section, lang))
        parts.add("parallel", self.parallel_heading_row(section) + (rows or self.parallel_rows_html(section)))

    def shared_pages(self, parts: "Parts") -> Iterator[tuple[str, bytes | list]]:
        """The pages of no one section; the whole-report pages come as [prefix, part files…, suffix]."""
        yield from self.landing()
        for lang in self.langs:
            yield from self.home(lang)
            yield self.full_page(lang, parts.files(f"full.{lang}"))
            yield self.not_found(lang)
        yield self.parallel_page(None, parts.files("parallel"))
        yield from self.seo_files()
        yield from self.asset_files.items()

    def _render(self, template: str, **view: Any) -> bytes:
        return self.env.get_template(template).render(**view).encode("utf-8")

    def landing(self) -> Iterator[tuple[str, bytes]]:
        lang = self.report.default_language
        view = self.base_view(lang, "/", " / ".join(self.report.text["title"][c] for c in self.langs),
                              self.report.text["summary"][lang][:150], lambda code: url_for("home", code))
        view["x_default"] = self.abs_url("/")
        choices = [{"href": url_for("home", c), "lang": c, "html_lang": LANG_TAGS[c],
                    "name": self.site.ui[c]["language_name"], "title": self.report.text["title"][c],
                    "subtitle": self.report.text["subtitle"][c], "intro": self.site.ui[c]["landing_intro"]}
                   for c in self.langs]
        yield "index.html", self._render("landing.html", page=view, choices=choices)
        yield "404.html", self._render("landing.html", page={**view, "noindex": True}, choices=choices,
                                        not_found=[self.site.ui[c] for c in self.langs])

    def home(self, lang: str) -> Iterator[tuple[str, bytes]]:
        url = url_for("home", lang)
        view = self.base_view(lang, url, self.report.text["title"][lang],
                              _clip(self.report.text["summary"][lang]), lambda code: url_for("home", code))
        yield output_path(url), self._render(
            "home.html", page=view, cover=self.cover(lang), toc=self.toc(lang, None),
            parallel=url_for("full", "parallel"))

    def section_page(self, section: Section, lang: str, index: int) -> tuple[str, bytes]:
        url = url_for(section, lang)
        body = section.bodies[lang]
        title = heading_text(section, lang)
        view = self.base_view(lang, url, title, body.description, lambda code: url_for(section, code))
        crumbs = []
        parent = section.parent
        while parent:
            p = self.by_id[parent]
            crumbs.insert(0, {"href": url_for(p, lang), "text": heading_text(p, lang)})
            parent = p.parent
        prev_s = self.order[index - 1] if index > 0 else None
        next_s = self.order[index + 1] if index + 1 < len(self.order) else None
        return output_path(url), self._render(
            "section.html", page=view, heading=title, section_id=section.id, crumbs=crumbs,
            children=[{"href": url_for(self.by_id[c], lang), "text": heading_text(self.by_id[c], lang)}
                      for c in section.children],
            body=Markup(self.section_body(section, lang, "section")),
            prev={"href": url_for(prev_s, lang), "text": heading_text(prev_s, lang)} if prev_s else None,
            next={"href": url_for(next_s, lang), "text": heading_text(next_s, lang)} if next_s else None,
            parallel=url_for(section, "parallel"), toc=self.toc(lang, section),
        )

    def full_part(self, section: Section, lang: str) -> str:
        """One section on the whole-report page."""
        level = min(section.depth + 1, 6)
        return (f'<section class="part depth-{section.depth}" aria-labelledby="{section.id}">'
                f'<h{level} id="{section.id}">{html.escape(heading_text(section, lang))}</h{level}>'
                + self.section_body(section, lang, "full") + "</section>")

    def full_page(self, lang: str, part_files: list[Path]) -> tuple[str, list]:
        url = url_for("full", lang)
        view = self.base_view(lang, url, self.site.ui[lang]["full_report_title"] + " · " + self.report.text["title"][lang],
                              _clip(self.report.text["summary"][lang]), lambda code: url_for("full", code))
        return output_path(url), self._framed(part_files, "full.html", page=view, cover=self.cover(lang),
                                              toc=Markup(self._full_toc(lang)), parallel=url_for("full", "parallel"))

    def _framed(self, part_files: list[Path], template: str, **view: Any) -> list:
        """[prefix bytes, part files…, suffix bytes]: the page with its body left out, and where the body comes from."""
        page = self._render(template, body=Markup(SENTINEL), rows_html=Markup(SENTINEL), **view)
        prefix, sep, suffix = page.partition(SENTINEL.encode())
        assert sep and SENTINEL.encode() not in suffix, template
        return [prefix, *part_files, suffix]

    def _full_toc(self, lang: str) -> str:
        # The same table of contents, pointing into this page: one pass over it.
        targets = {url_for(s, lang): s.id for s in self.order}
        return re.sub(r'href="([^"]+)"', lambda m: f'href="#{targets[m.group(1)]}"', self.tocs[lang])

    def not_found(self, lang: str) -> tuple[str, bytes]:
        url = url_for("404", lang)
        ui = self.site.ui[lang]
        view = self.base_view(lang, url, ui["not_found_title"], ui["not_found_text"],
                              lambda code: url_for("home", code), noindex=True)
        return output_path(url), self._render("404.html", page=view, toc=self.toc(lang, None))

    def parallel_rows(self, s: Section) -> list[dict[str, Any]]:
        lang = self.report.default_language
        rows = []
        per_lang = {c: dict(self.blocks_html(s, c)) for c in self.langs}
        for key in per_lang[lang]:
            cells = []
            for c in self.langs:
                fragment = self.resolve(per_lang[c].get(key, ""), c, s, "section")
                cells.append({"lang": c, "html_lang": LANG_TAGS[c], "html": Markup(_scope_ids(fragment, c))})
            rows.append({"id": key if ROW_ID.fullmatch(key) else f"{s.id}-{key}", "heading": False, "cells": cells})
        notes = []
        for c in self.langs:
            fn = [(f.label, f.key, f.html) for f in s.bodies[c].parsed.footnotes]  # type: ignore[union-attr]
            notes.append({"lang": c, "html_lang": LANG_TAGS[c],
                          "html": Markup(_scope_ids(self.resolve(self.footnotes_html(fn, c), c, s), c))})
        if any(n["html"] for n in notes):
            rows.append({"id": f"{s.id}-notes", "heading": False, "cells": notes})
        return rows

    def parallel_rows_html(self, s: Section) -> str:
        return self.env.get_template("parallel-rows.html").render(rows=self.parallel_rows(s))

    def parallel_heading_row(self, s: Section) -> str:
        row = {"id": s.id, "heading": True, "level": min(s.depth + 1, 6),
               "cells": [{"lang": c, "html_lang": LANG_TAGS[c], "html": Markup(html.escape(heading_text(s, c)))}
                         for c in self.langs]}
        return self.env.get_template("parallel-rows.html").render(rows=[row])

    def parallel_page(self, section: Section | None, rows: str | list[Path]) -> tuple[str, Any]:
        """One section side by side (rows: its rows' HTML), or the whole report (rows: the part files)."""
        lang = self.report.default_language
        url = url_for(section, "parallel") if section else url_for("full", "parallel")
        title = " / ".join(heading_text(section, c) if section else self.site.ui[c]["full_report_title"]
                           for c in self.langs)
        view = self.base_view(lang, url, title, self.site.ui[lang]["parallel_view"],
                              (lambda code: url_for(section, code)) if section else (lambda code: url_for("full", code)),
                              noindex=True)
        switch_to = {c: (url_for(section, c) if section else url_for("full", c)) for c in self.langs}
        columns = [{"lang": c, "html_lang": LANG_TAGS[c], "name": self.site.ui[c]["language_name"]} for c in self.langs]
        if section is None:
            return output_path(url), self._framed(rows, "parallel.html", page=view, heading=title,  # type: ignore[arg-type]
                                                  section_links=switch_to, columns=columns)
        return output_path(url), self._render("parallel.html", page=view, rows_html=Markup(rows), heading=title,
                                              section_links=switch_to, columns=columns)

    def seo_files(self) -> Iterator[tuple[str, bytes]]:
        entries = [("landing", None)] + [("home", None)] + [(s, None) for s in self.order] + [("full", None)]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
        for target, _ in entries:
            langs = [None] if target == "landing" else list(self.langs)
            for lang in langs:
                loc = self.abs_url(url_for(target, lang))
                lines.append(f"<url><loc>{html.escape(loc)}</loc>")
                if target == "landing":
                    alts = [(LANG_TAGS[c], url_for("home", c)) for c in self.langs] + [("x-default", "/")]
                else:
                    alts = [(LANG_TAGS[c], url_for(target, c)) for c in self.langs] + [("x-default", "/")]
                for tag, href in alts:
                    lines.append(f'<xhtml:link rel="alternate" hreflang="{tag}" href="{html.escape(self.abs_url(href))}"/>')
                lines.append("</url>")
        lines.append("</urlset>")
        yield "sitemap.xml", ("\n".join(lines) + "\n").encode()
        yield "robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {self.report.base_url}/sitemap.xml\n".encode()


def _clip(text: str, limit: int = 155) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _scope_ids(fragment: str, lang: str) -> str:
    """Make ids unique on a page holding both languages: rows keep para-N and fig-N."""

    def ids(m: re.Match[str]) -> str:
        start = m.start()
        if start and (fragment[start - 1].isalnum() or fragment[start - 1] == "_"):
            return m.group(0)  # inside a longer name, such as data-grid="…"
        attr, value = m.group(1), m.group(2)
        if attr == "id" and ROW_ID.fullmatch(value):
            return ""
        return f'{attr}="' + " ".join(f"{v}-{lang}" for v in value.split()) + '"'

    def hrefs(m: re.Match[str]) -> str:
        value = m.group(1)
        return m.group(0) if ROW_ID.fullmatch(value) else f'href="#{value}-{lang}"'

    return LOCAL_HREF.sub(hrefs, ID_ATTR.sub(ids, fragment))


class Parts:
    """Text appended per name to files in a directory: a shard's share of the whole-report pages."""

    def __init__(self, folder: Path, shard: int):
        self.folder = folder
        self.shard = shard
        self._open: dict[str, Any] = {}

    def add(self, name: str, text: str) -> None:
        if name not in self._open:
            self._open[name] = open(self.folder / f"{name}.{self.shard:03d}", "w", encoding="utf-8", newline="")
        self._open[name].write(text)

    def close(self) -> None:
        for f in self._open.values():
            f.close()
        self._open.clear()

    def files(self, name: str) -> list[Path]:
        """Every shard's file of `name`, in shard order: the sections' reading order."""
        return sorted(self.folder.glob(f"{name}.[0-9][0-9][0-9]"))


def template_error(exc: TemplateError, diags: Diagnostics) -> None:
    lineno = getattr(exc, "lineno", None) or 0
    name = getattr(exc, "filename", None) or getattr(exc, "name", None) or "templates"
    diags.error(SourcePos(display_path(name) if name != "templates" else "templates", lineno, 0 if not lineno else 1),
                f"template error: {exc.message if hasattr(exc, 'message') and exc.message else exc}")
