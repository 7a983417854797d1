"""Five small reports unlike the flagship, each built once per session and read
as a reader meets it: right-to-left Arabic, three languages, a French source,
decimal labels with unnumbered paragraphs, and a project with its own cover,
branding and template (tests/fixtures/projects/<name>/).

Each fixture is checked the way `reportsite check --strict` checks it (no
error, no warning), then built; every page is parsed and looked at for what
a reader relies on: the page's language and direction, the hreflang
alternates and the language switch, paragraph ids shared by every language,
the side-by-side pages of every pair, the cover, the headings' labels, the
figure pages and their downloads, and links that lead somewhere.
"""
from __future__ import annotations

import csv
import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from htmldom import Element, site_pages

from reportsite import errors, pipeline, project

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "tests" / "fixtures" / "projects"
UN_LEVELS = [1, 1, 2, 2, 1]  # every fixture: a chapter, a chapter with two subsections, a chapter


@dataclass(frozen=True)
class Spec:
    """What a reader should find in one fixture, written out by hand."""

    base: str
    langs: dict[str, tuple[str, str]]  # tag -> (lang attribute, dir), the source first
    pairs: dict[tuple[str, str], str]  # side-by-side pairs -> URL prefix
    slugs: list[str]  # sections in reading order
    headings: dict[str, list[str]]  # per language, in reading order
    paragraphs: list[str]  # paragraph ids in reading order, the same in every language
    chart: str
    chart_source: tuple[str, str]  # (section slug, paragraph id) the chart's values come from
    link: tuple[str, str, str]  # (section slug, paragraph id) holding a link to (slug#fragment)
    cover: list[str]  # what the cover shows: the symbol (if any) and the declared fields
    symbol: str = ""
    brand: dict[str, str] = field(default_factory=dict)  # accent and logo, when report.yaml has them


NUMBERED_8 = [f"para-{n}" for n in range(1, 9)]

