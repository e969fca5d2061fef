"""The launch notebooks: the renderer on small fixture chapters, and what `make book` wrote.

The first part renders fixture chapters (independent of the real book) and checks every
rendering rule of tools/notebooks.py. The second part reads the launch notebooks of the last
`make book` (it never builds the book): no MyST left, the glued numbers of the built page,
folded solutions in the launch, download and student notebooks.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest

from tools import book
from tools import notebooks as nbtools

ROOT = book.ROOT
CHAPTERS = book.chapters()
IDS = [book.docname(md) for md in CHAPTERS]
by_chapter = pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
HEADER = (ROOT / "book" / "regression.md").read_text(encoding="utf-8").split("\n---\n")[0]

# What must never reach a student: MyST that only the site renders.
MYST = [
    "{glue",
    "```{",
    ":::{",
    "{ref}",
    "{numref}",
    "{doc}",
    "{eq}",
    ":label:",
    ":class:",
    "literalinclude",
    "[^",
]
TARGET_LINE = re.compile(r"^\s*\([^()\s]+\)=\s*$", re.M)


def myst_left(nb: nbformat.NotebookNode) -> list[str]:
    """Every MyST construct in the notebook's cells, as 'cell i: construct'."""
    found = []
    for i, cell in enumerate(nb.cells):
        found += [f"cell {i}: {p}" for p in MYST if p in cell.source]
        found += [f"cell {i}: target {m}" for m in TARGET_LINE.findall(cell.source)]
    return found


# --- the renderer, on fixture chapters ---------------------------------------------------------

SITE = nbtools.Site(
    baseurl="https://example.org/course/",
    title="The Course",
    glue={
        "book/tiny": {
            "acc": {"data": {"text/plain": "0.51234"}},
            "n": {"data": {"text/plain": "1000"}},
            "big": {"data": {"text/plain": "1234567.0"}},
            "name": {"data": {"text/plain": "'hello'"}},
            "small": {"data": {"text/plain": "2.384185791015625e-07"}},
        }
    },
    labels={
        "sec-data": ["book/tiny", "sec-data", "The data"],
        "ex-one": ["book/tiny", "ex-one", "Exercise"],
    },
    numbers={"book/tiny": {"exercise": {"ex-one": "4", "ex-two": "5"}}},
    numfig_format={"exercise": "Exercise %s", "figure": "Fig. %s"},
    equations={"eq-loss": ["book/tiny", "1"]},
    titles={"book/tiny": "A tiny chapter", "book/other": "Another page"},
)

TINY = """\
(sec-top)=
# A tiny chapter

% lint: allow-number 3.11
Accuracy {glue:text}`acc:.2f` %, {glue:text}`n` digits, {glue:text}`big:,.0f` weights,
{glue:text}`small:.1e` apart, and a name: {glue:text}`name`.
See {ref}`the data <sec-data>`, {ref}`sec-data`, {numref}`ex-one`, {ref}`ex-one`, {doc}`other` and
{eq}`eq-loss`.

Model
: a definition with {glue:text}`acc:.1f` in it,
  over two lines.

Loss
: another one.

Newton's method[^newton] and a second note[^other].

[^newton]: A footnote, where the author put it.

[^other]: Another one.

```{code-cell} ipython3
:tags: [remove-cell]

# Colab setup
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "git+https://github.com/o/r"
```

```{code-cell} ipython3
x = 2
```

```{code-cell} ipython3
:tags: [remove-cell]

assert x == 2
```

```{code-cell} ipython3
:tags: [hide-input]

print("figure code", x)
```

```{code-cell} ipython3
:tags: [remove-output]

y = 3
```

````{note}
A note with {glue:text}`acc:.2f`.

```{warning}
Nested {ref}`sec-data`.
```
````

```{admonition} Mind this
:class: warning

Admonition text.
```

$$
L = x^2
$$ (eq-loss)

```{literalinclude} helper.py
:pyobject: step
```

(sec-data)=
## The data

## Exercises

```{exercise}
:label: ex-one

Do it to {glue:text}`acc:.2f`.
```

```{solution-start} ex-one
:class: dropdown
```

Prose of the solution, {glue:text}`n` times.

```{code-cell} ipython3
z = x * 2
```

```{code-cell} ipython3
%%time
w = z + 1
```

And more prose.
```{solution-end}
```

After the solution.

:::{exercise}
:label: ex-two

Second.
:::
"""

