"""Errors as data, used by every stage.

Input: positions and messages found by the stages.
Output: `Diagnostic` records, collected by `Diagnostics` and formatted as
``path:line:col: error|warning: message`` with paths relative to the
project root, so that an editor can jump straight to the spot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# Diagnostics name files relative to this folder (the project being built); set by the command line.
_root = os.getcwd()

MAX_PER_FILE = 20  # a broken file can produce thousands of findings: the first ones locate the problem
EXCERPT_CHARS = 60


_program = "reportsite"  # how the editor runs this tool, for commands quoted in messages


def set_root(path: str | os.PathLike[str]) -> None:
    global _root
    _root = os.path.abspath(path)


def set_program(name: str) -> None:
    global _program
    _program = name


def program() -> str:
    return _program


def display_path(path: str | os.PathLike[str]) -> str:
    """Path relative to the project root, or absolute if outside it."""
    # abspath, not resolve: no system call per diagnostic or per file loaded.
    p = os.path.abspath(path)
    if p == _root:
        return "."
    if p.startswith(_root + os.sep):
        return p[len(_root) + 1 :].replace(os.sep, "/")
    return p.replace(os.sep, "/")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, escaped quotation of content for a message: never a whole value, never a control character."""
    short = text if len(text) <= limit else text[:limit] + "…"
    return repr(short)


@dataclass(frozen=True, order=True)
class SourcePos:
    """A place in a source file; line and col count from 1 (0 = unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}" if self.line else self.path


@dataclass(frozen=True)
class Diagnostic:
    pos: SourcePos
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.severity}: {self.message}"


@dataclass
class Diagnostics:
    """Collects every problem of a run; nothing stops at the first one."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, pos: SourcePos, message: str) -> None:
        self.items.append(Diagnostic(pos, "error", message))

    def warning(self, pos: SourcePos, message: str) -> None:
        self.items.append(Diagnostic(pos, "warning", message))

    def extend(self, other: Diagnostics | list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.items.extend(other.items if isinstance(other, Diagnostics) else other)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.items if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.items if d.severity == "warning")

    def sorted(self) -> list[Diagnostic]:
        """Stable, file-ordered output, at most MAX_PER_FILE lines per file plus a line counting the rest."""
        unique = sorted(
            dict.fromkeys(self.items), key=lambda d: (d.pos.path, d.pos.line, d.pos.col, d.severity, d.message)
        )
        out: list[Diagnostic] = []
        per_file: dict[str, list[Diagnostic]] = {}
        for d in unique:
            per_file.setdefault(d.pos.path, []).append(d)
        for path, found in per_file.items():
            out.extend(found[:MAX_PER_FILE])
            rest = found[MAX_PER_FILE:]
            if rest:
                errors = sum(d.severity == "error" for d in rest)
                out.append(
                    Diagnostic(
                        SourcePos(path),
                        "error" if errors else "warning",
                        f"{len(rest)} more problem{'s' * (len(rest) != 1)} in this file "
                        f"({errors} error{'s' * (errors != 1)}) not shown; fix the ones above first",
                    )
                )
        return out

    def summary(self) -> str:
        e, w = self.errors, self.warnings
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"
