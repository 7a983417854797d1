"""Citations and metadata: part of the render stage.

Input: the report's citation data (report.yaml `citation:`), the pages'
languages and URLs. Output: the citation formatted in each language by
citeproc-py from a CSL style of the theme (citation/<tag>.csl, else
citation/default.csl: the way UN documents are cited), the reference as
BibTeX, RIS and CSL-JSON files, Highwire Press `citation_*` and Dublin
Core tags for every page, and schema.org JSON-LD (a `Report` per language
linked to its translations, its sections as parts).

CSL-JSON is the one record; BibTeX and RIS are written from it, field by
field, because no maintained Python library writes either from CSL.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, Locator, formatter
from citeproc.source.json import CiteProcJSON
from markupsafe import Markup

from .languages import Language
from .model import Section
from .urls import Figure, File, url_for

if TYPE_CHECKING:
    from .render import Context, Output

CSL_LOCALES = Path(str(__import__("citeproc").__file__)).parent / "data" / "locales"


def title(ctx: Context, lang: Language) -> str:
    """The report's title with its subtitle, as a citation gives it."""
    sub = ctx.report.field("subtitle")
    main = ctx.report.title(lang.tag)
    return main + (str(ctx.ui(lang)["title_joiner"]) + sub.text[lang.tag] if sub else "")


def csl_item(ctx: Context, lang: Language) -> dict[str, Any]:
    """The report in one language as a CSL-JSON item."""
    c = ctx.report.citation
    item: dict[str, Any] = {
        "id": f"{ctx.report.id}-{lang.tag}",
        "type": "report",
        "title": title(ctx, lang),
        "author": [{"literal": c.author[lang.tag]}],
        "issued": {"date-parts": [[int(p) for p in c.issued.split("-")]]},
        "language": lang.html,
        "URL": ctx.abs_url(url_for("home", lang)),
    }
    if ctx.report.symbol:
        item["number"] = ctx.report.symbol
    if c.place.get(lang.tag):
        item["publisher-place"] = c.place[lang.tag]
    if c.publisher.get(lang.tag):
        item["publisher"] = c.publisher[lang.tag]
    if c.doi:
        item["DOI"] = c.doi
    if c.isbn:
        item["ISBN"] = c.isbn
    return item


@lru_cache(maxsize=64)
def _style(path: str, locale: str) -> CitationStylesStyle:
    return CitationStylesStyle(path, locale=locale, validate=False)


@lru_cache(maxsize=1)
def _csl_locales() -> frozenset[str]:
    return frozenset(p.name[len("locales-") : -len(".xml")] for p in CSL_LOCALES.glob("locales-*.xml"))


def _csl_locale(lang: Language) -> str:
    names = _csl_locales()
    wanted = lang.og_locale.replace("_", "-")
    for name in (lang.tag, wanted, lang.search):
        if name in names:
            return name
    return next((n for n in sorted(names) if n.split("-")[0] == lang.search), "en-GB")


def formatted(ctx: Context, lang: Language, locator: tuple[str, str] | None = None, html_out: bool = True) -> str:
    """The citation in the page's language, in HTML or plain text; locator: ("paragraph", "49")."""
    style_file = ctx.project.find("templates", f"citation/{lang.tag}.csl") or ctx.project.find(
        "templates", "citation/default.csl"
    )
    assert style_file is not None, "the theme has citation/default.csl"
    style = _style(str(style_file), _csl_locale(lang))
    bib = CitationStylesBibliography(
        style, CiteProcJSON([csl_item(ctx, lang)]), formatter.html if html_out else formatter.plain
    )
    key = f"{ctx.report.id}-{lang.tag}"
    # citeproc-py takes a locator given as None for one that is there: pass it only when there is one.
    citation = Citation([CitationItem(key, locator=Locator(*locator)) if locator else CitationItem(key)])
    bib.register(citation)
    return str(bib.cite(citation, lambda item: None))


def report_view(ctx: Context, lang: Language) -> dict[str, Any]:
    """What the cover's "Cite this report" block shows and offers."""
    files = [
        {"href": url_for(File(f"{ctx.report.id}.{lang.tag}.{ext}", "cite"), lang), "text": name, "type": mime}
        for ext, name, mime in (
            ("bib", "BibTeX", "application/x-bibtex"),
            ("ris", "RIS", "application/x-research-info-systems"),
            ("json", "CSL-JSON", "application/vnd.citationstyles.csl+json"),
        )
    ]
    return {"html": Markup(formatted(ctx, lang)), "text": formatted(ctx, lang, html_out=False), "files": files}