SPECS = {
    "arabic-english": Spec(
        base="https://water-sanitation.example.org",
        langs={"ar": ("ar", "rtl"), "en": ("en", "ltr")},
        pairs={("ar", "en"): "/parallel/"},
        slugs=["introduction", "progress", "drinking-water", "sanitation", "conclusions"],
        headings={
            "ar": ["أولا - مقدمة", "ثانيا - التقدم المحرز في التنفيذ", "ألف - مياه الشرب",
                   "باء - الصرف الصحي ومعالجة مياه الصرف", "ثالثا - الاستنتاجات والتوصيات"],
            "en": ["I. Introduction", "II. Progress in implementation", "A. Drinking water",
                   "B. Sanitation and wastewater treatment", "III. Conclusions and recommendations"],
        },
        paragraphs=NUMBERED_8,
        chart="water-access", chart_source=("drinking-water", "para-4"),
        link=("conclusions", "para-7", "drinking-water#para-4"),
        cover=["symbol", "organization", "session", "place_dates", "title", "subtitle"], symbol="RCWS/3/2",
    ),
    "three-languages": Spec(
        base="https://green-infrastructure.example.org",
        langs={"zh": ("zh-Hans", "ltr"), "en": ("en", "ltr"), "fr": ("fr", "ltr")},
        pairs={("zh", "en"): "/parallel/", ("zh", "fr"): "/parallel/zh-fr/", ("en", "fr"): "/parallel/en-fr/"},
        slugs=["introduction", "implementation", "green-space", "stormwater", "conclusions"],
        headings={
            "zh": ["一、导言", "二、方案执行情况", "A. 城市绿地", "B. 雨水管理", "三、结论和建议"],
            "en": ["I. Introduction", "II. Implementation of the programme", "A. Urban green space",
                   "B. Stormwater management", "III. Conclusions and recommendations"],
            "fr": ["I. Introduction", "II. Mise en œuvre du programme", "A. Espaces verts urbains",
                   "B. Gestion des eaux pluviales", "III. Conclusions et recommandations"],
        },
        paragraphs=[f"para-{n}" for n in range(1, 8)],
        chart="green-space", chart_source=("green-space", "para-4"),
        link=("conclusions", "para-7", "green-space#para-4"),
        cover=["symbol", "organization", "session", "title", "subtitle"], symbol="PGUI/EB/2025/3",
    ),
    "french-english": Spec(
        base="https://education-numerique.example.org",
        langs={"fr": ("fr", "ltr"), "en": ("en", "ltr")},
        pairs={("fr", "en"): "/parallel/"},
        slugs=["introduction", "activities", "teacher-training", "digital-resources", "outlook"],
        headings={
            "fr": ["I. Introduction", "II. Activités menées en 2024", "A. Formation des enseignants",
                   "B. Ressources pédagogiques numériques", "III. Perspectives pour 2025"],
            "en": ["I. Introduction", "II. Activities carried out in 2024", "A. Teacher training",
                   "B. Digital teaching resources", "III. Outlook for 2025"],
        },
        paragraphs=NUMBERED_8,
        chart="teachers-trained", chart_source=("teacher-training", "para-4"),
        link=("outlook", "para-7", "teacher-training#para-4"),
        cover=["symbol", "organization", "session", "place_dates", "title", "subtitle"], symbol="AFEN/CO/2025/2",
    ),
    "decimal-unnumbered": Spec(
        base="https://health-within-reach.example.org",
        langs={"en": ("en", "ltr"), "es": ("es", "ltr")},
        pairs={("en", "es"): "/parallel/"},
        slugs=["introduction", "results", "maternal-health", "training", "next-steps"],
        headings={
            "en": ["1. Introduction", "2. Results in 2024", "2.1 Maternal and newborn health",
                   "2.2 Training and supervision", "3. Challenges and next steps"],
            "es": ["1. Introducción", "2. Resultados en 2024", "2.1 Salud materna y neonatal",
                   "2.2 Capacitación y supervisión", "3. Desafíos y próximos pasos"],
        },
        paragraphs=["p-introduction-1", "p-introduction-2", "p-results-1", "p-maternal-health-1",
                    "p-maternal-health-2", "p-training-1", "p-next-steps-1", "p-next-steps-2"],
        chart="skilled-births", chart_source=("maternal-health", "p-maternal-health-1"),
        link=("results", "p-results-1", "maternal-health"),
        cover=["date", "authors", "title", "subtitle"],
    ),
    "custom-cover": Spec(
        base="https://permafrost.example.org",
        langs={"ru": ("ru", "ltr"), "en": ("en", "ltr")},
        pairs={("ru", "en"): "/parallel/"},
        slugs=["introduction", "observations", "ground-temperature", "buildings", "recommendations"],
        headings={
            "ru": ["Введение", "Результаты наблюдений", "Температура грунтов", "Состояние зданий", "Рекомендации"],
            "en": ["Introduction", "Findings of the monitoring", "Ground temperature", "Condition of buildings",
                   "Recommendations"],
        },
        paragraphs=NUMBERED_8,
        chart="ground-warming", chart_source=("ground-temperature", "para-4"),
        link=("recommendations", "para-8", "ground-temperature#para-4"),
        cover=["organization", "series", "place_date", "title", "subtitle"],
        brand={"accent": "#7a2e8f", "logo": "logo.svg"},
    ),
}


@dataclass
class Built:
    name: str
    spec: Spec
    root: Path  # the fixture project
    out: Path  # its built site
    check: list[str]  # diagnostics of `check`
    build: list[str]  # diagnostics of the build
    pages: dict[str, Element]  # URL path -> parsed page
    report: dict  # report.yaml as data

    @property
    def tags(self) -> list[str]:
        return list(self.spec.langs)

    def html_lang(self, tag: str) -> str:
        return self.spec.langs[tag][0]


@contextmanager
def project_root(path: Path):
    """Diagnostics name files relative to the fixture while it is checked and built, as its command line would."""
    errors.set_root(path)
    try:
        yield
    finally:
        errors.set_root(ROOT)  # as conftest has it for every other test


@pytest.fixture(scope="session", params=list(SPECS))
def site(request, tmp_path_factory) -> Built:
    name = request.param
    root = PROJECTS / name
    tmp = tmp_path_factory.mktemp(name)
    out = tmp / "site"
    with project_root(root):
        proj = project.make(root, cache=tmp / "cache")
        checked = pipeline.check(proj)
        result = pipeline.build(proj, out, pdf=False)
    assert result.ok and result.written, "\n".join(map(str, result.diagnostics.sorted()))
    report = yaml.safe_load((root / "content" / "report.yaml").read_text(encoding="utf-8"))
    return Built(name, SPECS[name], root, out, [str(d) for d in checked.diagnostics.sorted()],
                 [str(d) for d in result.diagnostics.sorted()], site_pages(out), report)


