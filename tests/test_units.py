"""Unit tests per stage: YAML with positions, Markdown blocks, URLs, the
atomic write, headings and ids."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportsite import write
from reportsite.errors import Diagnostics
from reportsite.i18n import output_path, url_for
from reportsite.markdown import footnote_key, parse_body
from reportsite.render import chinese_numeral, heading_text, roman_to_int
from reportsite.textfile import read_text, split_front_matter
from reportsite.yamlschema import Dict, Int, Map, Str, load

UI = {"paragraph": "Paragraph {n}", "footnote": "Footnote {label}"}


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
    assert read_text(good, diags) == "---\ndescription: x\n---\n" and not diags.items
    bad = tmp_path / "b.md"
    bad.write_bytes(b"line one\nline \xff two\n")
    read_text(bad, diags)
    assert [d.message for d in diags.items] == ["invalid UTF-8 (byte 0xff); save the file as UTF-8"]
    assert (diags.items[0].pos.line, diags.items[0].pos.col) == (2, 6)


def test_front_matter_keeps_body_line_numbers():
    diags = Diagnostics()
    fm = split_front_matter("---\ndescription: x\n---\n\n5. Text\n", "b.md", diags)
    parsed = parse_body(fm.body, "b.md", UI)
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
    parsed = parse_body(text, "b.md", UI)
    kinds = [(b.kind, b.key) for b in parsed.blocks]
    assert kinds == [("para", "para-1"), ("para", "para-2"), ("figure", "my-chart")]
    first = parsed.blocks[0].html
    assert first.startswith('<div class="para" id="para-1"><a class="pnum" href="#para-1" aria-label="Paragraph 1">1.</a>')
    assert '<ol class="items"><li>(a) item one;</li><li>(b) item two.</li></ol>' in first
    assert '<a href="#fn-1" id="fnref-1" role="doc-noteref"' in first
    assert "&lt;b&gt;raw&lt;/b&gt;" in parsed.blocks[1].html  # raw HTML is shown, never rendered
    assert [(d[1], d[2]) for d in parsed.diagnostics] == [("warning", "raw HTML is not allowed and is shown as text")]
    assert parsed.footnotes[0].key == "1" and 'href="https://example.org/"' in parsed.footnotes[0].html


def test_footnote_problems_are_reported():
    parsed = parse_body("1. Cites [^9].\n\n[^2]: Never cited.\n", "b.md", UI)
    assert sorted((str(p), m) for p, _, m in parsed.diagnostics) == [
        ("b.md:1:10", "footnote [^9] is cited but not defined in this file"),
        ("b.md:3:1", "footnote [^2] is defined but never cited"),
    ]


def test_headings_in_a_body_are_refused():
    parsed = parse_body("# Title\n\n1. Text\n", "b.md", UI)
    assert parsed.diagnostics[0][2].startswith("headings are not allowed in a body")


@pytest.mark.parametrize("label,key", [("1", "1"), ("*", "star"), ("a-b", "a-b")])
def test_footnote_ids_are_language_neutral(label, key):
    assert footnote_key(label) == key



def test_url_for_table():
    from reportsite.model import Section
    s = Section(id="x", slug="land", label="II.C.5", order=5, title={"zh": "土地", "en": "Land"}, depth=3,
                parent=None, children=(), dir=Path("."), yaml_path="", pos={})
    assert url_for(s, "zh") == "/zh/land/"
    assert url_for(s, "en") == "/en/land/"
    assert url_for(s, "parallel") == "/parallel/land/"
    assert url_for("landing") == "/"
    assert url_for("home", "en") == "/en/"
    assert url_for("full", "zh") == "/zh/full/"
    assert url_for("full", "parallel") == "/parallel/full/"
    assert url_for("404", "en") == "/en/404.html"
    assert output_path("/en/land/") == "en/land/index.html"
    assert output_path("/") == "index.html"
    assert output_path("/en/404.html") == "en/404.html"
    assert heading_text(s, "en") == "5. Land"


def test_chapter_numbers_in_chinese():
    assert [chinese_numeral(roman_to_int(r)) for r in ("I", "II", "III", "IV", "IX", "XII")] == \
        ["一", "二", "三", "四", "九", "十二"]


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
        written = write.write_files({"a.html": b"a", "b.html": b"b"}, stage)
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
