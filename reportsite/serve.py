"""The live preview: the serve stage, for editors.

Input: a project and a port. Output: the site built (without the search
index and the PDFs) into a private directory, ``.cache/serve/site-<port>/``,
served on 127.0.0.1 only, and rebuilt when a source file changes. Open
pages reload by themselves: HTML responses get ``<script src="/__reload.js"
defer>``, an external script (pages run under the production
Content-Security-Policy, which forbids inline scripts) that listens to
``/__events`` (Server-Sent Events) and reloads when a new build is ready.
While the content has errors, every page shows the diagnostics instead of
a stale page, and recovers by itself once the files are fixed.

Watching is stdlib polling of modification times (no dependency for
editors). A rebuild does only what the change needs: an edit of a section's
text re-reads and re-parses that file and remakes the pages that show it;
a template or asset edit re-renders without reading the content.
"""

from __future__ import annotations

import html
import itertools
import mimetypes
import os
import signal
import threading
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import pages, write
from .errors import Diagnostic, Diagnostics, SourcePos, display_path, program
from .load import load_body
from .model import Section
from .parse import parse_section
from .parse import refs as find_refs
from .pipeline import Checked, Timer, chart_keys, load_and_check, publish, section_checks, structure_checks
from .project import Project
from .render import Context, Products
from .status import Lock
from .urls import output_path, url_for

HOST = "127.0.0.1"  # never another interface: the preview is for the editor at this machine
POLL_SECONDS = 0.25
SETTLE_SECONDS = 0.05  # an editor's save can be several writes; let them land before reading
HEARTBEAT_SECONDS = 15.0
MAX_PATH = 4096  # longer request paths are refused (414), not parsed
RELOAD_JS = b"""\
// Live preview (serve): reload this page when a newer build is ready.
(() => {
  const built = new URL(document.currentScript.src).searchParams.get("build");
  const events = new EventSource("/__events");
  events.onmessage = (event) => {
    if (event.data !== built) {
      events.close();
      location.reload();
    }
  };
})();
"""
PREVIEW_CSS = b"""\
body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem;
       color: #1b1f24; background: #fff; }
h1 { color: #b42318; font-size: 1.5rem; }
ol { padding: 0; list-style: none; }
li { font: 14px/1.5 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere;
     border-inline-start: 4px solid #b42318; background: #fef3f2; margin: .5rem 0; padding: .5rem .75rem; }
li.warning { border-color: #b54708; background: #fffaeb; }
li code { display: block; margin-top: .25rem; color: #475467; }
@media (prefers-color-scheme: dark) {
  body { color: #e6e9ed; background: #16191d; }
  li { background: #3a1d1b; } li.warning { background: #3a2f14; } li code { color: #aab4be; }
}
"""
# Used when the project has no netlify.toml: the policy the theme's pages are made for.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def production_csp(netlify_toml: Path) -> str:
    """The Content-Security-Policy that production sends, so the preview runs pages under the same rules."""
    try:
        config = tomllib.loads(netlify_toml.read_text("utf-8"))
        for rule in config.get("headers", []):
            if rule.get("for") == "/*" and "Content-Security-Policy" in rule.get("values", {}):
                return str(rule["values"]["Content-Security-Policy"])
    except (OSError, tomllib.TOMLDecodeError):
        pass
    return DEFAULT_CSP


# ---------------------------------------------------------------- building

Snapshot = dict[Path, tuple[int, int]]


def snapshot(folders: list[Path]) -> Snapshot:
    """Modification time and size of every file under `folders`."""
    files: Snapshot = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                except OSError:  # removed while we looked; the next poll sees it gone
                    continue
                files[path] = (st.st_mtime_ns, st.st_size)
    return files


def _shape(section: Section) -> tuple[Any, ...]:
    """All that the checks across files read of a section: its paragraphs' ids, numbers and lines, its
    notes, links, images and note references with their places; not its words."""
    out: list[Any] = []
    for tag, body in sorted(section.bodies.items()):
        p = body.parsed
        if p is None:
            out.append((tag, None))
            continue
        out.append(
            (
                tag,
                tuple((b.kind, b.id, b.number, b.line, b.item_lines) for b in p.blocks),
                tuple((f.label, f.key, f.line) for f in p.footnotes),
                tuple((link.href, link.slug, link.fragment, link.external, pos) for link, pos in p.links),
                tuple((image.src, pos) for image, pos in p.images),
                tuple((ref.label, ref.key, pos) for ref, pos in p.refs),
            )
        )
    return tuple(out)


