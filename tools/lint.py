"""The chapter lint: does every chapter follow the course's conventions? Nothing is run.

Usage (``make lint`` and the pre-commit hook run it; ``tests/test_chapter_lint.py`` too)::

    python -m tools.lint                 # every chapter of the book, and the book-wide rules
    python -m tools.lint book/cnn.md     # only the chapters these pages belong to

Each problem reads ``book/<name>.md:<line>: <what is wrong, what to do> [rule]``. The rules are
the small functions below, registered with :func:`rule`: a *page* rule sees one chapter page
(:class:`Page`, around a :func:`tools.book.parse` record), a *chapter* rule the pages of one
chapter (a ``_toc.yml`` entry and its ``sections:``), a *book* rule every chapter. Each reports
what it finds with the one helper it is given, ``flag(line, message)`` (``path=`` another page),
which :func:`check` turns into :class:`Problem` records. CONTRIBUTING.md ("The chapter lint")
says what each rule wants and why.
"""

from __future__ import annotations

import argparse
import ast
import functools
import io
import re
import sys
import tokenize
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import book
from tools.book import ROOT, Cell, relative

MAX_LINE = 80  # characters in a code line: the site's code column
MIN_ALT_WORDS = 5  # an alt text says what is plotted and what it shows


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{relative(self.path)}:{self.line}: {self.message} [{self.rule}]"


# ------------------------------------------------------------------------------ the registry

RULES: dict[str, list[tuple[str, Callable]]] = {"page": [], "chapter": [], "book": []}
Flag = Callable[..., None]  # flag(line, message, path=the page): report one problem


def rule(name: str, scope: str = "page"):
    """Register a rule function under ``name``: ``scope`` is "page", "chapter" or "book"."""

    def register(function: Callable) -> Callable:
        RULES[scope].append((name, function))
        return function

    return register


class Page:
    """A chapter page as the rules see it: its parsed cells and what several rules share."""

    def __init__(self, path: Path | str, root: Path = ROOT):
        self.path, self.root = Path(path), root
        self.error = ""
        try:
            self.chapter = book.parse(self.path)
        except Exception as err:  # noqa: BLE001 - jupytext could not read it: one problem
            self.error = str(err).strip().split("\n")[0]
            self.chapter = book.Chapter(self.path, "", None, [])

    @property
    def code(self) -> list[Cell]:
        return self.chapter.code_cells

    @functools.cached_property
    def repository_url(self) -> str:
        return book.repository_url(self.root)

    @functools.cached_property
    def glue_names(self) -> dict[str, int]:
        """name -> line of each ``glue("name", ...)`` call; ``"*"`` when a name is computed."""
        names: dict[str, int] = {}
        for cell, node in calls(self.code):
            if call_name(node.func).split(".")[-1] == "glue" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.setdefault(first.value, cell.body_line + node.lineno - 1)
                else:
                    names["*"] = cell.body_line + node.lineno - 1
        return names

    @functools.cached_property
    def drawing_functions(self) -> set[str]:
        """Functions the chapter defines, or ``dlcourse`` exports, that draw a figure."""
        defs = [d for c in self.code if c.tree for d in ast.walk(c.tree)]
        return _drawing(defs) | package_drawing_functions(self.root)


def _drawing(nodes: Iterable[ast.AST]) -> set[str]:
    """The names of the functions among ``nodes`` that draw, directly or through each other."""
    defs = [n for n in nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    found: set[str] = set()
    while more := {d.name for d in defs if d.name not in found and draws(d, found)}:
        found |= more
    return found


@functools.cache
def package_drawing_functions(root: Path = ROOT) -> set[str]:
    """The functions of ``dlcourse`` that draw a figure (``show_images``, ...)."""
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in book.package_modules(root).values()]
    return _drawing(node for tree in trees for node in tree.body)


