"""Languages, interface strings, and the one function that makes URLs.

Input: language codes, UI string files, pages. Output: BCP 47 tags for
`lang` and `hreflang`, the list of required UI keys, and `url_for`, the only
place where a URL is made: templates never build one by concatenation.
"""
from __future__ import annotations

from typing import Union

from .model import Section

# html lang / hreflang tag and Pagefind language for each supported language.
LANG_TAGS = {"zh": "zh-Hans", "en": "en"}
RESERVED_SLUGS = {"full", "parallel", "assets", "charts", "pagefind", "media", "404"}

UI_KEYS = (
    "language_name", "site_name", "skip_link", "contents", "toc_label", "breadcrumbs", "home", "previous", "next",
    "full_report", "full_report_title", "parallel_view", "parallel_title", "section_contents", "summary",
    "paragraph", "figure", "footnote", "footnotes", "back_to_ref", "copy_link", "copy_citation", "link_short", "cite_short", "copied",
    "citation", "switch_language", "not_found_title", "not_found_text", "search_label", "search_placeholder",
    "search_button", "search_both_languages", "search_no_results", "search_results", "search_loading",
    "search_other_language", "search_in_other_language", "search_in_page_language", "search_more",
    "data_table", "download_csv", "source_paragraphs", "list_separator",
    "chart_description", "derived_note", "unit", "main_nav", "landing_intro", "print", "top",
)

Target = Union[Section, str]


def url_for(target: Target, lang: str | None = None) -> str:
    """The site-absolute URL of a page.

    target: a Section; "landing"; "home", "full", "404" (per language);
    "parallel:full" or a Section with lang="parallel" for the side-by-side view.
    """
    if isinstance(target, Section):
        if lang == "parallel":
            return f"/parallel/{target.slug}/"
        return f"/{lang}/{target.slug}/"
    if target == "landing":
        return "/"
    if target == "home":
        return f"/{lang}/"
    if target == "full":
        return f"/{lang}/full/" if lang != "parallel" else "/parallel/full/"
    if target == "404":
        return f"/{lang}/404.html" if lang else "/404.html"
    raise ValueError(f"no URL for {target!r}")


def output_path(url: str) -> str:
    """The file, relative to the site root, that serves `url`."""
    path = url.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path