def changed_files(before: Snapshot, after: Snapshot) -> set[Path]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


@dataclass
class BuildState:
    build_id: str
    ok: bool
    diagnostics: list[Diagnostic]
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    excerpts: list[str] = field(default_factory=list)  # the source text at each diagnostic, read at build time
    then: Callable[[], None] | None = None  # after an edit: the whole-report pages, still to be written
    pending: frozenset[str] = frozenset()  # the files `then` writes


class Builder:
    """Rebuilds the preview, reusing what a change cannot affect."""

    def __init__(self, project: Project, out_dir: Path):
        self.project = project
        self.out_dir = out_dir
        self.count = 0
        self.checked: Checked | None = None
        self.content_diags: Diagnostics | None = None
        self.ctx: Context | None = None  # of the last good build: templates compiled, contents rendered
        self.announce: Callable[[frozenset[str]], None] = lambda paths: None
        self.texts: dict[str, list[Diagnostic]] = {}  # each section's own checks (section_checks), by id
        self.structure: list[Diagnostic] = []  # the checks across files (structure_checks)
        self.lock: Lock | None = None

    def build(self, changed: set[Path] | None = None) -> BuildState:
        """Build after `changed` (None: everything) and return the outcome."""
        start = time.perf_counter()
        timings: dict[str, float] = {}
        timer = Timer(timings)
        edits = self._edited_bodies(changed)
        if edits:
            state = self._edit(edits, start, timer)
            if state is not None:
                return state
            timings.clear()
        content = Path(os.path.abspath(self.project.content))
        content_changed = changed is None or any(p.is_relative_to(content) for p in changed)
        if content_changed or self.content_diags is None:
            self.content_diags = Diagnostics()
            self.checked = load_and_check(self.project, self.content_diags, timer, cross=False)
            self.texts = {}
            if self.checked is not None and self.checked.checkable:
                # The checks across files, then each section's own (kept: an edit redoes only its section's).
                site = self.checked.site
                self.structure, self.lock = structure_checks(site, self.checked.refs)
                for section in site.sections:
                    self.texts[section.id] = section_checks(site, section, self.lock)
                self.checked.check_diags = self.structure + [d for found in self.texts.values() for d in found]
                self.checked.crossed = self.checked.texts_checked = True
                self.content_diags.extend(self.checked.check_diags)
            timer.lap("validate")
        diags = Diagnostics()
        diags.extend(self.content_diags)
        self.ctx = None
        if self.checked is not None and not diags.errors:
            manifest = publish(self.checked, self.project, self.out_dir, diags, timer, search=False, pdf=False)
            if manifest is not None:
                self.ctx = self._context(self.checked)
        return self._state(diags, start, timings)

    def _context(self, checked: Checked) -> Context:
        return Context(
            checked.site, checked.refs, self.project, Products(chart_keys=chart_keys(self.project, checked.site))
        )

    def _state(self, diags: Diagnostics, start: float, timings: dict[str, float], **extra: Any) -> BuildState:
        self.count += 1
        ok = self.checked is not None and not diags.errors
        found = diags.sorted()
        return BuildState(
            f"{os.getpid()}-{self.count}",
            ok,
            found,
            time.perf_counter() - start,
            timings,
            [] if ok else [source_excerpt(d.pos) for d in found],
            **extra,
        )

    # -- an edit of section text: the fast path ---------------------------------

    def _edited_bodies(self, changed: set[Path] | None) -> dict[Path, tuple[int, str]] | None:
        """{file: (section index, language)} when only section texts changed since a good build; else None."""
        if not changed or self.checked is None or self.ctx is None:
            return None
        site = self.checked.site
        folders = {s.dir: i for i, s in enumerate(site.sections)}
        edits = {}
        for path in changed:
            lang = path.name[5:-3] if path.name.startswith("body.") and path.name.endswith(".md") else ""
            i = folders.get(path.parent)
            if i is None or lang not in site.report.tags or not path.is_file():
                return None
            edits[path] = (i, lang)
        return edits

    def _edit(self, edits: dict[Path, tuple[int, str]], start: float, timer: Timer) -> BuildState | None:
        """Re-read, re-parse and re-check the edited sections, and write the pages that show them.

        None: a case for the full build (a front matter that no longer loads, a paragraph or a
        figure that moved to another section, which changes the pages of sections not edited).
        """
        assert self.checked is not None and self.ctx is not None
        site = self.checked.site
        load_diags = Diagnostics()
        old = site.sections
        sections = list(site.sections)
        for path, (i, lang) in sorted(edits.items()):
            body = load_body(self.project, path, lang, load_diags)
            if body is None:
                return None
            sections[i] = replace(sections[i], bodies={**sections[i].bodies, lang: body})
        touched = sorted({i for i, _ in edits.values()})
        for i in touched:
            sections[i] = parse_section(site, sections[i], load_diags)
        site = replace(site, sections=tuple(sections))
        refs = find_refs(site)
        if refs != self.checked.refs:
            return None
        timer.lap("parse")
        # The findings of the files not edited stay; those across files are made again.
        shown = {display_path(p) for p in edits}
        file_diags = [d for d in self.checked.file_diags if d.pos.path not in shown] + load_diags.items
        # The checks across files again when an edit changed what they look at (ids, numbers, lines,
        # notes, links: it may break them anywhere); the edited sections' own checks in any case.
        if any(_shape(old[i]) != _shape(sections[i]) for i in touched):
            self.structure, self.lock = structure_checks(site, refs)
        for i in touched:
            self.texts[sections[i].id] = section_checks(site, sections[i], self.lock)
        found = self.structure + [d for texts in self.texts.values() for d in texts]
        self.checked = Checked(site, refs, file_diags, found, checkable=True, crossed=True, texts_checked=True)
        diags = Diagnostics(file_diags + self.checked.check_diags)
        self.content_diags = diags
        timer.lap("validate")
        if diags.errors:
            self.ctx = None  # the next good build is a full one
            return self._state(diags, start, timer.timings)
        ctx = self.ctx
        ctx.update(site, refs)
        edited = [site.sections[i] for i in touched]
        first = [(rel, data) for s in edited for rel, data in pages.section_pages(ctx, s)]
        first += sorted(ctx.media.items())
        whole = [output_path(url_for("full", lang)) for lang in site.report.languages] + [
            output_path(url_for("full", pair)) for pair in ctx.pairs
        ]
        self.announce(frozenset([rel for rel, _ in first] + whole))
        for rel, data in first:
            self._put(rel, data)
        timer.lap("render")

        def whole_report() -> None:
            for kind in (pages.full, pages.parallel_full):
                for rel, data in kind(ctx):
                    self._put(rel, data)

        return self._state(diags, start, timer.timings, then=whole_report, pending=frozenset(whole))

    def _put(self, rel: str, data: bytes) -> None:
        """Replace one file of the served site in one step: a request sees the old page or the new one."""
        (self.out_dir / write.DIRTY).touch()  # the manifest no longer vouches for these files' bytes
        target = self.out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.out_dir / f".{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, target)


