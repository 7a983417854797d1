"""The live preview: the serve stage, for editors.

Input: the content, templates and assets directories and a port. Output: the
site built (without the search index) into a private directory,
``.cache/serve/site-<port>/``, served on 127.0.0.1 only, and rebuilt when a
source file changes. Open pages reload by themselves: HTML responses get
``<script src="/__reload.js" defer>``, an external script (pages run under
the production Content-Security-Policy, which forbids inline scripts) that
listens to ``/__events`` (Server-Sent Events) and reloads when a new build is
ready. While the content has errors, every page shows the diagnostics
instead of a stale page, and recovers by itself once the files are fixed.

Watching is stdlib polling of modification times (no dependency for editors).
A rebuild skips what the change cannot affect: charts are redrawn only when
content/charts/ or report.yaml changed, and the content is not even reloaded
when only templates or assets changed.
"""
from __future__ import annotations

import gc
import html
import mimetypes
import os
import shutil
import signal
import tempfile
import threading
import time
import tomllib
import traceback
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from .errors import ROOT, Diagnostic, Diagnostics, SourcePos, display_path
from .model import Site
from . import write as writer
from .i18n import output_path, url_for
from .pipeline import ASSETS, CACHE, TEMPLATES, Checked, _Timer, load_and_check, publish
from .render import Parts, Renderer, Tables, tables
from .shard import slim
from .validate import validate_global

HOST = "127.0.0.1"  # never another interface: the preview is for the editor at this machine
POLL_SECONDS = 0.25
SETTLE_SECONDS = 0.05  # an editor's save can be several writes; let them land before reading
HEARTBEAT_SECONDS = 15.0
RELOAD_JS = b"""\
// Live preview (python build.py serve): reload this page when a newer build is ready.
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
     border-left: 4px solid #b42318; background: #fef3f2; margin: .5rem 0; padding: .5rem .75rem; }
li.warning { border-color: #b54708; background: #fffaeb; }
li code { display: block; margin-top: .25rem; color: #475467; }
@media (prefers-color-scheme: dark) {
  body { color: #e6e9ed; background: #16191d; }
  li { background: #3a1d1b; } li.warning { background: #3a2f14; } li code { color: #aab4be; }
}
"""
# Used when netlify.toml cannot be read: the same policy as production.
FALLBACK_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
                "style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                "form-action 'self'; frame-ancestors 'none'")
LANGS_WITH_404 = ("zh", "en")


def production_csp(netlify_toml: Path = ROOT / "netlify.toml") -> str:
    """The Content-Security-Policy that production sends, so the preview runs pages under the same rules."""
    try:
        config = tomllib.loads(netlify_toml.read_text("utf-8"))
        for rule in config.get("headers", []):
            if rule.get("for") == "/*" and "Content-Security-Policy" in rule.get("values", {}):
                return str(rule["values"]["Content-Security-Policy"])
    except (OSError, tomllib.TOMLDecodeError):
        pass
    return FALLBACK_CSP


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
    # After an edit of section text: the whole-report pages, still to be rebuilt (see Builder.edit)
    then: Callable[[], None] | None = None
    pending: frozenset[str] = frozenset()


