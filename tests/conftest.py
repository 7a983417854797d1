"""Shared fixtures: the real report built once per test session, and helpers
that load a project or build a small site in a temporary folder."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reportsite import errors, pipeline, project  # noqa: E402

CONTENT = ROOT / "content"
errors.set_root(ROOT)  # diagnostics name files as the command line does in this repository


def real_project(content: Path | None = None, cache: Path | None = None) -> project.Project:
    """This repository's report as a project; content and cache may be replaced."""
    return project.make(ROOT, content, cache if cache is not None else None)


def load_parsed(content: Path = CONTENT):  # type: ignore[no-untyped-def]
    """The checked site of a content folder (the flagship by default), as the build sees it."""
    diags = errors.Diagnostics()
    checked = pipeline.load_and_check(real_project(content), diags, pipeline.Timer({}))
    assert checked is not None, [str(d) for d in diags.sorted()]
    return checked


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The real content, built once (charts, search and PDFs included) for many assertions."""
    out = tmp_path_factory.mktemp("real") / "site"
    cache = tmp_path_factory.mktemp("cache")
    result = pipeline.build(real_project(cache=cache), out)
    assert result.ok and result.written, "\n".join(map(str, result.diagnostics.sorted()))
    return out


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the real content, for tests that break one thing."""
    dest = tmp_path / "content"
    shutil.copytree(CONTENT, dest)
    return dest


@pytest.fixture(scope="session")
def site_url(built_site) -> str:
    """The real site served on 127.0.0.1 with the production CSP."""
    from browser import serve

    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    from browser import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()
