"""Reading source files: the first step of the load stage.

Input: a path and the folder that reading must not leave. Output: the
file's text (UTF-8, byte-order mark dropped, Windows line endings made
plain) or a diagnostic naming the line where the bytes stop being text.
Only regular files inside that folder are read: a link out of the project,
a named pipe (which would block the build forever), a device or a folder
where a file belongs is a diagnostic, never a read. Also splits a Markdown
body from its front matter so that line numbers stay true to the file.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from .errors import Diagnostics, SourcePos

MAX_FILE_BYTES = 2 * 1024 * 1024  # text files: a report's longest section is a few dozen KiB
MAX_MEDIA_BYTES = 10 * 1024 * 1024  # images published beside a section


def inside(path: str | os.PathLike[str], root: str) -> bool:
    """Whether `path`, links resolved, is `root` or below it (root: a resolved path)."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def why_unreadable(path: str | os.PathLike[str], root: str) -> str | None:
    """Why `path` cannot be read as a content file, or None when it can."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop: the link leads back to itself"
        if exc.errno == errno.ENOENT:
            return "file not found" + (" (a symbolic link to nothing)" if os.path.islink(path) else "")
        return f"cannot read file: {exc.strerror or exc}"
    if not inside(path, root):
        return "symbolic link points outside the project: only files inside it are read"
    if stat.S_ISDIR(st.st_mode):
        return "this is a folder; a file is expected here"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a named pipe, socket or device): only files are read"
    return None


def read_bytes(
    path: str | os.PathLike[str], shown: str, root: str, diags: Diagnostics, limit: int = MAX_FILE_BYTES
) -> bytes | None:
    """The file's bytes, or None after a diagnostic. root: the resolved folder reading must not leave."""
    pos = SourcePos(shown, 1, 1)
    problem = why_unreadable(path, root)
    if problem is not None:
        diags.error(pos, problem)
        return None
    try:
        # O_NONBLOCK: a file swapped for a pipe after the check above still cannot block the build.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        diags.error(pos, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            diags.error(pos, "not a regular file (a named pipe, socket or device): only files are read")
            return None
        if st.st_size > limit:
            diags.error(
                pos, f"file is {st.st_size:,} bytes; the limit is {limit:,} bytes ({limit // 1024} KiB) per file"
            )
            return None
        chunks = []
        total = 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:  # grew while read
                diags.error(pos, f"file is over the limit of {limit // 1024} KiB per file")
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        diags.error(pos, f"cannot read file: {exc.strerror or exc}")
        return None
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], shown: str, root: str, diags: Diagnostics) -> str | None:
    data = read_bytes(path, shown, root, diags)
    if data is None:
        return None
    if not data.strip():
        diags.error(SourcePos(shown, 1, 1), "file is empty")
        return None
    return decode(data, shown, diags)


def decode(data: bytes, shown: str, diags: Diagnostics) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # Editors count characters, not bytes, in a line.
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        diags.error(
            SourcePos(shown, line, col), f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        )
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        diags.error(SourcePos(shown, line, 1), "file contains a NUL byte; it is not a text file")
        return None
    return text


@dataclass(frozen=True)
class FrontMatter:
    yaml_text: str  # the front matter lines, preceded by one blank line per line above them
    body: str  # the whole file with the front matter blanked out, so body lines keep their numbers


def split_front_matter(text: str, shown: str, diags: Diagnostics) -> FrontMatter | None:
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        diags.error(
            SourcePos(shown, 1, 1),
            "missing front matter: the file must start with a '---' line, the description, and a closing '---' line",
        )
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            yaml_text = "\n" + "\n".join(lines[1:i])
            body = "\n" * (i + 1) + "\n".join(lines[i + 1 :])
            return FrontMatter(yaml_text, body)
    diags.error(SourcePos(shown, 1, 1), "unclosed front matter: no closing '---' line")
    return None
