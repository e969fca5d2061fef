"""tools/book.py, the one module that knows the book: the toc, the chapters, their cells
with line numbers (as jupytext splits them), the MyST constructs in them, what a chapter's
outputs depend on, and whether the built site is current. Also _ext/cache_rule.py, which
re-runs a chapter when its dependencies change."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
import pytest

from tools import book

FIXTURES = Path(__file__).parent / "fixtures" / "chapters"
FRONT = (book.ROOT / "templates" / "chapter.md").read_text(encoding="utf-8").split("# {{")[0]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# --------------------------------------------------------------------------- pages in toc order

NESTED_TOC = """format: jb-book
root: book/intro
parts:
  - caption: First part
    chapters:
      - file: book/one
        sections:
          - file: book/one_a
            sections:
              - file: book/one_a_i
          - file: book/notes
      - file: book/two
  - caption: Second part
    chapters:
      - file: book/three
"""


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    chapter = FRONT + "# A chapter\n\n```{code-cell} ipython3\nx = 1\n```\n"
    pages = {f"book/{n}.md": chapter for n in ("one", "one_a", "one_a_i", "two", "three", "loose")}
    pages.update({"book/intro.md": "# Intro\n", "book/notes.md": "# Plain notes\n"})
    pages["_toc.yml"] = NESTED_TOC
    shutil.copy(book.ROOT / "_config.yml", tmp_path / "_config.yml")
    return write(tmp_path, pages)


def test_toc_groups_follow_the_toc_with_nested_sections_and_parts(nested):
    names = [[p.stem for p in group] for group in book.toc_groups(nested)]
    assert names == [["intro"], ["one", "one_a", "one_a_i", "notes"], ["two"], ["three"]]
    assert [p.stem for p in book.toc_pages(nested)][:3] == ["intro", "one", "one_a"]


def test_chapters_are_notebooks_in_toc_order_then_unlisted(nested):
    groups = [[p.stem for p in group] for group in book.chapter_groups(nested)]
    assert groups == [["one", "one_a", "one_a_i"], ["two"], ["three"]]  # plain pages left out
    assert [p.stem for p in book.unlisted_chapters(nested)] == ["loose"]
    assert [p.stem for p in book.chapters(nested)][-2:] == ["three", "loose"]
    assert book.docname(nested / "book" / "one_a.md", nested) == "book/one_a"


def test_is_chapter_wants_jupytext_front_matter_and_a_kernel(tmp_path):
    write(tmp_path, {"a.md": FRONT + "# A\n", "b.md": "# B\n", "c.md": "---\ntitle: c\n---\n"})
    assert book.is_chapter(tmp_path / "a.md")
    assert not book.is_chapter(tmp_path / "b.md") and not book.is_chapter(tmp_path / "c.md")
    assert not book.is_chapter(tmp_path / "missing.md")


def test_find_chapter_lists_the_chapters_when_the_name_is_wrong():
    assert book.find_chapter("regression") == book.ROOT / "book" / "regression.md"
    with pytest.raises(ValueError, match="Chapters: .*regression"):
        book.find_chapter("regresion")
    with pytest.raises(ValueError):
        book.find_chapter("intro")  # a page, not a notebook
    assert book.chapters()[0].name == "regression.md"


def test_settings_come_from_the_config():
    assert book.repository_url().startswith("https://")
    assert not book.repository_url().endswith("/")
    assert book.config()["execute"]["execute_notebooks"] == "cache"


def test_the_command_line(capsys):
    assert book.main(["list"]) == 0
    assert "book/regression.md" in capsys.readouterr().out
    assert book.main(["check", "regression"]) == 0
    assert book.main(["check", "nope"]) == 2
    assert "CHAPTER=nope: there is no chapter" in capsys.readouterr().err
    assert book.main(["deps", "regression"]) == 0
    assert "requirements.txt" in json.loads(capsys.readouterr().out)


# --------------------------------------------------------------------------- cells as jupytext

EDGE = (
    FRONT
    + """```{code-cell} ipython3
x = 1
```
# Title right after a cell

+++ {"tags": ["intro"], "slideshow": {"slide_type": "slide"}}

A markdown cell with metadata, then a cell with YAML options and blank lines.

```{code-cell} ipython3
---
mystnb:
  image:
    alt: A long alt text here.
tags: [hide-input]
---

y = 2


z = 3
```

````{code-cell} ipython3
:tags: [remove-cell]
s = '''
```
'''
````

```{code-cell} ipython3
```

- a list whose fence is not a cell for jupytext
  ```{code-cell} ipython3
  inside = 1
  ```

```{raw-cell}
raw text
```

+++

