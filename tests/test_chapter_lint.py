"""The chapter lint (tools/lint_chapters.py) passes on every real chapter and fails, at
the right lines, on the deliberately broken chapters in tests/fixtures/chapters/."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import jupytext
import pytest

from tools import chapters
from tools import lint_chapters as lint

FIXTURES = Path(__file__).parent / "fixtures" / "chapters"
GOOD = FIXTURES / "good.md"
URL = chapters.repository_url()
GROUPS = chapters.toc_groups() + [[page] for page in chapters.unlisted_notebooks()]


def rules(problems: list[lint.Problem]) -> Counter:
    return Counter(problem.rule for problem in problems)


def lint_file(path: Path) -> list[lint.Problem]:
    return lint.lint_chapter([path], URL)[0]


# --------------------------------------------------------------------------- real chapters


def test_the_book_has_chapters():
    assert chapters.chapters(), "no chapter found in _toc.yml or book/"


@pytest.mark.parametrize("pages", GROUPS, ids=[group[0].stem for group in GROUPS])
def test_real_chapter_follows_the_conventions(pages):
    problems, _ = lint.lint_chapter(pages, URL)
    assert not problems, "\n" + "\n".join(map(str, problems))


def test_book_wide_rules_hold():
    """Every notebook is in the toc; glue names and exercise labels are unique in the book."""
    facts = [fact for group in GROUPS for fact in lint.lint_chapter(group, URL)[1]]
    problems = lint.book_problems(facts)
    assert not problems, "\n" + "\n".join(map(str, problems))


@pytest.mark.parametrize(
    "path", [*chapters.chapters(), GOOD], ids=lambda p: p.stem if isinstance(p, Path) else p
)
def test_cells_are_read_as_jupytext_reads_them(path):
    """The lint's own reader sees the same code cells as jupytext (and so nbval and the book)."""
    notebook = jupytext.read(path, fmt="md:myst")
    expected = [
        (cell.source, list(cell.metadata.get("tags", [])))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]
    parsed = chapters.parse(path)
    assert [(cell.source, cell.tags) for cell in parsed.code_cells] == expected
    lines = parsed.text.split("\n")
    for cell in parsed.code_cells:
        assert lines[cell.body_line - 1] == cell.source.split("\n")[0]


# --------------------------------------------------------------------------- broken fixtures

EXPECTED = {
    "good.md": {},
    "no_conventions.md": {
        "setup-cell": 1,
        "hidden-assert": 1,
        "outcomes": 1,
        "summary": 1,
        "exercise": 1,
    },
    "bad_front_matter.md": {"front-matter": 1, "title": 1},
    "bad_exercises.md": {"setup-cell": 2, "exercise": 2, "solution": 4},
    "debug_leftovers.md": {"debug": 4, "leftover-output": 2, "trivial-assert": 1, "syntax": 1},
    "absolute_paths.md": {"absolute-path": 4},
    "unglued_numbers.md": {"unglued-number": 3, "glue-undefined": 1},
}


