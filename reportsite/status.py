"""Translation status: the editors' stage that tracks which translations are current.

Input: a parsed site (load and parse stages) and ``content/translations.lock``,
which records, for every translated paragraph and language, a fingerprint
of the source-language text it was last confirmed against. Output: each
paragraph's state per section and target language (translated, stale,
never confirmed or missing), warnings for ``check`` about stale
paragraphs, and a rewritten lock file for ``confirm``.

The lock file is plain text, one line per paragraph and language, in
paragraph order, so that a diff shows exactly which confirmations changed::

    para-49 en resolution-26-8 3f2a9c1b0d4e5f60
    p-introduction-2 fr introduction 0a1b2c3d4e5f6071
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostics, SourcePos, display_path, program
from .model import Section, Site
from .validate import english_name

LOCK_NAME = "translations.lock"
HASH_LEN = 16
PARA_ID = r"para-[1-9][0-9]*|p-[a-z0-9]+(?:-[a-z0-9]+)*"
LOCK_LINE = re.compile(
    rf"({PARA_ID}) ([A-Za-z]{{2,3}}(?:-[A-Za-z0-9]{{2,8}})*) ([a-z0-9]+(?:-[a-z0-9]+)*) ([0-9a-f]{{{HASH_LEN}}})"
)
HEADER = f"""\
# Translation lock: the source text each translated paragraph was last confirmed against.
# One line per paragraph and language: paragraph, language, section id, and the first {HASH_LEN} hex
# digits of the sha256 of the normalised source-language paragraph. Written by
# `python build.py confirm all|<section-id>|para-N`; do not edit by hand.
"""
_SPACES = re.compile(r"\s+")
# Spaces next to a CJK character are typographic only (the report sets "2018 年" and "2018年" alike).
_CJK_SPACE = re.compile(
    r" (?=[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])"
    r"|(?<=[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]) "
)


def fingerprint(text: str) -> str:
    """Short sha256 of a paragraph's text, blind to whitespace and Unicode spelling differences."""
    norm = _CJK_SPACE.sub("", _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:HASH_LEN]


@dataclass(frozen=True)
class LockEntry:
    section: str
    fingerprint: str


Lock = dict[tuple[str, str], LockEntry]  # (paragraph id, language) -> entry


@dataclass(frozen=True)
class ParagraphState:
    section: str
    lang: str
    id: str  # para-49, p-introduction-2
    number: int | None
    state: str  # "translated", "stale" (source changed), "unconfirmed" (no lock entry), "missing"
    source: str  # fingerprint of the source paragraph now
    pos: SourcePos  # the translated paragraph, or its file when missing

    @property
    def name(self) -> str:
        return f"paragraph {self.number}" if self.number is not None else f"paragraph {self.id}"


def _order(key: tuple[str, str]) -> tuple[int, int, str, str]:
    pid, lang = key
    return (0, int(pid[5:]), "", lang) if pid.startswith("para-") else (1, 0, pid, lang)


def lock_path(content_dir: Path) -> Path:
    return content_dir / LOCK_NAME


def read_lock(path: Path, diags: Diagnostics) -> Lock | None:
    """The lock file's entries; None when there is no lock file."""
    if not path.is_file():
        return None
    shown = display_path(path)
    lock: Lock = {}
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        diags.error(SourcePos(shown, 1, 1), f"cannot read the lock file: {exc}")
        return lock
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = LOCK_LINE.fullmatch(" ".join(line.split()))
        if m is None:
            diags.error(
                SourcePos(shown, n, 1),
                "malformed line: expected 'PARAGRAPH-ID LANGUAGE SECTION-ID "
                f"FINGERPRINT'; delete the line, review that translation, then run {program()} confirm for it",
            )
            continue
        key = (m.group(1), m.group(2))
        if key in lock:
            diags.error(SourcePos(shown, n, 1), f"{key[0]} {key[1]} is listed twice")
            continue
        lock[key] = LockEntry(m.group(3), m.group(4))
    return lock


def write_lock(path: Path, lock: Lock) -> None:
    """Rewrite the lock file in one step, sorted, so that an interrupted write leaves the old one."""
    lines = [
        f"{pid} {lang} {e.section} {e.fingerprint}\n"
        for (pid, lang), e in sorted(lock.items(), key=lambda kv: _order(kv[0]))
    ]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(HEADER + "".join(lines), "utf-8", newline="\n")
    os.replace(tmp, path)


