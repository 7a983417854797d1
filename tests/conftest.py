"""Shared fixtures: the real report built once per test session, and a
helper that builds a small site from a dict of files."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reportsite import pipeline  # noqa: E402

CONTENT = ROOT / "content"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The real content, built once (charts and search included) for many assertions."""
    out = tmp_path_factory.mktemp("real") / "site"
    cache = tmp_path_factory.mktemp("cache")
    result = pipeline.build(CONTENT, out, cache_dir=cache)
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
    from playwright.sync_api import sync_playwright

    from browser import launch

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()
