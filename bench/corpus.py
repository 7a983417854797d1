"""Benchmark corpus: the real report scaled N times, in the project's own format.

Copy k of every chapter gets its own ids, slugs, labels, chart ids and
footnote markers, and paragraph numbers continue (copy k's paragraph n is
(k-1)*92 + n), so the scaled report is valid content: `check` passes on it.

    python bench/corpus.py N DEST
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
sys.path.insert(0, str(ROOT))

from reportsite.labels import upper_roman  # noqa: E402


def _rewrite_body(text: str, offset: int, k: int, chart_ids: list[str]) -> str:
    text = re.sub(r"(?m)^(\d+)\. ", lambda m: f"{int(m.group(1)) + offset}. ", text)
    text = re.sub(r"\[\^(\w+)\]", lambda m: f"[^{m.group(1)}-c{k}]", text)
    for cid in chart_ids:
        text = text.replace(f"```chart\n{cid}\n```", f"```chart\n{cid}-c{k}\n```")
    return text


def _rewrite_yaml(text: str, k: int, chapter_index: int, chapters: int) -> str:
    def label(m: re.Match[str]) -> str:
        parts = m.group(1).split(".")
        parts[0] = upper_roman((k - 1) * chapters + chapter_index)
        return f'label: "{".".join(parts)}"'

    text = re.sub(r'^label: "([^"]+)"', label, text, flags=re.M)
    return re.sub(r"^id: (\S+)", lambda m: f"id: {m.group(1)}-c{k}", text, flags=re.M)


def make_corpus(n: int, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(CONTENT, dest, ignore=shutil.ignore_patterns("sections", "charts", "translations.lock"))
    (dest / "sections").mkdir()
    (dest / "charts").mkdir()
    chapters = sorted(p for p in (CONTENT / "sections").iterdir() if p.is_dir())
    chart_ids = sorted(p.stem for p in (CONTENT / "charts").glob("*.yaml"))
    for k in range(1, n + 1):
        offset = (k - 1) * 92
        for index, chapter in enumerate(chapters, 1):
            target = dest / "sections" / f"{(k - 1) * len(chapters) + index:04d}-{chapter.name[3:]}-c{k}"
            for src in sorted(chapter.rglob("*")):
                rel = src.relative_to(chapter)
                out = target / rel
                if src.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                text = src.read_text(encoding="utf-8")
                if src.name == "section.yaml":
                    text = _rewrite_yaml(text, k, index, len(chapters))
                    if src.parent == chapter:
                        text = re.sub(r"^order: \d+", f"order: {(k - 1) * len(chapters) + index}", text, flags=re.M)
                elif src.suffix == ".md":
                    text = _rewrite_body(text, offset, k, chart_ids)
                out.write_text(text, encoding="utf-8")
        for cid in chart_ids:
            text = (CONTENT / "charts" / f"{cid}.yaml").read_text(encoding="utf-8")
            text = re.sub(r"^id: (\S+)", rf"id: \1-c{k}", text, flags=re.M)
            text = re.sub(r"para-(\d+)", lambda m, offset=offset: f"para-{int(m.group(1)) + offset}", text)
            (dest / "charts" / f"{cid}-c{k}.yaml").write_text(text, encoding="utf-8")
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python bench/corpus.py N DEST")
    print(make_corpus(int(sys.argv[1]), Path(sys.argv[2])))
