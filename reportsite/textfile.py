"""Reading source files: the first step of the load stage.

Input: a path. Output: the file's text (UTF-8, byte-order mark dropped,
Windows line endings made plain) or a diagnostic naming the line where the
bytes stop being text. Also splits a Markdown body from its front matter so
that line numbers stay true to the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostics, SourcePos, display_path

MAX_FILE_BYTES = 2 * 1024 * 1024


def read_text(path: Path, diags: Diagnostics, shown: str | None = None) -> str | None:
    """`shown`: the path as diagnostics show it, when the caller has it already."""
    shown = shown or display_path(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        diags.error(SourcePos(shown, 1, 1), f"cannot read file: {exc.strerror or exc}")
        return None
    if not data.strip():
        diags.error(SourcePos(shown, 1, 1), "file is empty")
        return None
    if len(data) > MAX_FILE_BYTES:
        line = data.count(b"\n", 0, MAX_FILE_BYTES) + 1
        diags.error(
            SourcePos(shown, line, 1),
            f"file is {len(data) // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB per file: split the section",
        )
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # Editors count characters, not bytes, in a line.
        col = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        diags.error(SourcePos(shown, line, col), f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
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
            yaml_text = "\n" * 1 + "\n".join(lines[1:i])
            body = "\n" * (i + 1) + "\n".join(lines[i + 1:])
            return FrontMatter(yaml_text, body)
    diags.error(SourcePos(shown, 1, 1), "unclosed front matter: no closing '---' line")
    return None
