"""The command line as a user meets it: exit codes, diagnostics naming
file:line:col without a traceback, and an output directory that a failed
build leaves exactly as it was."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import real_project

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
    for jobs in ("0", "-1", "65", "two"):  # not a traceback from deep in the pipeline
        result = run("check", "--jobs", jobs)
        assert result.returncode == 2 and "--jobs: expected a whole number from 1 to 64" in result.stderr


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
    assert result.returncode == 2 and "refusing to replace" in result.stderr
    assert (precious / "notes.txt").read_text() == "keep me"


def test_builds_on_one_or_several_cores_are_byte_identical(tmp_path):
    # The charts drawn by one process or shared among three: the same bytes.
    one, three = tmp_path / "one", tmp_path / "three"
    assert run("--out", str(one), "--jobs", "1", "--cache", str(tmp_path / "c1")).returncode == 0
    assert run("--out", str(three), "--jobs", "3", "--cache", str(tmp_path / "c3")).returncode == 0
    assert tree_digest(one) == tree_digest(three)


def test_a_rebuild_of_unchanged_inputs_writes_nothing_and_reports_the_same(content_copy, tmp_path):
    chart = content_copy / "charts" / "deficit-2018.yaml"
    unplaced = content_copy / "charts" / "unplaced.yaml"
    unplaced.write_text(chart.read_text("utf-8").replace("id: deficit-2018", "id: unplaced", 1), "utf-8")
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = ("--out", str(out), "--content", str(content_copy), "--cache", str(cache), "--no-search")
    first = run(*args)
    assert first.returncode == 0 and "chart 'unplaced' is not placed" in first.stderr
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    second = run(*args)
    assert second.returncode == 0 and second.stderr == first.stderr  # the same warnings, from the record
    assert "stages: inputs" in second.stdout and "load" not in second.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps
    assert run(*args, "--strict").returncode == 1  # the recorded warnings still fail a strict build
    robots = (out / "robots.txt").read_bytes()
    (out / "robots.txt").write_bytes(b"edited by hand\n")  # an output that is no longer what was built
    third = run(*args)
    assert third.returncode == 0 and "load" in third.stdout and (out / "robots.txt").read_bytes() == robots
    unplaced.unlink()
    fourth = run(*args)
    assert fourth.returncode == 0 and "load" in fourth.stdout and "unplaced" not in fourth.stderr


def test_a_template_error_is_reported_and_nothing_is_written(tmp_path):
    from reportsite import pipeline, project

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    page = templates / "section.html"
    lines = page.read_text("utf-8").splitlines(keepends=True)
    lines.insert(3, "{% if %}\n")
    page.write_text("".join(lines), "utf-8")
    out = tmp_path / "out"
    result = pipeline.build(project.make(ROOT, cache=tmp_path / "cache", templates=templates), out, search=False)
    assert not result.written and not out.exists()
    assert [str(d) for d in result.diagnostics.sorted()] == [
        f"{page}:4:1: error: template error: Expected an expression, got 'end of statement block'"]


def test_a_template_reached_through_a_symbolic_link_is_fingerprinted_by_its_text(tmp_path):
    # An edit to the linked file must not let the no-change rebuild keep pages made from the old text.
    from reportsite import pipeline, project

    shared = tmp_path / "shared"
    shared.mkdir()
    footer = shared / "search-form.html"
    footer.write_text((ROOT / "templates" / "search-form.html").read_text("utf-8"), "utf-8")
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "search-form.html").unlink()
    (templates / "search-form.html").symlink_to(footer)
    out, cache = tmp_path / "out", tmp_path / "cache"

    def build() -> pipeline.Result:
        # The project is tmp_path: a link from its templates/ to its shared/ stays inside it.
        return pipeline.build(project.make(tmp_path, ROOT / "content", cache, templates=templates), out, search=False,
                              pdf=False)

    assert build().written
    footer.write_text(footer.read_text("utf-8") + "<!-- linked edit -->\n", "utf-8")
    result = build()
    assert "load" in result.timings  # built again, not replayed
    assert "linked edit" in (out / "en" / "index.html").read_text("utf-8")


def test_a_named_pipe_in_the_content_is_reported_not_waited_for(content_copy, tmp_path):
    import os

    os.mkfifo(content_copy / "sections" / "01-introduction" / "notes.txt")
    result = run("--out", str(tmp_path / "out"), "--content", str(content_copy), "--cache", str(tmp_path / "c"),
                 "--no-search")  # run() has a timeout: a read of the pipe would block forever
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "notes.txt:1:1: warning: unexpected file in a section folder" in result.stderr


def test_an_edit_saved_during_a_build_is_not_replayed_after_it_is_undone(content_copy, tmp_path, monkeypatch):
    # The key is taken before the files are read: output made from a newer save must not be
    # recorded under it, or undoing that save would bring back pages that still show it.
    from reportsite import load, pipeline

    body = content_copy / "sections" / "01-introduction" / "body.en.md"
    before = body.read_text("utf-8")
    during = before.replace("a series of transformative initiatives", "a series of bold transformative initiatives")
    real_load = load.load_site

    def load_after_a_save(project, diags):
        body.write_text(during, "utf-8")
        return real_load(project, diags)

    out, cache = tmp_path / "out", tmp_path / "cache"
    monkeypatch.setattr(load, "load_site", load_after_a_save)
    site_project = real_project(content_copy, cache)
    assert pipeline.build(site_project, out, search=False, pdf=False).written
    monkeypatch.undo()
    page = out / "en" / "introduction" / "index.html"
    assert "bold transformative" in page.read_text("utf-8")
    body.write_text(before, "utf-8")  # undone
    pipeline.build(site_project, out, search=False, pdf=False)
    assert "bold transformative" not in page.read_text("utf-8")
