"""Three fixture projects (tests/fixtures/projects/) read in a real browser:
Debian's Chromium through Playwright, each site built once (search included)
and served on 127.0.0.1 with the production Content Security Policy
(tests/browser.py).

- Arabic (`arabic-english`): the cover, a section page, the side-by-side page
  with English and a figure page lay out right to left, measured in the page
  (where the contents, the text, its line ends and the paragraph numbers sit,
  which way words and digits run, the order of a mixed Arabic/Latin label),
  on a desktop and on a phone; full-page screenshots of
  each go to $REPORTSITE_SCREENSHOTS (a temporary folder without it) for a
  person to look at.
- Three languages (`three-languages`): the language switch, used at a
  deep-linked paragraph, lands on the same paragraph of the same section in
  each other language, from each of the three, on a desktop and on a phone,
  with the paragraph visible below the sticky header.
- Search: a French word and an Arabic word found in their one paragraph, in
  the page's language; the "Also search the … text" boxes of the
  three-language site, one per other language.
- axe-core finds no accessibility violation on the Arabic pages, and none of
  them logs a console error or a CSP violation.

A missing Chromium fails these tests: it never skips them.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from browser import PageWatch, serve
from playwright.sync_api import Page, expect

from reportsite import errors, pipeline, project

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "tests" / "fixtures" / "projects"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARABIC_PAGES = {  # name -> path on the arabic-english site
    "cover": "/ar/",
    "section": "/ar/drinking-water/",
    "side-by-side": "/parallel/drinking-water/",
    "figure": "/ar/figures/water-access/",
}
EDGE = 2  # pixels: "at the edge" allows for rounding

# The lines of an element's text as the reader sees them: for each line, its top and bottom and
# the leftmost and rightmost ink, with the element's own left and right edges.
LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const lines = [];
  for (const r of range.getClientRects()) {
    if (!r.width) continue;
    const mid = (r.top + r.bottom) / 2;
    const line = lines.find((l) => mid > l.top && mid < l.bottom);
    if (line) { line.left = Math.min(line.left, r.left); line.right = Math.max(line.right, r.right); }
    else lines.push({top: r.top, bottom: r.bottom, left: r.left, right: r.right});
  }
  const box = el.getBoundingClientRect();
  return {left: box.left, right: box.right, lines: lines.sort((a, b) => a.top - b.top)};
}"""

# Where each character of the first occurrence of `needle` in an element's text is drawn (its left edge).
CHARACTER_LEFTS = """(el, needle) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    return Array.from(needle, (_, i) => {
      const range = document.createRange();
      range.setStart(node, at + i);
      range.setEnd(node, at + i + 1);
      return range.getBoundingClientRect().left;
    });
  }
  return null;
}"""


# -- the sites and the browser tabs ------------------------------------------------------------------


