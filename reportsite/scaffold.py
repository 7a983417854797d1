"""`reportsite new DIR`: a small, valid report to start from.

Input: a folder that does not exist yet (or is empty), the report's
languages (source first) and its title. Output: a project with
content/report.yaml, two sections in every language, one chart, the
translation lock, interface strings only for a language the theme lacks, a
netlify.toml whose language redirects match report.yaml, and a README for
its editors. The theme is not copied: the project overrides it file by file
when it needs to (templates/ and assets/ beside content/).

The sample text exists in the six UN languages; a report in another
language gets the English text to translate, and the theme's English
interface strings in content/ui/<tag>.yaml to translate likewise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostics
from .languages import Language, LanguageError, language
from .project import THEME

SAMPLE: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Annual report",
        "intro": "Introduction",
        "results": "Results",
        "p1": "The present report describes the work of the organization in 2025.",
        "p2": "It was prepared by the secretariat and reviewed by the Executive Board.",
        "p3": "In 2025, the organization supported 48 cities in 12 countries.",
        "p4": "Its income rose from $4.2 million in 2024 to $5.1 million in 2025.",
        "chart": "Income",
        "unit": "millions of United States dollars",
        "income": "Income",
        "cats": ["2024", "2025"],
        "alt": "Bar chart of income in 2024 and 2025.",
        "caption": "Income rose by about a fifth.",
        "desc": "Income was 4.2 million in 2024 and 5.1 million in 2025.",
        "about": "About this report and how it was prepared.",
        "about2": "What the organization achieved in 2025.",
    },
    "fr": {
        "title": "Rapport annuel",
        "intro": "Introduction",
        "results": "Résultats",
        "p1": "Le présent rapport décrit les travaux de l’organisation en 2025.",
        "p2": "Il a été établi par le secrétariat et examiné par le Conseil d’administration.",
        "p3": "En 2025, l’organisation a appuyé 48 villes dans 12 pays.",
        "p4": "Ses recettes sont passées de 4,2 millions de dollars en 2024 à 5,1 millions de dollars en 2025.",
        "chart": "Recettes",
        "unit": "millions de dollars des États-Unis",
        "income": "Recettes",
        "cats": ["2024", "2025"],
        "alt": "Graphique à barres des recettes en 2024 et 2025.",
        "caption": "Les recettes ont augmenté d’environ un cinquième.",
        "desc": "Les recettes s’élevaient à 4,2 millions en 2024 et à 5,1 millions en 2025.",
        "about": "Objet du rapport et méthode d’établissement.",
        "about2": "Résultats obtenus par l’organisation en 2025.",
    },
    "es": {
        "title": "Informe anual",
        "intro": "Introducción",
        "results": "Resultados",
        "p1": "En el presente informe se describe la labor de la organización en 2025.",
        "p2": "Fue preparado por la secretaría y examinado por la Junta Ejecutiva.",
        "p3": "En 2025, la organización prestó apoyo a 48 ciudades de 12 países.",
        "p4": "Sus ingresos pasaron de 4,2 millones de dólares en 2024 a 5,1 millones de dólares en 2025.",
        "chart": "Ingresos",
        "unit": "millones de dólares de los Estados Unidos",
        "income": "Ingresos",
        "cats": ["2024", "2025"],
        "alt": "Gráfico de barras de los ingresos en 2024 y 2025.",
        "caption": "Los ingresos aumentaron aproximadamente una quinta parte.",
        "desc": "Los ingresos fueron de 4,2 millones en 2024 y de 5,1 millones en 2025.",
        "about": "Objeto del informe y modo en que se preparó.",
        "about2": "Lo que logró la organización en 2025.",
    },
    "ru": {
        "title": "Годовой доклад",
        "intro": "Введение",
        "results": "Результаты",
        "p1": "В настоящем докладе описывается работа организации в 2025 году.",
        "p2": "Он подготовлен секретариатом и рассмотрен Исполнительным советом.",
        "p3": "В 2025 году организация оказала поддержку 48 городам в 12 странах.",
        "p4": "Ее поступления выросли с 4,2 млн долл. США в 2024 году до 5,1 млн долл. США в 2025 году.",
        "chart": "Поступления",
        "unit": "млн долл. США",
        "income": "Поступления",
        "cats": ["2024", "2025"],
        "alt": "Столбчатая диаграмма поступлений в 2024 и 2025 годах.",
        "caption": "Поступления выросли примерно на пятую часть.",
        "desc": "Поступления составили 4,2 млн в 2024 году и 5,1 млн в 2025 году.",
        "about": "О докладе и порядке его подготовки.",
        "about2": "Чего организация достигла в 2025 году.",
    },
    "ar": {
        "title": "التقرير السنوي",
        "intro": "مقدمة",
        "results": "النتائج",
        "p1": "يصف هذا التقرير أعمال المنظمة في عام 2025.",
        "p2": "وقد أعدته الأمانة واستعرضه المجلس التنفيذي.",
        "p3": "وفي عام 2025، دعمت المنظمة 48 مدينة في 12 بلدا.",
        "p4": "وارتفعت إيراداتها من 4.2 مليون دولار في عام 2024 إلى 5.1 مليون دولار في عام 2025.",
        "chart": "الإيرادات",
        "unit": "ملايين دولارات الولايات المتحدة",
        "income": "الإيرادات",
        "cats": ["2024", "2025"],
        "alt": "رسم بياني بالأعمدة للإيرادات في عامي 2024 و2025.",
        "caption": "ارتفعت الإيرادات بنحو الخُمس.",
        "desc": "بلغت الإيرادات 4.2 مليون في عام 2024 و5.1 مليون في عام 2025.",
        "about": "الغرض من التقرير وطريقة إعداده.",
        "about2": "ما حققته المنظمة في عام 2025.",
    },
    "zh": {
        "title": "年度报告",
        "intro": "导言",
        "results": "成果",
        "p1": "本报告介绍本组织 2025 年的工作。",
        "p2": "本报告由秘书处编写，并经执行局审议。",
        "p3": "2025 年，本组织为 12 个国家的 48 座城市提供了支持。",
        "p4": "本组织的收入从 2024 年的 420 万美元增至 2025 年的 510 万美元。",
        "chart": "收入",
        "unit": "百万美元",
        "income": "收入",
        "cats": ["2024", "2025"],
        "alt": "2024 年和 2025 年收入柱状图。",
        "caption": "收入增长约五分之一。",
        "desc": "2024 年收入为 420 万美元，2025 年为 510 万美元。",
        "about": "本报告的目的和编写方式。",
        "about2": "本组织 2025 年取得的成果。",
    },
}


def _sample(lang: Language) -> dict[str, Any]:
    return SAMPLE.get(lang.tag) or SAMPLE.get(lang.search) or SAMPLE["en"]


def _per_lang(langs: list[Language], key: str, title: str | None = None) -> dict[str, object]:
    return {lang.tag: (title if title and lang == langs[0] else _sample(lang)[key]) for lang in langs}


def _dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def write_project(folder: Path, langs: list[Language], title: str | None) -> None:
    content = folder / "content"
    (content / "charts").mkdir(parents=True)
    report = {
        "id": "annual-report",
        "languages": [lang.tag for lang in langs],
        "base_url": "https://example.org",
        "labels": "decimal",
        "numbered_paragraphs": True,
        "site": {"name": _per_lang(langs, "title", title)},
        "cover": {"title": _per_lang(langs, "title", title)},
        "summary": {lang.tag: f"{_sample(lang)['p1']} {_sample(lang)['p3']}" for lang in langs},
        "citation": {"author": {lang.tag: "Example Organization" for lang in langs}, "issued": "2026"},
    }
    (content / "report.yaml").write_text(
        "# The report: its languages (the source first), its address, its cover and how it is cited.\n"
        "# Change base_url to the address where the site will be published.\n" + _dump(report),
        "utf-8",
    )
    sections = [
        ("01-introduction", "introduction", "1", "intro", "about", ["p1", "p2"], 1),
        ("02-results", "results", "2", "results", "about2", ["p3", "p4"], 3),
    ]
    for folder_name, sid, label, title_key, desc_key, paras, first in sections:
        path = content / "sections" / folder_name
        path.mkdir(parents=True)
        (path / "section.yaml").write_text(
            _dump({"id": sid, "label": label, "order": int(label), "title": _per_lang(langs, title_key)}), "utf-8"
        )
        for lang in langs:
            text = _sample(lang)
            body = [f"{first + i}. {text[key]}" for i, key in enumerate(paras)]
            if sid == "results":
                body.append("```chart\nincome\n```")
            (path / f"body.{lang.tag}.md").write_text(
                "---\ndescription: "
                + json.dumps(text[desc_key], ensure_ascii=False)
                + "\n---\n\n"
                + "\n\n".join(body)
                + "\n",
                "utf-8",
            )
    chart = {
        "id": "income",
        "type": "bar",
        "unit": _per_lang(langs, "unit"),
        "title": _per_lang(langs, "chart"),
        "caption": _per_lang(langs, "caption"),
        "alt": _per_lang(langs, "alt"),
        "description": _per_lang(langs, "desc"),
        "categories": _per_lang(langs, "cats"),
        "series": [
            {
                "id": "income",
                "label": _per_lang(langs, "income"),
                "points": [{"value": 4.2, "source": "para-4"}, {"value": 5.1, "source": "para-4"}],
            }
        ],
    }
    (content / "charts" / "income.yaml").write_text(_dump(chart), "utf-8")
    reference = yaml.safe_load((THEME / "templates" / "i18n" / "en.yaml").read_text("utf-8"))
    for lang in langs:
        if (
            not (THEME / "templates" / "i18n" / f"{lang.tag}.yaml").is_file()
            and not (THEME / "templates" / "i18n" / f"{lang.search}.yaml").is_file()
        ):
            (content / "ui").mkdir(exist_ok=True)
            (content / "ui" / f"{lang.tag}.yaml").write_text(
                f"# Interface strings for {lang.name}: the theme has none in this language.\n"
                "# These are the English ones: translate each value, keep the {placeholders}.\n" + _dump(reference),
                "utf-8",
            )
    (folder / "netlify.toml").write_text(netlify_toml(langs), "utf-8")
    (folder / "requirements.txt").write_text(requirements(), "utf-8")
    (folder / ".gitignore").write_text("/site/\n/.cache/\n", "utf-8")
    (folder / "README.md").write_text(readme(langs), "utf-8")


def requirements() -> str:
    """What Netlify (and a newcomer) installs: this version of the generator, so that the site a
    commit builds does not change under it when a new one is released."""
    from . import __version__

    return (
        "# The generator this report is built with. Netlify installs this file before the build.\n"
        "# It comes from the package index pip uses (PIP_INDEX_URL or PIP_EXTRA_INDEX_URL for your\n"
        "# organisation's own); a git URL works too: reportsite @ git+https://host/reportsite@v1.0.0\n"
        f"reportsite=={__version__}\n"
    )


def netlify_toml(langs: list[Language]) -> str:
    """Build and publish, the theme's security headers, and redirects for exactly these languages."""
    csp = (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    out = [
        "# Netlify builds the site with reportsite and publishes site/.",
        "[build]",
        '  command = "reportsite build"  # after Netlify has installed requirements.txt',
        '  publish = "site"',
        "",
        "[build.environment]",
        '  PYTHON_VERSION = "3.11"  # the generator needs 3.11 or later',
        "",
        "[[headers]]",
        '  for = "/*"',
        "  [headers.values]",
        f'    Content-Security-Policy = "{csp}"',
        '    X-Content-Type-Options = "nosniff"',
        '    Referrer-Policy = "strict-origin-when-cross-origin"',
        "",
        "# Readers go to the language their browser asks for; others get the landing page.",
    ]
    for lang in langs:
        out += [
            "[[redirects]]",
            '  from = "/"',
            f'  to = "/{lang.path}/"',
            "  status = 302",
            "  force = true",
            f'  conditions = {{ Language = ["{lang.search}"] }}',
            "",
        ]
    for lang in langs:
        out += ["[[redirects]]", f'  from = "/{lang.path}/*"', f'  to = "/{lang.path}/404.html"', "  status = 404", ""]
    return "\n".join(out)


def readme(langs: list[Language]) -> str:
    names = ", ".join(f"{lang.name} ({lang.tag})" for lang in langs)
    return f"""# The report's sources

Languages: {names}; the first is the source, the others are translations of it.

```
content/report.yaml          the report: languages, cover, citation
content/sections/NN-name/    one folder per section: section.yaml (id, label, order, title)
                             and body.<language>.md (its text in each language)
content/charts/<id>.yaml     a chart's data, with its texts in each language
content/translations.lock    which translation was checked against which source text
```

Write numbered paragraphs as `1. text`, footnotes as `[^1]` (defined below the text as
`[^1]: the note`), links to a paragraph as `[paragraph 3](#para-3)` and a chart as a block:

    ```chart
    income
    ```

Commands (run them in this folder):

```
reportsite check --strict     every problem, as file:line:col; nothing is written
reportsite serve              a preview at http://127.0.0.1:8000/ that follows your edits
reportsite build              the site, into site/
reportsite status             which translations are missing or stale
reportsite confirm para-3     after reviewing a paragraph's translation
```

To change the look, copy a file of the theme into templates/ or assets/ beside content/:
yours is used instead of the theme's.
"""


def run(args: argparse.Namespace, prog: str) -> int:
    if len(args.args) != 1:
        print(f"{prog} new: name the folder to create: {prog} new myreport", file=sys.stderr)
        return 2
    folder = Path(args.args[0])
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        print(f"{prog} new: {folder} exists and is not empty", file=sys.stderr)
        return 2
    tags = [t.strip() for t in (args.languages or "en").split(",") if t.strip()]
    langs = []
    for tag in tags:
        try:
            langs.append(language(tag))
        except LanguageError as exc:
            print(f"{prog} new: --languages: {exc}", file=sys.stderr)
            return 2
    if len({lang.tag for lang in langs}) != len(langs):
        print(f"{prog} new: --languages: a language is listed twice", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    write_project(folder, langs, args.title)
    if len(langs) > 1:
        _confirm_all(folder)
    print(
        f"a new report in {folder}/ ({', '.join(lang.tag for lang in langs)}); next:\n"
        f"  cd {folder} && {prog} check --strict && {prog} serve"
    )
    return 0


def _confirm_all(folder: Path) -> None:
    """The sample's translations are translations of its source: confirmed, so that check is clean."""
    from . import status
    from .errors import set_root
    from .pipeline import Timer, load_and_check
    from .project import make

    set_root(folder)
    diags = Diagnostics()
    checked = load_and_check(make(folder), diags, Timer({}))
    if checked is not None:
        lock, _ = status.confirm(checked.site, {}, "all")
        status.write_lock(status.lock_path(folder / "content"), lock)
