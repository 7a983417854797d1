"""The command line: the only code that prints.

Input: the arguments of `reportsite` (or of this repository's `build.py`).
Output: diagnostics on stderr, a summary on stdout, and the exit code:
0 success, 1 content errors (and warnings under --strict), 2 usage errors,
130 after Ctrl-C, 143 after SIGTERM. A content problem never shows a
traceback; a bug in this tool may.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TextIO

from . import __version__
from .errors import Diagnostics, display_path, set_program, set_root
from .project import Project, make

COMMANDS = ("build", "check", "status", "confirm", "serve", "new", "xliff", "tmx", "glossary")
USAGE = """\
  build [--out DIR]                   build the site (default: content/ -> site/)
  check [--strict]                    validate everything, write nothing
  status                              translation status per section and language
  confirm all|SECTION|PARAGRAPH [--lang TAG]
                                      mark translations as checked against the current source
  serve [--port N]                    live preview on 127.0.0.1
  new DIR [--languages fr,en] [--title TEXT]
                                      start a new report in DIR
  xliff export --lang TAG [--missing|--stale|--all] [--section ID] -o FILE
  xliff export omegat --lang TAG [...] -o DIR
                                      the same as an OmegaT project folder
  xliff import FILE|DIR               the translators' round trip (XLIFF 1.2, or that OmegaT folder)
  tmx -o FILE [--lang TAG]            the confirmed translations as a TMX 1.4 memory
  glossary -o FILE                    the glossary as a TBX termbase"""


class Interrupted(Exception):
    def __init__(self, code: int):
        self.code = code


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return n


def parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Build a multilingual report site.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + USAGE,
    )
    p.add_argument("command", nargs="?", default="build", choices=COMMANDS, metavar="command")
    p.add_argument("args", nargs="*", help="the command's arguments (see below)")
    p.add_argument("--version", action="version", version=f"reportsite {__version__}")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="output directory (default: site/)")
    p.add_argument("--content", type=Path, default=None, metavar="DIR", help="content directory (default: content/)")
    p.add_argument(
        "--cache", type=Path, default=None, metavar="DIR", help="build cache (default: .cache/); safe to delete"
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--port", type=int, default=8000, help="serve: port on 127.0.0.1 (default 8000)")
    p.add_argument("--no-search", action="store_true", help="skip the search index (faster previews)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs (faster previews)")
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="processes drawing the charts, 1 to 64 (default: one per core)",
    )
    p.add_argument("--lang", default=None, metavar="TAG", help="confirm, xliff export, tmx: one target language")
    p.add_argument(
        "--languages", default=None, metavar="TAGS", help="new: the report's languages, source first (fr,en)"
    )
    p.add_argument("--title", default=None, help="new: the report's title")
    p.add_argument("--section", default=None, metavar="ID", help="xliff export: one section (and its subsections)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--missing", action="store_const", const="missing", dest="which", help="xliff: untranslated units"
    )
    which.add_argument("--stale", action="store_const", const="stale", dest="which", help="xliff: units to review")
    which.add_argument("--all", action="store_const", const="all", dest="which", help="xliff: every unit (default)")
    p.add_argument(
        "-o", "--output", type=Path, default=None, metavar="FILE", help="xliff, tmx, glossary: the file to write"
    )
    return p


def print_diagnostics(diags: Diagnostics, stream: TextIO | None = None) -> None:
    # Looked up at call time: a stream bound at import would miss a redirected sys.stderr.
    stream = stream or sys.stderr
    for d in diags.sorted():
        print(d, file=stream)


def main(argv: list[str] | None = None, prog: str = "reportsite", root: Path | None = None) -> int:
    """root: the project folder (default: the current directory)."""
    set_program("python build.py" if prog == "build.py" else prog)
    args = parser(prog).parse_args(argv)
    root = (root or Path.cwd()).resolve()
    set_root(root)
    project = make(root, args.content, args.cache if args.cache is not None else "default")
    out = args.out if args.out is not None else root / "site"

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return run(args, project, out, prog)
    except (KeyboardInterrupt, Interrupted) as exc:
        code = exc.code if isinstance(exc, Interrupted) else 130
        print(f"{prog}: interrupted; {display_path(out)}/ left as it was", file=sys.stderr)
        return code
    finally:
        signal.signal(signal.SIGTERM, previous)


def _usage(prog: str, message: str) -> int:
    print(f"{prog}: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, project: Project, out: Path, prog: str) -> int:
    from . import pipeline

    command = args.command
    if command == "check":
        if args.args:
            return _usage(prog, f"check takes no argument, got {' '.join(args.args)!r}")
        result = pipeline.check(project)
        print_diagnostics(result.diagnostics)
        failed = result.diagnostics.errors or (args.strict and result.diagnostics.warnings)
        print(
            f"{result.diagnostics.summary()}; {'check failed' if failed else 'content is valid'}",
            file=sys.stderr if failed else sys.stdout,
        )
        return 1 if failed else 0
    if command == "build":
        if args.args:
            return _usage(prog, f"build takes no argument, got {' '.join(args.args)!r}")
        try:
            result = pipeline.build(
                project,
                out,
                strict=args.strict,
                search=not args.no_search,
                pdf=not args.no_pdf,
                jobs=args.jobs,
                on_wait=lambda line: print(line, file=sys.stderr, flush=True),
            )
        except pipeline.UsageError as exc:
            return _usage(prog, str(exc))
        print_diagnostics(result.diagnostics)
        if not result.written:
            print(f"{result.diagnostics.summary()}; {display_path(out)}/ not written", file=sys.stderr)
            return 1
        if result.diagnostics.items:
            print(result.diagnostics.summary(), file=sys.stderr)
        stages = "  ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in result.timings.items())
        total = sum(result.timings.values())
        print(f"built {result.pages} pages, {result.files} files into {display_path(out)}/ in {total * 1000:.0f} ms")
        print(f"stages: {stages}")
        return 0
    if command in ("status", "confirm"):
        from . import editors

        return editors.status_command(project, prog) if command == "status" else editors.confirm(project, prog, args)
    if command == "serve":
        from . import serve

        return serve.run(project, args.port, lambda line: print(line, flush=True))
    if command == "new":
        from . import scaffold

        return scaffold.run(args, prog)
    if command in ("xliff", "tmx", "glossary"):
        from . import xliff

        return xliff.run(project, args, prog)
    return _usage(prog, f"'{command}' needs a newer version of this tool")
