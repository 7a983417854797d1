"""The report as PDF: one per language and one side by side, read as a reader, a screen reader and a
librarian would (pikepdf for the structure, poppler's pdftotext and pdffonts for the text and fonts)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import load_parsed, real_project
from htmldom import parse_file
from test_check import make_site

from reportsite import errors, pipeline, project

ROOT = Path(__file__).resolve().parent.parent

PDFS = {"zh": "zh/hsp-ha-1-2.zh.pdf", "en": "en/hsp-ha-1-2.en.pdf", "pair": "parallel/hsp-ha-1-2.zh-en.pdf"}
HOSTILE = '#eval("1+1") $x$ *bold* _u_ @ref <lbl> [x] \\ // comment ~ = - + `code` #let a = 1'


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def raw_text(pdf: Path) -> str:
    """The text in the order it is stored (the reading order of the tagged content)."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-raw", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def squeeze(text: str) -> str:
    """Text without layout: no spaces or line breaks, and quotation marks of any kind left out, since the
    PDF writes each language's own (“…”, «…») where the source has straight ones."""
    return re.sub(r"[\s\"'“”‘’«»]+", "", text.replace("\u00ad", "").replace("-\n", ""))


def structure(node: object, out: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            out.append((str(node.S), str(node.get("/Alt", ""))))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            structure(kid, out)
    return out


def outline_titles(items: list[pikepdf.OutlineItem]) -> list[str]:
    out = []
    for item in items:
        out.append(str(item.title))
        out += outline_titles(item.children)
    return out


@pytest.fixture(scope="module")
def checked():
    return load_parsed()


def test_every_pdf_is_built_and_linked_with_its_size(built_site: Path) -> None:
    for rel in PDFS.values():
        assert (built_site / rel).read_bytes().startswith(b"%PDF-1.7")
    for lang in ("zh", "en"):
        for page in (f"{lang}/index.html", f"{lang}/full/index.html", f"{lang}/restructuring/index.html"):
            doc = parse_file(built_site / page)
            link = doc.find("a", href=f"/{PDFS[lang]}")
            assert link is not None and link.get("type") == "application/pdf", page
            size = (built_site / PDFS[lang]).stat().st_size
            shown = re.search(r"(\d+(?:[.,]\d+)?)\s*(kB|MB)", link.text())
            assert shown, link.text()
            value = float(shown.group(1).replace(",", ".")) * (1000 if shown.group(2) == "kB" else 1_000_000)
            assert abs(value - size) / size < 0.05, (page, link.text(), size)
    pair = parse_file(built_site / "parallel" / "restructuring" / "index.html")
    assert pair.find("a", href=f"/{PDFS['pair']}") is not None
    sitemap = (built_site / "sitemap.xml").read_text()
    assert f"/{PDFS['en']}</loc>" in sitemap and f"/{PDFS['zh']}</loc>" in sitemap


def test_document_metadata_language_and_tagging(built_site: Path) -> None:
    expect = {"zh": ("zh", "联合国人类住区规划署的活动"), "en": ("en", "Activities of the United Nations Human Settlements Programme")}
    for key, rel in PDFS.items():
        with pikepdf.open(built_site / rel) as pdf:
            assert pdf.Root.MarkInfo.Marked is True and "/StructTreeRoot" in pdf.Root
            lang, title = expect.get(key, expect["zh"])
            assert str(pdf.Root.Lang).startswith(lang)
            assert str(pdf.docinfo.Title).startswith(title)
            meta = pdf.open_metadata()
            assert meta.get("pdfuaid:part") == "1"  # PDF/UA-1
            assert "/CreationDate" not in pdf.docinfo and "/ModDate" not in pdf.docinfo


def test_every_numbered_paragraph_is_there_in_order(built_site: Path, checked) -> None:
    for lang in ("zh", "en"):
        text = squeeze(raw_text(built_site / PDFS[lang]))
        at = 0
        for section in checked.site.sections:
            for block in section.bodies[lang].parsed.blocks:
                if block.number is None:
                    continue
                # The paragraph's text as typeset: quotes curled, so compare a stretch of plain words.
                words = squeeze(block.text)[:40]
                found = text.find(words, at) if lang == "zh" else text.find(words[:25], at)
                assert found >= 0, (lang, block.number, words)
                at = found


def test_footnotes_are_at_the_foot_with_the_report_s_markers(built_site: Path, checked) -> None:
    for lang in ("zh", "en"):
        text = squeeze(text_of(built_site / PDFS[lang]))
        for section in checked.site.sections:
            for note in section.bodies[lang].parsed.footnotes:
                assert squeeze(note.text)[:30] in text, (lang, note.label)
        assert squeeze(checked.site.report.notes[lang]["*"]) in text


def test_one_bookmark_per_section_and_a_contents_page(built_site: Path, checked) -> None:
    for lang in ("zh", "en"):
        with pikepdf.open(built_site / PDFS[lang]) as pdf, pdf.open_outline() as outline:
            titles = outline_titles(outline.root)
        assert len(titles) == len(checked.site.sections), titles
        assert titles[0] in ("I. Introduction", "一、导言")
        page_two = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(built_site / PDFS[lang]), "-"],
                                  capture_output=True, text=True).stdout
        assert ("Contents" if lang == "en" else "目录") in page_two and re.search(r"\d+\s*$", page_two.strip())