last words
"""
)


def cells_of_jupytext(path: Path) -> list[tuple]:
    notebook = jupytext.read(path, fmt="md:myst")
    return [(c.cell_type, c.source, dict(c.metadata)) for c in notebook.cells]


CHAPTER_FILES = [
    *book.chapters(),
    *sorted(FIXTURES.glob("*.md")),
    book.ROOT / "templates" / "chapter.md",
]


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=lambda p: p.stem)
def test_cells_are_jupytext_cells(path):
    chapter = book.parse(path)
    assert [(c.kind, c.source, c.metadata) for c in chapter.cells] == cells_of_jupytext(path)


def test_edge_cases_split_as_jupytext_splits_them(tmp_path):
    path = write(tmp_path, {"edge.md": EDGE}) / "edge.md"
    chapter = book.parse(path)
    assert [(c.kind, c.source, c.metadata) for c in chapter.cells] == cells_of_jupytext(path)
    kinds = [c.kind for c in chapter.cells]
    assert kinds.count("code") == 4 and kinds.count("raw") == 1


@pytest.mark.parametrize("path", [*CHAPTER_FILES, "edge"], ids=lambda p: getattr(p, "stem", p))
def test_line_numbers_point_into_the_md_file(path, tmp_path):
    if path == "edge":
        path = write(tmp_path, {"edge.md": EDGE}) / "edge.md"
    chapter = book.parse(path)
    lines = chapter.text.split("\n")
    for cell in chapter.cells:
        assert cell.line <= cell.body_line <= cell.end_line + 1
        for number, text in cell.lines():
            assert lines[number - 1] == text, (cell.index, number)
        if cell.kind == "code":
            assert lines[cell.line - 1].lstrip("`").startswith("{code-cell}")
            assert set(lines[cell.end_line - 1].strip()) == {"`"}
    assert book.code_cell_line(path, 0) == chapter.code_cells[0].body_line


def test_python_source_of_cells_with_magics(tmp_path):
    text = FRONT + (
        "```{code-cell} ipython3\n%matplotlib inline\n!ls\nx = 1\n```\n\n"
        "```{code-cell} ipython3\n%%time\ny = 2\n```\n\n"
        "```{code-cell} ipython3\n%%bash\necho hi\n```\n"
    )
    cells = book.parse(write(tmp_path, {"m.md": text}) / "m.md").code_cells
    assert cells[0].python == "pass\npass\nx = 1" and cells[0].tree is not None
    assert cells[1].python == "pass\ny = 2"
    assert cells[2].python == "" and cells[2].tree is not None


# --------------------------------------------------------------------------- MyST constructs

MYST = (
    FRONT
    + """# Title {glue:text}`in_title`

