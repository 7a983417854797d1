"""Command handlers: the only place that prints.

Input: parsed command-line arguments. Output: diagnostics on stderr, a
summary table on stdout, and the exit code (0 ok, 1 content errors, 2 usage).
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from .errors import Diagnostics, display_path
from .pipeline import Result, build, check

if TYPE_CHECKING:
    from . import status
    from .model import Site


def print_diagnostics(diags: Diagnostics, stream: TextIO | None = None) -> None:
    # Looked up at call time: a stream bound at import would miss a redirected sys.stderr.
    stream = stream or sys.stderr
    for d in diags.sorted():
        print(d, file=stream)


def _summary(result: Result, out: str | None) -> None:
    stages = "  ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in result.timings.items())
    total = sum(result.timings.values())
    if out is not None:
        print(f"built {result.pages} pages, {result.files} files into {out} in {total * 1000:.0f} ms")
    print(f"stages: {stages}")


def run(args: argparse.Namespace) -> int:
    if args.command == "check":
        result = check(args.content, strict=args.strict, jobs=args.jobs)
        print_diagnostics(result.diagnostics)
        failed = result.diagnostics.errors or (args.strict and result.diagnostics.warnings)
        print(f"{result.diagnostics.summary()}; {'check failed' if failed else 'content is valid'}",
              file=sys.stderr if failed else sys.stdout)
        return 1 if failed else 0
    if args.command == "build":
        result = build(args.content, args.out, strict=args.strict, search=not args.no_search, cache_dir=args.cache,
                       jobs=args.jobs)
        print_diagnostics(result.diagnostics)
        if not result.written:
            print(f"{result.diagnostics.summary()}; {display_path(args.out)}/ not written", file=sys.stderr)
            return 1
        if result.diagnostics.items:
            print(result.diagnostics.summary(), file=sys.stderr)
        _summary(result, display_path(args.out) + "/")
        return 0
    if args.command == "status":
        return _status(args)
    if args.command == "confirm":
        return _confirm(args)
    if args.command == "serve":
        from . import serve

        return serve.run(args.content, args.port, lambda line: print(line, flush=True), args.cache)
    print(f"build.py: '{args.command}' needs a newer version of this tool", file=sys.stderr)
    return 2


def _load_for_status(args: argparse.Namespace) -> tuple[Site | None, status.Lock | None, Diagnostics]:
    from . import status

    diags = Diagnostics()
    site = status.load_parsed(args.content, diags)
    if site is None:
        print_diagnostics(diags)
        print(f"{diags.summary()}; the content cannot be read", file=sys.stderr)
        return None, None, diags
    if diags.errors:
        print(f"note: the content has {diags.summary()}; python build.py check lists them", file=sys.stderr)
    lock_diags = Diagnostics()
    lock = status.read_lock(status.lock_path(args.content), lock_diags)
    print_diagnostics(lock_diags)
    return site, lock, lock_diags


def _status(args: argparse.Namespace) -> int:
    from . import status

    site, lock, lock_diags = _load_for_status(args)
    if site is None:
        return 1
    if lock is None:
        print(f"note: no {display_path(status.lock_path(args.content))}: no translation has been confirmed yet",
              file=sys.stderr)
    for line in status.status_lines(status.paragraph_states(site, lock or {}), site):
        print(line)
    return 0


def _confirm(args: argparse.Namespace) -> int:
    if not args.target:
        print("build.py confirm: say what to confirm: all, a section id, or a paragraph such as para-49",
              file=sys.stderr)
        return 2
    from . import status

    site, lock, lock_diags = _load_for_status(args)
    if site is None:
        return 1
    try:
        new, changed = status.confirm(site, {} if lock is None else lock, args.target)
    except ValueError as exc:
        print(f"build.py confirm: {exc}", file=sys.stderr)
        return 2
    path = status.lock_path(args.content)
    status.write_lock(path, new)
    print(f"confirmed {args.target}: {changed} entr{'y' if changed == 1 else 'ies'} changed; "
          f"{display_path(path)} has {len(new)}")
    return 0
