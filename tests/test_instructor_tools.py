"""The instructor's tools: new_chapter (make new-chapter), the failure hints of
make test / make preview, and notebook outputs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jupytext
import nbclient
import pytest

from tools import book, hints, lint, new_chapter

TOC = """# Table of contents. A new chapter is a book/<name>.md notebook listed here.
format: jb-book
root: book/intro
chapters:
  - file: book/regression
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A minimal copy of the course: configuration, toc, template and the regression chapter."""
    for name in ("_config.yml", "templates"):
        source = book.ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, tmp_path / name)
    (tmp_path / "_toc.yml").write_text(TOC, encoding="utf-8")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n", encoding="utf-8")
    shutil.copy(book.ROOT / "book" / "regression.md", tmp_path / "book" / "regression.md")
    return tmp_path


# --------------------------------------------------------------------------- new chapters


def problems_of(course: Path, page: Path) -> list[lint.Problem]:
    """The lint's remarks on a new chapter, and the book-wide ones (the copy of the regression
    chapter is not checked: it follows the conventions of main, whatever they are now)."""
    book_rules = {name for name, _ in lint.RULES["book"]}
    return lint.lint(course, only=[page]) + lint.check(
        lint.groups_of(course), course, only_rules=book_rules
    )


def test_new_chapter_is_created_listed_and_follows_the_conventions(course):
    path = new_chapter.create("attention", "Attention, at last", course)
    assert path == course / "book" / "attention.md"
    text = path.read_text(encoding="utf-8")
    assert text.split("\n")[13] == "# Attention, at last"
    assert f'git+{book.repository_url(course)}"' in text
    assert "{{" not in text
    toc = (course / "_toc.yml").read_text(encoding="utf-8")
    assert toc == TOC + "  - file: book/attention\n"  # appended, comments kept
    assert book.chapter_groups(course)[-1] == [path]
    assert problems_of(course, path) == []
    assert not path.with_suffix(".ipynb").exists()  # launch notebooks are build products


def test_new_chapter_files_are_made_known_to_git(course):
    subprocess.run(["git", "init", "--quiet"], cwd=course, check=True)
    new_chapter.create("tracked", "Tracked", course)
    listed = subprocess.run(
        ["git", "ls-files"], cwd=course, check=True, capture_output=True, text=True
    ).stdout.split()
    assert "book/tracked.md" in listed


def test_new_chapter_uses_the_repository_url_of_the_config(course):
    config = course / "_config.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("dlcourse/deep-learning-course", "someone/fork"))
    path = new_chapter.create("forked", "Forked", course)
    assert '"git+https://github.com/someone/fork"' in path.read_text(encoding="utf-8")


def test_two_new_chapters_have_distinct_glue_names_and_labels(course):
    first = new_chapter.create("first_topic", "First", course)
    second = new_chapter.create("second_topic", "Second", course)
    assert problems_of(course, first) + problems_of(course, second) == []


@pytest.mark.parametrize(
    "name, complaint",
    [
        ("", "give the chapter a name"),
        ("Attention", "lower-case letters"),
        ("2nd_chapter", "starting with a letter"),
        ("my-chapter", "lower-case letters, digits and underscores"),
        ("attention.md", "NAME=attention"),
        ("book/attention", "NAME=attention"),
        ("x" * 41, "at most 40"),
        ("intro", "taken by the book"),
        ("class", "taken by the book"),
        ("regression", "book/regression.md already exists"),
    ],
)
def test_bad_or_taken_names_are_refused_with_a_clear_message(course, name, complaint):
    toc_before = (course / "_toc.yml").read_text(encoding="utf-8")
    with pytest.raises(new_chapter.ChapterError, match=complaint):
        new_chapter.create(name, "A title", course)
    assert (course / "_toc.yml").read_text(encoding="utf-8") == toc_before
    assert sorted(p.name for p in (course / "book").iterdir()) == ["intro.md", "regression.md"]


def test_a_name_already_in_the_toc_is_refused(course):
    with (course / "_toc.yml").open("a", encoding="utf-8") as toc:
        toc.write("  - file: book/planned\n")
    with pytest.raises(new_chapter.ChapterError, match="already lists book/planned"):
        new_chapter.create("planned", "Planned", course)


def test_titles_are_checked(course):
    with pytest.raises(new_chapter.ChapterError, match="give the chapter a title"):
        new_chapter.create("topic", "   ", course)
    with pytest.raises(new_chapter.ChapterError, match="without the leading '#'"):
        new_chapter.create("topic", "# Topic", course)


def test_the_command_line_explains_a_refusal(capsys):
    assert new_chapter.main(["regression", "Again"]) == 2
    err = capsys.readouterr().err
    assert "book/regression.md already exists" in err and "make test CHAPTER=regression" in err


def test_new_chapter_runs_out_of_the_box(course, tmp_path_factory):
    """The template executes top to bottom, as `make test CHAPTER=<name>` will run it."""
    path = new_chapter.create("fresh", "Fresh", course)
    notebook = jupytext.read(path, fmt="md:myst")
    workdir = tmp_path_factory.mktemp("run")
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute(cwd=str(workdir))
    printed = "".join(
        out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", [])
    )
    assert "average by hand" in printed
    assert not list(workdir.iterdir()), "the chapter must not write files"


# --------------------------------------------------------------------------- failure hints

TRACEBACK = """Notebook cell execution failed
Cell 3: Cell execution caused an exception

Input:
...
Traceback:
\x1b[0;31mZeroDivisionError\x1b[0m   Traceback (most recent call last)
Cell \x1b[0;32mIn[4], line 2\x1b[0m
      1 x = 1
----> 2 y = x / 0
"""


def test_nbval_hint_names_the_failing_line_of_the_md_file():
    cell = book.parse(book.ROOT / "book" / "regression.md").code_cells[3]
    hint = hints.nbval_hint("book/regression.md::Cell 3", TRACEBACK)
    line = cell.body_line + 1
    source_line = cell.source.split("\n")[1].strip()
    assert hint.startswith(f"book/regression.md:{line}: code cell 3 of regression failed at: ")
    assert source_line in hint
    assert "make test CHAPTER=regression" in hint


def test_nbval_hint_without_a_line_points_at_the_cell():
    cell = book.parse(book.ROOT / "book" / "regression.md").code_cells[2]
    hint = hints.nbval_hint("book/regression.md::Cell 2", "no traceback")
    assert hint.startswith(f"book/regression.md:{cell.body_line}:")


@pytest.mark.parametrize(
    "nodeid", ["tests/test_data.py::test_x", "book/regression.md::Cell 999", "book/nope.md::Cell 1"]
)
def test_nbval_hint_is_silent_for_other_tests(nodeid):
    assert hints.nbval_hint(nodeid, TRACEBACK) is None


def test_build_hint_for_a_failed_cell():
    path = book.ROOT / "book" / "regression.md"
    cell = book.parse(path).code_cells[4]
    log = (
        f"{path}: WARNING: Executing notebook failed: CellExecutionError [mystnb.exec]\n"
        "An error occurred while executing the following cell:\n------------------\n"
        f"{cell.source}\n------------------\n\nCell In[5], line 1\nNameError: oops\n"
    )
    hint = hints.build_hint(log)
    assert hint.startswith(f"book/regression.md:{cell.body_line}: regression failed at: ")
    assert "make test CHAPTER=regression" in hint


def test_build_hint_for_warnings():
    log = "book/x.md:12: WARNING: glue target not found: 'x_loss'\nbuild finished with problems"
    hint = hints.build_hint(log)
    assert "1 warning(s)" in hint and "book/x.md:12" in hint and "make preview" in hint