# ---------------------------------------------------------------- serving


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is no news; anything else is one line, not a traceback."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)):
            return
        preview = getattr(self, "preview", None)
        if preview is not None:
            preview.log(f"preview: a request failed ({type(exc).__name__}: {str(exc)[:200]})")


class Preview:
    """The preview server: one build thread that polls the sources, and an HTTP server on 127.0.0.1."""

    def __init__(
        self,
        project: Project,
        out_dir: Path | None = None,
        port: int = 8000,
        *,
        poll_seconds: float = POLL_SECONDS,
        log: Callable[[str], None] = lambda line: None,
    ):
        self.httpd = _Server((HOST, port), _Handler)
        self.httpd.preview = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        cache = project.cache or project.root / ".cache"
        self.out_dir = out_dir or cache / "serve" / f"site-{self.port}"
        self.project = project
        self.builder = Builder(project, self.out_dir)
        self.builder.announce = self._announce
        self.watched = [Path(os.path.abspath(project.content)), *project.templates, *project.assets]
        self.poll_seconds = poll_seconds
        self.log = log
        self.csp = production_csp(project.root / "netlify.toml")
        self.state: BuildState | None = None
        self.pending: frozenset[str] = frozenset()  # files being rebuilt: requests for them wait
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._crashes = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self._snapshot = snapshot(self.watched)
        self._publish(self._build(None), None)
        # A short poll interval lets stop() return promptly.
        for target in (lambda: self.httpd.serve_forever(poll_interval=0.1), self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _watch(self) -> None:
        while not self.stopping.wait(self.poll_seconds):
            now = snapshot(self.watched)
            changed = changed_files(self._snapshot, now)
            if not changed:
                continue
            time.sleep(SETTLE_SECONDS)
            now = snapshot(self.watched)
            changed |= changed_files(self._snapshot, now)
            self._snapshot = now
            self._publish(self._build(changed), changed)

    def _announce(self, paths: frozenset[str]) -> None:
        """Before the first file of an edit is written: requests for any of them wait until they are."""
        with self.changed:
            self.pending = paths
            self.changed.notify_all()

    def _build(self, changed: set[Path] | None) -> BuildState:
        """A build; a bug in it is shown like a content error, and the preview keeps watching."""
        try:
            return self.builder.build(changed)
        except Exception as exc:
            self.log(traceback.format_exc().rstrip())
            self.builder = Builder(self.project, self.out_dir)  # start afresh next time
            self.builder.announce = self._announce
            crash = Diagnostic(
                SourcePos(f"{program()} serve"),
                "error",
                f"the preview crashed ({type(exc).__name__}: {exc}); the terminal shows where",
            )
            self._crashes += 1
            return BuildState(f"{os.getpid()}-crash-{self._crashes}", False, [crash], 0.0, excerpts=[""])

    def _publish(self, state: BuildState, changed: set[Path] | None) -> None:
        with self.changed:
            # What is still to be written stays pending; the rest is on disk now.
            self.pending = state.pending if state.then is not None else frozenset()
            self.state = state
            self.changed.notify_all()
        if state.then is not None:
            try:
                state.then()
            except Exception:
                self.log(traceback.format_exc().rstrip())
                self.builder.ctx = None
            finally:
                with self.changed:
                    self.pending = frozenset()
                    self.changed.notify_all()
        what = (
            ""
            if changed is None
            else " after "
            + ", ".join(sorted(display_path(p) for p in changed)[:3])
            + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        )
        for d in state.diagnostics:
            self.log(str(d))
        if state.ok:
            self.log(f"built in {state.seconds * 1000:.0f} ms{what}; {self.url}")
        else:
            self.log(f"build failed{what}: the browser shows the errors until they are fixed")

    def wait_for_file(self, rel: str, timeout: float = 60.0) -> None:
        """Hold a request for a file that is being rebuilt after an edit."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while rel in self.pending and not self.stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.changed.wait(left)

    def wait_for_build(self, after: str | None, timeout: float) -> BuildState | None:
        """The state once its build id differs from `after` and its files are written (None on timeout or stop)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.state is None or self.state.build_id == after or self.pending:
                left = deadline - time.monotonic()
                if left <= 0 or self.stopping.is_set():
                    return None
                self.changed.wait(left)
            return self.state


def safe_file(root: Path, raw_path: str) -> Path | int:
    """The file under `root` that a request path names, or an HTTP status (403 or 404).

    Refuses '..' (also percent-encoded), backslashes, NUL bytes and anything
    that resolves outside `root`, such as a symbolic link.
    """
    path = unquote(urlsplit(raw_path).path, errors="replace")
    if "\\" in path or "\x00" in path:
        return 403
    parts = [p for p in path.split("/") if p]
    if any(p == ".." for p in parts):
        return 403
    if any(p.startswith(".") for p in parts):
        return 404  # the build's marker and staging folders are not part of the site
    root = root.resolve()
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError, ValueError):
        return 404
    if not resolved.is_relative_to(root):
        return 403
    if resolved.is_dir():
        resolved = resolved / "index.html"
    return resolved if resolved.is_file() else 404


