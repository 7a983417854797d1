"""The load stage: a project's content/ on disk to an unparsed `Site`.

Input: the project (its content folder and theme lookup). Output: a `Site`
whose sections hold each language's body text (not yet Markdown-parsed),
plus diagnostics for every file that cannot be read, every YAML problem,
every missing or unexpected file. This is the only stage that reads
content files, and it reads nothing outside the project: a link that leads
out of it, a named pipe or a device is a diagnostic, never a read.
"""

from __future__ import annotations

import difflib
import os
import re
import string
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from . import textfile
from .charts import ChartSpec, load_chart
from .config import SLUG, language_position, load_report, position
from .errors import Diagnostics, SourcePos, display_path
from .labels import pattern_problem
from .languages import fallbacks
from .model import Body, GlossaryTerm, Report, Section, Site
from .project import Project
from .textfile import read_text, split_front_matter
from .yamlschema import Bool, Dict, Int, List, Map, Str, clean, pos_of
from .yamlschema import load as load_yaml

# Reserved: page names beside the sections, and the prefixes of the ids paragraphs and notes get.
RESERVED_SLUGS = {"full", "parallel", "assets", "charts", "pagefind", "media", "figures", "404", "cite"}
RESERVED_ID = re.compile(r"(para|p|fig|fn|fnref)-")
# Interface strings that the pages fill in, with the placeholders each must use.
UI_PLACEHOLDERS = {
    "paragraph": {"n"},
    "figure": {"n"},
    "footnote": {"label"},
    "back_to_ref": {"label"},
    "search_results": {"count"},
    "search_also": {"language"},
    "search_in_language": {"language"},
    "parallel_with": {"language"},
    "pdf": {"size"},
    "pdf_download": {"size"},
    "pdf_parallel": {"size"},
    "unit_heading": {"label", "unit"},
    "derived_note": {"mark", "series", "category", "text"},
}
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
KNOWN_FILE = re.compile(r"section\.yaml|body\.[A-Za-z-]+\.md")
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif"}
STRUCTURED_UI = {"headings", "number_words", "scale_joiners"}
PLURAL_UI = {"search_results"}  # strings that may have one text per plural category
PLURAL_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}
REFERENCE_UI = "en"  # the theme file whose keys every language's strings must have


def _front_matter_schema() -> Map:
    return Map({"description": Str(max_len=200)}, required=("description",), name="front matter")


def _section_schema(langs: tuple[str, ...]) -> Map:
    return Map(
        {
            "id": Str(pattern=SLUG, max_len=64, hint="lower-case ASCII letters, digits and single hyphens, at most 64"),
            "slug": Str(
                pattern=SLUG, max_len=64, hint="lower-case ASCII letters, digits and single hyphens, at most 64"
            ),
            "label": Str(max_len=20),
            "order": Int(minimum=1),
            "title": Dict(Str(max_len=500), keys=langs, name="title"),
        },
        required=("id", "order", "title"),
        name="section.yaml",
    )


