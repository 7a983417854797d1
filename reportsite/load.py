"""The load stage: content/ on disk to an unparsed `Site`.

Input: the content directory. Output: a `Site` whose sections hold each
language's body text (not yet Markdown-parsed), plus diagnostics for every
file that cannot be read, every YAML problem, every missing or unexpected
file. This is the only stage that reads content files.
"""
from __future__ import annotations

import os
import re
import string
from pathlib import Path
from typing import Any, NamedTuple

from .errors import Diagnostics, SourcePos, display_path
from .i18n import LANG_TAGS, RESERVED_SLUGS, UI_KEYS
from .model import Body, GlossaryTerm, Report, Section, Site
from .textfile import read_text, split_front_matter
from .yamlschema import Bool, Dict, Enum, List, Map, Str, Int, clean, load as load_yaml, pos_of

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# UI strings that the pages fill in, with the placeholders each must use.
UI_PLACEHOLDERS = {"paragraph": {"n"}, "figure": {"n"}, "footnote": {"label"}, "back_to_ref": {"label"},
                   "citation": {"symbol", "n"}, "search_results": {"count"}}
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif"}
COVER_FIELDS = ("organization", "assembly", "session", "place_dates", "agenda_item", "agenda_title",
                "title", "subtitle", "summary")


def _lang_text(langs: tuple[str, ...], name: str, **kw: Any) -> Dict:
    return Dict(Str(**kw), keys=langs, name=name)


def _report_schema() -> Map:
    return Map({
        "symbol": Str(),
        "languages": List(Enum(*LANG_TAGS), min_items=1),
        "base_url": Str(pattern=r"https://[A-Za-z0-9.-]+(:\d+)?", hint="an https:// origin without a path or slash"),
        **{f: Dict(Str(), name=f) for f in COVER_FIELDS},
        "notes": Dict(Dict(Str(), name="notes"), name="notes"),
    }, required=("symbol", "languages", "base_url", *COVER_FIELDS), name="report.yaml")


def _section_schema(langs: tuple[str, ...]) -> Map:
    return Map({
        "id": Str(pattern=SLUG, hint="lower-case ASCII letters, digits and single hyphens"),
        "slug": Str(pattern=SLUG, hint="lower-case ASCII letters, digits and single hyphens"),
        "label": Str(pattern=r"[IVXLCDM]+(\.[A-Z](\.\d{1,2})?)?", hint="a label such as I, II.C or II.C.5"),
        "order": Int(minimum=1),
        "title": _lang_text(langs, "title"),
    }, required=("id", "order", "title"), name="section.yaml")


def _front_matter_schema() -> Map:
    return Map({"description": Str(max_len=200)}, required=("description",), name="front matter")


def _glossary_schema() -> Map:
    term = Map({"zh": Str(), "en": Str(), "check": Bool()}, required=("zh", "en"), name="glossary term")
    return Map({"terms": List(term)}, required=("terms",), name="glossary.yaml")


def load_site(content_dir: Path, diags: Diagnostics) -> Site | None:
    content_dir = content_dir.resolve()
    if not content_dir.is_dir():
        diags.error(SourcePos(display_path(content_dir)), "content directory not found")
        return None
    report = _load_report(content_dir / "report.yaml", diags)
    if report is None:
        return None
    langs = report.languages
    ui = _load_ui(content_dir / "ui", langs, diags)
    sections = _load_sections(content_dir, langs, diags)
    chart_specs = _load_charts(content_dir / "charts", langs, diags)
    glossary = _load_glossary(content_dir / "glossary.yaml", diags)
    return Site(content_dir, report, ui, tuple(sections), chart_specs, glossary)


