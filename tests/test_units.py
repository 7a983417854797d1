"""Unit tests per stage: YAML with positions, Markdown blocks, URLs, the
atomic write, headings and ids."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportsite import htmltext, labels, write
from reportsite.errors import Diagnostics
from reportsite.languages import language
from reportsite.markdown import footnote_key, parse_body
from reportsite.textfile import read_text, split_front_matter
from reportsite.typography import Quotes
from reportsite.urls import Figure, File, output_path, pairs, url_for
from reportsite.yamlschema import Dict, Int, Map, Str, load

UI = {"paragraph": "Paragraph {n}", "footnote": "Footnote {label}", "back_to_ref": "Back to {label}",
      "footnotes": "Footnotes"}
WHERE = htmltext.Where(UI, Quotes("“", "”", "‘", "’"), lambda link: link.href if link.external else "#" + link.fragment,
                       lambda src: "/media/" + src)


def html_of(block) -> str:  # type: ignore[no-untyped-def]
    return htmltext.paragraph(block, WHERE)


def yaml_errors(text: str) -> list[str]:
    diags = Diagnostics()
    schema = Map({"id": Str(), "order": Int(), "title": Dict(Str(), keys=("zh", "en"), name="title")},
                 required=("id", "order"))
    load(text, "x.yaml", schema, diags)
    return [str(d) for d in diags.sorted()]


@pytest.mark.parametrize("text,expected", [
    ("id: a\norder: 1\n", []),
    ("id: a\norder: 1\norder: 2\n", ["x.yaml:3:1: error: duplicate key 'order' (first written on line 2); "
                                      "YAML would silently keep only the last one"]),
    ("id: no\norder: 1\n", ["x.yaml:1:5: error: 'no' is read as a boolean by YAML, not as text; write it in quotes: \"no\""]),
    ("id: a\norder: one\n", ["x.yaml:2:8: error: expected a whole number, found str 'one'"]),
    ("id: a\norder: 1\ntitel: x\n", ["x.yaml:3:1: error: unknown key 'titel' (did you mean 'title'?)"]),
    ("id: a\n", ["x.yaml:1:1: error: missing key: order"]),
    ("id: a\norder: 1\ntitle:\n  zh: 甲\n", ["x.yaml:4:3: error: title missing for: en"]),
    ("id: a\n\torder: 1\n", ["x.yaml:2:1: error: tab character in indentation; YAML needs spaces"]),
    ("id: [a\norder: 1\n", ["x.yaml:1:5: error: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that is not closed; noticed at line 2)"]),
])
def test_yaml_diagnostics_name_line_and_column(text, expected):
    assert yaml_errors(text) == expected


def test_read_text_accepts_bom_and_crlf_and_names_bad_bytes(tmp_path):
    good = tmp_path / "a.md"
    good.write_bytes(b"\xef\xbb\xbf---\r\ndescription: x\r\n---\r\n")
    diags = Diagnostics()
    assert read_text(good, "a.md", str(tmp_path), diags) == "---\ndescription: x\n---\n" and not diags.items
    bad = tmp_path / "b.md"
    bad.write_bytes(b"line one\nline \xff two\n")
    read_text(bad, "b.md", str(tmp_path), diags)
    assert [d.message for d in diags.items] == ["invalid UTF-8 (byte 0xff); save the file as UTF-8"]
    assert (diags.items[0].pos.line, diags.items[0].pos.col) == (2, 6)


def test_front_matter_keeps_body_line_numbers():
    diags = Diagnostics()
    fm = split_front_matter("---\ndescription: x\n---\n\n5. Text\n", "b.md", diags)
    parsed = parse_body(fm.body, "b.md", "s", True)
    assert parsed.blocks[0].line == 5 and parsed.blocks[0].number == 5
    split_front_matter("---\ndescription: x\n", "b.md", diags)
    split_front_matter("5. No front matter\n", "b.md", diags)
    assert [d.message for d in diags.items] == [
        "unclosed front matter: no closing '---' line",
        "missing front matter: the file must start with a '---' line, the description, and a closing '---' line",
    ]


def test_numbered_paragraphs_sub_items_footnotes_and_charts():
    text = ("1. First[^1] paragraph.\n\n(a) item one;\n\n(b) item two.\n\n2. Second <b>raw</b>.\n\n"
            "```chart\nmy-chart\n```\n\n[^1]: A note with [a link](https://example.org/).\n")
    parsed = parse_body(text, "b.md", "s", True)
    kinds = [(b.kind, b.id) for b in parsed.blocks]
    assert kinds == [("para", "para-1"), ("para", "para-2"), ("figure", "my-chart")]
    first = html_of(parsed.blocks[0])
    assert first.startswith('<div class="para" id="para-1"><a class="pnum" href="#para-1" aria-label="Paragraph 1">1.</a>')
    assert '<ol class="items"><li>(a) item one;</li><li>(b) item two.</li></ol>' in first
    assert '<a href="#fn-1" id="fnref-1" role="doc-noteref"' in first
    assert "&lt;b&gt;raw&lt;/b&gt;" in html_of(parsed.blocks[1])  # raw HTML is shown, never rendered
    assert [(d.severity, d.message) for d in parsed.diagnostics] == [
        ("warning", "raw HTML is not allowed and is shown as text")]
    notes = htmltext.footnotes(parsed.footnotes, WHERE)
    assert parsed.footnotes[0].key == "1" and 'href="https://example.org/"' in notes


def test_paragraphs_without_numbers_get_ids_from_their_section_and_order():
    parsed = parse_body("1. Not a number here.\n\nSecond.\n", "b.md", "intro", False)
    assert [(b.id, b.number) for b in parsed.blocks] == [("p-intro-1", None), ("p-intro-2", None)]
    assert parsed.blocks[0].text == "1. Not a number here."


def test_links_that_are_not_links_are_shown_as_text_with_a_warning():
    text = "1. [click](javascript:alert(1)) and [data](data:text/html,x) and [ok](#para-1).\n"
    parsed = parse_body(text, "b.md", "s", True)
    assert [d.message.split(" is not")[0] for d in parsed.diagnostics] == ["link to 'javascript:alert(1'",
                                                                            "link to 'data:text/html,x'"]
    assert all(d.pos.line == 1 for d in parsed.diagnostics)
    html = html_of(parsed.blocks[0])
    assert 'href="javascript' not in html and 'href="data:' not in html and 'href="#para-1"' in html
    assert "[click](javascript:alert(1))" in html  # shown as the editor wrote it


def test_invisible_characters_are_reported():
    parsed = parse_body("1. A \u202eflipped\u202c text and a zero\u200bwidth space; Persian keeps \u200c.\n",
                        "b.md", "s", True)
    assert [(d.pos.col, d.message[:29]) for d in parsed.diagnostics] == [
        (6, "invisible character U+202E in"), (14, "invisible character U+202C in"),
        (31, "invisible character U+200B in")]


def test_straight_quotes_become_the_language_s_own():
    parsed = parse_body('1. The "New Urban Agenda" and UN-Habitat\'s plan.\n', "b.md", "s", True)
    en = htmltext.paragraph(parsed.blocks[0], WHERE)
    assert "The “New Urban Agenda” and UN-Habitat’s plan." in en
    fr = htmltext.Where(UI, Quotes("«", "»", "«", "»", "\u202f"), WHERE.link, WHERE.image)
    assert "«\u202fNew Urban Agenda\u202f»" in htmltext.paragraph(parsed.blocks[0], fr)


def test_footnote_problems_are_reported():
    parsed = parse_body("1. Cites [^9].\n\n[^2]: Never cited.\n", "b.md", "s", True)
    assert sorted((str(d.pos), d.message) for d in parsed.diagnostics) == [
        ("b.md:1:10", "footnote [^9] is cited but not defined in this file"),
        ("b.md:3:1", "footnote [^2] is defined but never cited"),
    ]


def test_headings_in_a_body_are_refused():
    parsed = parse_body("# Title\n\n1. Text\n", "b.md", "s", True)
    assert parsed.diagnostics[0].message.startswith("headings are not allowed in a body")


@pytest.mark.parametrize("label,key", [("1", "1"), ("*", "star"), ("a-b", "a-b")])
def test_footnote_ids_are_language_neutral(label, key):
    assert footnote_key(label) == key



def test_url_for_table():
    from reportsite.model import Section
    s = Section(id="x", slug="land", label=(2, 3, 5), order=5, title={"zh": "土地", "en": "Land"}, depth=3,
                parent=None, children=(), dir=Path("."), yaml_path="", pos={})
    zh, en, fr = language("zh"), language("en"), language("fr")
    default, zh_fr, en_fr = pairs((zh, en, fr))
    assert url_for(s, zh) == "/zh/land/"
    assert url_for(s, en) == "/en/land/"
    assert url_for(s, default) == "/parallel/land/"
    assert url_for(s, zh_fr) == "/parallel/zh-fr/land/" and url_for(s, en_fr) == "/parallel/en-fr/land/"
    assert url_for("landing") == "/"
    assert url_for("home", en) == "/en/"
    assert url_for("full", zh) == "/zh/full/"
    assert url_for("full", default) == "/parallel/full/"
    assert url_for("404", en) == "/en/404.html" and url_for("404") == "/404.html"
    assert url_for(Figure("deficit"), fr) == "/fr/figures/deficit/"
    assert url_for(File("r.fr.pdf"), fr) == "/fr/r.fr.pdf" and url_for(File("r.bib", "cite"), fr) == "/fr/cite/r.bib"
    assert url_for(language("zh-Hant")) if False else url_for(s, language("zh-Hant")) == "/zh-hant/land/"
    assert output_path("/en/land/") == "en/land/index.html"
    assert output_path("/") == "index.html"
    assert output_path("/en/404.html") == "en/404.html"


@pytest.mark.parametrize("scheme, counters, lang, pattern, expected", [
    ("un", (5,), "en", "{marker}. {title}", "V. Land"),
    ("un", (2, 3, 5), "en", "{marker}. {title}", "5. Land"),
    ("un", (12,), "zh", "{marker:simp-chinese-informal}、{title}", "十二、Land"),
    ("un", (3,), "ar", "{marker:arabic-ordinal} - {title}", "ثالثا - Land"),
    ("un", (1, 2), "ar", "{marker:arabic-abjad} - {title}", "باء - Land"),
    ("decimal", (2, 3, 5), "en", "{label} {title}", "2.3.5 Land"),
])
def test_headings_follow_the_scheme_and_the_language(scheme, counters, lang, pattern, expected):
    depth = len(counters)
    patterns = {scheme: ["{marker}. {title}"] * (depth - 1) + [pattern]}
    assert labels.heading("Land", counters, labels.SCHEMES[scheme], patterns) == expected


def test_labels_are_read_by_their_scheme():
    un, decimal = labels.SCHEMES["un"], labels.SCHEMES["decimal"]
    assert un.parse("II.C.5", 3) == (2, 3, 5) and un.parse("II.C", 3) is None and un.parse("2", 1) is None
    assert decimal.parse("2.3.5", 3) == (2, 3, 5) and decimal.parse("II", 1) is None
    assert [labels.simp_chinese_informal(n) for n in (1, 2, 3, 4, 9, 10, 12, 20, 40, 105)] == \
        ["一", "二", "三", "四", "九", "十", "十二", "二十", "四十", "一百零五"]


def test_write_swaps_atomically_and_keeps_old_output_on_failure(tmp_path):
    out = tmp_path / "site"
    stage = write.stage_dir(out)
    write.write_files({"index.html": b"one", "a/b.html": b"two"}, stage)
    write.commit(stage, out)
    assert (out / "index.html").read_bytes() == b"one"
    stage = write.stage_dir(out)
    write.write_files({"index.html": b"new"}, stage)
    write.abort(stage)  # a failed build
    assert (out / "index.html").read_bytes() == b"one" and (out / "a" / "b.html").read_bytes() == b"two"
    for text in (b"three", b"four", b"four"):
        stage = write.stage_dir(out)
        write.write_files({"index.html": text, "c.html": b"c"}, stage)
        write.commit(stage, out)
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        assert files == [".reportsite", "c.html", "index.html"] and (out / "index.html").read_bytes() == text


def test_unchanged_files_are_not_rewritten(tmp_path):
    out = tmp_path / "site"
    for _ in range(2):  # the second build stages into the first build's spare
        stage = write.stage_dir(out)
        write.write_files({"a.html": b"a", "b.html": b"b"}, stage)
        write.commit(stage, out)
    stage = write.stage_dir(out)
    assert write.write_files({"a.html": b"a", "b.html": b"B"}, stage) == 1


def test_files_changed_after_the_manifest_was_recorded_are_rewritten(tmp_path):
    # The preview replaces pages of the served folder in place; that folder later becomes the
    # spare a build stages into, and its manifest must not make the build keep an edited page.
    out = tmp_path / "site"
    for _ in range(2):
        stage = write.stage_dir(out)
        write.write_files({"a.html": b"aaa", "gone.html": b"g"}, stage)
        write.commit(stage, out)
    (out / "a.html").write_bytes(b"AAA")  # same size, other bytes: as the preview's edit leaves it
    (out / write.DIRTY).write_bytes(b"")
    stage = write.stage_dir(out)
    write.commit(stage, out)  # served: the other folder; the edited one is now the spare
    stage = write.stage_dir(out)
    write.write_files({"a.html": b"aaa"}, stage)
    write.commit(stage, out)
    assert (out / "a.html").read_bytes() == b"aaa"
    assert sorted(p.name for p in out.iterdir()) == [".reportsite", "a.html"]
