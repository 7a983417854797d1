"""The translators' round trip: `xliff export` / `xliff import`, `tmx`, `glossary`, and OmegaT.

Every test works on a copy of a content folder (the flagship report, the fixture projects, and
tests/fixtures/xliff/inline, a French report with every inline code) and calls the command line in
this process, as tests/test_status.py does. The OmegaT tests run the real CAT tool (Debian's
omegat package, headless) and fail when it is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from lxml import etree

import build
from reportsite import status, xliff
from reportsite.errors import Diagnostics

ROOT = Path(__file__).resolve().parent.parent
NS = "urn:oasis:names:tc:xliff:document:1.2"
X = f"{{{NS}}}"
SCHEMAS = ROOT / "tests" / "schemas"
INLINE = ROOT / "tests" / "fixtures" / "xliff" / "inline" / "content"
PROJECTS = ROOT / "tests" / "fixtures" / "projects"
R26_4 = Path("sections/03-other-resolutions/02-resolution-26-4")
HOUSING = Path("sections/02-strategic-plan-resolutions/03-resolution-26-8/07-housing-slum-upgrading")
INTERNAL = Path("sections/01-introduction/02-internal-change")
OMEGAT_JAR = Path("/usr/share/omegat/OmegaT.jar")


# ---------------------------------------------------------------- helpers


def cli(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = build.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


def snapshot(content: Path) -> dict[str, bytes]:
    return {p.relative_to(content).as_posix(): p.read_bytes() for p in sorted(content.rglob("*")) if p.is_file()}


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def copy(src: Path, tmp_path: Path, name: str = "content") -> Path:
    dest = tmp_path / name
    shutil.copytree(src, dest)
    return dest


def export(capfd: pytest.CaptureFixture[str], content: Path, out: Path, *options: str) -> str:
    code, stdout, err = cli(capfd, "xliff", "export", "-o", str(out), "--content", str(content), *options)
    assert code == 0, err
    return stdout


def units(path: Path) -> dict[str, etree._Element]:
    return {tu.get("id"): tu for tu in etree.parse(str(path)).iter(f"{X}trans-unit")}


def edit_xliff(path: Path, uid: str, change: Callable[[etree._Element], None], out: Path | None = None) -> Path:
    """Change one unit's <target> (or the unit) with `change`; returns the file written."""
    doc = etree.parse(str(path))
    tu = next(t for t in doc.iter(f"{X}trans-unit") if t.get("id") == uid)
    change(tu)
    out = out or path
    doc.write(str(out), xml_declaration=True, encoding="UTF-8")
    return out


def replace_text(old: str, new: str) -> Callable[[etree._Element], None]:
    """Replace `old` by `new` in the target's text (not in its codes)."""

    def change(tu: etree._Element) -> None:
        target = tu.find(f"{X}target")
        for el in target.iter():
            if el.text and old in el.text:
                el.text = el.text.replace(old, new, 1)
                return
            if el is not target and el.tail and old in el.tail:
                el.tail = el.tail.replace(old, new, 1)
                return
        raise AssertionError(f"{old!r} not in the target of {tu.get('id')}")

    return change


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def lock_of(content: Path) -> status.Lock:
    lock = status.read_lock(content / status.LOCK_NAME, Diagnostics())
    assert lock is not None
    return lock


@pytest.fixture(scope="session")
def schema() -> etree.XMLSchema:
    """The OASIS strict schema, its import of the W3C xml.xsd resolved to the local stand-in."""

    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
            if url == "http://www.w3.org/2001/xml.xsd":
                return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "xliff-core-1.2-strict.xsd"), parser))


def assert_valid(schema: etree.XMLSchema, path: Path) -> None:
    ok = schema.validate(etree.parse(str(path)))
    assert ok, "\n".join(f"{e.line}: {e.message}" for e in schema.error_log)


# ---------------------------------------------------------------- the round trip


def _projects() -> list[tuple[str, Path]]:
    found = [("flagship", ROOT / "content"), ("inline", INLINE)]
    if PROJECTS.is_dir():
        found += [(p.name, p / "content") for p in sorted(PROJECTS.iterdir()) if (p / "content").is_dir()]
    return found


@pytest.mark.parametrize("name,source", _projects(), ids=[n for n, _ in _projects()])
def test_a_round_trip_without_edits_is_the_identity(
    name: str, source: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    content = copy(source, tmp_path)
    before = snapshot(content)
    checked = xliff.load_and_check(xliff.make(ROOT, content, None), Diagnostics(), xliff.Timer({}))
    assert checked is not None
    for lang in checked.site.report.tags[1:]:
        out = tmp_path / f"{lang}.xlf"
        export(capfd, content, out, "--lang", lang, "--all")
        code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content))
        assert code == 0, err
        assert re.fullmatch(r"imported \d+ units into 0 files; confirmed \d+ paragraphs\n", stdout), stdout
    assert changed(before, snapshot(content)) == set()


