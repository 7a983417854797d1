"""The built site under netlify.toml's Content-Security-Policy:

    default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:;
    style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self';
    form-action 'self'; frame-ancestors 'none'

No page may rely on what that policy blocks: inline scripts, inline styles
(elements or attributes), event-handler attributes, javascript: URLs, or a
resource from another origin. Pages are read with tests/htmldom.py.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from htmldom import Element, parse

# Attributes whose value is a URL (HTML and SVG).
URL_ATTRS = {"href", "src", "action", "formaction", "poster", "cite", "data", "background", "manifest",
             "xlink:href", "srcset", "imagesrcset", "ping"}
# <link rel> values that fetch nothing, so CSP has nothing to say about their href.
NON_FETCHING_RELS = {"canonical", "alternate", "author", "license", "help", "next", "prev", "search", "bookmark"}
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20]+")


def _is_javascript_url(value: str) -> bool:
    return CONTROL_OR_SPACE.sub("", value).lower().startswith("javascript:")


def _same_origin(url: str, allow_data: bool = False) -> bool:
    """Relative or site-absolute; a scheme or a host (//host) would be another origin."""
    url = url.strip()
    if not url or url.startswith("//") or url.startswith("\\"):
        return False
    parts = urlsplit(url)
    if parts.scheme:
        return allow_data and parts.scheme.lower() == "data"
    return not parts.netloc


def _srcset_urls(value: str) -> list[str]:
    return [candidate.strip().split()[0] for candidate in value.split(",") if candidate.strip()]


def _where(el: Element) -> str:
    attrs = " ".join(f'{k}="{v}"' if v is not None else k for k, v in el.attrs.items())
    return f"<{el.tag}{' ' + attrs if attrs else ''}>"


def csp_problems(doc: Element) -> list[str]:
    """What the site's policy would block on one page (or what it forbids outright)."""
    problems = []
    for el in doc.iter():
        if el.tag == "#document":
            continue
        for name, value in el.attrs.items():
            if name.startswith("on"):
                problems.append(f"event handler attribute {name}: {_where(el)}")
            if name == "style":
                problems.append(f"style attribute (style-src 'self' blocks it): {_where(el)}")
            if name in URL_ATTRS and value and _is_javascript_url(value):
                problems.append(f"javascript: URL: {_where(el)}")
        if el.tag == "style":
            problems.append(f"<style> element (style-src 'self' blocks it): {el.text()[:80]!r}")
        elif el.tag == "script" and el.get("type") == "application/ld+json":
            # A data block: browsers never run it, so script-src has nothing to block. It must be JSON
            # and must not close its element early.
            try:
                json.loads(el.text())
            except ValueError:
                problems.append(f"JSON-LD block that is not JSON: {el.text()[:80]!r}")
        elif el.tag == "script":
            if el.text().strip():
                problems.append(f"inline script (script-src 'self' blocks it): {el.text().strip()[:80]!r}")
            if el.get("src") is not None and not _same_origin(el.get("src") or ""):
                problems.append(f"script from another origin: {_where(el)}")
        elif el.tag == "link":
            rels = set((el.get("rel") or "").lower().split())
            if rels - NON_FETCHING_RELS and not _same_origin(el.get("href") or ""):
                problems.append(f"link fetches from another origin: {_where(el)}")
            for url in _srcset_urls(el.get("imagesrcset") or ""):
                if not _same_origin(url, allow_data=True):
                    problems.append(f"link imagesrcset from another origin: {_where(el)}")
        elif el.tag in ("img", "source", "video", "audio", "track", "input"):
            for attr in ("src", "poster"):
                if el.get(attr) is not None and not _same_origin(el.get(attr) or "", allow_data=True):
                    problems.append(f"{attr} from another origin: {_where(el)}")
            for url in _srcset_urls(el.get("srcset") or ""):
                if not _same_origin(url, allow_data=True):
                    problems.append(f"srcset from another origin: {_where(el)}")
        elif el.tag in ("object", "embed", "applet"):
            problems.append(f"<{el.tag}> (object-src 'none'): {_where(el)}")
        elif el.tag in ("iframe", "frame"):
            if not _same_origin(el.get("src") or ""):
                problems.append(f"frame from another origin: {_where(el)}")
        elif el.tag == "form":
            if el.get("action") and not _same_origin(el.get("action") or ""):
                problems.append(f"form posts to another origin (form-action 'self'): {_where(el)}")
        elif el.tag == "base":
            if el.get("href") and not _same_origin(el.get("href") or ""):
                problems.append(f"<base> to another origin (base-uri 'self'): {_where(el)}")
        elif el.tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"meta refresh: {_where(el)}")
    return problems


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# --------------------------------------------------------------- the checker


@pytest.mark.parametrize("html, expected", [
    ("<script>alert(1)</script>", "inline script"),
    ('<p style="color:red">x</p>', "style attribute"),
    ("<style>p{color:red}</style>", "<style> element"),
    ('<a href=" javascript:alert(1)">x</a>', "javascript: URL"),
    ('<a href="JaVa\tScript:alert(1)">x</a>', "javascript: URL"),
    ('<button onclick="go()">x</button>', "event handler attribute onclick"),
    ('<script src="https://cdn.example.org/x.js"></script>', "script from another origin"),
    ('<script src="//cdn.example.org/x.js"></script>', "script from another origin"),
    ('<link rel="stylesheet" href="https://fonts.example.org/a.css">', "link fetches from another origin"),
    ('<link rel="preload" as="font" href="//fonts.example.org/a.woff2">', "link fetches from another origin"),
    ('<img src="https://example.org/a.png" alt="">', "src from another origin"),
    ('<picture><source srcset="/a.svg 1x, https://example.org/b.svg 2x"></picture>', "srcset from another origin"),
    ('<object data="/a.swf"></object>', "<object>"),
    ('<iframe src="https://example.org/"></iframe>', "frame from another origin"),
    ('<form action="https://example.org/search"></form>', "form posts to another origin"),
    ('<svg><rect style="fill:red"/></svg>', "style attribute"),
])
def test_checker_finds_violations(html, expected):
    problems = csp_problems(parse(html))
    assert any(p.startswith(expected) for p in problems), problems


