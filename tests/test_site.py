"""End to end: the real report built once, every page parsed and checked
for what a reader relies on: languages, hreflang pairs, the switcher, links
and fragments, numbered paragraphs, footnotes, hierarchy, navigation."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from htmldom import Element, site_pages

BASE = "https://hsp-ha-1-2.netlify.app"
LANGS = {"zh": "zh-Hans", "en": "en"}


@pytest.fixture(scope="module")
def pages(built_site: Path) -> dict[str, Element]:
    """URL path -> parsed page, for every HTML file."""
    return site_pages(built_site)


def lang_pages(pages: dict[str, Element]) -> dict[str, Element]:
    return {u: p for u, p in pages.items() if re.match(r"/(zh|en)/", u) and not u.endswith("404.html")}


def test_every_language_page_has_its_lang(pages):
    for url, page in pages.items():
        html = page.find("html")
        if url.startswith(("/zh/", "/en/")):
            assert html.get("lang") == LANGS[url[1:3]], url
        else:
            assert html.get("lang") in LANGS.values(), url


def test_hreflang_pairs_are_complete_and_reciprocal(pages):
    for url, page in lang_pages(pages).items():
        alts = {link.get("hreflang"): link.get("href") for link in page.find_all("link", rel="alternate")}
        assert set(alts) == {"zh-Hans", "en", "x-default"}, url
        assert alts[LANGS[url[1:3]]] == BASE + url, url
        assert alts["x-default"] == BASE + "/"
        for tag, href in alts.items():
            assert href.startswith(BASE), (url, href)
            if tag == "x-default":
                continue
            target = pages[href[len(BASE):]]
            back = {link.get("hreflang"): link.get("href") for link in target.find_all("link", rel="alternate")}
            assert back[LANGS[url[1:3]]] == BASE + url, (url, tag)
        assert page.find("link", rel="canonical").get("href") == BASE + url


def test_switcher_links_to_the_counterpart(pages):
    for url, page in lang_pages(pages).items():
        switch = page.find("nav", class_="lang-switch")
        links = switch.find_all("a")
        other = "en" if url.startswith("/zh/") else "zh"
        assert [a.get("href") for a in links] == ["/" + other + url[3:]], url
        assert links[0].get("lang") == LANGS[other]


def _resolve(url: str, href: str) -> tuple[str, str]:
    parts = urlsplit(href)
    path = parts.path or url
    if not path.startswith("/"):
        path = url.rsplit("/", 1)[0] + "/" + path
    return path, unquote(parts.fragment)


def test_no_broken_internal_link_or_fragment(pages, built_site):
    ids = {url: {el.get("id") for el in page.iter() if el.get("id")} for url, page in pages.items()}
    broken = []
    for url, page in pages.items():
        for el in page.iter():
            for attr in ("href", "src", "srcset"):
                value = el.get(attr)
                if not value or value.startswith(("http:", "https:", "mailto:", "data:")):
                    continue
                path, fragment = _resolve(url, value)
                if path.endswith("/"):
                    exists = path in pages
                else:
                    exists = (built_site / path.lstrip("/")).is_file()
                if not exists or fragment and path in ids and fragment not in ids[path]:
                    broken.append((url, value))
    assert broken == []


def test_numbered_paragraphs_with_permalinks(pages):
    for lang in LANGS:
        found = {}
        for url, page in pages.items():
            if not url.startswith(f"/{lang}/") or url.endswith(("full/", "404.html")):
                continue
            for para in page.by_class("para"):
                n = int(para.get("id")[5:])
                assert n not in found, (n, url, found.get(n))
                found[n] = url
                number = para.by_class("pnum")[0]
                assert number.get("href") == f"#para-{n}" and number.text() == f"{n}."
        assert sorted(found) == list(range(1, 93)), lang
        full = [int(p.get("id")[5:]) for p in pages[f"/{lang}/full/"].by_class("para")]
        assert full == list(range(1, 93))


def test_paragraph_ids_match_across_languages(pages):
    def ids(page):
        return [el.get("id") for el in page.iter() if el.get("id", "").startswith(("para-", "fig-", "fn-"))]

    for url, page in pages.items():
        if url.startswith("/zh/") and not url.endswith("404.html"):
            assert ids(page) == ids(pages["/en/" + url[4:]]), url


def test_sub_items_a_to_g_inside_paragraph_6(pages):
    for lang in LANGS:
        para = pages[f"/{lang}/internal-change/"].find(id="para-6")
        items = [li.text()[:3] for li in para.find("ol", class_="items").find_all("li")]
        assert items == [f"({c})" for c in "abcdefg"]


def test_footnote_1_links_both_ways(pages):
    for lang in LANGS:
        page = pages[f"/{lang}/restructuring/"]
        ref = page.find(id="para-8").find("a", id="fnref-1")
        assert ref.get("href") == "#fn-1" and ref.text() == "1"
        note = page.find(id="fn-1")
        assert note.find("a", class_="fn-back").get("href") == "#fnref-1"
        home = pages[f"/{lang}/"]
        assert home.find("a", id="fnref-star").get("href") == "#fn-star"
        assert home.find(id="fn-star").find("a", class_="fn-back").get("href") == "#fnref-star"


def test_hierarchy_in_contents_and_breadcrumbs(pages):
    home = pages["/zh/"]
    toc = home.find("nav", class_="home-toc").find("ol")
    chapters = [li.find("a").text() for li in toc.children if isinstance(li, Element) and li.tag == "li"]
    assert chapters == ["一、导言", "二、与战略计划、工作方案和预算有关的各项决议的执行情况", "三、其他决议的执行情况", "四、结论"]
    en_toc = pages["/en/"].find("nav", class_="home-toc").find("ol")
    en_chapters = [li.find("a").text()[:4] for li in en_toc.children if isinstance(li, Element) and li.tag == "li"]
    assert en_chapters == ["I. I", "II. ", "III.", "IV. "]
    regular = pages["/zh/regular-budget/"]
    crumbs = [li.text() for li in regular.find("nav", class_="crumbs").find_all("li")]
    assert crumbs[0] == "首页" and crumbs[1].startswith("二、") and crumbs[2].startswith("B. 第 26/3 号决议")
    assert crumbs[-1] == "经常预算拨款" and regular.find("h1").text() == "经常预算拨款"
    link = pages["/en/urban-legislation-land-governance/"].find("h1").text()
    assert link == "5. Urban legislation, land and governance"


def test_previous_and_next_follow_reading_order(pages):
    page = pages["/en/restructuring/"]
    assert page.find("a", rel="prev").get("href") == "/en/internal-change/"
    assert page.find("a", rel="next").get("href") == "/en/strategic-plan-resolutions/"
    assert pages["/en/introduction/"].find("a", rel="prev") is None
    assert pages["/en/conclusions/"].find("a", rel="next") is None


def test_cover_and_landing(pages):
    cover = pages["/en/"].find("header", class_="cover")
    text = " ".join(cover.text().split())
    for part in ("HSP/HA/1/2", "United Nations Habitat Assembly", "First session", "Nairobi, 27–31 May 2019",
                 "Item 9 of the provisional agenda", "Report of the Executive Director"):
        assert part in text, part
    assert pages["/zh/"].find("section", class_="summary").find("h2").text() == "摘要"
    landing = pages["/"]
    assert [a.get("href") for a in landing.find_all("a", class_="choice")] == ["/zh/", "/en/"]
    assert {link.get("hreflang") for link in landing.find_all("link", rel="alternate")} == {"zh-Hans", "en", "x-default"}


def test_not_found_pages_per_language(pages):
    for lang in LANGS:
        page = pages[f"/{lang}/404.html"]
        assert page.find("html").get("lang") == LANGS[lang]
        assert page.find("meta", name="robots").get("content").startswith("noindex")


def test_assets_carry_a_content_hash(pages, built_site):
    page = pages["/en/"]
    refs = [page.find("link", rel="stylesheet").get("href"), page.find("script").get("src")]
    for ref in refs:
        assert re.fullmatch(r"/assets/[a-z]+\.[0-9a-f]{10}\.(css|js)", ref), ref
        assert (built_site / ref.lstrip("/")).is_file()


def test_parallel_view_aligns_rows_by_paragraph(pages):
    page = pages["/parallel/internal-change/"]
    row = page.find(id="para-6")
    cells = [c for c in row.children if isinstance(c, Element)]
    assert [c.get("lang") for c in cells] == ["zh-Hans", "en"]
    assert cells[0].text().strip().startswith("6.") and cells[1].text().strip().startswith("6.")
    ids = [el.get("id") for el in page.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "ids must be unique on a page holding both languages"
    for lang in LANGS:
        assert pages[f"/{lang}/internal-change/"].find("a", href="/parallel/internal-change/") is not None
    full = pages["/parallel/full/"]
    assert [r.get("id") for r in full.by_class("prow") if (r.get("id") or "").startswith("para-")] == \
        [f"para-{n}" for n in range(1, 93)]


def test_sitemap_lists_every_page_with_alternates(built_site, pages):
    sitemap = (built_site / "sitemap.xml").read_text()
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    expected = {BASE + u for u in lang_pages(pages)} | {BASE + "/"}
    # The PDF of each language is listed too, with its alternates (the issue that added the PDFs asks it).
    expected |= {f"{BASE}/{lang}/hsp-ha-1-2.{lang}.pdf" for lang in LANGS}
    assert set(locs) == expected
    assert sitemap.count(f'hreflang="x-default" href="{BASE}/"') == len(locs)
    assert f"Sitemap: {BASE}/sitemap.xml" in (built_site / "robots.txt").read_text()
