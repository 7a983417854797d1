#!/usr/bin/env python3
"""Command line: parse arguments, run the pipeline, print diagnostics, exit.

    python build.py [--out DIR] [--content DIR]     build the site (default: content/ -> site/)
    python build.py check [--strict]                validate everything, write nothing
    python build.py status                          translation status per section
    python build.py serve [--port N]                live preview on 127.0.0.1

Exit codes: 0 success, 1 content errors (or warnings under --strict), 2 usage errors.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:  # more workers than cores only costs memory; past 999 the part files would not sort
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build the bilingual report site.")
    parser.add_argument("command", nargs="?", default="build", choices=["build", "check", "status", "serve", "confirm"])
    parser.add_argument("target", nargs="?", help="confirm: 'all', a section id, or a paragraph such as para-49")
    parser.add_argument("--out", type=Path, default=ROOT / "site", metavar="DIR", help="output directory (default: site/)")
    parser.add_argument("--content", type=Path, default=ROOT / "content", metavar="DIR",
                        help="content directory (default: content/)")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache", metavar="DIR",
                        help="build cache (default: .cache/); safe to delete")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--port", type=int, default=8000, help="serve: port on 127.0.0.1 (default 8000)")
    parser.add_argument("--no-search", action="store_true", help="skip the search index (faster previews)")
    parser.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="worker processes for build and check, 1 to 64 (default: one per core)")
    args = parser.parse_args(argv)

    from reportsite import cli

    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