def _lang_pages(site: Built, tag: str) -> dict[str, Element]:
    """The pages of one language (its own segment), without its 404 page."""
    return {u: p for u, p in site.pages.items() if u.startswith(f"/{tag}/") and not u.endswith("404.html")}


def _text(el: Element) -> str:
    """What a reader reads, spaces collapsed; typographic apostrophes as typed in the sources."""
    return " ".join(el.text().split()).replace("\u2019", "'")


def _ids(page: Element, prefixes: tuple[str, ...] = ("para-", "p-", "fig-", "fn-", "fnref-")) -> list[str]:
    return [el.get("id") for el in page.iter() if (el.get("id") or "").startswith(prefixes)]


# -- the fixture as its editors see it --------------------------------------------------------------


def test_check_strict_finds_nothing(site):
    """`check --strict` passes: no error, no warning (a stale translations.lock would warn)."""
    assert site.check == []
    assert site.build == []


def test_languages_are_declared_source_first(site):
    assert [tag for tag in site.report["languages"]] == site.tags


# -- language and direction ---------------------------------------------------------------------------


def test_every_page_has_its_language_and_direction(site):
    source = site.tags[0]
    prefixes = {prefix: a for (a, _), prefix in site.spec.pairs.items()}
    for url, page in site.pages.items():
        html = page.find("html")
        segment = url.split("/")[1]
        if segment in site.spec.langs:
            tag = segment
        elif segment == "parallel":
            # A side-by-side page is in its first language; each column says its own.
            tag = next(a for prefix, a in sorted(prefixes.items(), key=lambda kv: -len(kv[0])) if url.startswith(prefix))
        else:
            tag = source  # the landing page and the site's 404 page
        assert (html.get("lang"), html.get("dir")) == site.spec.langs[tag], url


def test_hreflang_alternates_are_complete_and_reciprocal(site):
    base = site.spec.base
    expected = {site.html_lang(t) for t in site.tags} | {"x-default"}
    for tag in site.tags:
        for url, page in _lang_pages(site, tag).items():
            alts = {link.get("hreflang"): link.get("href") for link in page.find_all("link", rel="alternate")}
            assert set(alts) == expected, url
            assert alts[site.html_lang(tag)] == base + url, url
            assert alts["x-default"] == base + "/"
            assert page.find("link", rel="canonical").get("href") == base + url
            for other, href in alts.items():
                if other == "x-default":
                    continue
                target = site.pages[href[len(base):]]
                back = {link.get("hreflang"): link.get("href") for link in target.find_all("link", rel="alternate")}
                assert back[site.html_lang(tag)] == base + url, (url, other)


def test_language_switch_leads_to_the_same_page_in_each_other_language(site):
    for tag in site.tags:
        others = [t for t in site.tags if t != tag]
        for url, page in _lang_pages(site, tag).items():
            links = page.find("nav", class_="lang-switch").find_all("a")
            rest = url[len(tag) + 2:]
            assert [a.get("href") for a in links] == [f"/{o}/{rest}" for o in others], url
            assert [(a.get("lang"), a.get("dir")) for a in links] == [site.spec.langs[o] for o in others], url
            for a in links:
                assert a.get("href") in site.pages, (url, a.get("href"))


# -- structure: headings, paragraphs, links ------------------------------------------------------------


def test_headings_follow_the_label_scheme(site):
    for tag in site.tags:
        toc = site.pages[f"/{tag}/"].find("nav", class_="home-toc")
        entries = toc.find_all("a")
        assert [_text(a) for a in entries] == site.spec.headings[tag], tag
        assert [a.get("href") for a in entries] == [f"/{tag}/{slug}/" for slug in site.spec.slugs]
        # Subsections are listed inside their chapter.
        assert [sum(1 for n in a.ancestors() if n.tag == "ol") for a in entries] == UN_LEVELS
        for slug, heading in zip(site.spec.slugs, site.spec.headings[tag]):
            assert _text(site.pages[f"/{tag}/{slug}/"].find("h1")) == heading, (tag, slug)


