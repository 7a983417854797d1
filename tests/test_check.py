"""Bad input: `python build.py check` reports each problem as path:line:col, never a traceback.

Each case is a folder under tests/fixtures/invalid/, named for what is wrong.
The test copies the small valid site in `_base/` (two languages, three
sections, one chart; its interface strings are the theme's) into a temporary directory, lays the case's
`content/` files over it, deletes the files listed in its `delete.txt`, runs
the case's mutation from MUTATIONS below for what cannot live in git (a 5 MB
file, odd file names, symlinks, byte-order marks), and compares the
diagnostics with the case's `expected.txt`, line for line. Paths in
`expected.txt` are written as `content/...` for the temporary copy and
`OUTSIDE/...` for files beside it.

The translation lock is written for each case after its changes (as if every
translation had been confirmed), so that only `stale-translation` is stale.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import build
from reportsite import status

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "invalid"
BASE = FIXTURES / "_base" / "content"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_"))
GAMMA = Path("sections/02-beta/01-gamma")


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(content: Path) -> None:
        path = content / rel
        text = path.read_text("utf-8")
        assert old in text, f"{rel} lacks {old!r}"
        path.write_text(text.replace(old, new, 1), "utf-8")
    return mutate


def _bom_and_crlf(content: Path) -> None:
    for lang in ("zh", "en"):
        path = content / "sections/01-alpha" / f"body.{lang}.md"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    yaml = content / "sections/01-alpha/section.yaml"
    yaml.write_bytes(b"\xef\xbb\xbf" + yaml.read_bytes().replace(b"\n", b"\r\n"))


def _symlink_outside(content: Path) -> None:
    outside = content.parent / "outside"
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text("---\ndescription: not part of the report\n---\n\n5. Secret.\n", "utf-8")
    link = content / GAMMA / "body.en.md"
    link.unlink()
    link.symlink_to(secret)


def _hidden_link_outside(content: Path) -> None:
    # The load skips hidden names: a hidden link to a folder outside content/ must not publish its files.
    outside = content.parent / "outside"
    outside.mkdir()
    (outside / "board.png").write_bytes(b"\x89PNG private")
    (content / GAMMA / ".h").symlink_to(outside)


def _huge_paragraph(content: Path) -> None:
    path = content / GAMMA / "body.en.md"
    path.write_text(path.read_text("utf-8") + "\n6. " + "word " * 1_000_000 + "\n", "utf-8")


MUTATIONS: dict[str, Callable[[Path], None]] = {
    "bom-and-crlf-accepted": _bom_and_crlf,

    "paragraph-5mb": _huge_paragraph,
    "file-name-with-spaces": lambda c: (c / GAMMA / "board photo.png").write_bytes(b"\x89PNG"),
    "file-name-non-ascii": lambda c: (c / GAMMA / "执行局.png").write_bytes(b"\x89PNG"),
    "symlink-outside-content": _symlink_outside,
    "image-through-hidden-link": _hidden_link_outside,
}
# Applied after the lock file is written: the Chinese changes, the English does not.
AFTER_LOCK: dict[str, Callable[[Path], None]] = {
    "stale-translation": _replace(str(GAMMA / "body.zh.md"), "36 名成员", "36 名当选成员"),
}


def make_site(dest: Path, case: str | None = None) -> Path:
    """The base site, with `case`'s changes, in dest/content; returns that folder."""
    content = dest / "content"
    shutil.copytree(BASE, content)
    if case is not None:
        folder = FIXTURES / case
        if (folder / "content").is_dir():
            shutil.copytree(folder / "content", content, dirs_exist_ok=True)
        delete = folder / "delete.txt"
        for rel in delete.read_text("utf-8").split() if delete.is_file() else ():
            (dest / rel).unlink()
        MUTATIONS.get(case, lambda c: None)(content)
    confirm_all(content)
    if case in AFTER_LOCK:
        AFTER_LOCK[case](content)
    return content


def confirm_all(content: Path) -> None:
    from conftest import real_project

    from reportsite import errors, pipeline

    checked = pipeline.load_and_check(real_project(content), errors.Diagnostics(), pipeline.Timer({}))
    if checked is not None:
        lock, _ = status.confirm(checked.site, {}, "all")
        status.write_lock(status.lock_path(content), lock)