def paragraph_template(ctx: Context, lang: Language) -> str:
    """The citation of a paragraph, with {n} for its number: site.js fills it in and adds the permalink."""
    return formatted(ctx, lang, ("paragraph", "{n}"), html_out=False)


def figure_citation(ctx: Context, lang: Language, number: int) -> str:
    return _figure_template(ctx, lang).replace("{n}", str(number))


@lru_cache(maxsize=16)
def _figure_template(ctx: Context, lang: Language) -> str:
    # Formatted once per language, as the paragraphs' is: citeproc takes 2 ms a citation.
    return formatted(ctx, lang, ("figure", "{n}"), html_out=False)


# ---------------------------------------------------------------- reference files


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    **{c: "\\" + c for c in "&%$#_{}"},
}


def _bibtex_escape(text: str) -> str:
    """Text as LaTeX prints it: each special character escaped, the backslash too, in one pass."""
    return re.sub(r"[\\~^&%$#_{}]", lambda m: _LATEX_SPECIAL[m.group()], text)


def _langid(tag: str) -> str:
    """biblatex's language name (english, chinese, french): the language's English name from CLDR."""
    from babel import Locale

    return str(Locale("en").languages.get(tag.split("-")[0], tag)).lower()


def bibtex(item: dict[str, Any]) -> str:
    fields = [
        ("author", "{" + _bibtex_escape(item["author"][0]["literal"]) + "}"),  # braces: a body, not a person
        ("title", "{" + _bibtex_escape(item["title"]) + "}"),  # braces: styles keep its capitals
        ("institution", _bibtex_escape(item.get("publisher") or item["author"][0]["literal"])),
        ("type", "Report"),
        ("number", _bibtex_escape(item.get("number", ""))),
        ("address", _bibtex_escape(item.get("publisher-place", ""))),
        ("year", str(item["issued"]["date-parts"][0][0])),
        ("langid", _langid(item["language"])),
        ("url", item["URL"]),
        ("doi", item.get("DOI", "")),
        ("isbn", item.get("ISBN", "")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@techreport{{{item['id']},\n{body}\n}}\n"


def ris(item: dict[str, Any]) -> str:
    """RIS as Zotero and EndNote read it: TY RPRT, the issuing body as author, the symbol as report number."""
    lines = [
        ("TY", "RPRT"),
        ("AU", item["author"][0]["literal"]),
        ("TI", item["title"]),
        ("PY", str(item["issued"]["date-parts"][0][0])),
        ("CY", item.get("publisher-place", "")),
        ("PB", item.get("publisher", "")),
        # SN is a report's number in Zotero's RIS import (and ISBN for other types); VL, "volume", becomes a note.
        ("SN", item.get("number") or item.get("ISBN", "")),
        ("DO", item.get("DOI", "")),
        ("LA", item["language"]),
        ("UR", item["URL"]),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines if value or tag == "ER")


def files(ctx: Context) -> Output:
    for lang in ctx.langs:
        item = csl_item(ctx, lang)
        base = f"{lang.path}/cite/{ctx.report.id}.{lang.tag}"
        yield f"{base}.bib", bibtex(item).encode("utf-8")
        yield f"{base}.ris", ris(item).encode("utf-8")
        yield f"{base}.json", (json.dumps([item], ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------- metadata for machines


def page_metadata(
    ctx: Context,
    lang: Language,
    section: Section | None,
    url: str,
    figure: tuple[str, int] | None = None,
    whole: bool = False,
) -> tuple[list[tuple[str, str]], str]:
    """Highwire Press and Dublin Core tags, and the JSON-LD block, of one page; whole: the whole report's page."""
    item = csl_item(ctx, lang)
    c = ctx.report.citation
    home = ctx.abs_url(url_for("home", lang))
    pdf = url_for(File(f"{ctx.report.id}.{lang.tag}.pdf"), lang)
    date = c.issued.replace("-", "/")
    meta = [
        ("citation_title", item["title"]),
        ("citation_author", c.author[lang.tag]),
        ("citation_publication_date", date),
        ("citation_language", lang.html),
        ("citation_abstract_html_url", home),
    ]
    if ctx.report.symbol:
        meta.append(("citation_technical_report_number", ctx.report.symbol))
    meta.append(("citation_technical_report_institution", c.publisher.get(lang.tag) or c.author[lang.tag]))
    if pdf in ctx.products.pdfs:
        meta.append(("citation_pdf_url", ctx.abs_url(pdf)))
    if whole:
        meta.append(("citation_fulltext_html_url", ctx.abs_url(url)))
    if c.doi:
        meta.append(("citation_doi", c.doi))
    if c.isbn:
        meta.append(("citation_isbn", c.isbn))
    meta += [
        ("DC.title", item["title"]),
        ("DC.creator", c.author[lang.tag]),
        ("DC.date", c.issued),
        ("DC.language", lang.html),
        ("DC.type", "Text"),
    ]
    if ctx.report.symbol:
        meta.append(("DC.identifier", ctx.report.symbol))
    return meta, _jsonld(ctx, lang, section, url, figure, whole)


def _report_node(ctx: Context, lang: Language, full: bool) -> dict[str, Any]:
    c = ctx.report.citation
    node: dict[str, Any] = {
        "@type": "Report",
        "@id": ctx.abs_url(url_for("home", lang)) + "#report",
        "name": title(ctx, lang),
        "inLanguage": lang.html,
        "url": ctx.abs_url(url_for("home", lang)),
    }
    if not full:
        return node
    node["author"] = {"@type": "Organization", "name": c.author[lang.tag]}
    node["datePublished"] = c.issued
    if ctx.report.symbol:
        node["reportNumber"] = ctx.report.symbol
    if c.publisher.get(lang.tag):
        node["publisher"] = {"@type": "Organization", "name": c.publisher[lang.tag]}
    if ctx.report.summary.get(lang.tag):
        node["abstract"] = ctx.report.summary[lang.tag]
    if c.licence:
        node["license"] = c.licence
    if c.doi:
        node["identifier"] = f"https://doi.org/{c.doi}"
    if c.isbn:
        node["isbn"] = c.isbn
    source = ctx.report.source
    if lang == source:
        node["workTranslation"] = [_report_node(ctx, o, False) for o in ctx.langs if o != source]
    else:
        node["translationOfWork"] = _report_node(ctx, source, False)
    node["hasPart"] = [
        {"@type": "CreativeWork", "name": ctx.heading(s, lang), "url": ctx.abs_url(url_for(s, lang))}
        for s in ctx.order
        if s.parent is None
    ]
    pdf = url_for(File(f"{ctx.report.id}.{lang.tag}.pdf"), lang)
    if pdf in ctx.products.pdfs:
        node["encoding"] = {"@type": "MediaObject", "contentUrl": ctx.abs_url(pdf), "encodingFormat": "application/pdf"}
    return node


def _jsonld(
    ctx: Context, lang: Language, section: Section | None, url: str, figure: tuple[str, int] | None, whole: bool = False
) -> str:
    if whole:
        # The report's full text: a page whose main entity is the language's Report (described in full on the cover).
        node: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "WebPage",
            "name": title(ctx, lang),
            "url": ctx.abs_url(url),
            "inLanguage": lang.html,
            "mainEntity": _report_node(ctx, lang, False),
        }
    elif figure is not None:
        chart, number = figure
        spec = ctx.site.charts[chart]
        node = {
            "@context": "https://schema.org",
            "@type": "ImageObject",
            "url": ctx.abs_url(url),
            "name": f"{ctx.ui(lang)['figure'].format(n=number)} {spec.title[lang.tag]}",
            "caption": spec.caption[lang.tag],
            "inLanguage": lang.html,
            "contentUrl": ctx.abs_url(url + f"{chart}.{lang.tag}.svg"),
            "isPartOf": _report_node(ctx, lang, False),
        }
    elif section is not None:
        node = {
            "@context": "https://schema.org",
            "@type": "CreativeWork",
            "name": ctx.heading(section, lang),
            "url": ctx.abs_url(url),
            "inLanguage": lang.html,
            "isPartOf": _report_node(ctx, lang, False),
        }
    else:
        node = {"@context": "https://schema.org", **_report_node(ctx, lang, True)}
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    # In a <script> data block nothing may close the element: "</" is written as "<\/", which JSON reads the same.
    return text.replace("</", "<\\/")


def meta_html(meta: list[tuple[str, str]]) -> str:
    return "".join(f'<meta name="{html.escape(n)}" content="{html.escape(v)}">\n' for n, v in meta)


__all__ = ["formatted", "report_view", "files", "page_metadata", "figure_citation", "Figure"]
