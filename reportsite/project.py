"""Where a project's files are: the content, the cache, and the theme lookup.

Input: the project folder (where `reportsite` runs) and the command line's
--content and --cache. Output: a `Project` naming every folder a build
reads, with one lookup order for templates, assets, fonts and interface
strings: the project's own `templates/` and `assets/` first, then the
default theme, file by file (MkDocs' custom_dir, Hugo's layout lookup).

The default theme is package data (reportsite/theme/ in an installed
package). In a checkout of this repository it is the repository's own
top-level templates/ and assets/, from which the package's copy is made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "theme"
THEME = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    root: Path  # the project folder: diagnostics name files relative to it
    content: Path
    cache: Path | None
    templates: tuple[Path, ...]  # lookup order, project first
    assets: tuple[Path, ...]

    @property
    def boundary(self) -> str:
        """The folder no content file may lead out of (links resolved)."""
        content = os.path.realpath(self.content)
        root = os.path.realpath(self.root)
        return root if content == root or content.startswith(root + os.sep) else content

    def trusted_root(self, path: Path) -> str:
        """The folder a theme file may not lead out of: the project, the packaged theme, or the
        lookup folder it was found in."""
        absolute = os.path.abspath(path)
        for root in (os.path.realpath(self.root), os.path.realpath(THEME)):
            if absolute == root or absolute.startswith(root + os.sep):
                return root
        for folder in (*self.templates, *self.assets):
            base = os.path.abspath(folder)
            if absolute == base or absolute.startswith(base + os.sep):
                return os.path.realpath(folder)
        return os.path.realpath(self.root)

    def find(self, kind: str, name: str) -> Path | None:
        """The first `name` in the lookup order of `kind` ("templates" or "assets")."""
        for folder in self.templates if kind == "templates" else self.assets:
            path = folder / name
            if path.is_file() and _inside(path, self.trusted_root(folder)):
                return path
        return None

    def theme_files(self, kind: str, sub: str = "") -> dict[str, Path]:
        """Every file under `sub` of `kind`, by name relative to it; the project's own win."""
        found: dict[str, Path] = {}
        folders = self.templates if kind == "templates" else self.assets
        for folder in reversed(folders):
            base = folder / sub if sub else folder
            if not base.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in filenames:
                    path = Path(dirpath) / name
                    # A theme file that leads out of the project (a link to /etc/passwd) is never published.
                    if name.startswith(".") or not path.is_file() or not _inside(path, self.trusted_root(folder)):
                        continue
                    found[path.relative_to(base).as_posix()] = path
        return dict(sorted(found.items()))


def _inside(path: Path, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _unique(paths: list[Path]) -> tuple[Path, ...]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir() and all(os.path.realpath(p) != os.path.realpath(q) for q in out):
            out.append(p)
    return tuple(out)


def make(
    root: Path,
    content: Path | None = None,
    cache: Path | None | str = "default",
    templates: Path | None = None,
    assets: Path | None = None,
) -> Project:
    """The project at `root`; `templates` and `assets` replace the project's own folders (tests use them)."""
    root = root.resolve()
    return Project(
        root=root,
        content=(content or root / "content").absolute(),
        cache=root / ".cache" if cache == "default" else (Path(cache) if cache else None),
        templates=_unique([templates or root / "templates", THEME / "templates"]),
        assets=_unique([assets or root / "assets", THEME / "assets"]),
    )