def test_paragraphs_have_the_same_ids_in_every_language(site):
    for tag in site.tags:
        full = site.pages[f"/{tag}/full/"]
        assert [p.get("id") for p in full.by_class("para")] == site.spec.paragraphs, tag
        on_sections = [p.get("id") for slug in site.spec.slugs for p in site.pages[f"/{tag}/{slug}/"].by_class("para")]
        assert on_sections == site.spec.paragraphs, tag
    source = site.tags[0]
    for slug in site.spec.slugs:
        ids = _ids(site.pages[f"/{source}/{slug}/"])
        for tag in site.tags[1:]:
            assert _ids(site.pages[f"/{tag}/{slug}/"]) == ids, (tag, slug)


def test_paragraph_numbers_or_their_absence(site):
    numbered = site.report.get("numbered_paragraphs", True)
    for tag in site.tags:
        for slug in site.spec.slugs:
            for para in site.pages[f"/{tag}/{slug}/"].by_class("para"):
                marks = para.by_class("pnum")
                pid = para.get("id")
                if numbered:
                    n = int(pid[len("para-"):])
                    assert [m.get("href") for m in marks] == [f"#{pid}"] and _text(marks[0]) == f"{n}."
                else:
                    # Unnumbered: the k-th paragraph of a section is p-<section>-<k>, with no number shown.
                    assert marks == [] and re.fullmatch(rf"p-{re.escape(slug)}-[1-9]", pid), (tag, slug, pid)


def test_internal_link_leads_to_its_paragraph(site):
    slug, pid, target = site.spec.link
    target_slug, _, fragment = target.partition("#")
    for tag in site.tags:
        para = site.pages[f"/{tag}/{slug}/"].find(id=pid)
        hrefs = [a.get("href") for a in para.find_all("a") if not a.has_class("pnum")]
        want = f"/{tag}/{target_slug}/" + (f"#{fragment}" if fragment else "")
        assert hrefs == [want], tag
        if fragment:
            assert site.pages[f"/{tag}/{target_slug}/"].find(id=fragment) is not None


def test_footnotes_link_both_ways(site):
    for tag in site.tags:
        notes = 0
        for slug in site.spec.slugs:
            page = site.pages[f"/{tag}/{slug}/"]
            for ref in page.find_all("a", role="doc-noteref"):
                notes += 1
                note = page.find(id=ref.get("href")[1:])
                assert note is not None, (tag, slug)
                assert note.find("a", class_="fn-back").get("href") == "#" + ref.get("id")
        assert notes >= 1, tag


# -- side by side -----------------------------------------------------------------------------------


def test_side_by_side_pages_for_every_pair(site):
    langs = site.spec.langs
    assert set(site.spec.pairs) == {(a, b) for i, a in enumerate(site.tags) for b in site.tags[i + 1:]}
    made = {u for u in site.pages if u.startswith("/parallel/")}
    expected = {prefix + slug + "/" for prefix in site.spec.pairs.values() for slug in [*site.spec.slugs, "full"]}
    assert made == expected
    for (a, b), prefix in site.spec.pairs.items():
        for slug in site.spec.slugs:
            page = site.pages[f"{prefix}{slug}/"]
            rows = [r for r in page.by_class("prow") if not r.has_class("phead")]
            assert rows
            for row in rows:
                cells = [c for c in row.children if isinstance(c, Element) and c.has_class("pcell")]
                assert [(c.get("lang"), c.get("dir")) for c in cells] == [langs[a], langs[b]], (prefix, slug)
            paras = [r for r in rows if (r.get("id") or "").startswith(("para-", "p-"))]
            assert [r.get("id") for r in paras] == [p.get("id") for p in site.pages[f"/{a}/{slug}/"].by_class("para")]
            for row in paras:
                assert all(_text(c) for c in row.children if isinstance(c, Element)), (prefix, row.get("id"))
        # Each of the pair's section pages offers this view.
        for tag in (a, b):
            links = site.pages[f"/{tag}/{site.spec.slugs[0]}/"].find_all("a", href=f"{prefix}{site.spec.slugs[0]}/")
            assert links, (tag, prefix)


def test_side_by_side_pages_have_unique_ids(site):
    for prefix in site.spec.pairs.values():
        for slug in [*site.spec.slugs, "full"]:
            ids = [el.get("id") for el in site.pages[f"{prefix}{slug}/"].iter() if el.get("id")]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            assert duplicates == [], (prefix, slug)


