"""Launching and publishing: the site's launch links, Binder's environment, the deploy workflow,
the publishing of the launch notebooks, and the commands of "Running the chapters".

The link checks read the built HTML of the last `make book` (they never build the book): when it
is missing or stale they fail with the one line of `tools.book.site_problem()`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
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

from tools import book
from tools import notebooks as nbtools

ROOT = book.ROOT
CONFIG = book.config()
BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
PUBLISH = ROOT / "tools" / "publish_notebooks.sh"
RUNNING = ROOT / "book" / "running.md"
CHAPTER_PAGES = [book.docname(md) for md in book.chapters()]


def test_every_chapter_is_in_the_table_of_contents():
    assert book.unlisted_chapters() == [], "add these chapters to _toc.yml"
    assert ROOT / "book" / "running.md" in book.toc_pages()
    assert "book/regression" in CHAPTER_PAGES


# --- the built site --------------------------------------------------------------------------


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


@pytest.mark.parametrize("doc", CHAPTER_PAGES)
def test_chapter_page_launches_its_notebook_on_the_notebooks_branch(built_site, doc):
    repo = urlsplit(book.repository_url()).path.strip("/")  # owner/name
    branch = nbtools.notebooks_branch()
    buttons = CONFIG["launch_buttons"]
    hrefs = _links(built_site / f"{doc}.html")
    colab = [h for h in hrefs if h.startswith(buttons["colab_url"].rstrip("/") + "/")]
    binder = [h for h in hrefs if h.startswith(buttons["binderhub_url"].rstrip("/") + "/")]
    assert len(colab) == 1 and len(binder) == 1, f"{doc}.html: launch links {colab + binder}"
    assert urlsplit(colab[0]).path == f"/github/{repo}/blob/{branch}/{doc}.ipynb", colab[0]
    binder_url = urlsplit(binder[0])
    assert binder_url.path == f"/v2/gh/{repo}/{branch}", binder[0]
    assert parse_qs(binder_url.query)["urlpath"] == [f"lab/tree/{doc}.ipynb"], binder[0]
    # No JupyterHub button unless an instructor sets launch_buttons.jupyterhub_url.
    hub = [h for h in hrefs if "/hub/user-redirect/git-pull?" in h]
    assert bool(hub) == bool(buttons.get("jupyterhub_url")), hub


@pytest.mark.parametrize("doc", CHAPTER_PAGES)
def test_chapter_page_downloads_its_launch_notebook(built_site, doc):
    page = built_site / f"{doc}.html"
    hrefs = _links(page)
    downloads = [h for h in hrefs if h.endswith(f"_sources/{doc}.ipynb")]
    assert len(downloads) == 1, f"{page.name} has no .ipynb download"
    target = (page.parent / downloads[0]).resolve()
    launch = ROOT / "_build" / nbtools.LAUNCH / f"{doc}.ipynb"
    assert target.read_bytes() == launch.read_bytes(), f"{target} is not {launch}"
    url = book.repository_url()
    assert url in hrefs, "no repository button"
    assert any(h.startswith(f"{url}/issues/new") for h in hrefs), "no issue button"


# --- the configuration behind the buttons ----------------------------------------------------


def test_launch_configuration():
    buttons = CONFIG["launch_buttons"]
    assert buttons["notebook_interface"] == "jupyterlab"
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert buttons["jupyterhub_url"] == ""  # an instructor's own hub: CONTRIBUTING.md
    assert buttons["notebooks_branch"] == nbtools.notebooks_branch() == "notebooks"
    assert CONFIG["repository"]["branch"] == "main"
    assert urlsplit(book.repository_url()).netloc == "github.com"  # Colab opens GitHub only
    assert CONFIG["html"]["use_repository_button"] and CONFIG["html"]["use_issues_button"]
    assert urlsplit(CONFIG["html"]["baseurl"]).scheme == "https"  # cross-references link there
    assert "_ext.launch_notebooks" in CONFIG["sphinx"]["local_extensions"]
    # A launch notebook beside a chapter (the notebooks branch) must not become a page.
    assert "book/**.ipynb" in CONFIG["exclude_patterns"]


def test_no_notebook_is_committed_beside_the_chapters():
    """Launch notebooks are build products, published on their own branch."""
    result = subprocess.run(
        ["git", "ls-files", "book/*.ipynb"], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    assert result.stdout.split() == [], "remove them: `git rm book/*.ipynb`"


def test_no_jupytext_configuration_pairs_the_notebooks():
    """Opening a launch notebook (Binder, JupyterHub) must never rewrite a chapter's .md."""
    for name in ("jupytext.toml", ".jupytext", ".jupytext.toml", "jupytext.yml"):
        assert not (ROOT / name).exists() and not (ROOT / "book" / name).exists(), name
    assert "jupytext" not in tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {})


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


def test_deploy_workflow_builds_tests_and_publishes_on_push_to_main():
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
    # The tests read the built site and its launch notebooks; they never build it.
    assert (
        runs.index("make book")
        < runs.index("make pdf")  # the site offers the PDF, and the tests check it
        < runs.index("make test")
        < runs.index("make test-launch")
    )

    caches = [s for s in _steps(build) if s.get("uses", "").startswith("actions/cache@")]
    book_cache = next(s for s in caches if "_build/.jupyter_cache" in s["with"]["path"])
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


