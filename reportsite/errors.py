"""Errors as data, used by every stage.

Input: positions and messages found by the stages.
Output: `Diagnostic` records, collected by `Diagnostics` and formatted as
``path:line:col: error|warning: message`` with paths relative to the
repository root, so that an editor can jump straight to the spot.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def display_path(path: str | os.PathLike[str]) -> str:
    """Path relative to the repository root, or absolute if outside it."""
    # abspath, not resolve: no system call per diagnostic or per file loaded.
    p = os.path.abspath(path)
    root = str(ROOT)
    if p == root:
        return "."
    if p.startswith(root + os.sep):
        return p[len(root) + 1:].replace(os.sep, "/")
    return p.replace(os.sep, "/")


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

    def extend(self, other: "Diagnostics | list[Diagnostic]") -> None:
        self.items.extend(other.items if isinstance(other, Diagnostics) else other)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.items if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.items if d.severity == "warning")

    def sorted(self) -> list[Diagnostic]:
        # Stable, file-ordered output: two runs print the same lines.
        unique = dict.fromkeys(self.items)
        return sorted(unique, key=lambda d: (d.pos.path, d.pos.line, d.pos.col, d.severity, d.message))

    def summary(self) -> str:
        e, w = self.errors, self.warnings
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"


class ContentError(Exception):
    """Raised by a stage that cannot go on; carries what it found."""

    def __init__(self, diagnostics: Diagnostics):
        super().__init__(diagnostics.summary())
        self.diagnostics = diagnostics
