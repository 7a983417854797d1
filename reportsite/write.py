"""The write stage: (path, bytes) to the output directory, atomically.

Input: the rendered files and the output directory. Output: the directory
replaced as a whole. Files go to a staging directory beside the target;
only when everything (search index included) is there does the staging
directory take the target's place, in one atomic exchange (Linux
renameat2). A failed or interrupted build leaves the previous output
exactly as it was, and builds into one output directory take turns: a lock
file beside it is held from the first file written to the swap.

Double buffering: after the exchange the previous output is kept beside the
target as a spare, and the next build stages into that spare. A manifest of
content hashes tells which of its files already hold the right bytes, so an
unchanged build rewrites nothing and no tree is ever deleted on the way.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

MARKER = ".reportsite"  # the manifest; also marks a directory this tool built, so it may replace it
DIRTY = ".reportsite-dirty"  # files were changed after the manifest was recorded (the preview's edits)
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class OutputError(Exception):
    """An output directory the build must not write: a usage error."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step; False where the system cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return bool(fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0)


def check_target(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output directory that would overwrite or feed the build's own inputs."""
    if out.is_symlink():
        raise OutputError(f"refusing to write {out}: it is a symbolic link; name the directory it points to")
    real = Path(os.path.realpath(out))
    for folder in inputs:
        src = Path(os.path.realpath(folder))
        if real == src or real.is_relative_to(src):
            raise OutputError(f"refusing to write {out}: it is inside {folder}, which the build reads")
        if src.is_relative_to(real):
            raise OutputError(f"refusing to write {out}: it holds {folder}, which the build reads")
    for parent in real.parents:
        if (parent / MARKER).is_file():
            raise OutputError(
                f"refusing to write {out}: it is inside {parent}, a site this tool built; build beside it instead"
            )
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise OutputError(f"refusing to replace {out}: it is not empty and was not built by this tool")


def _spare(out: Path) -> Path:
    return out.parent / f".{out.name}.spare"


class Lock:
    """Builds into one output directory take turns: an advisory lock on a file beside it."""

    def __init__(self, out: Path, on_wait: Callable[[str], None] = lambda message: None):
        out.parent.mkdir(parents=True, exist_ok=True)
        self.path = out.parent / f".{out.name}.lock"
        self.on_wait = on_wait
        self.fd = -1

    def __enter__(self) -> Lock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 32, 0).decode("ascii", "replace").strip()
            self.on_wait(
                f"waiting for another build into {self.path.parent / self.path.name[1:-5]} to finish"
                + (f" (process {holder})" if holder else "")
            )
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def remove_leftovers(out: Path) -> None:
    """Staging directories of builds that died (killed, power cut): with the lock held, none is alive."""
    for path in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(path, ignore_errors=True)


def stage_dir(out: Path) -> Path:
    """A staging directory: the spare of the last build when there is one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.staging-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    spare = _spare(out)
    if spare.is_dir() and not spare.is_symlink() and (spare / MARKER).is_file():
        os.rename(spare, stage)
    else:
        if spare.is_symlink() or spare.is_file():
            spare.unlink()
        elif spare.exists():
            shutil.rmtree(spare)
        stage.mkdir()
    return stage


def read_manifest(stage: Path) -> dict[str, str]:
    """The files a directory holds and their digests; a digest no file matches where they may have changed."""
    try:
        manifest = json.loads((stage / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    if (stage / DIRTY).exists():  # the names still say what to remove; the digests can no longer skip a write
        return dict.fromkeys(manifest, "")
    return manifest


class Writer:
    """Puts files into a staging directory, skipping those that already hold the right bytes."""

    def __init__(self, stage: Path, old: dict[str, str]):
        self.stage = stage
        self.old = old
        self.manifest: dict[str, str] = {}
        self.written = 0

    def put(self, rel: str, data: bytes) -> None:
        if rel in self.manifest:
            raise ValueError(f"two outputs write {rel}")
        target = self.stage / rel
        digest = hashlib.sha256(data).hexdigest()
        self.manifest[rel] = digest
        if self.old.get(rel) == digest and _holds(target, len(data)):
            return
        with os.fdopen(self._open(target), "wb") as out:
            out.write(data)
        self.written += 1

    def add(self, manifest: dict[str, str], written: int) -> None:
        """Files another process put into the same staging directory."""
        both = manifest.keys() & self.manifest.keys()
        if both:
            raise ValueError(f"two outputs write {min(both)}")
        self.manifest.update(manifest)
        self.written += written

    def patch(self, rel: str, change: Callable[[bytes], bytes]) -> None:
        """Rewrite a file already put, with a value known only later (a PDF's size)."""
        data = change((self.stage / rel).read_bytes())
        del self.manifest[rel]
        self.old = {**self.old, rel: ""}  # its bytes changed: write them
        self.put(rel, data)

    def _open(self, target: Path) -> int:
        """The file truncated for writing, made with its folders; never through a symlink."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(target, flags, 0o644)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # a symlink (ELOOP) or a folder where the file goes
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        return os.open(target, flags, 0o644)


def _holds(target: Path, size: int) -> bool:
    """A regular file of the expected size: the manifest vouches for its bytes, unless it was edited by hand."""
    try:
        st = os.lstat(target)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == size


def finish(stage: Path, manifest: dict[str, str], old: dict[str, str]) -> None:
    """Remove what the last build had and this one has not; record the manifest."""
    gone = old.keys() - manifest.keys()
    for rel in gone:
        (stage / rel).unlink(missing_ok=True)
    if gone:  # only a removal leaves a folder empty
        _remove_empty_dirs(stage)
    (stage / MARKER).write_text(json.dumps(manifest, sort_keys=True, indent=0), encoding="utf-8")
    (stage / DIRTY).unlink(missing_ok=True)


def _remove_empty_dirs(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        if dirpath != str(root) and not dirnames and not filenames:
            with contextlib.suppress(OSError):  # not empty after all: a file appeared; keep it
                os.rmdir(dirpath)


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


def write_files(files: dict[str, bytes], stage: Path) -> int:
    """Make the staging directory hold exactly `files`; returns how many were written."""
    old = read_manifest(stage)
    writer = Writer(stage, old)
    for rel in sorted(files):
        writer.put(rel, files[rel])
    finish(stage, writer.manifest, old)
    return writer.written