def run_cli(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capfd.readouterr()
    code = build.main(argv)
    out, err = capfd.readouterr()
    return code, out, err


def shown(text: str, content: Path) -> list[str]:
    """Output lines with the temporary paths written as in expected.txt."""
    text = text.replace(str(content.parent / "outside"), "OUTSIDE").replace(str(content), "content")
    return text.splitlines()


@pytest.mark.parametrize("case", CASES)
def test_check_reports_exactly(case: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    content = make_site(tmp_path.resolve(), case)
    expected = (FIXTURES / case / "expected.txt").read_text("utf-8").splitlines()
    code, out, err = run_cli(["check", "--content", str(content)], capfd)
    assert "Traceback" not in err
    lines = shown(err + out, content)
    diagnostics, summary = lines[:-1], lines[-1]
    assert diagnostics == expected
    errors = sum(": error: " in line for line in expected)
    warnings = sum(": warning: " in line for line in expected)
    assert summary.startswith(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}; ")
    assert code == (1 if errors else 0)
    strict_code, _, _ = run_cli(["check", "--strict", "--content", str(content)], capfd)
    assert strict_code == (1 if errors or warnings else 0)


def test_every_case_has_expected_diagnostics() -> None:
    assert len(CASES) >= 25
    for case in CASES:
        assert (FIXTURES / case / "expected.txt").is_file(), case
    assert set(MUTATIONS) | set(AFTER_LOCK) <= set(CASES)


def test_base_is_valid(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    content = make_site(tmp_path.resolve())
    code, out, err = run_cli(["check", "--strict", "--content", str(content)], capfd)
    assert (code, err) == (0, "")
    assert out == "0 errors, 0 warnings; content is valid\n"


def test_all_problems_are_reported_not_only_the_first(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    content = make_site(tmp_path.resolve(), "many-problems-reported-together")
    _, _, err = run_cli(["check", "--content", str(content)], capfd)
    files = {line.split(":", 1)[0] for line in shown(err, content)[:-1]}
    assert len(files) == 4, files


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", ["many-problems-reported-together", "invalid-utf8", "section-in-one-language-only"])
def test_build_with_errors_leaves_the_output_untouched(case: str, tmp_path: Path,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    good = make_site(tmp_path / "good")
    out = tmp_path / "site"
    code, _, err = run_cli(["build", "--no-search", "--content", str(good), "--out", str(out)], capfd)
    assert code == 0, err
    before = _hashes(out)
    assert any(name.endswith(".html") for name in before)
    bad = make_site(tmp_path / "bad", case)
    code, stdout, err = run_cli(["build", "--no-search", "--content", str(bad), "--out", str(out)], capfd)
    assert code == 1
    assert "Traceback" not in err
    assert err.rstrip().endswith("site/ not written")
    expected = (FIXTURES / case / "expected.txt").read_text("utf-8").splitlines()
    assert shown(err, bad)[:-1] == [line for line in expected if "is stale" not in line]
    assert _hashes(out) == before
    assert not [p.name for p in tmp_path.iterdir() if ".staging" in p.name]  # nothing half-written left behind


def test_command_line_in_a_real_process(tmp_path: Path) -> None:
    """The same diagnostics through `python build.py check`, exit code 1, no traceback."""
    content = make_site(tmp_path.resolve(), "yaml-duplicate-key")
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "check", "--content", str(content)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    assert shown(proc.stderr, content)[:-1] == (FIXTURES / "yaml-duplicate-key" / "expected.txt").read_text().splitlines()


@pytest.mark.parametrize("change, message", [
    (('  issued: "2019"', '  issued: "2019-13"'), ":11: error: '2019-13' is not a date: a year, a year and month, "
                                                    "or a full date"),
    (('  accent: "#0b5cad"', '  accent: "#0b5cad"\n  logo: crest.svg'),
     ":9: error: no file assets/crest.svg in the project (nor in the theme)"),
    (('  accent: "#0b5cad"', '  accent: "#0b5cad"\n  logo: brand/crest.svg'),
     ":9: error: put the logo in assets/ itself or in assets/img/"),
])
def test_report_yaml_values_that_cannot_be_used(content_copy: Path, capfd, change, message) -> None:
    report = content_copy / "report.yaml"
    text = report.read_text("utf-8")
    assert change[0] in text
    text = text.replace(change[0], change[1])
    report.write_text(text, "utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row == change[1].splitlines()[-1])
    code, _, err = run_cli(["check", "--content", str(content_copy)], capfd)
    assert code == 1
    assert f"{report}:{line}{message}" in err.splitlines(), err
