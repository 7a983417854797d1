"""The write stage: {path: bytes} to the output directory, atomically.

Input: the rendered files and the output directory. Output: the directory
replaced as a whole. Files go to a staging directory beside the target;
only when everything (search index included) is there does the staging
directory take the target's place, with one atomic exchange on Linux. A
failed build leaves the previous output exactly as it was.
"""
from __future__ import annotations

import ctypes
import os
import shutil
from pathlib import Path
from typing import Callable, Mapping

MARKER = ".reportsite"  # marks a directory this tool built, so it may replace it
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class OutputError(Exception):
    pass


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise OutputError(f"refusing to replace {out}: it is not empty and was not built by this tool")


def stage_dir(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.staging-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    return stage


def write_files(files: Mapping[str, bytes], stage: Path, reuse: Path | None = None,
                unchanged: Callable[[str, bytes], bool] | None = None) -> int:
    """Write into the staging directory; files equal to the previous build are hard-linked from it."""
    made: set[Path] = set()
    written = 0
    for rel in sorted(files):
        target = stage / rel
        parent = target.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        data = files[rel]
        if reuse is not None and unchanged is not None and unchanged(rel, data):
            try:
                os.link(reuse / rel, target)
                continue
            except OSError:
                pass
        target.write_bytes(data)
        written += 1
    (stage / MARKER).write_bytes(b"")
    return written


def commit(stage: Path, out: Path) -> None:
    if out.exists():
        if _exchange(stage, out):
            shutil.rmtree(stage)
            return
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(stage, out)
        shutil.rmtree(old)
    else:
        os.rename(stage, out)


def abort(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)
