"""Page kinds: the registry the render stage runs, one entry per kind of output.

Input: a render `Context`. Output: each kind's files as (path, bytes). A
kind is one function here: which pages it makes (its URLs, from
urls.url_for), the view each gets, and its template. Adding a kind of page
(a figure page, a citation file) is adding an entry to KINDS.

Kinds that depend on one section (`section_pages`) are separate from those
that need every section (the whole report), so that the preview can remake
only what an edit touched.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

from . import charts, cite
from .cards import Card
from .languages import Language
from .model import Section
from .render import Context, Output, clip
from .urls import Figure, File, Pair, output_path, url_for


def landing(ctx: Context) -> Output:
    report = ctx.report
    lang = report.source
    view = ctx.base_view(
        lang,
        "/",
        " / ".join(report.title(o.tag) for o in ctx.langs),
        clip(report.summary.get(lang.tag) or report.title(lang.tag), 150),
        lambda o: url_for("home", o),
    )
    choices = [
        {
            "href": url_for("home", o),
            "lang": o.tag,
            "html_lang": o.html,
            "dir": o.dir,
            "script": o.script,
            "name": o.name,
            "title": report.title(o.tag),
            "subtitle": report.field("subtitle").text[o.tag] if report.field("subtitle") else "",  # type: ignore[union-attr]
            "intro": ctx.ui(o)["landing_intro"],
            "not_found": ctx.ui(o)["not_found_title"],
        }
        for o in ctx.langs
    ]
    yield "index.html", ctx.render("landing.html", page=view, choices=choices, not_found=False)
    yield "404.html", ctx.render("landing.html", page={**view, "noindex": True}, choices=choices, not_found=True)


def home(ctx: Context) -> Output:
    for lang in ctx.langs:
        url = url_for("home", lang)
        meta, jsonld = cite.page_metadata(ctx, lang, None, url)
        view = ctx.base_view(
            lang,
            url,
            ctx.report.title(lang.tag),
            clip(ctx.report.summary.get(lang.tag) or ctx.report.title(lang.tag)),
            lambda o: url_for("home", o),
            meta=meta,
            jsonld=jsonld,
        )
        figures = [
            {
                "href": url_for(Figure(chart), lang),
                "label": ctx.ui(lang)["figure"].format(n=n),
                "title": ctx.site.charts[chart].title[lang.tag],
            }
            for chart, n in ctx.refs.figures.items()
        ]
        yield (
            output_path(url),
            ctx.render(
                "home.html",
                page=view,
                cover=ctx.cover(lang),
                toc=ctx.toc(lang, None),
                parallel=_parallel_links(ctx, lang, None),
                figures=figures,
                citation=cite.report_view(ctx, lang),
            ),
        )


def _pair_for(ctx: Context, lang: Language, other: Language | None = None) -> Pair:
    """The side-by-side view a reader of `lang` gets first: the source and their language."""
    want = {lang.tag, (other or (ctx.report.source if lang != ctx.report.source else ctx.langs[1])).tag}
    return next(p for p in ctx.pairs if {p.a.tag, p.b.tag} == want)


@dataclass
class Parts:
    """What the whole-report pages repeat of each section, in reading order, made with the section's
    own pages: the side-by-side rows are the same HTML in both, so they are rendered once."""

    full: dict[str, list[str]] = field(default_factory=dict)  # language tag -> each section's part
    parallel: dict[str, list[str]] = field(default_factory=dict)  # pair key -> each section's rows

    def extend(self, other: Parts) -> None:
        for mine, theirs in ((self.full, other.full), (self.parallel, other.parallel)):
            for key, items in theirs.items():
                mine.setdefault(key, []).extend(items)


def section_pages(ctx: Context, section: Section, parts: Parts | None = None) -> Output:
    """One section's page in every language and its side-by-side pages; its share of `parts`."""
    index = ctx.index[section.id]
    for lang in ctx.langs:
        yield section_page(ctx, section, lang, index)
        if parts is not None:
            parts.full.setdefault(lang.tag, []).append(full_part(ctx, section, lang))
    for pair in ctx.pairs:
        rows = ctx.parallel_rows(section, pair)
        if parts is not None:
            parts.parallel.setdefault(pair.key, []).append(ctx.parallel_heading_row(section, pair) + rows)
        yield parallel_page(ctx, section, pair, rows)