def check(
    groups: list[list[Path]],
    root: Path = ROOT,
    book_wide: bool = True,
    only_rules: set[str] | None = None,
) -> list[Problem]:
    """Run the registered rules over chapters (each a list of pages) and report what breaks."""
    chosen = {
        scope: [(n, f) for n, f in rules if only_rules is None or n in only_rules]
        for scope, rules in RULES.items()
    }
    problems: list[Problem] = []

    def flagger(name: str, page: Path) -> Flag:
        """The ``flag`` a rule reports with: ``flag(line, message, path=page)``."""
        return lambda line, message, path=page: problems.append(
            Problem(Path(path), line, name, message)
        )

    chapters = [[Page(path, root) for path in group] for group in groups]
    for pages in chapters:
        for page in pages:
            if page.error:
                flagger("syntax", page.path)(1, f"jupytext cannot read this chapter: {page.error}")
                continue
            for name, function in chosen["page"]:
                function(page, flagger(name, page.path))
        readable = [page for page in pages if not page.error]
        for name, function in chosen["chapter"] if readable else []:
            function(readable, flagger(name, readable[0].path))
    if book_wide:
        for name, function in chosen["book"]:
            function(chapters, root, flagger(name, root))
    order = {page.path: i for i, page in enumerate(p for pages in chapters for p in pages)}
    return sorted(problems, key=lambda p: (order.get(p.path, len(order)), str(p.path), p.line))


def groups_of(root: Path = ROOT, only: Iterable[Path] | None = None) -> list[list[Path]]:
    """The book's chapters as lists of pages (unlisted chapters alone), or those of ``only``."""
    groups = book.chapter_groups(root) + [[p] for p in book.unlisted_chapters(root)]
    if only is None:
        return groups
    chosen: list[list[Path]] = []
    for page in only:
        page = Path(page).resolve()
        group = next((g for g in groups if page in [p.resolve() for p in g]), [page])
        if group not in chosen:
            chosen.append(group)
    return chosen


def lint(root: Path = ROOT, only: Iterable[Path] | None = None) -> list[Problem]:
    """Every rule over the whole book, or over the chapters of the pages ``only``."""
    return check(groups_of(root, only), root, book_wide=only is None)


def exercise_problems(pages: list[Path], root: Path = ROOT) -> list[Problem]:
    """The exercise/solution pairing of one chapter (its pages): every exercise labelled and
    solved once, every solution between ``solution-start`` (folded) and ``solution-end``."""
    return check([pages], root, book_wide=False, only_rules={"exercise", "solution"})


def report(problems: list[Problem], out=None) -> int:
    """Print the problems (or that there are none); the exit status to return."""
    out = out or sys.stdout
    for problem in problems:
        print(problem, file=out)
    if problems:
        print(
            f"\n{len(problems)} problem(s). The rules are explained in CONTRIBUTING.md "
            "(The chapter lint).",
            file=out,
        )
        return 1
    print("The chapters follow the conventions.", file=out)
    return 0


# ------------------------------------------------------------------------------ code helpers


def call_name(func: ast.expr) -> str:
    """``np.random.seed`` for the call ``np.random.seed(0)``; "" for other callees."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{call_name(func.value)}.{func.attr}"
    return ""


def calls(cells: Iterable[Cell]) -> Iterator[tuple[Cell, ast.Call]]:
    for cell in cells:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.Call):
                yield cell, node


def root_name(node: ast.expr) -> str:
    """The name an attribute chain or subscript starts from: ``axes`` for ``axes[0].plot``."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def is_literal(node: ast.expr) -> bool:
    """An expression of constants only (``0``, ``1 + 2``): no name in it."""
    return not any(isinstance(n, ast.Name) for n in ast.walk(node))


def line_of(cell: Cell, node: ast.AST) -> int:
    return cell.body_line + getattr(node, "lineno", 1) - 1


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


# ------------------------------------------------------------------------------ page rules


@rule("front-matter")
def front_matter(page: Page, flag: Flag):
    meta = page.chapter.front_matter or {}
    representation = (meta.get("jupytext") or {}).get("text_representation") or {}
    kernel = meta.get("kernelspec") or {}
    if representation.get("format_name") != "myst" or not kernel.get("name"):
        flag(
            1,
            "the file must start with jupytext's MyST front matter naming a kernel "
            "(copy it from book/regression.md, or start from `make new-chapter`)",
        )
    elif kernel.get("language", "python") != "python":
        flag(1, "the kernelspec must be a Python kernel")


@rule("title")
def title(page: Page, flag: Flag):
    first = next(
        ((n, t) for n, t in page.chapter.markdown_lines if t.strip() and t[:1] != "%"), None
    )
    if first is None or not re.match(r"^# \S", first[1]):
        flag((first[0] if first else 1), "the page must begin with its title: `# Title`")


