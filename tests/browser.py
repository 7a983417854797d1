"""Browser support for the tests: the built site served on 127.0.0.1 the way
Netlify serves it (directory index, 404 page, the production Content
Security Policy), and Debian's Chromium driven by Playwright.

A browser test never skips: without /usr/bin/chromium it fails."""
from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Missing pages get the language's 404 page, as netlify.toml arranges.
        if code == 404:
            lang = self.path.split("/")[1] if self.path.count("/") > 1 else ""
            page = Path(self.directory) / (f"{lang}/404.html" if lang in ("zh", "en") else "404.html")
            if page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args) -> None:  # keep test output clean
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    handler = functools.partial(_Handler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright):
    if not Path(CHROMIUM).exists():
        raise AssertionError(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (./run test does)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class PageWatch:
    """Console errors and CSP violations seen by a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation',"
            " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