def inject_reload(page: bytes, build_id: str) -> bytes:
    tag = f'<script src="/__reload.js?build={build_id}" defer></script>'.encode()
    at = page.lower().find(b"</head>")
    return page[:at] + tag + page[at:] if at >= 0 else page + tag


def source_excerpt(pos: SourcePos, width: int = 80) -> str:
    """The text around a diagnostic's position, so the editor sees what is meant without opening the file."""
    if not pos.line:
        return ""
    from .errors import _root

    path = Path(pos.path) if os.path.isabs(pos.path) else Path(_root) / pos.path
    try:
        if not path.is_file():
            return ""  # never a pipe or a device: reading one would block
        with path.open(encoding="utf-8", errors="replace") as f:
            found = next(itertools.islice(f, pos.line - 1, pos.line), None)
    except OSError:
        return ""
    if found is None:
        return ""
    line = found.rstrip("\n")
    start = max(0, pos.col - 1 - width // 2)
    excerpt = line[start : start + width]
    return ("…" if start else "") + excerpt + ("…" if start + width < len(line) else "")


def error_page(state: BuildState) -> bytes:
    items = "\n".join(
        f'<li class="{d.severity}">{html.escape(str(d))}'
        + (f"<code>{html.escape(excerpt)}</code>" if excerpt else "")
        + "</li>"
        for d, excerpt in zip(state.diagnostics, state.excerpts)
    )
    errors = sum(d.severity == "error" for d in state.diagnostics)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Build failed: {errors} error{"s" * (errors != 1)}</title>
<link rel="stylesheet" href="/__preview.css">
<script src="/__reload.js?build={html.escape(state.build_id)}" defer></script>
</head>
<body>
<h1>The preview cannot be built: {errors} error{"s" * (errors != 1)}</h1>
<p>Fix the files below and save; this page reloads by itself.</p>
<ol id="diagnostics">
{items}
</ol>
</body>
</html>
""".encode()


class _Handler(BaseHTTPRequestHandler):
    server_version = "reportsite-preview"
    protocol_version = "HTTP/1.1"

    @property
    def preview(self) -> Preview:
        return self.server.preview  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: object) -> None:  # requests are not news for an editor
        pass

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        if len(self.path) > MAX_PATH:
            return self._send(414, b"414 request path too long\n", "text/plain; charset=utf-8", head)
        route = urlsplit(self.path).path
        if route == "/__reload.js":
            return self._send(200, RELOAD_JS, "text/javascript; charset=utf-8", head)
        if route == "/__preview.css":
            return self._send(200, PREVIEW_CSS, "text/css; charset=utf-8", head)
        if route == "/__events":
            return self._events()
        state = self.preview.state
        found = safe_file(self.preview.out_dir, self.path)
        if found == 403:
            return self._send(403, b"403 forbidden\n", "text/plain; charset=utf-8", head)
        wants_page = route.endswith(("/", ".html")) or "." not in route.rsplit("/", 1)[-1]
        if state is not None and not state.ok and (wants_page or found == 404):
            return self._send(500, error_page(state), "text/html; charset=utf-8", head)
        if isinstance(found, int):
            return self._not_found(route, head)
        root = self.preview.out_dir.resolve()
        if found.is_relative_to(root):
            self.preview.wait_for_file(found.relative_to(root).as_posix())
        if found.name == "index.html" and not route.endswith(("/", ".html")):
            self.send_response(301)  # relative links of a page need its trailing slash
            self.send_header("Location", route + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self._send_file(200, found, head)
        return None

    def _not_found(self, route: str, head: bool) -> None:
        # As the deployment does: a language's 404 page inside a language, the landing one elsewhere.
        lang = route.split("/")[1] if route.count("/") > 1 else ""
        page = self.preview.out_dir / lang / "404.html"
        if not lang or not page.is_file():
            page = self.preview.out_dir / "404.html"
        if page.is_file():
            self._send_file(404, page, head)
        else:
            self._send(404, b"404 not found\n", "text/plain; charset=utf-8", head)

    def _send_file(self, status: int, path: Path, head: bool) -> None:
        try:
            body = path.read_bytes()
        except OSError:  # replaced by a new build between the lookup and the read
            self._send(503, b"rebuilding; reload\n", "text/plain; charset=utf-8", head)
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if ctype == "text/html":
            state = self.preview.state
            body = inject_reload(body, state.build_id if state else "")
        if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml", "application/json"):
            ctype += "; charset=utf-8"
        self._send(status, body, ctype, head)

    def _send(self, status: int, body: bytes, ctype: str, head: bool) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", self.preview.csp)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the reader went away: nothing to tell anyone

    def _events(self) -> None:
        """Server-Sent Events: the current build id at once, then each new one."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent: str | None = None
        try:
            while not self.preview.stopping.is_set():
                state = self.preview.wait_for_build(sent, HEARTBEAT_SECONDS)
                if state is None:
                    self.wfile.write(b": heartbeat\n\n")  # also finds out that the page has gone
                else:
                    sent = state.build_id
                    self.wfile.write(f"data: {sent}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass


def run(project: Project, port: int, log: Callable[[str], None]) -> int:
    """`serve`: serve until Ctrl-C or SIGTERM."""
    try:
        preview = Preview(project, port=port, log=log)
    except OSError as exc:
        log(f"{program()} serve: cannot listen on {HOST}:{port}: {exc.strerror or exc}; try --port {port + 1}")
        return 1
    log(
        f"preview of {display_path(project.content)}/ built into {display_path(preview.out_dir)}/ "
        "(no search index, no PDF); watching the content, templates and assets"
    )
    preview.start()
    log(f"serving {preview.url} (127.0.0.1 only); Ctrl-C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        log("stopped")
    finally:
        preview.stop()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 0