HELPER = '''\
def other():
    return 0


def step(theta, lr):
    """One step."""
    return theta - lr
'''


def _chapter(folder: Path, body: str, name: str = "tiny") -> Path:
    path = folder / "book" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n---\n\n" + body, encoding="utf-8")
    (folder / "book" / "helper.py").write_text(HELPER, encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path) -> tuple[nbformat.NotebookNode, list[str]]:
    return nbtools.render(_chapter(tmp_path, TINY), SITE, tmp_path)


def _text(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells)


def test_fixture_renders_without_problems_and_without_myst(tiny):
    nb, problems = tiny
    assert problems == []
    assert myst_left(nb) == []
    nbformat.validate(nb)


def test_glue_roles_become_the_values_as_myst_nb_formats_them(tiny):
    text = _text(tiny[0])
    assert "Accuracy 0.51 %, 1000 digits, 1,234,567 weights," in text
    assert "2.4e-07 apart, and a name: hello." in text  # text/plain without its quotes
    assert "- **Model**:\n  a definition with 0.5 in it," in text


def test_cross_references_link_to_the_published_pages(tiny):
    text = _text(tiny[0])
    page = "https://example.org/course/book/tiny.html"
    assert f"[the data]({page}#sec-data), [The data]({page}#sec-data)" in text
    assert f"[Exercise 4]({page}#ex-one), [Exercise 4]({page}#ex-one)" in text
    assert "[Another page](https://example.org/course/book/other.html)" in text
    assert f"[(1)]({page}#equation-eq-loss)" in text
    assert "$$\nL = x^2 \\tag{1}\n$$" in text


def test_footnotes_become_numbered_superscripts(tiny):
    text = _text(tiny[0])
    assert "Newton's method<sup>1</sup> and a second note<sup>2</sup>." in text
    assert "<sup>1</sup> A footnote, where the author put it." in text
    assert "<sup>2</sup> Another one." in text


def test_targets_comments_and_options_are_removed(tiny):
    text = _text(tiny[0])
    assert "(sec-top)=" not in text and "(sec-data)=" not in text
    assert "% lint" not in text and "allow-number" not in text
    assert "dropdown" not in text


def test_admonitions_become_block_quotes_with_a_bold_title(tiny):
    text = _text(tiny[0])
    assert "> **Note**\n>\n> A note with 0.51." in text
    page = "https://example.org/course/book/tiny.html"
    assert f"> > **Warning**\n> >\n> > Nested [The data]({page}#sec-data)." in text
    assert "> **Mind this**\n>\n> Admonition text." in text


def test_literalinclude_becomes_the_included_code(tiny):
    text = _text(tiny[0])
    assert (
        '```python\ndef step(theta, lr):\n    """One step."""\n    return theta - lr\n```' in text
    )
    assert "def other" not in text


def test_hidden_cells_are_dropped_except_the_colab_setup(tiny):
    nb = tiny[0]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "google.colab" in code[0].source and "tags" not in code[0].metadata
    assert not any("assert x == 2" in c.source for c in code)
    figure = next(c for c in code if "figure code" in c.source)
    assert figure.metadata["jupyter"]["source_hidden"] is True  # kept, folded
    quiet = next(c for c in code if c.source == "y = 3")
    assert quiet.metadata == {"tags": ["remove-output"]}  # as it was


def test_exercises_are_numbered_as_on_the_site(tiny):
    text = _text(tiny[0])
    assert "#### Exercise 4\n\nDo it to 0.51." in text
    assert "#### Exercise 5\n\nSecond." in text


