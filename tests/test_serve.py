"""The live preview (`python build.py serve`): rebuild on save, reload, errors in the browser, safe paths.

A `Preview` runs in this process on a free port against a copy of the
content, writing into a temporary directory; one test runs the real command
line in a subprocess.
"""
from __future__ import annotations

import http.client
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import real_project
from htmldom import parse

from reportsite import pages, project, serve

ROOT = Path(__file__).resolve().parent.parent
SECTION = Path("sections/01-introduction")
PAGE = "/en/introduction/"
OLD = "UN-Habitat embarked on a series of transformative initiatives"
NEW = "UN-Habitat embarked on a series of bold transformative initiatives"
WAIT = 20.0  # generous: a slow CI machine must not fail; typical rebuilds take well under a second


@pytest.fixture
def preview(content_copy: Path, tmp_path: Path) -> Iterator[serve.Preview]:
    p = serve.Preview(real_project(content_copy, tmp_path / "cache"), out_dir=tmp_path / "out", port=0)
    p.start()
    try:
        yield p
    finally:
        p.stop()


def get(p: serve.Preview, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request with `path` sent exactly as written (no normalisation by a client library)."""
    conn = http.client.HTTPConnection("127.0.0.1", p.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def wait_until(p: serve.Preview, path: str, predicate, timeout: float = WAIT) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        status, _, body = get(p, path)
        if predicate(status, body):
            return status, body
        assert time.monotonic() < deadline, f"not served within {timeout} s: {status} {body[:300]!r}"
        time.sleep(0.05)


def test_a_page_is_served_with_the_external_reload_script(preview: serve.Preview) -> None:
    status, headers, body = get(preview, PAGE)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["content-security-policy"]
    doc = parse(body.decode())
    scripts = [s.get("src") or "" for s in doc.find_all("script")]
    reload = [s for s in scripts if s.startswith("/__reload.js?build=")]
    assert len(reload) == 1
    # Nothing inline that runs (the CSP forbids it); a JSON-LD data block is data, not a script.
    assert all(s.text().strip() == "" for s in doc.find_all("script") if s.get("type") != "application/ld+json")
    status, headers, js = get(preview, reload[0])
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert b"EventSource" in js and b"/__events" in js


def test_an_edited_paragraph_is_served(preview: serve.Preview, content_copy: Path) -> None:
    assert OLD.encode() in get(preview, PAGE)[2]
    first = preview.state.build_id
    edit(content_copy / SECTION / "body.en.md", OLD, NEW)
    wait_until(preview, PAGE, lambda status, body: status == 200 and NEW.encode() in body)
    # The pages are written just before the build's state is published: wait for that too.
    state = preview.wait_for_build(first, WAIT)
    # A paragraph edit re-reads only its file (no load stage), draws no chart and builds no search index.
    assert state is not None and "load" not in state.stages and "render" in state.stages
    assert not (preview.out_dir / "pagefind").exists()


def test_after_an_edit_every_page_holding_the_paragraph_shows_it(preview: serve.Preview, content_copy: Path) -> None:
    # The edited section's pages are written first; the whole-report pages just after, and a
    # request for one of them in between waits for it rather than getting the old text.
    edit(content_copy / SECTION / "body.en.md", OLD, NEW)
    wait_until(preview, PAGE, lambda status, body: status == 200 and NEW.encode() in body)
    for page in ("/en/full/", "/parallel/full/", "/parallel/introduction/"):
        status, _, body = get(preview, page)
        assert status == 200 and NEW.encode() in body and OLD.encode() not in body, page


def test_an_edit_that_breaks_a_check_across_sections_shows_the_error(preview: serve.Preview,
                                                                      content_copy: Path) -> None:
    # Paragraph 2 numbered 1 again: found by the checks over all sections, which the fast path also runs.
    body = content_copy / SECTION / "body.en.md"
    original = body.read_text("utf-8")
    edit(body, "\n2. The work of UN-Habitat", "\n1. The work of UN-Habitat")
    status, text = wait_until(preview, PAGE, lambda status, text: status == 500)
    assert b"01-introduction/body.en.md:7:1: error: paragraph" in text
    body.write_text(original, "utf-8")
    wait_until(preview, PAGE, lambda status, text: status == 200 and OLD.encode() in text)


def test_a_word_edit_keeps_the_findings_of_the_checks_across_sections(content_copy: Path, tmp_path: Path) -> None:
    # The fast path reuses those findings when the edit leaves every paragraph, figure and line in place.
    chart = content_copy / "charts" / "deficit-2018.yaml"
    (content_copy / "charts" / "unplaced.yaml").write_text(
        chart.read_text("utf-8").replace("id: deficit-2018", "id: unplaced", 1), "utf-8")
    p = serve.Preview(real_project(content_copy, tmp_path / "cache"), out_dir=tmp_path / "out", port=0)
    p.start()
    try:
        warning = "chart 'unplaced' is not placed in any section"
        assert any(warning in d.message for d in p.state.diagnostics)
        first = p.state.build_id
        edit(content_copy / SECTION / "body.en.md", OLD, NEW)
        state = p.wait_for_build(first, WAIT)
        assert state is not None and state.ok and "load" not in state.stages
        assert any(warning in d.message for d in state.diagnostics)
    finally:
        p.stop()


def test_open_pages_hear_of_each_new_build(preview: serve.Preview, content_copy: Path) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=WAIT)
    conn.request("GET", "/__events")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
    first = resp.readline().decode().strip()
    assert first == f"data: {preview.state.build_id}"
    edit(content_copy / SECTION / "body.en.md", OLD, NEW)
    line = b""
    while not line.startswith(b"data: "):
        line = resp.readline()
    assert line.decode().strip() != first
    conn.close()


def test_errors_are_shown_in_the_page_and_it_recovers(preview: serve.Preview, content_copy: Path) -> None:
    body_file = content_copy / SECTION / "body.en.md"
    good = body_file.read_text("utf-8")
    body_file.write_text(good.replace("2. The work", "2. The <b>work</b> [^9]", 1), "utf-8")
    status, body = wait_until(preview, PAGE, lambda status, body: status == 500)
    doc = parse(body.decode())
    items = [li.text() for li in doc.find_all("li")]
    shown = str(content_copy / SECTION / "body.en.md")
    assert any(re.fullmatch(re.escape(shown) + r":7:\d+: error: footnote \[\^9\] is cited but not defined in this file"
                            r".*The <b>work</b> \[\^9\].*", item) for item in items), items  # with the source line
    assert b"<b>work</b>" not in body  # diagnostics are escaped
    assert any((s.get("src") or "").startswith("/__reload.js") for s in doc.find_all("script"))
    # Other pages show the errors too, rather than a stale page; assets are still served.
    assert get(preview, "/zh/")[0] == 500
    assert get(preview, "/__preview.css")[0] == 200
    body_file.write_text(good, "utf-8")
    wait_until(preview, PAGE, lambda status, body: status == 200 and OLD.encode() in body)


def test_a_chart_edit_redraws_charts_and_a_template_edit_reuses_the_content(
        content_copy: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    p = serve.Preview(project.make(ROOT, content_copy, tmp_path / "cache", templates=templates),
                      out_dir=tmp_path / "out", port=0)
    p.start()
    try:
        first = p.state.build_id
        edit(content_copy / "charts" / "deficit-2018.yaml", "Interim results]", "Interim result]")
        state = p.wait_for_build(first, WAIT)
        assert state is not None and state.ok and "charts" in state.stages and "load" in state.stages
        base = templates / "base.html"
        base.write_text(base.read_text("utf-8").replace("</body>", "<!-- edited --></body>"), "utf-8")
        state = p.wait_for_build(state.build_id, WAIT)
        assert state is not None and state.ok
        assert "load" not in state.stages and "charts" not in state.stages and "render" in state.stages
        assert b"<!-- edited -->" in get(p, PAGE)[2]
    finally:
        p.stop()


TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
    "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt", "/en/../../secret.txt", "/en/%2e%2e/%2e%2e/secret.txt",
    "/..\\secret.txt", "/%5c..%5csecret.txt", "/..%5csecret.txt", "/%252e%252e/secret.txt",
    "../secret.txt", "//etc/passwd", "/etc/passwd", "/%2fetc%2fpasswd", "http://127.0.0.1/../secret.txt",
    "/escape/secret.txt", "/escape", "/%00/etc/passwd", "/.reportsite",
]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serve.Preview]:
    """A preview with a secret file beside its site and a link inside the site that points out of it."""
    tmp = tmp_path_factory.mktemp("guarded")
    shutil.copytree(ROOT / "content", tmp / "content")
    p = serve.Preview(real_project(tmp / "content", tmp / "cache"), out_dir=tmp / "out", port=0)
    p.start()
    (tmp / "secret.txt").write_text("top secret", "utf-8")
    (p.out_dir / "escape").symlink_to(tmp)
    try:
        yield p
    finally:
        p.stop()


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_site_is_served(guarded: serve.Preview, path: str) -> None:
    status, _, body = get(guarded, path)
    assert status in (403, 404), (path, status)
    assert b"top secret" not in body


def test_it_listens_on_127_0_0_1_only(preview: serve.Preview) -> None:
    assert preview.httpd.socket.getsockname() == ("127.0.0.1", preview.port)
    # Bound to 127.0.0.1 itself, not to every address: another loopback address gets no answer.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", preview.port), timeout=2).close()


def test_the_command_line(content_copy: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--port", str(port),
                             "--content", str(content_copy)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out_dir = ROOT / ".cache" / "serve" / f"site-{port}"
    try:
        lines = []
        while not any(line.startswith("serving ") for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert f"serving http://127.0.0.1:{port}/ (127.0.0.1 only); Ctrl-C stops\n" in lines
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", PAGE)
        resp = conn.getresponse()
        assert resp.status == 200 and OLD.encode() in resp.read()
        conn.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(out_dir, ignore_errors=True)


def test_a_bug_in_a_build_is_shown_and_the_next_save_retries(preview: serve.Preview, content_copy: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(pages, "section_page", broken)
    edit(content_copy / SECTION / "body.en.md", OLD, NEW)
    status, body = wait_until(preview, PAGE, lambda status, body: status == 500)
    assert b"the preview crashed (RuntimeError: simulated bug)" in body
    monkeypatch.undo()
    edit(content_copy / SECTION / "body.en.md", NEW, OLD)
    wait_until(preview, PAGE, lambda status, body: status == 200 and OLD.encode() in body)


def test_an_edit_that_renumbers_figures_rebuilds_the_pages_of_other_sections(content_copy: Path, tmp_path: Path) -> None:
    # A chart placed in an earlier section makes the later figure "Figure 2" on a page nobody edited.
    chart = content_copy / "charts" / "deficit-2018.yaml"
    (content_copy / "charts" / "early.yaml").write_text(
        chart.read_text("utf-8").replace("id: deficit-2018", "id: early", 1), "utf-8")
    builder = serve.Builder(real_project(content_copy, tmp_path / "cache"), tmp_path / "out")
    assert builder.build(None).ok
    later = tmp_path / "out" / "en" / "restructuring" / "index.html"
    assert 'id="fig-1"' in later.read_text("utf-8")
    edited = []
    for lang in ("en", "zh"):
        body = content_copy / "sections" / "01-introduction" / "01-strategic-plan" / f"body.{lang}.md"
        body.write_text(body.read_text("utf-8").rstrip("\n") + "\n\n```chart\nearly\n```\n", "utf-8")
        edited.append(body)
    state = builder.build(set(edited))
    assert state.ok, [str(d) for d in state.diagnostics]
    if state.then is not None:
        state.then()
    page = later.read_text("utf-8")
    assert 'id="fig-2"' in page and 'id="fig-1"' not in page


def test_a_word_edit_redoes_its_section_s_own_checks(content_copy: Path, tmp_path: Path) -> None:
    # The fast path reuses the checks across files but not the edited section's own: a quantity the English
    # lost, and a Chinese paragraph whose English is now stale, are reported after the save.
    p = serve.Preview(real_project(content_copy, tmp_path / "cache"), out_dir=tmp_path / "out", port=0)
    p.start()
    try:
        assert not p.state.diagnostics
        first = p.state.build_id
        edit(content_copy / SECTION / "body.en.md", "General Assembly resolution 73/239 of 20 December 2018",
             "General Assembly resolution 73/239 of December 2018")
        state = p.wait_for_build(first, WAIT)
        assert state is not None and state.ok and "load" not in state.stages
        assert [str(d).split(": ", 1)[1].replace(str(content_copy), "content") for d in state.diagnostics] == [
            "warning: paragraph 3: the English lacks 20 of the Chinese (content/sections/01-introduction/body.zh.md:9)"]
        second = state.build_id
        edit(content_copy / SECTION / "body.zh.md", "人居署的工作由三个主要政策机构来指导", "人居署的工作由三个政策机构来指导")
        state = p.wait_for_build(second, WAIT)
        assert state is not None and state.ok and "load" not in state.stages
        assert sorted(d.message.split(":")[0] for d in state.diagnostics) == ["paragraph 2 is stale", "paragraph 3"]
    finally:
        p.stop()
