"""How the report is cited and found by machines: the reference files, the
metadata of every page, the figure pages and their downloads, checked the way
their readers use them.

The expected values come from the project's own data (content/report.yaml,
content/charts/*.yaml, content/sections/**/section.yaml), read here with
PyYAML, and from official vocabularies vendored in tests/schemas/ (see its
README): the CSL-JSON schema and the schema.org vocabulary (release 30.0).
Exports are read with the parsers a reference manager relies on
(bibtexparser, rispy, jsonschema), never with string matching.

What a reader would notice if a test broke:

- test_bibtex_* / test_ris_* / test_csl_json_*: "Download the reference" gives a
  record that Zotero, JabRef or a LaTeX bibliography imports with a field
  missing or wrong: the issuing body split into a person's first and last
  names, no report number, the wrong year, place or language, or a broken file.
- test_citation_tags_*: Google Scholar and library catalogues (Highwire Press
  citation_* and Dublin Core tags) index a page with the wrong title, language
  or PDF, or do not index it as part of the report at all.
- test_jsonld_*, test_home_report_*, test_pages_are_parts_*: search engines see
  an invalid schema.org description: unknown types or properties, translations
  that do not point at each other, chapters or a PDF that do not exist.
- test_figure_*: a figure's page is missing in a language, a download link is
  dead, or the downloaded data differ from the numbers the report publishes.
- test_stable_urls_*: a data correction breaks every link to a figure's page or
  downloads (citations in other documents), or leaves stale images behind.
- test_og_image_*: a shared link shows no picture, or a distorted one.
- test_cite_block_* (Chromium, production CSP): the cover's "Cite this report"
  block breaks the page's Content Security Policy, logs an error, or its copy
  button copies something other than the citation shown.

Generator bugs found while writing these tests are described, with a
reproduction and a proposed patch, in /work/notes/cite-bugs.md; the tests that
show them fail with "BUG (cite-bugs.md #N)" in their message.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
import rispy
import yaml
from bibtexparser import middlewares as bib_mw
from browser import PageWatch
from conftest import CONTENT, real_project
from htmldom import Element, parse_file
from PIL import Image
from pylatexenc.latex2text import LatexNodes2Text

from reportsite import pipeline

SCHEMAS = Path(__file__).resolve().parent / "schemas"
REPORT = yaml.safe_load((CONTENT / "report.yaml").read_text(encoding="utf-8"))
LANGS: list[str] = REPORT["languages"]
SOURCE = LANGS[0]
BASE: str = REPORT["base_url"]
ID: str = REPORT["id"]
SYMBOL: str = REPORT["symbol"]
CITE: dict[str, Any] = REPORT["citation"]
# How each language writes itself in HTML (BCP 47, the script where Chinese needs it) and how it joins a
# title to its subtitle: the two conventions a citation of this report in that language follows.
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
JOINER = {"zh": "：", "en": ": "}
PAGE_KINDS = ["home", "section", "full", "figure"]
SVG_NS = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------- the project's data, read independently


def expected_title(lang: str) -> str:
    """Title and subtitle of the cover, joined as the language joins them."""
    return REPORT["cover"]["title"][lang] + JOINER[lang] + REPORT["cover"]["subtitle"][lang]


@cache
def sections() -> list[dict[str, Any]]:
    """Every section in reading order: slug, whether it is a chapter, its title per language."""
    out = []

    def walk(folder: Path, chapter: bool) -> None:
        found = []
        for yaml_file in folder.glob("*/section.yaml"):
            data = yaml.safe_load(yaml_file.read_text(encoding="utf-8"))
            found.append((data.get("order", 0), yaml_file.parent, data))
        for _, sub, data in sorted(found, key=lambda f: (f[0], f[1].name)):
            out.append({"slug": data.get("slug") or data["id"], "chapter": chapter, "title": data["title"]})
            walk(sub, False)

    walk(CONTENT / "sections", True)
    return out


@cache
def charts() -> dict[str, dict[str, Any]]:
    """content/charts/*.yaml by chart id."""
    out = {}
    for path in sorted((CONTENT / "charts").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["id"]] = data
    return out


def home_url(lang: str) -> str:
    return f"/{lang}/"


def pdf_url(lang: str) -> str:
    return f"/{lang}/{ID}.{lang}.pdf"


def figure_url(chart: str, lang: str) -> str:
    return f"/{lang}/figures/{chart}/"


def download_urls(chart: str, lang: str) -> dict[str, str]:
    """The stable names of a figure's downloads."""
    return {kind: f"{figure_url(chart, lang)}{chart}.{lang}.{kind}" for kind in ("svg", "png", "csv", "json")}


def pages_of(kind: str, lang: str) -> list[str]:
    if kind == "home":
        return [home_url(lang)]
    if kind == "full":
        return [f"/{lang}/full/"]
    if kind == "section":
        return [f"/{lang}/{s['slug']}/" for s in sections()]
    if kind == "figure":
        return [figure_url(c, lang) for c in charts()]
    raise ValueError(kind)


# ---------------------------------------------------------------- reading the built site


def local(site: Path, url: str) -> Path:
    """The file that serves a URL of the site (absolute on the production origin, or site-absolute)."""
    if url.startswith(BASE):
        url = url[len(BASE) :]
    assert url.startswith("/"), url
    path = site / url.lstrip("/").split("#")[0]
    return path / "index.html" if url.endswith("/") else path


def page(site: Path, url: str) -> Element:
    path = local(site, url)
    assert path.is_file(), f"{url} was not built"
    return parse_file(path)


def metas(doc: Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in doc.find_all("meta"):
        name = m.get("name") or m.get("property")
        if name:
            out.setdefault(name, []).append(m.get("content") or "")
    return out


def jsonld_blocks(doc: Element) -> list[Any]:
    return [json.loads(s.text()) for s in doc.find_all("script", type="application/ld+json")]


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        assert im.format == "PNG", f"{path.name} is {im.format}, not PNG"
        size = im.size
        im.verify()
    return size


def parse_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# ---------------------------------------------------------------- the vendored vocabularies


@cache
def vocabulary() -> dict[str, Any]:
    return json.loads((SCHEMAS / "schemaorg-vocabulary.json").read_text(encoding="utf-8"))


def lineage(type_name: str) -> set[str]:
    """A schema.org type and all its supertypes."""
    types = vocabulary()["types"]
    seen, todo = set(), [type_name]
    while todo:
        t = todo.pop()
        if t not in seen and t in types:
            seen.add(t)
            todo += types[t]
    return seen


def schema_problems(node: Any, where: str = "$") -> list[str]:
    """What in a JSON-LD tree is not schema.org: unknown types, unknown or superseded properties,
    properties whose domain is not the node's type or one of its supertypes."""
    vocab = vocabulary()
    problems: list[str] = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            problems += schema_problems(item, f"{where}[{i}]")
        return problems
    if not isinstance(node, dict):
        return problems
    declared = node.get("@type")
    types = declared if isinstance(declared, list) else [declared]
    if declared is None:
        problems.append(f"{where}: a node without @type")
    family: set[str] = set()
    for t in types:
        if t not in vocab["types"]:
            problems.append(f"{where}: @type {t!r} is not a schema.org type")
        family |= lineage(t) if t else set()
    for key, value in node.items():
        if key.startswith("@"):
            if key not in ("@context", "@type", "@id"):
                problems.append(f"{where}: unexpected JSON-LD keyword {key}")
            continue
        if key not in vocab["properties"]:
            problems.append(f"{where}.{key}: not a schema.org property")
        elif not family & set(vocab["properties"][key]):
            problems.append(f"{where}.{key}: applies to {vocab['properties'][key]}, not to {types} or its supertypes")
        if key in vocab["superseded"]:
            problems.append(f"{where}.{key}: superseded by {vocab['superseded'][key]}")
        problems += schema_problems(value, f"{where}.{key}")
    return problems


def test_the_vendored_vocabulary_knows_the_terms_it_is_checked_with():
    """Guards the check itself: a truncated or foreign vocabulary file would make every JSON-LD pass."""
    vocab = vocabulary()
    assert vocab["release"] == "30.0" and len(vocab["types"]) > 800 and len(vocab["properties"]) > 1400
    assert lineage("Report") == {"Report", "Article", "CreativeWork", "Thing"}
    assert "Report" in vocab["properties"]["reportNumber"] and "CreativeWork" in vocab["properties"]["hasPart"]
    assert schema_problems({"@type": "Report", "reportNumber": "x", "name": "y"}) == []
    assert schema_problems({"@type": "Organization", "reportNumber": "x"})  # reportNumber is not for Organization
    assert schema_problems({"@type": "Reportt"}) and schema_problems({"@type": "Report", "nmae": "x"})


# ---------------------------------------------------------------- BibTeX

BIBTEX_NAMES = [bib_mw.SeparateCoAuthors(), bib_mw.SplitNameParts()]
LATEX = LatexNodes2Text()


def read_bibtex(path: Path) -> bibtexparser.model.Entry:
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"), append_middleware=BIBTEX_NAMES)
    assert library.failed_blocks == [], f"{path.name} has blocks BibTeX cannot read: {library.failed_blocks}"
    assert len(library.entries) == 1, f"{path.name}: {len(library.entries)} entries"
    return library.entries[0]


def bib_text(entry: bibtexparser.model.Entry, name: str) -> str:
    """A field as a reader sees it once LaTeX is decoded (\\& -> &)."""
    assert name in entry.fields_dict, f"no {name} field"
    return LATEX.latex_to_text(entry[name])


def corporate_name(entry: bibtexparser.model.Entry) -> str:
    """The one author, which must be a single braced name (a body), not a person's first and last names."""
    authors = entry["author"]
    assert len(authors) == 1, f"the author splits into {len(authors)} names: {authors}"
    name = authors[0]
    assert not name.first and not name.von and not name.jr and len(name.last) == 1, (
        f"the issuing body reads as a person's names: {name}"
    )
    last = name.last[0]
    assert last.startswith("{") and last.endswith("}"), f"the body's name is not braced: {last}"
    return LATEX.latex_to_text(last[1:-1])


@pytest.mark.parametrize("lang", LANGS)
def test_bibtex_parses_to_the_complete_record(built_site, lang):
    entry = read_bibtex(built_site / lang / "cite" / f"{ID}.{lang}.bib")
    assert entry.entry_type in ("techreport", "report")
    assert corporate_name(entry) == CITE["author"][lang]
    assert bib_text(entry, "title") == expected_title(lang)
    assert bib_text(entry, "institution") == CITE["publisher"][lang]
    assert bib_text(entry, "number") == SYMBOL
    assert bib_text(entry, "address") == CITE["place"][lang]
    assert entry["year"] == CITE["issued"][:4] == "2019"
    # biblatex's langid is a babel/polyglossia language name, not a BCP 47 tag.
    language = entry.fields_dict.get("langid")
    assert language is not None and language.value == {"zh": "chinese", "en": "english"}[lang], "no langid field"
    assert entry["url"] == BASE + home_url(lang)


SPECIAL_AUTHOR = "Department of Economic and Social Affairs"
SPECIAL_TITLE = r"Cities & Towns: 50% {more} #1 a_b $5 ~ C:\Data"


@pytest.fixture(scope="module")
def special_site(tmp_path_factory) -> Path:
    """The report with an issuing body whose name has "and" in it and an English title with the characters
    LaTeX treats specially (& % { } # _ $ ~ and the backslash), built without PDF or search."""
    root = tmp_path_factory.mktemp("special")
    content = root / "content"
    shutil.copytree(CONTENT, content)
    report = content / "report.yaml"
    text = report.read_text(encoding="utf-8")
    title_line = f"    en: {REPORT['cover']['title']['en']}\n"
    assert text.count(title_line) == 1
    text = text.replace(title_line, f"    en: {json.dumps(SPECIAL_TITLE)}\n")
    head, citation = text.split("\ncitation:\n")
    author_line = f"    en: {CITE['author']['en']}\n"
    assert citation.count(author_line) == 1
    report.write_text(
        head + "\ncitation:\n" + citation.replace(author_line, f"    en: {SPECIAL_AUTHOR}\n"), encoding="utf-8"
    )
    result = pipeline.build(real_project(content, root / "cache"), root / "site", search=False, pdf=False)
    assert result.ok, "\n".join(map(str, result.diagnostics.sorted()))
    return root / "site"


def test_bibtex_keeps_an_issuing_body_named_with_and_as_one_author(special_site):
    # BibTeX splits author lists on " and ": only braces keep "Department of Economic and Social Affairs" whole.
    entry = read_bibtex(special_site / "en" / "cite" / f"{ID}.en.bib")
    assert corporate_name(entry) == SPECIAL_AUTHOR
    ris = rispy.loads((special_site / "en" / "cite" / f"{ID}.en.ris").read_text(encoding="utf-8"))
    assert ris[0]["authors"] == [SPECIAL_AUTHOR]


def test_bibtex_escapes_the_characters_latex_treats_specially(special_site):
    entry = read_bibtex(special_site / "en" / "cite" / f"{ID}.en.bib")
    title = bib_text(entry, "title")
    assert title == SPECIAL_TITLE + JOINER["en"] + REPORT["cover"]["subtitle"]["en"], (
        f"BUG (cite-bugs.md #4): the title reads back as {title!r}; BibTeX has it as {entry['title']!r}: "
        "a backslash is written as is, so LaTeX reads it as a command"
    )


# ---------------------------------------------------------------- RIS


# How Zotero's RIS translator (zotero/translators RIS.js) imports a TY RPRT record into its "report" item,
# as rispy names the tags: TI title, AU author, PY date, CY place, PB institution, SN reportNumber,
# LA language, UR url. VL is "volume", which a Zotero report does not have: it goes to a note.
@pytest.mark.parametrize("lang", LANGS)
def test_ris_imports_as_a_complete_report(built_site, lang):
    path = built_site / lang / "cite" / f"{ID}.{lang}.ris"
    raw = path.read_bytes()
    assert raw.startswith(b"TY  - RPRT\r\n") and raw.rstrip(b" \r\n").endswith(b"ER  -"), "not a RIS record"
    records = rispy.loads(raw.decode("utf-8"))
    assert len(records) == 1
    record = records[0]
    assert record["type_of_reference"] == "RPRT"
    assert record["authors"] == [CITE["author"][lang]] and "," not in CITE["author"][lang]  # no comma: a body
    assert record["title"] == expected_title(lang)
    assert record["year"] == CITE["issued"][:4]
    assert record["place_published"] == CITE["place"][lang]
    assert record["publisher"] == CITE["publisher"][lang]
    assert record["language"] == HTML_LANG[lang]
    assert record["urls"] == [BASE + home_url(lang)]
    assert record.get("issn") == SYMBOL, (
        f"BUG (cite-bugs.md #3): the report number is not in SN, the tag Zotero imports as a report's number "
        f"(it is in {', '.join(k for k, v in record.items() if v == SYMBOL) or 'no tag'}; VL becomes a note)"
    )


# ---------------------------------------------------------------- CSL-JSON


@pytest.mark.parametrize("lang", LANGS)
def test_csl_json_is_valid_and_matches_report_yaml(built_site, lang):
    schema = json.loads((SCHEMAS / "csl-data.json").read_text(encoding="utf-8"))
    data = json.loads((built_site / lang / "cite" / f"{ID}.{lang}.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert len(data) == 1
    item = data[0]
    year = int(CITE["issued"][:4])
    assert item["type"] == "report"
    assert item["title"] == expected_title(lang)
    assert item["author"] == [{"literal": CITE["author"][lang]}]
    assert item["issued"] == {"date-parts": [[year]]}
    assert item["publisher"] == CITE["publisher"][lang]
    assert item["publisher-place"] == CITE["place"][lang]
    assert item["number"] == SYMBOL
    assert item["language"] == HTML_LANG[lang]
    assert item["URL"] == BASE + home_url(lang)


def test_each_language_has_its_own_reference_ids(built_site):
    ids = [json.loads((built_site / lang / "cite" / f"{ID}.{lang}.json").read_text("utf-8"))[0]["id"] for lang in LANGS]
    keys = [read_bibtex(built_site / lang / "cite" / f"{ID}.{lang}.bib").key for lang in LANGS]
    assert len(set(ids)) == len(LANGS) and len(set(keys)) == len(LANGS)


# ---------------------------------------------------------------- citation_* and Dublin Core tags

REQUIRED_TAGS = [
    "citation_title",
    "citation_author",
    "citation_publication_date",
    "citation_language",
    "citation_pdf_url",
    "citation_abstract_html_url",
    "DC.title",
    "DC.language",
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_citation_tags_on_every_page_type(built_site, kind, lang):
    expected = {
        "citation_title": expected_title(lang),
        "citation_author": CITE["author"][lang],
        "citation_publication_date": CITE["issued"].replace("-", "/"),  # Highwire: YYYY/MM/DD or YYYY
        "citation_language": HTML_LANG[lang],
        "citation_pdf_url": BASE + pdf_url(lang),
        "citation_abstract_html_url": BASE + home_url(lang),
        "citation_technical_report_number": SYMBOL,
        "DC.title": expected_title(lang),
        "DC.language": HTML_LANG[lang],
        "DC.creator": CITE["author"][lang],
    }
    assert local(built_site, pdf_url(lang)).read_bytes().startswith(b"%PDF"), "the PDF the tags point to"
    problems = []
    for url in pages_of(kind, lang):
        doc = page(built_site, url)
        tags = metas(doc)
        missing = [name for name in REQUIRED_TAGS if name not in tags]
        if missing:
            problems.append(f"{url}: no {', '.join(missing)}")
            continue
        for name, want in expected.items():
            if name in tags and tags[name] != [want]:
                problems.append(f"{url}: {name} = {tags[name]}, want {want!r}")
        if doc.find("html").get("lang") != tags["citation_language"][0]:
            problems.append(f"{url}: citation_language differs from the page's lang")
    bug = " BUG (cite-bugs.md #1): the whole-report page has no citation metadata" if kind == "full" else ""
    assert not problems, bug + "\n" + "\n".join(problems)


# ---------------------------------------------------------------- schema.org JSON-LD


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_jsonld_on_every_page_type_is_schema_org(built_site, kind, lang):
    expected_type = {"home": "Report", "section": "CreativeWork", "full": None, "figure": "ImageObject"}[kind]
    problems = []
    for url in pages_of(kind, lang):
        blocks = jsonld_blocks(page(built_site, url))
        if len(blocks) != 1:
            problems.append(f"{url}: {len(blocks)} JSON-LD blocks, want 1")
            continue
        node = blocks[0]
        if node.get("@context") != "https://schema.org":
            problems.append(f"{url}: @context {node.get('@context')!r}")
        problems += [f"{url}: {p}" for p in schema_problems(node)]
        if expected_type and node.get("@type") != expected_type:
            problems.append(f"{url}: @type {node.get('@type')!r}, want {expected_type}")
        if node.get("url") != BASE + url:
            problems.append(f"{url}: url {node.get('url')!r}")
        if node.get("inLanguage") != HTML_LANG[lang]:
            problems.append(f"{url}: inLanguage {node.get('inLanguage')!r}")
        if kind != "home" and BASE + home_url(lang) + "#report" not in node_ids(node):
            problems.append(f"{url}: does not refer to the {lang} Report by its @id")
    bug = " BUG (cite-bugs.md #1): the whole-report page has no JSON-LD" if kind == "full" else ""
    assert not problems, bug + "\n" + "\n".join(problems)


def node_ids(node: Any) -> set[str]:
    """Every @id in a JSON-LD tree."""
    if isinstance(node, list):
        return set().union(*map(node_ids, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    own = {node["@id"]} if "@id" in node else set()
    return own.union(*map(node_ids, node.values()))


def report_node(site: Path, lang: str) -> dict[str, Any]:
    (node,) = jsonld_blocks(page(site, home_url(lang)))
    return node


def test_home_report_describes_the_report_and_links_its_translations(built_site):
    nodes = {lang: report_node(built_site, lang) for lang in LANGS}
    for lang, node in nodes.items():
        assert node["@type"] == "Report"
        assert node["@id"] == BASE + home_url(lang) + "#report"
        assert node["name"] == expected_title(lang)
        assert node["inLanguage"] == HTML_LANG[lang]
        assert node["author"] == {"@type": "Organization", "name": CITE["author"][lang]}
        assert node["publisher"] == {"@type": "Organization", "name": CITE["publisher"][lang]}
        assert node["datePublished"] == CITE["issued"]
        assert node["reportNumber"] == SYMBOL
    # The source links every translation, each translation links the source: by the @id of each other's Report.
    source = nodes[SOURCE]
    assert "translationOfWork" not in source
    translations = source["workTranslation"]
    assert sorted(t["@id"] for t in translations) == sorted(nodes[o]["@id"] for o in LANGS if o != SOURCE)
    for t in translations:
        other = next(o for o in LANGS if nodes[o]["@id"] == t["@id"])
        assert t["inLanguage"] == HTML_LANG[other] and t["url"] == BASE + home_url(other)
    for lang in LANGS[1:]:
        assert "workTranslation" not in nodes[lang]
        assert nodes[lang]["translationOfWork"]["@id"] == source["@id"]
        assert nodes[lang]["translationOfWork"]["inLanguage"] == HTML_LANG[SOURCE]


@pytest.mark.parametrize("lang", LANGS)
def test_home_report_lists_its_chapters_and_its_pdf(built_site, lang):
    node = report_node(built_site, lang)
    chapters = [s for s in sections() if s["chapter"]]
    parts = node["hasPart"]
    assert [p["url"] for p in parts] == [BASE + f"/{lang}/{s['slug']}/" for s in chapters]
    for part, chapter in zip(parts, chapters):
        assert part["@type"] == "CreativeWork" and chapter["title"][lang] in part["name"]
        assert local(built_site, part["url"]).is_file(), f"{part['url']} does not exist"
    encoding = node["encoding"]
    assert encoding["@type"] == "MediaObject" and encoding["encodingFormat"] == "application/pdf"
    assert encoding["contentUrl"] == BASE + pdf_url(lang)
    assert local(built_site, encoding["contentUrl"]).read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("lang", LANGS)
def test_pages_are_parts_of_their_language_report(built_site, lang):
    report_id = BASE + home_url(lang) + "#report"
    for url in pages_of("section", lang) + pages_of("figure", lang):
        (node,) = jsonld_blocks(page(built_site, url))
        assert node["isPartOf"]["@type"] == "Report" and node["isPartOf"]["@id"] == report_id, url
    for chart in charts():
        (node,) = jsonld_blocks(page(built_site, figure_url(chart, lang)))
        assert node["contentUrl"] == BASE + download_urls(chart, lang)["svg"]
        assert local(built_site, node["contentUrl"]).is_file()


# ---------------------------------------------------------------- figure pages and downloads


def figure_downloads(doc: Element) -> list[str]:
    lists = doc.by_class("downloads")
    assert len(lists) == 1, "the figure page has no list of downloads"
    return [a.get("href") for a in lists[0].find_all("a")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("chart", sorted(charts()))
def test_figure_page_exists_and_its_downloads_work(built_site, chart, lang):
    doc = page(built_site, figure_url(chart, lang))
    assert doc.find("html").get("lang") == HTML_LANG[lang]
    assert charts()[chart]["title"][lang] in doc.find("h1").text()
    urls = download_urls(chart, lang)
    assert figure_downloads(doc) == list(urls.values())
    files = {kind: local(built_site, url) for kind, url in urls.items()}
    for kind, path in files.items():
        assert path.is_file() and path.stat().st_size > 0, f"{urls[kind]} is missing"
    svg = ET.fromstring(files["svg"].read_bytes())
    assert svg.tag == SVG_NS + "svg" and svg.get("viewBox"), "the SVG download is not an SVG image"
    # The SVG download is the very image the page shows.
    shown = doc.find("figure").find("img").get("src")
    assert local(built_site, shown).read_bytes() == files["svg"].read_bytes()
    assert png_size(files["png"]) == (2000, 1250)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("chart", sorted(charts()))
def test_figure_data_downloads_equal_the_chart_yaml(built_site, chart, lang):
    spec = charts()[chart]
    urls = download_urls(chart, lang)
    rows = parse_csv(local(built_site, urls["csv"]))
    heading, body = rows[0], rows[1:]
    assert heading[0] == spec["category_label"][lang]
    assert len(heading) == 1 + len(spec["series"])
    for column, series in zip(heading[1:], spec["series"]):
        assert series["label"][lang] in column and spec["unit"][lang] in column, column
    assert [r[0] for r in body] == spec["categories"][lang]
    for i, row in enumerate(body):
        assert [float(v) for v in row[1:]] == [s["points"][i]["value"] for s in spec["series"]], row

    data = json.loads(local(built_site, urls["json"]).read_text(encoding="utf-8"))
    assert (data["id"], data["language"], data["title"], data["unit"]) == (
        chart,
        lang,
        spec["title"][lang],
        spec["unit"][lang],
    )
    assert data["categories"] == spec["categories"][lang]
    assert [s["id"] for s in data["series"]] == [s["id"] for s in spec["series"]]
    for got, want in zip(data["series"], spec["series"]):
        assert got["label"] == want["label"][lang]
        assert [v["value"] for v in got["values"]] == [p["value"] for p in want["points"]]
        assert [v["source"] for v in got["values"]] == [p["source"] for p in want["points"]]
        assert [v["category"] for v in got["values"]] == spec["categories"][lang]
        assert [v.get("derived") for v in got["values"]] == [(p.get("derived") or {}).get(lang) for p in want["points"]]
    sources = {p["source"] for s in spec["series"] for p in s["points"]}
    assert data["source_paragraphs"] == sorted(sources, key=lambda pid: int(pid.rsplit("-", 1)[1]))
    assert data["links"]["page"] == BASE + figure_url(chart, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_figure_citation_names_the_figure(built_site, lang):
    report_citation = page(built_site, home_url(lang)).find("button", class_="cite-copy").get("data-copy-text")
    stem = report_citation.rstrip(".。")
    problems = []
    for chart in charts():
        number = json.loads(local(built_site, download_urls(chart, lang)["json"]).read_text("utf-8"))["figure"]
        cited = " ".join(page(built_site, figure_url(chart, lang)).by_class("citation")[0].text().split())
        rest = cited[len(stem) :] if cited.startswith(stem) else None
        if rest is None or not re.search(rf"(?<!\d){number}(?!\d)", rest):
            problems.append(f"{chart} (figure {number}): {cited!r}")
    assert not problems, (
        "the figure's citation does not name the figure, it cites the whole report (cite-bugs.md #2, "
        "fixed in 99d2f2c: this is a regression):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("lang", LANGS)
def test_figures_are_linked_from_their_section_and_listed_on_the_cover(built_site, lang):
    linked: dict[str, str] = {}
    for url in pages_of("section", lang):
        for fig in page(built_site, url).find_all("figure"):
            if not fig.has_class("figure"):
                continue
            src = fig.find("img").get("src")
            chart = re.fullmatch(rf"/charts/([a-z0-9-]+)\.{lang}\.[0-9a-f]+\.svg", src).group(1)
            links = [a.get("href") for p in fig.by_class("fig-page") for a in p.find_all("a")]
            assert links == [figure_url(chart, lang)], f"{url}: figure {chart} links to {links}"
            linked[chart] = url
    assert sorted(linked) == sorted(charts()), "a chart is on no section page"
    listed = page(built_site, home_url(lang)).by_class("home-figures")
    assert len(listed) == 1, "the cover has no list of figures"
    items = {a.get("href"): " ".join(a.text().split()) for a in listed[0].find_all("a")}
    assert sorted(items) == sorted(figure_url(c, lang) for c in charts())
    for chart, spec in charts().items():
        assert spec["title"][lang] in items[figure_url(chart, lang)]


# ---------------------------------------------------------------- stable URLs across a data change


def chart_images(site: Path, chart: str) -> set[str]:
    return {p.name for p in (site / "charts").glob(f"{chart}.*.svg")}


def test_stable_urls_survive_a_data_change(content_copy, tmp_path):
    chart, old, new = "deficit-2018", 5.5, 6.5
    out = tmp_path / "site"

    def build() -> None:
        result = pipeline.build(real_project(content_copy, tmp_path / "cache"), out, search=False, pdf=False)
        assert result.ok, "\n".join(map(str, result.diagnostics.sorted()))

    def snapshot() -> dict[str, Any]:
        shot: dict[str, Any] = {"images": chart_images(out, chart), "others": {}}
        for lang in LANGS:
            doc = page(out, figure_url(chart, lang))
            shot[lang] = {
                "downloads": figure_downloads(doc),
                "bytes": {k: local(out, u).read_bytes() for k, u in download_urls(chart, lang).items()},
                "listed": [a.get("href") for a in page(out, home_url(lang)).by_class("home-figures")[0].find_all("a")],
            }
        for other in charts():
            if other != chart:
                shot["others"][other] = chart_images(out, other)
        return shot

    build()
    before = snapshot()
    yaml_file = content_copy / "charts" / f"{chart}.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    point = f"{{value: {old}, source: para-8}}"
    assert text.count(point) == 1
    yaml_file.write_text(text.replace(point, f"{{value: {new}, source: para-8}}"), encoding="utf-8")
    build()
    after = snapshot()

    for lang in LANGS:
        # Same addresses: the figure page, its downloads, the cover's link to it.
        assert after[lang]["downloads"] == before[lang]["downloads"] == list(download_urls(chart, lang).values())
        assert after[lang]["listed"] == before[lang]["listed"]
        # New content at those addresses.
        for kind in ("svg", "png", "csv", "json"):
            assert after[lang]["bytes"][kind] != before[lang]["bytes"][kind], f"{lang} {kind} did not change"
        rows = parse_csv(local(out, download_urls(chart, lang)["csv"]))
        assert float(rows[1][1]) == new
        data = json.loads(local(out, download_urls(chart, lang)["json"]).read_text("utf-8"))
        assert data["series"][0]["values"][0]["value"] == new
    # The hashed images the pages show are new files; the old ones are gone; other charts' are untouched.
    assert before["images"] and after["images"] and not before["images"] & after["images"]
    assert not [name for name in before["images"] if (out / "charts" / name).exists()]
    assert after["others"] == before["others"]
    for lang in LANGS:
        shown = page(out, figure_url(chart, lang)).find("figure").find("img").get("src")
        assert shown.rsplit("/", 1)[1] in after["images"]


# ---------------------------------------------------------------- og:image


@pytest.mark.parametrize("lang", LANGS)
def test_og_image_cards_and_figure_images(built_site, lang):
    for s in sections():
        url = f"/{lang}/{s['slug']}/"
        images = metas(page(built_site, url)).get("og:image")
        assert images == [BASE + url + "card.png"], f"{url}: og:image {images}"
        assert png_size(local(built_site, images[0])) == (1200, 630), url
    for chart in charts():
        url = figure_url(chart, lang)
        images = metas(page(built_site, url)).get("og:image")
        assert images == [BASE + download_urls(chart, lang)["png"]], f"{url}: og:image {images}"
        assert png_size(local(built_site, images[0])) == (2000, 1250)


# ---------------------------------------------------------------- the cover's "Cite this report", statically


@pytest.mark.parametrize("lang", LANGS)
def test_cite_block_offers_the_three_reference_files(built_site, lang):
    blocks = page(built_site, home_url(lang)).by_class("cite-report")
    assert len(blocks) == 1
    links = {a.get("href"): a.get("type") for a in blocks[0].find_all("a")}
    stem = f"/{lang}/cite/{ID}.{lang}"
    assert links == {
        f"{stem}.bib": "application/x-bibtex",
        f"{stem}.ris": "application/x-research-info-systems",
        f"{stem}.json": "application/vnd.citationstyles.csl+json",
    }
    for href in links:
        assert local(built_site, href).is_file(), href


# ---------------------------------------------------------------- in Chromium, under the production CSP


def citation_parts(lang: str) -> list[str]:
    return [CITE["author"][lang], REPORT["cover"]["title"][lang], SYMBOL, CITE["place"][lang], CITE["issued"][:4]]


@pytest.mark.parametrize("lang", LANGS)
def test_cite_block_loads_without_error_or_csp_violation(chromium, site_url, lang):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        watch = PageWatch(tab)
        tab.goto(site_url + home_url(lang))
        tab.wait_for_load_state("networkidle")
        block = tab.locator("section.cite-report")
        block.scroll_into_view_if_needed()
        assert block.is_visible()
        assert block.locator("button.cite-copy").is_visible(), "the copy button stays hidden: site.js did not run"
        assert block.locator("a[download]").count() == 3
        node = tab.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")
        assert node["@id"] == BASE + home_url(lang) + "#report"
        assert watch.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_cite_block_copy_button_copies_the_formatted_citation(chromium, site_url, lang):
    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        tab = context.new_page()
        watch = PageWatch(tab)
        tab.goto(site_url + home_url(lang))
        button = tab.locator("section.cite-report button.cite-copy")
        button.click()
        copied = tab.evaluate("navigator.clipboard.readText()")
        shown = " ".join(tab.locator("#citation").inner_text().split())
        assert copied == button.get_attribute("data-copy-text")
        assert " ".join(copied.split()) == shown, "the copied citation is not the one shown"
        for part in citation_parts(lang):
            assert part in copied, f"{part!r} is not in the copied citation {copied!r}"
        assert watch.errors == []
    finally:
        context.close()
