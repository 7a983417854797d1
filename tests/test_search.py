"""The search as a reader meets it: the real site served on 127.0.0.1 under
the production Content Security Policy (tests/browser.py), in Debian's
Chromium driven by Playwright. Golden queries go through the site's own
search module (Pagefind's JavaScript and wasm underneath); the interface is
driven with the keyboard. No page may log a console error or a CSP
violation. A missing Chromium fails these tests: it never skips them."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml
from browser import PageWatch
from conftest import load_parsed, real_project
from playwright.sync_api import expect

from reportsite import search as search_stage
from reportsite.errors import Diagnostics
from reportsite.render import Context, Products

CONTENT = Path(__file__).resolve().parent.parent / "content"
GOLDEN = yaml.safe_load((Path(__file__).parent / "golden_queries.yaml").read_text(encoding="utf-8"))


# -- the index, without a browser -------------------------------------------------

def _context() -> Context:
    checked = load_parsed()
    from reportsite.pipeline import chart_keys

    return Context(checked.site, checked.refs, real_project(), Products(chart_keys=chart_keys(real_project(), checked.site)))


def test_every_record_has_its_own_url_and_no_whole_report_page(built_site):
    records = list(search_stage.records(_context()))
    urls = [r["url"] for r in records]
    assert len(urls) == len(set(urls))
    assert not [u for u in urls if "/full/" in u or u.startswith("/parallel/")]
    paras = [r for r in records if r["meta"]["kind"] == "para"]
    assert len(paras) == 2 * 92
    assert {"/en/urban-legislation-land-governance/#para-49", "/zh/urban-legislation-land-governance/#para-49"} <= set(urls)
    para49 = next(r for r in paras if r["url"] == "/zh/urban-legislation-land-governance/#para-49")
    assert para49["meta"]["para"] == "49" and para49["meta"]["lang"] == "zh"
    # A word starting at every character: what makes a query read as 人|居|署 find 人居署.
    assert any(w.startswith("居署") for w in para49["meta"]["grams"].split())
    # English text has no Han characters, so no n-grams: the rule follows the text, not the language.
    en49 = next(r for r in paras if r["url"] == "/en/urban-legislation-land-governance/#para-49")
    assert "grams" not in en49["meta"]
    assert (built_site / "pagefind" / "pagefind.js").is_file()


def test_two_builds_write_the_same_index(tmp_path):
    records = list(search_stage.records(_context()))

    def digest() -> dict[str, str]:
        diags = Diagnostics()
        files = search_stage.build_index(records, diags)
        assert diags.errors == 0
        return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}

    first, second = digest(), digest()
    assert first == second and len(first) > 100


# -- the browser ------------------------------------------------------------------

class Tab:
    """One page, with every request it made and every complaint it logged."""

    def __init__(self, chromium, site_url: str):
        self.site_url = site_url
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.watch = PageWatch(self.page)
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))

    def goto(self, path: str) -> None:
        self.page.goto(self.site_url + path, wait_until="networkidle")

    def pagefind_requests(self) -> list[str]:
        return [u for u in self.requests if "/pagefind/" in u]

    def type(self, text: str) -> None:
        self.page.focus("#search-input")
        self.page.keyboard.type(text)
        self.page.wait_for_selector(".search-results > li")
        # Locator assertions, not wait_for_function: that one evals a string, which this CSP forbids.
        expect(self.page.locator(".search-status")).to_have_text(re.compile(r"\d"))


@pytest.fixture
def tab(chromium, site_url):
    t = Tab(chromium, site_url)
    yield t
    errors = t.watch.errors
    t.context.close()
    assert errors == []


@pytest.fixture(scope="module")
def golden_results(chromium, site_url):
    """Query -> paragraph numbers of its first three results, per language, from the site's own module."""
    out = {}
    for lang, cases in GOLDEN.items():
        t = Tab(chromium, site_url)
        t.goto(f"/{lang}/")
        out[lang] = t.page.evaluate("""async (queries) => {
            const form = document.querySelector('[data-search]');
            const search = await import(form.dataset.searchModule);
            const out = {};
            for (const q of queries) {
                const {results} = await search.find(q);
                out[q] = results.slice(0, 3).map(r => r.kind === 'para' ? Number(r.para) : r.url);
            }
            return out;
        }""", [c["q"] for c in cases])
        assert t.watch.errors == []
        t.context.close()
    return out


@pytest.mark.parametrize("lang,case", [(lang, c) for lang, cases in GOLDEN.items() for c in cases],
                         ids=lambda v: v if isinstance(v, str) else v["q"])
def test_golden_query_finds_its_paragraph_in_the_top_three(golden_results, lang, case):
    assert case["para"] in golden_results[lang][case["q"]], golden_results[lang][case["q"]]


