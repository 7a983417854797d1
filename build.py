#!/usr/bin/env python3
"""This repository's command line: `reportsite` for the report in this folder.

    python build.py [build] [--out DIR] [--content DIR]   build the site (default: content/ -> site/)
    python build.py check [--strict]                      validate everything, write nothing
    python build.py status | confirm | serve | xliff | tmx | glossary

The same commands as the installed `reportsite`, with this folder as the project
wherever it is run from. Exit codes: 0 success, 1 content errors (or warnings
under --strict), 2 usage errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from reportsite.cli import main as _main  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return _main(argv, prog="build.py", root=ROOT)


if __name__ == "__main__":
    sys.exit(main())