class Loader:
    """Reads one project's content; every problem goes to `diags`."""

    def __init__(self, project: Project, diags: Diagnostics):
        self.project = project
        self.diags = diags
        self.root = project.boundary
        self.content = Path(os.path.abspath(project.content))

    def read(self, path: Path, shown: str | None = None) -> str | None:
        return read_text(path, shown or display_path(path), self.root, self.diags)

    def site(self) -> Site | None:
        content = self.content
        if not content.is_dir():
            self.diags.error(SourcePos(display_path(content)), "content directory not found")
            return None
        if not textfile.inside(content, os.path.realpath(self.project.root)) and os.path.realpath(
            content
        ) != os.path.abspath(content):
            self.diags.error(
                SourcePos(display_path(content)), "the content directory is a symbolic link out of the project"
            )
            return None
        report = self.report(content / "report.yaml")
        if report is None:
            return None
        ui = self.strings(report)
        sections = self.sections(report)
        charts = self.charts(report)
        glossary = self.glossary(content / "glossary.yaml", report)
        return Site(content, report, ui, tuple(sections), charts, glossary)

    # -- report.yaml -------------------------------------------------------------

    def report(self, path: Path) -> Report | None:
        shown = display_path(path)
        if not path.exists() and not path.is_symlink():
            self.diags.error(SourcePos(shown), "report.yaml not found: the content directory needs one")
            return None
        text = self.read(path, shown)
        report = None if text is None else load_report(text, shown, self.diags)
        if report is not None and report.logo:
            # Published from assets/ itself or assets/img/ (render.collect_assets): elsewhere it would be missing.
            if "/" in report.logo and not report.logo.startswith("img/"):
                self.diags.error(position(report, "site", "logo"), "put the logo in assets/ itself or in assets/img/")
            elif self.project.find("assets", report.logo) is None:
                self.diags.error(
                    position(report, "site", "logo"),
                    f"no file assets/{report.logo} in the project (nor in the theme)",
                )
        return report

    # -- interface strings -------------------------------------------------------

    def _ui_file(
        self, path: Path, shown: str, theme: bool = True
    ) -> tuple[dict[str, Any], dict[str, SourcePos]] | None:
        root = self.project.trusted_root(path) if theme else self.root
        text = read_text(path, shown, root, self.diags)
        schema = Dict(_Any(), key=Str(pattern=r"[a-z][a-z0-9_]*"), name="interface strings")
        data = load_yaml(text, shown, schema, self.diags) if text is not None else None
        if data is None:
            return None
        return clean(data), {k: pos_of(data, k) for k in data if k != "__pos__"}

    def strings(self, report: Report) -> dict[str, dict[str, Any]]:
        """Each language's strings: the theme's, then the project's content/ui/<tag>.yaml over them."""
        reference = self.project.find("templates", f"i18n/{REFERENCE_UI}.yaml")
        ref = self._ui_file(reference, display_path(reference)) if reference else None
        keys = list(ref[0]) if ref else []
        out: dict[str, dict[str, Any]] = {}
        for lang in report.languages:
            values: dict[str, Any] = {}
            origin: dict[str, SourcePos] = {}
            found = False
            for tag in reversed(fallbacks(lang)):
                theme = self.project.find("templates", f"i18n/{tag}.yaml")
                if theme is not None:
                    loaded = self._ui_file(theme, display_path(theme))
                    if loaded:
                        values.update(loaded[0])
                        origin.update(loaded[1])
                        found = True
            own = self.content / "ui" / f"{lang.tag}.yaml"
            own_shown = display_path(own)
            if own.exists() or own.is_symlink():
                loaded = self._ui_file(own, own_shown, theme=False)
                if loaded:
                    for key, pos in loaded[1].items():
                        if keys and key not in keys:
                            near = difflib.get_close_matches(key, keys, n=1)
                            self.diags.error(
                                pos,
                                f"unknown interface string '{key}'" + (f" (did you mean '{near[0]}'?)" if near else ""),
                            )
                            continue
                        values[key] = loaded[0][key]
                        origin[key] = pos
                found = True
            if not found:
                self.diags.error(
                    language_position(report, lang.tag),
                    f"no interface strings for '{lang.tag}': the theme has them for "
                    f"{', '.join(self._theme_languages())}; write {own_shown} with every key of "
                    f"{display_path(reference) if reference else 'the theme'}",
                )
                continue
            for key in keys:
                if key not in values:
                    self.diags.error(
                        SourcePos(own_shown, 1, 1),
                        f"interface string '{key}' is missing for '{lang.tag}' (the theme has none in this language)",
                    )
            for key, value in values.items():
                self._check_string(key, value, origin.get(key) or SourcePos(own_shown, 1, 1))
            out[lang.tag] = values
        return out

    def _theme_languages(self) -> list[str]:
        return sorted(
            Path(name).stem for name in self.project.theme_files("templates", "i18n") if name.endswith(".yaml")
        )

    def _check_string(self, key: str, value: Any, pos: SourcePos) -> None:
        if key == "headings":
            if not isinstance(value, dict):
                self.diags.error(pos, "headings: a mapping from label scheme to a list of patterns")
                return
            for scheme, patterns in value.items():
                for pattern in patterns if isinstance(patterns, list) else [patterns]:
                    problem = pattern_problem(str(pattern))
                    if problem:
                        self.diags.error(pos, f"heading pattern {pattern!r} for '{scheme}': {problem}")
            return
        if key in ("number_words", "scale_joiners"):
            if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
                what = "a list of words, from zero" if key == "number_words" else "a list of words"
                self.diags.error(pos, f"{key}: {what}")
            return
        if isinstance(value, dict) and key in PLURAL_UI:
            # One text per CLDR plural category ("1 result", "2 results"); "other" is the one every language has.
            if "other" not in value or not set(value) <= PLURAL_CATEGORIES:
                self.diags.error(
                    pos,
                    f"interface string '{key}': texts for the plural categories "
                    f"{', '.join(sorted(PLURAL_CATEGORIES))}, with 'other' among them",
                )
                return
            for form in value.values():
                self._check_string(key, form, pos)
            return
        if not isinstance(value, str):
            self.diags.error(pos, f"interface string '{key}' must be text")
            return
        wanted = UI_PLACEHOLDERS.get(key, set())
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError:
            self.diags.error(
                pos, f"interface string '{key}' has an unmatched '{{' or '}}'; write {{{{ or }}}} for a literal brace"
            )
            return
        if used != wanted:
            names = ", ".join(f"{{{name}}}" for name in sorted(wanted)) or "no placeholder"
            self.diags.error(
                pos,
                f"interface string '{key}' must use exactly {names}; it uses "
                f"{', '.join(f'{{{u}}}' for u in sorted(used)) or 'none'}",
            )

    # -- sections ----------------------------------------------------------------

    def sections(self, report: Report) -> list[Section]:
        root = self.content / "sections"
        shown = display_path(root)
        if not root.is_dir():
            self.diags.error(SourcePos(shown), "no sections directory")
            return []
        if not self._check_entry(_Entry("sections", root, shown, True, False, root.is_symlink())):
            return []
        out: list[Section] = []
        entries = self._list(root, shown)
        if entries is not None:
            self._walk(entries, report, None, 1, out)
        return out

    def _list(self, folder: Path, shown: str) -> list[_Entry] | None:
        """The folder's visible entries, sorted by name: one scandir, not a stat per question asked."""

        def kind(e: os.DirEntry[str]) -> tuple[bool, bool]:
            try:
                return e.is_dir(), e.is_file()
            except OSError:  # a link loop: neither; reading it reports what it is
                return False, False

        try:
            with os.scandir(folder) as it:
                raw = [(e.name, *kind(e), e.is_symlink()) for e in it if not e.name.startswith(".")]
        except OSError as exc:
            self.diags.error(SourcePos(shown), f"cannot read folder: {exc.strerror}")
            return None
        return [_Entry(name, folder / name, f"{shown}/{name}", d, f, link) for name, d, f, link in sorted(raw)]

    def _check_entry(self, entry: _Entry) -> bool:
        """Names editors can type on any system; links that stay inside the project."""
        # A file gets line 1 so that editors can jump to it; a folder has no lines.
        pos = SourcePos(entry.shown) if entry.is_dir else SourcePos(entry.shown, 1, 1)
        if entry.is_link and not textfile.inside(entry.path, self.root):
            self.diags.error(pos, "symbolic link points outside the project: only files inside it are read")
            return False
        if not SAFE_NAME.fullmatch(entry.name) or len(entry.name) > 100:
            self.diags.error(
                pos,
                f"file name {entry.name[:100]!r} has spaces or non-ASCII characters, or is "
                "over 100 characters; use ASCII letters, digits, '-', '_' and '.'",
            )
            return False
        return True

    def _walk(
        self, entries: list[_Entry], report: Report, parent: Section | None, depth: int, out: list[Section]
    ) -> list[str]:
        """Load the child sections among a folder's `entries` in their declared order; returns their ids."""
        children: list[tuple[int, str, Section, list[_Entry]]] = []
        for entry in entries:
            if parent is not None and (not entry.is_dir or KNOWN_FILE.fullmatch(entry.name)):
                continue  # a section folder's files are checked by _section, before it reads them
            if not self._check_entry(entry):
                continue
            if not entry.is_dir:
                self.diags.warning(SourcePos(entry.shown, 1, 1), "files belong in section folders; ignored")
                continue
            listing = self._list(entry.path, entry.shown)
            if listing is None:
                continue
            section = self._section(entry, listing, report, parent, depth)
            if section is not None:
                children.append((section.order, section.id, section, listing))
        children.sort(key=lambda c: (c[0], c[1]))
        seen_orders: dict[int, Section] = {}
        for order, _, section, _ in children:
            if order in seen_orders:
                self.diags.error(
                    pos_of(section.pos, "order"),
                    f"order {order} is also used by section '{seen_orders[order].id}' in the same folder",
                )
            seen_orders[order] = section
        ids = []
        for _, _, section, listing in children:
            index = len(out)
            out.append(section)
            kids = self._walk(listing, report, section, depth + 1, out)
            out[index] = replace(section, children=tuple(kids))
            ids.append(section.id)
        return ids

    def _section(
        self, folder: _Entry, listing: list[_Entry], report: Report, parent: Section | None, depth: int
    ) -> Section | None:
        tags = report.tags
        known = {"section.yaml"} | {f"body.{tag}.md" for tag in tags}
        # Checked before anything is read: a link out of the project must not be published. A folder
        # named as one of the files is taken as that file: reading it says it is a folder.
        files = [e for e in listing if not e.is_dir or KNOWN_FILE.fullmatch(e.name)]
        bad = {e.name for e in files if not self._check_entry(e)}
        for entry in files:
            if entry.name not in bad and entry.name not in known and Path(entry.name).suffix.lower() not in IMAGE_EXT:
                self.diags.warning(
                    SourcePos(entry.shown, 1, 1),
                    f"unexpected file in a section folder (expected {', '.join(sorted(known))} and images); ignored",
                )
        if "section.yaml" in bad:
            return None
        by_name = {e.name: e for e in files}
        yaml_entry = by_name.get("section.yaml")
        if yaml_entry is None:
            # Point at a file of the folder when there is one, so that editors can jump there.
            first = next((e for e in files if e.name not in bad), None)
            pos = SourcePos(first.shown, 1, 1) if first else SourcePos(folder.shown)
            self.diags.error(
                pos,
                f"section folder without section.yaml: {folder.shown}/ needs one "
                "(id, order and title), or move this file into a section folder",
            )
            return None
        text = self.read(yaml_entry.path, yaml_entry.shown)
        data = load_yaml(text, yaml_entry.shown, _section_schema(tags), self.diags) if text is not None else None
        if data is None or data.get("id") is None or data.get("order") is None or data.get("title") is None:
            return None
        slug = data.get("slug") or data["id"]
        id_pos = pos_of(data, "id")
        if slug in RESERVED_SLUGS or any(
            slug == f"{a.path}-{b.path}" for a in report.languages for b in report.languages
        ):
            self.diags.error(
                pos_of(data, "slug" if "slug" in data else "id"), f"'{slug}' is reserved for a page of the site"
            )
        if RESERVED_ID.match(data["id"]):
            self.diags.error(
                id_pos,
                f"section id '{data['id']}' starts with a prefix reserved for paragraphs, "
                "figures and footnotes (para-, p-, fig-, fn-, fnref-)",
            )
        label = None
        written = data.get("label")
        if written is not None:
            label = self._label(written, depth, parent, report, pos_of(data, "label"))
        bodies: dict[str, Body] = {}
        for tag in tags:
            name = f"body.{tag}.md"
            if name in bad:
                continue
            body_entry = by_name.get(name)
            if body_entry is None:
                self.diags.error(id_pos, f"section '{data['id']}' has no {tag} text ({folder.shown}/{name} is missing)")
                continue
            body = self.body(body_entry.path, tag, body_entry.shown)
            if body is not None:
                bodies[tag] = body
        return Section(
            id=data["id"],
            slug=slug,
            label=label,
            order=data["order"],
            title=clean(data["title"]),
            depth=depth,
            parent=parent.id if parent else None,
            children=(),
            dir=folder.path,
            yaml_path=yaml_entry.shown,
            pos=data,
            bodies=bodies,
        )

    def _label(
        self, written: str, depth: int, parent: Section | None, report: Report, pos: SourcePos
    ) -> tuple[int, ...] | None:
        scheme = report.scheme
        if not scheme.styles:
            self.diags.error(pos, "this report's sections have no labels (labels: none in report.yaml)")
            return None
        counters = scheme.parse(written, depth)
        if counters is None:
            examples = {"un": "I, II.C or II.C.5", "decimal": "2, 2.3 or 2.3.5"}.get(scheme.name, "")
            self.diags.error(
                pos,
                f"label '{written}' does not fit a section at depth {depth} in the '{scheme.name}' scheme ({examples})",
            )
            return None
        if parent is not None and parent.label and counters[:-1] != parent.label:
            self.diags.warning(pos, f"label '{written}' does not continue its parent's '{scheme.write(parent.label)}'")
        return counters

    def body(self, path: Path, lang: str, shown: str | None = None) -> Body | None:
        shown = shown or display_path(path)
        text = self.read(path, shown)
        if text is None:
            return None
        fm = split_front_matter(text, shown, self.diags)
        if fm is None:
            return None
        if not fm.yaml_text.strip():
            self.diags.error(SourcePos(shown, 1, 1), "front matter is empty: it needs a description")
            return None
        meta = load_yaml(fm.yaml_text, shown, _front_matter_schema(), self.diags)
        if meta is None or meta.get("description") is None:
            return None
        return Body(lang=lang, path=shown, description=meta["description"], text=fm.body)

    # -- charts and glossary -----------------------------------------------------

    def charts(self, report: Report) -> dict[str, ChartSpec]:
        chart_dir = self.content / "charts"
        specs: dict[str, ChartSpec] = {}
        if not chart_dir.exists():
            return specs
        shown_dir = display_path(chart_dir)
        if not self._check_entry(_Entry("charts", chart_dir, shown_dir, True, False, chart_dir.is_symlink())):
            return specs
        for entry in self._list(chart_dir, shown_dir) or []:
            if not self._check_entry(entry):
                continue
            if entry.path.suffix != ".yaml":
                self.diags.warning(SourcePos(entry.shown, 1, 1), "only .yaml files belong in charts/; ignored")
                continue
            text = self.read(entry.path, entry.shown)
            spec = load_chart(text, entry.shown, entry.path.stem, report, self.diags) if text is not None else None
            if spec is None:
                continue
            if spec.id in specs:
                self.diags.error(
                    SourcePos(entry.shown, 1, 1), f"chart id '{spec.id}' is also used by {specs[spec.id].path}"
                )
                continue
            specs[spec.id] = spec
        return specs

    def glossary(self, path: Path, report: Report) -> tuple[GlossaryTerm, ...]:
        if not path.exists() and not path.is_symlink():
            return ()
        shown = display_path(path)
        text = self.read(path, shown)
        fields: dict[str, Any] = {tag: Str() for tag in report.tags}
        fields["check"] = Bool()
        term = Map(fields, name="glossary term")
        data = (
            load_yaml(text, shown, Map({"terms": List(term)}, required=("terms",), name="glossary.yaml"), self.diags)
            if text is not None
            else None
        )
        if not data or not data.get("terms"):
            return ()
        source = report.source.tag
        terms = []
        for entry in data["terms"]:
            if not entry:
                continue
            if source not in entry:
                self.diags.error(pos_of(entry), f"a glossary term needs its {source} form (the source language)")
                continue
            found = {tag: entry[tag] for tag in report.tags if isinstance(entry.get(tag), str)}
            terms.append(GlossaryTerm(found, bool(entry.get("check")), pos_of(entry)))
        return tuple(terms)


class _Any(Str):
    """An interface string: text, or (for headings and number words) a list or mapping of texts."""

    def __init__(self) -> None:
        super().__init__(allow_empty=True)  # a space is a value: the narrow space inside French quotes

    def convert(self, node: yaml.Node, ctx: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return super().convert(node, ctx) if node.value else ""
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(child, ctx) for child in node.value if ctx.count(child)]
        if isinstance(node, yaml.MappingNode):
            return {k.value: self.convert(v, ctx) for k, v in node.value if ctx.count(v)}
        return None


class _Entry(NamedTuple):
    """One name in a folder, with what its directory listing already says about it."""

    name: str
    path: Path
    shown: str  # as display_path shows it; for a link, the link's own path, not its target's
    is_dir: bool  # these two follow symbolic links, as Path.is_dir and Path.is_file do
    is_file: bool
    is_link: bool


def load_site(project: Project, diags: Diagnostics) -> Site | None:
    return Loader(project, diags).site()


def load_body(project: Project, path: Path, lang: str, diags: Diagnostics) -> Body | None:
    """One body file, for the preview's fast path."""
    return Loader(project, diags).body(path, lang)
