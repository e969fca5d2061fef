"""The book as every tool sees it: one home for each fact about it.

- **Where things are**: :data:`ROOT`, :data:`BUILD`, :data:`HTML`, :func:`config` (``_config.yml``)
  and :func:`repository_url`.
- **Which pages there are, in book order**: :func:`toc_pages`, :func:`chapter_groups`,
  :func:`chapters`, :func:`find_chapter`, read from ``_toc.yml`` with sphinx-external-toc (the
  parser Jupyter Book itself uses). A *chapter* is a MyST-markdown notebook: a ``.md`` file whose
  front matter is jupytext's and names a kernel (:func:`is_chapter`).
- **What a chapter holds**: :func:`parse` splits it into cells with jupytext's own parser and
  rules, and keeps the line where each starts in the ``.md`` file, so that every message can
  point at ``book/<name>.md:<line>``. The MyST constructs of the markdown cells (directives,
  roles, targets, comments, the words of the prose) come from the markdown-it-py tokens of
  myst-parser, the parser the site is built with.
- **What a chapter's outputs depend on** besides its own code: :func:`dependencies` (the
  ``dlcourse`` modules whose names it uses, the pins, the seed knob); ``_ext/cache_rule.py``
  re-executes a chapter when it changes.
- **Whether the built site is current**: :func:`site_problem`.

Every tool imports these; none reads ``_toc.yml`` or splits a chapter on its own.
``python -m tools.book list`` prints the chapters, ``check NAME`` says whether there is one.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
# `make book` touches this file after every successful build (see the Makefile).
BUILT_STAMP = "_build/.book-built"
CODE_CELL = "{code-cell}"  # jupytext's CODE_DIRECTIVE
# Directives whose body is code or math, not prose with roles of its own.
LITERAL_DIRECTIVES = {
    "code-block",
    "code",
    "sourcecode",
    "literalinclude",
    "math",
    "raw",
    "eval-rst",
    "mermaid",
    "glue:math",
}
# What a chapter's outputs depend on for every chapter: the pinned versions.
PINS = ("requirements.txt", "pyproject.toml")
# The seed knob (dlcourse.seed_everything reads it): another seed, other outputs.
SEED_VARIABLE = "DLCOURSE_SEED"
PACKAGE = "dlcourse"


# ------------------------------------------------------------------------------ settings


def config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml`` as a dictionary."""
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` of ``_config.yml`` (no trailing slash): where the course lives."""
    url = (config(root).get("repository") or {}).get("url")
    if not url:
        raise ValueError(f"{root / '_config.yml'} has no repository.url")
    return str(url).rstrip("/")


def relative(path: Path | str, root: Path = ROOT) -> str:
    """``path`` relative to the repository root when it is inside it (for messages)."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------ pages


def front_matter(text: str) -> dict | None:
    """The YAML front matter at the top of a markdown text; None when there is none."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        meta = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def is_chapter(path: Path | str) -> bool:
    """True for a MyST-markdown notebook: a ``.md`` file with jupytext front matter and a kernel."""
    path = Path(path)
    if path.suffix != ".md" or not path.is_file():
        return False
    meta = front_matter(path.read_text(encoding="utf-8")) or {}
    return "jupytext" in meta and "kernelspec" in meta


def docname(path: Path | str, root: Path = ROOT) -> str:
    """The page's name in ``_toc.yml`` and on the site: ``book/cnn`` for ``book/cnn.md``."""
    return Path(path).resolve().relative_to(root.resolve()).with_suffix("").as_posix()


def _source(root: Path, name: str) -> Path:
    if Path(name).suffix in (".md", ".ipynb"):
        return root / name
    for suffix in (".md", ".ipynb"):
        if (root / f"{name}{suffix}").is_file():
            return root / f"{name}{suffix}"
    return root / f"{name}.md"


def _site_map(root: Path):
    from sphinx_external_toc.parsing import parse_toc_yaml

    return parse_toc_yaml(root / "_toc.yml")


def _children(site_map, name: str, root: Path) -> list[str]:
    from sphinx_external_toc.api import FileItem, GlobItem

    names: list[str] = []
    for tree in site_map[name].subtrees:
        for item in tree.items:
            if isinstance(item, GlobItem):  # a pattern: the pages it matches, sorted
                found = sorted({docname(p, root) for p in root.glob(f"{item}.md")})
                names += [n for n in found if n != name]
            elif isinstance(item, FileItem):
                names.append(str(item))
    return names


def toc_groups(root: Path = ROOT) -> list[list[Path]]:
    """Every page of ``_toc.yml`` in book order, grouped: the root page alone, then each
    chapter-level entry with the pages listed under it (its ``sections:``), recursively."""
    site_map = _site_map(root)

    def below(name: str) -> list[str]:
        return [n for child in _children(site_map, name, root) for n in (child, *below(child))]

    groups = [[_source(root, site_map.root.docname)]]
    for top in _children(site_map, site_map.root.docname, root):
        groups.append([_source(root, n) for n in (top, *below(top))])
    return groups


def toc_pages(root: Path = ROOT) -> list[Path]:
    """Every page of ``_toc.yml`` (plain pages too) in book order."""
    return [page for group in toc_groups(root) for page in group]


def chapter_groups(root: Path = ROOT) -> list[list[Path]]:
    """The chapters in book order, each as the list of its notebook pages (a chapter may be
    split into pages listed under its first page). Plain pages do not appear."""
    groups = [[p for p in group if is_chapter(p)] for group in toc_groups(root)]
    return [group for group in groups if group]


def unlisted_chapters(root: Path = ROOT) -> list[Path]:
    """Notebooks in ``book/`` that ``_toc.yml`` does not list (the site leaves them out)."""
    listed = {p.resolve() for p in toc_pages(root)}
    return [
        p
        for p in sorted((root / "book").glob("*.md"))
        if is_chapter(p) and p.resolve() not in listed
    ]


def chapters(root: Path = ROOT) -> list[Path]:
    """Every chapter page: those of ``_toc.yml`` in book order, then any unlisted ones."""
    return [p for group in chapter_groups(root) for p in group] + unlisted_chapters(root)


def find_chapter(name: str, root: Path = ROOT) -> Path:
    """``book/<name>.md``, or a ValueError that lists the chapters there are."""
    path = root / "book" / f"{name}.md"
    if name and "/" not in name and is_chapter(path):
        return path
    known = ", ".join(p.stem for p in chapters(root)) or "none yet"
    raise ValueError(f"there is no chapter book/{name}.md. Chapters: {known}.")


# ------------------------------------------------------------------------------ a chapter


@functools.cache
def md_parser(extensions: tuple[str, ...] | None = None):
    """myst-parser's markdown-it parser with the extensions ``_config.yml`` enables."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    if extensions is None:
        extensions = tuple((config().get("parse") or {}).get("myst_enable_extensions") or ())
    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


MAGIC = re.compile(r"^(\s*)(%|!)")
# Cell magics whose body is Python all the same.
PYTHON_CELL_MAGICS = re.compile(r"^%%(time|timeit|capture)\b")


@dataclass
class Cell:
    """One cell of a chapter, with where it lies in the ``.md`` file (1-based lines)."""

    kind: str  # "code", "markdown" or "raw"
    source: str
    line: int  # first line of the cell: for a code cell its ```{code-cell} fence
    body_line: int  # line of the first source line
    end_line: int  # last line of the cell (a code cell's closing fence)
    metadata: dict = field(default_factory=dict)
    index: int = 0  # position among all cells (as in the notebook jupytext makes)

    @property
    def tags(self) -> list[str]:
        tags = self.metadata.get("tags") or []
        return [str(t) for t in tags] if isinstance(tags, list) else [str(tags)]

    @property
    def hidden(self) -> bool:
        """A cell the page does not show at all (``remove-cell``)."""
        return "remove-cell" in self.tags

    def lines(self) -> list[tuple[int, str]]:
        """(line number, text) of every source line (none for an empty cell)."""
        if not self.source:
            return []
        return [(self.body_line + i, text) for i, text in enumerate(self.source.split("\n"))]

    @functools.cached_property
    def python(self) -> str:
        """A code cell's source as Python: IPython magics and shell lines become ``pass``
        (line numbers kept); a cell magic other than ``%%time``-like ones gives ``""``."""
        lines = self.source.split("\n")
        if self.source.lstrip().startswith("%%"):
            if not PYTHON_CELL_MAGICS.match(self.source.lstrip()):
                return ""
        return "\n".join(
            m.group(1) + "pass" if (m := MAGIC.match(line)) else line for line in lines
        )

    @functools.cached_property
    def tree(self) -> ast.Module | None:
        """The code cell's syntax tree; None when it is not valid Python."""
        try:
            return ast.parse(self.python)
        except SyntaxError:
            return None