def test_figures_are_vector_graphics_with_their_alt_text(built_site: Path, checked) -> None:
    for lang in ("zh", "en"):
        with pikepdf.open(built_site / PDFS[lang]) as pdf:
            figures = [alt for tag, alt in structure(pdf.Root.StructTreeRoot, []) if tag == "/Figure"]
            images = [i for page in pdf.pages for i in page.get_images()]
        alts = {spec.alt[lang] for spec in checked.site.charts.values()}
        assert set(figures) == alts
        assert images == []  # drawn as vector paths, not raster images


def test_fonts_are_embedded_and_subset(built_site: Path) -> None:
    for rel in PDFS.values():
        lines = subprocess.run(["pdffonts", str(built_site / rel)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert lines
        for line in lines:
            emb, sub = line.split()[-5:-3]
            assert (emb, sub) == ("yes", "yes"), line
            assert "+" in line.split()[0]


def test_the_side_by_side_pdf_reads_a_row_at_a_time_each_cell_whole(built_site: Path, checked) -> None:
    text = squeeze(raw_text(built_site / PDFS["pair"]))
    para = next(b for s in checked.site.sections for b in s.bodies["zh"].parsed.blocks if b.number == 8)
    en = next(b for s in checked.site.sections for b in s.bodies["en"].parsed.blocks if b.number == 8)
    zh_start = text.find(squeeze(para.text)[:20])
    zh_end = text.find(squeeze(para.text)[-12:])
    en_start = text.find(squeeze(en.text)[:20])
    assert 0 <= zh_start < zh_end < en_start  # the Chinese paragraph whole, then the English one
    with pikepdf.open(built_site / PDFS["pair"]) as pdf:
        tags = structure(pdf.Root.StructTreeRoot, [])
    assert sum(1 for tag, _ in tags if tag == "/Figure") == 2 * len(checked.site.charts)


def test_two_builds_give_the_same_pdf_bytes_and_a_build_that_changes_nothing_does_not_typeset(tmp_path: Path) -> None:
    site = make_site(tmp_path / "src")
    outs = []
    for n in range(2):
        out = tmp_path / f"out{n}"
        errors.set_root(tmp_path)
        result = pipeline.build(real_project(site, tmp_path / f"cache{n}"), out, search=False)
        assert result.written, [str(d) for d in result.diagnostics.sorted()]
        outs.append(out)
        assert "pdf" in result.timings
    for rel in ("zh/test-1.zh.pdf", "en/test-1.en.pdf", "parallel/test-1.zh-en.pdf"):
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes()
    (tmp_path / "cache0" / "builds").mkdir(exist_ok=True)
    for f in (tmp_path / "cache0" / "builds").iterdir():
        f.unlink()  # not the no-change shortcut: a build that reads everything and finds its PDFs cached
    again = pipeline.build(real_project(site, tmp_path / "cache0"), outs[0], search=False)
    assert again.written and again.timings.get("pdf", 0) < 0.5


def test_content_never_becomes_typst_markup_and_cross_references_are_links(tmp_path: Path) -> None:
    site = make_site(tmp_path / "src")
    # Written so that Markdown keeps every character as text (its own syntax escaped with a backslash).
    hostile = HOSTILE.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")
    hostile = hostile.replace("[", "\\[").replace("<", "\\<")
    for lang, link in (("zh", "第 5 段"), ("en", "paragraph 5")):
        body = site / "sections" / "01-alpha" / f"body.{lang}.md"
        text = body.read_text("utf-8").rstrip("\n")
        body.write_text(text + " " + hostile + f" [{link}](#para-5)\n", "utf-8")
    from test_check import confirm_all

    confirm_all(site)
    errors.set_root(tmp_path)
    out = tmp_path / "out"
    result = pipeline.build(real_project(site, tmp_path / "cache"), out, search=False)
    assert result.written, [str(d) for d in result.diagnostics.sorted()]
    pdf_path = out / "en" / "test-1.en.pdf"
    assert squeeze(HOSTILE) in squeeze(raw_text(pdf_path))  # every character as written, none as Typst
    # The link "paragraph 5" jumps to paragraph 5: its destination is the page and height of that paragraph.
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True).stdout
    pages = boxes.split("<page ")[1:]
    where = None
    for n, page in enumerate(pages):
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', page)
        for i, (y, word) in enumerate(words):
            if word == "5." and i + 2 < len(words) and words[i + 1][1] == "The" and words[i + 2][1] == "Executive":
                where = (n, height - float(y))
    assert where is not None, "paragraph 5 is in the PDF"
    with pikepdf.open(pdf_path) as pdf:
        index = {page.objgen: n for n, page in enumerate(pdf.pages)}
        dests = [(index[annot.Dest[0].objgen], float(annot.Dest[3])) for page in pdf.pages
                 for annot in page.get("/Annots", []) if isinstance(annot.get("/Dest"), pikepdf.Array)]
    assert any(page == where[0] and abs(y - where[1]) < 25 for page, y in dests), (where, dests)


def test_a_character_no_font_has_is_an_error_at_its_source(tmp_path: Path) -> None:
    site = make_site(tmp_path / "src")
    body = site / "sections" / "01-alpha" / "body.en.md"
    body.write_text(body.read_text("utf-8").rstrip("\n") + " A Korean word: 서울.\n", "utf-8")
    errors.set_root(tmp_path)
    out = tmp_path / "out"
    result = pipeline.build(real_project(site, tmp_path / "cache"), out, search=False)
    assert not result.written and not out.exists()
    lines = [str(d) for d in result.diagnostics.sorted() if d.severity == "error"]
    assert any("src/content/sections/01-alpha/body.en.md:" in line and "no font of the PDF has '서' (U+C11C)" in line
               for line in lines), lines


def reading_text(pdf: Path) -> str:
    """The text as a PDF reader copies it: poppler's reading order, with its bidirectional algorithm for
    right-to-left lines; embedding marks and Arabic vowel marks left out (pdftotext sets a mark positioned
    above its letter apart from it)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub("[\u202a-\u202e\u200e\u200f\u064b-\u0652\u0670]", "", text)


def letters(text: str) -> str:
    """Words and digits in their order, without spaces and punctuation: poppler's bidirectional
    reordering moves a space or a comma beside a run of Latin digits (2/4, 2022-2024)."""
    return re.sub(r"[\s،,.]+", "", text)


def test_an_arabic_pdf_reads_right_to_left_in_logical_order(tmp_path: Path) -> None:
    """The Arabic source of a fixture report: its text copies out in the order it is written (not
    mirrored), with its Latin symbols and digits in place; the document's language is Arabic; the
    side-by-side PDF holds the Arabic paragraph, then the English one."""
    root = ROOT / "tests" / "fixtures" / "projects" / "arabic-english"
    errors.set_root(root)
    try:
        result = pipeline.build(project.make(root, cache=tmp_path / "cache"), tmp_path / "site", search=False)
    finally:
        errors.set_root(ROOT)
    assert result.written, [str(d) for d in result.diagnostics.sorted()]
    pdfs = sorted(p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*.pdf"))
    assert len(pdfs) == 3, pdfs
    arabic = next(tmp_path / "site" / p for p in pdfs if p.startswith("ar/"))
    with pikepdf.open(arabic) as pdf:
        assert str(pdf.Root.Lang).startswith("ar")
    body = (root / "content" / "sections" / "01-introduction" / "body.ar.md").read_text("utf-8")
    first = re.sub("[\u064b-\u0652\u0670]", "", re.search(r"^1\. (.+)$", body, re.M).group(1))  # type: ignore[union-attr]
    # The first word carries vowel marks that pdftotext sets apart: from the second word on, in order.
    words = letters(" ".join(first.split()[1:12]))
    assert "بالقرار2/4" in words
    text = letters(reading_text(arabic))
    assert words in text, text[:600]
    assert letters("".join(reversed(" ".join(first.split()[1:12])))) not in text  # not mirrored
    # Side by side, in the stored order (a row's Arabic cell, then its English one); poppler's reading
    # mode would join the two columns line by line, so this looks for a word of each cell.
    pair = letters(raw_text(next(tmp_path / "site" / p for p in pdfs if p.startswith("parallel/"))))
    english = (root / "content" / "sections" / "01-introduction" / "body.en.md").read_text("utf-8")
    en_first = letters(" ".join(re.search(r"^1\. (.+)$", english, re.M).group(1).split()[:8]))  # type: ignore[union-attr]
    assert 0 <= pair.find("بالقرار") < pair.find(en_first), pair[:600]
