"""Command handlers: the only place that prints.

Input: parsed command-line arguments. Output: diagnostics on stderr, a
summary table on stdout, and the exit code (0 ok, 1 content errors, 2 usage).
"""
from __future__ import annotations

import argparse
import sys

from .errors import Diagnostics, display_path
from .pipeline import Result, build, check


def print_diagnostics(diags: Diagnostics, stream=sys.stderr) -> None:
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
        result = check(args.content, strict=args.strict)
        print_diagnostics(result.diagnostics)
        failed = result.diagnostics.errors or (args.strict and result.diagnostics.warnings)
        print(f"{result.diagnostics.summary()}; {'check failed' if failed else 'content is valid'}",
              file=sys.stderr if failed else sys.stdout)
        return 1 if failed else 0
    if args.command == "build":
        result = build(args.content, args.out, strict=args.strict, search=not args.no_search, cache_dir=args.cache)
        print_diagnostics(result.diagnostics)
        if not result.written:
            print(f"{result.diagnostics.summary()}; {display_path(args.out)}/ not written", file=sys.stderr)
            return 1
        if result.diagnostics.items:
            print(result.diagnostics.summary(), file=sys.stderr)
        _summary(result, display_path(args.out) + "/")
        return 0
    print(f"build.py: '{args.command}' needs a newer version of this tool", file=sys.stderr)
    return 2