def paragraph_states(site: Site, lock: Lock, sections: Iterable[Section] | None = None) -> list[ParagraphState]:
    """Every source paragraph in every target language, in reading order (of `sections`: default all)."""
    source_lang = site.report.source.tag
    states: list[ParagraphState] = []
    for section in site.sections if sections is None else sections:
        source = section.bodies.get(source_lang)
        if source is None or source.parsed is None:
            continue
        for lang in site.report.targets:
            body = section.bodies.get(lang.tag)
            paras = {b.id: b for b in body.parsed.blocks if b.kind == "para"} if body and body.parsed else {}
            body_path = body.path if body else f"{display_path(section.dir)}/body.{lang.tag}.md"
            seen: set[str] = set()
            for block in source.parsed.blocks:
                # A number written twice is an error of its own; its first paragraph stands for it.
                if block.kind != "para" or block.id in seen:
                    continue
                seen.add(block.id)
                fp = fingerprint(block.text)
                other = paras.get(block.id)
                if other is None:
                    state, pos = "missing", SourcePos(body_path, 1, 1)
                else:
                    entry = lock.get((block.id, lang.tag))
                    state = "unconfirmed" if entry is None else "translated" if entry.fingerprint == fp else "stale"
                    pos = SourcePos(body_path, other.line, 1)
                states.append(ParagraphState(section.id, lang.tag, block.id, block.number, state, fp, pos))
    return states


def lock_for_checks(site: Site, diags: Diagnostics) -> Lock | None:
    """The lock file, or None (with a warning when it is missing) when there is nothing to compare."""
    if len(site.report.languages) < 2:
        return None
    path = lock_path(site.content_dir)
    lock = read_lock(path, diags)
    if lock is None:
        diags.warning(
            SourcePos(display_path(path), 1, 1),
            "no translation lock file, so stale translations cannot be found; "
            f"once the translations are reviewed, run {program()} confirm all",
        )
    return lock


def stale_in(site: Site, sections: Iterable[Section], lock: Lock, diags: Diagnostics) -> None:
    source_name = english_name(site.report.source.tag)
    for st in paragraph_states(site, lock, sections):
        if st.state == "stale":
            diags.warning(
                st.pos,
                f"{st.name} is stale: the {source_name} changed since it was "
                f"translated; review it, then run {program()} confirm {st.id}",
            )
        elif st.state == "unconfirmed":
            diags.warning(
                st.pos,
                f"{st.name} has never been confirmed (not in {LOCK_NAME}); "
                f"review it, then run {program()} confirm {st.id}",
            )


def confirm(site: Site, lock: Lock, target: str, lang: str | None = None) -> tuple[Lock, int]:
    """The lock with `target` ('all', a section id or a paragraph id) confirmed, and how many entries changed.

    lang: one target language (default: every one). Entries of paragraphs that no longer exist are
    dropped; other entries are kept as they were, so confirming one paragraph never hides another's
    staleness. Raises ValueError for a target that names nothing.
    """
    states = [s for s in paragraph_states(site, lock) if s.state != "missing" and (lang is None or s.lang == lang)]
    if lang is not None and lang not in site.report.tags[1:]:
        raise ValueError(f"'{lang}' is not a target language of this report ({', '.join(site.report.tags[1:])})")
    if target == "all":
        chosen = states
    elif re.fullmatch(PARA_ID, target):
        chosen = [s for s in states if s.id == target]
        if not chosen:
            raise ValueError(f"{target} has no translation to confirm")
    elif any(s.id == target for s in site.sections):
        chosen = [s for s in states if s.section == target]
    else:
        raise ValueError(f"'{target}' is neither 'all', a section id nor a paragraph such as para-49")
    # An entry stays while the source has its paragraph: a translation missing for a while (being
    # rewritten) keeps its line, and is stale or translated again once back, not "never confirmed".
    existing = {(s.id, s.lang) for s in paragraph_states(site, lock)}
    new: Lock = {key: entry for key, entry in lock.items() if key in existing}
    changed = 0
    for s in chosen:
        entry = LockEntry(s.section, s.source)
        changed += new.get((s.id, s.lang)) != entry
        new[(s.id, s.lang)] = entry
    return new, changed


def status_lines(states: list[ParagraphState], site: Site) -> list[str]:
    """The status table: one row per section and language, then a total per language."""
    langs = site.report.tags[1:]
    width = max([len(s.id) for s in site.sections] + [len("section")])
    head = f"{'section':<{width}}  lang  translated  stale  missing"
    lines = [head, "-" * len(head)]
    totals = {lang: [0, 0, 0] for lang in langs}
    for section in site.sections:
        for lang in langs:
            mine = [s for s in states if s.section == section.id and s.lang == lang]
            if not mine:
                continue
            counts = [
                sum(s.state == "translated" for s in mine),
                sum(s.state in ("stale", "unconfirmed") for s in mine),
                sum(s.state == "missing" for s in mine),
            ]
            totals[lang] = [a + b for a, b in zip(totals[lang], counts)]
            lines.append(f"{section.id:<{width}}  {lang:<4}  {counts[0]:>10}  {counts[1]:>5}  {counts[2]:>7}")
    lines.append("-" * len(head))
    for lang, (done, stale, gone) in totals.items():
        lines.append(f"{'total':<{width}}  {lang:<4}  {done:>10}  {stale:>5}  {gone:>7}")
    todo = [st for st in states if st.state != "translated"]
    if todo:
        lines.append("")
        for st in todo:
            what = {
                "stale": "stale (the source changed since it was confirmed)",
                "unconfirmed": "never confirmed",
                "missing": "missing",
            }[st.state]
            lines.append(f"{st.pos}: {st.id} {st.lang}: {what}")
    return lines