def test_solutions_are_folded_for_jupyterlab_and_colab(tiny):
    nb = tiny[0]
    solution = [c for c in nb.cells if nbtools.is_solution(c)]
    kinds = [c.cell_type for c in solution]
    assert kinds == ["markdown", "code", "code", "markdown"]
    for cell in solution:
        if cell.cell_type == "code":
            assert nbtools.is_folded(cell)
            assert "#@title Solution to Exercise 4" in cell.source
        else:
            assert cell.source.startswith("<details>\n<summary>Solution to Exercise 4</summary>")
            assert cell.source.endswith("</details>")
    assert solution[1].source == "#@title Solution to Exercise 4\nz = x * 2"
    assert solution[2].source.startswith("%%time\n#@title")  # a cell magic stays first
    assert "Prose of the solution, 1000 times." in solution[0].source
    after = nb.cells[nb.cells.index(solution[-1]) + 1]
    assert after.source.startswith("After the solution.") and not nbtools.is_solution(after)


def test_the_notebook_is_plain_jupyter_not_a_jupytext_pair(tiny):
    nb = tiny[0]
    assert "jupytext" not in nb.metadata
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].source.startswith("> This notebook is [A tiny chapter]")
    text = nbtools.notebook_text(nb)
    assert text == nbtools.notebook_text(nbformat.reads(text, as_version=4))  # stable


def test_student_notebook_replaces_each_solution_by_an_answer_cell(tiny):
    student = nbtools.student_notebook(tiny[0])
    assert not any(nbtools.is_solution(c) for c in student.cells)
    answers = [c.source for c in student.cells if nbtools.is_answer_cell(c)]
    assert answers == ["# Your answer to Exercise 4"]
    assert "#### Exercise 4" in _text(student) and "After the solution." in _text(student)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Text {glue:text}`missing:.2f`.\n", "book/tiny.md:16: no glue value 'missing'"),
        ("Text {foo}`bar`.\n", "book/tiny.md:16: the role {foo} has no launch-notebook rendering"),
        ("\n```{mystery}\nbody\n```\n", "book/tiny.md:17: the directive {mystery} has no"),
        ("See {ref}`nowhere`.\n", "book/tiny.md:16: {ref}`nowhere`: no label 'nowhere'"),
        ("Text {glue:text}`acc:.2q`.\n", "book/tiny.md:16: cannot format the glue value 'acc'"),
    ],
)
def test_what_cannot_be_rendered_is_reported_with_its_line(tmp_path, body, message):
    _nb, problems = nbtools.render(_chapter(tmp_path, "# T\n\n" + body), SITE, tmp_path)
    assert len(problems) == 1 and problems[0].startswith(message), problems


def test_a_role_in_inline_code_stays_code(tmp_path):
    body = "# T\n\nWrite ``{glue:text}`acc:.2f` `` to quote {glue:text}`acc:.2f`.\n"
    nb, problems = nbtools.render(_chapter(tmp_path, body), SITE, tmp_path)
    assert problems == []
    assert "Write ``{glue:text}`acc:.2f` `` to quote 0.51." in _text(nb)


def test_launch_urls_follow_the_theme_on_the_notebooks_branch():
    buttons = {
        "notebook_interface": "jupyterlab",
        "binderhub_url": "https://mybinder.org/",
        "colab_url": "https://colab.research.google.com",
        "jupyterhub_url": "https://hub.example.edu",
    }
    repo, branch, path = "https://github.com/o/course", "notebooks", "book/cnn.ipynb"
    assert nbtools.launch_url("Colab", repo, branch, path, buttons) == (
        "https://colab.research.google.com/github/o/course/blob/notebooks/book/cnn.ipynb"
    )
    assert nbtools.launch_url("Binder", repo, branch, path, buttons) == (
        "https://mybinder.org/v2/gh/o/course/notebooks?urlpath=lab/tree/book/cnn.ipynb"
    )
    assert nbtools.launch_url("JupyterHub", repo, branch, path, buttons) == (
        "https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A//github.com/o/course"
        "&urlpath=lab/tree/course/book/cnn.ipynb&branch=notebooks"
    )


