"""A check stage for deployment: netlify.toml's language rules against the report's languages.

Input: the project's netlify.toml (when it has one) and the report's
languages. Output: diagnostics at the line of the rule. A language added to
report.yaml without its redirect is a site whose readers of that language
never land on their edition; a redirect to a language the report no longer
has sends them to a 404. Netlify says nothing about either, so `check` does.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Diagnostics, SourcePos, display_path
from .languages import Language

FILE = "netlify.toml"


def _line_of(text: str, pattern: str) -> int:
    found = re.search(pattern, text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def check_netlify(root: Path, langs: Sequence[Language]) -> list[Diagnostic]:
    path = root / FILE
    diags = Diagnostics()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # no Netlify here: nothing to compare
    shown = display_path(path)
    try:
        config: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        pos = SourcePos(shown, int(where.group(1)), int(where.group(2))) if where else SourcePos(shown)
        diags.error(pos, f"not valid TOML, so Netlify cannot deploy the site: {str(exc).split(' (at')[0]}")
        return diags.items
    rules = [r for r in config.get("redirects", []) if isinstance(r, dict)]
    by_language = [r for r in rules if r.get("from") == "/" and isinstance(r.get("conditions"), dict)]
    by_language = [r for r in by_language if r["conditions"].get("Language")]
    if not by_language:
        return []  # the project does not redirect by language: its choice
    paths = {lang.path: lang for lang in langs}
    targets = {str(r.get("to", "")).strip("/"): r for r in by_language}
    for lang in langs:
        if lang.path not in targets:
            diags.warning(
                SourcePos(shown, _line_of(text, r"^\s*\[\[redirects\]\]"), 1),
                f"no [[redirects]] rule sends readers whose browser asks for {lang.name} ({lang.tag}) "
                f'to /{lang.path}/: add one with to = "/{lang.path}/" and '
                f'conditions = {{ Language = ["{lang.search}"] }}',
            )
    for target in sorted(targets):
        if target not in paths:
            diags.warning(
                SourcePos(shown, _line_of(text, rf'^\s*to\s*=\s*"/{re.escape(target)}/?"'), 1),
                f"this rule sends readers to /{target}/, which the report does not have "
                f"(its languages: {', '.join(lang.tag for lang in langs)})",
            )
    return diags.items
