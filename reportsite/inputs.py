"""The no-change rebuild: a fingerprint of everything a build reads, and the outcome of the last build.

Input: the content, templates and assets directories, this package's code,
the versions of the libraries that shape the output, and the build options.
Output: a key (sha256). When a build finds the key of the last successful
build into the same output directory, and that directory still holds exactly
what was written, the output is already what this build would write: it
reports the recorded diagnostics and writes nothing.

Files are hashed by content. As git does with its index, a file whose size,
mtime and inode are those recorded is not read again, unless it changed so
close to the recording that a later write could share its timestamp. An
input that cannot be read (no permission, a link loop, a named pipe) gives
no key at all: such a build always runs, and reports the problem.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

from .errors import Diagnostic, SourcePos

PACKAGE = Path(__file__).resolve().parent
LIBRARIES = (
    "jinja2",
    "markupsafe",
    "markdown-it-py",
    "mdit-py-plugins",
    "pyyaml",
    "matplotlib",
    "babel",
    "citeproc-py",
    "typst",
    "pagefind_bin_extended",
    "pagefind",
)
RACY_SECONDS = 2.0
FORMAT = 1


def _files(root: Path, follow: bool = False) -> list[tuple[str, str, os.stat_result | None]]:
    """(path under root, with "/"; full path; stat, None if unreadable) of every file under root, in path order.

    follow: through symbolic links, as the build reads its inputs (a linked template or font
    folder is hashed by what it holds, not by the link's text); each folder once.
    """
    # Strings and DirEntry, not Path: 8,800 content files and 10,800 output files at N = 100,
    # where Path objects, their sorting and relative_to() cost more than the system calls.
    out: list[tuple[str, str, os.stat_result | None]] = []
    if not root.is_dir():
        return out
    seen = {(st.st_dev, st.st_ino) for st in [os.stat(root)]}
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:  # unreadable, or gone since it was listed: a mark in the key, not a traceback
            out.append((prefix, folder, None))
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                st = entry.stat(follow_symlinks=follow)
            except OSError:  # a dangling link, or a file deleted while we walk
                out.append((rel, entry.path, None))
                continue
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    stack.append((entry.path, rel + "/"))
            else:
                out.append((rel, entry.path, st))
    out.sort(key=lambda f: f[0].split("/"))  # the order of sorted Paths: by parts
    return out


def _digest(full: str, st: os.stat_result | None) -> str:
    if st is None:
        return "unreadable"
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever; the load reports it
        return f"special {stat.S_IFMT(st.st_mode)}"
    try:
        with open(full, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as exc:  # unreadable now: the load will say so, at its path
        return f"unreadable {exc.errno}"


def fingerprint(roots: dict[str, list[Path]], options: dict[str, object], cache_dir: Path) -> str | None:
    """The key of a build reading `roots` with `options`, or None when an input cannot be read.

    cache_dir keeps the file hashes."""
    memo_path = cache_dir / "inputs.json"
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
        if memo.get("format") != FORMAT:
            memo = {}
    except (OSError, ValueError):
        memo = {}
    files: dict[str, list[Any]] = memo.get("files", {})
    recorded_at = memo.get("time", 0.0)
    fresh: dict[str, list[Any]] = {}
    racy_seen = False
    readable = True
    key = hashlib.sha256(
        json.dumps(
            {
                "format": FORMAT,
                "options": options,
                "python": sys.version,
                "libraries": [_version(n) for n in LIBRARIES],
            },
            sort_keys=True,
        ).encode()
    )
    folders = [(f"{name} {i}", root) for name, paths in sorted(roots.items()) for i, root in enumerate(paths)]
    for name, root in folders + [("code", PACKAGE)]:
        key.update(f"\0root {name}\0".encode())
        for rel, full, st in _files(root, follow=True):
            if name == "code" and os.path.splitext(rel)[1] not in (".py", ".json", ".csl", ".typ"):
                continue
            if st is None:
                readable = False
                continue
            stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
            seen = files.get(full)
            racy = st.st_mtime_ns / 1e9 >= recorded_at - RACY_SECONDS
            racy_seen |= racy
            digest = seen[3] if seen and seen[:3] == stamp and not racy else _digest(full, st)
            if digest.startswith(("unreadable", "special")):
                readable = False
            else:
                fresh[full] = stamp + [digest]
            key.update(f"{rel}\0{digest}\0".encode())
    if fresh != files or racy_seen:  # a new time: files recorded now are no longer racy next time
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f".inputs.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "time": time.time(), "files": fresh}), encoding="utf-8")
        os.replace(tmp, memo_path)
    return key.hexdigest() if readable else None


def _version(name: str) -> str:
    try:
        return f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{name} -"


def _record_path(cache_dir: Path, out_dir: Path) -> Path:
    name = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    return cache_dir / "builds" / f"{name}.json"


def _output_stamps(out_dir: Path) -> dict[str, list[int]]:
    return {rel: [st.st_size, st.st_mtime_ns] if st else [] for rel, _, st in _files(out_dir)}


def record(cache_dir: Path, out_dir: Path, key: str, diagnostics: list[Diagnostic], result: dict[str, int]) -> None:
    """Remember a successful build: its key, what it reported, and the files it left."""
    path = _record_path(cache_dir, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "key": key,
        "result": result,
        "output": _output_stamps(out_dir),
        "diagnostics": [[d.pos.path, d.pos.line, d.pos.col, d.severity, d.message] for d in diagnostics],
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def replay(cache_dir: Path, out_dir: Path, key: str) -> tuple[list[Diagnostic], dict[str, int]] | None:
    """The last build's diagnostics and result, when it had this key and its output is untouched."""
    try:
        data = json.loads(_record_path(cache_dir, out_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("key") != key or not out_dir.is_dir() or _output_stamps(out_dir) != data.get("output"):
        return None
    found = [
        Diagnostic(SourcePos(p, line, col), severity, message)
        for p, line, col, severity, message in data["diagnostics"]
    ]
    return found, data["result"]


def forget(cache_dir: Path, out_dir: Path) -> None:
    _record_path(cache_dir, out_dir).unlink(missing_ok=True)
