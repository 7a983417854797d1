#!/usr/bin/env python3
"""Regenerate tests/schemas/schemaorg-vocabulary.json from a schema.org release.

The tests check the site's JSON-LD against the schema.org vocabulary: every
@type is a schema.org type, every property is a schema.org property whose
domain includes the node's type or one of its supertypes. They need only
names and relations, not the 3 MB of definitions a release carries, so this
script keeps, from the release's two official CSV files
(schemaorg-current-https-types.csv and -properties.csv, in
data/releases/<version>/ of the schemaorg/schemaorg repository):

  types        {type: [its direct supertypes]}            (subTypeOf)
  properties   {property: [the types of its domain]}      (domainIncludes)
  superseded   {term: the term that replaces it}          (supersededBy)
  sections     {term: "pending" | "bib" | "auto" | ...}   for terms outside the core (isPartOf)

Enumeration members (Abdomen, True...) are values, not types, and are left out;
links to other vocabularies (rdfs:Class, Dublin Core) are left out.

From a checkout (or a release folder copied out of one):

    python tools/schemaorg_vocabulary.py schemaorg/data/releases/30.0 > tests/schemas/schemaorg-vocabulary.json

From a bare clone, without a work tree:

    python tools/schemaorg_vocabulary.py --git schemaorg.git 30.0 > tests/schemas/schemaorg-vocabulary.json

The output is deterministic (sorted keys and lists): a new release shows as a
readable diff of added and removed terms.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SCHEMA = "https://schema.org/"
FILES = ("schemaorg-current-https-types.csv", "schemaorg-current-https-properties.csv")


def _names(cell: str) -> list[str]:
    """schema.org terms of a comma-separated CSV cell, without their prefix; other vocabularies dropped."""
    return sorted(part.strip()[len(SCHEMA) :] for part in cell.split(",") if part.strip().startswith(SCHEMA))


def _section(cell: str) -> str:
    """https://pending.schema.org -> pending; "" (the core) -> ""."""
    return cell.strip().removeprefix("https://").removesuffix(".schema.org")


def vocabulary(types_csv: str, properties_csv: str, release: str, date: str) -> dict:
    types: dict[str, list[str]] = {}
    properties: dict[str, list[str]] = {}
    superseded: dict[str, str] = {}
    sections: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(types_csv, newline="")):
        name = row["label"]
        if row["enumerationtype"] and not row["subTypeOf"]:
            continue  # a member of an enumeration, not a type
        types[name] = _names(row["subTypeOf"])
        if row["supersededBy"]:
            superseded[name] = ", ".join(_names(row["supersededBy"]))
        if _section(row["isPartOf"]):
            sections[name] = _section(row["isPartOf"])
    for row in csv.DictReader(io.StringIO(properties_csv, newline="")):
        name = row["label"]
        properties[name] = _names(row["domainIncludes"])
        if row["supersededBy"]:
            superseded[name] = ", ".join(_names(row["supersededBy"]))
        if _section(row["isPartOf"]):
            sections[name] = _section(row["isPartOf"])
    for name, supers in types.items():
        missing = [s for s in supers if s not in types]
        if missing:
            raise SystemExit(f"{name} is a subtype of {missing}, which the types file does not have")
    return {
        "source": (
            f"schema.org {release}"
            + (f" ({date})" if date else "")
            + f", schemaorg/schemaorg data/releases/{release}/{FILES[0]} and {FILES[1]}"
        ),
        "licence": "CC BY-SA 3.0 (schema.org terms of service)",
        "release": release,
        "types": types,
        "properties": properties,
        "superseded": superseded,
        "sections": sections,
    }


def _release_date(versions_json: str | None, release: str) -> str:
    if not versions_json:
        return ""
    return json.loads(versions_json).get("releaseLog", {}).get(release, "")


def main(argv: list[str]) -> None:
    read: Callable[[str], str | None]
    if len(argv) == 3 and argv[0] == "--git":
        git_dir, release = argv[1], argv[2]

        def read(rel: str) -> str | None:
            done = subprocess.run(["git", "--git-dir", git_dir, "show", f"HEAD:{rel}"], capture_output=True)
            return done.stdout.decode("utf-8") if done.returncode == 0 else None

        prefix = f"data/releases/{release}/"
        texts = [read(prefix + name) for name in FILES]
        date = _release_date(read("versions.json"), release)
    elif len(argv) == 1:
        folder = Path(argv[0])
        release = folder.resolve().name
        texts = [(folder / name).read_text("utf-8") if (folder / name).is_file() else None for name in FILES]
        versions = folder.resolve().parent.parent.parent / "versions.json"
        date = _release_date(versions.read_text("utf-8") if versions.is_file() else None, release)
    else:
        raise SystemExit(__doc__)
    if texts[0] is None or texts[1] is None:
        raise SystemExit(f"release {release}: {FILES[0]} or {FILES[1]} not found")
    sys.stdout.write(dumps(vocabulary(texts[0], texts[1], release, date)))


def dumps(data: dict) -> str:
    """JSON with one term a line, so that a new release reads as a diff of the terms that changed."""

    def value(v: object) -> str:
        return json.dumps(v, ensure_ascii=False, sort_keys=True)

    lines = []
    for key in sorted(data):
        if isinstance(data[key], dict):
            inner = ",\n".join(f"  {value(k)}: {value(data[key][k])}" for k in sorted(data[key]))
            lines.append(f" {value(key)}: {{\n{inner}\n }}")
        else:
            lines.append(f" {value(key)}: {value(data[key])}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    main(sys.argv[1:])
