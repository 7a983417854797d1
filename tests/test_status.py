"""Translation status: the lock file, `status`, the stale warning of `check`, and `confirm`.

Most tests work on a copy of the real content (the `content_copy` fixture)
and change a Chinese paragraph of section resolution-26-4 (paragraphs 72-74).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import build
from reportsite import status
from reportsite.errors import Diagnostics

ROOT = Path(__file__).resolve().parent.parent
SECTION = Path("sections/03-other-resolutions/02-resolution-26-4")
STALE_73 = ("{content}/sections/03-other-resolutions/02-resolution-26-4/body.en.md:7:1: warning: paragraph 73 is "
            "stale: the Chinese changed since it was translated; review it, then run python build.py confirm para-73")


def cli(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = build.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def table(out: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(section or 'total', language) -> (translated, stale, missing) from the status table."""
    rows = {}
    for line in out.splitlines():
        m = re.fullmatch(r"(\S+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            rows[(m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)), int(m.group(5)))
    return rows


def change_chinese_73(content: Path) -> None:
    edit(content / SECTION / "body.zh.md", "更安全城市问题方面一个重要的联合国合作伙伴", "更安全城市问题方面一个非常重要的联合国合作伙伴")


def test_the_committed_lock_matches_the_content(capfd: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capfd, "status")
    assert code == 0
    rows = table(out)
    translated, stale, missing = rows[("total", "en")]
    assert (stale, missing) == (0, 0) and translated == 92
    lock_file = ROOT / "content" / status.LOCK_NAME
    lock = status.read_lock(lock_file, Diagnostics())
    assert lock is not None and len(lock) == translated
    # Rewriting an unchanged lock gives the same bytes: stable, sorted, diff-friendly.
    text = lock_file.read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == sorted(lines, key=lambda line: int(line.split()[0][5:]))
    assert all(re.fullmatch(r"para-\d+ en [a-z0-9-]+ [0-9a-f]{16}", line) for line in lines)


def test_status_check_and_confirm_after_the_chinese_changes(content_copy: Path,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    c = str(content_copy)
    lock_before = (content_copy / status.LOCK_NAME).read_text("utf-8")
    change_chinese_73(content_copy)

    code, out, _ = cli(capfd, "status", "--content", c)
    assert code == 0
    rows = table(out)
    assert rows[("resolution-26-4", "en")] == (2, 1, 0)
    assert rows[("total", "en")] == (91, 1, 0)
    assert f"{c}/sections/03-other-resolutions/02-resolution-26-4/body.en.md:7:1: para-73 en: stale" in out

    code, out, err = cli(capfd, "check", "--content", c)
    assert code == 0
    assert err.splitlines() == [STALE_73.format(content=c)]
    assert out == "0 errors, 1 warning; content is valid\n"
    code, _, err = cli(capfd, "check", "--strict", "--content", c)
    assert code == 1 and STALE_73.format(content=c) in err.splitlines()

    code, out, _ = cli(capfd, "confirm", "para-73", "--content", c)
    assert code == 0 and "1 entry changed" in out
    after = (content_copy / status.LOCK_NAME).read_text("utf-8")
    changed = [(a, b) for a, b in zip(lock_before.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][0].startswith("para-73 en resolution-26-4 ")

    code, out, err = cli(capfd, "check", "--strict", "--content", c)
    assert (code, err) == (0, "")
    assert table(cli(capfd, "status", "--content", c)[1])[("total", "en")] == (92, 0, 0)


def test_confirm_a_section_or_all(content_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    c = str(content_copy)
    change_chinese_73(content_copy)
    edit(content_copy / "sections/01-introduction/body.zh.md", "人居署开始了一系列转型举措", "人居署开始了一系列重大转型举措")
    assert table(cli(capfd, "status", "--content", c)[1])[("total", "en")] == (90, 2, 0)
    assert cli(capfd, "confirm", "resolution-26-4", "--content", c)[0] == 0
    rows = table(cli(capfd, "status", "--content", c)[1])
    assert rows[("resolution-26-4", "en")] == (3, 0, 0) and rows[("introduction", "en")] == (3, 1, 0)
    assert cli(capfd, "confirm", "all", "--content", c)[0] == 0
    assert table(cli(capfd, "status", "--content", c)[1])[("total", "en")] == (92, 0, 0)


def test_english_edits_and_typographic_spaces_are_not_stale(content_copy: Path,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    edit(content_copy / SECTION / "body.en.md", "An important United Nations partner", "A key United Nations partner")
    edit(content_copy / SECTION / "body.zh.md", "20 年经验", "20年经验")
    assert table(cli(capfd, "status", "--content", str(content_copy))[1])[("total", "en")] == (92, 0, 0)


def test_a_missing_translation_is_counted(content_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    body = content_copy / SECTION / "body.en.md"
    lines = body.read_text("utf-8").split("\n")
    body.write_text("\n".join(line for line in lines if not line.startswith("74. ")), "utf-8")
    code, out, _ = cli(capfd, "status", "--content", str(content_copy))
    assert code == 0
    assert table(out)[("resolution-26-4", "en")] == (2, 0, 1)
    assert "para-74 en: missing" in out


def test_confirming_keeps_the_entry_of_a_translation_missing_for_a_while(content_copy: Path) -> None:
    # English paragraph 74 is gone for the moment (being rewritten; an XLIFF import confirms other
    # paragraphs meanwhile): confirming 73 must keep 74's entry, so that once back it is translated,
    # not "never confirmed".
    from conftest import load_parsed

    lock = status.read_lock(content_copy / status.LOCK_NAME, Diagnostics())
    assert lock is not None and ("para-74", "en") in lock
    body = content_copy / SECTION / "body.en.md"
    body.write_text("\n".join(line for line in body.read_text("utf-8").split("\n") if not line.startswith("74. ")),
                    "utf-8")
    change_chinese_73(content_copy)
    new, changed = status.confirm(load_parsed(content_copy).site, lock, "para-73")
    assert changed == 1 and new[("para-74", "en")] == lock[("para-74", "en")]
    assert new.keys() == lock.keys()


def test_new_paragraphs_need_confirming(content_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    lock = content_copy / status.LOCK_NAME
    lock.write_text("".join(line + "\n" for line in lock.read_text("utf-8").splitlines()
                            if not line.startswith("para-74 ")), "utf-8")
    code, _, err = cli(capfd, "check", "--content", str(content_copy))
    assert code == 0
    assert "body.en.md:9:1: warning: paragraph 74 has never been confirmed (not in translations.lock); " \
           "review it, then run python build.py confirm para-74" in err
    assert cli(capfd, "confirm", "para-74", "--content", str(content_copy))[0] == 0
    assert lock.read_text("utf-8") == (ROOT / "content" / status.LOCK_NAME).read_text("utf-8")


def test_without_a_lock_file_check_says_so(content_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (content_copy / status.LOCK_NAME).unlink()
    code, out, err = cli(capfd, "check", "--content", str(content_copy))
    assert code == 0
    assert err.splitlines() == [
        f"{content_copy}/translations.lock:1:1: warning: no translation lock file, so stale translations cannot be "
        "found; once the translations are reviewed, run python build.py confirm all",
    ]
    assert out == "0 errors, 1 warning; content is valid\n"
    code, out, err = cli(capfd, "status", "--content", str(content_copy))
    assert code == 0 and "no translation has been confirmed yet" in err
    assert table(out)[("total", "en")] == (0, 92, 0)


def test_a_malformed_lock_line_is_reported_with_its_line(content_copy: Path,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    lock = content_copy / status.LOCK_NAME
    text = lock.read_text("utf-8").replace("para-3 en introduction", "para-3 en introduction extra", 1)
    lock.write_text(text, "utf-8")
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("para-3 "))) + 1
    code, out, err = cli(capfd, "check", "--content", str(content_copy))
    assert code == 1
    assert (f"{content_copy}/translations.lock:{line}:1: error: malformed line: expected "
            "'PARAGRAPH-ID LANGUAGE SECTION-ID FINGERPRINT'; delete the line, review that translation, then run "
            "python build.py confirm for it") in err


@pytest.mark.parametrize("target", ["para-999", "no-such-section", "paragraph-3"])
def test_confirm_refuses_what_names_nothing(target: str, content_copy: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    before = (content_copy / status.LOCK_NAME).read_bytes()
    code, _, err = cli(capfd, "confirm", target, "--content", str(content_copy))
    assert code == 2 and err.startswith("build.py confirm: ")
    assert (content_copy / status.LOCK_NAME).read_bytes() == before


def test_confirm_refuses_to_run_on_content_with_errors(content_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # A section.yaml that does not load: its paragraphs cannot be seen, and their confirmations must not be lost.
    lock = content_copy / status.LOCK_NAME
    before = lock.read_bytes()
    yaml_file = content_copy / SECTION / "section.yaml"
    yaml_file.write_text(yaml_file.read_text("utf-8").replace("order:", "order: [", 1), "utf-8")
    code, out, err = cli(capfd, "confirm", "all", "--content", str(content_copy))
    assert code == 1 and out == ""
    assert "section.yaml:" in err and "error: YAML syntax error" in err
    assert err.rstrip().endswith("fix them first (translations.lock not changed)") or "not changed" in err
    assert lock.read_bytes() == before


def test_confirm_needs_a_target(capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capfd, "confirm")
    assert code == 2 and "all, a section id, or a paragraph" in err


def test_fingerprint_ignores_layout_not_words() -> None:
    fp = status.fingerprint
    assert fp("2018 年 1 月，人居署") == fp("2018年1月，人居署") == fp(" 2018 年\n1 月，人居署 ")
    assert fp("第 26/1 号决议") != fp("第 26/2 号决议")
    assert fp("Agenda for Humanity") != fp("AgendaforHumanity")
    assert len(fp("x")) == status.HASH_LEN


def test_cover_notes_are_cited_and_defined_in_each_language(content_copy: Path,
                                                             capfd: pytest.CaptureFixture[str]) -> None:
    report = content_copy / "report.yaml"
    text = report.read_text("utf-8")
    lines = text.splitlines()
    agenda = next(n for n, line in enumerate(lines, 1) if "Item 9 of the provisional agenda[^*]" in line)
    # The English note goes missing, and a note nothing cites is added to the Chinese.
    text = text.replace('    "*": HSP/HA/1/1.\n', '    "+": HSP/HA/1/1.\n').replace(
        '    "*": HSP/HA/1/1。\n', '    "*": HSP/HA/1/1。\n    "2": 未引用。\n')
    report.write_text(text, "utf-8")
    code, out, err = cli(capfd, "check", "--content", str(content_copy))
    lines = text.splitlines()
    plus = next(n for n, line in enumerate(lines, 1) if line.startswith('    "+"'))
    two = next(n for n, line in enumerate(lines, 1) if line.startswith('    "2"'))
    assert code == 1
    shown = [line.replace(str(content_copy), "content") for line in err.splitlines()]
    assert f"content/report.yaml:{agenda}:9: error: the cover cites note [^*] but notes has none for 'en' in " \
           "report.yaml" in shown
    assert f"content/report.yaml:{plus}:10: warning: note '+' for 'en' is never cited on the cover: cite it as [^+] " \
           "in a cover field" in shown
    assert f"content/report.yaml:{two}:10: warning: note '2' for 'zh' is never cited on the cover: cite it as [^2] " \
           "in a cover field" in shown
