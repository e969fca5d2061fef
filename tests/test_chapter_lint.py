"""The chapter lint (tools/lint.py) passes on every real chapter and fails, at the right
lines, on the deliberately broken chapters in tests/fixtures/chapters/."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from tools import book, lint

FIXTURES = Path(__file__).parent / "fixtures" / "chapters"
GOOD = FIXTURES / "good.md"
GROUPS = lint.groups_of()


def rules(problems: list[lint.Problem]) -> Counter:
    return Counter(problem.rule for problem in problems)


def lint_file(path: Path) -> list[lint.Problem]:
    return lint.check([[path]], book_wide=False)


# --------------------------------------------------------------------------- real chapters


def test_the_book_has_chapters():
    assert book.chapters(), "no chapter found in _toc.yml or book/"


@pytest.mark.parametrize("pages", GROUPS, ids=[group[0].stem for group in GROUPS])
def test_real_chapter_follows_the_conventions(pages):
    problems = lint.check([pages], book_wide=False)
    assert not problems, "\n" + "\n".join(map(str, problems))


def test_book_wide_rules_hold():
    """Every notebook is in the toc; glue names and exercise labels are unique in the book."""
    book_rules = {name for name, _ in lint.RULES["book"]}
    problems = lint.check(GROUPS, only_rules=book_rules)
    assert not problems, "\n" + "\n".join(map(str, problems))


# --------------------------------------------------------------------------- broken fixtures

EXPECTED = {
    "good.md": {},
    "no_conventions.md": {
        "setup-cell": 1,
        "hidden-assert": 1,
        "outcomes": 1,
        "summary": 1,
        "exercise": 1,
        "seed": 1,
    },
    "bad_front_matter.md": {"front-matter": 1, "title": 1},
    "bad_exercises.md": {"setup-cell": 2, "exercise": 2, "solution": 4},
    "debug_leftovers.md": {"debug": 4, "leftover-output": 2, "trivial-assert": 1, "syntax": 1},
    "absolute_paths.md": {"absolute-path": 4},
    "unglued_numbers.md": {"unglued-number": 3, "glue-undefined": 1},
    "hidden_names.md": {"hidden-name": 4},
    "alt_texts.md": {"alt-text": 7},
    "code_style.md": {"import-style": 4, "line-length": 1, "literalinclude": 1, "glue-hidden": 1},
    "seeds.md": {"seed": 8},
}


def test_every_fixture_has_its_expected_problems_listed():
    assert {path.name for path in FIXTURES.glob("*.md")} == set(EXPECTED)


def test_every_rule_has_a_fixture_that_breaks_it():
    broken = {rule for counts in EXPECTED.values() for rule in counts}
    registered = {name for scope in lint.RULES.values() for name, _ in scope}
    book_rules = {name for name, _ in lint.RULES["book"]}  # tested on a small book below
    assert registered - book_rules == broken


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
        ("unglued_numbers.md", "unglued-number", "of 2.7e-2"),
        ("unglued_numbers.md", "glue-undefined", "numbers_acuracy"),
        ("bad_exercises.md", "solution", "```{solution-start} ex-bad-a"),
        ("bad_exercises.md", "solution", "```{solution-start} ex-bad-typo"),
        ("bad_exercises.md", "exercise", ":label: ex-bad-b"),
        ("bad_exercises.md", "setup-cell", '"git+https://github.com/someone/old-fork"'),
        ("hidden_names.md", "hidden-name", "print(ce(model(x), y))"),
        ("hidden_names.md", "hidden-name", "scaled = weights * 3"),
        ("hidden_names.md", "hidden-name", "return sum(values) * scale"),
        ("hidden_names.md", "hidden-name", "model = model.float()"),
        ("alt_texts.md", "alt-text", "alt: _build/figures/parabola.png"),
        ("alt_texts.md", "alt-text", "alt: A plot"),
        ("alt_texts.md", "alt-text", "dlcourse.show_animation(animation)"),
        ("alt_texts.md", "alt-text", "HTML(animation.to_jshtml())"),
        ("alt_texts.md", "alt-text", 'alt="Animation"'),
        ("code_style.md", "import-style", "import dlcourse.data"),
        ("code_style.md", "import-style", "import dlcourse as dl"),
        ("code_style.md", "import-style", "from dlcourse import glue"),
        ("code_style.md", "import-style", "from dlcourse.training import fit"),
        ("code_style.md", "line-length", "too_long = "),
        ("code_style.md", "literalinclude", "```{literalinclude}"),
        ("code_style.md", "glue-hidden", 'dlcourse.glue("style_limit"'),
        ("seeds.md", "seed", "dlcourse.seed_everything(0)"),
        ("seeds.md", "seed", "torch.manual_seed(3)"),
        ("seeds.md", "seed", "np.random.default_rng(1)"),
        ("seeds.md", "seed", "np.random.seed(0)"),
        ("seeds.md", "seed", "random.seed(7)"),
        ("seeds.md", "seed", "torch.Generator().manual_seed(0)"),
        ("seeds.md", "seed", "seed=2"),
        ("seeds.md", "seed", "def shuffled(values, seed=0)"),
    ],
)
def test_problems_point_at_the_offending_line(name, rule, text_on_line):
    path = FIXTURES / name
    lines = path.read_text(encoding="utf-8").split("\n")
    flagged = [lines[p.line - 1] for p in lint_file(path) if p.rule == rule]
    # a directive is flagged at its fence; its :label: option is on the next line. A cell is
    # flagged at its fence; its options follow.
    flagged += [lines[p.line + i] for p in lint_file(path) if p.rule == rule for i in range(4)]
    assert any(text_on_line in line for line in flagged), flagged


def test_a_cell_without_an_alt_text_is_flagged_at_its_fence():
    path = FIXTURES / "alt_texts.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    missing = [p for p in lint_file(path) if "without an alt text" in p.message]
    assert [lines[p.line] for p in missing] == [
        "fig, ax = plt.subplots()",
        "def draw_curve(power):",
    ]
    assert all(lines[p.line - 1] == "```{code-cell} ipython3" for p in missing)


def test_messages_name_file_line_and_rule():
    problem = lint_file(FIXTURES / "unglued_numbers.md")[0]
    assert str(problem).startswith("tests/fixtures/chapters/unglued_numbers.md:")
    assert str(problem).endswith("[unglued-number]")
    assert "glue it" in problem.message  # and says what to do


def test_the_pairing_check_alone():
    """The exercise/solution pairing, for other tools (make student) to call."""
    problems = lint.exercise_problems([FIXTURES / "bad_exercises.md"])
    assert rules(problems) == Counter({"exercise": 2, "solution": 4})
    assert lint.exercise_problems([GOOD]) == []


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
    ("assert 0.7 < mean < 0.8", "print(0.7 < mean < 0.8)", "hidden-assert"),
    ("## Summary", "## Recap", "summary"),
    ("By the end of this chapter", "In this chapter", "outcomes"),
    ("# A chapter that", "A chapter that", "title"),
    ("kernelspec:", "kernel:", "front-matter"),
    ('"git+https', '"/home/me/dlcourse.zip" or "git+https', "absolute-path"),
    ("mean = scores.mean()  # made again here", "# made again here", "hidden-name"),
    ("    alt: The three scores", "    title: The three scores", "alt-text"),
    ("    alt: The three scores as bars that", "    alt: scores.png\n    title: That", "alt-text"),
    (
        "scores = np.array([0.5, 0.75, 0.875])",
        "scores = np.array([0.5, 0.75, 0.875])" + " " * 43 + "#",
        "line-length",
    ),
    (
        "## Summary",
        "```{literalinclude} ../../../dlcourse/utils.py\n```\n\n## Summary",
        "literalinclude",
    ),
    ("import dlcourse\n", "import dlcourse\nfrom dlcourse import glue\n", "import-style"),
    ("default_rng(SEED + 1)", "default_rng(1)", "seed"),
    ("SEED = dlcourse.seed_everything()", "dlcourse.seed_everything(SEED)", "seed"),
    (
        'print("learning rate:"',
        'dlcourse.glue("good_rate", 2 * learning_rate)\nprint("learning rate:"',
        "glue-hidden",
    ),
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
    shutil.copy(book.ROOT / "_config.yml", root / "_config.yml")
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
    problems = lint.lint(root)
    assert rules(problems) == Counter({"toc": 1, "glue-duplicate": 1, "label-duplicate": 1})
    assert any("book/copy" in p.message for p in problems if p.rule == "toc")


def test_a_chapter_split_into_pages_needs_exercises_and_summary_only_once(tmp_path):
    good = GOOD.read_text(encoding="utf-8")
    first = good.partition("## Summary")[0]
    second = good.replace("good_mean", "second_mean").replace("ex-good-first", "ex-second")
    toc = (
        "format: jb-book\nroot: book/intro\nchapters:\n"
        "  - file: book/first\n    sections:\n      - file: book/second\n"
    )
    root = make_book(tmp_path, toc, {"first": first, "second": second})
    assert book.chapter_groups(root) == [[root / "book/first.md", root / "book/second.md"]]
    assert lint.lint(root) == []
    assert lint.lint(root, only=[root / "book/second.md"]) == []  # the whole chapter is checked
    # on its own, the first page lacks the summary and the exercises
    alone = lint.check([[root / "book/first.md"]], root, book_wide=False)
    assert {"summary", "exercise"} <= set(rules(alone))


def test_an_unreadable_chapter_is_one_problem(tmp_path):
    broken = tmp_path / "chapter.md"
    text = GOOD.read_text(encoding="utf-8")
    broken.write_text(text.replace(":tags: [remove-cell]", ":tags: [remove-cell", 1))
    problems = lint_file(broken)
    assert [(p.rule, p.line) for p in problems] == [("syntax", 1)]
    assert "jupytext cannot read" in problems[0].message


def test_the_command_line_reports_problems_and_exit_status(capsys):
    assert lint.main([str(GOOD)]) == 0
    assert lint.main([str(FIXTURES / "absolute_paths.md")]) == 1
    out = capsys.readouterr().out
    assert "absolute_paths.md:35:" in out and "[absolute-path]" in out