@rule("setup-cell")
def setup_cell(page: Page, flag: Flag):
    code, url = page.code, page.repository_url
    setup = page.chapter.setup_cell
    if setup is None or setup is not code[0]:
        where = setup or (code[0] if code else None)
        flag(
            (where.line if where else 1),
            "the first code cell must be the hidden Colab setup cell: tagged remove-cell, "
            f'it installs dlcourse with %pip install "git+{url}" when run in Colab '
            "(copy it from book/regression.md)",
        )
        return
    if not setup.hidden:
        flag(setup.line, "the Colab setup cell must be hidden: give it `:tags: [remove-cell]`")
    found = re.search(r"git\+(?P<url>[^\s\"'@]+)", setup.source)
    if not found or "%pip install" not in setup.source:
        flag(
            setup.body_line,
            f'the Colab setup cell must run %pip install "git+{url}" when "google.colab" is loaded',
        )
    elif found["url"].removesuffix(".git").rstrip("/") != url.removesuffix(".git"):
        flag(
            setup.body_line + setup.source[: found.start()].count("\n"),
            f"the Colab setup cell installs from {found['url']}, but repository.url "
            f"in _config.yml is {url}: make them the same",
        )


@rule("syntax")
def syntax(page: Page, flag: Flag):
    for cell in page.code:
        if cell.tree is None and "raises-exception" not in cell.tags:
            try:
                ast.parse(cell.python)
            except SyntaxError as err:
                flag(
                    cell.body_line + (err.lineno or 1) - 1,
                    f"this cell is not valid Python ({err.msg}); if it is meant to fail, "
                    "tag it raises-exception",
                )


@rule("hidden-assert")
def hidden_assert(page: Page, flag: Flag):
    hidden = [c for c in page.code if c.hidden and c.tree]
    if not any(isinstance(n, ast.Assert) for c in hidden for n in ast.walk(c.tree)):
        flag(
            (page.code[-1].line if page.code else 1),
            "no hidden check: add a code cell tagged remove-cell with asserts that would fail "
            "if the experiment or the text's claims broke",
        )


@rule("trivial-assert")
def trivial_assert(page: Page, flag: Flag):
    for cell in page.code:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant):
                flag(
                    line_of(cell, node),
                    f"`assert {node.test.value!r}` can never fail: assert a claim about "
                    "this run's results",
                )


DEBUG_MAGIC = re.compile(r"^\s*%{1,2}(debug|pdb)\b")
DEBUG_MODULES = {"pdb", "ipdb", "pudb"}
DEBUG_CALLS = {"breakpoint", "embed", "IPython.embed"}
DEBUG_PRINT = re.compile(r"\s*(debug\b|here!*\s*$|xxx|asdf)", re.IGNORECASE)


def _first_string(call: ast.Call) -> str | None:
    arg = call.args[0] if call.args else None
    if isinstance(arg, ast.JoinedStr) and arg.values:
        arg = arg.values[0]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


@rule("debug")
def debug(page: Page, flag: Flag):
    for cell in page.code:
        for row, text in cell.lines():
            if DEBUG_MAGIC.match(text):
                flag(row, f"leftover debugging `{text.strip()}`: remove it")
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.Call):
                name = call_name(node.func)
                text = _first_string(node) if name == "print" else None
                if name in DEBUG_CALLS or name.endswith("set_trace"):
                    flag(line_of(cell, node), f"leftover debugging `{name}()`: remove it")
                elif text is not None and DEBUG_PRINT.match(text):
                    flag(
                        line_of(cell, node),
                        f"leftover debugging print({text.strip()!r}...): remove it",
                    )
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(n.split(".")[0] in DEBUG_MODULES for n in names):
                    flag(line_of(cell, node), "leftover debugger import: remove it")


INSPECTION_CALLS = {"type", "len", "dir", "vars", "id"}
INSPECTION_METHODS = {"size", "dim", "numel", "keys"}


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