(my-target)=
Prose with 0.5, `code 0.6`, $x = 0.7$, {glue:text}`first:.2f` and a
[link 0.8](https://example.org/0.9) <https://example.org/1.5>.

% a comment 2.5
% lint: allow-number 3.11

```{exercise}
:label: ex-one

Exercise text with {glue:text}`inside_exercise` and

:::{note}
a note with {glue}`nested_role` in it
:::
```

```{code-block} python
{glue:text}`not_a_role`
```

```{solution-start} ex-one
:class: dropdown
```

```{code-cell} ipython3
x = 1
```

```{solution-end}
```

```{solution-start} ex-unclosed
```

```{solution-start} ex-two
```

```{solution-end}
```

```{solution-end}
```
"""
)


@pytest.fixture
def myst(tmp_path) -> book.Chapter:
    return book.parse(write(tmp_path, {"myst.md": MYST}) / "myst.md")


def line_of(chapter: book.Chapter, text: str) -> int:
    return next(i for i, line in enumerate(chapter.text.split("\n"), 1) if text in line)


def test_roles_inside_directive_bodies_with_their_lines(myst):
    roles = {r.content: r.line for r in myst.roles}
    assert set(roles) == {"in_title", "first:.2f", "inside_exercise", "nested_role"}
    assert roles["inside_exercise"] == line_of(myst, "Exercise text with")
    assert roles["nested_role"] == line_of(myst, "a note with")
    assert roles["first:.2f"] == line_of(myst, "{glue:text}`first")


def test_directives_with_options_bodies_and_lines(myst):
    found = {(d.name, d.argument): d for d in myst.directives}
    exercise = found[("exercise", "")]
    assert exercise.options == {"label": "ex-one"} and exercise.line == line_of(myst, "{exercise}")
    assert exercise.body_line == line_of(myst, "Exercise text with")
    assert found[("note", "")].fence == ":::"
    assert found[("note", "")].line == line_of(myst, ":::{note}")
    assert found[("solution-start", "ex-one")].options == {"class": "dropdown"}
    assert ("code-block", "python") in found  # its body is code: no role found in it


def test_targets_comments_and_prose(myst):
    assert [(t.label, t.line) for t in myst.targets] == [("my-target", line_of(myst, "(my-"))]
    assert [c for _, c in myst.comments] == ["a comment 2.5", "lint: allow-number 3.11"]
    prose = dict(myst.prose)
    first = prose[line_of(myst, "Prose with")]
    assert "0.5" in first and "0.6" not in first and "0.7" not in first and "first" not in first
    second = prose[line_of(myst, "[link 0.8]")]
    assert "0.8" in second and "0.9" not in second and "1.5" not in second
    assert not any("2.5" in text for text in prose.values())


def test_solutions_pair_as_sphinx_exercise_pairs_them(myst):
    pairs = [(s.label, s.start is not None, s.end is not None) for s in myst.solutions]
    assert pairs == [
        ("ex-one", True, True),
        ("ex-unclosed", True, False),
        ("ex-two", True, True),
        ("", False, True),
    ]
    assert myst.setup_cell is None


# --------------------------------------------------------------------------- dependencies

PACKAGE = {
    "dlcourse/__init__.py": '"""The package."""\nfrom dlcourse.data import load\n'
    "from dlcourse.plots import show\nfrom .utils import glue\n\n__all__ = ['glue']\n",
    "dlcourse/data.py": "import numpy\n\ndef load():\n    return 1\n",
    "dlcourse/plots.py": "from dlcourse.utils import glue\n\ndef show():\n    return glue\n",
    "dlcourse/utils.py": "def glue(name, value):\n    return value\n",
    "dlcourse/toy.py": "from . import data\n\ndef toy():\n    return data.load()\n",
    "requirements.txt": "numpy==2\n",
    "pyproject.toml": "[project]\n",
}


def chapter_using(code: str) -> str:
    return FRONT + f"# C\n\n```{{code-cell}} ipython3\n{code}\n```\n"


@pytest.fixture
def package(tmp_path) -> Path:
    return write(tmp_path, PACKAGE)


@pytest.mark.parametrize(
    "code, modules",
    [
        ("import dlcourse\n\ndlcourse.load()", ["data.py"]),
        ("import dlcourse\n\ndlcourse.show()", ["plots.py", "utils.py"]),
        ("import dlcourse as dl\n\ndl.toy.toy()", ["data.py", "toy.py"]),
        ("from dlcourse import glue", ["utils.py"]),
        ("from dlcourse.toy import toy", ["data.py", "toy.py"]),
        # a name no module defines: the package's __init__ and all it imports, to be safe
        (
            "import dlcourse\n\ndlcourse.__version__",
            ["__init__.py", "data.py", "plots.py", "utils.py"],
        ),
        ("import numpy", []),
    ],
)
def test_a_chapter_depends_on_the_modules_of_the_names_it_uses(package, code, modules):
    path = write(package, {"book/c.md": chapter_using(code)}) / "book/c.md"
    assert [p.name for p in book.chapter_dependencies(path, package)] == modules


def test_the_dependency_key_changes_with_what_the_chapter_uses_only(package, monkeypatch):
    monkeypatch.delenv(book.SEED_VARIABLE, raising=False)
    path = write(package, {"book/c.md": chapter_using("import dlcourse\ndlcourse.show()")})
    path = path / "book/c.md"
    key = book.dependency_key(path, package)
    assert set(book.dependencies(path, package)) == {
        "requirements.txt",
        "pyproject.toml",
        "dlcourse/plots.py:show",
        "dlcourse/plots.py setup",
        "dlcourse/utils.py:glue",  # show refers to it
        "dlcourse/utils.py setup",
        "dlcourse/__init__.py setup code",
        "DLCOURSE_SEED",
    }
    write(package, {"dlcourse/data.py": PACKAGE["dlcourse/data.py"] + "X = 1\n"})
    assert book.dependency_key(path, package) == key  # a module the chapter does not use
    write(package, {"dlcourse/__init__.py": PACKAGE["dlcourse/__init__.py"] + "import os\n"})
    assert book.dependency_key(path, package) == key  # an import is not setup code
    utils = PACKAGE["dlcourse/utils.py"]
    for unchanged in [
        utils + "\ndef other():\n    return 2\n",  # a function the chapter does not run
        utils.replace(":\n", ':\n    """Glue it."""  # a docstring, a comment\n'),
    ]:
        write(package, {"dlcourse/utils.py": unchanged})
        assert book.dependency_key(path, package) == key
    for name, content in [
        ("dlcourse/utils.py", utils.replace("return value", "return 2 * value")),  # glue's code
        ("dlcourse/utils.py", utils + "LIMIT = 3  # a constant that glue might read\n"),
        ("dlcourse/__init__.py", PACKAGE["dlcourse/__init__.py"] + "SETTING = 1\n"),
        ("requirements.txt", PACKAGE["requirements.txt"] + "torch==3\n"),
    ]:
        write(package, {name: content})
        assert book.dependency_key(path, package) != key, name
        key = book.dependency_key(path, package)
    monkeypatch.setenv(book.SEED_VARIABLE, "1")
    assert book.dependency_key(path, package) != key


def test_the_real_chapters_depend_on_their_own_modules():
    for path in book.chapters():
        modules = {p.name for p in book.chapter_dependencies(path)}
        assert "utils.py" in modules, path  # every chapter seeds and glues


# --------------------------------------------------------------------------- the cache rule


def load_cache_rule():
    spec = importlib.util.spec_from_file_location("cache_rule", book.ROOT / "_ext/cache_rule.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cache_rule_reruns_only_the_chapter_whose_dependencies_changed(package):
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    rule = load_cache_rule()
    write(package, {"_config.yml": "title: t\n"})
    sources = {
        "book/uses_data.md": chapter_using("import dlcourse\ndlcourse.load()"),
        "book/uses_plots.md": chapter_using("import dlcourse\ndlcourse.show()"),
        "book/intro.md": "# Intro\n",
    }
    write(package, sources)
    folder = package / "_build" / ".jupyter_cache"
    cache = get_cache(folder)
    for name in sources:
        if name.endswith("intro.md"):
            continue
        notebook = jupytext.read(package / name, fmt="md:myst")
        notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
        uri = f"/elsewhere/checkout/{name}"  # a cache copied from another checkout
        cache.cache_notebook_bundle(CacheBundleIn(notebook, uri), check_validity=False)
    env = SimpleNamespace(
        mystnb_config=SimpleNamespace(execution_mode="cache", execution_cache_path=str(folder)),
        found_docs={"book/uses_data", "book/uses_plots", "book/intro"},
        doc2path=lambda docname: package / f"{docname}.md",
    )
    app = SimpleNamespace(srcdir=str(package))

    def outdated() -> list[str]:
        return rule.outdated(app, env, set(), set(), set())

    assert outdated() == ["book/uses_data", "book/uses_plots"]  # not recorded: run once
    assert cache.list_cache_records() == []
    recorded = json.loads((folder / rule.KEYS_FILE).read_text())
    assert set(recorded) == {"book/uses_data", "book/uses_plots"}

    for name in ("book/uses_data.md", "book/uses_plots.md"):  # as myst-nb caches them again
        notebook = jupytext.read(package / name, fmt="md:myst")
        cache.cache_notebook_bundle(CacheBundleIn(notebook, str(package / name)), False)
    assert outdated() == []
    utils = PACKAGE["dlcourse/utils.py"]
    write(package, {"dlcourse/utils.py": utils + "# a comment re-runs nothing\n"})
    assert outdated() == []
    write(package, {"dlcourse/utils.py": utils.replace("return value", "return 2 * value")})
    assert outdated() == ["book/uses_plots"]  # show() runs glue(); load() does not
    assert [Path(r.uri).name for r in cache.list_cache_records()] == ["uses_data.md"]
    assert rule.what_changed(recorded["book/uses_data"], recorded["book/uses_data"]) == ""
    env.mystnb_config.execution_mode = "off"
    write(package, {"requirements.txt": "numpy==3\n"})
    assert outdated() == []


# --------------------------------------------------------------------------- the built site


@pytest.fixture
def site(tmp_path) -> Path:
    shutil.copy(book.ROOT / "_config.yml", tmp_path / "_config.yml")
    toc = "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/one\n"
    root = write(tmp_path, {"_toc.yml": toc, "book/intro.md": "# I\n", "book/one.md": "# O\n"})
    write(root, {"requirements.txt": "x\n", "dlcourse/utils.py": "", "_static/a.css": ""})
    old = time.time() - 100
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def build(root: Path, pages=("index", "book/intro", "book/one")) -> None:
    write(root, {f"_build/html/{page}.html": "<html></html>" for page in pages})
    write(root, {book.BUILT_STAMP: ""})


def test_site_problem_names_make_book_when_there_is_no_site(site):
    assert book.site_problem(site) == "there is no built site in _build/html: run `make book` first"
    write(site, {"_build/html/index.html": ""})  # a site that `make book` did not finish
    assert "run `make book`" in book.site_problem(site)


def test_site_problem_is_none_for_a_fresh_site(site):
    build(site)
    assert book.site_problem(site) is None


def test_site_problem_names_a_missing_page(site):
    build(site, pages=("index", "book/intro"))
    assert book.site_problem(site) == "_build/html has no page for book/one.md: run `make book`"


@pytest.mark.parametrize(
    "changed", ["book/one.md", "_toc.yml", "dlcourse/utils.py", "_static/a.css"]
)
def test_site_problem_names_an_input_changed_after_the_build(site, changed):
    build(site)
    later = time.time() + 10
    os.utime(site / changed, (later, later))
    assert (
        book.site_problem(site) == f"{changed} changed after the last `make book`: run `make book`"
    )