@contextmanager
def project_root(path: Path) -> Iterator[None]:
    """Diagnostics name files relative to the fixture while it is built, as its command line would."""
    errors.set_root(path)
    try:
        yield
    finally:
        errors.set_root(ROOT)  # as conftest has it for every other test


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Fixture name -> URL of its built site; each fixture is built and served once, when first needed."""
    urls: dict[str, str] = {}
    with ExitStack() as servers:

        def url(name: str) -> str:
            if name not in urls:
                root = PROJECTS / name
                tmp = tmp_path_factory.mktemp(name)
                with project_root(root):
                    result = pipeline.build(project.make(root, cache=tmp / "cache"), tmp / "site", pdf=False)
                assert result.ok and result.written, "\n".join(map(str, result.diagnostics.sorted()))
                urls[name] = servers.enter_context(serve(tmp / "site"))
            return urls[name]

        yield url


@pytest.fixture(scope="module")
def arabic(sites) -> str:
    return sites("arabic-english")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go: $REPORTSITE_SCREENSHOTS, or a temporary folder."""
    wanted = os.environ.get("REPORTSITE_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def tab(chromium, viewport: dict[str, int] = DESKTOP, **options) -> Iterator[Page]:
    """A fresh page in its own context; page.watch holds its console errors and CSP violations."""
    context = chromium.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.watch = PageWatch(page)  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def lines_of(locator) -> dict:
    found = locator.evaluate(LINES)
    assert found["lines"], "no text drawn"
    return found


def assert_lines_start_right(locator) -> None:
    """Right-to-left text: every line starts at the right edge, and the short last line leaves room on the left."""
    found = lines_of(locator)
    for line in found["lines"]:
        assert abs(line["right"] - found["right"]) <= EDGE, (line, found["right"])
    assert found["lines"][-1]["left"] > found["left"] + 8, "the last line reaches the left edge: not right-aligned?"


def assert_lines_start_left(locator) -> None:
    """Left-to-right text: every line starts at the left edge, and the short last line leaves room on the right."""
    found = lines_of(locator)
    for line in found["lines"]:
        assert abs(line["left"] - found["left"]) <= EDGE, (line, found["left"])
    assert found["lines"][-1]["right"] < found["right"] - 8, "the last line reaches the right edge: not left-aligned?"


def direction_and_alignment(locator) -> tuple[str, str]:
    return tuple(locator.evaluate("el => [getComputedStyle(el).direction, getComputedStyle(el).textAlign]"))


def reads_left_to_right(locator, needle: str) -> bool:
    lefts = locator.evaluate(CHARACTER_LEFTS, needle)
    assert lefts, f"{needle!r} not found"
    return all(a < b for a, b in zip(lefts, lefts[1:]))


def reads_right_to_left(locator, needle: str) -> bool:
    lefts = locator.evaluate(CHARACTER_LEFTS, needle)
    assert lefts, f"{needle!r} not found"
    return all(a > b for a, b in zip(lefts, lefts[1:]))


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found, "not rendered"
    return found


def right(b: dict) -> float:
    return b["x"] + b["width"]


def bottom(b: dict) -> float:
    """The bottom edge of a box."""
    return b["y"] + b["height"]


def fits_the_screen(page: Page) -> None:
    """Nothing sticks out sideways: no horizontal scrolling (in either direction)."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.documentElement.scrollLeft") == 0


def load_everything(page: Page) -> None:
    """Every image loaded and decoded (lazy ones too) and the fonts ready: what a full-page picture needs."""
    for img in page.locator("img").all():
        assert img.evaluate("async img => { img.loading = 'eager'; await img.decode(); return img.naturalWidth; }") > 0
    page.evaluate("async () => { await document.fonts.ready; return true; }")


# -- Arabic: right to left, measured -----------------------------------------------------------------


def test_arabic_cover_reads_right_to_left(chromium, arabic):
    with tab(chromium) as page:
        page.goto(arabic + "/ar/")
        assert page.evaluate("[document.documentElement.dir, getComputedStyle(document.body).direction]") == [
            "rtl", "rtl"]
        # The header starts at the right: the report's symbol and name, then the search box, the switch on the left.
        brand, switch = box(page.locator(".site-header .brand")), box(page.locator(".site-header .lang-switch"))
        assert right(brand) > right(switch) and brand["x"] > switch["x"]
        assert right(brand) >= page.viewport_size["width"] - 40
        # The cover's lines, the summary and the title start at the right edge of the column.
        for selector in (".cover-symbol", ".cover-organization", ".cover-place-dates", ".cover-title", ".summary > p"):
            assert direction_and_alignment(page.locator(selector)) in (("rtl", "start"), ("rtl", "right")), selector
            found = lines_of(page.locator(selector))
            assert all(abs(line["right"] - found["right"]) <= EDGE for line in found["lines"]), selector
        assert_lines_start_right(page.locator(".summary > p"))
        # The contents: chapters at the right edge, their subsections indented from the right.
        toc = page.locator("nav.home-toc > ol")
        chapters = toc.locator(":scope > li > a")
        subsections = toc.locator("ol a")
        assert chapters.count() == 3 and subsections.count() == 2
        for link in chapters.all():
            assert abs(right(box(link)) - right(box(toc))) <= EDGE
        for link in subsections.all():
            assert right(box(link)) < right(box(toc)) - 10
        # Inside the right-to-left sentence, whose words run right to left, every number reads left to right;
        # the period "2022-2024" begins at the right, as the sentence does (the Unicode bidi rules for digits
        # after Arabic letters): 2022 stands to the right of 2024.
        summary = page.locator(".summary > p")
        assert reads_right_to_left(summary, "التقدم")
        for year in ("2022", "2024", "2027"):
            assert reads_left_to_right(summary, year), year
        period = summary.evaluate(CHARACTER_LEFTS, "2022-2024")
        assert min(period[:4]) > max(period[5:])
        assert page.watch.errors == []


def test_arabic_section_page_reads_right_to_left(chromium, arabic):
    with tab(chromium) as page:
        page.goto(arabic + "/ar/drinking-water/")
        # The contents column is on the right of the text, at the right of the page.
        toc, main = box(page.locator("details.toc")), box(page.locator("main"))
        assert toc["x"] >= right(main) and right(toc) > page.viewport_size["width"] / 2 + 300
        assert page.locator("details.toc nav a[aria-current=page]").is_visible()
        # The breadcrumbs start at the right: home first, then the chapter to its left.
        crumbs = page.locator("nav.crumbs li")
        assert box(crumbs.nth(0))["x"] > box(crumbs.nth(1))["x"] > box(crumbs.nth(2))["x"]
        # Paragraph 4: right to left, every line starting at the right edge, its number at the right, in the gutter.
        para = page.locator("#para-4")
        text = para.locator(":scope > p")
        assert direction_and_alignment(text) in (("rtl", "start"), ("rtl", "right"))
        assert_lines_start_right(text)
        number = box(para.locator(".pnum"))
        assert abs(right(number) - right(box(para))) <= EDGE
        assert number["x"] >= right(box(text)) - EDGE
        assert para.locator(".pnum").inner_text() == "4."
        # Numbers keep their order inside Arabic text: Western digits, Arabic-Indic digits and the SDG indicator.
        assert reads_left_to_right(text, "2021") and reads_left_to_right(text, "2024")
        assert reads_left_to_right(page.locator("#para-5 > p"), "٥٫٥")
        assert reads_left_to_right(page.locator("#para-5 > p"), "٣٢٠")
        assert reads_left_to_right(page.locator("#fn-1 .fn-text"), "6.1.1")
        assert reads_right_to_left(text, "اليونيسف")
        # Previous on the right, next on the left: the way the pages turn in Arabic.
        assert box(page.locator(".pager .prev"))["x"] > box(page.locator(".pager .next"))["x"]
        assert page.watch.errors == []


def test_arabic_section_page_on_a_phone(chromium, arabic):
    with tab(chromium, PHONE) as page:
        page.goto(arabic + "/ar/introduction/")
        fits_the_screen(page)
        # The contents fold above the text; the text fills the column, right to left.
        assert bottom(box(page.locator("details.toc"))) <= box(page.locator("main"))["y"]
        for pid in ("para-1", "para-2"):
            para = page.locator(f"#{pid}")
            assert_lines_start_right(para.locator(":scope > p"))
            assert abs(right(box(para.locator(".pnum"))) - right(box(para))) <= EDGE
        assert reads_left_to_right(page.locator("#para-1 > p"), "2/4")
        assert page.watch.errors == []


def test_arabic_and_english_side_by_side(chromium, arabic):
    with tab(chromium) as page:
        page.goto(arabic + "/parallel/drinking-water/")
        ar, en = page.locator("#para-4 > .pcell").all()
        assert (ar.get_attribute("dir"), en.get_attribute("dir")) == ("rtl", "ltr")
        # Arabic, the first language, is the right-hand column; English is beside it on the left, level with it.
        ar_box, en_box = box(ar), box(en)
        assert en_box["x"] + en_box["width"] <= ar_box["x"] and abs(ar_box["y"] - en_box["y"]) < EDGE
        # The column heads follow: العربية over the Arabic text, English over the English.
        heads = page.locator(".phead .pcell")
        assert box(heads.nth(0))["x"] > box(heads.nth(1))["x"]
        # Each column in its own direction: its lines start at its own edge, its number on that side.
        ar_text, en_text = ar.locator(".para > p"), en.locator(".para > p")
        assert direction_and_alignment(ar_text) in (("rtl", "start"), ("rtl", "right"))
        assert direction_and_alignment(en_text) in (("ltr", "start"), ("ltr", "left"))
        assert_lines_start_right(ar_text)
        assert_lines_start_left(en_text)
        assert abs(right(box(ar.locator(".pnum"))) - right(box(ar.locator(".para")))) <= EDGE
        assert abs(box(en.locator(".para"))["x"] - en_box["x"]) <= EDGE
        assert abs(box(en.locator(".pnum"))["x"] - en_box["x"]) <= EDGE
        assert right(box(en.locator(".pnum"))) <= box(en_text)["x"] + EDGE
        # English words and numbers read left to right, Arabic words right to left.
        assert reads_left_to_right(en_text, "UNICEF") and reads_left_to_right(en_text, "2024")
        assert reads_right_to_left(ar_text, "اليونيسف")
        assert reads_left_to_right(page.locator("#para-5 > .pcell[lang=en] p"), "5.5")
        assert page.watch.errors == []
    with tab(chromium, PHONE) as page:
        page.goto(arabic + "/parallel/drinking-water/")
        fits_the_screen(page)
        ar, en = page.locator("#para-4 > .pcell").all()
        ar_box, en_box = box(ar), box(en)
        # One column: the Arabic first, the English under it, each the full width.
        assert en_box["y"] >= ar_box["y"] + ar_box["height"] - 1
        assert abs(ar_box["x"] - en_box["x"]) < EDGE and abs(ar_box["width"] - en_box["width"]) < EDGE
        assert_lines_start_right(ar.locator(".para > p"))
        assert_lines_start_left(en.locator(".para > p"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", list(ARABIC_PAGES))
def test_arabic_pages_fit_the_screen_and_are_photographed(chromium, arabic, shots, name, viewport):
    """Full-page screenshots for a person to look at: joined letters, digits in order, nothing overlapping."""
    with tab(chromium, viewport) as page:
        page.goto(arabic + ARABIC_PAGES[name], wait_until="networkidle")
        if name == "figure":
            page.click("details.fig-data > summary")  # the data table too
            expect(page.locator("details.fig-data table")).to_be_visible()
        load_everything(page)
        fits_the_screen(page)
        path = shots / f"arabic-{name}-{viewport['width']}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        assert page.watch.errors == []


def test_arabic_download_label_reads_in_order(chromium, arabic):
    """"صورة للطباعة (PNG، 300 نقطة في البوصة)": read from the right, the format comes first, then "300 dots per
    inch", 300 right beside نقطة (dots), not cut off from it by the Latin format name."""
    with tab(chromium) as page:
        page.goto(arabic + "/ar/figures/water-access/")
        label = page.locator("ul.downloads a[href$='.png']")
        where = label.evaluate("""el => Object.fromEntries(["PNG", "300", "نقطة"].map((word) => {
            const node = el.firstChild;
            const range = document.createRange();
            range.setStart(node, node.data.indexOf(word));
            range.setEnd(node, node.data.indexOf(word) + word.length);
            const r = range.getBoundingClientRect();
            return [word, [r.left, r.right]];
        }))""")
        png, dpi, dots = where["PNG"], where["300"], where["نقطة"]
        assert png[0] > dpi[1], f"PNG is read after 300: {where}"
        assert 0 <= dpi[0] - dots[1] < 12, f"300 is not beside نقطة: {where}"


# -- three languages: the switch keeps the reader's paragraph ------------------------------------------


THREE = {"zh": "zh-Hans", "en": "en", "fr": "fr"}  # path -> <html lang>
# A phone, short enough that paragraph 7 is below the fold until the page scrolls to it.
SHORT_PHONE = {"width": 390, "height": 500}


@pytest.mark.parametrize("viewport", [DESKTOP, SHORT_PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("start", list(THREE))
def test_language_switch_lands_on_the_same_paragraph(chromium, sites, start, viewport):
    url = sites("three-languages")
    for target in (t for t in THREE if t != start):
        with tab(chromium, viewport) as page:
            page.goto(f"{url}/{start}/conclusions/#para-7")
            expect(page.locator("#para-7")).to_be_in_viewport()
            page.locator(f"nav.lang-switch a[href^='/{target}/']").click()
            expect(page).to_have_url(f"{url}/{target}/conclusions/#para-7")
            expect(page.locator("html")).to_have_attribute("lang", THREE[target])
            para = page.locator("#para-7")
            expect(para).to_be_in_viewport()
            # Not under the sticky header either: the paragraph's number and first line can be read.
            header_bottom = bottom(box(page.locator(".site-header")))
            number_top = box(para.locator(".pnum"))["y"]
            assert number_top >= header_bottom - 1, (
                f"{start} -> {target}: paragraph 7 starts at y={number_top:.0f}, under the sticky header "
                f"(its bottom at y={header_bottom:.0f})")
            assert para.locator(".pnum").inner_text() == "7."
            assert page.watch.errors == []


# -- search ---------------------------------------------------------------------------------------------


def search(page: Page, text: str) -> None:
    """Type into the site's own box, as a reader does (the first keystroke loads assets/search.js)."""
    page.focus("#search-input")
    page.keyboard.type(text)
    # Locator assertions, not wait_for_function: that one evals a string, which the CSP forbids.
    expect(page.locator(".search-results > li").first).to_be_visible()


@pytest.mark.parametrize("fixture,path,word,target,lang,direction", [
    ("french-english", "/fr/", "téléchargés", "/fr/digital-resources/", "fr", "ltr"),
    ("arabic-english", "/ar/", "تعريفات", "/ar/conclusions/", "ar", "rtl"),
], ids=["french", "arabic"])
def test_search_finds_the_one_paragraph_with_the_word(chromium, sites, fixture, path, word, target, lang, direction):
    # "téléchargés" (downloaded) occurs only in paragraph 6 of the French text; "تعريفات" (tariffs) only in
    # paragraph 7 of the Arabic text.
    pid = {"fr": "para-6", "ar": "para-7"}[lang]
    with tab(chromium) as page:
        page.goto(sites(fixture) + path, wait_until="networkidle")
        search(page, word)
        # Typing may overtake the first search: wait for the results of the whole word, marked in the excerpt.
        results = page.locator(".search-results > li")
        expect(results.first.locator(".r-excerpt mark")).to_have_text(word)
        hit = results.filter(has=page.locator(f".r-link[href^='{target}'][href$='#{pid}']"))
        expect(hit).to_have_count(1)
        assert results.first.locator(".r-link").get_attribute("href").endswith(f"#{pid}")
        # In the page's language: its title, its excerpt, its direction, no "other language" label.
        excerpt = hit.locator(".r-excerpt")
        assert (excerpt.get_attribute("lang"), excerpt.get_attribute("dir")) == (lang, direction)
        assert word in excerpt.inner_text()
        assert hit.locator(".r-lang").count() == 0
        assert hit.locator(".r-meta").inner_text().endswith(pid.removeprefix("para-"))
        # Following it lands on the paragraph with the word marked.
        with page.expect_navigation():
            hit.locator(".r-link").click()
        assert page.url.endswith(f"#{pid}") and target in page.url
        expect(page.locator(f"#{pid} mark").first).to_have_text(word)
        expect(page.locator(f"#{pid}")).to_be_in_viewport()
        assert page.watch.errors == []


ALSO = {  # page's language -> other language -> (its box's label, the label of its results)
    "zh": {"en": ("同时搜索英语文本", "英语"), "fr": ("同时搜索法语文本", "法语")},
    "en": {"zh": ("Also search the Chinese text", "Chinese"), "fr": ("Also search the French text", "French")},
    "fr": {"zh": ("Rechercher aussi dans le texte chinois", "chinois"),
           "en": ("Rechercher aussi dans le texte anglais", "anglais")},
}


@pytest.mark.parametrize("start", list(THREE))
def test_search_offers_each_other_language(chromium, sites, start):
    others = list(ALSO[start])
    with tab(chromium) as page:
        page.goto(sites("three-languages") + f"/{start}/", wait_until="networkidle")
        search(page, "2024")
        panel = page.locator(".search-panel")
        # One "Also search the … text" box per other language, labelled in the page's language; none for its own.
        boxes = panel.locator("input[type=checkbox]")
        expect(boxes).to_have_count(len(others))
        assert [b.get_attribute("id") for b in boxes.all()] == [f"search-also-{o}" for o in others]
        for other in others:
            expect(panel.locator(f"label[for=search-also-{other}]")).to_have_text(ALSO[start][other][0])
            expect(page.locator(f"#search-also-{other}")).not_to_be_checked()
        # Ticking one adds results in that language, labelled with its name in the page's language.
        for other in others:
            page.check(f"#search-also-{other}")
            added = page.locator(".search-results > li").filter(has=page.locator(f".r-link[href^='/{other}/']"))
            expect(added.first.locator(".r-lang")).to_have_text(ALSO[start][other][1])
        assert page.watch.errors == []


# -- accessibility and a clean console --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ARABIC_PAGES))
def test_arabic_pages_pass_axe_and_log_nothing(chromium, arabic, name):
    path = ARABIC_PAGES[name]
    with tab(chromium) as page:  # the production CSP applies here
        page.goto(arabic + path, wait_until="networkidle")
        page.mouse.wheel(0, 4000)
        expect(page.locator("footer.site-footer")).to_be_in_viewport()
        page.wait_for_load_state("networkidle")
        assert page.watch.errors == []
    assert AXE.is_file(), "axe-core is missing: ./run test installs it with npm ci"
    # axe is injected by the test itself, so this context lets the test's script run.
    with tab(chromium, bypass_csp=True) as page:
        page.goto(arabic + path)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run()).violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))")
    assert violations == [], json.dumps(violations, ensure_ascii=False)[:2000]