def full_part(ctx: Context, section: Section, lang: Language) -> str:
    """A section as the whole-report page shows it: its heading and text."""
    level = min(section.depth + 1, 6)
    return (
        f'<section class="part depth-{section.depth}" aria-labelledby="{section.id}">'
        f'<h{level} id="{section.id}">{html.escape(ctx.heading(section, lang))}</h{level}>'
        + ctx.section_body(section, lang, "full")
        + "</section>"
    )


def card_url(section: Section, lang: Language) -> str:
    """The section page's title card, shown when the page is shared."""
    return url_for(section, lang) + "card.png"


def cards(ctx: Context) -> list[Card]:
    """Every title card to draw, in every language."""
    from . import cards as card_stage

    out: list[Card] = []
    fallback = ctx.project.find("assets", card_stage.FALLBACK_FONT)
    for lang in ctx.langs:
        font = ctx.project.find("assets", card_stage.font_for(lang.script))
        assert font is not None and fallback is not None, "the theme has the title cards' fonts"
        fonts = (font, fallback) if fallback != font else (font,)
        site, symbol = ctx.report.site_name[lang.tag], ctx.report.symbol
        headings = [ctx.heading(section, lang) for section in ctx.order]
        extra = card_stage.missing(fonts, [*headings, site, symbol, " · "])
        for section, heading in zip(ctx.order, headings):
            path = card_url(section, lang).lstrip("/")
            accent = ctx.report.accent or "#0b5cad"
            out.append(Card(path, heading, site, symbol, fonts, extra, lang.rtl, lang.search, accent))
    return out


def section_page(ctx: Context, section: Section, lang: Language, index: int) -> tuple[str, bytes]:
    url = url_for(section, lang)
    body = section.bodies[lang.tag]
    title = ctx.heading(section, lang)
    meta, jsonld = cite.page_metadata(ctx, lang, section, url)
    view = ctx.base_view(lang, url, title, body.description, lambda o: url_for(section, o), meta=meta, jsonld=jsonld)
    view["og_image"] = ctx.abs_url(card_url(section, lang))
    crumbs: list[dict[str, str]] = []
    parent = section.parent
    while parent:
        p = ctx.by_id[parent]
        crumbs.insert(0, {"href": url_for(p, lang), "text": ctx.heading(p, lang)})
        parent = p.parent
    prev_s = ctx.order[index - 1] if index > 0 else None
    next_s = ctx.order[index + 1] if index + 1 < len(ctx.order) else None
    return output_path(url), ctx.render(
        "section.html",
        page=view,
        heading=title,
        section_id=section.id,
        crumbs=crumbs,
        children=[
            {"href": url_for(ctx.by_id[c], lang), "text": ctx.heading(ctx.by_id[c], lang)} for c in section.children
        ],
        body=Markup(ctx.section_body(section, lang, "section")),
        prev={"href": url_for(prev_s, lang), "text": ctx.heading(prev_s, lang)} if prev_s else None,
        next={"href": url_for(next_s, lang), "text": ctx.heading(next_s, lang)} if next_s else None,
        parallel=_parallel_links(ctx, lang, section),
        toc=ctx.toc(lang, section),
    )


def _parallel_links(ctx: Context, lang: Language, section: Section | None) -> list[dict[str, str]]:
    """The side-by-side views a reader of `lang` can open: their language beside each other one."""
    out = []
    for other in ctx.langs:
        if other == lang:
            continue
        pair = _pair_for(ctx, lang, other)
        href = url_for(section, pair) if section else url_for("full", pair)
        text = ctx.ui(lang)["parallel_with"].format(language=ctx.language_name(other, lang))
        out.append({"href": href, "text": text})
    return out


def full(ctx: Context, parts: Parts | None = None) -> Output:
    """The whole report in each language, from the sections' parts (made here without them)."""
    for lang in ctx.langs:
        url = url_for("full", lang)
        made = parts.full[lang.tag] if parts is not None else [full_part(ctx, s, lang) for s in ctx.order]
        meta, jsonld = cite.page_metadata(ctx, lang, None, url, whole=True)
        view = ctx.base_view(
            lang,
            url,
            ctx.ui(lang)["full_report_title"] + " · " + ctx.report.title(lang.tag),
            clip(ctx.report.summary.get(lang.tag) or ctx.report.title(lang.tag)),
            lambda o: url_for("full", o),
            meta=meta,
            jsonld=jsonld,
        )
        yield (
            output_path(url),
            ctx.render(
                "full.html",
                page=view,
                cover=ctx.cover(lang),
                toc=ctx.full_toc(lang),
                body=Markup("".join(made)),
                parallel=_parallel_links(ctx, lang, None),
            ),
        )


