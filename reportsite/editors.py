"""The editors' commands `status` and `confirm`: translation status from the lock file.

Input: the project's content, loaded, parsed and checked by the pipeline's
own stages, and its translations.lock. Output: the status table on stdout,
or a rewritten lock file. `confirm` refuses to run on content with errors:
it would drop the entries of paragraphs it cannot see.
"""

from __future__ import annotations

import argparse
import sys

from . import status
from .errors import Diagnostics, display_path
from .pipeline import Checked, Timer, load_and_check
from .project import Project


def _print(diags: Diagnostics) -> None:
    for d in diags.sorted():
        print(d, file=sys.stderr)


def _load(project: Project, prog: str) -> tuple[Checked | None, Diagnostics]:
    diags = Diagnostics()
    checked = load_and_check(project, diags, Timer({}))
    return checked, diags


def status_command(project: Project, prog: str) -> int:
    checked, diags = _load(project, prog)
    if checked is None:
        _print(diags)
        print(f"{diags.summary()}; the content cannot be read", file=sys.stderr)
        return 1
    if diags.errors:
        print(f"note: the content has {diags.summary()}; {prog} check lists them", file=sys.stderr)
    lock_diags = Diagnostics()
    path = status.lock_path(checked.site.content_dir)
    lock = status.read_lock(path, lock_diags)
    _print(lock_diags)
    if lock is None:
        print(f"note: no {display_path(path)}: no translation has been confirmed yet", file=sys.stderr)
    for line in status.status_lines(status.paragraph_states(checked.site, lock or {}), checked.site):
        print(line)
    return 0


def confirm(project: Project, prog: str, args: argparse.Namespace) -> int:
    if len(args.args) != 1:
        print(
            f"{prog} confirm: say what to confirm: all, a section id, or a paragraph such as para-49", file=sys.stderr
        )
        return 2
    target = args.args[0]
    checked, diags = _load(project, prog)
    errors = [d for d in diags.items if d.severity == "error"]
    if checked is None or errors:
        # A section that does not load would lose its confirmations: nothing is written.
        _print(Diagnostics(errors))
        print(
            f"{prog} confirm: the content has {len(errors)} error{'s' * (len(errors) != 1)}; fix them first "
            f"({display_path(status.lock_path(project.content))} not changed)",
            file=sys.stderr,
        )
        return 1
    lock_diags = Diagnostics()
    path = status.lock_path(checked.site.content_dir)
    lock = status.read_lock(path, lock_diags)
    if lock_diags.errors:
        _print(lock_diags)
        print(f"{prog} confirm: {display_path(path)} has errors; fix or delete it first", file=sys.stderr)
        return 1
    try:
        new, changed = status.confirm(checked.site, lock or {}, target, args.lang)
    except ValueError as exc:
        print(f"{prog} confirm: {exc}", file=sys.stderr)
        return 2
    status.write_lock(path, new)
    print(
        f"confirmed {target}: {changed} entr{'y' if changed == 1 else 'ies'} changed; "
        f"{display_path(path)} has {len(new)}"
    )
    return 0