# -- cover, figures, branding -------------------------------------------------------------------------


def test_cover_shows_exactly_the_declared_fields(site):
    declared = list(site.report["cover"])
    for tag in site.tags:
        cover = site.pages[f"/{tag}/"].find("header", class_="cover")
        shown = [(c[len("cover-"):].replace("-", "_"), el) for el in cover.iter()
                 for c in (el.get("class") or "").split() if c.startswith("cover-")]
        assert sorted(key for key, _ in shown) == sorted(site.spec.cover), tag
        assert sorted(key for key, _ in shown if key != "symbol") == sorted(declared), tag
        # The other fields in the order report.yaml declares them; title and subtitle make the heading.
        assert [key for key, _ in shown if key not in ("symbol", "title", "subtitle")] == \
            [key for key in declared if key not in ("title", "subtitle")]
        heading = cover.find("h1")
        assert [c for el in heading.iter() for c in (el.get("class") or "").split()] == ["cover-title", "cover-subtitle"]
        for key, el in shown:
            want = site.spec.symbol if key == "symbol" else site.report["cover"][key][tag]
            assert _text(el) == " ".join(want.split()).replace("\u2019", "'"), (tag, key)


def test_figure_pages_and_downloads(site):
    chart = site.spec.chart
    slug, source = site.spec.chart_source
    for tag in site.tags:
        url = f"/{tag}/figures/{chart}/"
        page = site.pages[url]
        assert page.find("figure", id="fig-1") is not None
        # The values' source paragraph, on its section page.
        sources = [a.get("href") for a in page.find("p", class_="fig-sources").find_all("a")]
        assert sources == [f"/{tag}/{slug}/#{source}"]
        assert site.pages[f"/{tag}/{slug}/"].find(id=source) is not None
        # The figure stands in its section, and links to its page.
        placed = site.pages[f"/{tag}/{slug}/"].find("figure", id="fig-1")
        assert placed.find("a", href=url) is not None
        downloads = {a.get("href") for a in page.find("ul", class_="downloads").find_all("a")}
        stem = f"{url}{chart}.{tag}"
        assert downloads == {f"{stem}.{ext}" for ext in ("svg", "png", "csv", "json")}
        files = {ext: site.out / f"{stem}.{ext}".lstrip("/") for ext in ("svg", "png", "csv", "json")}
        assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in files["svg"].read_bytes()[:2000]
        spec = yaml.safe_load((site.root / "content" / "charts" / f"{chart}.yaml").read_text(encoding="utf-8"))
        rows = list(csv.reader(io.StringIO(files["csv"].read_text(encoding="utf-8"))))
        assert [r[0] for r in rows[1:]] == [str(c) for c in spec["categories"][tag]]
        meta = json.loads(files["json"].read_text(encoding="utf-8"))
        assert meta["language"] == tag and meta["title"] == spec["title"][tag]
        assert meta["source_paragraphs"] == [source]
        # The home page lists the figure.
        assert site.pages[f"/{tag}/"].find("section", class_="home-figures").find("a", href=url) is not None


def test_branding_and_the_projects_own_template(site):
    brand = site.spec.brand
    for tag in site.tags:
        page = site.pages[f"/{tag}/"]
        styles = [link.get("href") for link in page.find_all("link", rel="stylesheet")]
        brand_css = [s for s in styles if re.fullmatch(r"/assets/brand\.[0-9a-f]+\.css", s)]
        logo = page.find("a", class_="brand").find("img")
        if not brand:
            assert brand_css == [] and logo is None
            continue
        assert len(brand_css) == 1
        assert brand["accent"] in (site.out / brand_css[0].lstrip("/")).read_text(encoding="utf-8")
        assert re.fullmatch(r"/assets/logo\.[0-9a-f]+\.svg", logo.get("src"))
        assert (site.out / logo.get("src").lstrip("/")).read_bytes() == \
            (site.root / "assets" / brand["logo"]).read_bytes()
    # The project's templates/section.html puts the site's name under every section heading; the
    # theme's, used by the other fixtures, does not.
    own = (site.root / "templates" / "section.html").is_file()
    for tag in site.tags:
        name = site.report["site"]["name"][tag]
        for slug in site.spec.slugs:
            page = site.pages[f"/{tag}/{slug}/"]
            notes = page.find_all("p", class_="series-note")
            if own:
                assert [_text(n) for n in notes] == [" ".join(name.split())], (tag, slug)
            else:
                assert notes == []
        assert site.pages[f"/{tag}/"].find("p", class_="series-note") is None


