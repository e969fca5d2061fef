"""The chapters as notebooks: paired .ipynb files, the Colab setup cell, student versions.

Every test is run for each chapter found under book/ (a MyST-markdown notebook), so a
new chapter is checked as soon as it exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest

from tools import notebooks as nbtools

ROOT = nbtools.ROOT
CHAPTERS = nbtools.chapter_sources()
IDS = [str(md.relative_to(ROOT)) for md in CHAPTERS]
by_chapter = pytest.mark.parametrize("md", CHAPTERS, ids=IDS)

_SOLUTION_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{solution(-start|-end)?\}", re.M)
_EXERCISE_LABEL = re.compile(
    r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)", re.M
)
_SOLUTION_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}\s*(\S*)", re.M)


def test_the_book_has_chapters():
    assert ROOT / "book" / "regression.md" in CHAPTERS


# --- paired notebooks ----------------------------------------------------------------------


@by_chapter
def test_paired_notebook_is_in_sync(md):
    ipynb = nbtools.paired_path(md)
    rel = ipynb.relative_to(ROOT)
    assert ipynb.exists(), f"{rel} is missing: run `make sync` and commit it"
    expected = nbtools.paired_notebook_text(md)
    actual = ipynb.read_text(encoding="utf-8")
    if actual != expected:
        # Name the first cell that differs, to make the message useful.
        want = nbformat.reads(expected, as_version=4).cells
        have = nbformat.reads(actual, as_version=4).cells
        where = next(
            (f"cell {i}" for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b),
            f"the number of cells ({len(have)} instead of {len(want)})",
        )
        pytest.fail(
            f"{rel} is out of sync with {md.relative_to(ROOT)} (first difference: {where}). "
            "The .md is the source: edit it, then run `make sync` and commit both files."
        )


def test_every_paired_notebook_has_a_chapter():
    problems = [p for p in nbtools.out_of_sync() if "has no chapter" in p]
    assert not problems, "\n".join(problems)


@by_chapter
def test_paired_notebook_has_no_outputs_and_declares_the_pairing(md):
    nb = nbformat.read(nbtools.paired_path(md), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert nb.metadata["jupytext"]["formats"] == "ipynb,md:myst"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def _write_chapter(folder: Path, name: str, body: str) -> Path:
    """A small chapter (with the course's front matter) in folder/book/."""
    header = (ROOT / "book" / "regression.md").read_text(encoding="utf-8").split("\n---\n")[0]
    path = folder / "book" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n---\n\n" + body, encoding="utf-8")
    return path


def test_sync_writes_only_what_changed_and_keeps_cell_ids(tmp_path):
    body = (
        "# T\n\n```{code-cell} ipython3\nx = 1\n```\n\n"
        "Text.\n\n```{code-cell} ipython3\ny = 2\n```\n"
    )
    md = _write_chapter(tmp_path, "tiny", body)
    assert nbtools.sync(tmp_path) == [nbtools.paired_path(md)]
    first = nbformat.read(nbtools.paired_path(md), as_version=4)
    assert nbtools.sync(tmp_path) == []  # nothing changed, nothing written
    assert nbtools.out_of_sync(tmp_path) == []

    md.write_text(md.read_text().replace("y = 2", "y = 3"), encoding="utf-8")
    assert nbtools.out_of_sync(tmp_path) == ["book/tiny.ipynb differs from book/tiny.md"]
    assert nbtools.sync(tmp_path) == [nbtools.paired_path(md)]
    second = nbformat.read(nbtools.paired_path(md), as_version=4)
    # Only the edited cell changed, id included; the others kept theirs.
    changed = [i for i, (a, b) in enumerate(zip(first.cells, second.cells, strict=True)) if a != b]
    assert changed == [3]
    assert [c.id for c in first.cells[:3]] == [c.id for c in second.cells[:3]]


def test_out_of_sync_names_missing_and_orphaned_notebooks(tmp_path):
    _write_chapter(tmp_path, "tiny", "# T\n\n```{code-cell} ipython3\nx = 1\n```\n")
    (tmp_path / "book" / "gone.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "book" / "notes.md").write_text("# Not a notebook\n", encoding="utf-8")
    assert nbtools.out_of_sync(tmp_path) == [
        "book/tiny.ipynb is missing",
        "book/gone.ipynb has no chapter gone.md beside it: remove it (git rm)",
    ]


def test_check_command_fails_and_says_make_sync(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(nbtools, "out_of_sync", lambda: ["book/x.ipynb is missing"])
    assert nbtools.main(["check"]) == 1
    assert "make sync" in capsys.readouterr().err


def test_nbval_collects_each_chapter_once_from_its_md():
    """conftest.py reads the .md files; the paired .ipynb files must not run a second time."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", "book"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    assert collected == set(IDS)


# --- the Colab setup cell --------------------------------------------------------------------


@by_chapter
def test_chapter_starts_with_the_hidden_colab_setup_cell(md):
    url = nbtools.repository_url()
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


# --- student notebooks -----------------------------------------------------------------------

CHAPTER_WITH_SOLUTIONS = """\
# A chapter

```{code-cell} ipython3
x = 2
```

```{exercise}
:label: ex-mid

Square x.
```

````{solution-start} ex-mid
:class: dropdown
````

Multiply it by itself:

```{code-cell} ipython3
x_squared = x * x
```

```{solution-end}
```

More text.

```{code-cell} ipython3
y = x + 1
```

## Exercises

:::{exercise}
:label: ex-end

Cube y.
:::

:::{solution-start} ex-end
:::

```{code-cell} ipython3
y_cubed = y ** 3
```

:::{solution-end}
:::

```{solution} ex-end
Or write `y * y * y`.
```
"""


def test_strip_solutions_removes_gated_and_plain_solutions_and_keeps_the_rest():
    text = nbtools.strip_solutions(CHAPTER_WITH_SOLUTIONS)
    assert not _SOLUTION_DIRECTIVE.search(text)
    for gone in ("x_squared", "Multiply", "y_cubed", "y * y * y"):
        assert gone not in text
    for kept in ("x = 2", "Square x.", "More text.", "y = x + 1", "## Exercises", "Cube y."):
        assert kept in text
    nb = jupytext.reads(text, fmt="md:myst")
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["x = 2", "y = x + 1"]


def test_strip_solutions_leaves_an_answer_cell_per_solution():
    text = nbtools.strip_solutions(CHAPTER_WITH_SOLUTIONS, placeholder=nbtools.ANSWER_CELL)
    nb = jupytext.reads(text, fmt="md:myst")
    answers = [c.source for c in nb.cells if nbtools.is_answer_cell(c)]
    assert answers == ["# Your answer (ex-mid)", "# Your answer (ex-end)", "# Your answer (ex-end)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```{solution-start} ex-a\n```\ntext\n", "line 1: solution-start without a solution-end"),
        ("text\n```{solution-end}\n```\n", "line 2: solution-end without a solution-start"),
        (
            "```{solution-start} a\n```\n```{solution-start} b\n```\n```{solution-end}\n```\n",
            "line 3: a solution-start inside the solution that starts on line 1",
        ),
        ("```{solution} a\nnever closed\n", "line 1: the solution directive is never closed"),
    ],
)
def test_strip_solutions_names_the_line_of_unpaired_markers(text, message):
    with pytest.raises(nbtools.SolutionMarkupError, match=re.escape(f"ch.md, {message}")):
        nbtools.strip_solutions(text, name="ch.md")


def _solution_code(nb: nbformat.NotebookNode) -> list[str]:
    """The code cells that lie between a solution-start and its solution-end."""
    inside, code = False, []
    for cell in nb.cells:
        if cell.cell_type == "code":
            if inside:
                code.append(cell.source)
            continue
        for match in _SOLUTION_DIRECTIVE.finditer(cell.source):
            if match[2] == "-start":
                inside = True
            elif match[2] == "-end":
                inside = False
    return code


@by_chapter
def test_solutions_are_marked_the_one_way(md):
    """Gated solutions, each after its own exercise, so that `make student` can remove them."""
    text = md.read_text(encoding="utf-8")
    assert not re.search(r"^(`{3,}|:{3,})\{solution\}", text, re.M), (
        f"{md.name}: write solutions with solution-start/solution-end, not {{solution}}"
    )
    nbtools.strip_solutions(text, name=md.name)  # raises on unpaired markers
    exercises = [m[2] for m in _EXERCISE_LABEL.finditer(text)]
    solutions = [m[2] for m in _SOLUTION_START.finditer(text)]
    assert exercises, f"{md.name} has no exercise with a :label:"
    assert set(solutions) <= set(exercises), f"{md.name}: solutions for unknown exercises"


@by_chapter
def test_student_notebook_has_no_solutions(md):
    chapter = jupytext.read(md, fmt="md:myst")
    student = nbtools.student_notebook(md)
    text = "\n".join(cell.source for cell in student.cells)
    assert not _SOLUTION_DIRECTIVE.search(text)
    student_code = {c.source for c in student.cells if c.cell_type == "code"}
    chapter_code = [c.source for c in chapter.cells if c.cell_type == "code"]
    solution_code = _solution_code(chapter)
    # Code that appears only in solutions must be gone (a line such as `plt.show()` may
    # also appear outside them).
    only_in_solutions = {
        s for s in solution_code if chapter_code.count(s) == solution_code.count(s)
    }
    assert not student_code & only_in_solutions
    chapter_text = md.read_text(encoding="utf-8")
    assert len(_EXERCISE_LABEL.findall(text)) == len(_EXERCISE_LABEL.findall(chapter_text))


def _exercises_start(nb: nbformat.NotebookNode) -> int:
    """Index of the first cell of the chapter's closing exercises (len(cells) if none).

    That is the first cell with an exercise after the last heading, so an exercise in the
    middle of a chapter does not count: the student notebook must run past it.
    """
    has_heading = [
        c.cell_type == "markdown" and re.search(r"^#{1,2} ", c.source, re.M) for c in nb.cells
    ]
    last_heading = max((i for i, h in enumerate(has_heading) if h), default=0)
    for i in range(last_heading, len(nb.cells)):
        if re.search(r"^(`{3,}|:{3,})\{exercise\}", nb.cells[i].source, re.M):
            return i
    return len(nb.cells)


def _runnable_code(nb: nbformat.NotebookNode) -> list[str]:
    cells = nb.cells[: _exercises_start(nb)]
    return [c.source for c in cells if c.cell_type == "code" and not nbtools.is_answer_cell(c)]


def _run_until_exercises(nb: nbformat.NotebookNode, cwd: Path) -> None:
    nb = nbformat.from_dict(nb)
    nb.cells = nb.cells[: _exercises_start(nb)]
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()


@by_chapter
def test_student_notebook_runs_up_to_the_exercises(md, tmp_path):
    """The student notebook runs, in a fresh kernel, up to the exercises.

    When its code up to there is the chapter's own code, cell for cell (no solution was
    removed before the closing exercises), nbval's run of the chapter in `make test` already
    executes exactly these cells, and running them twice would only double the test time.
    Otherwise the student notebook is executed here with nbclient.
    """
    student = nbtools.student_notebook(md)
    if _runnable_code(student) == _runnable_code(jupytext.read(md, fmt="md:myst")):
        return
    _run_until_exercises(student, tmp_path)


def test_student_notebook_of_a_chapter_with_a_mid_chapter_solution_runs(tmp_path):
    md = _write_chapter(tmp_path, "mid", CHAPTER_WITH_SOLUTIONS)
    student = nbtools.student_notebook(md)
    assert _runnable_code(student) != _runnable_code(jupytext.read(md, fmt="md:myst"))
    _run_until_exercises(student, tmp_path)


def test_student_notebook_fails_when_later_code_needs_a_solution(tmp_path):
    body = CHAPTER_WITH_SOLUTIONS.replace("y = x + 1", "y = x_squared + 1")
    md = _write_chapter(tmp_path, "broken", body)
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="x_squared"):
        _run_until_exercises(nbtools.student_notebook(md), tmp_path)


def test_make_student_writes_one_solution_free_notebook_per_chapter(tmp_path):
    out = tmp_path / "student"
    result = subprocess.run(
        [sys.executable, "-m", "tools.notebooks", "student", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    written = sorted(p.relative_to(out) for p in out.rglob("*.ipynb"))
    assert written == sorted(nbtools.paired_path(md).relative_to(ROOT / "book") for md in CHAPTERS)
    for path in out.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert not _SOLUTION_DIRECTIVE.search("\n".join(c.source for c in nb.cells)), path.name
    shutil.rmtree(out)