def test_checker_accepts_what_the_policy_allows():
    html = """<!doctype html><html lang="en"><head>
<link rel="canonical" href="https://example.org/en/"><link rel="alternate" hreflang="zh" href="https://example.org/zh/">
<link rel="stylesheet" href="/assets/site.0123456789.css"><link rel="icon" href="/assets/favicon.0123456789.svg">
<script src="/assets/site.0123456789.js" defer></script><script type="module" src="../a.js"></script></head>
<body><a href="https://example.org/">out</a><img src="data:image/png;base64,AAAA" alt="">
<picture><source srcset="/charts/a.dark.0123abcd.svg" media="(prefers-color-scheme: dark)"><img src="/charts/a.0123abcd.svg" alt=""></picture>
<form role="search"><input name="q"></form></body></html>"""
    assert csp_problems(parse(html)) == []


# --------------------------------------------------------------- the real site


def test_no_page_needs_what_the_policy_blocks(built_site):
    pages = _pages(built_site)
    assert len(pages) > 50
    problems = {str(p.relative_to(built_site)): csp_problems(parse(p.read_text(encoding="utf-8"))) for p in pages}
    assert not {page: found for page, found in problems.items() if found}


def test_pages_load_same_origin_resources_only(built_site):
    """Not vacuous: every page loads the stylesheet and favicon, section pages the script,
    and charts are images; all of them site-absolute."""
    scripts = links = images = 0
    for page in _pages(built_site):
        doc = parse(page.read_text(encoding="utf-8"))
        for el in doc.find_all("script"):
            if el.get("type") == "application/ld+json":
                continue
            scripts += 1
            assert (el.get("src") or "").startswith("/assets/"), (page, _where(el))
        for el in doc.find_all("link"):
            if set((el.get("rel") or "").split()) - NON_FETCHING_RELS:
                links += 1
                assert (el.get("href") or "").startswith("/assets/"), (page, _where(el))
        for el in doc.find_all("img") + doc.find_all("source"):
            images += 1
            for url in [el.get("src")] + _srcset_urls(el.get("srcset") or ""):
                if url is not None:
                    assert url.startswith("/charts/") or url.startswith("/assets/"), (page, _where(el))
    assert scripts > 50 and links > 100 and images > 0


def test_search_module_and_index_are_same_origin(built_site):
    """The search form names its module; the module loads Pagefind from /pagefind/ (script-src 'self')."""
    doc = parse((built_site / "en" / "index.html").read_text(encoding="utf-8"))
    form = doc.find("form", role="search")
    assert form is not None and form.get("action") is None  # form-action: submits to itself
    module = form.get("data-search-module")
    assert module and module.startswith("/assets/") and (built_site / module.lstrip("/")).is_file()
    assert (built_site / "pagefind" / "pagefind.js").is_file()


def test_scripts_do_not_build_inline_code_or_styles(built_site):
    """What script-src and style-src would refuse at run time: eval and friends, style attributes
    set from markup. (Setting el.style.* through the CSSOM is allowed by CSP.)"""
    forbidden = re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|setAttribute\(\s*['\"]style['\"]|"
                           r"\.cssText\s*=|document\.write\s*\(|setTimeout\(\s*['\"`]|setInterval\(\s*['\"`]")
    found = {}
    for js in sorted((built_site / "assets").glob("*.js")):
        hits = [m.group(0) for m in forbidden.finditer(js.read_text(encoding="utf-8"))]
        if hits:
            found[js.name] = hits
    assert not found


def test_css_loads_nothing_from_elsewhere(built_site):
    css_url = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)")
    for css in sorted((built_site / "assets").glob("*.css")):
        for m in css_url.finditer(css.read_text(encoding="utf-8")):
            url = m.group(1) or m.group(2)
            assert _same_origin(url, allow_data=url.startswith("data:image/")), (css.name, url)


def _svgs(site: Path) -> list[Path]:
    return sorted(site.glob("charts/*.svg")) + sorted(site.glob("assets/*.svg"))


def test_svg_images_carry_no_script(built_site):
    svgs = _svgs(built_site)
    assert len(svgs) >= 8
    for svg in svgs:
        for el in ET.parse(svg).iter():
            tag = el.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject", "iframe", "embed", "object"), (svg.name, tag)
            for name, value in el.attrib.items():
                local = name.rsplit("}", 1)[-1]
                assert not local.lower().startswith("on"), (svg.name, tag, name)
                if local == "href":
                    assert not _is_javascript_url(value), (svg.name, value)
                    assert value.startswith("#") or _same_origin(value, allow_data=True), (svg.name, value)


def _inline_styles(svg: Path) -> list[str]:
    found = []
    for el in ET.parse(svg).iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "style":
            found.append("<style>")
        if "style" in el.attrib:
            found.append(f'<{tag} style="{el.attrib["style"]}">')
    return found


# Opened on its own (e.g. "open image in new tab"), an SVG is a document served under
# style-src 'self': an inline style in it would be blocked and the chart drawn black.
def test_chart_svgs_render_under_the_policy_when_opened_directly(built_site):
    found = {svg.name: _inline_styles(svg)[:3] for svg in _svgs(built_site)}
    assert not {name: styles for name, styles in found.items() if styles}
