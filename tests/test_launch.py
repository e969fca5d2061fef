"""Launching and publishing: the site's launch links, Binder's environment, the deploy workflow.

The link checks read the built HTML: `_build/html` when it is newer than everything the
links depend on, otherwise a quick build without execution into a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tools import notebooks as nbtools

ROOT = nbtools.ROOT
CONFIG = nbtools.book_config()
BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


# --- which pages are chapters ----------------------------------------------------------------


def toc_files(entry) -> list[str]:
    """Every `file:` (and the `root:`) of _toc.yml, in order, however deeply nested."""
    found = []
    if isinstance(entry, dict):
        for key in ("root", "file"):
            if key in entry:
                found.append(entry[key])
        for value in entry.values():
            if isinstance(value, (list, dict)):
                found += toc_files(value)
    elif isinstance(entry, list):
        for item in entry:
            found += toc_files(item)
    return found


TOC = [
    Path(f).with_suffix("").as_posix()
    for f in toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text()))
]
CHAPTER_PAGES = [doc for doc in TOC if nbtools.is_chapter(ROOT / f"{doc}.md")]


def test_every_chapter_is_in_the_table_of_contents():
    missing = [
        str(md.relative_to(ROOT))
        for md in nbtools.chapter_sources()
        if md.relative_to(ROOT).with_suffix("").as_posix() not in TOC
    ]
    assert not missing, f"add these chapters to _toc.yml: {missing}"
    assert "book/running" in TOC


# --- the built site --------------------------------------------------------------------------


def _inputs_of_links() -> list[Path]:
    """The files the launch links depend on."""
    files = [ROOT / "_config.yml", ROOT / "_toc.yml"]
    for doc in CHAPTER_PAGES:
        files += [ROOT / f"{doc}.md", ROOT / f"{doc}.ipynb"]
    return [f for f in files if f.exists()]


def _is_fresh(html: Path) -> bool:
    pages = [html / f"{doc}.html" for doc in CHAPTER_PAGES]
    if not all(p.exists() for p in pages):
        return False
    newest_input = max(f.stat().st_mtime for f in _inputs_of_links())
    return min(p.stat().st_mtime for p in pages) >= newest_input


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The HTML of the book: the real build when it is up to date, else a quick one.

    The quick one builds a copy of the repository (less hidden folders, data and builds)
    without running the chapters: the launch links do not depend on their outputs.
    """
    built = ROOT / "_build" / "html"
    if _is_fresh(built):
        return built
    work = tmp_path_factory.mktemp("site")
    src = work / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(".*", "_build", "*.egg-info", "__pycache__", "data"),
    )
    config = yaml.safe_load((src / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"  # the links do not need the outputs
    (src / "_config.yml").write_text(yaml.safe_dump(config))
    jb = shutil.which("jupyter-book", path=str(BIN)) or shutil.which("jupyter-book")
    result = subprocess.run(
        [jb, "build", str(src), "--path-output", str(work / "out")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    html = work / "out" / "_build" / "html"
    assert result.returncode == 0 and html.is_dir(), result.stdout[-3000:] + result.stderr[-3000:]
    return html


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def _links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


def _committed(path: str) -> bool:
    """Whether `path` is in git's index (committed or staged); mere existence without git."""
    if not (ROOT / ".git").exists():
        return (ROOT / path).is_file()
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True
    )
    return result.returncode == 0


def test_the_chapters_have_pages():
    assert "book/regression" in CHAPTER_PAGES


@pytest.mark.parametrize("doc", CHAPTER_PAGES)
def test_chapter_page_launches_its_committed_notebook(site, doc):
    repo = urlsplit(nbtools.repository_url()).path.strip("/")  # owner/name
    branch = CONFIG["repository"]["branch"]
    buttons = CONFIG["launch_buttons"]
    hrefs = _links(site / f"{doc}.html")
    colab = [h for h in hrefs if h.startswith(buttons["colab_url"].rstrip("/") + "/")]
    binder = [h for h in hrefs if h.startswith(buttons["binderhub_url"].rstrip("/") + "/")]
    assert len(colab) == 1 and len(binder) == 1, f"{doc}.html: launch links {colab + binder}"

    colab_prefix = f"/github/{repo}/blob/{branch}/"
    colab_path = urlsplit(colab[0]).path
    assert colab_path.startswith(colab_prefix), colab[0]
    binder_url = urlsplit(binder[0])
    assert binder_url.path == f"/v2/gh/{repo}/{branch}", binder[0]
    (urlpath,) = parse_qs(binder_url.query)["urlpath"]
    assert urlpath.startswith("lab/tree/"), binder[0]  # JupyterLab

    expected = f"{doc}.ipynb"
    for target in (colab_path.removeprefix(colab_prefix), urlpath.removeprefix("lab/tree/")):
        assert target == expected, f"{doc}.html launches {target}, not {expected}: run `make sync`"
        assert _committed(target), f"{target} is not committed: `git add {target}`"


@pytest.mark.parametrize("doc", CHAPTER_PAGES)
def test_chapter_page_offers_its_notebook_and_the_repository(site, doc):
    page = site / f"{doc}.html"
    hrefs = _links(page)
    downloads = [h for h in hrefs if h.endswith(f"_sources/{doc}.ipynb")]
    assert downloads, f"{page.name} has no .ipynb download"
    assert (page.parent / downloads[0]).resolve().is_file()
    url = nbtools.repository_url()
    assert url in hrefs, "no repository button"
    assert any(h.startswith(f"{url}/issues/new") for h in hrefs), "no issue button"


# --- the configuration behind the buttons ----------------------------------------------------


def test_launch_configuration():
    buttons = CONFIG["launch_buttons"]
    assert buttons["notebook_interface"] == "jupyterlab"
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["repository"]["branch"] == "main"
    assert urlsplit(nbtools.repository_url()).netloc == "github.com"  # Colab opens GitHub only
    assert CONFIG["html"]["use_repository_button"] and CONFIG["html"]["use_issues_button"]
    # The paired notebooks must not become pages of their own (duplicate documents).
    assert "book/**.ipynb" in CONFIG["exclude_patterns"]


# --- Binder ----------------------------------------------------------------------------------


def _pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file, names normalised."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    return pins


def test_binder_uses_python_311_and_cpu_only_pytorch_of_the_pinned_versions():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    binder_req = ROOT / "binder" / "requirements.txt"
    assert (
        "--extra-index-url https://download.pytorch.org/whl/cpu"
        in binder_req.read_text().splitlines()
    )
    root, binder = _pins(ROOT / "requirements.txt"), _pins(binder_req)
    for name in ("torch", "torchvision"):
        assert binder[name] == root[name] + "+cpu", (
            f"binder/requirements.txt: {name}=={root[name]}+cpu"
        )
    for name, version in binder.items():
        if name not in ("torch", "torchvision"):
            assert version == root.get(name), (
                f"binder/requirements.txt pins {name}=={version}, the root {root.get(name)}"
            )


def test_binder_installs_what_dlcourse_and_the_chapters_need():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = {
        re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0].lower()
        for dep in pyproject["project"]["dependencies"]
    }
    needed |= {"ipywidgets", "jupytext"}
    missing = needed - set(_pins(ROOT / "binder" / "requirements.txt"))
    assert not missing, f"binder/requirements.txt lacks {sorted(missing)}"


def test_binder_post_build_installs_dlcourse_and_opens_md_as_notebooks(tmp_path):
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
    subprocess.run(["bash", "-n", str(post_build)], check=True)
    lines = [line.strip() for line in post_build.read_text().splitlines()]
    assert any(re.fullmatch(r"python -m pip install .*--no-deps.* -e \.", line) for line in lines)
    (config_line,) = [line for line in lines if line.startswith("jupytext-config ")]
    # Run that line as Binder would, with a throwaway Jupyter configuration folder.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path), PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    subprocess.run(["bash", "-c", config_line], env=env, check=True, cwd=tmp_path)
    overrides = json.loads((tmp_path / "labconfig" / "default_setting_overrides.json").read_text())
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == "Jupytext Notebook"


# --- the deploy workflow ---------------------------------------------------------------------


def _check_workflow(path: Path) -> subprocess.CompletedProcess:
    """Validate a workflow against the GitHub workflow schema that check-jsonschema ships."""
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_workflow_is_valid():
    result = _check_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_check_catches_mistakes(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:", 1))
    result = _check_workflow(broken)
    assert result.returncode != 0 and "run-on" in result.stdout + result.stderr


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def test_deploy_workflow_tests_builds_and_publishes_on_push_to_main():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    trigger = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert trigger["push"]["branches"] == ["main"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]

    uses = [step.get("uses", "") for step in _steps(build)]
    runs = [step.get("run", "") for step in _steps(build)]
    setup = next(s for s in _steps(build) if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(setup["with"]["python-version"]) == "3.11"
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert "make venv" in runs  # installs requirements.txt into .venv
    assert runs.index("make test") < runs.index("make book")

    caches = [s for s in _steps(build) if s.get("uses", "").startswith("actions/cache@")]
    book_cache = next(s for s in caches if "_build/.jupyter_cache" in s["with"]["path"])
    assert "_build/.cache-key" in book_cache["with"]["path"]  # else the Makefile clears the cache
    key = book_cache["with"]["key"]
    for pattern in ("book/**.md", "dlcourse/**", "requirements.txt"):
        assert f"'{pattern}'" in key and "hashFiles(" in key
    # The cache must be restored before the book is built.
    assert _steps(build).index(book_cache) < runs.index("make book")

    upload = next(
        s for s in _steps(build) if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    )
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in _steps(deploy))


def test_deploy_workflow_shell_steps_parse():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    for job in workflow["jobs"].values():
        for step in _steps(job):
            if "run" in step:
                subprocess.run(["bash", "-n"], input=step["run"], text=True, check=True)
