"""The generator as a product: `reportsite new` makes a report that checks and builds, and the
package installs with pip into a fresh virtual environment and works from there.

The scaffold tests run the command line in this process for several language sets (a
right-to-left source, three languages, a Chinese source). The installation test is the
issue's own recipe, run as a newcomer would: `pip install <checkout>` in a new venv (pip
fetches the dependencies from the package index, or its cache), then in an empty folder
elsewhere `reportsite new myreport --languages fr,en && cd myreport && reportsite check
--strict && reportsite build`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from htmldom import parse_file

from reportsite import cli

ROOT = Path(__file__).resolve().parent.parent


def pages_of(site: Path) -> dict[str, Path]:
    return {"/" + str(p.relative_to(site)): p for p in site.rglob("*.html")}


def assert_languages_published(site: Path, tags: list[str], dirs: dict[str, str]) -> None:
    """Each language's pages carry its lang and dir, and name every language's version of themselves."""
    pages = pages_of(site)
    for tag in tags:
        home = pages.get(f"/{tag}/index.html")
        assert home is not None, f"no /{tag}/ in {sorted(pages)[:20]}"
        doc = parse_file(home)
        html = doc.find("html")
        assert html.get("lang", "").split("-")[0] == tag
        assert html.get("dir") == dirs.get(tag, "ltr")
        alternates = {
            link.get("hreflang", "").split("-")[0]
            for link in doc.find_all("link")
            if link.get("rel") == "alternate" and link.get("hreflang") not in (None, "x-default")
        }
        assert alternates == set(tags), f"/{tag}/: hreflang {alternates}"
        sections = [p for p in pages if p.startswith(f"/{tag}/") and p.count("/") == 3]
        assert len(sections) >= 2, f"/{tag}/: the scaffold's two sections, got {sections}"


@pytest.mark.parametrize(
    "languages, dirs",
    [("fr,en", {}), ("ar,en", {"ar": "rtl"}), ("zh,en,ru", {})],
)
def test_a_new_report_checks_clean_and_builds(tmp_path: Path, capfd, languages: str, dirs: dict[str, str]) -> None:
    folder = tmp_path / "myreport"
    assert cli.main(["new", str(folder), "--languages", languages, "--title", "Annual report"], root=tmp_path) == 0
    out, _ = capfd.readouterr()
    assert "check --strict" in out
    # The theme stays in the package: the project has content, its README and deployment, not a copy of it.
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", "README.md", "content", "netlify.toml",
                                                          "requirements.txt"]
    assert cli.main(["check", "--strict"], root=folder) == 0, capfd.readouterr()
    assert cli.main(["build", "--no-search"], root=folder) == 0, capfd.readouterr()
    tags = languages.split(",")
    assert_languages_published(folder / "site", tags, dirs)
    # The source's PDF and one per pair, from the theme's Typst template.
    assert (folder / "site" / tags[0]).glob("*.pdf")
    assert list((folder / "site").rglob("*.pdf")), "no PDF"


def test_a_new_report_refuses_a_folder_in_use_and_an_unknown_language(tmp_path: Path, capfd) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    assert cli.main(["new", str(tmp_path / "used")], root=tmp_path) == 2
    assert "exists and is not empty" in capfd.readouterr().err
    assert (tmp_path / "used" / "notes.txt").read_text() == "mine"
    assert cli.main(["new", str(tmp_path / "x"), "--languages", "fr,xx-notalanguage"], root=tmp_path) == 2
    assert "--languages" in capfd.readouterr().err
    assert not (tmp_path / "x").exists()


def test_pip_install_in_a_fresh_venv_then_new_check_build(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # The versions this repository is tested with (the lock without its hashes, which pip refuses in a
    # constraints file): a new release on the index must not change what this test installs.
    constraints = tmp_path / "constraints.txt"
    pins = re.findall(r"^([A-Za-z0-9_.-]+==[^\s\\]+)", (ROOT / "requirements.txt").read_text("utf-8"), re.M)
    constraints.write_text("\n".join(pins) + "\n")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--constraint", str(constraints), str(ROOT)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = "reportsite new myreport --languages fr,en && cd myreport && reportsite check --strict && reportsite build"
    run = subprocess.run(["sh", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    # The command is the installed one, and its theme is the installed package's, not this checkout's.
    where = subprocess.run([str(bin_dir / "python"), "-c", "import reportsite.project as p; print(p.THEME)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(env_dir)), where
    assert_languages_published(work / "myreport" / "site", ["fr", "en"], {})
    version = subprocess.run([str(bin_dir / "reportsite"), "--version"], cwd=work, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert version.split()[-1] == __import__("reportsite").__version__
    assert sys.prefix not in where


# ---------------------------------------------------------------- netlify.toml against report.yaml


@pytest.fixture
def new_report(tmp_path: Path, capfd) -> Path:
    folder = tmp_path / "report"
    assert cli.main(["new", str(folder), "--languages", "fr,en"], root=tmp_path) == 0
    capfd.readouterr()
    return folder


def check_lines(folder: Path, capfd) -> tuple[int, list[str]]:
    code = cli.main(["check", "--strict"], root=folder)
    out, err = capfd.readouterr()
    return code, [line for line in (out + err).splitlines() if "netlify.toml" in line]


def test_netlify_redirects_must_cover_every_language(new_report: Path, capfd) -> None:
    toml = new_report / "netlify.toml"
    text = toml.read_text("utf-8")
    rule = '[[redirects]]\n  from = "/"\n  to = "/en/"\n  status = 302\n  force = true\n  conditions = { Language = ["en"] }\n'
    assert rule in text
    toml.write_text(text.replace(rule, ""), "utf-8")
    code, lines = check_lines(new_report, capfd)
    assert code == 1
    first = toml.read_text("utf-8").splitlines().index("[[redirects]]") + 1
    assert lines == [
        f"netlify.toml:{first}:1: warning: no [[redirects]] rule sends readers whose browser asks for English (en) "
        'to /en/: add one with to = "/en/" and conditions = { Language = ["en"] }'
    ]


def test_netlify_redirects_to_a_language_the_report_lacks(new_report: Path, capfd) -> None:
    toml = new_report / "netlify.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[[redirects]]\n  from = "/"\n  to = "/de/"\n  status = 302\n'
                    '  force = true\n  conditions = { Language = ["de"] }\n', "utf-8")
    code, lines = check_lines(new_report, capfd)
    line = toml.read_text("utf-8").splitlines().index('  to = "/de/"') + 1
    assert code == 1 and lines == [
        f"netlify.toml:{line}:1: warning: this rule sends readers to /de/, which the report does not have "
        "(its languages: fr, en)"
    ]


def test_a_broken_netlify_toml_is_an_error_at_its_line(new_report: Path, capfd) -> None:
    toml = new_report / "netlify.toml"
    toml.write_text(toml.read_text("utf-8").replace('publish = "site"', 'publish = "site'), "utf-8")
    code, lines = check_lines(new_report, capfd)
    line = toml.read_text("utf-8").splitlines().index('  publish = "site') + 1
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(f"netlify.toml:{line}:") and "error: not valid TOML" in lines[0]