def parallel_page(ctx: Context, section: Section | None, pair: Pair, rows: str | None = None) -> tuple[str, bytes]:
    """One section side by side, or the whole report (section None)."""
    lang = pair.a
    url = url_for(section, pair) if section else url_for("full", pair)
    names = [ctx.heading(section, o) if section else ctx.ui(o)["full_report_title"] for o in (pair.a, pair.b)]

    def counterpart(o: Language) -> str:
        return url_for(section, o) if section else url_for("full", o)

    view = ctx.base_view(lang, url, " / ".join(names), ctx.ui(lang)["parallel_view"], counterpart, noindex=True)
    columns = [
        {
            "lang": o.tag,
            "html_lang": o.html,
            "dir": o.dir,
            "script": o.script,
            "name": o.name,
            "heading": name,
            "href": counterpart(o),
        }
        for o, name in zip((pair.a, pair.b), names)
    ]
    if rows is None:
        if section is not None:
            rows = ctx.parallel_rows(section, pair)
        else:
            rows = "".join(ctx.parallel_heading_row(s, pair) + ctx.parallel_rows(s, pair) for s in ctx.order)
    choices = [
        {
            "href": url_for(section, p) if section else url_for("full", p),
            "text": f"{p.a.name} · {p.b.name}",
            "current": p == pair,
        }
        for p in ctx.pairs
    ]
    pdf = url_for(File(f"{ctx.report.id}.{pair.key}.pdf"), pair)
    return output_path(url), ctx.render(
        "parallel.html",
        page=view,
        columns=columns,
        rows_html=Markup(rows),
        choices=choices if len(ctx.pairs) > 1 else [],
        parallel_pdf={"href": pdf, "size": ctx.pdf_size(pdf, lang)} if pdf in ctx.products.pdfs else None,
    )


def parallel_full(ctx: Context, parts: Parts | None = None) -> Output:
    for pair in ctx.pairs:
        yield parallel_page(ctx, None, pair, "".join(parts.parallel[pair.key]) if parts is not None else None)


def not_found(ctx: Context) -> Output:
    for lang in ctx.langs:
        url = url_for("404", lang)
        ui = ctx.ui(lang)
        view = ctx.base_view(
            lang, url, ui["not_found_title"], ui["not_found_text"], lambda o: url_for("home", o), noindex=True
        )
        yield output_path(url), ctx.render("404.html", page=view, toc=ctx.toc(lang, None))


def _figure_links(ctx: Context, chart_id: str, lang: Language) -> dict[str, str]:
    url = url_for(Figure(chart_id), lang)
    stem = f"{chart_id}.{lang.tag}"
    return {kind: url + f"{stem}.{kind}" for kind in ("svg", "png", "csv", "json")}


def figures(ctx: Context) -> Output:
    """A page per figure and language: the chart, its data, its sources, its citation, its downloads."""
    for chart_id, number in ctx.refs.figures.items():
        spec = ctx.site.charts[chart_id]
        section = ctx.by_id[ctx.refs.figure_section[chart_id]]
        for lang in ctx.langs:
            url = url_for(Figure(chart_id), lang)
            ui = ctx.ui(lang)
            links = _figure_links(ctx, chart_id, lang)
            meta, jsonld = cite.page_metadata(ctx, lang, section, url, figure=(chart_id, number))
            title = f"{ui['figure'].format(n=number)} {spec.title[lang.tag]}"
            view = ctx.base_view(
                lang,
                url,
                title,
                clip(spec.caption[lang.tag]),
                lambda o, chart=chart_id: url_for(Figure(chart), o),  # type: ignore[misc]
                meta=meta,
                jsonld=jsonld,
            )
            view["og_image"] = ctx.abs_url(links["png"])
            yield (
                output_path(url),
                ctx.render(
                    "figure-page.html",
                    page=view,
                    heading=title,
                    figure=Markup(ctx.figure(chart_id, lang, "page")),
                    section={"href": url_for(section, lang) + f"#fig-{number}", "text": ctx.heading(section, lang)},
                    downloads=[
                        {"href": links[k], "text": ui[f"download_{k}"], "kind": k}
                        for k in ("svg", "png", "csv", "json")
                    ],
                    citation=cite.figure_citation(ctx, lang, number),
                    toc=ctx.toc(lang, section, mark=False),
                ),
            )