def _load_report(path: Path, diags: Diagnostics) -> Report | None:
    shown = display_path(path)
    if not path.is_file():
        diags.error(SourcePos(shown), "report.yaml not found: the content directory needs one")
        return None
    text = read_text(path, diags)
    if text is None:
        return None
    data = load_yaml(text, shown, _report_schema(), diags)
    if data is None or data.get("languages") is None:
        return None
    langs = tuple(data["languages"])
    if not all(isinstance(lang, str) for lang in langs):
        return None  # an item the schema refused, and has reported
    if len(set(langs)) != len(langs):
        diags.error(pos_of(data, "languages"), "a language is listed twice")
        return None
    for name in COVER_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        missing = [lang for lang in langs if lang not in value]
        extra = [k for k in value if k != "__pos__" and k not in langs]
        if missing:
            diags.error(pos_of(data, name), f"'{name}' is missing for: {', '.join(missing)}")
        for k in extra:
            diags.error(pos_of(value, k), f"'{name}' has text for '{k}', which is not in languages")
    for k in data.get("notes") or {}:
        if k != "__pos__" and k not in langs:
            diags.error(pos_of(data["notes"], k), f"notes for '{k}', which is not in languages")
    notes = clean(data.get("notes") or {})
    if any(data.get(f) is None for f in COVER_FIELDS) or data.get("symbol") is None or data.get("base_url") is None:
        return None
    return Report(
        symbol=data["symbol"], languages=langs, base_url=data["base_url"].rstrip("/"),
        text={f: clean(data[f]) for f in COVER_FIELDS},
        notes={lang: notes.get(lang, {}) for lang in langs},
        path=shown, pos=data["__pos__"],
    )


def _load_ui(ui_dir: Path, langs: tuple[str, ...], diags: Diagnostics) -> dict[str, dict[str, str]]:
    schema = Dict(Str(), key=Str(pattern=r"[a-z][a-z0-9_]*"), name="UI strings")
    out: dict[str, dict[str, str]] = {}
    keys_by_lang: dict[str, tuple[dict[str, Any], str]] = {}
    for lang in langs:
        path = ui_dir / f"{lang}.yaml"
        shown = display_path(path)
        if not path.is_file():
            diags.error(SourcePos(shown), f"UI strings for '{lang}' not found")
            continue
        text = read_text(path, diags)
        data = load_yaml(text, shown, schema, diags) if text is not None else None
        if data is None:
            continue
        keys_by_lang[lang] = (data, shown)
        out[lang] = clean(data)
        for key in data:
            if key != "__pos__" and key not in UI_KEYS:
                diags.error(pos_of(data, key), f"unknown UI string '{key}'")
            elif key in UI_PLACEHOLDERS and isinstance(data[key], str):
                _check_placeholders(key, data[key], pos_of(data, key), diags)
    # One error per missing string; when another language has it, say which file does.
    for lang, (data, shown) in keys_by_lang.items():
        for key in UI_KEYS:
            if key in data:
                continue
            having = [oshown for other, (odata, oshown) in keys_by_lang.items() if other != lang and key in odata]
            diags.error(pos_of(data), f"UI string '{key}' is in {having[0]} but not in this file" if having
                        else f"UI string '{key}' is missing")
    return out


def _check_placeholders(key: str, text: str, pos: SourcePos, diags: Diagnostics) -> None:
    """The pages fill these strings with str.format: a wrong placeholder would stop the build."""
    wanted = UI_PLACEHOLDERS[key]
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        diags.error(pos, f"UI string '{key}' has an unmatched '{{' or '}}'; write {{{{ or }}}} for a literal brace")
        return
    if used != wanted:
        names = ", ".join(f"{{{name}}}" for name in sorted(wanted))
        diags.error(pos, f"UI string '{key}' must use exactly {names}; it uses "
                         f"{', '.join(f'{{{u}}}' for u in sorted(used)) or 'none'}")


class _Entry(NamedTuple):
    """One name in a folder, with what its directory listing already says about it."""

    name: str
    path: Path
    shown: str  # as display_path shows it; for a link, the link's own path, not its target's
    is_dir: bool  # these two follow symbolic links, as Path.is_dir and Path.is_file do
    is_file: bool
    is_link: bool


def _list(folder: Path, shown: str, diags: Diagnostics) -> list[_Entry] | None:
    """The folder's visible entries, sorted by name: one scandir, not a stat per question asked."""
    try:
        with os.scandir(folder) as it:
            raw = [(e.name, e.is_dir(), e.is_file(), e.is_symlink()) for e in it if not e.name.startswith(".")]
    except OSError as exc:
        diags.error(SourcePos(shown), f"cannot read folder: {exc.strerror}")
        return None
    return [_Entry(name, folder / name, f"{shown}/{name}", d, f, link) for name, d, f, link in sorted(raw)]


