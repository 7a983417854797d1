"""The floor: the minimal Python pipeline the issue names, on the same corpus.

For every Markdown body: read it, parse its front matter (PyYAML with
libyaml), render it with markdown-it-py's default preset, put it in one
trivial Jinja template, write it. One process, no validation, no
navigation: the least work any Python generator must do.

    python bench/floor.py CONTENT OUT
"""
from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import yaml
from markdown_it import MarkdownIt

TEMPLATE = jinja2.Template(
    "<!doctype html><html><head><title>{{ title }}</title></head><body>{{ body }}</body></html>", autoescape=True)


def main(content: Path, out: Path) -> int:
    md = MarkdownIt()
    pages = 0
    for path in sorted(content.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.load(front, Loader=yaml.CSafeLoader)
        html = TEMPLATE.render(title=meta["description"], body=jinja2.utils.markupsafe.Markup(md.render(body)))
        target = out / path.relative_to(content).with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        pages += 1
    return pages


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/floor.py CONTENT OUT")
    print(main(Path(sys.argv[1]), Path(sys.argv[2])))