class Builder:
    """Rebuilds the preview, reusing what a change cannot affect.

    It runs in this process (one shard) and keeps the checked site: a change
    to templates or assets alone re-renders without reading the content.
    """

    def __init__(self, content_dir: Path, out_dir: Path, templates_dir: Path = TEMPLATES,
                 assets_dir: Path = ASSETS, cache_dir: Path | None = CACHE):
        self.content_dir = content_dir.resolve()
        self.out_dir = out_dir
        self.templates_dir = templates_dir
        self.assets_dir = assets_dir
        self.cache_dir = cache_dir
        self.count = 0
        self._checked: Checked | None = None
        self._content_diags: Diagnostics | None = None
        self._manifest: dict[str, str] | None = None  # of the served site, after a good build
        self._renderer: Renderer | None = None  # kept between edits of section text
        self._tables: Tables | None = None  # where paragraphs and figures are, for that renderer
        self._marked_dirty = False  # the manifest on disk marked untrusted by an edit's pages, until recorded again

    def build(self, changed: set[Path] | None = None) -> BuildState:
        """Build after `changed` (None: everything) and return the outcome."""
        start = time.perf_counter()
        timings: dict[str, float] = {}
        timer = _Timer(timings)
        edits = self._edited_bodies(changed)
        if edits:
            state = self._edit(edits, start, timer)
            if state is not None:
                return state
            timings.clear()
        gc.unfreeze()  # what the last full build left may be garbage now
        content_changed = changed is None or any(p.is_relative_to(self.content_dir) for p in changed)
        if content_changed or self._content_diags is None:
            self._content_diags = Diagnostics()
            self._checked = load_and_check(self.content_dir, self._content_diags, timer, jobs=1,
                                           templates_dir=self.templates_dir, assets_dir=self.assets_dir,
                                           cache_dir=self.cache_dir)
        diags = Diagnostics()
        diags.extend(self._content_diags)
        checked = self._checked
        self._manifest = None
        self._renderer = None
        self._tables = None
        if checked is not None and not diags.errors:
            # No search index in the preview: it would cost a second per edit.
            self._marked_dirty = False  # publish records a new one
            self._manifest = publish(checked, self.out_dir, diags, timer, search=False,
                                     templates_dir=self.templates_dir, assets_dir=self.assets_dir,
                                     cache_dir=self.cache_dir)
            if self._manifest is not None:  # made now, while the editor is not waiting: the next edit reuses it
                self._tables = tables(checked.site)
                self._renderer = Renderer(checked.shards[0].site_with_mine(), self.templates_dir, self.assets_dir,
                                          checked.chart_files or {}, self._tables)
                # The kept site is millions of objects: set aside from garbage collection, or a collection
                # through all of them (0.15 s at N = 100) lands on some later edit.
                gc.collect()
                gc.freeze()
        return self._state(diags, start, timings)

    def _state(self, diags: Diagnostics, start: float, timings: dict[str, float], **extra: object) -> BuildState:
        self.count += 1
        ok = self._checked is not None and not diags.errors
        found = diags.sorted()
        return BuildState(f"{os.getpid()}-{self.count}", ok, found, time.perf_counter() - start, timings,
                          [] if ok else [source_excerpt(d.pos) for d in found], **extra)  # type: ignore[arg-type]

    # -- an edit of section text: the fast path ---------------------------------

    def _edited_bodies(self, changed: set[Path] | None) -> dict[Path, tuple[int, str]] | None:
        """{file: (section index, language)} when only section texts changed since a good build; else None."""
        checked = self._checked
        if not changed or checked is None or self._manifest is None:
            return None
        shard = checked.shards[0]
        folders = {s.dir: i for i, s in enumerate(shard.site.sections)}  # absolute: the loader resolved the root
        edits = {}
        for path in changed:
            lang = path.name[5:-3] if path.name.startswith("body.") and path.name.endswith(".md") else ""
            i = folders.get(path.parent)
            if i is None or lang not in checked.site.report.languages or not path.is_file():
                return None
            edits[path] = (i, lang)
        return edits

    def _edit(self, edits: dict[Path, tuple[int, str]], start: float, timer: _Timer) -> BuildState | None:
        """Re-read, re-parse and re-check the edited sections, and write their pages.

        Only the edited sections are parsed. The checks across sections run
        again (on the slim parse) unless the edit left that parse equal; if it
        moved a figure number or a paragraph to another section, pages of
        other sections change too, and the full build runs. The whole-report pages hold every
        section: they are rebuilt just after the edited pages are served
        (BuildState.then), and the preview holds requests for them until then.
        None: a case for the full build (a front matter that no longer loads, numbering moved).
        """
        from . import load

        checked = self._checked
        assert checked is not None and self._manifest is not None
        shard = checked.shards[0]
        load_diags = Diagnostics()
        sections = list(shard.site.sections)
        for path, (i, lang) in sorted(edits.items()):
            body = load.load_body(path, lang, load_diags)
            if body is None:
                return None
            sections[i] = replace(sections[i], bodies={**sections[i].bodies, lang: body})
        shard.site = replace(shard.site, sections=tuple(sections))
        touched = sorted({i for i, _ in edits.values()})
        slim_sections = list(checked.site.sections)
        same_structure = True
        for i in touched:
            shard.reparse(i, checked.checks)
            parsed = shard.parsed[i]
            before = {lang: b.parsed for lang, b in slim_sections[i].bodies.items()}
            slim_sections[i] = replace(parsed, bodies={lang: replace(b, parsed=slim(b.parsed))  # type: ignore[arg-type]
                                                       for lang, b in parsed.bodies.items()})
            same_structure &= before == {lang: b.parsed for lang, b in slim_sections[i].bodies.items()}
        checked.site = replace(checked.site, sections=tuple(slim_sections))
        shown = {display_path(p) for p in edits}
        checked.load_diags = [d for d in checked.load_diags if d.pos.path not in shown] + load_diags.items
        # The checks across sections and the tables read nothing but the slim parse. Words changed
        # within lines leave it equal, and then their results are those of the last build.
        if not same_structure or self._tables is None:
            across = Diagnostics()
            if checked.checks:
                validate_global(checked.site, across)
            checked.global_diags = across.items
            moved = tables(checked.site)
            if self._tables is not None and moved != self._tables:
                # Figure numbers or the sections of paragraphs changed: pages of sections not
                # edited show them (figure labels, links), so every page is made again.
                return None
            self._tables = moved
        diags = Diagnostics()
        diags.extend(checked.load_diags)
        for i in sorted(shard.section_diags):
            diags.extend(shard.section_diags[i])
        diags.extend(checked.global_diags)
        self._content_diags = diags
        timer.lap("parse")
        if diags.errors:
            self._manifest = None  # the next good build is a full one
            return self._state(diags, start, timer.timings)
        if self._renderer is None:
            self._renderer = Renderer(shard.site_with_mine(), self.templates_dir, self.assets_dir,
                                      checked.chart_files or {}, self._tables)
        else:  # its templates stay compiled and its contents rendered: titles did not change
            self._renderer.update(shard.site_with_mine(), self._tables)
        renderer = self._renderer
        index = {s.id: k for k, s in enumerate(renderer.order)}
        for i in touched:
            section = shard.parsed[i]
            for lang in checked.site.report.languages:
                self._put(*renderer.section_page(section, lang, index[section.id]))
            self._put(*renderer.parallel_page(section, renderer.parallel_rows_html(section)))
        for rel, data in renderer.media_files.items():
            self._put(rel, data)
        timer.lap("render")
        whole = [output_path(url_for("full", c)) for c in (*checked.site.report.languages, "parallel")]
        return self._state(diags, start, timer.timings, then=lambda: self._whole_report(renderer),
                           pending=frozenset(whole))

    def _whole_report(self, renderer: Renderer) -> None:
        parts_dir = Path(tempfile.mkdtemp(prefix=".parts-", dir=self.out_dir.parent))
        try:
            parts = Parts(parts_dir, 0)
            try:
                for section in renderer.order:
                    renderer.add_parts(section, parts)
            finally:
                parts.close()
            for lang in renderer.langs:
                self._put(*renderer.full_page(lang, parts.files(f"full.{lang}")))
            self._put(*renderer.parallel_page(None, parts.files("parallel")))
        finally:
            shutil.rmtree(parts_dir, ignore_errors=True)
        writer.finish(self.out_dir, self._manifest or {}, self._manifest or {})
        self._marked_dirty = False

    def _put(self, rel: str, data: bytes | list) -> None:
        """Replace one file of the served site in one step: a request sees the old page or the new one."""
        if not self._marked_dirty:
            # Until _whole_report records the manifest, the one on disk no longer describes these
            # files; a later build staging into this folder must not trust it to skip a write.
            (self.out_dir / writer.DIRTY).write_bytes(b"")
            self._marked_dirty = True
        tmp = self.out_dir / f".{os.getpid()}.tmp"
        put = writer.Writer(self.out_dir, {})
        put.put(tmp.name, data)
        (self.out_dir / rel).parent.mkdir(parents=True, exist_ok=True)  # media/ may be new
        os.replace(tmp, self.out_dir / rel)
        if self._manifest is not None:
            self._manifest[rel] = put.manifest[tmp.name]