def _check_entry(entry: _Entry, root: Path, diags: Diagnostics) -> bool:
    """Names editors can type on any system; links that stay inside content/."""
    # A file gets line 1 so that editors can jump to it; a folder has no lines.
    pos = SourcePos(entry.shown) if entry.is_dir else SourcePos(entry.shown, 1, 1)
    if entry.is_link:
        target = Path(os.path.realpath(entry.path))
        if not target.is_relative_to(root):
            diags.error(pos, f"symbolic link points outside the content directory ({target})")
            return False
    if not SAFE_NAME.fullmatch(entry.name):
        diags.error(pos, f"file name {entry.name!r} has spaces or non-ASCII characters; "
                         "use ASCII letters, digits, '-', '_' and '.'")
        return False
    return True


def _load_sections(content_dir: Path, langs: tuple[str, ...], diags: Diagnostics) -> list[Section]:
    root = content_dir / "sections"
    shown = display_path(root)
    if not root.is_dir():
        diags.error(SourcePos(shown), "no sections directory")
        return []
    out: list[Section] = []
    entries = _list(root, shown, diags)
    if entries is not None:
        _walk(entries, content_dir, langs, None, 1, out, diags)
    return out


def _walk(entries: list[_Entry], content_dir: Path, langs: tuple[str, ...], parent: str | None, depth: int,
          out: list[Section], diags: Diagnostics) -> list[str]:
    """Load the child sections among a folder's `entries` in their declared order; returns their ids."""
    children: list[tuple[int, str, Section, list[_Entry]]] = []
    for entry in entries:
        if parent is not None and not entry.is_dir:
            continue  # a section folder's files are checked by _load_section, before it reads them
        if not _check_entry(entry, content_dir, diags):
            continue
        if entry.is_dir:
            listing = _list(entry.path, entry.shown, diags)
            if listing is None:
                continue
            section = _load_section(entry, listing, content_dir, langs, parent, depth, diags)
            if section is not None:
                children.append((section.order, section.id, section, listing))
    children.sort(key=lambda c: (c[0], c[1]))
    seen_orders: dict[int, Section] = {}
    for order, _, section, _ in children:
        if order in seen_orders:
            diags.error(pos_of(section.pos, "order"),
                        f"order {order} is also used by section '{seen_orders[order].id}' in the same folder")
        seen_orders[order] = section
    ids = []
    for _, _, section, listing in children:
        index = len(out)
        out.append(section)
        kids = _walk(listing, content_dir, langs, section.id, depth + 1, out, diags)
        out[index] = _with_children(section, tuple(kids))
        ids.append(section.id)
    return ids


def _with_children(section: Section, kids: tuple[str, ...]) -> Section:
    from dataclasses import replace
    return replace(section, children=kids)