@dataclass
class Directive:
    """A MyST directive in a markdown cell: ```{name} argument, options and body."""

    name: str
    argument: str
    options: dict
    body: str
    line: int  # the opening fence
    body_line: int
    end_line: int
    fence: str  # "```" or ":::" (and longer)
    cell: Cell


@dataclass
class Role:
    """An inline role ``{name}`content``` in the prose."""

    name: str
    content: str
    line: int
    cell: Cell


@dataclass
class Target:
    """A ``(label)=`` line."""

    label: str
    line: int
    cell: Cell


@dataclass
class Solution:
    """An exercise's solution: from its ``solution-start`` to its ``solution-end`` directive
    (either is None when the markup does not pair up)."""

    start: Directive | None
    end: Directive | None

    @property
    def label(self) -> str:
        return self.start.argument.split()[0] if self.start and self.start.argument else ""


@dataclass
class Chapter:
    path: Path
    text: str
    front_matter: dict | None
    cells: list[Cell]
    directives: list[Directive] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    # (line, text) of the prose: the words outside code, maths, roles, comments, link targets
    prose: list[tuple[int, str]] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # MyST `% ...` lines

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "code"]

    @property
    def markdown_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "markdown"]

    @property
    def markdown_lines(self) -> list[tuple[int, str]]:
        """(line number, text) of every markdown line (outside front matter and code cells)."""
        return [line for cell in self.markdown_cells for line in cell.lines()]

    @property
    def setup_cell(self) -> Cell | None:
        """The hidden Colab setup cell: the code cell that installs dlcourse in Colab."""
        return next((c for c in self.code_cells if "google.colab" in c.source), None)

    def directives_named(self, *names: str) -> list[Directive]:
        return [d for d in self.directives if d.name in names]

    @property
    def solutions(self) -> list[Solution]:
        """The ``solution-start`` ... ``solution-end`` blocks in page order, paired as
        sphinx-exercise pairs them (an unpaired marker gets None for its partner)."""
        blocks: list[Solution] = []
        for d in self.directives_named("solution-start", "solution-end"):
            if d.name == "solution-start":
                blocks.append(Solution(d, None))
            elif blocks and blocks[-1].start is not None and blocks[-1].end is None:
                blocks[-1].end = d
            else:
                blocks.append(Solution(None, d))
        return blocks


