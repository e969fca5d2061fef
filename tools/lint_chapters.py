"""Check that every chapter follows the course's conventions, without running it.

Usage::

    python tools/lint_chapters.py                 # every chapter of _toc.yml
    python tools/lint_chapters.py book/cnn.md     # only these pages

``make test`` runs the same checks (``tests/test_chapter_lint.py``). Each problem
is printed as ``book/<name>.md:<line>: <what is wrong and what to do> [rule]``.
The rules, and why each exists, are listed in CONTRIBUTING.md ("The chapter lint").

Per page (every notebook page):

front-matter     jupytext MyST front matter with a Python kernelspec
title            the first thing on the page is its ``# Title``
setup-cell       the first code cell is the hidden Colab setup cell, installing from
                 ``repository.url`` of ``_config.yml``
hidden-assert    at least one cell tagged ``remove-cell`` has an ``assert``
trivial-assert   no ``assert`` of a constant (``assert True``): a check that cannot fail
solution         ``solution-start``/``solution-end`` pairs: balanced, ``:class: dropdown``,
                 each naming an exercise's label
debug            no ``breakpoint()``, ``pdb``/``ipdb``, ``%debug``, ``print("debug ...")``
leftover-output  no code cell ends with a bare inspection expression (``x``, ``x.shape``,
                 ``len(x)``, ``type(x)``) unless that line has a comment saying it is meant
absolute-path    no ``/home/``, ``/Users/``, ``/root/``, ``/work/``, ``/tmp/``, ``/mnt/``,
                 ``/content/`` or ``C:\\`` paths (URLs are fine)
unglued-number   a decimal number or percentage in the prose is either a literal of the
                 chapter's code (a setting, like ``noise = 0.3``) or comes from glue
glue-undefined   every ``{glue:...}`name``` is defined by a ``glue("name", ...)`` call
syntax           every code cell is valid Python (IPython magics allowed), unless tagged
                 ``raises-exception``

Per chapter (a ``_toc.yml`` entry with the pages under its ``sections:``):

outcomes         "By the end of this chapter you will be able to"
summary          a ``## Summary`` section
exercise         at least one ``exercise`` with a ``:label:``, each with a solution

Per book: ``toc`` (every notebook in book/ is in ``_toc.yml``), ``glue-duplicate`` and
``label-duplicate`` (glue names and exercise labels are unique across the whole book).
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python tools/lint_chapters.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.chapters import (
    ROOT,
    Cell,
    Chapter,
    parse,
    relative,
    repository_url,
    toc_groups,
    unlisted_notebooks,
)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{relative(self.path)}:{self.line}: {self.message} [{self.rule}]"


# --------------------------------------------------------------------------- code cells

MAGIC = re.compile(r"^(\s*)(%|!)")
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/~-])/(?:home|Users|root|work|tmp|mnt|content)\b|(?<![\w])[A-Za-z]:\\"
)
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
DEBUG_MAGIC = re.compile(r"^\s*%{1,2}(debug|pdb)\b")
DEBUG_MODULES = {"pdb", "ipdb", "pudb"}
DEBUG_STRINGS = re.compile(r"\s*(debug\b|here!*\s*$|xxx|asdf)", re.IGNORECASE)
INSPECTION_CALLS = {"type", "len", "dir", "vars", "id"}
INSPECTION_METHODS = {"size", "dim", "numel", "keys"}


def python_source(cell: Cell) -> str:
    """The cell's source with IPython magics and shell lines turned into ``pass``."""
    if cell.source.lstrip().startswith("%%"):
        return ""  # a cell magic (%%timeit, %%writefile): not Python
    lines = []
    for line in cell.source.split("\n"):
        match = MAGIC.match(line)
        lines.append(match.group(1) + "pass" if match else line)
    return "\n".join(lines)


def _comment_rows(source: str) -> set[int]:
    rows = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                rows.add(token.start[0])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return rows


def number_literals(source: str) -> set[float]:
    """Values of the numeric literals in Python source (not in strings or comments)."""
    values = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NUMBER:
                try:
                    values.add(float(token.string.replace("_", "").rstrip("jJ")))
                except ValueError:
                    pass
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return values


