#!/usr/bin/env python3
"""Regenerate reportsite/data/cldr-delimiters.json from CLDR's JSON data.

Babel carries CLDR's numbers, dates and units but not its quotation marks
(the `delimiters` of each locale). This script takes them from the official
CLDR JSON package, unchanged:

    npm pack cldr-misc-full@48.2.0 && tar xzf cldr-misc-full-48.2.0.tgz
    python tools/cldr_delimiters.py package/main > reportsite/data/cldr-delimiters.json

Output: {"version": ..., "locales": {locale: [start, end, alt_start, alt_end]}}.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(folder: str) -> None:
    root = Path(folder)
    version = json.loads((root.parent / "package.json").read_text("utf-8"))["version"]
    out: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/delimiters.json")):
        data = json.loads(path.read_text("utf-8"))["main"]
        (locale, entry), = data.items()
        d = entry["delimiters"]
        out[locale.replace("-", "_")] = [d["quotationStart"], d["quotationEnd"],
                                         d["alternateQuotationStart"], d["alternateQuotationEnd"]]
    json.dump({"source": f"cldr-misc-full {version} (Unicode CLDR, Unicode License v3)", "locales": out},
              sys.stdout, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