def test_an_edited_target_lands_only_in_its_paragraph_and_is_confirmed(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Paragraph 58 is unconfirmed (no lock line): the export asks for its review.
    lock_file = content_copy / status.LOCK_NAME
    lines = lock_file.read_text("utf-8").splitlines(keepends=True)
    lock_file.write_text("".join(line for line in lines if not line.startswith("para-58 ")), "utf-8")
    before = snapshot(content_copy)
    out = tmp_path / "housing.xlf"
    export(capfd, content_copy, out, "--lang", "en", "--section", "housing-slum-upgrading")
    tu = units(out)["para-58"]
    assert tu.find(f"{X}target").get("state") == "needs-review-translation"
    edit_xliff(out, "para-58", replace_text("its signature affordability solutions", "its affordability solutions"))

    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 0, err
    # Every unit of the section was exported as translated (58 to review): all six paragraphs are confirmed.
    assert re.fullmatch(r"imported \d+ units into 1 file; confirmed 6 paragraphs\n", stdout), stdout
    after = snapshot(content_copy)
    body = (HOUSING / "body.en.md").as_posix()
    assert changed(before, after) == {body, status.LOCK_NAME}
    old, new = before[body].decode().split("\n"), after[body].decode().split("\n")
    assert len(old) == len(new)
    diff = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert diff == [6]  # line 7: paragraph 58, and nothing else
    assert new[6] == old[6].replace("its signature affordability solutions", "its affordability solutions")
    # The lock has paragraph 58 again, confirmed against the Chinese as it is.
    checked = xliff.load_and_check(xliff.make(ROOT, content_copy, None), Diagnostics(), xliff.Timer({}))
    assert checked is not None
    state = {s.id: s for s in status.paragraph_states(checked.site, lock_of(content_copy))}["para-58"]
    assert state.state == "translated"
    assert lock_of(content_copy)[("para-58", "en")] == status.LockEntry("housing-slum-upgrading", state.source)
    code, out_text, err = cli(capfd, "check", "--strict", "--content", str(content_copy))
    assert code == 0, err + out_text


def test_sub_items_keep_their_marker_and_yaml_texts_only_their_scalar(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(content_copy)
    out = tmp_path / "all.xlf"
    export(capfd, content_copy, out, "--lang", "en")
    ids = units(out)
    assert "para-6.b" in ids and not ids["para-6.b"].find(f"{X}source").text.startswith("(b)")
    changes = {
        "para-6.b": ("being able to deliver", "able to deliver"),
        "title.introduction": ("Introduction", "Introduction: overview"),
        "description.internal-change": ("began an internal change process", "began internal change"),
        "chart.deficit-2018.caption": ("approximately $5.5", "about $5.5"),
        "chart.deficit-2018.category.2": ("Projected after", "Projected, after"),
        "cover.session": ("First", "1st"),
        "summary": ("The present report provides", "This report provides"),
    }
    for uid, (old, new) in changes.items():
        edit_xliff(out, uid, replace_text(old, new))
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 0, err
    after = snapshot(content_copy)
    assert changed(before, after) == {
        (INTERNAL / "body.en.md").as_posix(),
        "sections/01-introduction/section.yaml",
        "charts/deficit-2018.yaml",
        "report.yaml",
    }

    def diff(rel: str) -> list[tuple[str, str]]:
        a, b = before[rel].decode().split("\n"), after[rel].decode().split("\n")
        assert len(a) == len(b), rel
        return [(x, y) for x, y in zip(a, b) if x != y]

    assert diff((INTERNAL / "body.en.md").as_posix()) == [
        ('description: "UN-Habitat began an internal change process in February 2018 with seven workstreams: '
         'vision, impact, funding, collaboration, team, processes and leadership."',
         'description: "UN-Habitat began internal change in February 2018 with seven workstreams: '
         'vision, impact, funding, collaboration, team, processes and leadership."'),
        ("(b) Impact: being able to deliver results at scale to improve lives;",
         "(b) Impact: able to deliver results at scale to improve lives;"),
    ]
    assert diff("sections/01-introduction/section.yaml") == [('  en: "Introduction"', '  en: "Introduction: overview"')]
    chart = diff("charts/deficit-2018.yaml")
    assert len(chart) == 2 and "about $5.5" in chart[0][1]
    assert chart[1][1] == ('  en: [Projected before austerity measures, "Projected, after austerity measures", '
                           "Interim results]")
    # report.yaml: the cover field's line, and the folded summary refolded in its own style and indentation.
    old, new = before["report.yaml"].decode(), after["report.yaml"].decode()
    head = old[: old.index("  en: >-\n    The present report")].replace("    en: First session", "    en: 1st session")
    tail = old[old.index("\nnotes:") :]
    assert new.startswith(head) and new.endswith(tail)
    summary = new[len(head) : len(new) - len(tail)].split("\n")
    assert summary[0] == "  en: >-" and summary[1].startswith("    This report provides an update")
    assert all(line.startswith("    ") and len(line) <= 110 for line in summary[1:] if line)
    assert yaml.safe_load(new)["summary"]["en"] == yaml.safe_load(old)["summary"]["en"].replace(
        "The present report provides", "This report provides")
    code, out_text, err = cli(capfd, "check", "--strict", "--content", str(content_copy))
    assert code == 0, err + out_text


def test_a_new_paragraph_is_inserted_after_the_previous_one(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], schema: etree.XMLSchema
) -> None:
    body = content_copy / R26_4 / "body.en.md"
    original = body.read_bytes()
    text = original.decode()
    para_73 = next(line for line in text.split("\n") if line.startswith("73. "))
    note_5 = next(line for line in text.split("\n") if line.startswith("[^5]: "))
    body.write_text(text.replace(para_73 + "\n\n", "").replace("\n\n" + note_5, ""), "utf-8")
    code, _, err = cli(capfd, "check", "--content", str(content_copy))
    assert code == 1 and "paragraph 73 is missing" in err and "footnotes differ" in err

    out = tmp_path / "missing.xlf"
    stdout = export(capfd, content_copy, out, "--lang", "en", "--missing")
    assert stdout.startswith("exported 2 units (0 translated, 0 to review, 2 new)")
    assert list(units(out)) == ["para-73", "fn-5"]
    assert_valid(schema, out)  # empty targets that carry state="new" included
    target = units(out)["para-73"].find(f"{X}target")
    assert target.get("state") == "new" and target.text is None and len(target) == 0
    # The translator writes the paragraph, keeping the footnote code where the English needs it, and the note.
    before_ref, after_ref = para_73[len("73. ") :].split("[^5]")

    def translate(tu: etree._Element) -> None:
        t = tu.find(f"{X}target")
        t.text = before_ref
        x = etree.SubElement(t, f"{X}x", {"id": "1", "ctype": "x-footnote-ref"})
        x.tail = after_ref

    def translate_note(tu: etree._Element) -> None:
        t = tu.find(f"{X}target")
        source = tu.find(f"{X}source")
        t.text = "Available at "
        link = etree.SubElement(t, f"{X}g", {"id": "1", "ctype": "link"})
        link.text = source[0].text
        link.tail = "."

    edit_xliff(out, "para-73", translate)
    edit_xliff(out, "fn-5", translate_note)
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 0, err
    assert stdout == "imported 2 units into 1 file; confirmed 1 paragraph\n"
    assert body.read_bytes() == original
    code, _, err = cli(capfd, "check", "--strict", "--content", str(content_copy))
    assert code == 0, err


def test_a_unit_whose_source_changed_since_the_export_is_refused(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r26-4.xlf"
    export(capfd, content_copy, out, "--lang", "en", "--section", "resolution-26-4")
    line = units(out)["para-73"].sourceline
    edit(content_copy / R26_4 / "body.zh.md", "更安全城市问题方面一个重要的", "更安全城市问题方面一个非常重要的")
    before = snapshot(content_copy)
    # Left as exported, the unit is not imported: a warning, and the paragraph stays stale.
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 0 and stdout == "imported 6 units into 0 files; confirmed 2 paragraphs\n", err
    assert f"{out}:{line}:1: warning: para-73: the Chinese source changed since the export" in err
    assert changed(before, snapshot(content_copy)) == set()
    # Translated anew from the old Chinese: refused.
    edit_xliff(out, "para-73", replace_text("An important", "A major"))
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 1 and stdout == ""
    zh = f"{content_copy}/{R26_4.as_posix()}/body.zh.md:7:1"
    assert f"{out}:{line}:1: error: para-73: the Chinese source changed since the export ({zh} now reads " \
           "differently" in err
    assert "not imported: export again and translate the new text" in err
    assert err.rstrip().endswith("nothing imported")
    assert changed(before, snapshot(content_copy)) == set()


BROKEN: dict[str, tuple[str, Callable[[etree._Element], None], str]] = {}


def _broken(name: str, uid: str, message: str) -> Callable[[Callable[[etree._Element], None]], None]:
    def register(change: Callable[[etree._Element], None]) -> None:
        BROKEN[name] = (uid, change, message)

    return register


@_broken("missing", "p-intro-1", "inline code 3 (the footnote reference [^1]) missing")
def _missing(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    x = next(e for e in t if e.get("ctype") == "x-footnote-ref")
    prev = x.getprevious()
    prev.tail = (prev.tail or "") + (x.tail or "")
    t.remove(x)


@_broken("extra", "p-intro-1", 'extra inline code <x id="9">')
def _extra(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    etree.SubElement(t, f"{X}x", {"id": "9", "ctype": "x-footnote-ref"})


@_broken("twice", "p-intro-1", "inline code 3 appears twice")
def _twice(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    etree.SubElement(t, f"{X}x", {"id": "3", "ctype": "x-footnote-ref"})


@_broken("reference-moved-into-a-link", "p-intro-1", "(the footnote reference [^1]) is placed inside a link")
def _into_link(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    x = next(e for e in t if e.get("ctype") == "x-footnote-ref")
    link = next(e for e in t if e.get("ctype") == "link")
    prev = x.getprevious()
    prev.tail = (prev.tail or "") + (x.tail or "")
    t.remove(x)
    x.tail = None
    link.append(x)


@_broken("link-moved-into-a-link", "p-intro-2", "is placed inside another link")
def _link_in_link(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    xref, site = t[0], t[1]
    xref.tail = (xref.tail or "") + (site.tail or "")
    t.remove(site)
    site.tail = None
    xref.append(site)


@_broken("kind-changed", "p-intro-3", "inline code 1 (the line break) is a <x> in the source, a <g> here")
def _kind(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    br = t[0]
    g = etree.Element(f"{X}g", {"id": "1", "ctype": "x-lb"})
    g.tail = br.tail
    t.replace(br, g)


@_broken("unsupported-element", "p-suite-1", "unsupported inline element <bpt>")
def _bpt(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    etree.SubElement(t, f"{X}bpt", {"id": "5"}).text = "&lt;b&gt;"


@_broken("code-in-plain-text", "title.suite", "inline code <g id=\"1\"> in a text that has no codes")
def _plain(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    etree.SubElement(t, f"{X}g", {"id": "1", "ctype": "italic"}).text = "x"


@_broken("tag-left-as-text", "p-suite-2", "'<g1>' as text")
def _as_text(tu: etree._Element) -> None:
    t = tu.find(f"{X}target")
    t.text = "Second <g1>paragraph</g1>, where 3 < 4 and an asterisk * stands alone."


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_inline_codes_are_refused(case: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    content = copy(INLINE, tmp_path)
    out = tmp_path / "inline.xlf"
    export(capfd, content, out)
    uid, change, message = BROKEN[case]
    line = units(out)[uid].sourceline
    edit_xliff(out, uid, change)
    before = snapshot(content)
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content))
    assert code == 1 and stdout == "", err
    assert f"{out}:{line}:1: error: {uid}: " in err and message in err, err
    assert changed(before, snapshot(content)) == set()


def test_emphasis_is_the_languages_own(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Emphasis may be dropped or added (English italicises what Chinese puts in 《》); links stay."""
    content = copy(INLINE, tmp_path)
    out = tmp_path / "inline.xlf"
    export(capfd, content, out)

    def restyle(tu: etree._Element) -> None:
        t = tu.find(f"{X}target")
        italic = next(e for e in t if e.get("ctype") == "italic")  # dropped: its text stays
        prev = italic.getprevious()
        if prev is None:
            t.text = (t.text or "") + (italic.text or "") + (italic.tail or "")
        else:
            prev.tail = (prev.tail or "") + (italic.text or "") + (italic.tail or "")
        t.remove(italic)
        new = etree.SubElement(t, f"{X}g", {"id": "n1", "ctype": "italic"})  # added
        new.text = "Thanks"
        new.tail = "."

    edit_xliff(out, "p-intro-1", restyle)
    code, _, err = cli(capfd, "xliff", "import", str(out), "--content", str(content))
    assert code == 0, err
    text = (content / "sections/01-intro/body.en.md").read_text("utf-8")
    assert ("The present report, Sustainable cities, presents the **work**[^1] of the "
            "[organization](https://example.org/en/organization) for the year.*Thanks*.\n") in text
    code, _, err = cli(capfd, "check", "--strict", "--content", str(content))
    assert code == 0, err


def test_every_written_text_reads_back_and_other_bytes_stay(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Each text changed, Markdown-special characters included: the files parse back to the same texts,
    the English link addresses stay English, a CRLF file with a byte-order mark keeps both."""
    content = copy(INLINE, tmp_path)
    out = tmp_path / "inline.xlf"
    export(capfd, content, out)
    doc = etree.parse(str(out))
    for tu in doc.iter(f"{X}trans-unit"):
        t = tu.find(f"{X}target")
        if len(t):
            t[-1].tail = (t[-1].tail or "") + " [x] *y* & <z> `w` 1. #"
        else:
            t.text = (t.text or "") + " [x] *y* & <z> `w` 1. #"
    doc.write(str(out), xml_declaration=True, encoding="UTF-8")
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content))
    assert code == 0, err
    assert stdout == "imported 15 units into 5 files; confirmed 5 paragraphs\n"
    again = tmp_path / "again.xlf"
    export(capfd, content, again)
    for uid, tu in units(again).items():
        target = etree.tostring(tu.find(f"{X}target"), encoding="unicode")
        assert " [x] *y* &amp; &lt;z&gt; `w` 1. #</target>" in target, (uid, target)
    intro = (content / "sections/01-intro/body.en.md").read_text("utf-8")
    assert "(https://example.org/en/organization)" in intro and "(https://example.org/en)" in intro
    suite = (content / "sections/02-suite/body.en.md").read_bytes()
    assert suite.startswith(b"\xef\xbb\xbf---\r\n") and suite.count(b"\n") == suite.count(b"\r\n")
    code, _, err = cli(capfd, "check", "--content", str(content))
    assert code == 0 and "0 errors" in err + _, err  # warnings: "<z>" reads as raw HTML, shown as text


def test_unknown_ids_and_foreign_files_are_refused(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r26-4.xlf"
    export(capfd, content_copy, out, "--lang", "en", "--section", "resolution-26-4")
    line = units(out)["para-74"].sourceline

    def rename(tu: etree._Element) -> None:
        tu.set("id", "para-740")

    edit_xliff(out, "para-74", rename)
    before = snapshot(content_copy)
    code, _, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 1
    assert f"{out}:{line}:1: error: unknown unit id 'para-740': no text of this report has it" in err
    # Another report's file, another language, a file without fingerprints.
    other = tmp_path / "other.xlf"
    export(capfd, content_copy, other, "--lang", "en", "--section", "resolution-26-4")
    root = etree.parse(str(other))
    f = root.find(f"{X}file")
    f.set("original", "another-report")
    f.set("target-language", "fr")
    root.write(str(other))
    code, _, err = cli(capfd, "xliff", "import", str(other), "--content", str(content_copy))
    assert code == 1
    assert f"{other}:1:1: error: this file is for 'another-report', not for this report ('hsp-ha-1-2')" in err
    assert "target-language is 'fr', which is not a target language of this report (en)" in err
    bare = tmp_path / "bare.xlf"
    export(capfd, content_copy, bare, "--lang", "en", "--section", "resolution-26-4")

    def strip(tu: etree._Element) -> None:
        for group in tu.findall(f"{X}context-group"):
            tu.remove(group)
        replace_text("Details", "The details")(tu)

    edit_xliff(bare, "para-74", strip)
    code, _, err = cli(capfd, "xliff", "import", str(bare), "--content", str(content_copy))
    assert code == 1 and "para-74: the unit has no x-source-fingerprint context" in err
    broken = tmp_path / "broken.xlf"
    broken.write_text(out.read_text("utf-8").replace("</target>", "</targe>", 1), "utf-8")
    code, _, err = cli(capfd, "xliff", "import", str(broken), "--content", str(content_copy))
    assert code == 1 and re.search(rf"{re.escape(str(broken))}:\d+:\d+: error: not well-formed XML", err), err
    assert changed(before, snapshot(content_copy)) == set()


def test_an_edit_made_in_the_file_since_the_export_is_not_overwritten(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r26-4.xlf"
    export(capfd, content_copy, out, "--lang", "en", "--section", "resolution-26-4")
    edit(content_copy / R26_4 / "body.en.md", "Details of the draft", "The details of the draft")
    before = snapshot(content_copy)
    # Left as exported: the newer text in the file stays, and nothing is refused.
    code, stdout, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 0 and stdout.endswith(" into 0 files; confirmed 2 paragraphs\n"), err
    assert changed(before, snapshot(content_copy)) == set()
    # Changed by the translator too: refused.
    edit_xliff(out, "para-74", replace_text("Details of the draft", "Particulars of the draft"))
    code, _, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 1 and "para-74: the English at " in err and "changed since the export" in err
    assert changed(before, snapshot(content_copy)) == set()


def test_an_import_that_would_add_an_error_writes_nothing(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "intro.xlf"
    export(capfd, content_copy, out, "--lang", "en", "--section", "introduction")
    edit_xliff(out, "description.introduction", replace_text("This section", "This section " + "very " * 40))
    edit_xliff(out, "para-1", replace_text("The present report", "This report"))
    before = snapshot(content_copy)
    code, _, err = cli(capfd, "xliff", "import", str(out), "--content", str(content_copy))
    assert code == 1
    assert f"{content_copy}/sections/01-introduction/body.en.md:2:" in err and "error" in err
    assert err.rstrip().endswith("the translations would add these errors; nothing imported")
    assert changed(before, snapshot(content_copy)) == set()


def test_usage_errors(content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    c = str(content_copy)
    for argv, message in [
        (["xliff"], "say what to do"),
        (["xliff", "export", "--lang", "en"], "say where to write"),
        (["xliff", "export", "--lang", "fr", "-o", str(tmp_path / "x.xlf")], "'fr' is not a target language"),
        (["xliff", "export", "--section", "nowhere", "-o", str(tmp_path / "x.xlf")], "no section 'nowhere'"),
        (["xliff", "export", "trados", "-o", str(tmp_path / "x.xlf")], "no argument but 'omegat'"),
        (["xliff", "import"], "say which file to import"),
        (["xliff", "import", str(tmp_path / "none.xlf")], "no such file"),
        (["tmx"], "-o FILE"),
        (["glossary", "extra", "-o", str(tmp_path / "g.tbx")], "takes no argument"),
    ]:
        code, _, err = cli(capfd, *argv, "--content", c)
        assert code == 2 and message in err, (argv, err)


# ---------------------------------------------------------------- the XLIFF itself


def test_the_xliff_is_valid_xliff_1_2_with_its_file_attributes(
    schema: etree.XMLSchema, content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.xlf"
    export(capfd, content_copy, out, "--lang", "en", "--all")
    assert_valid(schema, out)
    root = etree.parse(str(out)).getroot()
    assert root.get("version") == "1.2" and root.nsmap[None] == NS
    files = root.findall(f"{X}file")
    assert len(files) == 1
    assert {k: files[0].get(k) for k in ("original", "source-language", "target-language", "datatype")} == {
        "original": "hsp-ha-1-2",
        "source-language": "zh",
        "target-language": "en",
        "datatype": "x-markdown",
    }
    ids = list(units(out))
    assert len(ids) == len(set(ids))
    for uid in ("para-1", "para-92", "para-6.a", "para-6.g", "fn-1", "fn-star", "title.introduction",
                "description.introduction", "chart.deficit-2018.title", "chart.deficit-2018.caption",
                "chart.deficit-2018.alt", "chart.deficit-2018.description", "chart.deficit-2018.unit",
                "chart.deficit-2018.category_label", "chart.deficit-2018.category.1",
                "chart.deficit-2018.series.deficit", "chart.extrabudgetary-income-2018.derived.target.1",
                "cover.title", "cover.agenda_item", "summary"):
        assert uid in ids, uid
    # Reading order: the cover first, a section's title before its paragraphs, a chart where it stands.
    assert ids.index("cover.organization") == 0
    assert ids.index("title.restructuring") < ids.index("para-7") < ids.index("para-8") \
        < ids.index("chart.deficit-2018.title") < ids.index("fn-1")
    tu = units(out)["para-58"]
    notes = {n.get("from"): n.text for n in tu.findall(f"{X}note")}
    assert "II.C.7 住房和贫民窟改造 / Housing and slum upgrading [housing-slum-upgrading]" in notes["reportsite"]
    assert f"/{HOUSING.as_posix()}/body.zh.md:7:1; translation: " in notes["reportsite"]
    assert notes["reportsite"].endswith(f"/{HOUSING.as_posix()}/body.en.md:7:1")
    glossary = [n.text for n in tu.findall(f"{X}note") if n.get("from") == "glossary"]
    assert "全球住房战略 = Global Housing Strategy (required: check verifies it)" in glossary
    assert "人居署 = UN-Habitat (required: check verifies it)" in glossary
    context = {c.get("context-type"): c.text for c in tu.iter(f"{X}context")}
    checked = xliff.load_and_check(xliff.make(ROOT, content_copy, None), Diagnostics(), xliff.Timer({}))
    assert checked is not None
    block = next(b for s in checked.site.sections for b in (s.bodies["zh"].parsed.blocks if s.bodies["zh"].parsed
                                                              else ()) if b.id == "para-58")
    assert context["x-section"] == "housing-slum-upgrading"
    assert context["x-source-fingerprint"] == status.fingerprint(block.text) == lock_of(content_copy)[
        ("para-58", "en")].fingerprint
    assert context["linenumber"] == "7" and context["sourcefile"].endswith("07-housing-slum-upgrading/body.zh.md")
    assert re.fullmatch(r"[0-9a-f]{16}", context["x-translation-fingerprint"])


def test_inline_markdown_becomes_xliff_codes(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "flagship.xlf"
    export(capfd, ROOT / "content", out, "--lang", "en")
    found = units(out)
    for tu in found.values():
        for part in (tu.find(f"{X}source"), tu.find(f"{X}target")):
            text = "".join(part.itertext())
            assert "[^" not in text and "](" not in text and not re.search(r"(^|\s)\*\S", text), text
    p72 = found["para-72"]
    assert [(e.tag, e.get("ctype")) for e in p72.find(f"{X}source")] == [(f"{X}x", "x-footnote-ref")]
    assert [(e.tag, e.get("id"), e.get("ctype")) for e in p72.find(f"{X}target")] == [
        (f"{X}g", "t1", "italic"),  # the English italicises the title the Chinese puts in 《》
        (f"{X}x", "1", "x-footnote-ref"),
    ]
    fn4 = found["fn-4"].find(f"{X}target")
    assert [(e.tag, e.get("ctype")) for e in fn4] == [(f"{X}g", "link")]
    assert "http" not in etree.tostring(fn4, encoding="unicode")  # the address stays out of the translator's way
    inline = tmp_path / "inline.xlf"
    export(capfd, INLINE, inline)
    kinds = {(e.tag.split("}")[1], e.get("ctype")) for tu in units(inline).values()
             for e in tu.find(f"{X}source").iter() if e.get("ctype")}
    assert kinds == {("g", "italic"), ("g", "bold"), ("g", "link"), ("g", "x-xref"), ("g", "x-image"),
                     ("x", "x-footnote-ref"), ("x", "lb"), ("ph", "x-code")}


def test_export_missing_and_stale_select_the_right_units(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    body = content_copy / R26_4 / "body.en.md"
    text = body.read_text("utf-8")
    para_74 = next(line for line in text.split("\n") if line.startswith("74. "))
    body.write_text(text.replace("\n\n" + para_74, ""), "utf-8")  # paragraph 74: missing in English
    edit(content_copy / R26_4 / "body.zh.md", "更安全城市问题方面一个重要的", "更安全城市问题方面一个非常重要的")  # 73: stale
    edit(content_copy / INTERNAL / "body.zh.md", "(b) 影响：", "(b) 影响力：")  # paragraph 6 by its sub-item (b)
    lock_file = content_copy / status.LOCK_NAME
    lines = lock_file.read_text("utf-8").splitlines(keepends=True)
    lock_file.write_text("".join(line for line in lines if not line.startswith("para-72 ")), "utf-8")  # unconfirmed

    missing, stale, section = tmp_path / "missing.xlf", tmp_path / "stale.xlf", tmp_path / "section.xlf"
    export(capfd, content_copy, missing, "--lang", "en", "--missing")
    export(capfd, content_copy, stale, "--lang", "en", "--stale")
    export(capfd, content_copy, section, "--lang", "en", "--stale", "--section", "other-resolutions")
    assert list(units(missing)) == ["para-74"]
    assert list(units(stale)) == ["para-6", *(f"para-6.{k}" for k in "abcdefg"), "para-72", "para-73"]
    assert list(units(section)) == ["para-72", "para-73"]
    notes = {uid: [n.text for n in tu.findall(f"{X}note")] for uid, tu in units(stale).items()}
    assert "Review: the Chinese changed since this translation was confirmed." in notes["para-73"]
    assert "Review: this translation has never been confirmed." in notes["para-72"]
    for tu in units(stale).values():
        assert tu.find(f"{X}target").get("state") == "needs-review-translation"
    # Sent back as it was: nothing to import, nothing confirmed (a review is a translator's act).
    before = snapshot(content_copy)
    code, stdout, err = cli(capfd, "xliff", "import", str(stale), "--content", str(content_copy))
    assert code == 0 and stdout == "imported 0 units into 0 files; confirmed 0 paragraphs\n", err
    assert "note: 10 units of " in err
    assert changed(before, snapshot(content_copy)) == set()


def test_an_omegat_target_still_equal_to_its_source_is_untranslated(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], schema: etree.XMLSchema
) -> None:
    """The OmegaT project's file, returned as exported (every target a copy of its source), imports nothing,
    even where a code restores to an address that differs by language."""
    content = copy(INLINE, tmp_path)
    project = tmp_path / "project"
    code, stdout, err = cli(capfd, "xliff", "export", "omegat", "-o", str(project), "--content", str(content))
    assert code == 0, err
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == [
        "README.txt",
        "omegat.project",
        "omegat/filters.xml",
        "source/xliff-inline-en.xlf",
        "tm/auto/xliff-inline-en.tmx",  # no glossary in this report, and nothing to review
    ]
    source = project / "source" / "xliff-inline-en.xlf"
    assert_valid(schema, source)
    shutil.copy(source, project / "target" / source.name)
    before = snapshot(content)
    code, stdout, err = cli(capfd, "xliff", "import", str(project), "--content", str(content))
    assert code == 0 and stdout == "imported 0 units into 0 files; confirmed 0 paragraphs\n", err
    assert changed(before, snapshot(content)) == set()


# ---------------------------------------------------------------- memory and termbase


def test_the_tmx_holds_one_unit_per_confirmed_pair(
    content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from translate.storage import tmx

    edit(content_copy / R26_4 / "body.zh.md", "更安全城市问题方面一个重要的", "更安全城市问题方面一个非常重要的")
    out = tmp_path / "memory.tmx"
    code, stdout, err = cli(capfd, "tmx", "-o", str(out), "--content", str(content_copy))
    assert code == 0, err
    memory = tmx.tmxfile.parsefile(str(out))
    found = {u.getid(): u for u in memory.units}
    checked = xliff.load_and_check(xliff.make(ROOT, content_copy, None), Diagnostics(), xliff.Timer({}))
    assert checked is not None
    catalogue = xliff.catalogue(checked, "en", lock_of(content_copy))
    expected = [u.id for u in catalogue if u.target and (u.para is None or u.state == "translated")]
    assert list(found) == expected
    assert stdout == f"wrote {len(expected)} translation units to {out}\n"
    assert "para-73" not in found and "para-72" in found and "para-6.a" in found and "fn-4" in found
    assert "title.introduction" in found and "chart.deficit-2018.caption" in found
    p58 = found["para-58"]
    assert p58.source.startswith("58. ") is False and p58.source.startswith("通过全球住房战略")
    assert p58.gettarget("en").startswith("Through the Global Housing Strategy")
    props = [(p.get("type"), p.text) for p in p58.xmlelement.iter(p58.namespaced("prop"))]
    assert props == [("x-document", "HSP/HA/1/2"), ("x-report", "hsp-ha-1-2"), ("x-section", "housing-slum-upgrading")]
    p72 = found["para-72"]
    assert "[^" not in p72.gettarget("en") and "*" not in p72.gettarget("en")
    header = memory.document.getroot().find("header")
    assert header.get("srclang") == "zh" and header.get("segtype") == "paragraph"


def test_the_glossary_as_tbx(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from translate.storage import tbx

    out = tmp_path / "glossary.tbx"
    code, stdout, err = cli(capfd, "glossary", "-o", str(out))
    assert code == 0, err
    checked = xliff.load_and_check(xliff.make(ROOT), Diagnostics(), xliff.Timer({}))
    assert checked is not None
    terms = checked.site.glossary
    base = tbx.tbxfile.parsefile(str(out))
    assert len(base.units) == len(terms) and stdout == f"wrote {len(terms)} terms to {out}\n"
    first = base.units[1]
    assert (first.source, first.gettarget("en")) == (terms[1].terms["zh"], terms[1].terms["en"])
    checked_notes = [u for u in base.units if any("Required rendering" in n for n in u.getnotes().split("\n"))]
    assert len(checked_notes) == sum(t.check for t in terms)


# ---------------------------------------------------------------- OmegaT, the real CAT tool


@pytest.fixture(scope="module")
def omegat() -> list[str]:
    java = shutil.which("java")
    if java is None or not OMEGAT_JAR.is_file():
        pytest.fail(
            "OmegaT is not installed (java or /usr/share/omegat/OmegaT.jar missing): install the Debian package "
            "omegat (apt-get install --no-install-recommends omegat; ./run test installs it)",
            pytrace=False,
        )
    return [java, "-Xmx512m", "-Djava.awt.headless=true", "-jar", str(OMEGAT_JAR)]


def run_omegat(command: list[str], project: Path, config: Path, *options: str) -> float:
    start = time.monotonic()
    done = subprocess.run(
        [*command, str(project), f"--config-dir={config}", "--quiet", *options],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return time.monotonic() - start


def omegat_notation(element: etree._Element) -> str:
    """A <source> as OmegaT shows the segment: tags as <g0>…</g0>, <x1/>, <c2/> in order of appearance."""
    count = 0
    out: list[str] = [element.text or ""]

    def visit(el: etree._Element) -> None:
        nonlocal count
        for child in el:
            name = child.tag.split("}")[1]
            n = count
            count += 1
            letter = {"g": "g", "x": "x"}.get(name) or (child.get("ctype") or "p").removeprefix("x-")[0]
            if name == "g":
                out.append(f"<{letter}{n}>{child.text or ''}")
                visit(child)
                out.append(f"</{letter}{n}>")
            else:
                out.append(f"<{letter}{n}/>")
            out.append(child.tail or "")

    visit(element)
    return "".join(out)


def test_omegat_sees_the_segments_the_memory_holds(
    omegat: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str], schema: etree.XMLSchema
) -> None:
    """OmegaT's own segments (its pseudo-translation) are exactly the sources of the exported memory."""
    from translate.storage import tmx

    project = tmp_path / "project"
    code, _, err = cli(capfd, "xliff", "export", "omegat", "--lang", "en", "-o", str(project))
    assert code == 0, err
    assert_valid(schema, next((project / "source").glob("*.xlf")))
    memory = tmx.tmxfile.parsefile(str(next((project / "tm" / "auto").glob("*.tmx"))))
    ours = {u.source for u in memory.units}
    shutil.rmtree(project / "tm" / "auto")  # untranslated, so that OmegaT lists every segment
    pseudo = tmp_path / "pseudo.tmx"
    run_omegat(omegat, project, tmp_path / "config", "--mode=console-createpseudotranslatetmx",
               f"--pseudotranslatetmx={pseudo}", "--pseudotranslatetype=equal")
    theirs = {tu.find("tuv/seg").text or "" for tu in etree.parse(str(pseudo)).iter("tu")}
    assert ours <= theirs and len(ours) > 150
    sources = units(next((project / "source").glob("*.xlf")))
    assert {omegat_notation(tu.find(f"{X}source")) for tu in sources.values()} == theirs


def test_omegat_round_trip(
    omegat: list[str], content_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str],
    schema: etree.XMLSchema,
) -> None:
    """Export an OmegaT project, let OmegaT translate it from a memory, import what it wrote."""
    from translate.storage import tmx

    c = str(content_copy)
    body = content_copy / R26_4 / "body.en.md"
    original = body.read_text("utf-8")
    para_73 = next(line for line in original.split("\n") if line.startswith("73. "))
    note_5 = next(line for line in original.split("\n") if line.startswith("[^5]: "))
    body.write_text(original.replace(para_73 + "\n\n", "").replace("\n\n" + note_5, ""), "utf-8")  # 73: new
    edit(content_copy / R26_4 / "body.zh.md", "预计联合国的一项集体实施计划", "预计联合国的一项集体的实施计划")  # 74: stale
    lock_before = lock_of(content_copy)
    section_yaml = (content_copy / R26_4 / "section.yaml").read_text("utf-8")

    project = tmp_path / "omegat project"  # a space in the path, as translators' folders have
    code, stdout, err = cli(capfd, "xliff", "export", "omegat", "--lang", "en", "--section", "resolution-26-4",
                            "-o", str(project), "--content", c)
    assert code == 0, err
    assert "OmegaT project with 7 units (4 translated, 1 to review, 2 new)" in stdout
    source = next((project / "source").glob("*.xlf"))
    exported = units(source)
    for tu in exported.values():  # every target starts as a copy of its source
        assert etree.tostring(tu.find(f"{X}target"), encoding="unicode").split(">", 1)[1].rsplit("</", 1)[0] == \
            etree.tostring(tu.find(f"{X}source"), encoding="unicode").split(">", 1)[1].rsplit("</", 1)[0]
    auto = {u.getid(): u for u in tmx.tmxfile.parsefile(str(next((project / "tm" / "auto").glob("*.tmx")))).units}
    review = {u.getid() for u in tmx.tmxfile.parsefile(str(next((project / "tm").glob("*-review.tmx")))).units}
    assert set(auto) == {"title.resolution-26-4", "description.resolution-26-4", "para-72", "fn-4"}
    assert review == {"para-74"}
    assert (project / "omegat.project").read_text().count("<sentence_seg>false</sentence_seg>") == 1

    # The translator's work as OmegaT holds it: its notation, each translation keyed by its unit.
    work = tmx.tmxfile(sourcelanguage="zh", targetlanguage="en")
    english_72 = auto["para-72"].gettarget("en")
    translations = {
        "para-72": english_72.replace("In addition to calling for", "Besides calling for"),
        "para-73": para_73[len("73. "):].replace("[^5]", "<x0/>"),
        "title.resolution-26-4": "Resolution 26/4: Promoting safety in cities and in human settlements",
        "fn-5": note_5[len("[^5]: ") :].replace("Available at [", "Available online at <g0>").split("](")[0] + "</g0>.",
    }
    for uid, text in translations.items():
        unit = work.addsourceunit(omegat_notation(exported[uid].find(f"{X}source")), "zh")
        unit.settarget(text, "en")
        first = unit.xmlelement.find(unit.namespaced("tuv"))
        for ptype, value in (("file", source.name), ("id", uid)):
            prop = etree.Element(unit.namespaced("prop"))
            prop.set("type", ptype)
            prop.text = value
            first.addprevious(prop)
    # Where OmegaT keeps a translator's work: the project memory, which tm/auto does not override.
    work.savefile(str(project / "omegat" / "project_save.tmx"))

    seconds = run_omegat(omegat, project, tmp_path / "config", "--mode=console-translate", "--tag-validation=abort")
    print(f"OmegaT console-translate: {seconds:.1f} s")
    target = project / "target" / source.name
    assert_valid(schema, target)
    states = {tu.get("id"): tu.find(f"{X}target").get("state") for tu in units(target).values()}
    assert set(states.values()) == {"new"}  # OmegaT never sets a state: the importer cannot rely on it

    code, stdout, err = cli(capfd, "xliff", "import", str(project), "--content", c)
    assert code == 0, err
    assert stdout == "imported 6 units into 2 files; confirmed 2 paragraphs\n"
    assert "1 unit of " in err and "not imported" in err  # paragraph 74, left as a copy of its source
    expected = original.replace("In addition to calling for", "Besides calling for").replace(
        "[^5]: Available at", "[^5]: Available online at")
    assert body.read_text("utf-8") == expected  # 73 back in its place, 72's italics kept on the same words
    assert "*Strengthening a Culture of Community Crime Prevention" in expected
    assert (content_copy / R26_4 / "section.yaml").read_text("utf-8") == section_yaml.replace(
        "Promoting safety in cities and human settlements", "Promoting safety in cities and in human settlements")
    lock = lock_of(content_copy)
    assert lock[("para-74", "en")] == lock_before[("para-74", "en")]  # still stale
    # 72 and 73 confirmed against the Chinese as it is: the entries they had (the English paragraph 73
    # was taken out, its lock line left), so the lock reads as before.
    assert lock == lock_before
    code, out_text, _ = cli(capfd, "status", "--content", c)
    row = next(line for line in out_text.splitlines() if line.startswith("resolution-26-4 "))
    assert row.split()[2:] == ["2", "1", "0"]
    code, _, err = cli(capfd, "check", "--content", c)
    assert code == 0 and "0 errors, 1 warning" in err + _ and "paragraph 74 is stale" in err