def figure_files(ctx: Context) -> Output:
    """Each figure's downloads at stable names: the SVG, a PNG for print, the CSV and the JSON of its data."""
    for chart_id, number in ctx.refs.figures.items():
        spec = ctx.site.charts[chart_id]
        section = ctx.by_id[ctx.refs.figure_section[chart_id]]
        for lang in ctx.langs:
            drawn = ctx.products.chart_images[(chart_id, lang.tag)]
            chart_lang = ctx.chart_language(lang)
            links = _figure_links(ctx, chart_id, lang)
            page = url_for(Figure(chart_id), lang)
            absolute = {k: ctx.abs_url(v) for k, v in links.items()}
            absolute |= {"page": ctx.abs_url(page), "figure": ctx.abs_url(url_for(section, lang) + f"#fig-{number}")}
            yield links["svg"].lstrip("/"), drawn["light"]
            yield links["png"].lstrip("/"), drawn["png"]
            yield links["csv"].lstrip("/"), charts.csv_data(spec, chart_lang, ctx.ui(lang)["unit_heading"])
            yield (
                links["json"].lstrip("/"),
                charts.metadata(
                    spec,
                    chart_lang,
                    number,
                    absolute,
                    ctx.report.citation.licence,
                    cite.figure_citation(ctx, lang, number),
                ),
            )
        for lang in ctx.langs:
            light, dark = charts.image_names(chart_id, lang.tag, ctx.products.chart_keys[(chart_id, lang.tag)])
            drawn = ctx.products.chart_images[(chart_id, lang.tag)]
            yield light, drawn["light"]
            yield dark, drawn["dark"]


def seo(ctx: Context) -> Output:
    """sitemap.xml with every page and its alternates, robots.txt."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]

    def entry(loc: str, alternates: list[tuple[str, str]]) -> None:
        lines.append(f"<url><loc>{html.escape(ctx.abs_url(loc))}</loc>")
        for tag, href in alternates + [("x-default", "/")]:
            lines.append(f'<xhtml:link rel="alternate" hreflang="{tag}" href="{html.escape(ctx.abs_url(href))}"/>')
        lines.append("</url>")

    entry("/", [(o.html, url_for("home", o)) for o in ctx.langs])
    targets: list[Callable[[Language], str]] = [lambda o: url_for("home", o)]
    targets += [lambda o, s=s: url_for(s, o) for s in ctx.order]  # type: ignore[misc]
    targets += [lambda o: url_for("full", o)]
    targets += [lambda o, c=c: url_for(Figure(c), o) for c in ctx.refs.figures]  # type: ignore[misc]
    targets += [lambda o: url_for(File(f"{ctx.report.id}.{o.tag}.pdf"), o)] if ctx.products.pdfs else []
    for make in targets:
        for lang in ctx.langs:
            entry(make(lang), [(o.html, make(o)) for o in ctx.langs])
    lines.append("</urlset>")
    yield "sitemap.xml", ("\n".join(lines) + "\n").encode()
    yield "robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {ctx.report.base_url}/sitemap.xml\n".encode()


def assets(ctx: Context) -> Output:
    yield from ctx.asset_files.items()


def citations(ctx: Context) -> Output:
    yield from cite.files(ctx)


# The pages of no one section, in the order they are made. The section pages come from section_pages.
KINDS: list[Callable[[Context], Output]] = [
    landing,
    home,
    not_found,
    figures,
    citations,
    seo,
    assets,
]
# The pages that hold every section: made from the parts the section pages leave (Parts).
WHOLE_KINDS: list[Callable[[Context, Parts | None], Output]] = [full, parallel_full]
# What needs the charts' drawings: written once the drawing process is done.
DRAWN_KINDS: list[Callable[[Context], Output]] = [figure_files]


def render_all(ctx: Context) -> Iterator[tuple[str, bytes]]:
    """Every page of the site: each section's pages, then the pages of no one section, then their images."""
    parts = Parts()
    yield from render_sections(ctx, ctx.order, parts)
    yield from render_others(ctx)
    yield from render_whole(ctx, parts)


def render_sections(ctx: Context, sections: Iterable[Section], parts: Parts) -> Iterator[tuple[str, bytes]]:
    for section in sections:
        yield from section_pages(ctx, section, parts)


def render_others(ctx: Context) -> Iterator[tuple[str, bytes]]:
    """The pages of no one section, then the images the content holds."""
    for kind in KINDS:
        yield from kind(ctx)
    yield from sorted(ctx.media.items())


def render_whole(ctx: Context, parts: Parts) -> Iterator[tuple[str, bytes]]:
    for kind in WHOLE_KINDS:
        yield from kind(ctx, parts)


def render_drawn(ctx: Context) -> Iterator[tuple[str, bytes]]:
    for kind in DRAWN_KINDS:
        yield from kind(ctx)