@rule("leftover-output")
def leftover_output(page: Page, flag: Flag):
    for cell in page.code:
        last = cell.tree.body[-1] if cell.tree and cell.tree.body else None
        if not (isinstance(last, ast.Expr) and _is_inspection(last.value)):
            continue
        end = last.end_lineno or last.lineno
        comments = {t.start[0] for t in _tokens(cell.python) if t.type == tokenize.COMMENT}
        silenced = cell.python.split("\n")[end - 1].rstrip().endswith(";")
        if not silenced and not comments & set(range(last.lineno, end + 1)):
            text = ast.get_source_segment(cell.python, last) or "expression"
            flag(
                line_of(cell, last),
                f"the cell ends with the bare expression `{text}`, which the page shows as "
                "output. If readers should see it, say so with a comment on that line "
                f"(`{text}  # what it shows`); otherwise remove the line",
            )


ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/~-])/(?:home|Users|root|work|tmp|mnt|content)\b|(?<![\w])[A-Za-z]:\\"
)
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


@rule("absolute-path")
def absolute_path(page: Page, flag: Flag):
    lines = [line for cell in page.code for line in cell.lines()] + page.chapter.markdown_lines
    for row, text in sorted(lines):
        for match in ABSOLUTE_PATH.finditer(URL.sub("", text)):
            flag(
                row,
                f"absolute path `{match.group(0)}...` works only on one machine: use a "
                "temporary folder (tempfile) or dlcourse.data_root()",
            )


NUMBER = re.compile(
    r"(?<![\w.])"
    r"(?P<value>\d+(?:\.\d+)?[eE][-+]?\d+|\d+\.\d+|\d+(?=\s?(?:%|percent\b)))"
    r"(?P<percent>\s?(?:%|percent\b))?"
    r"(?![\w]|\.\d)"
)
ALLOW_NUMBER = re.compile(r"^lint:\s*allow-number\s+(?P<values>.+)$")


def _number_literals(cells: list[Cell]) -> set[float]:
    values = set()
    for cell in cells:
        for token in _tokens(cell.python):
            if token.type == tokenize.NUMBER:
                try:
                    values.add(float(token.string.replace("_", "").rstrip("jJ")))
                except ValueError:
                    pass
    return values


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@rule("unglued-number")
def unglued_number(page: Page, flag: Flag):
    known = _number_literals(page.code)
    for _, comment in page.chapter.comments:
        if match := ALLOW_NUMBER.match(comment):
            for value in re.split(r"[\s,]+", match["values"].strip()):
                try:
                    known.add(float(value.rstrip("%")))
                except ValueError:
                    pass
    for row, text in page.chapter.prose:
        for match in NUMBER.finditer(URL.sub(" ", text)):
            value = float(match["value"])
            candidates = [value, value / 100] if match["percent"] else [value]
            if not any(_same(c, k) for c in candidates for k in known):
                flag(
                    row,
                    f"the prose states {match.group(0).strip()}, which no code cell has as a "
                    "literal: if it is a result, glue it ({glue:text}`name:.3f`); if it is a "
                    f"fixed fact, allow it with the comment line `% lint: allow-number "
                    f"{match['value']}`",
                )


def _glued_name(text: str) -> str | None:
    """The glue name quoted by a glue role or directive (None for another notebook's)."""
    name = re.split(r"[:<\s]", text.strip(), maxsplit=1)[0]
    return None if "::" in text or not name else name


@rule("glue-undefined")
def glue_undefined(page: Page, flag: Flag):
    if "*" in page.glue_names:
        return  # a glue name is computed: the lint cannot know them all
    quoted = [(r.line, r.content) for r in page.chapter.roles if r.name.split(":")[0] == "glue"]
    quoted += [(d.line, d.argument) for d in page.chapter.directives if d.name.startswith("glue")]
    for row, text in quoted:
        name = _glued_name(text)
        if name and name not in page.glue_names:
            flag(
                row,
                f"`{name}` is quoted from glue, but no glue({name!r}, ...) call in this page "
                "defines it",
            )


@rule("solution")
def solution_markup(page: Page, flag: Flag):
    for d in page.chapter.directives_named("solution"):
        flag(
            d.line,
            "use solution-start/solution-end (with :class: dropdown) instead of a solution "
            "directive, so that the solution's code cells run in the tests",
        )
    for block in page.chapter.solutions:
        start = block.start
        if start is None:
            flag(block.end.line, "solution-end without a solution-start before it")
            continue
        if block.end is None:
            flag(
                start.line,
                f"solution-start `{start.argument}` is never closed: add ```{{solution-end}}``` "
                "after its last cell",
            )
        if not block.label:
            flag(start.line, "solution-start must name its exercise's label")
        elif "dropdown" not in str(start.options.get("class") or "").split():
            flag(
                start.line,
                f"solution-start `{block.label}` needs the option `:class: dropdown`, so the "
                "answer stays folded on the site",
            )