def parse(path: Path | str, text: str | None = None) -> Chapter:
    """Split a MyST-markdown notebook into cells as jupytext does (its parser, its rules),
    keeping line numbers, and collect the MyST constructs of its markdown cells.

    Raises jupytext's ``MystMetadataParsingError`` when a cell's options are not valid YAML.
    """
    from jupytext.myst import (
        CODE_DIRECTIVE,
        RAW_DIRECTIVE,
        get_parser,
        read_cell_metadata,
        read_fenced_cell,
        strip_blank_lines,
    )

    path = Path(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    tokens = get_parser().parse(text + "\n")
    lines = text.splitlines()
    meta = None
    md_start = 0
    if tokens and tokens[0].type == "front_matter":
        try:
            meta = yaml.safe_load(tokens[0].content) or {}
        except yaml.YAMLError:
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
        md_start = tokens[0].map[1]
        tokens = tokens[1:]

    cells: list[Cell] = []
    md_meta: dict = {}

    def flush_markdown(end: int) -> None:
        joined = "\n".join(lines[md_start:end])
        source = strip_blank_lines(joined)
        if source:
            first = md_start + 1 + len(joined) - len(joined.lstrip("\n"))
            last = first + source.count("\n")
            cells.append(Cell("markdown", source, first, first, last, md_meta, len(cells)))

    level = 0
    for token in tokens:
        level += token.nesting
        if level != 0:
            continue  # a fence inside a list or a quote is not a cell (jupytext's rule)
        kind = (
            "code"
            if token.info.startswith(CODE_DIRECTIVE)
            else "raw"
            if token.info.startswith(RAW_DIRECTIVE)
            else None
        )
        if token.type == "fence" and kind:
            flush_markdown(token.map[0])
            options, body = read_fenced_cell(token, len(cells), kind.capitalize())
            n_content = len(token.content.splitlines())
            first = token.map[0] + 2 + n_content - len(body)
            cells.append(
                Cell(
                    kind,
                    "\n".join(body),
                    token.map[0] + 1,
                    first,
                    token.map[1],
                    options or {},
                    len(cells),
                )
            )
            md_meta, md_start = {}, token.map[1]
        elif token.type == "myst_block_break":
            flush_markdown(token.map[0])
            md_meta = read_cell_metadata(token, len(cells))
            md_start = token.map[1]
    flush_markdown(len(lines))

    chapter = Chapter(path, text, meta, cells)
    for cell in chapter.markdown_cells:
        _collect(chapter, md_parser().parse(cell.source), cell.body_line, cell)
    chapter.prose.sort(key=lambda item: item[0])
    return chapter


def _collect(chapter: Chapter, tokens, first_line: int, cell: Cell) -> None:
    """Directives, roles, targets, comments and prose of ``tokens`` (parsed from text that
    starts on ``first_line``); the bodies of directives that hold prose are parsed in turn."""
    for token in tokens:
        if token.map is None:
            continue
        line = first_line + token.map[0]
        if token.type in ("fence", "colon_fence") and token.info.startswith("{"):
            name, _, argument = token.info[1:].partition("}")
            body, options = _directive_body(token.content)
            n_options = len(token.content.splitlines()) - len(body.splitlines())
            directive = Directive(
                name.strip(),
                argument.strip(),
                options,
                body,
                line,
                line + 1 + max(n_options, 0),
                first_line + token.map[1] - 1,
                token.markup or "```",
                cell,
            )
            chapter.directives.append(directive)
            if directive.name not in LITERAL_DIRECTIVES:
                _collect(chapter, md_parser().parse(body), directive.body_line, cell)
        elif token.type == "myst_target":
            chapter.targets.append(Target(token.content, line, cell))
        elif token.type == "myst_line_comment":
            for i, text in enumerate(token.content.split("\n")):
                chapter.comments.append((line + i, text.strip()))
        elif token.type == "inline":
            _inline(chapter, token, line, cell)


def _inline(chapter: Chapter, token, line: int, cell: Cell) -> None:
    """Roles and prose of an inline token, each with its line: the children are found in
    the token's source in order (markdown-it does not give them lines of their own)."""
    raw = token.content
    pos = 0
    words: dict[int, list[str]] = {}
    in_autolink = False

    def find(needle: str) -> int:
        """Where ``needle`` starts at or after ``pos`` (``pos`` itself when not found)."""
        at = raw.find(needle, pos) if needle else -1
        return at if at >= 0 else pos

    for child in token.children or []:
        kind = child.type
        if kind in ("softbreak", "hardbreak"):
            pos = find("\n") + 1
        elif kind == "text":
            at = find(child.content)
            if not in_autolink:
                words.setdefault(line + raw.count("\n", 0, at), []).append(child.content)
            pos = at + len(child.content) if raw.startswith(child.content, at) else pos
        elif kind == "link_open":
            in_autolink = child.markup in ("autolink", "linkify")
        elif kind == "link_close":
            in_autolink = False
        elif kind == "myst_role":
            name = child.meta.get("name", "")
            match = re.compile(r"\{" + re.escape(name) + r"\}(`+)").search(raw, pos)
            at = match.start() if match else pos
            chapter.roles.append(Role(name, child.content, line + raw.count("\n", 0, at), cell))
            if match:
                close = raw.find(match.group(1), match.end())
                pos = close + len(match.group(1)) if close >= 0 else match.end()
        elif kind in ("code_inline", "math_inline", "math_inline_double", "html_inline"):
            opening = child.content if kind == "html_inline" else child.markup
            at = raw.find(opening, pos) if opening else -1
            if at >= 0:
                if kind == "html_inline":
                    pos = at + len(opening)
                else:
                    close = raw.find(opening, at + len(opening))
                    pos = close + len(opening) if close >= 0 else at + len(opening)
    for row, parts in words.items():
        chapter.prose.append((row, " ".join(parts)))


def _directive_body(content: str) -> tuple[str, dict]:
    """A directive's body and its options (``:key: value`` lines or a ``---`` YAML block)."""
    from jupytext.myst import parse_directive_options

    try:
        body, options = parse_directive_options(content, "")
    except Exception:  # noqa: BLE001 - malformed options: the lint reports the directive
        return content, {}
    if body and not body[0].strip():
        body = body[1:]
    return "\n".join(body), options if isinstance(options, dict) else {}


def code_cell_line(path: Path | str, index: int) -> int | None:
    """Line of the ``index``-th code cell's first source line (0-based, as nbval counts)."""
    code = parse(path).code_cells
    return code[index].body_line if 0 <= index < len(code) else None


# ------------------------------------------------------------------------------ dependencies


def package_modules(root: Path = ROOT) -> dict[str, Path]:
    """``dlcourse``'s module files by module name (``"training"``, ..., ``"__init__"``)."""
    return {p.stem: p for p in sorted((root / PACKAGE).glob("*.py"))}


def _imported_modules(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The package's modules that a module imports (absolute or relative imports)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] == PACKAGE:
                parts = node.module.split(".")
            elif node.level == 1:
                parts = [PACKAGE, *(node.module.split(".") if node.module else [])]
            else:
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from dlcourse import utils
                found |= {a.name for a in node.names if a.name in modules}
    return found & set(modules)


def _package_index(root: Path) -> tuple[dict[str, str], dict[str, set[str]], str]:
    """What :func:`chapter_dependencies` needs to know about ``dlcourse``: the module that
    defines each name ``__init__`` exports, the modules each module imports, and the code of
    ``__init__`` other than imports (what every ``import dlcourse`` runs)."""
    files = package_modules(root)
    return _index(tuple((name, path, path.stat().st_mtime_ns) for name, path in files.items()))


@functools.lru_cache(maxsize=4)
def _index(files: tuple[tuple[str, Path, int], ...]):
    modules = {name: path for name, path, _ in files}
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in modules.items()}
    init = trees.get("__init__", ast.Module(body=[], type_ignores=[]))
    exported: dict[str, str] = {}
    setup = []
    for node in init.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            module = parts[1] if node.level == 0 and len(parts) > 1 else parts[0]
            for alias in node.names:
                exported[alias.asname or alias.name] = module
        elif isinstance(node, ast.Import):
            continue
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        else:
            setup.append(ast.unparse(node))
    imports = {name: _imported_modules(tree, modules) for name, tree in trees.items()}
    return exported, imports, "\n".join(setup)


def dlcourse_uses(chapter: Chapter) -> set[str]:
    """The names the chapter takes from ``dlcourse``: ``dlcourse.<name>`` (under any alias
    of the package), ``from dlcourse import <name>``, ``from dlcourse.<module> import ...``
    and ``import dlcourse.<module>`` (a module's name stands for the whole module)."""
    aliases = {PACKAGE}
    names: set[str] = set()
    trees = [cell.tree for cell in chapter.code_cells if cell.tree is not None]
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == PACKAGE:
                        aliases.add(alias.asname or PACKAGE)
                        names.update(parts[1:2])
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == PACKAGE:
                    names.update(parts[1:2] or [a.name for a in node.names])
    for tree in trees:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                names.add(node.attr)
    return names


def chapter_dependencies(chapter: Chapter | Path, root: Path = ROOT) -> list[Path]:
    """The ``dlcourse`` module files whose code the chapter runs: the modules that define the
    names it uses and, recursively, the modules those import. A name ``__init__`` does not
    export (a module attribute such as ``__version__``) counts as ``__init__``."""
    if not isinstance(chapter, Chapter):
        chapter = parse(chapter)
    modules = package_modules(root)
    if not modules:
        return []
    exported = _package_index(root)[0]
    start = {
        name if name in modules else exported.get(name, "__init__")
        for name in dlcourse_uses(chapter)
    }
    return [modules[name] for name in sorted(_module_closure(start, root))]


def _module_closure(start: set[str], root: Path) -> set[str]:
    """The modules ``start`` names and, recursively, the package's modules they import."""
    modules, imports = package_modules(root), _package_index(root)[1]
    todo, seen = set(start), set()
    while todo:
        module = todo.pop()
        if module in seen or module not in modules:
            continue
        seen.add(module)
        todo |= imports.get(module, set())
    return seen


@dataclass
class _Module:
    """One ``dlcourse`` module as :func:`dependencies` sees it."""

    definitions: dict[str, str]  # top-level function and class name -> its code
    setup: str  # every other top-level statement (imports, constants), docstring left out
    links: dict[str, tuple[str, str | None]]  # local name -> (module, name or None: all)
    uses: dict[str, set[tuple[str, str | None]]]  # definition -> what it refers to


def _strip_docstrings(node: ast.AST) -> ast.AST:
    for item in ast.walk(node):
        body = getattr(item, "body", None)
        if (
            isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            item.body = body[1:] or [ast.Pass()]
    return node


def _links(node: ast.AST, modules: set[str]) -> dict[str, tuple[str, str | None]]:
    """What the ``import`` statements in ``node`` bind to ``dlcourse`` modules and names."""
    found: dict[str, tuple[str, str | None]] = {}
    for item in ast.walk(node):
        if isinstance(item, ast.ImportFrom):
            if item.level == 0 and item.module and item.module.split(".")[0] == PACKAGE:
                parts = item.module.split(".")[1:]
            elif item.level == 1:
                parts = item.module.split(".") if item.module else []
            else:
                continue
            for alias in item.names:
                local = alias.asname or alias.name
                if parts and parts[0] in modules:
                    found[local] = (parts[0], alias.name)
                elif not parts and alias.name in modules:
                    found[local] = (alias.name, None)
        elif isinstance(item, ast.Import):
            for alias in item.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1 and parts[1] in modules:
                    found[alias.asname or parts[0]] = (parts[1], None)
    return found


@functools.lru_cache(maxsize=64)
def _module(path: Path, mtime_ns: int, modules: tuple[str, ...]) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    definitions, setup, uses = {}, [], {}
    links = _links(tree, set(modules))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    names = {node.name for node in tree.body if isinstance(node, kinds)}
    for index, node in enumerate(tree.body):
        if isinstance(node, kinds):
            definitions[node.name] = ast.unparse(_strip_docstrings(node))
            refers: set[tuple[str, str | None]] = set()
            inner = {**links, **_links(node, set(modules))}  # imports inside
            for item in ast.walk(node):
                if isinstance(item, ast.Attribute) and isinstance(item.value, ast.Name):
                    target = inner.get(item.value.id)
                    if target and target[1] is None:
                        refers.add((target[0], item.attr))
                if isinstance(item, ast.Name):
                    if item.id in names and item.id != node.name:
                        refers.add((path.stem, item.id))
                    elif item.id in inner:
                        refers.add(inner[item.id])
            uses[node.name] = refers
        elif not (index == 0 and isinstance(node, ast.Expr)):  # the module's docstring
            setup.append(ast.unparse(node))
    return _Module(definitions, "\n".join(setup), links, uses)


def dlcourse_code(chapter: Chapter | Path, root: Path = ROOT) -> dict[str, str]:
    """The ``dlcourse`` code a chapter runs, piece by piece: for every name it uses, the
    function or class that defines it (docstrings and comments left out) and, recursively,
    the functions and classes those refer to, each as ``"dlcourse/<module>.py:<name>"``;
    with them the top-level statements of each module they live in (``"... setup"``:
    imports, constants). A whole module (``"dlcourse/<module>.py"``) where the chapter uses
    the module itself, or a name that no function or class defines."""
    if not isinstance(chapter, Chapter):
        chapter = parse(chapter)
    files = package_modules(root)
    if not files:
        return {}
    names = tuple(files)
    info = {m: _module(p, p.stat().st_mtime_ns, names) for m, p in files.items()}
    exported = info["__init__"].links if "__init__" in info else {}
    todo: list[tuple[str, str | None]] = []
    whole: set[Path] = set()
    for name in dlcourse_uses(chapter):
        target = (name, None) if name in files else exported.get(name, ("__init__", None))
        todo.append(target)
    seen: set[tuple[str, str]] = set()
    while todo:
        module, name = todo.pop()
        if module not in info:
            continue
        if name is None or name not in info[module].definitions:
            whole.add(files[module])  # and the modules it imports, as chapter_dependencies
            continue
        if (module, name) in seen:
            continue
        seen.add((module, name))
        todo.extend(info[module].uses[name])
    # The safe rule for what is not a function or a class: whole modules, with all they import.
    whole = {files[m] for m in _module_closure({p.stem for p in whole}, root)}
    parts = {relative(p, root): p.read_text(encoding="utf-8") for p in sorted(whole)}
    for module, name in sorted(seen):
        if files[module] not in whole:
            prefix = relative(files[module], root)
            parts[f"{prefix}:{name}"] = info[module].definitions[name]
            parts[f"{prefix} setup"] = info[module].setup
    return parts


def dependencies(chapter: Chapter | Path, root: Path = ROOT) -> dict[str, str]:
    """What a chapter's outputs depend on besides its own code, each with a digest of its
    content: the pins, the ``dlcourse`` code it runs (:func:`dlcourse_code`: editing one
    helper re-runs only the chapters that run it), the package's own setup code in
    ``__init__`` and the seed knob ``DLCOURSE_SEED``."""
    found = {}
    for path in [root / name for name in PINS]:
        if path.is_file():
            found[relative(path, root)] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    for key, code in dlcourse_code(chapter, root).items():
        found[key] = hashlib.sha256(code.encode()).hexdigest()[:16]
    if (root / PACKAGE / "__init__.py").is_file():
        setup = _package_index(root)[2].encode()
        found[f"{PACKAGE}/__init__.py setup code"] = hashlib.sha256(setup).hexdigest()[:16]
    found[SEED_VARIABLE] = os.environ.get(SEED_VARIABLE, "").strip() or "0"  # as dlcourse reads it
    return found


def dependency_key(chapter: Chapter | Path, root: Path = ROOT) -> str:
    """One hash of :func:`dependencies`: it changes when any of them does."""
    text = json.dumps(dependencies(chapter, root), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


# ------------------------------------------------------------------------------ the site


def site_inputs(root: Path = ROOT) -> list[Path]:
    """Every file the built site depends on: the pages, the book's settings, the helper
    package the chapters import, the site's extension and static files, the pins."""
    files = [*toc_pages(root), root / "_toc.yml", root / "_config.yml"]
    files += [root / name for name in PINS]
    for folder in (PACKAGE, "_ext", "_static"):
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file())
    return [f for f in files if f.exists() and "__pycache__" not in f.parts]


def site_problem(root: Path = ROOT) -> str | None:
    """Why ``_build/html`` cannot be checked as it is (one line that names ``make book``), or
    None when it was built after its every input changed."""
    stamp = root / BUILT_STAMP
    html = root / "_build" / "html"
    if not stamp.is_file() or not (html / "index.html").is_file():
        return "there is no built site in _build/html: run `make book` first"
    for page in toc_pages(root):
        if not (html / f"{docname(page, root)}.html").is_file():
            return f"_build/html has no page for {relative(page, root)}: run `make book`"
    newest = max(site_inputs(root), key=lambda p: p.stat().st_mtime)
    if newest.stat().st_mtime > stamp.stat().st_mtime:
        return f"{relative(newest, root)} changed after the last `make book`: run `make book`"
    return None


# ------------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    """``list``: the chapters; ``check NAME``: is there such a chapter (for ``CHAPTER=``);
    ``site``: is the built site current; ``deps NAME``: what the chapter's outputs depend on."""
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "list":
        for page in chapters():
            print(relative(page))
        return 0
    if command in ("check", "deps"):
        name = rest[0].strip() if rest else ""
        try:
            path = find_chapter(name)
        except ValueError as err:
            print(
                f"CHAPTER={name}: {err} Use the file name without book/ and .md.", file=sys.stderr
            )
            return 2
        if command == "deps":
            print(json.dumps(dependencies(path), indent=2))
        return 0
    if command == "site":
        problem = site_problem()
        print(problem or "_build/html is up to date")
        return 1 if problem else 0
    print("usage: python -m tools.book list | check NAME | deps NAME | site", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