def test_golden_queries_are_many_and_varied():
    for lang in ("zh", "en"):
        assert len(GOLDEN[lang]) >= 20
        assert any("/" in c["q"] for c in GOLDEN[lang]) and any("." in c["q"] for c in GOLDEN[lang])


def test_nothing_of_the_index_loads_before_the_box_is_used(tab):
    tab.goto("/en/urban-legislation-land-governance/")
    tab.page.mouse.wheel(0, 2000)
    tab.page.keyboard.press("Tab")  # the skip link, not the box
    tab.page.wait_for_timeout(300)
    assert tab.pagefind_requests() == []
    assert not tab.page.is_hidden("form[data-search]")
    tab.type("tenure")
    assert any(u.endswith("/pagefind/pagefind.js") for u in tab.pagefind_requests())


def test_typing_shows_results_with_marked_words_and_a_count(tab):
    tab.goto("/en/")
    tab.type("land tenure")
    page = tab.page
    count = page.locator(".search-results > li").count()
    assert 1 <= count <= 10
    assert "results" in page.text_content(".search-status")  # "10 results": the English plural
    assert page.get_attribute(".search-status", "aria-live") == "polite"
    first = page.locator(".search-results > li").first
    assert "Paragraph" in first.locator(".r-meta").text_content()
    assert first.locator(".r-excerpt mark").count() >= 1
    assert first.locator(".r-other").get_attribute("href").startswith("/zh/")


def test_chinese_results_mark_the_query(tab):
    tab.goto("/zh/")
    tab.type("人居署执行局")
    first = tab.page.locator(".search-results > li").first
    assert "#para-3" in first.locator(".r-link").get_attribute("href")
    assert "人居署执行局" in first.locator(".r-excerpt mark").all_text_contents()
    assert first.locator(".r-other").text_content() == "英语版同一段"  # the language's name from CLDR


def test_both_languages_adds_labelled_results_in_the_other_language(tab):
    tab.goto("/en/")
    tab.type("SHERPA")
    page = tab.page
    own = page.locator(".search-results > li").count()
    assert page.locator(".search-results .r-lang").count() == 0
    page.check("#search-also-zh")
    page.wait_for_selector(".search-results .r-lang")
    items = page.locator(".search-results > li")
    assert items.count() > own
    chinese = items.filter(has=page.locator(".r-lang"))
    assert chinese.first.locator(".r-lang").text_content() == "Chinese"
    assert chinese.first.locator(".r-link").get_attribute("href").startswith("/zh/")
    other = chinese.first.locator(".r-other")
    assert other.get_attribute("href").startswith("/en/") and other.text_content() == "Same paragraph in English"


def test_keyboard_reaches_follows_and_closes_results(tab):
    tab.goto("/en/")
    tab.type("land tenure")
    page = tab.page
    page.keyboard.press("ArrowDown")
    first = page.locator(".search-results > li .r-link").first
    assert page.evaluate("document.activeElement.classList.contains('r-link')")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.href") == first.evaluate("a => a.href")
    page.keyboard.press("Escape")
    assert page.is_hidden(".search-panel")
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert page.input_value("#search-input") == "land tenure"
    page.keyboard.press("ArrowDown")  # reopens the list at its first result
    assert page.is_visible(".search-panel")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(href)


def test_following_a_result_lands_on_the_paragraph_with_the_terms_marked(tab):
    tab.goto("/en/")
    tab.type("land tenure")
    page = tab.page
    link = page.locator(".search-results .r-link[href*='#para-52']")
    link.wait_for()
    with page.expect_navigation():
        link.click()
    assert page.url.endswith("#para-52") and "hl=land" in page.url and "hl=tenure" in page.url
    marks = page.locator("#para-52 mark").all_text_contents()
    assert "land tenure" in [m.lower() for m in marks]
    assert page.locator("main mark").count() == len(marks)  # only the target paragraph


def test_enter_in_the_box_opens_the_first_result(tab):
    tab.goto("/zh/")
    tab.type("仙台框架")
    page = tab.page
    href = page.get_attribute(".search-results > li .r-link", "href")
    with page.expect_navigation():
        page.press("#search-input", "Enter")
    assert page.url.endswith(href) and "#para-32" in href


def test_most_golden_queries_rank_their_paragraph_first(golden_results):
    for lang, cases in GOLDEN.items():
        first = [c["q"] for c in cases if golden_results[lang][c["q"]][:1] == [c["para"]]]
        assert len(first) >= 2 * len(cases) / 3, f"{lang}: {len(first)} of {len(cases)} at rank 1"


def test_more_results_extend_the_list(tab):
    tab.goto("/zh/")
    tab.type("人居署")
    page = tab.page
    assert page.locator(".search-results > li").count() == 10
    page.click(".search-more")
    expect(page.locator(".search-results > li")).to_have_count(20)
    assert page.is_visible(".search-more")  # 人居署 is in most paragraphs
