"""The write stage: {path: bytes} to the output directory, atomically.

Input: the rendered files and the output directory. Output: the directory
replaced as a whole. Files go to a staging directory beside the target;
only when everything (search index included) is there does the staging
directory take the target's place, in one atomic exchange (Linux
renameat2). A failed build leaves the previous output exactly as it was.

Double buffering: after the exchange the previous output is kept beside the
target as a spare, and the next build stages into that spare. A manifest of
content hashes tells which of its files already hold the right bytes, so an
unchanged build rewrites nothing and no tree is ever deleted on the way.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Mapping

MARKER = ".reportsite"  # the manifest; also marks a directory this tool built, so it may replace it
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class OutputError(Exception):
    pass


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step; False where the system cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise OutputError(f"refusing to replace {out}: it is not empty and was not built by this tool")


def _spare(out: Path) -> Path:
    return out.parent / f".{out.name}.spare"


def stage_dir(out: Path) -> Path:
    """A staging directory: the spare of the last build when there is one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.staging-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    spare = _spare(out)
    if spare.is_dir() and (spare / MARKER).is_file():
        os.rename(spare, stage)
    else:
        if spare.exists():
            shutil.rmtree(spare)
        stage.mkdir()
    return stage


def _manifest(stage: Path) -> dict[str, str]:
    try:
        return json.loads((stage / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_files(files: Mapping[str, bytes], stage: Path) -> int:
    """Make the staging directory hold exactly `files`; returns how many were written."""
    old = _manifest(stage)
    new: dict[str, str] = {}
    made: set[Path] = set()
    written = 0
    for rel in sorted(files):
        data = files[rel]
        digest = hashlib.sha256(data).hexdigest()
        new[rel] = digest
        target = stage / rel
        if old.get(rel) == digest and target.is_file():
            continue
        parent = target.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.write_bytes(data)
        written += 1
    for rel in old.keys() - new.keys():
        (stage / rel).unlink(missing_ok=True)
    _remove_empty_dirs(stage)
    (stage / MARKER).write_text(json.dumps(new, sort_keys=True, indent=0), encoding="utf-8")
    return written


def _remove_empty_dirs(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        if dirpath != str(root) and not dirnames and not filenames:
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def commit(stage: Path, out: Path) -> None:
    """Put the staged tree in place; the previous output becomes the spare."""
    spare = _spare(out)
    if out.exists():
        if not _exchange(stage, out):
            os.rename(out, spare)
            os.rename(stage, out)
            return
        os.rename(stage, spare)
    else:
        os.rename(stage, out)


def abort(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)