# ---------------------------------------------------------------- serving

class Preview:
    """The preview server: one build thread that polls the sources, and an HTTP server on 127.0.0.1."""

    def __init__(self, content_dir: Path, out_dir: Path | None = None, port: int = 8000, *,
                 templates_dir: Path = TEMPLATES, assets_dir: Path = ASSETS, cache_dir: Path | None = CACHE,
                 poll_seconds: float = POLL_SECONDS, log: Callable[[str], None] = lambda line: None):
        self.httpd = ThreadingHTTPServer((HOST, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.preview = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.out_dir = out_dir or (cache_dir or CACHE) / "serve" / f"site-{self.port}"
        self.builder = Builder(content_dir, self.out_dir, templates_dir, assets_dir, cache_dir)
        self.watched = [content_dir.resolve(), templates_dir, assets_dir]
        self.poll_seconds = poll_seconds
        self.log = log
        self.csp = production_csp()
        self.state: BuildState | None = None
        self.pending: frozenset[str] = frozenset()  # files being rebuilt just after the state was published
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

    def _build(self, changed: set[Path] | None) -> BuildState:
        """A build; a bug in it is shown like a content error, and the preview keeps watching."""
        try:
            return self.builder.build(changed)
        except Exception as exc:  # noqa: BLE001 - the editor must see it, and the next save retries
            self.log(traceback.format_exc().rstrip())
            self.builder = Builder(self.builder.content_dir, self.out_dir, self.builder.templates_dir,
                                   self.builder.assets_dir, self.builder.cache_dir)  # start afresh next time
            crash = Diagnostic(SourcePos("build.py serve"), "error",
                               f"the preview crashed ({type(exc).__name__}: {exc}); the terminal shows where")
            self._crashes += 1
            return BuildState(f"{os.getpid()}-crash-{self._crashes}", False, [crash], 0.0, excerpts=[""])

    def _publish(self, state: BuildState, changed: set[Path] | None) -> None:
        with self.changed:
            self.pending = state.pending
            self.state = state
            self.changed.notify_all()
        if state.then is not None:
            try:
                state.then()
            except Exception:  # noqa: BLE001 - shown in the terminal; the next save rebuilds in full
                self.log(traceback.format_exc().rstrip())
                self.builder._manifest = None
            finally:
                with self.changed:
                    self.pending = frozenset()
                    self.changed.notify_all()
        what = "" if changed is None else " after " + ", ".join(sorted(display_path(p) for p in changed)[:3]) \
            + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        for d in state.diagnostics:
            self.log(str(d))
        if state.ok:
            self.log(f"built in {state.seconds * 1000:.0f} ms{what}; {self.url}")
        else:
            self.log(f"build failed{what}: the browser shows the errors until they are fixed")

    def wait_for_file(self, path: Path, timeout: float = 60.0) -> None:
        """Hold a request for a file that is still being rebuilt after an edit."""
        with self.changed:
            while self.pending and not self.stopping.is_set():
                try:
                    rel = str(path.relative_to(self.out_dir.resolve()))
                except ValueError:
                    return
                if rel not in self.pending or not self.changed.wait(timeout):
                    return

    def wait_for_build(self, after: str | None, timeout: float) -> BuildState | None:
        """The state once its build id differs from `after` (None on timeout or stop)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.state is None or self.state.build_id == after:
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
    except (OSError, RuntimeError):
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
    path = Path(pos.path) if os.path.isabs(pos.path) else ROOT / pos.path
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if n == pos.line:
                    break
            else:
                return ""
    except OSError:
        return ""
    line = line.rstrip("\n")
    start = max(0, pos.col - 1 - width // 2)
    excerpt = line[start:start + width]
    return ("…" if start else "") + excerpt + ("…" if start + width < len(line) else "")


def error_page(state: BuildState) -> bytes:
    items = "\n".join(
        f'<li class="{d.severity}">{html.escape(str(d))}'
        + (f"<code>{html.escape(excerpt)}</code>" if excerpt else "") + "</li>"
        for d, excerpt in zip(state.diagnostics, state.excerpts))
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
        return self.server.preview  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # requests are not news for an editor
        pass

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
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
        self.preview.wait_for_file(found)
        if found.is_relative_to(self.preview.out_dir.resolve()) and found.name == "index.html" \
                and not route.endswith(("/", ".html")):
            self.send_response(301)  # relative links of a page need its trailing slash
            self.send_header("Location", route + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self._send_file(200, found, head)
        return None

    def _not_found(self, route: str, head: bool) -> None:
        # As netlify.toml arranges: the language's 404 page inside a language, the bilingual one elsewhere.
        lang = route.split("/")[1] if route.count("/") > 1 else ""
        page = self.preview.out_dir / (f"{lang}/404.html" if lang in LANGS_WITH_404 else "404.html")
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
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", self.preview.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(content_dir: Path, port: int, log: Callable[[str], None], cache_dir: Path = CACHE) -> int:
    """`python build.py serve`: serve until Ctrl-C."""
    try:
        preview = Preview(content_dir, port=port, cache_dir=cache_dir, log=log)
    except OSError as exc:
        log(f"build.py serve: cannot listen on {HOST}:{port}: {exc.strerror or exc}; try --port {port + 1}")
        return 1
    log(f"preview of {display_path(content_dir)}/ built into {display_path(preview.out_dir)}/ "
        "(no search index); watching content/, templates/, assets/")
    preview.start()
    log(f"serving {preview.url} (127.0.0.1 only); Ctrl-C stops")
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        log("stopped")
    finally:
        preview.stop()
    return 0
