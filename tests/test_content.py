"""The report as content: the Chinese is the source's text, the English is
complete and carries every quantity, in the same sections.

The fidelity test rebuilds the source's paragraphs from sources/ (the PDF
extraction kept in the repository), dropping only the artefacts named in
the content issue, and compares each paragraph with the content's,
ignoring whitespace."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import load_parsed

from reportsite.quantities import missing
from reportsite.validate import quantity_reader

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "sources" / "HSP-HA-1-2.zh.txt"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")

# Lines of the PDF extraction that are not running text.
FIGURE_LINES = {"图", "2018 年预算外收入：目标与实际情况对比", "（百万美元）", "非专门用途基金会 专门用途基金会 技术合作"}
FOOTNOTE_LINE = re.compile(r"^(\d+ (可查阅|除非|更多)|http|Cities%20|final_predesign)")
# Footnote markers printed as bare digits glued to the text.
MARKERS = [("美元1的", "美元的"), ("版本。2", "版本。"), ("要素。3", "要素。"), ("经验》4，", "经验》，"), ("指南5。", "指南。")]


def squeeze(text: str) -> str:
    return re.sub(r"\s", "", text)


@lru_cache(maxsize=1)
def site():
    return load_parsed().site


def missing_in_english(zh: str, en: str) -> list[str]:
    return missing(zh, quantity_reader(site(), "zh"), en, quantity_reader(site(), "en"))


def paragraphs(lang: str) -> dict[int, tuple[str, str]]:
    """number -> (section id, plain text)."""
    out = {}
    for section in site().sections:
        for block in section.bodies[lang].parsed.blocks:
            if block.kind == "para":
                out[block.number] = (section.id, block.text)
    return out


@lru_cache(maxsize=1)
def source_paragraphs() -> dict[int, str]:
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("1. 本报告"))
    headings = {squeeze(s.title["zh"]) for s in site().sections}
    out: dict[int, list[str]] = {}
    current, expected, in_footnotes = 0, 1, False
    pending_heading = ""
    for raw in lines[start:]:
        line = raw.strip()
        if raw and set(raw) == {" "} and len(raw) > 20:  # the rule above page-bottom footnotes
            in_footnotes = True
            continue
        if not line:
            continue
        if in_footnotes and FOOTNOTE_LINE.match(line):
            continue
        in_footnotes = False
        if line.startswith("http://") or line in FIGURE_LINES:
            continue
        m = re.match(rf"{expected}\.\s", line)
        if m:
            current, expected = expected, expected + 1
            out[current] = [line[m.end():]]
            pending_heading = ""
            continue
        # Headings, some printed over two lines, sit between paragraphs.
        candidate = squeeze(re.sub(r"^([一二三四]、|[A-F]\.|\d+\.)", "", pending_heading + line))
        if candidate in headings or any(h.startswith(candidate) and candidate for h in headings):
            pending_heading = "" if candidate in headings else pending_heading + line
            continue
        out[current].append(line)
    text = {n: squeeze("".join(parts)) for n, parts in out.items()}
    for before, after in MARKERS:
        for n, t in text.items():
            text[n] = t.replace(before, after)
    return text


def test_all_92_paragraphs_in_both_languages_in_the_same_sections():
    zh, en = paragraphs("zh"), paragraphs("en")
    assert sorted(zh) == list(range(1, 93))
    assert sorted(en) == list(range(1, 93))
    assert {n: s for n, (s, _) in zh.items()} == {n: s for n, (s, _) in en.items()}


def test_chinese_paragraphs_equal_the_source():
    source = source_paragraphs()
    assert sorted(source) == list(range(1, 93))
    mismatched = [n for n, (_, text) in paragraphs("zh").items() if squeeze(text) != source[n]]
    assert mismatched == [], f"paragraphs differing from the source: {mismatched}"


def test_fidelity_test_catches_a_changed_character():
    # The comparison above must be able to fail: one character changed is found.
    text = squeeze(paragraphs("zh")[49][1])
    assert text == source_paragraphs()[49]
    assert text.replace("土地", "士地", 1) != source_paragraphs()[49]


def test_headings_cover_summary_and_footnotes_come_from_the_source():
    source = squeeze(SOURCE.read_text(encoding="utf-8"))
    for section in site().sections:
        assert squeeze(section.title["zh"]) in source, section.id
    report = site().report
    for field in report.cover:
        assert squeeze(field.text["zh"].replace("[^*]", "*")) in source, field.key
    assert squeeze(report.summary["zh"]) in source
    for section in site().sections:
        for note in section.bodies["zh"].parsed.footnotes:
            assert squeeze(note.text) in source.replace("Safer%20Cities", "Safer%20Cities"), note.label
    assert squeeze(report.notes["zh"]["*"]) in source


def test_footnotes_are_cited_where_the_source_cites_them(built_site):
    where = {}
    for section in site().sections:
        body = section.bodies["zh"]
        for ref, pos in body.parsed.refs:
            para = max((b for b in body.parsed.blocks if b.kind == "para" and b.line <= pos.line),
                       key=lambda b: b.line)
            where[ref.label] = para.number
    assert where == {"1": 8, "2": 59, "3": 65, "4": 72, "5": 73}
    page = (built_site / "zh" / "restructuring" / "index.html").read_text("utf-8")
    assert re.search(r"550 万美元<sup class=\"fnref\"><a href=\"#fn-1\"", page)
    assert site().report.field("agenda_item").text["zh"] == "临时议程[^*]项目 9"


def test_footnote_urls_are_links(built_site):
    page = (built_site / "en" / "resolution-26-4" / "index.html").read_text("utf-8")
    notes = page[page.index('class="footnotes"'):]
    assert "Safer%20Cities%20in%20Africa" in notes and "%20%20" not in notes
    assert 'href="http://www.cdeunodc.inegi.org.mx/unodc/wp-content/uploads/2019/02/Guide-safety-audits_final' in notes
    housing = (built_site / "en" / "housing-slum-upgrading" / "index.html").read_text("utf-8")
    assert 'href="http://www.sherpa4housing.org/"' in housing


def test_sub_items_stay_inside_their_paragraph(built_site):
    for lang in ("zh", "en"):
        page = (built_site / lang / "internal-change" / "index.html").read_text("utf-8")
        para6 = page[page.index('id="para-6"'):]
        para6 = para6[:para6.index('</div>')]
        assert re.findall(r"<li>\((\w)\)", para6) == list("abcdefg"), lang


def test_english_has_every_quantity_of_the_chinese():
    zh, en = paragraphs("zh"), paragraphs("en")
    missing = {n: missing_in_english(zh[n][1], en[n][1]) for n in zh}
    assert {n: m for n, m in missing.items() if m} == {}


@pytest.mark.parametrize("zh_text,en_text,lacking", [
    ("总收入达1.788 亿美元", "total income of $178.8 million", []),
    ("收到了 1 430 万美元", "received $14.3 million", []),
    ("每年投入超过 20 亿美元", "more than $2 billion a year", []),
    ("2018 年 12 月 20 日", "on 20 December 2018", []),
    ("2018 年 12 月 20 日", "on 20 November 2018", ["12 月"]),
    ("收到了 1 430 万美元", "received $14.5 million", ["1 430 万"]),
    ("第 26/1 号决议", "resolution 26/7", ["26/1"]),
])
def test_quantity_check_converts_wan_and_yi(zh_text, en_text, lacking):
    assert missing_in_english(zh_text, en_text) == lacking


def test_no_chinese_characters_in_english_text():
    offenders = []
    for section in site().sections:
        body = section.bodies["en"]
        texts = [section.title["en"], body.description, *(b.text for b in body.parsed.blocks),
                 *(n.text for n in body.parsed.footnotes)]
        offenders += [(section.id, t[:40]) for t in texts if CJK.search(t)]
    report = site().report
    offenders += [(f.key, f.text["en"][:40]) for f in report.cover if CJK.search(f.text["en"])]
    assert offenders == []


def test_english_uses_un_register():
    text = " ".join(t for _, t in paragraphs("en").values())
    assert "$178.8 million" in text and "per cent" in text and "%" not in text
    for term in ("UN-Habitat", "Member States", "the New Urban Agenda", "the 2030 Agenda for Sustainable Development"):
        assert term in text, term
    assert re.search(r"Governing Council resolutions? 26/1\b", text)
    assert "the UN-Habitat" not in text
