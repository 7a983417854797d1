"""The reading experience in a real browser (Debian's Chromium through
Playwright), on the real report served with the production CSP."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import PageWatch

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGE_TYPES = ["/", "/zh/", "/en/", "/zh/resource-mobilization/", "/en/resource-mobilization/", "/zh/full/",
              "/en/full/", "/parallel/internal-change/", "/zh/404.html", "/en/404.html"]


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.watch = PageWatch(page)
    yield page
    context.close()


def test_language_switch_keeps_the_paragraph(page, site_url):
    page.goto(site_url + "/zh/urban-legislation-land-governance/#para-49")
    page.click("nav.lang-switch a")
    page.wait_for_url("**/en/urban-legislation-land-governance/#para-49")
    assert page.locator("#para-49").is_visible()
    assert page.evaluate("document.getElementById('para-49').getBoundingClientRect().top") < 300
    # Without a fragment: the paragraph the reader scrolled to.
    page.goto(site_url + "/en/urban-legislation-land-governance/")
    page.evaluate("document.getElementById('para-47').scrollIntoView()")
    page.click("nav.lang-switch a")
    page.wait_for_url("**/zh/urban-legislation-land-governance/#para-47")
    assert page.watch.errors == []


def test_switch_without_script_still_reaches_the_page(chromium, site_url):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "/en/restructuring/")
    page.click("nav.lang-switch a")
    page.wait_for_url("**/zh/restructuring/")
    context.close()


@pytest.mark.parametrize("path", ["/zh/restructuring/", "/en/resource-mobilization/", "/en/regular-budget/",
                                  "/zh/resolution-26-3/", "/en/full/"])
def test_every_figure_is_visible(page, site_url, path):
    page.goto(site_url + path)
    figures = page.locator("figure.figure")
    assert figures.count() >= 1
    for i in range(figures.count()):
        img = figures.nth(i).locator("img")
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        box = img.bounding_box()
        assert box["width"] > 200 and box["height"] > 100
        assert img.get_attribute("alt")
    assert page.watch.errors == []


def test_side_by_side_rows_are_aligned(chromium, site_url):
    for width, side_by_side in ((1280, True), (375, False)):
        context = chromium.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(site_url + "/parallel/internal-change/")
        zh, en = page.locator("#para-6 > .pcell").all()
        assert zh.get_attribute("lang") == "zh-Hans" and en.get_attribute("lang") == "en"
        zb, eb = zh.bounding_box(), en.bounding_box()
        if side_by_side:
            assert abs(zb["y"] - eb["y"]) < 2 and eb["x"] > zb["x"] + zb["width"] - 1
        else:
            assert eb["y"] >= zb["y"] + zb["height"] - 1 and abs(eb["x"] - zb["x"]) < 2
        context.close()


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_no_console_error_or_csp_violation(page, site_url, path):
    page.goto(site_url + path)
    page.wait_for_load_state("networkidle")
    page.mouse.wheel(0, 4000)
    page.wait_for_timeout(200)
    assert page.watch.errors == []


def test_footnote_opens_in_place_on_focus(page, site_url):
    page.goto(site_url + "/en/restructuring/")
    page.focus("#fnref-1")
    pop = page.locator("#fn-pop")
    assert pop.is_visible() and "United States dollars" in pop.inner_text()
    assert page.get_attribute("#fnref-1", "aria-describedby") == "fn-pop"
    page.keyboard.press("Escape")
    assert not pop.is_visible()


def test_copy_citation_and_link(chromium, site_url):
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + "/en/urban-legislation-land-governance/")
    page.hover("#para-49")
    page.click("#para-49 .ptools button:nth-child(2)")
    # The full citation in UN style with the paragraph, and its permanent address on the production site.
    permalink = "https://hsp-ha-1-2.netlify.app/en/urban-legislation-land-governance/#para-49"
    assert page.evaluate("navigator.clipboard.readText()") == (
        "United Nations Human Settlements Programme, Activities of the United Nations Human Settlements Programme: "
        f"Report of the Executive Director (HSP/HA/1/2), Nairobi, 2019, para. 49. {permalink}")
    page.click("#para-49 .ptools button:nth-child(1)")
    assert page.evaluate("navigator.clipboard.readText()") == permalink
    page.goto(site_url + "/zh/urban-legislation-land-governance/")
    page.hover("#para-49")
    page.click("#para-49 .ptools button:nth-child(2)")
    assert page.evaluate("navigator.clipboard.readText()") == (
        "联合国人类住区规划署，《联合国人类住区规划署的活动：执行主任的报告》（HSP/HA/1/2），内罗毕，2019 年，第 49 段。 "
        "https://hsp-ha-1-2.netlify.app/zh/urban-legislation-land-governance/#para-49")
    page.goto(site_url + "/en/")
    page.click("button.cite-copy")
    assert page.evaluate("navigator.clipboard.readText()").startswith("United Nations Human Settlements Programme, ")
    context.close()


def test_contents_fold_on_small_screens_and_open_with_the_keyboard(chromium, site_url):
    context = chromium.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(site_url + "/en/restructuring/")
    toc_link = page.locator("details.toc nav a[aria-current=page]")
    assert not toc_link.is_visible()
    page.focus("details.toc > summary")
    page.keyboard.press("Enter")
    assert toc_link.is_visible()
    context.close()
    wide = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = wide.new_page()
    page.goto(site_url + "/en/restructuring/")
    assert page.locator("details.toc nav a[aria-current=page]").is_visible()
    wide.close()


def test_skip_link_is_the_first_stop(page, site_url):
    page.goto(site_url + "/en/restructuring/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_contents_follow_the_reader_on_the_whole_report(page, site_url):
    page.goto(site_url + "/en/full/")
    page.evaluate("document.getElementById('urban-planning-design').scrollIntoView()")
    page.wait_for_timeout(300)
    assert page.get_attribute(".toc a[aria-current=location]", "href") == "#urban-planning-design"


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_axe_finds_no_violation(chromium, site_url, path):
    assert AXE.is_file(), "axe-core is missing: ./run test installs it with npm ci"
    # axe is injected by the test itself, so this context lets the test's script run.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(site_url + path)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))")
    context.close()
    assert violations == [], json.dumps(violations, ensure_ascii=False)[:2000]