def _load_section(folder: _Entry, listing: list[_Entry], content_dir: Path, langs: tuple[str, ...],
                  parent: str | None, depth: int, diags: Diagnostics) -> Section | None:
    shown_dir = folder.shown
    known = {"section.yaml"} | {f"body.{lang}.md" for lang in langs}
    # Checked before anything is read: a link out of content/ must not be published.
    files = [e for e in listing if not e.is_dir]
    bad = {e.name for e in files if not _check_entry(e, content_dir, diags)}
    for entry in files:
        if entry.name not in bad and entry.name not in known and Path(entry.name).suffix.lower() not in IMAGE_EXT:
            diags.warning(SourcePos(entry.shown, 1, 1),
                          f"unexpected file in a section folder (expected {', '.join(sorted(known))}); ignored")
    if "section.yaml" in bad:
        return None
    by_name = {e.name: e for e in files if e.is_file}
    yaml_entry = by_name.get("section.yaml")
    if yaml_entry is None:
        # Point at a file of the folder when there is one, so that editors can jump there.
        first = next((e for e in files if e.name not in bad), None)
        pos = SourcePos(first.shown, 1, 1) if first else SourcePos(shown_dir)
        diags.error(pos, f"section folder without section.yaml: {shown_dir}/ needs one "
                         "(id, order and title), or move this file into a section folder")
        return None
    text = read_text(yaml_entry.path, diags, yaml_entry.shown)
    data = load_yaml(text, yaml_entry.shown, _section_schema(langs), diags) if text is not None else None
    if data is None or data.get("id") is None or data.get("order") is None or data.get("title") is None:
        return None
    slug = data.get("slug") or data["id"]
    if slug in RESERVED_SLUGS:
        diags.error(pos_of(data, "slug" if "slug" in data else "id"), f"'{slug}' is reserved for a page of the site")
    bodies: dict[str, Body] = {}
    for lang in langs:
        name = f"body.{lang}.md"
        if name in bad:
            continue
        body_entry = by_name.get(name)
        if body_entry is None:
            diags.error(pos_of(data, "id"), f"section '{data['id']}' has no {lang} text "
                                            f"({shown_dir}/{name} is missing)")
            continue
        body = load_body(body_entry.path, lang, diags, body_entry.shown)
        if body is not None:
            bodies[lang] = body
    return Section(
        id=data["id"], slug=slug, label=data.get("label"), order=data["order"], title=clean(data["title"]),
        depth=depth, parent=parent, children=(), dir=folder.path, yaml_path=yaml_entry.shown, pos=data,
        bodies=bodies,
    )


def load_body(path: Path, lang: str, diags: Diagnostics, shown: str | None = None) -> Body | None:
    shown = shown or display_path(path)
    text = read_text(path, diags, shown)
    if text is None:
        return None
    fm = split_front_matter(text, shown, diags)
    if fm is None:
        return None
    meta = load_yaml(fm.yaml_text, shown, _front_matter_schema(), diags) if fm.yaml_text.strip() else None
    if meta is None:
        if not fm.yaml_text.strip():
            diags.error(SourcePos(shown, 1, 1), "front matter is empty: it needs a description")
        return None
    if meta.get("description") is None:
        return None
    return Body(lang=lang, path=shown, description=meta["description"], text=fm.body)


def load_charts(content_dir: Path) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The languages and the valid chart specs, for a process that only draws charts.

    Its diagnostics are dropped: the build's own load reports the same problems.
    """
    content_dir = content_dir.resolve()
    quiet = Diagnostics()
    report = _load_report(content_dir / "report.yaml", quiet)
    if report is None:
        return (), {}
    return report.languages, _load_charts(content_dir / "charts", report.languages, quiet)


def _load_charts(chart_dir: Path, langs: tuple[str, ...], diags: Diagnostics) -> dict[str, Any]:
    from . import charts  # the charts stage's loader; its renderer stays unimported

    specs: dict[str, Any] = {}
    if not chart_dir.is_dir():
        return specs
    for entry in _list(chart_dir, display_path(chart_dir), diags) or []:
        path = entry.path
        if not _check_entry(entry, chart_dir.parent, diags):
            continue
        if path.suffix != ".yaml":
            diags.warning(SourcePos(display_path(path)), "only .yaml files belong in charts/; ignored")
            continue
        spec = charts.load_chart(path, langs, diags)
        if spec is None:
            continue
        if spec.id in specs:
            diags.error(SourcePos(display_path(path), 1, 1), f"chart id '{spec.id}' is also used by {specs[spec.id].path}")
            continue
        if spec.id != path.stem:
            diags.error(SourcePos(display_path(path), 1, 1), f"chart id '{spec.id}' differs from its file name")
        specs[spec.id] = spec
    return specs


def _load_glossary(path: Path, diags: Diagnostics) -> tuple[GlossaryTerm, ...]:
    if not path.is_file():
        return ()
    shown = display_path(path)
    text = read_text(path, diags)
    data = load_yaml(text, shown, _glossary_schema(), diags) if text is not None else None
    if not data or not data.get("terms"):
        return ()
    terms = []
    for i, term in enumerate(data["terms"]):
        if not term or term.get("zh") is None or term.get("en") is None:
            continue
        terms.append(GlossaryTerm(term["zh"], term["en"], bool(term.get("check")), pos_of(term)))
    return tuple(terms)