def test_project_interface_strings_override_the_themes(site):
    for tag in site.tags:
        own = site.root / "content" / "ui" / f"{tag}.yaml"
        placeholder = yaml.safe_load(own.read_text(encoding="utf-8"))["search_placeholder"]
        for url in (f"/{tag}/", f"/{tag}/{site.spec.slugs[-1]}/"):
            assert site.pages[url].find("input", type="search").get("placeholder") == placeholder


# -- what only some fixtures have -----------------------------------------------------------------------


@pytest.mark.parametrize("site", ["arabic-english"], indirect=True)
def test_arabic_text_keeps_its_digits_and_latin_runs(site):
    water = site.pages["/ar/drinking-water/"]
    assert "(JMP)" in _text(water.find(id="para-4"))
    assert "٥٫٥ مليون" in _text(water.find(id="para-5"))
    chart = site.out / "ar" / "figures" / "water-access" / "water-access.ar.csv"
    assert chart.read_text(encoding="utf-8").splitlines()[1].startswith("إربد,")
    # The project's own citation style (templates/citation/ar.csl): Arabic commas, "الشكل 1".
    cited = _text(site.pages["/ar/figures/water-access/"].find("p", class_="citation"))
    assert "، عمّان، 2025، الشكل 1." in cited and "," not in cited


@pytest.mark.parametrize("site", ["three-languages"], indirect=True)
def test_each_language_gets_its_quotation_marks(site):
    para = {tag: site.pages[f"/{tag}/stormwater/"].find(id="para-5").text() for tag in site.tags}
    assert "“海绵城市”" in para["zh"]
    assert "“sponge city”" in para["en"]
    assert "«\u202fville-éponge\u202f»" in para["fr"]


# -- links -------------------------------------------------------------------------------------------


def _resolve(url: str, href: str) -> tuple[str, str]:
    parts = urlsplit(href)
    path = parts.path or url
    if not path.startswith("/"):
        path = url.rsplit("/", 1)[0] + "/" + path
    return path, unquote(parts.fragment)


def test_no_broken_internal_link_or_fragment(site):
    ids = {url: {el.get("id") for el in page.iter() if el.get("id")} for url, page in site.pages.items()}
    broken = []
    for url, page in site.pages.items():
        for el in page.iter():
            for attr in ("href", "src", "srcset"):
                value = el.get(attr)
                if not value or value.startswith(("http:", "https:", "mailto:", "data:")):
                    continue
                path, fragment = _resolve(url, value)
                exists = path in site.pages if path.endswith("/") else (site.out / path.lstrip("/")).is_file()
                if not exists or (fragment and fragment not in ids.get(path, {fragment})):
                    broken.append((url, value))
    assert broken == []


def test_title_cards_have_every_character_of_their_text(site):
    """A shared page's card shows its heading, the site's name and the symbol in the page's language, with
    no missing glyph: Noto Sans Arabic has no Latin letter and no "/", which the card takes from Noto Sans."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    from reportsite import cards, pages
    from reportsite.render import Context, Products

    with project_root(site.root):
        proj = project.make(site.root)
        checked = pipeline.load_and_check(proj, errors.Diagnostics(), pipeline.Timer({}))
        assert checked is not None
        todo = pages.cards(Context(checked.site, checked.refs, proj, Products()))
    assert {c.lang for c in todo} == {site.html_lang(tag).split("-")[0] for tag in site.tags}
    for card in todo:
        name = cards._font_name(card.fonts, card.extra, None)
        data = cards._FONT_DATA.get(name)
        font = TTFont(BytesIO(data)) if data else TTFont(name, lazy=True)
        have = set(font.getBestCmap())
        text = card.heading + card.site + card.symbol + " · "
        lacking = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in have})
        assert not lacking, f"{card.path}: no glyph for {lacking}"
        png = cards.card(card, None)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 60_000, f"{card.path}: {len(png)} bytes"
