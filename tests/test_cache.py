"""The build cache never serves stale output: after each kind of change, a
build that reuses the cache (and the previous output) is byte-identical to a
clean build with no cache at all."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from reportsite import pipeline, project

ROOT = Path(__file__).resolve().parent.parent


def digest(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES = {
    "template": lambda c, t: edit(t / "section.html", '<article class="section">', '<article class="section text">'),
    "chart data": lambda c, t: edit(c / "charts" / "deficit-2018.yaml", "value: 3.9", "value: 3.8"),
    "UI string": lambda c, t: (c / "ui" / "en.yaml").write_text(
        (c / "ui" / "en.yaml").read_text("utf-8") + "copy_link: Copy the link\n", "utf-8"),
    "report.yaml": lambda c, t: edit(c / "report.yaml", "en: First session", "en: First Session"),
    "content file": lambda c, t: edit(c / "sections" / "04-conclusions" / "body.en.md",
                                      "92. If successfully implemented", "92. If implemented successfully"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_cached_build_equals_clean_build_after_a_change(tmp_path, change):
    content, templates = tmp_path / "content", tmp_path / "templates"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "templates", templates)
    cache, out = tmp_path / "cache", tmp_path / "site"
    def build(out: Path, cache: Path) -> bool:
        return pipeline.build(project.make(ROOT, content, cache, templates=templates), out, pdf=False).written

    for _ in range(2):  # the second build stages into the first one's spare and hits every cache
        shutil.rmtree(cache / "builds", ignore_errors=True)  # or it would skip, inputs unchanged
        assert build(out, cache)
    before = digest(out)
    CHANGES[change](content, templates)
    assert build(out, cache)
    clean = tmp_path / "clean"
    assert build(clean, tmp_path / "fresh-cache")
    assert digest(out) == digest(clean)
    assert digest(out) != before, "the change must show in the output"