def test_every_fixture_has_its_expected_problems_listed():
    assert {path.name for path in FIXTURES.glob("*.md")} == set(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_fixture_fails_with_exactly_the_expected_problems(name):
    problems = lint_file(FIXTURES / name)
    assert rules(problems) == Counter(EXPECTED[name]), "\n" + "\n".join(map(str, problems))


@pytest.mark.parametrize(
    "name, rule, text_on_line",
    [
        ("debug_leftovers.md", "debug", "import pdb"),
        ("debug_leftovers.md", "debug", "breakpoint()"),
        ("debug_leftovers.md", "debug", "%debug"),
        ("debug_leftovers.md", "debug", 'print("debug'),
        ("debug_leftovers.md", "leftover-output", "xs.shape"),
        ("debug_leftovers.md", "leftover-output", "len(xs)"),
        ("debug_leftovers.md", "trivial-assert", "assert True"),
        ("debug_leftovers.md", "syntax", "def broken(:"),
        ("absolute_paths.md", "absolute-path", "/home/ana"),
        ("absolute_paths.md", "absolute-path", "C:\\\\Users"),
        ("absolute_paths.md", "absolute-path", "/tmp/log.txt"),
        ("absolute_paths.md", "absolute-path", "/Users/ana/runs"),
        ("unglued_numbers.md", "unglued-number", "accuracy of 0.973"),
        ("unglued_numbers.md", "glue-undefined", "numbers_acuracy"),
        ("bad_exercises.md", "solution", "```{solution-start} ex-bad-a"),
        ("bad_exercises.md", "solution", "```{solution-start} ex-bad-typo"),
        ("bad_exercises.md", "exercise", ":label: ex-bad-b"),
        ("bad_exercises.md", "setup-cell", '"git+https://github.com/someone/old-fork"'),
    ],
)
def test_problems_point_at_the_offending_line(name, rule, text_on_line):
    path = FIXTURES / name
    lines = path.read_text(encoding="utf-8").split("\n")
    flagged = [lines[p.line - 1] for p in lint_file(path) if p.rule == rule]
    # a directive is flagged at its fence; its :label: option is on the next line
    flagged += [lines[p.line] for p in lint_file(path) if p.rule == rule]
    assert any(text_on_line in line for line in flagged), flagged


def test_messages_name_file_line_and_rule():
    problem = lint_file(FIXTURES / "unglued_numbers.md")[0]
    assert str(problem).startswith("tests/fixtures/chapters/unglued_numbers.md:")
    assert str(problem).endswith("[unglued-number]")
    assert "glue it" in problem.message  # and says what to do


# --------------------------------------------------------------------------- one rule at a time

MUTATIONS = [
    # (what the good chapter says, what a careless edit makes of it, the rule that notices)
    (":class: dropdown\n", "", "solution"),
    ("```{solution-end}\n```\n", "", "solution"),
    ("```{exercise}\n:label: ex-good-first\n", "```{exercise}\n", "exercise"),
    (":tags: [remove-cell]\n\n# Colab", "# Colab", "setup-cell"),
    ("dlcourse/deep-learning-course", "someone/fork", "setup-cell"),
    ("scores  # the three scores, shown on purpose", "scores", "leftover-output"),
    ("import numpy as np\n", "import numpy as np\nimport ipdb\n", "debug"),
    ("{glue:text}`good_mean:.2f`", "0.71", "unglued-number"),
    ("{glue:text}`good_mean:.2f`", "{glue:text}`good_meen:.2f`", "glue-undefined"),
    ("a learning rate of 0.1", "a learning rate of 0.01", "unglued-number"),
    ("% lint: allow-number 3.11\n", "", "unglued-number"),
    (':tags: [remove-cell]\n\nglue("good_mean"', 'glue("good_mean"', "hidden-assert"),
    ("## Summary", "## Recap", "summary"),
    ("By the end of this chapter", "In this chapter", "outcomes"),
    ("# A chapter that", "A chapter that", "title"),
    ("kernelspec:", "kernel:", "front-matter"),
    ('"git+https', '"/home/me/dlcourse.zip" or "git+https', "absolute-path"),
]


@pytest.mark.parametrize("old, new, rule", MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_one_careless_edit_is_caught_by_its_rule(tmp_path, old, new, rule):
    text = GOOD.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "chapter.md"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert rule in rules(lint_file(broken)), "\n".join(map(str, lint_file(broken)))


# --------------------------------------------------------------------------- chapters and book


def make_book(root: Path, toc: str, pages: dict[str, str]) -> Path:
    shutil.copy(chapters.ROOT / "_config.yml", root / "_config.yml")
    (root / "_toc.yml").write_text(toc, encoding="utf-8")
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text("# Intro\n", encoding="utf-8")
    for name, text in pages.items():
        (root / "book" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def test_book_rules_catch_unlisted_chapters_and_shared_names(tmp_path):
    good = GOOD.read_text(encoding="utf-8")
    toc = "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/first\n"
    root = make_book(tmp_path, toc, {"first": good, "copy": good})
    problems = lint.lint_book(root)
    assert rules(problems) == Counter({"toc": 1, "glue-duplicate": 1, "label-duplicate": 1})
    assert any("book/copy" in p.message for p in problems if p.rule == "toc")


def test_a_chapter_split_into_pages_needs_exercises_and_summary_only_once(tmp_path):
    good = GOOD.read_text(encoding="utf-8")
    head, _, tail = good.partition("## Summary")
    first = head
    second = good.replace("good_mean", "second_mean").replace("ex-good-first", "ex-second")
    toc = (
        "format: jb-book\nroot: book/intro\nchapters:\n"
        "  - file: book/first\n    sections:\n      - file: book/second\n"
    )
    root = make_book(tmp_path, toc, {"first": first, "second": second})
    assert chapters.toc_groups(root) == [[root / "book/first.md", root / "book/second.md"]]
    assert lint.lint_book(root) == []
    # on its own, the first page lacks the summary and the exercises
    assert {"summary", "exercise"} <= set(rules(lint.lint_chapter([root / "book/first.md"])[0]))


def test_the_command_line_reports_problems_and_exit_status(capsys):
    assert lint.main([str(FIXTURES / "good.md")]) == 0
    assert lint.main([str(FIXTURES / "absolute_paths.md")]) == 1
    out = capsys.readouterr().out
    assert "absolute_paths.md:32:" in out and "[absolute-path]" in out
