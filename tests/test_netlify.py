"""The Netlify deployment: netlify.toml checked key by key, its header rules
checked against every file of the built site, then the real Netlify CLI
(pinned in package.json) building and serving a copy of the project offline.

Netlify's own parsers accept unknown keys silently, so a typo such as
`comand` or `[[header]]` would deploy without its effect. The validator here
only knows the keys this project may use and says what it does not know.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from htmldom import parse

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "netlify.toml"
NETLIFY_BIN = ROOT / "node_modules" / ".bin" / "netlify"

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"

# ------------------------------------------------------------------ validator

# What Netlify's file-based configuration knows (docs "File-based configuration";
# @netlify/config and @netlify/redirect-parser in node_modules).
TOP_LEVEL_KEYS = {"build", "context", "headers", "redirects", "plugins", "functions", "edge_functions", "dev", "images"}
BUILD_KEYS = {"base", "publish", "command", "functions", "edge_functions", "ignore", "environment", "processing"}
BUILD_STRING_KEYS = {"base", "publish", "command", "functions", "edge_functions", "ignore"}
CONTEXT_KEYS = BUILD_KEYS | {"plugins"}
HEADER_RULE_KEYS = {"for", "values"}
REDIRECT_KEYS = {"from", "to", "status", "force", "conditions", "query", "headers", "signed"}
CONDITION_KEYS = {"Language", "Country", "Role"}
STATUSES = {200, 301, 302, 303, 307, 308, 404, 410, 451}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _unknown(table: dict, allowed: set[str], where: str) -> list[str]:
    return [f"{where}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})"
            for key in table if key not in allowed]


def _string_map(value, where: str, key_pattern: re.Pattern[str] | None = None) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: must be a table"]
    problems = []
    for key, val in value.items():
        if key_pattern is not None and not key_pattern.fullmatch(key):
            problems.append(f"{where}.{key}: not a valid name")
        if not isinstance(val, str):
            problems.append(f"{where}.{key}: must be a string, not {type(val).__name__} {val!r}")
    return problems


def _build_table(table, where: str, allowed: set[str]) -> list[str]:
    if not isinstance(table, dict):
        return [f"{where}: must be a table"]
    problems = _unknown(table, allowed, where)
    for key in BUILD_STRING_KEYS & table.keys():
        if not isinstance(table[key], str):
            problems.append(f"{where}.{key}: must be a string")
    if "environment" in table:
        problems += _string_map(table["environment"], f"{where}.environment", ENV_NAME)
    return problems


def _rules(config: dict, key: str, problems: list[str]):
    """(where, table) for each [[key]] rule; shape problems go to `problems`."""
    rules = config.get(key, [])
    if not isinstance(rules, list):
        problems.append(f"{key}: must be an array of tables ([[{key}]])")
        return
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            problems.append(f"{key}[{i}]: must be a table")
            continue
        yield f"{key}[{i}]", rule


def validate_config(config: dict) -> list[str]:
    """Every problem in a parsed netlify.toml, as 'path: message'; [] when all is known and well-formed."""
    problems = _unknown(config, TOP_LEVEL_KEYS, "netlify.toml").copy()
    if "build" in config:
        problems += _build_table(config["build"], "build", BUILD_KEYS)
    contexts = config.get("context", {})
    if not isinstance(contexts, dict):
        problems.append("context: must be a table")
        contexts = {}
    for name, table in contexts.items():
        where = f"context.{name}"
        if isinstance(table, dict):
            for key in ("headers", "redirects"):
                if key in table:
                    problems.append(f"{where}.{key}: not supported: [[headers]] and [[redirects]] are global in "
                                    "netlify.toml; write _headers or _redirects into the publish directory instead")
            table = {k: v for k, v in table.items() if k not in ("headers", "redirects")}
        problems += _build_table(table, where, CONTEXT_KEYS)
    for where, rule in _rules(config, "headers", problems):
        problems += _unknown(rule, HEADER_RULE_KEYS, where)
        if not isinstance(rule.get("for"), str) or not rule["for"].startswith("/"):
            problems.append(f"{where}.for: missing, or not a path starting with /")
        if "values" not in rule:
            problems.append(f"{where}.values: missing")
        else:
            problems += _string_map(rule["values"], f"{where}.values", HEADER_NAME)
    for where, rule in _rules(config, "redirects", problems):
        problems += _unknown(rule, REDIRECT_KEYS, where)
        for key in ("from", "to"):
            if not isinstance(rule.get(key), str) or not rule[key]:
                problems.append(f"{where}.{key}: missing")
        status = rule.get("status", 301)
        if isinstance(status, bool) or status not in STATUSES:
            problems.append(f"{where}.status: {status!r} is not one of {sorted(STATUSES)}")
        if "force" in rule and not isinstance(rule["force"], bool):
            problems.append(f"{where}.force: must be true or false")
        conditions = rule.get("conditions", {})
        if not isinstance(conditions, dict):
            problems.append(f"{where}.conditions: must be a table")
        else:
            problems += _unknown(conditions, CONDITION_KEYS, f"{where}.conditions")
            for key, values in conditions.items():
                if not (isinstance(values, list) and values and all(isinstance(v, str) and v for v in values)):
                    problems.append(f"{where}.conditions.{key}: must be a non-empty list of strings")
        for key in ("query", "headers"):
            if key in rule:
                problems += _string_map(rule[key], f"{where}.{key}")
        if "signed" in rule and not isinstance(rule["signed"], str):
            problems.append(f"{where}.signed: must be the name of an environment variable")
    return problems


def load_config() -> dict:
    with CONFIG.open("rb") as f:
        return tomllib.load(f)


def for_regexp(for_path: str) -> re.Pattern[str]:
    """A header rule's `for` as Netlify matches it: a port of @netlify/headers-parser's for_regexp.js
    (the integration test below checks this port against the CLI's own code)."""
    def part(p: str) -> str:
        if p.startswith(":"):
            return "([^/]+)"
        if p == "*":
            return "?(.*)"
        if "*" in p:
            return p.replace("*", "(.*)")  # as upstream: the rest of the part is not escaped
        return re.escape(p)
    parts = [p.rstrip() for p in for_path.split("/")]
    return re.compile("^/" + "/".join(part(p) for p in parts if p) + "/?$", re.IGNORECASE)


def headers_for(config: dict, path: str) -> dict[str, list[str]]:
    """Every value each header gets for a request path, one per matching rule."""
    out: dict[str, list[str]] = {}
    for rule in config.get("headers", []):
        if for_regexp(rule["for"]).match(path):
            for name, value in rule["values"].items():
                out.setdefault(name.lower(), []).append(value)
    return out


def site_paths(site: Path) -> dict[str, Path]:
    """Request path -> published file; a directory's index.html answers at 'dir/' too."""
    paths = {}
    for file in sorted(site.rglob("*")):
        if not file.is_file() or file.name.startswith("."):
            continue
        rel = file.relative_to(site).as_posix()
        paths["/" + rel] = file
        if file.name == "index.html":
            paths["/" + rel[: -len("index.html")]] = file
    return paths


HASHED = [re.compile(r"\.[0-9a-f]{8,}\.[a-z0-9]+$"),  # assets/site.106e884cf2.css, charts/x.en.5fb77bd9.svg
          re.compile(r"_[0-9a-f]{7,}\.pf_(fragment|index|filter|meta)$")]  # pagefind/fragment/en_d42ee6e.pf_fragment


def is_hashed(path: str) -> bool:
    return any(p.search(path.rsplit("/", 1)[-1]) for p in HASHED)


# ------------------------------------------------------------- config tests


def test_netlify_toml_has_only_known_keys_and_valid_rules():
    assert validate_config(load_config()) == []


@pytest.mark.parametrize("toml_text, expected", [
    ('[build]\ncomand = "python build.py"\n', "build.comand: unknown key"),
    ('[[header]]\nfor = "/*"\n', "netlify.toml.header: unknown key"),
    ('[[headers]]\nfor = "/*"\n[headers.values]\nX-Test = 1\n', "headers[0].values.X-Test: must be a string"),
    ('[[headers]]\nvalues = {X-Test = "1"}\n', "headers[0].for: missing"),
    ('[[headers]]\nfor = "/*"\nvalue = {X-Test = "1"}\n', "headers[0].value: unknown key"),
    ('[[redirects]]\nto = "/en/"\n', "redirects[0].from: missing"),
    ('[[redirects]]\nfrom = "/old"\n', "redirects[0].to: missing"),
    ('[[redirects]]\nfrom = "/a"\nto = "/b"\nstatus = 418\n', "redirects[0].status: 418 is not one of"),
    ('[[redirects]]\nfrom = "/a"\nto = "/b"\nstatus = "302"\n', "redirects[0].status: '302' is not one of"),
    ('[[redirects]]\nfrom = "/a"\nto = "/b"\nforce = "yes"\n', "redirects[0].force: must be true or false"),
    ('[[redirects]]\nfrom = "/a"\nto = "/b"\nstatuss = 302\n', "redirects[0].statuss: unknown key"),
    ('[[redirects]]\nfrom = "/"\nto = "/zh/"\nconditions = {Lang = ["zh"]}\n', "redirects[0].conditions.Lang: unknown key"),
    ('[[redirects]]\nfrom = "/"\nto = "/zh/"\nconditions = {Language = "zh"}\n',
     "redirects[0].conditions.Language: must be a non-empty list"),
    ('[build.environment]\nPYTHON_VERSION = 3.10\n', "build.environment.PYTHON_VERSION: must be a string"),
    ('[context.deploy-preview]\ncommand = "x"\npublsh = "site"\n', "context.deploy-preview.publsh: unknown key"),
    ('[[context.deploy-preview.headers]]\nfor = "/*"\n', "context.deploy-preview.headers: not supported"),
])
def test_validator_reports_mistakes(toml_text, expected):
    problems = validate_config(tomllib.loads(toml_text))
    assert any(p.startswith(expected) for p in problems), problems


def test_build_runs_the_readme_build_and_publishes_site():
    build = load_config()["build"]
    assert build["command"] == "python build.py"
    assert build["publish"] == "site"
    assert (ROOT / "requirements.txt").is_file(), "Netlify installs requirements.txt from the repository root"
    assert (ROOT / "build.py").is_file()


def test_python_version_is_the_one_tests_run_on():
    major, minor = sys.version_info[:2]
    assert load_config()["build"]["environment"]["PYTHON_VERSION"] == f"{major}.{minor}"


def test_security_headers_on_every_path():
    values = {rule["for"]: rule["values"] for rule in load_config()["headers"]}
    every = values["/*"]
    assert every["Content-Security-Policy"] == CSP
    hsts = [d.strip() for d in every["Strict-Transport-Security"].split(";")]
    assert hsts == ["max-age=63072000", "includeSubDomains", "preload"]
    assert every["X-Content-Type-Options"] == "nosniff"
    assert every["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = dict(d.strip().split("=", 1) for d in every["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "interest-cohort"):
        assert policy.get(feature) == "()", feature
    assert "Cache-Control" not in every, "a second Cache-Control rule would be joined to it in production"


def test_language_redirects_of_root():
    redirects = load_config()["redirects"]
    root = [r for r in redirects if r["from"] == "/"]
    assert [(r["to"], r["conditions"]["Language"]) for r in root] == [("/zh/", ["zh"]), ("/en/", ["en"])]
    for rule in root:
        assert rule["status"] == 302
        # /index.html exists, and a rule does not shadow an existing file unless forced.
        assert rule["force"] is True
        assert set(rule["conditions"]) == {"Language"}
    first_other = next(i for i, r in enumerate(redirects) if r["from"] != "/")
    assert all(r["from"] != "/" for r in redirects[first_other:]), "root rules come first: first match wins"


def test_language_404_rules_are_not_forced():
    rules = {r["from"]: r for r in load_config()["redirects"]}
    for lang in ("zh", "en"):
        rule = rules[f"/{lang}/*"]
        assert rule["to"] == f"/{lang}/404.html"
        assert rule["status"] == 404
        assert rule.get("force", False) is False, "existing pages must win"


@pytest.mark.parametrize("context", ["deploy-preview", "branch-deploy"])
def test_non_production_deploys_get_noindex(context, tmp_path):
    """[[headers]] cannot be scoped to a context, so these contexts' build writes site/_headers.
    Run the command's tail after the real build and read what it wrote."""
    config = load_config()
    command = config["context"][context]["command"]
    build = config["build"]["command"] + " && "
    assert command.startswith(build)
    (tmp_path / "site").mkdir()
    subprocess.run(["bash", "-c", command[len(build):]], cwd=tmp_path, check=True, timeout=30)
    text = (tmp_path / "site" / "_headers").read_text()
    assert text == "/*\n  X-Robots-Tag: noindex\n"
    assert "production" not in config["context"], "production must stay indexable"


# ------------------------------------------------- rules against the real site


def test_for_regexp_port():
    assert for_regexp("/*").match("/") and for_regexp("/*").match("/en/x/")
    assert for_regexp("/zh/*").match("/zh/") and for_regexp("/zh/*").match("/zh/a/b")
    assert not for_regexp("/zh/*").match("/en/")
    assert for_regexp("/pagefind/pagefind.*.pf_meta").match("/pagefind/pagefind.en_54536a4977.pf_meta")
    assert not for_regexp("/pagefind/pagefind.*.pf_meta").match("/pagefind/pagefind.js")
    assert for_regexp("/").match("/") and not for_regexp("/").match("/en/")


def test_every_published_file_gets_one_right_cache_control(built_site):
    """Hashed files immutable, everything else revalidated, and never two rules for one path:
    production would join both values into one header."""
    config = load_config()
    paths = site_paths(built_site)
    assert any(p.startswith("/pagefind/fragment/") for p in paths), "the real build includes search"
    wrong = {}
    for path in paths:
        got = headers_for(config, path).get("cache-control", [])
        want = [IMMUTABLE if is_hashed(path) else REVALIDATE]
        if got != want:
            wrong[path] = got
    assert not wrong, wrong


def test_no_header_is_set_twice_for_one_path(built_site):
    config = load_config()
    doubled = {path: {k: v for k, v in headers_for(config, path).items() if len(v) > 1}
               for path in site_paths(built_site)}
    assert not {p: d for p, d in doubled.items() if d}


def test_hashed_names_are_the_files_that_change_with_their_bytes(built_site):
    """The HASHED patterns see what the build hashes: assets and charts, and Pagefind's chunks."""
    paths = site_paths(built_site)
    for prefix in ("/assets/", "/charts/", "/pagefind/fragment/", "/pagefind/index/"):
        files = [p for p in paths if p.startswith(prefix)]
        assert files and all(is_hashed(p) for p in files), prefix
    for name in ("/pagefind/pagefind.js", "/pagefind/pagefind-entry.json", "/index.html", "/sitemap.xml"):
        assert name in paths and not is_hashed(name)
    entry = json.loads((built_site / "pagefind" / "pagefind-entry.json").read_text())
    for lang in entry["languages"].values():
        assert f"/pagefind/pagefind.{lang['hash']}.pf_meta" in paths
        assert is_hashed(f"/pagefind/pagefind.{lang['hash']}.pf_meta")


def test_every_header_rule_matches_a_published_file(built_site):
    paths = site_paths(built_site)
    optional = {"/pagefind/filter/*"}  # Pagefind writes filter chunks only when records have filters
    dead = [r["for"] for r in load_config()["headers"]
            if r["for"] not in optional and not any(for_regexp(r["for"]).match(p) for p in paths)]
    assert not dead


def test_redirect_targets_exist(built_site):
    for rule in load_config()["redirects"]:
        target = built_site / rule["to"].lstrip("/")
        if rule["to"].endswith("/"):
            target = target / "index.html"
        assert target.is_file(), rule
    assert (built_site / "index.html").is_file() and (built_site / "404.html").is_file()


def test_language_404_pages_are_in_their_language(built_site):
    for lang, tag in (("zh", "zh-Hans"), ("en", "en")):
        doc = parse((built_site / lang / "404.html").read_text(encoding="utf-8"))
        assert doc.find("html").get("lang") == tag
        robots = doc.find("meta", name="robots")
        assert robots is not None and "noindex" in robots.get("content"), "a 404 page is not for the index"


# ------------------------------------------------- the real Netlify CLI, offline

NETLIFY_TIMEOUT = 240  # seconds, for one `netlify build`
START_TIMEOUT = 90  # seconds, for `netlify dev` to answer
NOT_COPIED = {".git", ".venv", "node_modules", "site", ".pytest_cache", ".hypothesis", ".netlify", "bench"}


def _copy_project(dest: Path) -> Path:
    """A snapshot of the repository to build and serve, so nothing here touches the work tree's site/."""
    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == ROOT
        return {n for n in names if n == "__pycache__" or (top and (n in NOT_COPIED or n.startswith(".site")))}
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    if not NETLIFY_BIN.exists():
        pytest.fail("netlify-cli is not installed: run `npm ci --ignore-scripts` (./run test does)")
    xdg = tmp_path_factory.mktemp("xdg")
    (xdg / "netlify").mkdir()
    # A config of its own: no login, no telemetry, nothing written to the user's ~/.config.
    (xdg / "netlify" / "config.json").write_text(json.dumps({"telemetryDisabled": True}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETLIFY")}
    # Netlify's image puts a Python with requirements.txt installed first on PATH; here that is the
    # interpreter running the tests (the project's .venv).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(XDG_CONFIG_HOME=str(xdg), BROWSER="none", NO_COLOR="1", FORCE_COLOR="0")
    return env


def _netlify_build(project: Path, env: dict[str, str], *args: str) -> str:
    started = time.monotonic()
    proc = subprocess.run([str(NETLIFY_BIN), "build", "--offline", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=NETLIFY_TIMEOUT, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    print(f"netlify build {' '.join(args)}: {time.monotonic() - started:.1f} s")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dev:
    """One `netlify dev` process and plain HTTP requests to it (redirects are not followed)."""

    def __init__(self, port: int, log: Path):
        self.port, self.log = port, log

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            conn.close()


@contextlib.contextmanager
def netlify_dev(project: Path, env: dict[str, str], *args: str):
    port = _free_port()
    log = project / f".netlify-dev-{port}.log"
    cmd = [str(NETLIFY_BIN), "dev", "--offline", "--no-open", "--internal-disable-edge-functions",
           "--skip-gitignore", "--port", str(port), *args]
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    dev = Dev(port, log)
    try:
        deadline = started + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"netlify dev exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"netlify dev did not answer on {port} in {START_TIMEOUT} s:\n"
                            f"{log.read_text(errors='replace')[-4000:]}")
            try:
                dev.get("/robots.txt")
                break
            except OSError:
                time.sleep(0.3)
        print(f"netlify dev {' '.join(args)} ready in {time.monotonic() - started:.1f} s")
        yield dev
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        # The CLI's children (the static server, a --command server) share its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def netlify_project(tmp_path_factory, cli_env) -> Path:
    """The project as Netlify builds it: `netlify build --offline` in the production context."""
    project = _copy_project(tmp_path_factory.mktemp("netlify") / "project")
    out = _netlify_build(project, cli_env)
    assert "$ python build.py" in out, out[-3000:]
    assert (project / "site" / "index.html").is_file()
    return project


@pytest.fixture(scope="module")
def dev_static(netlify_project, cli_env):
    """`netlify dev --dir site`: the CLI's static server, as Netlify serves a publish directory."""
    with netlify_dev(netlify_project, cli_env, "--dir", "site") as dev:
        yield dev


@pytest.fixture(scope="module")
def dev_custom(netlify_project, cli_env):
    """`netlify dev` in front of a plain static server that sends no Cache-Control of its own.
    (The CLI's own static server replaces netlify.toml's Cache-Control with its
    `public, max-age=0`: the proxy sets the rule headers, then copies the upstream response's
    headers over them. This mode leaves the rules' Cache-Control to be seen.)"""
    upstream = _free_port()
    command = f"{sys.executable} -m http.server {upstream} --bind 127.0.0.1 --directory site"
    with netlify_dev(netlify_project, cli_env, "--framework", "#custom", "--command", command,
                     "--target-port", str(upstream)) as dev:
        yield dev


def test_cli_is_the_pinned_version(cli_env):
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["netlify-cli"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "an exact version"
    out = subprocess.run([str(NETLIFY_BIN), "--version"], env=cli_env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.startswith(f"netlify-cli/{pinned} ")


def test_netlify_build_runs_python_build(netlify_project):
    site = netlify_project / "site"
    assert (site / "zh" / "index.html").is_file() and (site / "en" / "404.html").is_file()
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert not (site / "_headers").exists(), "production has no noindex"


def test_cli_header_matching_agrees_with_this_port(netlify_project, cli_env):
    """The CLI's own parser and matcher (netlify-cli/dist/utils/headers.js) over every published path
    give the headers that headers_for() computes from netlify.toml."""
    paths = sorted(site_paths(netlify_project / "site"))
    script = """
const [cli, config, paths] = process.argv.slice(1);
const { parseHeaders, headersForPath } = await import(cli);
const { readFileSync } = await import('node:fs');
const headers = await parseHeaders({ config: {}, configPath: config, headersFiles: [] });
const out = {};
for (const p of JSON.parse(readFileSync(paths, 'utf8'))) out[p] = headersForPath(headers, p);
console.log(JSON.stringify(out));
"""
    paths_file = netlify_project / ".paths.json"
    paths_file.write_text(json.dumps(paths))
    cli_headers = ROOT / "node_modules" / "netlify-cli" / "dist" / "utils" / "headers.js"
    proc = subprocess.run(["node", "--input-type=module", "-e", script, cli_headers.as_uri(),
                           str(netlify_project / "netlify.toml"), str(paths_file)],
                          env=cli_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    config = load_config()
    for path in paths:
        mine = {k: v[-1] for k, v in headers_for(config, path).items()}
        assert {k.lower(): v for k, v in got[path].items()} == mine, path


def test_dev_sends_security_headers(dev_static):
    every = next(r["values"] for r in load_config()["headers"] if r["for"] == "/*")
    for path in ("/en/", "/zh/", "/", "/parallel/full/", "/zh/missing/"):
        status, headers, _ = dev_static.get(path, Accept_Language="fr")
        assert status in (200, 404), path
        for name, value in every.items():
            assert headers.get(name.lower()) == value, (path, name)
        assert headers["content-security-policy"] == CSP
        assert "x-robots-tag" not in headers


def test_dev_redirects_root_by_language(dev_static):
    for accept, target in (("zh-CN,zh;q=0.9,en;q=0.8", "/zh/"), ("en-US,en;q=0.9", "/en/"), ("zh-TW", "/zh/"),
                           ("en", "/en/")):
        status, headers, _ = dev_static.get("/", Accept_Language=accept)
        assert (status, headers.get("location")) == (302, target), accept


def test_dev_serves_landing_when_no_language_matches(dev_static, netlify_project):
    # (netlify dev takes a request without Accept-Language as "en"; production matches no rule.)
    status, headers, body = dev_static.get("/", Accept_Language="fr-FR,fr;q=0.9")
    assert status == 200 and "location" not in headers
    assert body == (netlify_project / "site" / "index.html").read_bytes()


def test_dev_language_404_pages(dev_static, netlify_project):
    site = netlify_project / "site"
    for lang in ("zh", "en"):
        status, headers, body = dev_static.get(f"/{lang}/missing/")
        assert status == 404
        assert body == (site / lang / "404.html").read_bytes()
        assert headers["content-type"].startswith("text/html")
    status, _, body = dev_static.get("/nowhere/")
    assert (status, body) == (404, (site / "404.html").read_bytes())


def test_dev_existing_pages_win_over_404_rules(dev_static, netlify_project):
    site = netlify_project / "site"
    for lang in ("zh", "en"):
        page = next(p for p in sorted((site / lang).iterdir()) if (p / "index.html").is_file())
        status, _, body = dev_static.get(f"/{lang}/{page.name}/")
        assert status == 200 and body == (page / "index.html").read_bytes()


def test_dev_cache_control(dev_custom, netlify_project):
    site = netlify_project / "site"
    asset = next(p for p in sorted((site / "assets").iterdir()) if p.suffix == ".css")
    chart = next(p for p in sorted((site / "charts").iterdir()) if p.suffix == ".svg")
    fragment = next(p for p in sorted((site / "pagefind" / "fragment").iterdir()))
    for path, want in ((f"/assets/{asset.name}", IMMUTABLE), (f"/charts/{chart.name}", IMMUTABLE),
                       (f"/pagefind/fragment/{fragment.name}", IMMUTABLE),
                       ("/pagefind/pagefind.js", REVALIDATE), ("/pagefind/pagefind-entry.json", REVALIDATE),
                       ("/en/", REVALIDATE), ("/zh/missing/", REVALIDATE)):
        status, headers, _ = dev_custom.get(path, Accept_Language="fr")
        assert status in (200, 404), path
        assert headers.get("cache-control") == want, path
        assert headers["content-security-policy"] == CSP


def test_deploy_preview_is_noindex(tmp_path_factory, cli_env):
    project = _copy_project(tmp_path_factory.mktemp("preview") / "project")
    out = _netlify_build(project, cli_env, "--context", "deploy-preview")
    assert "python build.py && printf" in out
    assert (project / "site" / "_headers").read_text() == "/*\n  X-Robots-Tag: noindex\n"
    with netlify_dev(project, cli_env, "--dir", "site", "--context", "deploy-preview") as dev:
        for path in ("/en/", "/", "/zh/missing/", "/sitemap.xml"):
            status, headers, _ = dev.get(path, Accept_Language="fr")
            assert headers.get("x-robots-tag") == "noindex", path
            assert headers["content-security-policy"] == CSP, path
        # Canonical URLs still name production (report.yaml's base_url).
        _, _, body = dev.get("/en/")
        canonical = parse(body.decode()).find("link", rel="canonical").get("href")
        assert canonical.startswith("https://") and canonical.endswith("/en/")