@rule("literalinclude")
def literalinclude(page: Page, flag: Flag):
    fix = "put the code the chapter teaches in its cells (figure code in a hide-input cell)"
    for d in page.chapter.directives_named("literalinclude"):
        flag(d.line, f"literalinclude shows code ({d.argument}) the chapter does not run: {fix}")


@rule("line-length")
def line_length(page: Page, flag: Flag):
    for cell in (c for c in page.code if c is not page.chapter.setup_cell):  # a fork's URL
        for row, text in cell.lines():
            if len(text) > MAX_LINE:
                flag(
                    row,
                    f"this code line has {len(text)} characters: keep code within {MAX_LINE} "
                    "(the site's code column) by breaking it over lines",
                )


@rule("import-style")
def import_style(page: Page, flag: Flag):
    for cell in page.code:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dlcourse":
                names = ", ".join(a.name for a in node.names)
                flag(
                    line_of(cell, node),
                    f"`from {node.module} import {names}`: chapters import the package one way, "
                    "`import dlcourse`, and call `dlcourse.<name>`",
                )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "dlcourse" and (
                        alias.name != "dlcourse" or alias.asname
                    ):
                        shown = alias.name + (f" as {alias.asname}" if alias.asname else "")
                        flag(
                            line_of(cell, node),
                            f"`import {shown}`: chapters import the package one way, "
                            "`import dlcourse`, and call `dlcourse.<name>`",
                        )


SEED_CALLS = {"seed_everything", "manual_seed", "manual_seed_all", "default_rng", "seed"}
SEED_CALLS |= {"RandomState", "PRNGKey"}
SEED_KEYWORDS = {"seed", "random_state", "random_seed"}


def _literal_seed(node: ast.expr | None) -> bool:
    """A seed written as constants (``None``, no seed at all, is not one)."""
    none = isinstance(node, ast.Constant) and node.value is None
    return node is not None and not none and is_literal(node)


def _is_seed_knob(node: ast.AST) -> bool:
    """``SEED = dlcourse.seed_everything()``."""
    return (
        isinstance(node, ast.Assign)
        and [call_name(t) for t in node.targets] == ["SEED"]
        and isinstance(node.value, ast.Call)
        and call_name(node.value.func).split(".")[-1] == "seed_everything"
        and not node.value.args
    )


@rule("seed")
def seed(page: Page, flag: Flag):
    fix = (
        "derive it from the seed knob, e.g. dlcourse.seed_everything(SEED), seed=SEED + 1, "
        "torch.Generator().manual_seed(SEED)"
    )
    for cell, node in calls(page.code):
        name = call_name(node.func).split(".")[-1]
        given = [a for a in node.args[:1] if name in SEED_CALLS]
        given += [k.value for k in node.keywords if k.arg in SEED_KEYWORDS]
        for value in filter(_literal_seed, given):
            flag(line_of(cell, node), f"literal seed `{ast.unparse(value)}`: {fix}")
    for cell in page.code:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.posonlyargs + node.args.args
                pairs = list(zip(arguments[::-1], node.args.defaults[::-1], strict=False))
                pairs += list(zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True))
                for arg, default in pairs:
                    if arg.arg in SEED_KEYWORDS and _literal_seed(default):
                        flag(
                            line_of(cell, default),
                            f"literal seed `{arg.arg}={ast.unparse(default)}` as a default: "
                            "pass the seed in, or default to an expression of SEED",
                        )
    visible = [c for c in page.code if not c.hidden and c is not page.chapter.setup_cell]
    if visible and not any(_is_seed_knob(n) for c in visible if c.tree for n in c.tree.body):
        flag(
            visible[0].body_line,
            "the imports cell must set the seed knob, `SEED = dlcourse.seed_everything()` "
            "(DLCOURSE_SEED, default 0), and every other seed derive from SEED",
        )


@rule("glue-hidden")
def glue_hidden(page: Page, flag: Flag):
    for cell, node in calls(c for c in page.code if not c.hidden):
        if call_name(node.func).split(".")[-1] == "glue":
            flag(
                line_of(cell, node),
                "glue(...) in a visible cell: move it to a hidden (remove-cell) cell; the glue "
                "calls are for the page, students run the visible cells",
            )