def test_the_extension_rewrites_the_theme_launch_menu_jupyterhub_included():
    from _ext import launch_notebooks

    buttons = {
        "notebook_interface": "jupyterlab",
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "jupyterhub_url": "https://hub.example.edu",
    }
    theme = [  # what sphinx-book-theme puts in the page context
        {"label": "download-buttons", "buttons": [{"text": ".md", "url": "x.md"}]},
        {
            "label": "launch-buttons",
            "buttons": [
                {"text": "Binder", "url": "https://mybinder.org/v2/gh/o/r/main?urlpath=x.md"},
                {"text": "JupyterHub", "url": "https://hub.example.edu/hub/...main..."},
                {"text": "Colab", "url": "https://colab.research.google.com/.../main/x.md"},
            ],
        },
    ]
    count = launch_notebooks.rewrite_launch_buttons(
        theme, "https://github.com/o/r", "notebooks", "book/x.ipynb", buttons
    )
    assert count == 3
    urls = [b["url"] for b in theme[1]["buttons"]]
    assert all("notebooks" in u and u.count("book/x.ipynb") == 1 for u in urls), urls
    assert urls[1].startswith("https://hub.example.edu/hub/user-redirect/git-pull?")
    assert theme[0]["buttons"][0]["url"] == "x.md"


# --- the launch notebooks of the last `make book` ---------------------------------------------


@pytest.fixture(scope="module")
def built(built_site) -> Path:
    """The build folder, when its launch notebooks are current (else the one-line reason)."""
    problem = nbtools.launch_problem()
    if problem:
        pytest.fail(problem)
    return ROOT / "_build"


def _launch(md: Path) -> nbformat.NotebookNode:
    return nbformat.read(nbtools.launch_path(md), as_version=4)


@by_chapter
def test_launch_notebook_has_no_myst(built, md):
    assert myst_left(_launch(md)) == []


@by_chapter
def test_launch_notebook_is_what_the_renderer_makes_of_the_chapter(built, md):
    site = nbtools.Site.load(nbtools.launch_dir() / nbtools.SITE_RECORD)
    nb, problems = nbtools.render(md, site)
    assert problems == []
    assert nbtools.notebook_text(nb) == nbtools.launch_path(md).read_text(encoding="utf-8")


class _Pasted(HTMLParser):
    """The text of every ``<span class="pasted-text">`` (a glue:text value), in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "span" and "pasted-text" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.values.append("")
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.values[-1] += data


@by_chapter
def test_glued_numbers_are_those_of_the_built_page(built, md):
    """Each {glue:text} of the chapter, in order: the value on the HTML page equals the value
    in the launch notebook's text."""
    page = built / "html" / f"{book.docname(md)}.html"
    parser = _Pasted()
    parser.feed(page.read_text(encoding="utf-8"))
    on_page = [html.unescape(v) for v in parser.values]
    site = nbtools.Site.load(nbtools.launch_dir() / nbtools.SITE_RECORD)
    renderer = nbtools.Renderer(md, site)
    roles = [r for r in renderer.chapter.roles if r.name == "glue:text"]
    in_notebook = [renderer.role(r.name, r.content, r.line) for r in roles]
    assert in_notebook == on_page
    text, at = "\n".join(c.source for c in _launch(md).cells if c.cell_type == "markdown"), 0
    for value in in_notebook:
        at = text.find(value, at)
        assert at >= 0, f"{value!r} is missing from the launch notebook's text"


def _solutions_in_source(md: Path) -> int:
    return sum(1 for d in book.parse(md).directives if d.name == "solution-start")


def _check_folded(nb: nbformat.NotebookNode, expected: int, where: str) -> None:
    solution = [c for c in nb.cells if nbtools.is_solution(c)]
    titles = {nbtools._solution_title(c) for c in solution}
    assert len(titles) == expected, f"{where}: {len(titles)} solutions, expected {expected}"
    for cell in solution:
        if cell.cell_type == "code":
            assert nbtools.is_folded(cell), (
                f"{where}: an unfolded solution cell: {cell.source[:60]}"
            )
        else:
            assert cell.source.startswith("<details>") and cell.source.endswith("</details>")