def test_deploy_workflow_publishes_the_launch_notebooks_on_their_branch():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build, job = workflow["jobs"]["build"], workflow["jobs"]["notebooks"]
    upload = next(
        s for s in _steps(build) if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"] == "_build/launch"
    assert job["needs"] == "build" and job["permissions"] == {"contents": "write"}
    download = next(
        s for s in _steps(job) if s.get("uses", "").startswith("actions/download-artifact@")
    )
    assert download["with"] == {"name": upload["with"]["name"], "path": "_build/launch"}
    assert any(
        s.get("run", "").startswith("tools/publish_notebooks.sh _build/launch") for s in _steps(job)
    )


def _git(*args, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.fixture
def published(tmp_path) -> dict:
    """A course repository with an `origin`, and launch notebooks to publish."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    _git("init", "--quiet", "--bare", str(origin), cwd=tmp_path)
    _git("init", "--quiet", "-b", "main", str(work), cwd=tmp_path)
    (work / "book").mkdir()
    (work / "book" / "cnn.md").write_text("# CNN\n")
    (work / "binder").mkdir()
    (work / "binder" / "runtime.txt").write_text("python-3.11\n")
    shutil.copy(ROOT / "_config.yml", work / "_config.yml")
    (work / "tools").mkdir()
    shutil.copy(PUBLISH, work / "tools" / PUBLISH.name)
    _git("add", ".", cwd=work)
    _git("commit", "--quiet", "-m", "course", cwd=work)
    _git("remote", "add", "origin", str(origin), cwd=work)
    _git("push", "--quiet", "origin", "main", cwd=work)
    launch = tmp_path / "launch"
    (launch / "book").mkdir(parents=True)
    (launch / "book" / "cnn.ipynb").write_text('{"cells": []}\n')
    return {"origin": origin, "work": work, "launch": launch, "tmp": tmp_path}


def _publish(published: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(
        ["bash", "tools/publish_notebooks.sh", str(published["launch"])],
        cwd=published["work"], env=env, capture_output=True, text=True,
    )  # fmt: skip


def test_publishing_puts_the_notebooks_on_main_tree_and_keeps_the_branch_history(published):
    first = _publish(published)
    assert first.returncode == 0, first.stdout + first.stderr
    origin = published["origin"]
    files = _git("ls-tree", "-r", "--name-only", "notebooks", cwd=origin).split()
    assert files == ["_config.yml", "binder/runtime.txt", "book/cnn.ipynb", "book/cnn.md",
                     "tools/publish_notebooks.sh"]  # fmt: skip
    tip = _git("rev-parse", "notebooks", cwd=origin)
    # Unchanged notebooks: nothing new is pushed.
    again = _publish(published)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert _git("rev-parse", "notebooks", cwd=origin) == tip
    # A new build: one commit on top of the last (nbgitpuller pulls it like any branch).
    (published["launch"] / "book" / "cnn.ipynb").write_text('{"cells": [1]}\n')
    third = _publish(published)
    assert third.returncode == 0, third.stderr
    parents = _git("rev-list", "--parents", "-n", "1", "notebooks", cwd=origin).split()[1:]
    assert parents[0] == tip and parents[1] == _git("rev-parse", "main", cwd=origin)


def test_deploy_workflow_shell_steps_parse():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    for job in workflow["jobs"].values():
        for step in _steps(job):
            if "run" in step:
                subprocess.run(["bash", "-n"], input=step["run"], text=True, check=True)


# --- running the chapters locally (book/running.md) ------------------------------------------


def running_commands() -> list[str]:
    """Every shell command shown in book/running.md (its bash blocks, comments dropped)."""
    text = RUNNING.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(?:bash|sh|console)\n(.*?)^```", text, re.M | re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_running_page_shows_these_commands():
    """The test below runs each of them; a new command needs a way to be exercised there."""
    url = book.repository_url()
    branch = nbtools.notebooks_branch()
    assert running_commands() == [
        f"git clone --branch {branch} {url}",
        f"cd {url.rsplit('/', 1)[1]}",
        "make venv",
        "make lab",
        "PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu make venv",
    ]


def test_running_page_commands_work(published, tmp_path):
    """Each command of running.md, run for real: the clone (from a local copy of the published
    branch), make venv (with and without the CPU-only index: here .venv is already current),
    and make lab, which installs JupyterLab into .venv on first use, with --version so that it
    prints the version and exits instead of starting a server."""
    assert _publish(published).returncode == 0
    commands = running_commands()
    url = book.repository_url()
    clone = shlex.split(commands[0])
    clone[-1] = str(published["origin"])  # the published branch, without the network
    clone.append(url.rsplit("/", 1)[1])
    _git(*clone[1:], cwd=tmp_path)
    folder = tmp_path / shlex.split(commands[1])[1]
    assert (folder / "book" / "cnn.ipynb").is_file() and (folder / "book" / "cnn.md").is_file()
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    for command in (commands[2], commands[4]):
        result = subprocess.run(
            command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, command + "\n" + result.stdout + result.stderr
    lab = subprocess.run(
        shlex.split(commands[3]) + ["LAB_ARGS=--version"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert re.search(r"^4\.\d+\.\d+$", lab.stdout, re.M), lab.stdout
    viewers = json.loads((BIN.parent / "share/jupyter/lab/settings/overrides.json").read_text())
    assert viewers["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["markdown"] == (
        "Jupytext Notebook"
    )


def test_the_readme_and_contributing_give_the_same_local_route():
    for name in ("README.md", "CONTRIBUTING.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "make lab" in text and "make venv" in text, name
        assert ".venv/bin/jupyter lab" not in text, f"{name}: JupyterLab comes with `make lab`"
