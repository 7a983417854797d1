"""The command line as a user meets it: exit codes, diagnostics naming
file:line:col without a traceback, and an output directory that a failed
build leaves exactly as it was."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def tree_digest(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_broken_yaml_is_reported_and_the_output_is_untouched(content_copy, tmp_path):
    out = tmp_path / "out"
    first = run("--out", str(out), "--content", str(content_copy), "--no-search")
    assert first.returncode == 0, first.stderr
    before = tree_digest(out)
    section = content_copy / "sections" / "01-introduction" / "section.yaml"
    section.write_text(section.read_text(encoding="utf-8").replace("order: 1", "order: [1", 1), encoding="utf-8")
    second = run("--out", str(out), "--content", str(content_copy), "--no-search")
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    lines = [line for line in second.stderr.splitlines() if ": error: " in line]
    assert lines == [f"{section}:3:8: error: YAML syntax error: did not find expected ',' or ']' "
                     "(while parsing a flow sequence that is not closed; noticed at line 4)"]
    assert tree_digest(out) == before


def test_error_positions_are_relative_to_the_repository(tmp_path):
    # A content directory inside the repository is named relative to its root.
    content = ROOT / "content"
    result = run("check", "--content", str(content))
    assert result.returncode == 0, result.stderr
    assert "0 errors" in result.stdout


def test_check_writes_nothing(content_copy, tmp_path):
    before = {p for p in content_copy.rglob("*")}
    result = run("check", "--content", str(content_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {p for p in content_copy.rglob("*")} == before
    assert list(tmp_path.iterdir()) == [content_copy]


def test_usage_errors_exit_2():
    assert run("frobnicate").returncode == 2
    assert run("--out").returncode == 2


def test_two_builds_are_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("--out", str(a)).returncode == 0
    assert run("--out", str(b)).returncode == 0
    assert tree_digest(a) == tree_digest(b)


def test_refuses_to_replace_a_directory_it_did_not_build(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = run("--out", str(precious), "--no-search")
    assert result.returncode == 1 and "refusing to replace" in result.stderr
    assert (precious / "notes.txt").read_text() == "keep me"