@by_chapter
def test_launch_and_download_notebooks_open_folded_solutions(built, md):
    expected = _solutions_in_source(md)
    _check_folded(_launch(md), expected, book.relative(nbtools.launch_path(md)))
    download = nbtools.download_path(md)
    assert download.read_bytes() == nbtools.launch_path(md).read_bytes()


@pytest.fixture(scope="module")
def students(built, tmp_path_factory) -> Path:
    """The student notebooks, as `make student` writes them."""
    out = tmp_path_factory.mktemp("student")
    result = subprocess.run(
        [sys.executable, "-m", "tools.notebooks", "student", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return out


@by_chapter
def test_student_notebook_has_an_answer_cell_for_each_solution(students, md):
    student = nbformat.read(students / f"{md.stem}.ipynb", as_version=4)
    nbformat.validate(student)
    assert not any(nbtools.is_solution(c) for c in student.cells)
    answers = [c for c in student.cells if nbtools.is_answer_cell(c)]
    assert len(answers) == _solutions_in_source(md)
    assert myst_left(student) == []
    launch_code = {c.source for c in _launch(md).cells if nbtools.is_solution(c)}
    assert not launch_code & {c.source for c in student.cells}


@by_chapter
def test_included_code_is_visible_in_the_launch_notebook(built, md):
    """What a chapter shows with literalinclude (a fallback) is in its notebook as code."""
    text = "\n".join(c.source for c in _launch(md).cells)
    for directive in book.parse(md).directives:
        if directive.name == "literalinclude" and "pyobject" in directive.options:
            assert f"def {directive.options['pyobject']}(" in text


def test_launch_check_names_make_book_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(nbtools.book, "site_problem", lambda root=ROOT: None)
    problem = nbtools.launch_problem(ROOT, build=tmp_path)
    assert problem.startswith("there is no launch notebook") and problem.endswith("make book`")
    assert "\n" not in problem


# --- the chapters' Colab setup cell -----------------------------------------------------------


@by_chapter
def test_chapter_starts_with_the_hidden_colab_setup_cell(md):
    url = book.repository_url()
    cells = [c for c in jupytext.read(md, fmt="md:myst").cells if c.cell_type == "code"]
    assert cells, f"{md.name} has no code cell"
    setup = cells[0]
    where = f"the first code cell of {md.relative_to(ROOT)}"
    assert "remove-cell" in setup.metadata.get("tags", []), f"{where} must be tagged remove-cell"
    lines = setup.source.splitlines()
    guard = [
        i
        for i, line in enumerate(lines)
        if re.fullmatch(r'if "google\.colab" in sys\.modules:', line)
    ]
    assert guard and "import sys" in lines, (
        f'{where} must run only `if "google.colab" in sys.modules:`'
    )
    installs = [line for line in lines if "pip install" in line]
    assert len(installs) == 1, f"{where} must install dlcourse with one `%pip install`"
    (install,) = installs
    assert lines.index(install) > guard[0] and install.startswith((" ", "\t")), (
        f"{where}: the install must be inside the `if` block, so that it runs only in Colab"
    )
    assert install.strip().startswith("%pip install"), f"{where}: use `%pip install`"
    sources = re.findall(r"git\+([^\s\"'@#]+)", install)
    assert [s.removesuffix(".git").rstrip("/") for s in sources] == [url], (
        f"{where} installs from {sources}, but repository.url in _config.yml is {url}: "
        'make the cell install "git+' + url + '"'
    )
    assert "torch" not in install, f"{where}: do not pin torch; Colab's own PyTorch is used"


def test_nbval_collects_each_chapter_once_from_its_md():
    """conftest.py reads the .md files; no .ipynb in book/ runs a second time."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", "book"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    assert collected == {str(md.relative_to(ROOT)) for md in CHAPTERS}