# --- hidden-name: what a hidden cell binds, no visible cell reads


def _target_names(target: ast.expr) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for t in target.elts for n in _target_names(t)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _scope_bound(nodes: Iterable[ast.AST]) -> set[str]:
    """Names bound inside a function, lambda or comprehension (its locals)."""
    bound = set()
    for node in (n for top in nodes for n in ast.walk(top)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Global):
            bound -= set(node.names)
    return bound


def _reads(node: ast.AST, local: frozenset = frozenset()) -> list[ast.Name]:
    """The module-level names an expression or statement reads, in source order; a nested
    function, lambda or comprehension contributes the names it does not bind itself."""
    if isinstance(node, ast.Name):
        return [node] if isinstance(node.ctx, ast.Load) and node.id not in local else []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        outer = [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
        outer += getattr(node, "decorator_list", [])
        body = node.body if isinstance(node.body, list) else [node.body]
        inner = local | _scope_bound([node.args, *body])
        return _reads_all(outer, local) + _reads_all(body, inner)
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        inner = local | _scope_bound(g.target for g in node.generators)
        parts = [part for g in node.generators for part in (g.iter, *g.ifs)]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return _reads_all(parts, inner)
    return _reads_all(ast.iter_child_nodes(node), local)


def _reads_all(nodes: Iterable[ast.AST], local: frozenset) -> list[ast.Name]:
    return [name for node in nodes for name in _reads(node, local)]


def _events(statements: list[ast.stmt]) -> Iterator[tuple[str, str, ast.AST, str]]:
    """("read" | "bind", name, node, what was bound) at module level, in the order Python
    runs them: a value is read before its targets are bound, a loop's target before its body."""

    def reads(*nodes):
        for node in nodes:
            for name in _reads(node) if node is not None else []:
                yield "read", name.id, name, ""

    def binds(target, what=""):
        for name in _target_names(target) if target is not None else []:
            yield "bind", name.id, name, what
        if isinstance(target, ast.Attribute | ast.Subscript):  # x.a = ..., x[0] = ...: reads x
            yield from reads(target)

    for s in statements:
        if isinstance(s, ast.For | ast.AsyncFor):
            yield from reads(s.iter)
            yield from binds(s.target)
            yield from _events(s.body + s.orelse)
        elif isinstance(s, ast.While | ast.If):
            yield from reads(s.test)
            yield from _events(s.body + s.orelse)
        elif isinstance(s, ast.With | ast.AsyncWith):
            for item in s.items:
                yield from reads(item.context_expr)
                yield from binds(item.optional_vars)
            yield from _events(s.body)
        elif isinstance(s, ast.Try):
            yield from _events(s.body)
            for handler in s.handlers:
                yield from reads(handler.type)
                if handler.name:
                    yield "bind", handler.name, handler, ""
                yield from _events(handler.body)
            yield from _events(s.orelse + s.finalbody)
        elif isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from reads(s)
            yield "bind", s.name, s, ""
        elif isinstance(s, ast.Import | ast.ImportFrom):
            for a in s.names:
                what = f"import {getattr(s, 'module', '') or ''}.{a.name}"
                yield "bind", (a.asname or a.name).split(".")[0], s, what
        elif isinstance(s, ast.Assign | ast.AugAssign | ast.AnnAssign):
            yield from reads(s.value)
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
                yield "read", s.target.id, s.target, ""  # x += 1 reads x first
            for target in targets:
                yield from binds(target)
        else:
            yield from reads(s)
            for node in ast.walk(s):
                if isinstance(node, ast.NamedExpr):
                    yield from binds(node.target)


@rule("hidden-name")
def hidden_name(page: Page, flag: Flag):
    setup = page.chapter.setup_cell
    bound: dict[str, tuple[bool, int, str]] = {}  # name -> (by a hidden cell, line, what)
    reported: set[tuple[str, int]] = set()
    for cell in page.code:
        hidden = cell.hidden and cell is not setup
        for event, name, node, what in _events(cell.tree.body if cell.tree else []):
            if event == "bind":
                before = bound.get(name)
                if hidden and what and before and not before[0] and before[2] == what:
                    continue  # the same import again: the visible binding still holds
                bound[name] = (hidden, line_of(cell, node), what)
            elif not hidden and bound.get(name, (False,))[0]:
                where = bound[name][1]
                if (name, where) not in reported:
                    reported.add((name, where))
                    flag(
                        line_of(cell, node),
                        f"`{name}` comes from a hidden cell (line {where}), so readers never see "
                        "where it is made: define it in a visible cell (hidden cells only "
                        "assert and glue)",
                    )


# --- alt-text: every figure has one

FIGURE_NAME = re.compile(r"^(fig|figure)(_\w+|\d+)?$|_fig$")
NOT_DRAWING = {"close", "get_cmap", "colormaps", "ioff", "ion", "rc", "rcdefaults", "cm"}
DRAWING_HELPERS = re.compile(r"^(show_images|interact_figure|plot_\w+|imshow|subplots)$")


def draws(node: ast.AST, functions: Iterable[str] = (), shows_last: bool = True) -> bool:
    """Whether code makes a figure that the page shows, judged from its calls: pyplot
    (``plt.*`` but ``plt.close``), ``imshow``, ``subplots``, the ``dlcourse`` plots
    (``show_images``, ``plot_*``, ``interact_figure``), the chapter's own drawing
    ``functions``, or a figure shown again (``fig`` or ``display(fig)`` at the end).
    Calls on axes alone (``ax.plot``) draw into a figure made elsewhere."""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else call_name(func)
        if DRAWING_HELPERS.match(name) or name in functions:
            return True
        if call_name(func) == f"plt.{name}" and name not in NOT_DRAWING:
            return True
    body = getattr(node, "body", None)
    last = (
        body[-1].value
        if isinstance(body, list) and body and isinstance(body[-1], ast.Expr)
        else None
    )
    if isinstance(last, ast.Call) and call_name(last.func) == "display" and last.args:
        last = last.args[0]
    return shows_last and isinstance(last, ast.Name) and bool(FIGURE_NAME.search(last.id))


def _alt_problem(alt: object) -> str | None:
    if not isinstance(alt, str) or not alt.strip():
        return "is empty"
    text = alt.strip()
    if re.search(r"\.(png|jpe?g|svg|gif|pdf)$", text, re.IGNORECASE) or (
        " " not in text and ("/" in text or "\\" in text)
    ):
        return f"looks like a file name ({text!r})"
    if len(text.split()) < MIN_ALT_WORDS:
        return f"has fewer than {MIN_ALT_WORDS} words ({text!r})"
    return None


def _string_value(node: ast.expr) -> str | None:
    """A string constant, an implicit concatenation, or an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    return None


@rule("alt-text")
def alt_text(page: Page, flag: Flag):
    how = (
        "give the cell `mystnb: image: alt:` in its options (what is plotted and the point it "
        "makes, for a reader who cannot see it)"
    )
    for cell in page.code:
        tree = cell.tree
        if tree is None or cell.hidden or "remove-output" in cell.tags:
            continue
        animations = [c for _, c in calls([cell]) if call_name(c.func).endswith("show_animation")]
        for node in animations:
            alt = next((k.value for k in node.keywords if k.arg == "alt"), None)
            value = _string_value(alt) if alt is not None else None
            problem = (
                "is missing"
                if alt is None
                else _alt_problem(value)
                if value is not None
                else None  # a variable: the lint cannot read it
            )
            if problem:
                flag(
                    line_of(cell, node),
                    f"the animation's alt text {problem}: pass "
                    'dlcourse.show_animation(animation, alt="...") a sentence or two',
                )
        for _, node in calls([cell]):
            if call_name(node.func).endswith("to_jshtml"):
                flag(
                    line_of(cell, node),
                    "an animation shown with to_jshtml() has no alt text: use "
                    'dlcourse.show_animation(animation, alt="...") as the last line',
                )
        shows_last = not cell.python.rstrip().endswith(";")
        if animations or not draws(tree, page.drawing_functions, shows_last):
            continue
        last = tree.body[-1] if tree.body else None
        closed = (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call)
            and call_name(last.value.func) == "plt.close"
            and not any(call_name(c.func) in ("plt.show", "display") for _, c in calls([cell]))
        )
        if closed or any(call_name(c.func).endswith("to_jshtml") for _, c in calls([cell])):
            continue
        image = (cell.metadata.get("mystnb") or {}).get("image") or {}
        if "alt" not in image:
            flag(cell.line, f"this cell draws a figure without an alt text: {how}")
        elif problem := _alt_problem(image["alt"]):
            flag(cell.line, f"the figure's alt text {problem}: {how}")


# ------------------------------------------------------------------------------ chapter rules

OUTCOMES = re.compile(r"By the end of this chapter,? you will be able to")


@rule("outcomes", scope="chapter")
def outcomes(pages: list[Page], flag: Flag):
    if not any(OUTCOMES.search(" ".join(t for _, t in p.chapter.prose)) for p in pages):
        flag(
            1,
            "no learning outcomes: after the introduction, write 'By the end of this "
            "chapter you will be able to:' and a short list",
            pages[0].path,
        )


@rule("summary", scope="chapter")
def summary(pages: list[Page], flag: Flag):
    lines = [t for p in pages for _, t in p.chapter.markdown_lines]
    if not any(re.match(r"^##\s+Summary\s*$", t) for t in lines):
        flag(1, "no `## Summary` section: end the chapter with one", pages[-1].path)


def exercises(page: Page) -> dict[str, int]:
    """label -> line of each labelled exercise of a page (the first of a repeated label)."""
    found: dict[str, int] = {}
    for d in page.chapter.directives_named("exercise"):
        label = str(d.options.get("label") or "").strip()
        if label:
            found.setdefault(label, d.line)
    return found


@rule("exercise", scope="chapter")
def exercise(pages: list[Page], flag: Flag):
    seen: set[str] = set()
    solved = {s.label for p in pages for s in p.chapter.solutions if s.label}
    for page in pages:
        for d in page.chapter.directives_named("exercise"):
            label = str(d.options.get("label") or "").strip()
            if not label:
                flag(d.line, "this exercise has no :label:, which its solution needs", page.path)
            elif label in seen:
                flag(d.line, f"two exercises have the label `{label}`", page.path)
            elif label not in solved:
                flag(
                    d.line,
                    f"exercise `{label}` has no solution: add ```{{solution-start}} "
                    f"{label} (with :class: dropdown), the solution, and ```{{solution-end}}",
                    page.path,
                )
            seen.add(label)
    if not any(p.chapter.directives_named("exercise") for p in pages):
        flag(
            1,
            "no exercises: add ```{exercise} with a :label: and its solution between "
            "```{solution-start} <label> (with :class: dropdown) and ```{solution-end}",
            pages[-1].path,
        )


@rule("solution", scope="chapter")
def solution_names_an_exercise(pages: list[Page], flag: Flag):
    labels = {label for page in pages for label in exercises(page)}
    for page in pages:
        for block in page.chapter.solutions:
            if block.label and block.label not in labels:
                message = f"solution-start `{block.label}` names no exercise of this chapter"
                flag(block.start.line, message, page.path)


# ------------------------------------------------------------------------------ book rules


@rule("toc", scope="book")
def toc(chapters: list[list[Page]], root: Path, flag: Flag):
    for page in book.unlisted_chapters(root):
        flag(
            1,
            "this chapter is not in _toc.yml, so the site leaves it out: add "
            f"`  - file: book/{page.stem}`",
            page,
        )


def _unique(chapters: list[list[Page]], names: Callable, what: str, flag: Flag) -> None:
    seen: dict[str, list[tuple[Path, int]]] = defaultdict(list)
    for page in (p for pages in chapters for p in pages):
        for name, line in names(page).items():
            if name != "*":
                seen[name].append((page.path, line))
    for name, places in seen.items():
        if len(places) > 1:
            where = ", ".join(f"{relative(p)}:{n}" for p, n in places)
            flag(
                places[-1][1],
                f"the {what} `{name}` is used by more than one chapter "
                f"({where}): prefix it with the chapter's short name",
                places[-1][0],
            )


@rule("glue-duplicate", scope="book")
def glue_duplicate(chapters: list[list[Page]], root: Path, flag: Flag):
    _unique(chapters, lambda page: page.glue_names, "glue name", flag)


@rule("label-duplicate", scope="book")
def label_duplicate(chapters: list[list[Page]], root: Path, flag: Flag):
    _unique(chapters, exercises, "exercise label", flag)


# ------------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.lint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("pages", nargs="*", type=Path, help="chapter pages (default: the book)")
    args = parser.parse_args(argv)
    return report(lint(ROOT, args.pages or None))


if __name__ == "__main__":
    sys.exit(main())