def _is_inspection(node: ast.expr) -> bool:
    """A bare name, attribute chain or subscript of one, or ``len(x)``/``x.size()``-like call."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Attribute | ast.Subscript):
        return _is_inspection(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in INSPECTION_CALLS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in INSPECTION_METHODS:
            return _is_inspection(func.value)
    return False


def _first_string(call: ast.Call) -> str | None:
    if not call.args:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values:
        first = arg.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_call_name(func.value)}.{func.attr}"
    return ""


def check_code_cell(path: Path, cell: Cell) -> tuple[list[Problem], ast.Module | None]:
    problems: list[Problem] = []
    source_lines = cell.source.split("\n")

    def at(row: int) -> int:  # row: 1-based line inside the cell
        return cell.body_line + row - 1

    for row, line in enumerate(source_lines, start=1):
        if DEBUG_MAGIC.match(line):
            problems.append(
                Problem(path, at(row), "debug", f"leftover debugging `{line.strip()}`: remove it")
            )
        for match in ABSOLUTE_PATH.finditer(URL.sub("", line)):
            problems.append(_absolute_path_problem(path, at(row), match.group(0)))

    source = python_source(cell)
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        if "raises-exception" not in cell.tags:
            problems.append(
                Problem(
                    path,
                    at(err.lineno or 1),
                    "syntax",
                    f"this cell is not valid Python ({err.msg}); if it is meant to fail, "
                    "tag it raises-exception",
                )
            )
        return problems, None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if (
                name == "breakpoint"
                or name.endswith("set_trace")
                or name in {"embed", "IPython.embed"}
            ):
                problems.append(
                    Problem(
                        path, at(node.lineno), "debug", f"leftover debugging `{name}()`: remove it"
                    )
                )
            elif name == "print":
                text = _first_string(node)
                if text is not None and DEBUG_STRINGS.match(text):
                    problems.append(
                        Problem(
                            path,
                            at(node.lineno),
                            "debug",
                            f"leftover debugging print({text.strip()!r}...): remove it",
                        )
                    )
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if any(m.split(".")[0] in DEBUG_MODULES for m in modules):
                problems.append(
                    Problem(path, at(node.lineno), "debug", "leftover debugger import: remove it")
                )
        elif isinstance(node, ast.Assert):
            if isinstance(node.test, ast.Constant):
                problems.append(
                    Problem(
                        path,
                        at(node.lineno),
                        "trivial-assert",
                        f"`assert {node.test.value!r}` can never fail: assert a claim about "
                        "this run's results",
                    )
                )

    if tree.body and isinstance(tree.body[-1], ast.Expr) and _is_inspection(tree.body[-1].value):
        last = tree.body[-1]
        end_row = last.end_lineno or last.lineno
        commented = any(last.lineno <= r <= end_row for r in _comment_rows(source))
        silenced = source_lines[end_row - 1].rstrip().endswith(";")
        if not (commented or silenced):
            text = ast.get_source_segment(source, last) or "expression"
            problems.append(
                Problem(
                    path,
                    at(last.lineno),
                    "leftover-output",
                    f"the cell ends with the bare expression `{text}`, which the page shows as "
                    "output. If readers should see it, say so with a comment on that line "
                    f"(`{text}  # what it shows`); otherwise remove the line",
                )
            )
    return problems, tree


def _absolute_path_problem(path: Path, line: int, found: str) -> Problem:
    return Problem(
        path,
        line,
        "absolute-path",
        f"absolute path `{found}...` works only on one machine: use a temporary folder "
        "(tempfile) or dlcourse.data_root()",
    )


# --------------------------------------------------------------------------- prose

FENCE_OPEN = re.compile(
    r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})\s*(?:\{(?P<name>[^}]+)\})?\s*(?P<arg>.*)$"
)
# Directives whose body is not prose: code, maths, raw output
NON_PROSE_DIRECTIVES = {
    "code",
    "code-block",
    "sourcecode",
    "code-cell",
    "math",
    "raw",
    "eval-rst",
    "literalinclude",
    "mermaid",
    "glue",
    "glue:any",
    "glue:figure",
    "glue:math",
    "glue:md",
    "glue:text",
}
OPTION_LINE = re.compile(r"^\s*:[\w-]+:")
ROLE = re.compile(r"\{[\w:+-]+\}(`+)[^`]*?\1")
INLINE_CODE = re.compile(r"(`+)[^`]*?\1")
INLINE_MATH = re.compile(r"\$[^$]+\$")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]*>")
SUBSTITUTION = re.compile(r"\{\{.*?\}\}")
NUMBER = re.compile(
    r"(?<![\w.])"
    r"(?P<value>\d+(?:\.\d+)?[eE][-+]?\d+|\d+\.\d+|\d+(?=\s?(?:%|percent\b)))"
    r"(?P<percent>\s?(?:%|percent\b))?"
    r"(?![\w]|\.\d)"
)
ALLOW_NUMBER = re.compile(r"^\s*%\s*lint:\s*allow-number\s+(?P<values>.+)$")
GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`(?P<name>[^`:<]+)")
GLUE_DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,})\{glue(?::\w+)?\}\s+(?P<name>\S+)")


@dataclass
class Directive:
    name: str
    arg: str
    line: int
    options: dict


def scan_markdown(chapter: Chapter) -> tuple[list[tuple[int, str]], list[Directive], list[int]]:
    """Prose lines (cleaned of code, maths, roles, links, comments), directives, and the
    line numbers of MyST comments: what the prose rules look at."""
    prose: list[tuple[int, str]] = []
    directives: list[Directive] = []
    comments: list[int] = []
    stack: list[tuple[str, bool]] = []  # open fences: (fence, is prose inside)
    in_display_math = in_html_comment = False
    pending: Directive | None = None  # a directive still reading its :option: lines

    for number, line in chapter.markdown_lines:
        stripped = line.strip()
        if pending is not None:
            if OPTION_LINE.match(line):
                key, _, value = stripped[1:].partition(":")
                pending.options[key] = value.strip()
                continue
            pending = None
        if stack:
            fence, _ = stack[-1]
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                stack.pop()
                continue
        inside_prose = all(is_prose for _, is_prose in stack)
        match = FENCE_OPEN.match(line)
        if match and inside_prose and not in_display_math:
            name = (match.group("name") or "").strip()
            fence = match.group("fence")
            if fence[0] == ":" and not name:
                pass  # a line of colons that opens nothing
            else:
                stack.append((fence, bool(name) and name not in NON_PROSE_DIRECTIVES))
                if name:
                    pending = Directive(name, match.group("arg").strip(), number, {})
                    directives.append(pending)
                continue
        if not inside_prose:
            continue
        if in_html_comment:
            if "-->" in line:
                in_html_comment = False
                line = line.split("-->", 1)[1]
            else:
                continue
        if stripped.startswith("%"):
            comments.append(number)
            continue
        if stripped.startswith("$$"):
            if not (stripped.count("$$") >= 2 and len(stripped) > 2):
                in_display_math = not in_display_math
            continue
        if in_display_math:
            continue
        if re.match(r"^\s*\\begin\{", line):
            in_display_math = not re.search(r"\\end\{", line)
            continue
        if re.match(r"^\s*\(\S+\)=\s*$", line):
            continue  # a target: (my-label)=
        if "<!--" in line:
            before, _, after = line.partition("<!--")
            if "-->" in after:
                line = before + after.split("-->", 1)[1]
            else:
                line, in_html_comment = before, True
        prose.append((number, clean_prose(line)))
    return prose, directives, comments


def clean_prose(line: str) -> str:
    """The words of a markdown line, without roles, inline code and maths, URLs and tags."""
    for pattern in (ROLE, INLINE_CODE, INLINE_MATH, LINK_TARGET, URL, HTML_TAG, SUBSTITUTION):
        line = pattern.sub(" ", line)
    return line


def _allowed_numbers(chapter: Chapter) -> set[float]:
    allowed = set()
    for _, line in chapter.markdown_lines:
        match = ALLOW_NUMBER.match(line)
        if match:
            for value in re.split(r"[\s,]+", match.group("values").strip()):
                try:
                    allowed.add(float(value.rstrip("%")))
                except ValueError:
                    pass
    return allowed


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- one page


@dataclass
class PageFacts:
    """What the chapter-level and book-level rules need to know about a page."""

    path: Path
    exercises: dict[str, int]  # label -> line
    unlabelled_exercises: list[int]
    solutions: dict[str, int]  # label -> line of solution-start
    glue_names: dict[str, int]  # name -> line of the glue(...) call
    has_summary: bool
    has_outcomes: bool


def lint_page(path: Path | str, repo_url: str | None = None) -> tuple[list[Problem], PageFacts]:
    """The per-page rules for one notebook page, and the facts the other rules need."""
    path = Path(path)
    chapter = parse(path)
    problems: list[Problem] = []
    repo_url = repo_url or repository_url()

    # front matter
    fm = chapter.front_matter
    representation = ((fm or {}).get("jupytext") or {}).get("text_representation") or {}
    kernel = (fm or {}).get("kernelspec") or {}
    if not fm or representation.get("format_name") != "myst" or not kernel.get("name"):
        problems.append(
            Problem(
                path,
                1,
                "front-matter",
                "the file must start with jupytext's MyST front matter naming a kernel "
                "(copy it from book/regression.md, or start from `make new-chapter`)",
            )
        )
    elif kernel.get("language", "python") != "python":
        problems.append(Problem(path, 1, "front-matter", "the kernelspec must be a Python kernel"))

    # title
    first_text = next(
        (
            (n, line)
            for n, line in chapter.markdown_lines
            if line.strip() and not line.strip().startswith("%")
        ),
        None,
    )
    if first_text is None or not re.match(r"^# \S", first_text[1]):
        problems.append(
            Problem(
                path,
                first_text[0] if first_text else 1,
                "title",
                "the page must begin with its title: `# Title`",
            )
        )

    # code cells
    code = chapter.code_cells
    trees: list[ast.Module | None] = []
    literals: set[float] = set()
    glue_names: dict[str, int] = {}
    dynamic_glue = False
    for cell in code:
        cell_problems, tree = check_code_cell(path, cell)
        problems.extend(cell_problems)
        trees.append(tree)
        literals |= number_literals(python_source(cell))
        for node in ast.walk(tree) if tree else []:
            if (
                isinstance(node, ast.Call)
                and _call_name(node.func).split(".")[-1] == "glue"
                and node.args
            ):
                name = node.args[0]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    glue_names.setdefault(name.value, cell.body_line + node.lineno - 1)
                else:
                    dynamic_glue = True

    problems.extend(_check_setup_cell(path, code, repo_url))
    if not any(
        "remove-cell" in cell.tags
        and tree
        and any(isinstance(n, ast.Assert) for n in ast.walk(tree))
        for cell, tree in zip(code, trees, strict=True)
    ):
        problems.append(
            Problem(
                path,
                code[-1].line if code else 1,
                "hidden-assert",
                "no hidden check: add a code cell tagged remove-cell with asserts that would fail "
                "if the experiment or the text's claims broke",
            )
        )

    # prose
    prose, directives, _ = scan_markdown(chapter)
    allowed = _allowed_numbers(chapter)
    for number, text in prose:
        for match in NUMBER.finditer(text):
            value = float(match.group("value"))
            candidates = [value, value / 100] if match.group("percent") else [value]
            if any(_same(c, v) for c in candidates for v in literals | allowed):
                continue
            shown = match.group(0).strip()
            problems.append(
                Problem(
                    path,
                    number,
                    "unglued-number",
                    f"the prose states {shown}, which no code cell has as a literal: if it is a "
                    "result, glue it ({glue:text}`name:.3f`); if it is a fixed fact, allow it "
                    f"with the comment line `% lint: allow-number {match.group('value')}`",
                )
            )
    for number, line in chapter.markdown_lines:
        for match in ABSOLUTE_PATH.finditer(URL.sub("", line)):
            problems.append(_absolute_path_problem(path, number, match.group(0)))
        if not dynamic_glue:
            names = [m.group("name") for m in GLUE_ROLE.finditer(line)]
            directive = GLUE_DIRECTIVE.match(line)
            names += [directive.group("name")] if directive else []
            for name in names:
                name = name.strip()
                if "::" not in name and name not in glue_names:
                    problems.append(
                        Problem(
                            path,
                            number,
                            "glue-undefined",
                            f"`{name}` is quoted from glue, but no glue({name!r}, ...) call "
                            "in this page defines it",
                        )
                    )

    # exercises and solutions on this page
    exercises: dict[str, int] = {}
    unlabelled: list[int] = []
    solutions: dict[str, int] = {}
    open_solution: Directive | None = None
    for d in directives:
        if d.name == "exercise":
            label = d.options.get("label", "").strip()
            if not label:
                unlabelled.append(d.line)
            elif label in exercises:
                problems.append(
                    Problem(path, d.line, "exercise", f"two exercises have the label `{label}`")
                )
            else:
                exercises[label] = d.line
        elif d.name == "solution":
            problems.append(
                Problem(
                    path,
                    d.line,
                    "solution",
                    "use solution-start/solution-end (with :class: dropdown) instead of a solution "
                    "directive, so that the solution's code cells run in the tests",
                )
            )
        elif d.name == "solution-start":
            label = d.arg.split()[0] if d.arg else ""
            if open_solution is not None:
                problems.append(
                    Problem(
                        path,
                        open_solution.line,
                        "solution",
                        f"solution-start `{open_solution.arg}` is not closed: add "
                        "```{solution-end}``` after its last cell",
                    )
                )
            open_solution = d
            if not label:
                problems.append(
                    Problem(
                        path, d.line, "solution", "solution-start must name its exercise's label"
                    )
                )
            else:
                solutions[label] = d.line
            if "dropdown" not in d.options.get("class", "").split():
                problems.append(
                    Problem(
                        path,
                        d.line,
                        "solution",
                        f"solution-start `{label}` needs the option `:class: dropdown`, so the "
                        "answer stays folded on the site",
                    )
                )
        elif d.name == "solution-end":
            if open_solution is None:
                problems.append(
                    Problem(
                        path, d.line, "solution", "solution-end without a solution-start before it"
                    )
                )
            open_solution = None
    if open_solution is not None:
        problems.append(
            Problem(
                path,
                open_solution.line,
                "solution",
                f"solution-start `{open_solution.arg}` is never closed: add "
                "```{solution-end}``` after its last cell",
            )
        )

    facts = PageFacts(
        path=path,
        exercises=exercises,
        unlabelled_exercises=unlabelled,
        solutions=solutions,
        glue_names=glue_names,
        has_summary=any(re.match(r"^##\s+Summary\s*$", line) for _, line in chapter.markdown_lines),
        has_outcomes=any(
            re.search(r"By the end of this chapter,? you will be able to", line)
            for _, line in prose
        ),
    )
    return problems, facts


def _check_setup_cell(path: Path, code: list[Cell], repo_url: str) -> list[Problem]:
    setup = next((c for c in code if "google.colab" in c.source), None)
    if setup is None or setup is not code[0]:
        return [
            Problem(
                path,
                (setup or (code[0] if code else None)).line if code else 1,
                "setup-cell",
                "the first code cell must be the hidden Colab setup cell: tagged remove-cell, "
                f'it installs dlcourse with %pip install "git+{repo_url}" when run in Colab '
                "(copy it from book/regression.md)",
            )
        ]
    problems = []
    if "remove-cell" not in setup.tags:
        problems.append(
            Problem(
                path,
                setup.line,
                "setup-cell",
                "the Colab setup cell must be hidden: give it `:tags: [remove-cell]`",
            )
        )
    found = re.search(r"git\+(?P<url>[^\s\"'@]+)", setup.source)
    url_line = setup.body_line + (setup.source[: found.start()].count("\n") if found else 0)
    if not found or "%pip install" not in setup.source:
        problems.append(
            Problem(
                path,
                setup.body_line,
                "setup-cell",
                f'the Colab setup cell must run %pip install "git+{repo_url}" when '
                '"google.colab" is loaded',
            )
        )
    elif found.group("url").removesuffix(".git").rstrip("/") != repo_url.removesuffix(".git"):
        problems.append(
            Problem(
                path,
                url_line,
                "setup-cell",
                f"the Colab setup cell installs from {found.group('url')}, but repository.url "
                f"in _config.yml is {repo_url}: make them the same",
            )
        )
    return problems


# --------------------------------------------------------------------------- chapters, book


def lint_chapter(
    pages: list[Path], repo_url: str | None = None
) -> tuple[list[Problem], list[PageFacts]]:
    """Per-page rules for each page plus the rules a chapter meets once, on any of its pages."""
    problems: list[Problem] = []
    facts: list[PageFacts] = []
    for page in pages:
        page_problems, page_facts = lint_page(page, repo_url)
        problems += page_problems
        facts.append(page_facts)
    first = pages[0]
    if not any(f.has_outcomes for f in facts):
        problems.append(
            Problem(
                first,
                1,
                "outcomes",
                "no learning outcomes: after the introduction, write 'By the end of this "
                "chapter you will be able to:' and a short list",
            )
        )
    if not any(f.has_summary for f in facts):
        problems.append(
            Problem(pages[-1], 1, "summary", "no `## Summary` section: end the chapter with one")
        )
    exercises = {label: (f.path, line) for f in facts for label, line in f.exercises.items()}
    solutions = {label: (f.path, line) for f in facts for label, line in f.solutions.items()}
    for f in facts:
        for line in f.unlabelled_exercises:
            problems.append(
                Problem(
                    f.path,
                    line,
                    "exercise",
                    "this exercise has no :label:, which its solution needs",
                )
            )
    if not exercises and not any(f.unlabelled_exercises for f in facts):
        problems.append(
            Problem(
                pages[-1],
                1,
                "exercise",
                "no exercises: add ```{exercise} with a :label: and its solution between "
                "```{solution-start} <label> (with :class: dropdown) and ```{solution-end}",
            )
        )
    for label, (path, line) in exercises.items():
        if label not in solutions:
            problems.append(
                Problem(
                    path,
                    line,
                    "exercise",
                    f"exercise `{label}` has no solution: add ```{{solution-start}} {label} "
                    "(with :class: dropdown), the solution, and ```{solution-end}",
                )
            )
    for label, (path, line) in solutions.items():
        if label not in exercises:
            problems.append(
                Problem(
                    path,
                    line,
                    "solution",
                    f"solution-start `{label}` names no exercise of this chapter",
                )
            )
    return problems, facts


def group_of(page: Path, root: Path = ROOT) -> list[Path]:
    """The pages of the chapter that ``page`` belongs to (``[page]`` when it is not in the toc)."""
    page = page.resolve()
    for group in toc_groups(root):
        if page in [p.resolve() for p in group]:
            return group
    return [page]


def lint_book(root: Path = ROOT, only: list[Path] | None = None) -> list[Problem]:
    """Every rule over every chapter of the book (or over the chapters of the pages ``only``)."""
    repo_url = repository_url(root)
    if only:
        groups: list[list[Path]] = []
        for page in only:
            group = group_of(Path(page), root)
            if group not in groups:
                groups.append(group)
    else:
        groups = toc_groups(root) + [[p] for p in unlisted_notebooks(root)]
    problems: list[Problem] = []
    all_facts: list[PageFacts] = []
    for group in groups:
        group_problems, facts = lint_chapter(group, repo_url)
        problems += group_problems
        all_facts += facts
    if not only:
        problems += book_problems(all_facts, root)
    order = {page: i for i, page in enumerate(page for group in groups for page in group)}
    return sorted(problems, key=lambda p: (order.get(p.path, len(order)), str(p.path), p.line))


def book_problems(facts: list[PageFacts], root: Path = ROOT) -> list[Problem]:
    """Rules across chapters: every notebook in the toc, unique glue names and exercise labels."""
    problems = [
        Problem(
            page,
            1,
            "toc",
            "this chapter is not in _toc.yml, so the site leaves it out: add "
            f"`  - file: book/{page.stem}`",
        )
        for page in unlisted_notebooks(root)
    ]
    for kind, attribute in (("glue-duplicate", "glue_names"), ("label-duplicate", "exercises")):
        seen: dict[str, list[tuple[Path, int]]] = defaultdict(list)
        for f in facts:
            for name, line in getattr(f, attribute).items():
                seen[name].append((f.path, line))
        for name, places in seen.items():
            if len(places) > 1:
                where = ", ".join(f"{relative(p)}:{n}" for p, n in places)
                what = "glue name" if kind == "glue-duplicate" else "exercise label"
                problems.append(
                    Problem(
                        places[-1][0],
                        places[-1][1],
                        kind,
                        f"the {what} `{name}` is used by more than one chapter ({where}): "
                        "prefix it with the chapter's short name",
                    )
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "pages", nargs="*", type=Path, help="chapter pages (default: the whole book)"
    )
    args = parser.parse_args(argv)
    problems = lint_book(ROOT, args.pages or None)
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"\n{len(problems)} problem(s). The rules are explained in CONTRIBUTING.md "
            "(The chapter lint)."
        )
        return 1
    print("The chapters follow the conventions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
